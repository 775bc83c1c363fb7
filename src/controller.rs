//! The controller: the running daemon's shared state (config, connectors, store, metrics) and the
//! operations the loop, the API and the CLI perform on it.
//!
//! Every operation that changes access goes through a property cycle under the property's lock,
//! so cycles of one property never overlap and every change is decided from a fresh observation.

use crate::access::AccessSystem;
use crate::config::{Config, Role};
use crate::executor::RetryPolicy;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::model::Timestamp;
use crate::reconcile::{Cycle, Report};
use crate::source::Source;
use crate::store::{AuditDraft, Outcome as AuditOutcome, Override, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Most suggestions one approval may carry (DESIGN §4).
pub const MAX_APPROVALS: usize = 50;

pub fn now() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The built connectors of one config generation.
pub struct Connectors {
    pub sources: BTreeMap<String, Arc<dyn Source>>,
    pub systems: BTreeMap<String, Arc<dyn AccessSystem>>,
    /// The notification sink issued PINs are delivered through.
    pub sink: Option<crate::deliver::Sink>,
}

impl Connectors {
    pub fn build(
        config: &Config,
        metrics: &Arc<Metrics>,
        store: &Store,
    ) -> Result<Connectors, String> {
        let mut sources = BTreeMap::new();
        for (name, cfg) in &config.sources {
            sources.insert(
                name.clone(),
                crate::source::build(name, cfg, metrics, store)?,
            );
        }
        let mut systems = BTreeMap::new();
        for (name, cfg) in &config.access_systems {
            systems.insert(name.clone(), crate::access::build(name, cfg, metrics)?);
        }
        let sink = config
            .notifications
            .as_ref()
            .map(crate::deliver::Sink::from_config)
            .transpose()
            .map_err(|e| format!("notifications: {e}"))?;
        Ok(Connectors {
            sources,
            systems,
            sink,
        })
    }
}

/// What `/api/v1/status` shows for one property.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PropertyStatus {
    pub mode: String,
    pub sources: Vec<String>,
    pub access_systems: Vec<String>,
    pub last_success: Option<Timestamp>,
    pub last_cycle: Option<Timestamp>,
    pub last_result: Option<String>,
    pub last_error: Option<String>,
    pub pending_suggestions: usize,
    pub guard_tripped: bool,
    pub guard_detail: Option<String>,
    pub drift: usize,
    /// Revocations planned but not yet applied (held, suggested or failed).
    pub pending_revocations: usize,
    pub waiting_activation: usize,
    pub source_stale: bool,
    /// When each source last answered whole.
    pub source_last_success: BTreeMap<String, Timestamp>,
    pub problems: Vec<String>,
    /// Connectors that failed in the last cycle (their people or plans were skipped), by name.
    pub failing: BTreeMap<String, String>,
    /// Health of each source and access system the property uses, by name.
    pub health: BTreeMap<String, crate::health::ConnectorHealth>,
}

/// Errors of operations requested through the API or CLI: say what was wrong with the request.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

pub struct Controller {
    config: RwLock<Arc<Config>>,
    connectors: RwLock<Arc<Connectors>>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    locks: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
    status: Mutex<BTreeMap<String, PropertyStatus>>,
    releases: Mutex<BTreeSet<String>>,
    /// Set on shutdown: executors start no new action.
    pub stop: AtomicBool,
    ready: AtomicBool,
    pub retry: RetryPolicy,
    pub health: Health,
    /// Shared, cached observations of the access systems.
    pub informer: crate::informer::Informer,
}

mod decisions;
mod guests;
mod person;
mod status;

pub use decisions::ApprovalResult;
pub use guests::GuestPinRequest;
pub use person::{AccessRow, PersonView, RowStatus, SystemAccess};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Controller {
    pub fn new(
        config: Config,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Controller>, String> {
        let connectors = Connectors::build(&config, &metrics, &store)?;
        metrics.prime(&config, None);
        let config_quarantine = config.quarantine_retry;
        let resync = config.resync;
        Ok(Arc::new(Controller {
            config: RwLock::new(Arc::new(config)),
            connectors: RwLock::new(Arc::new(connectors)),
            store,
            metrics,
            locks: Mutex::new(BTreeMap::new()),
            status: Mutex::new(BTreeMap::new()),
            releases: Mutex::new(BTreeSet::new()),
            stop: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            retry: RetryPolicy::default(),
            health: Health::new(config_quarantine),
            informer: crate::informer::Informer::new(resync),
        }))
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn connectors(&self) -> Arc<Connectors> {
        self.connectors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn mark_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
        self.metrics.ready.set(1);
    }

    /// Swaps in a validated config and its connectors atomically. Properties that left the config
    /// are simply no longer reconciled: nothing is revoked because of a reload alone.
    pub fn reload(&self, new: Config, actor: &str) -> Result<(), String> {
        let connectors = Connectors::build(&new, &self.metrics, &self.store)?;
        let old = self.config();
        for gone in old
            .properties
            .keys()
            .filter(|p| !new.properties.contains_key(*p))
        {
            self.metrics.forget_property(gone);
            lock(&self.status).remove(gone);
        }
        self.metrics.prime(&new, Some(&old));
        for name in self.health.reset_changed(&old, &new) {
            tracing::info!(connector = %name, "configuration changed; quarantine lifted");
            self.metrics
                .system_quarantined
                .with_label_values(&[&name])
                .set(0);
        }
        let portfolio = new.portfolio.clone();
        *self.connectors.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(connectors);
        self.informer.reset(new.resync);
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(new);
        self.audit(vec![event(
            &portfolio,
            None,
            "config_reload",
            actor,
            AuditOutcome::Applied,
            "configuration reloaded",
            now(),
        )]);
        Ok(())
    }

    fn property_lock(&self, property: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.locks)
            .entry(property.to_string())
            .or_default()
            .clone()
    }

    /// Runs one cycle of one property under its lock and records metrics and status.
    pub async fn reconcile(
        &self,
        property_id: &str,
        dry_run: bool,
    ) -> Result<Report, RequestError> {
        let guard = self.property_lock(property_id);
        let _held = guard.lock().await;
        let config = self.config();
        let property = config
            .properties
            .get(property_id)
            .ok_or_else(|| RequestError::NotFound(format!("no property named {property_id:?}")))?;
        let connectors = self.connectors();
        let mut quarantined = BTreeMap::new();
        if !dry_run {
            let probe = Instant::now();
            for name in property.connector_names() {
                if !self.health.allow(name, probe) {
                    let reason = format!(
                        "{name} is quarantined after repeated failures; probed every {:?}",
                        self.health.retry_every
                    );
                    quarantined.insert(name.clone(), reason);
                }
            }
        }
        let released = !dry_run && lock(&self.releases).remove(property_id);
        let started = Instant::now();
        let now = now();
        let mut cycle = self.cycle(&config, property_id, property, &connectors, now);
        cycle.quarantined = quarantined;
        cycle.informer = (!dry_run).then_some(&self.informer);
        cycle.guard_released = released;
        cycle.dry_run = dry_run;
        let result = cycle.run().await;
        if !dry_run {
            self.record_cycle(property_id, property, &result, now, started);
        }
        match result {
            Ok(report) => Ok(report),
            Err(e) => Ok(Report {
                property: property_id.to_string(),
                skipped: Some(e.to_string()),
                ..Report::default()
            }),
        }
    }

    /// A cycle of one property as `reconcile` runs it: live, with the informer, nothing
    /// quarantined and the guard in force. Callers narrow it (a dry run, quarantine).
    fn cycle<'a>(
        &'a self,
        config: &'a Config,
        property_id: &'a str,
        property: &'a crate::config::PropertyConfig,
        connectors: &'a Connectors,
        now: Timestamp,
    ) -> Cycle<'a> {
        Cycle {
            config,
            property_id,
            property,
            sources: property
                .sources
                .keys()
                .filter_map(|n| connectors.sources.get_key_value(n))
                .map(|(n, s)| (n.as_str(), s))
                .collect(),
            systems: property
                .access_systems
                .keys()
                .filter_map(|n| connectors.systems.get_key_value(n))
                .map(|(n, s)| (n.as_str(), s))
                .collect(),
            quarantined: BTreeMap::new(),
            informer: Some(&self.informer),
            scopes: property
                .access_systems
                .keys()
                .map(|system| (system.clone(), union_scope(config, system)))
                .collect(),
            store: &self.store,
            metrics: &self.metrics,
            health: &self.health,
            stop: &self.stop,
            now,
            guard_released: false,
            dry_run: false,
            retry: self.retry,
            sink: connectors.sink.as_ref(),
        }
    }

    /// Appends audit entries, counting them; a store failure is logged, never swallowed silently.
    pub fn audit(&self, drafts: Vec<AuditDraft>) {
        match self.store.audit().append(drafts) {
            Ok(entries) => {
                for e in &entries {
                    self.metrics
                        .audit_entries
                        .with_label_values(&[&e.action])
                        .inc();
                }
            }
            Err(e) => tracing::error!(error = %e, "could not append to the audit log"),
        }
    }

    /// On start: intents left by a crash are recorded and dropped; the next cycle re-observes and
    /// converges, and creates look users up by external id first, so nothing is duplicated.
    pub fn recover_intents(&self) -> usize {
        let Ok(open) = self.store.intents().unresolved() else {
            return 0;
        };
        // Parked for the next cycle of their property, which audits what landed; until they are
        // parked safely the journal keeps them.
        if let Err(e) = crate::reconcile::park_recovered(&self.store, &open) {
            tracing::error!(error = %e, "cannot park unfinished intents; they stay journaled");
            return open.len();
        }
        let portfolio = self.config().portfolio.clone();
        for intent in &open {
            let mut d = event(
                &portfolio,
                Some(&intent.property),
                "intent_recovered",
                "controller",
                AuditOutcome::Recorded,
                &format!(
                    "unfinished before restart: {}; the next cycle audits it as applied if it landed",
                    intent.action.describe()
                ),
                now(),
            );
            d.person_id = Some(intent.action.person_id().into());
            d.system = Some(intent.system.clone());
            self.audit(vec![d]);
            let _ = self.store.intents().resolve(intent.id);
        }
        open.len()
    }

    /// Properties ordered for a full round: those with revocations outstanding first, so that
    /// revocations jump the queue across properties when concurrency is the bottleneck.
    pub fn schedule_order(&self) -> Vec<String> {
        let config = self.config();
        let status = lock(&self.status);
        let mut ids: Vec<String> = config.properties.keys().cloned().collect();
        ids.sort_by_key(|id| {
            std::cmp::Reverse(status.get(id).map_or(0, |s| s.pending_revocations))
        });
        ids
    }

    /// Whether a role may call an endpoint that needs `need`.
    pub fn allows(have: Role, need: Role) -> bool {
        have >= need
    }
}

/// The managed groups of every property on one access system: the scope its shared
/// observation lists.
fn union_scope(config: &Config, system: &str) -> crate::model::ManagedGroups {
    let mut out = crate::model::ManagedGroups::default();
    for p in config
        .properties
        .values()
        .filter(|p| p.access_systems.contains_key(system))
    {
        let m = crate::policy::managed_in(p, system);
        out.names.extend(m.names);
        for pattern in m.patterns {
            if !out.patterns.contains(&pattern) {
                out.patterns.push(pattern);
            }
        }
    }
    out
}

pub(crate) fn describe_override(o: &Override) -> String {
    let mut parts = Vec::new();
    if let Some(s) = o.force_status {
        parts.push(format!("force status {s}"));
    }
    if !o.add_groups.is_empty() {
        parts.push(format!("add {:?}", o.add_groups));
    }
    if !o.remove_groups.is_empty() {
        parts.push(format!("remove {:?}", o.remove_groups));
    }
    if parts.is_empty() {
        "empty override".into()
    } else {
        parts.join("; ")
    }
}

/// An audit draft for an event that is not an access action (reloads, decisions, overrides).
pub fn event(
    portfolio: &str,
    property: Option<&str>,
    action: &str,
    actor: &str,
    outcome: AuditOutcome,
    reason: &str,
    time: Timestamp,
) -> AuditDraft {
    AuditDraft {
        time,
        portfolio: portfolio.to_string(),
        property: property.map(str::to_string),
        person_id: None,
        person_name: None,
        system: None,
        action: action.to_string(),
        object: String::new(),
        reason: reason.to_string(),
        actor: actor.to_string(),
        mode: None,
        outcome,
        attempts: 0,
        error: None,
    }
}
