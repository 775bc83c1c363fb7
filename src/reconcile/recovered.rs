//! Actions a crash left in flight, confirmed by observation on the first cycle after restart.
//!
//! An intent still journaled at start was sent (or not) by a process that died before it could
//! record the outcome. On start the controller *parks* them per property (`meta` key
//! `recovered:<property>`, flushed) and resolves the journal. The property's next cycle then looks
//! at the fresh observation: a user that exists, or a membership that is there (or gone, for a
//! removal), was applied before the crash, and is audited once as `applied` with a reason that
//! says so; what did not land is simply planned again and audited when it is executed. An
//! action the dead process had already audited (it died between the audit append and resolving
//! the journal) is not audited twice.

use super::{Cycle, CycleError, SystemView};
use crate::model::Action;
use crate::store::{AuditFilter, Intent, Outcome as AuditOutcome, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

const REASON: &str =
    "sent before an abrupt stop; found applied by the first observation after restart";

fn key(property: &str) -> String {
    format!("recovered:{property}")
}

/// Parks unresolved intents for their properties' next cycles (merged with any parked earlier
/// and not yet confirmed), flushed before returning so the journal may then be resolved.
pub fn park(store: &Store, intents: &[Intent]) -> Result<(), StoreError> {
    let mut by_property: BTreeMap<&str, Vec<Intent>> = BTreeMap::new();
    for intent in intents {
        by_property
            .entry(intent.property.as_str())
            .or_default()
            .push(intent.clone());
    }
    for (property, new) in by_property {
        let mut parked: BTreeMap<u64, Intent> = store
            .meta()
            .get::<Vec<Intent>>(&key(property))?
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        parked.extend(new.into_iter().map(|i| (i.id, i)));
        let list: Vec<Intent> = parked.into_values().collect();
        store.meta().put(&key(property), &list)?;
    }
    store.flush()
}

impl Cycle<'_> {
    /// Audits as applied the parked actions of this property that the observations show
    /// landed. Actions of a system not observed this cycle stay parked for the next one.
    pub(super) async fn confirm_recovered(
        &self,
        views: &[SystemView<'_>],
    ) -> Result<(), CycleError> {
        let Some(parked) = self
            .store
            .meta()
            .get::<Vec<Intent>>(&key(self.property_id))?
        else {
            return Ok(());
        };
        let already = self.audited_since(&parked)?;
        let mut drafts = Vec::new();
        let mut later = Vec::new();
        for intent in parked {
            let Some(view) = views.iter().find(|v| v.name == intent.system) else {
                if self.property.access_systems.contains_key(&intent.system) {
                    later.push(intent);
                }
                continue;
            };
            let action = &intent.action;
            let seen = (
                action.person_id().to_string(),
                action.name().to_string(),
                action.object().to_string(),
            );
            if already.contains(&seen) || !Self::landed(view, action).await? {
                continue;
            }
            self.metrics
                .actions
                .with_label_values(&[view.name, action.name(), "applied"])
                .inc();
            drafts.push(self.action_draft(
                view.name,
                action,
                AuditOutcome::Applied,
                REASON.to_string(),
                intent.attempts.max(1),
                None,
            ));
        }
        self.audit(drafts)?;
        if later.is_empty() {
            self.store.meta().remove(&key(self.property_id))?;
        } else {
            self.store.meta().put(&key(self.property_id), &later)?;
        }
        Ok(())
    }

    /// Whether the observation (or, for a user it cannot see, a lookup) shows `action` applied.
    async fn landed(view: &SystemView<'_>, action: &Action) -> Result<bool, CycleError> {
        let actual = &view.actual;
        Ok(match action {
            Action::CreateUser { external_id, .. } => {
                actual.users.contains_key(external_id)
                    || view.system.find_user(external_id).await?.is_some()
            }
            Action::AddToGroup {
                external_id, group, ..
            } => actual
                .users
                .get(external_id)
                .is_some_and(|u| u.groups.contains_key(group)),
            Action::RemoveFromGroup {
                external_id,
                group,
                account,
                ..
            } => {
                let holder = match account {
                    None => actual.users.get(external_id),
                    Some(copy) => actual
                        .duplicates
                        .get(external_id)
                        .and_then(|cs| cs.iter().find(|c| &c.system_id == copy)),
                };
                !holder.is_some_and(|u| u.groups.contains_key(group))
            }
            // A window or a credential cannot be told applied from this observation; the plan
            // re-applies a window that differs, and credentials are listed per lost report.
            Action::SetWindow { .. } | Action::RevokeCredential { .. } => false,
            // A PIN whose issue was cut short was never delivered: the plan issues a fresh one.
            Action::IssuePin { .. } => false,
            // Issuing takes a key the user already holds, so issuing again is harmless.
            Action::IssueMobileKey { .. } => false,
            Action::RevokePin { external_id, .. } => actual
                .users
                .get(external_id)
                .is_none_or(|u| u.pin.is_none()),
        })
    }

    /// (person, action, object) of entries already audited as applied since the oldest parked
    /// intent was journaled: one scan of this property's recent log.
    fn audited_since(
        &self,
        parked: &[Intent],
    ) -> Result<BTreeSet<(String, String, String)>, CycleError> {
        let Some(from) = parked.iter().map(|i| i.created_at).min() else {
            return Ok(BTreeSet::new());
        };
        let filter = AuditFilter {
            from: Some(from),
            property: Some(self.property_id.to_string()),
            ..AuditFilter::default()
        };
        Ok(self
            .store
            .audit()
            .range(&filter)?
            .into_iter()
            .filter(|e| e.outcome == AuditOutcome::Applied)
            .map(|e| (e.person_id.unwrap_or_default(), e.action, e.object))
            .collect())
    }
}
