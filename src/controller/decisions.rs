//! What managers and operators decide through the API and CLI: approvals and discards of
//! per-person suggestions, guard releases, overrides and lost-credential reports. Each is
//! audited; each that changes access does so through a property cycle.

use super::{describe_override, event, lock, now, Controller, RequestError, MAX_APPROVALS};
use crate::policy::ManualOverride;
use crate::reconcile::Report;
use crate::store::{Outcome as AuditOutcome, Override, Suggestion, SuggestionState};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What became of one approved suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalResult {
    pub person: String,
    pub name: String,
    /// `executed`, `failed`, `replaced`, `withdrawn` or `approved` (not carried out yet).
    pub state: String,
    /// Why it failed or was not carried out, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl Controller {
    /// Approves up to `MAX_APPROVALS` pending suggestions; each affected property then runs a
    /// cycle, which re-observes and carries out each approved person's change whole, if it is
    /// still the change the person needs (otherwise it is replaced by a new suggestion).
    pub async fn approve(
        &self,
        ids: &[String],
        actor: &str,
    ) -> Result<BTreeMap<String, ApprovalResult>, RequestError> {
        let decided = self.decide(ids, actor, SuggestionState::Approved)?;
        let properties: BTreeSet<String> = decided.iter().map(|s| s.property.clone()).collect();
        for property in &properties {
            self.reconcile(property, false).await?;
        }
        let mut out = BTreeMap::new();
        for s in &decided {
            let now = self.store.suggestions().get(&s.id)?;
            let result = match now {
                Some(n) => ApprovalResult {
                    person: n.person.clone(),
                    name: n.name.clone(),
                    state: n.state.as_str().to_string(),
                    error: match n.state {
                        SuggestionState::Approved => Some(
                            "not carried out yet: an access system of the property could not be observed; it runs on the next cycle that sees them all".into(),
                        ),
                        _ => n.error.clone(),
                    },
                    replaced_by: n.replaced_by.clone(),
                },
                None => ApprovalResult {
                    person: s.person.clone(),
                    name: s.name.clone(),
                    state: "withdrawn".into(),
                    error: Some("no longer needed after a fresh observation".into()),
                    replaced_by: None,
                },
            };
            out.insert(s.id.clone(), result);
        }
        Ok(out)
    }

    pub fn discard(&self, ids: &[String], actor: &str) -> Result<usize, RequestError> {
        Ok(self.decide(ids, actor, SuggestionState::Discarded)?.len())
    }

    /// Validates a decision on a list of ids (repeated ids count once) and records it.
    fn decide(
        &self,
        ids: &[String],
        actor: &str,
        to: SuggestionState,
    ) -> Result<Vec<Suggestion>, RequestError> {
        let unique: BTreeSet<&String> = ids.iter().collect();
        if unique.is_empty() {
            return Err(RequestError::Invalid(
                "ids: give at least one suggestion id".into(),
            ));
        }
        if unique.len() > MAX_APPROVALS {
            return Err(RequestError::Invalid(format!(
                "ids: {} suggestions given; at most {MAX_APPROVALS} may be decided at once",
                unique.len()
            )));
        }
        let mut found = Vec::new();
        for id in unique {
            match self.store.suggestions().get(id)? {
                Some(s) if s.state == SuggestionState::Pending => found.push(s),
                Some(s) => {
                    return Err(RequestError::Invalid(format!(
                        "suggestion {id} is {}, not pending",
                        s.state.as_str()
                    )))
                }
                None => {
                    return Err(RequestError::NotFound(format!(
                        "no suggestion with id {id:?}"
                    )))
                }
            }
        }
        let config = self.config();
        let now = now();
        let mut drafts = Vec::new();
        for s in &mut found {
            s.state = to;
            s.decided_by = Some(actor.to_string());
            s.decided_at = Some(now);
            let (action, outcome) = match to {
                SuggestionState::Approved => ("suggestion_approved", AuditOutcome::Approved),
                _ => ("suggestion_discarded", AuditOutcome::Discarded),
            };
            let steps: Vec<String> = s
                .steps
                .iter()
                .map(|st| format!("{}: {}", st.system, st.describe))
                .collect();
            let mut d = event(
                &config.portfolio,
                Some(&s.property),
                action,
                actor,
                outcome,
                &format!("{} ({})", s.reason, steps.join("; ")),
                now,
            );
            d.person_id = Some(s.person_id.clone());
            d.person_name = Some(s.name.clone());
            d.object = s.id.clone();
            drafts.push(d);
        }
        self.store.suggestions().put_many(&found)?;
        self.audit(drafts);
        Ok(found)
    }

    /// Refuses a person the property's sources have not listed (as of the last cycle that read
    /// them). Before any cycle has read them nobody is known yet, and nobody is refused.
    pub(super) fn known_person(&self, property: &str, person: &str) -> Result<(), RequestError> {
        let marks = self.store.tracker().load(property)?;
        let suffix = format!(":{person}");
        if marks.is_empty()
            || marks
                .keys()
                .any(|ext| ext.starts_with("lockstep:") && ext.ends_with(&suffix))
        {
            return Ok(());
        }
        Err(RequestError::NotFound(format!(
            "no person {person:?} in property {property:?} (as its sources last listed it)"
        )))
    }

    /// Lets the next cycle of a property carry its held revocations (and accept an empty feed).
    pub fn release_guard(&self, property: &str, actor: &str) -> Result<(), RequestError> {
        let config = self.config();
        if !config.properties.contains_key(property) {
            return Err(RequestError::NotFound(format!(
                "no property named {property:?}"
            )));
        }
        lock(&self.releases).insert(property.to_string());
        self.audit(vec![event(
            &config.portfolio,
            Some(property),
            "guard_released",
            actor,
            AuditOutcome::Recorded,
            "operator released the blast-radius guard for one cycle",
            now(),
        )]);
        Ok(())
    }

    pub fn set_override(
        &self,
        property: &str,
        person: &str,
        manual: ManualOverride,
        note: Option<String>,
        actor: &str,
    ) -> Result<Override, RequestError> {
        let ManualOverride {
            force_status,
            add_groups: add,
            remove_groups: remove,
        } = manual;
        let config = self.config();
        let p = config
            .properties
            .get(property)
            .ok_or_else(|| RequestError::NotFound(format!("no property named {property:?}")))?;
        if force_status.is_none() && add.is_empty() && remove.is_empty() {
            return Err(RequestError::Invalid(
                "override: nothing to change; give a status to force, groups to add or groups to remove (to undo an override, clear it)".into(),
            ));
        }
        self.known_person(property, person)?;
        let managed = crate::policy::managed_groups(p);
        if let Some(g) = add
            .iter()
            .chain(remove.iter())
            .find(|g| !managed.contains(g) || p.system_of(g).is_none())
        {
            return Err(RequestError::Invalid(format!("group {g:?} is not managed by property {property}; overrides may only use groups its config maps to one of its access systems")));
        }
        let o = Override {
            property: property.into(),
            person_id: person.into(),
            force_status,
            add_groups: add,
            remove_groups: remove,
            set_by: actor.into(),
            set_at: now(),
            note,
        };
        self.store.overrides().put(&o)?;
        let mut d = event(
            &config.portfolio,
            Some(property),
            "override_set",
            actor,
            AuditOutcome::Recorded,
            &describe_override(&o),
            now(),
        );
        d.person_id = Some(person.into());
        self.audit(vec![d]);
        Ok(o)
    }

    pub fn clear_override(
        &self,
        property: &str,
        person: &str,
        actor: &str,
    ) -> Result<bool, RequestError> {
        let cleared = self.store.overrides().clear(property, person)?.is_some();
        if cleared {
            let mut d = event(
                &self.config().portfolio,
                Some(property),
                "override_cleared",
                actor,
                AuditOutcome::Recorded,
                "override cleared",
                now(),
            );
            d.person_id = Some(person.into());
            self.audit(vec![d]);
        }
        Ok(cleared)
    }

    /// Records a lost or stolen credential and revokes it at once through a cycle; later cycles
    /// keep it revoked. `credential` `pin` is the person's PIN: cleared, or with `replace`
    /// overwritten by a fresh PIN delivered through the notification sink.
    pub async fn lost_credential(
        &self,
        property: &str,
        person: &str,
        credential: Option<&str>,
        replace: bool,
        actor: &str,
    ) -> Result<Report, RequestError> {
        let config = self.config();
        let Some(p) = config.properties.get(property) else {
            return Err(RequestError::NotFound(format!(
                "no property named {property:?}"
            )));
        };
        let pin = credential == Some(crate::policy::pins::PIN_CREDENTIAL);
        if replace && !pin {
            return Err(RequestError::Invalid(
                "replace applies to the PIN only (credential \"pin\"): a mobile key lockstep issued is replaced without it, a card is re-issued in the access system".into(),
            ));
        }
        if pin && p.pins.is_none() {
            return Err(RequestError::Invalid(format!(
                "property {property} issues no PINs (it has no pins: section); a PIN set by hand is changed in the access system"
            )));
        }
        self.known_person(property, person)?;
        if replace {
            self.record_pin_replacement(property, person, actor)?;
        } else {
            self.record_lost(property, person, credential.unwrap_or("*"), actor)?;
        }
        self.reconcile(property, false).await
    }

    /// Records that a person's PIN was lost and is to be replaced (flushed) and audits it; the
    /// next cycle of the property issues the next generation.
    fn record_pin_replacement(
        &self,
        property: &str,
        person: &str,
        actor: &str,
    ) -> Result<(), crate::store::StoreError> {
        let at = now();
        let id = self.store.lost().replace_pin(property, person, actor, at)?;
        self.audit_lost(
            property,
            person,
            actor,
            id,
            "PIN reported lost; a new one replaces it",
            at,
        );
        Ok(())
    }

    /// Records a lost or stolen credential (flushed) and audits it; the next cycle of the
    /// property revokes it. The one store path for the API, the CLI, the console and signed
    /// `credential.lost` events.
    pub fn record_lost(
        &self,
        property: &str,
        person: &str,
        credential: &str,
        actor: &str,
    ) -> Result<(), crate::store::StoreError> {
        let config = self.config();
        let at = now();
        if credential == "*" {
            // Every credential: the mobile key lockstep issued is named by its id, so that the
            // plan revokes exactly that one and the fresh key issued after it is not lost too.
            for id in self.recorded_keys(&config, property, person)? {
                self.store.lost().add(property, person, &id, actor, at)?;
            }
        }
        self.store
            .lost()
            .add(property, person, credential, actor, at)?;
        self.audit_lost(
            property,
            person,
            actor,
            credential.into(),
            "credential reported lost or stolen",
            at,
        );
        Ok(())
    }

    /// The audit entry of a loss report: `object` is the credential (or PIN replacement) id.
    fn audit_lost(
        &self,
        property: &str,
        person: &str,
        actor: &str,
        object: String,
        reason: &str,
        at: crate::model::Timestamp,
    ) {
        let mut d = event(
            &self.config().portfolio,
            Some(property),
            "lost_credential",
            actor,
            AuditOutcome::Recorded,
            reason,
            at,
        );
        d.person_id = Some(person.into());
        d.object = object;
        self.audit(vec![d]);
    }

    /// The ids of the mobile keys lockstep issued to `person` at `property` (none when the
    /// property issues none).
    fn recorded_keys(
        &self,
        config: &crate::config::Config,
        property: &str,
        person: &str,
    ) -> Result<Vec<String>, crate::store::StoreError> {
        let Some(rules) = config
            .properties
            .get(property)
            .and_then(|p| p.mobile_keys.as_ref())
        else {
            return Ok(Vec::new());
        };
        let keys = self.store.mobile_keys().of(property, &rules.system)?;
        Ok(keys
            .into_iter()
            .filter(|(ext, _)| crate::plan::person_id_of(ext) == person)
            .map(|(_, key)| key.credential_id)
            .collect())
    }
}
