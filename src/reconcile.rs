//! One cycle of one property: read every source, decide, observe every access system, plan,
//! guard, gate by mode, execute, record (DESIGN §2). Cycles of one property never overlap (the
//! controller holds the property's lock around this).
//!
//! A property reads one or more sources and writes one or more access systems. A source that
//! fails or looks short holds only the people it made (`DesiredState::held_sources`); an access
//! system that fails skips only its own plan. The guard counts the whole property.

use crate::access::AccessSystem;
use crate::config::{Config, PropertyConfig};
use crate::executor::RetryPolicy;
use crate::metrics::Metrics;
use crate::model::{Action, ActualState, DesiredState, Plan, Timestamp};
use crate::plan::{self, GuardVerdict};
use crate::policy::PersonInfo;
use crate::source::{Source, SourceError};
use crate::store::{AuditDraft, Outcome as AuditOutcome, Store};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

mod apply;
mod desired;
mod look;
mod observe;
mod problems;
mod recovered;
mod signals;
mod suggest;

pub use look::{Look, SystemLook};
pub use recovered::park as park_recovered;
pub use suggest::person_suggestions;

/// Everything one cycle needs, borrowed from the controller for its duration.
pub struct Cycle<'a> {
    pub config: &'a Config,
    pub property_id: &'a str,
    pub property: &'a PropertyConfig,
    /// The property's sources and access systems, by configured name.
    pub sources: BTreeMap<&'a str, &'a Arc<dyn Source>>,
    pub systems: BTreeMap<&'a str, &'a Arc<dyn AccessSystem>>,
    /// Connectors in quarantine: their sources count as failed, their systems are skipped.
    pub quarantined: BTreeMap<String, String>,
    /// The shared observations; `None` observes afresh (the `plan` command's dry run). A look
    /// (`look.rs`) is a dry run that reads through them.
    pub informer: Option<&'a crate::informer::Informer>,
    /// Per access system, the managed groups of every property on it (the shared scope).
    pub scopes: BTreeMap<String, crate::model::ManagedGroups>,
    pub store: &'a Store,
    pub metrics: &'a Metrics,
    pub health: &'a crate::health::Health,
    pub stop: &'a AtomicBool,
    pub now: Timestamp,
    /// An operator released the guard for this cycle.
    pub guard_released: bool,
    /// Compute and report only: no store writes of suggestions, no execution.
    pub dry_run: bool,
    pub retry: RetryPolicy,
    /// Where issued PINs are delivered; `None` without a `notifications` section.
    pub sink: Option<&'a crate::deliver::Sink>,
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
    pub suggested: usize,
    pub withdrawn: usize,
    pub held: usize,
    pub pending_suggestions: usize,
    pub waiting_activation: usize,
    /// When the property's desired state next changes by the clock alone (a window edge, an
    /// activation delay running out): the event loop wakes it then.
    pub next_due: Option<crate::model::Timestamp>,
    pub guard: Option<GuardVerdict>,
    pub problems: Vec<String>,
    /// Each access system's plan, by configured name.
    pub plans: BTreeMap<String, Plan>,
    pub errors: Vec<String>,
    /// Sources that failed this cycle: name → (error kind, message). Their people were held.
    pub source_failures: BTreeMap<String, (String, String)>,
    /// Access systems that failed: name → (error kind, message). Failures of single actions
    /// count here only when every action sent to the system failed for a connector reason.
    pub system_failures: BTreeMap<String, (String, String)>,
}

impl Report {
    /// Every planned action with the access system it goes to.
    pub fn actions(&self) -> impl Iterator<Item = (&str, &Action)> {
        self.plans
            .iter()
            .flat_map(|(s, p)| p.actions.iter().map(move |a| (s.as_str(), a)))
    }

    pub fn planned_revocations(&self) -> usize {
        self.plans.values().map(|p| p.revocations().count()).sum()
    }
}

/// Why a cycle could not run at all; the property keeps its current access.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Unavailable(String),
}

impl CycleError {
    pub fn kind(&self) -> &'static str {
        match self {
            CycleError::Source(e) => e.kind(),
            CycleError::Access(e) => e.kind(),
            CycleError::Store(_) => "store",
            CycleError::Unavailable(_) => "unavailable",
        }
    }
}

/// What the policy decided for the whole property, and who the people are.
pub(crate) struct Decided {
    pub desired: DesiredState,
    pub people: BTreeMap<String, PersonInfo>,
    /// Unit per external id as last known (for people nobody lists any more).
    pub last_units: BTreeMap<String, Option<String>>,
}

/// One access system as this cycle sees it.
pub(crate) struct SystemView<'a> {
    pub name: &'a str,
    pub system: &'a Arc<dyn AccessSystem>,
    pub desired: DesiredState,
    pub actual: ActualState,
    pub plan: Plan,
}

impl Cycle<'_> {
    /// Runs the cycle. Every source failing returns `Err(Source)` and every access system
    /// failing `Err(Access)`: the caller counts the cycle skipped.
    pub async fn run(&self) -> Result<Report, CycleError> {
        let mut report = Report {
            property: self.property_id.to_string(),
            ..Report::default()
        };
        let decided = self.decide(&mut report).await?;
        let mut views = self.observe_all(&decided.desired, &mut report).await?;
        let grants_before: usize = views
            .iter()
            .map(|v| v.actual.grant_count(&v.desired.managed))
            .sum();
        self.plan_all(&mut views, &mut report);
        self.record_duplicates(&views)?;
        // Expirations lockstep knew of (an end date, a booking, a visit) are not accidents.
        let revocations: usize = views
            .iter()
            .map(|v| {
                v.plan
                    .revocations()
                    .filter(|a| !v.desired.expires(a))
                    .count()
            })
            .sum();
        let verdict = plan::guard_count(
            revocations,
            &self.property.max_revocations,
            grants_before,
            self.guard_released,
        );
        report.guard = Some(verdict);
        report.drift = report.plans.values().map(|p| p.actions.len()).sum();
        if self.dry_run {
            return Ok(report);
        }
        self.note_planned(&views);
        self.confirm_recovered(&views).await?;
        let gated = self.gate(&views, &verdict)?;
        report.held = gated.held;
        self.record_guard(&verdict, gated.held)?;
        let approved = self.sync_suggestions(&gated.suggest, &decided, &views, &mut report)?;
        self.note_awaiting(&gated.suggest)?;
        self.execute(&views, gated.execute, &approved, &decided, &mut report)
            .await?;
        report.pending_suggestions = self.store.suggestions().count_pending(self.property_id)?;
        if report.source_failures.len() + report.system_failures.len() > 0 {
            report.errors.extend(
                report
                    .source_failures
                    .values()
                    .chain(report.system_failures.values())
                    .map(|(_, m)| m.clone()),
            );
        }
        Ok(report)
    }

    /// Plans every observed system, recording each plan and its problems in the report.
    fn plan_all(&self, views: &mut [SystemView<'_>], report: &mut Report) {
        for v in views {
            v.plan = plan::plan(&v.desired, &v.actual, &v.system.capabilities());
            report
                .problems
                .extend(v.plan.problems.iter().map(|p| format!("{}: {p}", v.name)));
            report.plans.insert(v.name.to_string(), v.plan.clone());
        }
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
            let (action, outcome, reason) = if verdict.tripped {
                ("guard_tripped", AuditOutcome::Held, format!("{} revocations planned, at most {} allowed; {held} held until released or the source is fixed", verdict.revocations, verdict.allowed))
            } else {
                (
                    "guard_cleared",
                    AuditOutcome::Recorded,
                    format!(
                        "revocations back within the limit ({} planned, {} allowed); nothing held",
                        verdict.revocations, verdict.allowed
                    ),
                )
            };
            self.audit(vec![self.draft(action, outcome, reason)])?;
        }
        Ok(())
    }

    /// Feeds quarantine: `Some(error)` counts a failure of the connector itself, `None` a
    /// success that releases it.
    pub(crate) fn record_health(&self, name: &str, failure: Option<String>) {
        if self.dry_run {
            return;
        }
        match failure {
            None => {
                if self.health.success(name) {
                    tracing::info!(connector = %name, "released from quarantine");
                }
            }
            Some(error) => {
                if self.health.failure(name, &error, std::time::Instant::now()) {
                    tracing::warn!(connector = %name, error = %error, "quarantined after repeated failures");
                }
            }
        }
        self.metrics
            .system_quarantined
            .with_label_values(&[name])
            .set(i64::from(self.health.is_quarantined(name)));
    }

    pub(crate) fn draft(&self, action: &str, outcome: AuditOutcome, reason: String) -> AuditDraft {
        AuditDraft {
            time: self.now,
            portfolio: self.config.portfolio.clone(),
            property: Some(self.property_id.to_string()),
            person_id: None,
            person_name: None,
            system: None,
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

    pub(crate) fn action_draft(
        &self,
        system: &str,
        action: &Action,
        outcome: AuditOutcome,
        reason: String,
        attempts: u32,
        error: Option<String>,
    ) -> AuditDraft {
        let mut d = self.draft(action.name(), outcome, reason);
        d.system = Some(system.to_string());
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

/// What the gate decided: per system, the actions to execute now; the actions to suggest with
/// their system; how many revocations the guard held.
pub(crate) struct Gated {
    pub execute: BTreeMap<String, Vec<Action>>,
    pub suggest: Vec<(String, Action)>,
    pub held: usize,
}

pub fn mode_label(property: &PropertyConfig) -> &'static str {
    use crate::config::{Mode, RevocationMode};
    match (property.mode, property.revocations) {
        (Mode::Automatic, _) => "automatic",
        (Mode::ApprovalRequired, RevocationMode::AlwaysAutomatic) => {
            "approval_required+revocations_automatic"
        }
        (Mode::ApprovalRequired, RevocationMode::WithMode) => "approval_required",
    }
}
