//! One cycle of one property: observe desired, observe actual, plan, guard, gate by mode,
//! execute, record (DESIGN §2). Cycles of one property never overlap (the controller holds the
//! property's lock around this).

use crate::access::{AccessSystem, Scope};
use crate::config::{Config, Mode, PropertyConfig, RevocationMode};
use crate::executor::{Executor, Outcome, RetryPolicy};
use crate::metrics::Metrics;
use crate::model::{Action, ActualState, DesiredState, Direction, Plan, Timestamp};
use crate::plan::{self, GuardVerdict};
use crate::policy::{self, ManualOverride, Mark};
use crate::source::{Source, SourceError};
use crate::store::{
    AuditDraft, Colour, Outcome as AuditOutcome, StatusMark, Store, Suggestion, SuggestionState,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

mod problems;
mod recovered;
pub use recovered::park as park_recovered;
mod signals;

/// Everything one cycle needs, borrowed from the controller for its duration.
pub struct Cycle<'a> {
    pub config: &'a Config,
    pub property_id: &'a str,
    pub property: &'a PropertyConfig,
    pub source: &'a Arc<dyn Source>,
    pub system: &'a Arc<dyn AccessSystem>,
    pub store: &'a Store,
    pub metrics: &'a Metrics,
    pub stop: &'a AtomicBool,
    pub now: Timestamp,
    /// An operator released the guard for this cycle.
    pub guard_released: bool,
    /// Compute and report only: no store writes of suggestions, no execution.
    pub dry_run: bool,
    pub retry: RetryPolicy,
}

/// What one cycle saw and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub property: String,
    pub skipped: Option<String>,
    pub desired_users: usize,
    pub drift: usize,
    pub applied: usize,
    pub applied_revocations: usize,
    pub failed: usize,
    /// Failures that point at the access system itself (auth, transport, server, throttling).
    pub connector_failures: usize,
    pub suggested: usize,
    pub withdrawn: usize,
    pub held: usize,
    pub pending_suggestions: usize,
    pub waiting_activation: usize,
    pub guard: Option<GuardVerdict>,
    pub problems: Vec<String>,
    pub plan: Plan,
    pub errors: Vec<String>,
}

/// A plan split by the mode gate and the guard.
struct Gated {
    execute: Vec<Action>,
    suggest: Vec<Action>,
    held: Vec<Action>,
}

/// Why a cycle could not complete; the property keeps its current access.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl CycleError {
    pub fn kind(&self) -> &'static str {
        match self {
            CycleError::Source(e) => e.kind(),
            CycleError::Access(e) => e.kind(),
            CycleError::Store(_) => "store",
        }
    }
}

impl Cycle<'_> {
    /// Runs the cycle. A source failure returns `Err(Source)`: the caller counts it `skipped`.
    pub async fn run(&self) -> Result<Report, CycleError> {
        let mut report = Report {
            property: self.property_id.to_string(),
            ..Report::default()
        };
        let desired = self.observe_desired(&mut report).await?;
        let actual = self.observe_actual(&desired).await?;
        let caps = self.system.capabilities();
        let plan = plan::plan(&desired, &actual, &caps);
        report.problems.extend(plan.problems.iter().cloned());
        let verdict = plan::guard(
            &plan,
            &self.property.max_revocations,
            actual.grant_count(&desired.managed),
            self.guard_released,
        );
        report.guard = Some(verdict);
        report.drift = plan.actions.len();
        report.plan = plan.clone();
        if self.dry_run {
            return Ok(report);
        }
        self.note_planned(&plan);
        self.confirm_recovered(&actual).await?;
        let fingerprints = fingerprints(&desired);
        let Gated {
            execute,
            suggest,
            held,
        } = self.gate(&plan, &verdict)?;
        report.held = held.len();
        self.record_guard(&verdict, held.len())?;
        self.sync_suggestions(&suggest, &fingerprints, &mut report)?;
        self.note_awaiting(&suggest)?;
        let mut outcomes = Vec::new();
        let mut record_error = None;
        Executor {
            property: self.property_id,
            system_name: &self.property.access_system,
            system: self.system,
            store: self.store,
            retry: self.retry,
            stop: self.stop,
            now: self.now,
        }
        .apply(&execute, &actual, |chunk| {
            if let Err(e) = self.record_outcomes(chunk, &mut report) {
                record_error.get_or_insert(e);
            }
            outcomes.extend(chunk.iter().map(|o| (o.action.clone(), o.result.is_ok())));
        })
        .await;
        if let Some(e) = record_error {
            return Err(e);
        }
        self.update_drift(&plan, &outcomes);
        report.pending_suggestions = self.store.suggestions().count_pending(self.property_id)?;
        Ok(report)
    }

    async fn observe_desired(&self, report: &mut Report) -> Result<DesiredState, CycleError> {
        let snapshot = self.source.fetch(&self.property.source_property_id).await?;
        crate::gate::check_complete(self, &snapshot)?;
        let held = snapshot.held_people();
        self.record_problems(&snapshot.problems, report)?;
        let overrides: BTreeMap<String, ManualOverride> = self
            .store
            .overrides()
            .list(Some(self.property_id))?
            .into_iter()
            .map(|o| {
                (
                    o.person_id.clone(),
                    ManualOverride {
                        force_status: o.force_status,
                        add_groups: o.add_groups,
                        remove_groups: o.remove_groups,
                    },
                )
            })
            .collect();
        let saved_marks = self.store.tracker().load(self.property_id)?;
        let marks: BTreeMap<String, Mark> = saved_marks
            .clone()
            .into_iter()
            .map(|(person, m)| {
                (
                    person,
                    Mark {
                        status: m.status,
                        since: m.since,
                    },
                )
            })
            .collect();
        let lost = self.store.lost().for_property(self.property_id)?;
        let out = policy::desired(&policy::Input {
            property: self.property,
            source: &self.property.source,
            people: &snapshot.people,
            overrides: &overrides,
            marks: &marks,
            lost: &lost,
            held: &held,
            now: self.now,
        });
        if !self.dry_run {
            // A held person keeps the unit lockstep last knew for them.
            let units: BTreeMap<&str, Option<String>> = saved_marks
                .iter()
                .filter(|(person, _)| held.contains(*person))
                .map(|(person, m)| (person.as_str(), m.unit.clone()))
                .chain(
                    snapshot
                        .people
                        .iter()
                        .map(|p| (p.id.as_str(), p.unit.clone())),
                )
                .collect();
            let saved = out
                .marks
                .iter()
                .map(|(person, m)| {
                    (
                        person.clone(),
                        StatusMark {
                            status: m.status,
                            unit: units.get(person.as_str()).cloned().flatten(),
                            since: m.since,
                        },
                    )
                })
                .collect();
            self.store.tracker().save(self.property_id, &saved)?;
            crate::gate::remember_good_feed(self, &snapshot)?;
        }
        report.desired_users = out.desired.users.len();
        report.waiting_activation = out.waiting;
        report.problems.extend(out.problems);
        Ok(out.desired)
    }

    async fn observe_actual(&self, desired: &DesiredState) -> Result<ActualState, CycleError> {
        let mut actual = self
            .system
            .observe(&Scope {
                managed: desired.managed.clone(),
                wanted: desired
                    .users
                    .values()
                    .flat_map(|u| u.groups.keys().cloned())
                    .collect(),
            })
            .await?;
        // Credentials cost a request per user, so they are read only for people with a lost mark.
        let wanted: Vec<String> = desired
            .users
            .iter()
            .filter(|(_, u)| !u.revoked_credentials.is_empty())
            .map(|(ext, _)| ext.clone())
            .collect();
        if self.system.capabilities().credentials {
            for ext in wanted {
                if let Some(user) = actual.users.get_mut(&ext) {
                    user.credentials = self.system.list_credentials(&user.system_id).await?;
                }
            }
        }
        Ok(actual)
    }

    /// Splits a plan into what executes now, what becomes a suggestion and what the guard holds.
    fn gate(&self, plan: &Plan, verdict: &GuardVerdict) -> Result<Gated, CycleError> {
        let approved: BTreeSet<String> = self
            .store
            .suggestions()
            .list(Some(self.property_id), Some(SuggestionState::Approved))?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let (mut execute, mut suggest, mut held) = (Vec::new(), Vec::new(), Vec::new());
        for action in &plan.actions {
            let security_event = matches!(action, Action::RevokeCredential { .. })
                && self.config.lost_credential.immediate;
            let revoke = action.direction() == Direction::Revoke;
            if revoke && verdict.tripped && !security_event {
                held.push(action.clone());
                continue;
            }
            let id =
                crate::store::suggestion_id(self.property_id, &self.property.access_system, action);
            let automatic = self.property.mode == Mode::Automatic
                || (revoke && self.property.revocations == RevocationMode::AlwaysAutomatic)
                || security_event
                || approved.contains(&id);
            if automatic {
                execute.push(action.clone());
            } else {
                suggest.push(action.clone());
            }
        }
        Ok(Gated {
            execute,
            suggest,
            held,
        })
    }

    fn record_guard(&self, verdict: &GuardVerdict, held: usize) -> Result<(), CycleError> {
        self.metrics
            .guard_tripped
            .with_label_values(&[self.property_id])
            .set(i64::from(verdict.tripped));
        let key = format!("guard:{}", self.property_id);
        let was: bool = self.store.meta().get(&key)?.unwrap_or(false);
        if verdict.tripped != was {
            self.store.meta().put(&key, &verdict.tripped)?;
            let (action, reason) = if verdict.tripped {
                ("guard_tripped", format!("{} revocations planned, at most {} allowed; {held} held until released or the source is fixed", verdict.revocations, verdict.allowed))
            } else {
                (
                    "guard_cleared",
                    "revocations back within the limit".to_string(),
                )
            };
            let mut draft = self.draft(action, AuditOutcome::Held, reason);
            if !verdict.tripped {
                draft.outcome = AuditOutcome::Recorded;
            }
            self.audit(vec![draft])?;
        }
        Ok(())
    }

    /// Stores new suggestions, keeps existing ones, withdraws those whose reason disappeared.
    fn sync_suggestions(
        &self,
        suggest: &[Action],
        fingerprints: &BTreeMap<String, String>,
        report: &mut Report,
    ) -> Result<(), CycleError> {
        let system = &self.property.access_system;
        let existing: BTreeMap<String, Suggestion> = self
            .store
            .suggestions()
            .list(Some(self.property_id), None)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut wanted = BTreeSet::new();
        let (mut put, mut drafts) = (Vec::new(), Vec::new());
        for action in suggest {
            let id = crate::store::suggestion_id(self.property_id, system, action);
            let fingerprint = fingerprints
                .get(action.external_id())
                .cloned()
                .unwrap_or_default();
            wanted.insert(id.clone());
            match existing.get(&id) {
                Some(s) if s.state == SuggestionState::Pending => continue,
                Some(s)
                    if s.state == SuggestionState::Discarded && s.fingerprint == fingerprint =>
                {
                    continue
                }
                _ => {}
            }
            let reason = reason_for(action);
            put.push(Suggestion {
                id,
                property: self.property_id.to_string(),
                system: system.clone(),
                action: action.clone(),
                colour: colour_of(action),
                reason: reason.clone(),
                fingerprint,
                created_at: self.now,
                state: SuggestionState::Pending,
                decided_by: None,
                decided_at: None,
                error: None,
            });
            drafts.push(self.action_draft(action, AuditOutcome::Suggested, reason, 0, None));
        }
        for (id, s) in &existing {
            if s.state == SuggestionState::Pending && !wanted.contains(id) {
                self.store.suggestions().remove(id)?;
                drafts.push(self.action_draft(
                    &s.action,
                    AuditOutcome::Withdrawn,
                    "the reason for this suggestion disappeared".into(),
                    0,
                    None,
                ));
                report.withdrawn += 1;
            }
        }
        report.suggested = put.len();
        self.store.suggestions().put_many(&put)?;
        self.audit(drafts)?;
        Ok(())
    }

    fn record_outcomes(&self, outcomes: &[Outcome], report: &mut Report) -> Result<(), CycleError> {
        let system = &self.property.access_system;
        let mut drafts = Vec::with_capacity(outcomes.len());
        let mut executed = Vec::new();
        for o in outcomes {
            let (result, error) = match &o.result {
                Ok(()) => ("applied", None),
                Err(e) => ("failed", Some(e.to_string())),
            };
            self.metrics
                .actions
                .with_label_values(&[system, o.action.name(), result])
                .inc();
            if o.result.is_ok() {
                report.applied += 1;
                if o.action.direction() == Direction::Revoke {
                    report.applied_revocations += 1;
                }
            } else {
                report.failed += 1;
                if o.result
                    .as_ref()
                    .err()
                    .is_some_and(|e| crate::net::is_connector_failure(e.kind()))
                {
                    report.connector_failures += 1;
                }
                report.errors.push(format!(
                    "{}: {}",
                    o.action.describe(),
                    error.clone().unwrap_or_default()
                ));
            }
            let outcome = if o.result.is_ok() {
                AuditOutcome::Applied
            } else {
                AuditOutcome::Failed
            };
            drafts.push(self.action_draft(
                &o.action,
                outcome,
                reason_for(&o.action),
                o.attempts,
                error.clone(),
            ));
            let id = crate::store::suggestion_id(self.property_id, system, &o.action);
            let suggestion = self.store.suggestions().get(&id)?;
            if o.result.is_ok() {
                self.note_revoked(&o.action, suggestion.as_ref(), o.answered_at);
            }
            if let Some(mut s) = suggestion {
                s.state = if o.result.is_ok() {
                    SuggestionState::Executed
                } else {
                    SuggestionState::Failed
                };
                s.error = error;
                executed.push(s);
            }
        }
        self.store.suggestions().put_many(&executed)?;
        self.audit(drafts)?;
        Ok(())
    }

    fn update_drift(&self, plan: &Plan, outcomes: &[(Action, bool)]) {
        let mut remaining: BTreeMap<&'static str, i64> = [
            "add_to_group",
            "remove_from_group",
            "create_user",
            "revoke_credential",
            "set_window",
        ]
        .into_iter()
        .map(|a| (a, 0))
        .collect();
        for action in &plan.actions {
            *remaining.entry(action.name()).or_default() += 1;
        }
        for (action, _) in outcomes.iter().filter(|(_, ok)| *ok) {
            *remaining.entry(action.name()).or_default() -= 1;
        }
        for (action, n) in remaining {
            self.metrics
                .drift
                .with_label_values(&[self.property_id, &self.property.access_system, action])
                .set(n.max(0));
        }
    }

    fn draft(&self, action: &str, outcome: AuditOutcome, reason: String) -> AuditDraft {
        AuditDraft {
            time: self.now,
            portfolio: self.config.portfolio.clone(),
            property: Some(self.property_id.to_string()),
            person_id: None,
            person_name: None,
            system: Some(self.property.access_system.clone()),
            action: action.to_string(),
            object: String::new(),
            reason,
            actor: "controller".into(),
            mode: Some(mode_label(self.property).into()),
            outcome,
            attempts: 0,
            error: None,
        }
    }

    fn action_draft(
        &self,
        action: &Action,
        outcome: AuditOutcome,
        reason: String,
        attempts: u32,
        error: Option<String>,
    ) -> AuditDraft {
        let mut d = self.draft(action.name(), outcome, reason);
        d.person_id = Some(action.person_id().to_string());
        if let Action::CreateUser { name, .. } = action {
            d.person_name = Some(name.clone());
        }
        d.object = action.object().to_string();
        d.attempts = attempts;
        d.error = error;
        d
    }

    pub(crate) fn audit(&self, drafts: Vec<AuditDraft>) -> Result<(), CycleError> {
        if drafts.is_empty() {
            return Ok(());
        }
        let entries = self.store.audit().append(drafts)?;
        for e in &entries {
            self.metrics
                .audit_entries
                .with_label_values(&[&e.action])
                .inc();
        }
        Ok(())
    }
}

pub fn mode_label(property: &PropertyConfig) -> &'static str {
    match (property.mode, property.revocations) {
        (Mode::Automatic, _) => "automatic",
        (Mode::ApprovalRequired, RevocationMode::AlwaysAutomatic) => {
            "approval_required+revocations_automatic"
        }
        (Mode::ApprovalRequired, RevocationMode::WithMode) => "approval_required",
    }
}

/// Green grants, red revocations, grey for changes that neither give nor take access.
pub fn colour_of(action: &Action) -> Colour {
    match action {
        Action::RemoveFromGroup { .. } | Action::RevokeCredential { .. } => Colour::Red,
        Action::AddToGroup { .. } => Colour::Green,
        Action::CreateUser { .. } | Action::SetWindow { .. } => Colour::Grey,
    }
}

fn reason_for(action: &Action) -> String {
    match action {
        Action::RemoveFromGroup { group, .. } => {
            format!("source no longer gives access to {group:?}")
        }
        Action::RevokeCredential { .. } => "credential reported lost or stolen".into(),
        Action::CreateUser { .. } => "person needs access and has no user yet".into(),
        Action::AddToGroup { group, .. } => format!("source gives access to {group:?}"),
        Action::SetWindow { group, .. } => format!("validity of {group:?} changed in the source"),
    }
}

/// A short hash of each desired user's grants: a discarded suggestion stays discarded until it
/// changes. People with no desired access share the fingerprint `none`.
fn fingerprints(desired: &DesiredState) -> BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    desired
        .users
        .iter()
        .map(|(ext, u)| {
            let text =
                serde_json::to_string(&(&u.groups, &u.revoked_credentials)).unwrap_or_default();
            (
                ext.clone(),
                hex::encode(&Sha256::digest(text.as_bytes())[..8]),
            )
        })
        .collect()
}
