//! Carrying out what the gate let through, per access system, and recording every outcome: the
//! audit log, metrics, the grants lockstep owns, and the results of approved suggestions.

use super::{Cycle, CycleError, Decided, Report, SystemView};
use crate::executor::{Executor, Outcome};
use crate::model::{Action, Direction};
use crate::store::{GrantRecord, Outcome as AuditOutcome, StepResult, Suggestion, SuggestionState};
use std::collections::BTreeMap;

impl Cycle<'_> {
    /// Executes the automatic actions and the approved suggestions, system by system.
    pub(super) async fn execute(
        &self,
        views: &[SystemView<'_>],
        mut execute: BTreeMap<String, Vec<Action>>,
        approved: &[Suggestion],
        decided: &Decided,
        report: &mut Report,
    ) -> Result<(), CycleError> {
        let mut from_suggestion: BTreeMap<(String, Action), (usize, usize)> = BTreeMap::new();
        let mut approved = approved.to_vec();
        for (i, s) in approved.iter().enumerate() {
            for (j, step) in s.steps.iter().enumerate() {
                execute
                    .entry(step.system.clone())
                    .or_default()
                    .push(step.action.clone());
                from_suggestion.insert((step.system.clone(), step.action.clone()), (i, j));
            }
        }
        for v in views {
            let mut actions = execute.remove(v.name).unwrap_or_default();
            actions.sort();
            let mut outcomes: Vec<(Action, bool)> = Vec::new();
            let mut written = Vec::new();
            let mut record_error = None;
            let mut connector_failures = 0usize;
            let mut first_error = None;
            let key = match (&self.property.pins, self.sink) {
                (Some(rules), Some(_)) if rules.system == v.name => {
                    Some(self.store.pins().fingerprint_key()?)
                }
                _ => None,
            };
            let issuer = match (&self.property.pins, self.sink, &key) {
                (Some(rules), Some(sink), Some(key)) => Some(crate::issuer::PinIssuer {
                    property: self.property_id,
                    system: v.name,
                    sink,
                    key,
                    digits: rules.digits,
                    property_name: &self.property.name,
                    people: &v.desired.users,
                }),
                _ => None,
            };
            Executor {
                property: self.property_id,
                system_name: v.name,
                system: v.system,
                store: self.store,
                retry: self.retry,
                stop: self.stop,
                now: self.now,
                pins: issuer.as_ref(),
                notify: self.property.notify,
            }
            .apply(&actions, &v.actual, |chunk| {
                for o in chunk {
                    if let Err(e) = &o.result {
                        if crate::net::is_connector_failure(e.kind()) {
                            connector_failures += 1;
                            first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                    if let Some(&(i, j)) =
                        from_suggestion.get(&(v.name.to_string(), o.action.clone()))
                    {
                        approved[i].steps[j].result = Some(match &o.result {
                            Ok(()) => StepResult::Applied,
                            Err(e) => StepResult::Failed {
                                error: e.to_string(),
                            },
                        });
                    }
                }
                if let Err(e) = self.record_outcomes(v, chunk, decided, report) {
                    record_error.get_or_insert(e);
                }
                outcomes.extend(chunk.iter().map(|o| (o.action.clone(), o.result.is_ok())));
                written.extend(chunk.iter().map(crate::informer::Written::of));
            })
            .await;
            if let Some(informer) = self.informer {
                informer.confirm(v.name, &written).await;
            }
            if let Some(e) = record_error {
                return Err(e);
            }
            let applied = outcomes.iter().filter(|(_, ok)| *ok).count();
            let every_one_failed = connector_failures > 0 && applied == 0;
            if every_one_failed {
                let error = first_error.unwrap_or_default();
                report
                    .system_failures
                    .insert(v.name.to_string(), ("write".into(), error.clone()));
                self.record_health(v.name, Some(error));
            } else {
                self.record_health(v.name, None);
            }
            self.update_drift(v, &outcomes);
        }
        self.finish_suggestions(approved)
    }

    /// An approved suggestion executed whole is `executed`; one with a failed or unsent step is
    /// `failed`, with the reason of the first failure.
    fn finish_suggestions(&self, approved: Vec<Suggestion>) -> Result<(), CycleError> {
        let mut done = Vec::new();
        let mut drafts = Vec::new();
        for mut s in approved {
            let failure = s.steps.iter().find_map(|step| match &step.result {
                Some(StepResult::Applied) => None,
                Some(StepResult::Failed { error }) => Some(format!("{}: {error}", step.describe)),
                None => Some(format!(
                    "{}: not sent (shutting down); the next cycle retries",
                    step.describe
                )),
            });
            s.state = if failure.is_some() {
                SuggestionState::Failed
            } else {
                SuggestionState::Executed
            };
            let (action, outcome, reason) = match &failure {
                None => (
                    "suggestion_executed",
                    AuditOutcome::Applied,
                    s.reason.clone(),
                ),
                Some(why) => (
                    "suggestion_failed",
                    AuditOutcome::Failed,
                    s.reason.clone() + "; " + why,
                ),
            };
            let mut d = self.draft(action, outcome, reason);
            d.person_id = Some(s.person_id.clone());
            d.person_name = Some(s.name.clone());
            d.object = s.id.clone();
            d.error = failure.clone();
            drafts.push(d);
            s.error = failure;
            s.decided_at.get_or_insert(self.now);
            done.push(s);
        }
        self.store.suggestions().put_many(&done)?;
        self.audit(drafts)
    }

    fn record_outcomes(
        &self,
        v: &SystemView<'_>,
        outcomes: &[Outcome],
        decided: &Decided,
        report: &mut Report,
    ) -> Result<(), CycleError> {
        let mut drafts = Vec::with_capacity(outcomes.len());
        let (mut granted, mut forgotten) = (Vec::new(), Vec::new());
        for o in outcomes {
            let (result, error) = match &o.result {
                Ok(()) => ("applied", None),
                Err(e) => ("failed", Some(e.to_string())),
            };
            self.metrics
                .actions
                .with_label_values(&[v.name, o.action.name(), result])
                .inc();
            if o.result.is_ok() {
                report.applied += 1;
                if o.action.direction() == Direction::Revoke {
                    report.applied_revocations += 1;
                    self.note_revoked(v.name, &o.action, None, o.answered_at);
                }
                match &o.action {
                    Action::AddToGroup {
                        external_id, group, ..
                    } => granted.push((
                        external_id.clone(),
                        group.clone(),
                        GrantRecord {
                            property: self.property_id.to_string(),
                            at: self.now,
                            why: "granted".into(),
                        },
                    )),
                    Action::RemoveFromGroup {
                        external_id,
                        group,
                        account: None,
                        ..
                    } => forgotten.push((external_id.clone(), group.clone())),
                    _ => {}
                }
            } else {
                report.failed += 1;
                report.errors.push(format!(
                    "{}: {}: {}",
                    v.name,
                    o.action.describe(),
                    error.clone().unwrap_or_default()
                ));
            }
            let outcome = if o.result.is_ok() {
                AuditOutcome::Applied
            } else {
                AuditOutcome::Failed
            };
            let mut d = self.action_draft(
                v.name,
                &o.action,
                outcome,
                reason_for(v, &o.action, decided),
                o.attempts,
                error,
            );
            if let Some(p) = decided.people.get(o.action.external_id()) {
                d.person_name = Some(p.name.clone());
            }
            if let (Action::IssuePin { generation, .. }, Some(print)) =
                (&o.action, &o.pin_fingerprint)
            {
                d.object = crate::issuer::audit_object(*generation, print);
            }
            drafts.push(d);
        }
        self.store
            .grants()
            .apply(v.name, self.property_id, &granted, &forgotten)?;
        self.audit(drafts)?;
        Ok(())
    }

    fn update_drift(&self, v: &SystemView<'_>, outcomes: &[(Action, bool)]) {
        let mut remaining: BTreeMap<&'static str, i64> =
            crate::metrics::ACTIONS.iter().map(|a| (*a, 0)).collect();
        for action in &v.plan.actions {
            *remaining.entry(action.name()).or_default() += 1;
        }
        for (action, _) in outcomes.iter().filter(|(_, ok)| *ok) {
            *remaining.entry(action.name()).or_default() -= 1;
        }
        for (action, n) in remaining {
            self.metrics
                .drift
                .with_label_values(&[self.property_id, v.name, action])
                .set(n.max(0));
        }
    }
}

/// Why an action was taken, for the audit log: the person's change in words where the policy
/// knows it, else what the action itself implies.
fn reason_for(v: &SystemView<'_>, action: &Action, decided: &Decided) -> String {
    match action {
        Action::RemoveFromGroup { group, .. } if !v.desired.managed.contains(group) => {
            format!("{group:?} is no longer mapped by the property's config; lockstep's own grant pruned")
        }
        Action::RemoveFromGroup {
            account: Some(a), ..
        } => {
            format!("duplicate account {a} of the same person")
        }
        Action::RevokeCredential { .. } => "credential reported lost or stolen".into(),
        _ => match decided.people.get(action.external_id()) {
            Some(p) => p.reason.clone(),
            None if action.direction() == Direction::Revoke => {
                crate::policy::reason::unlisted(crate::model::source_of(action.external_id()))
            }
            None => "the source gives this access".into(),
        },
    }
}
