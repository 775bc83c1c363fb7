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
use crate::policy::ManualOverride;
use crate::reconcile::{mode_label, Cycle, CycleError, Report};
use crate::source::Source;
use crate::store::{AuditDraft, Outcome as AuditOutcome, Override, Store, SuggestionState};
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
}

impl Connectors {
    pub fn build(config: &Config, metrics: &Arc<Metrics>) -> Result<Connectors, String> {
        let mut sources = BTreeMap::new();
        for (name, cfg) in &config.sources {
            sources.insert(name.clone(), crate::source::build(name, cfg, metrics)?);
        }
        let mut systems = BTreeMap::new();
        for (name, cfg) in &config.access_systems {
            systems.insert(name.clone(), crate::access::build(name, cfg, metrics)?);
        }
        Ok(Connectors { sources, systems })
    }
}

/// What `/api/v1/status` shows for one property.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PropertyStatus {
    pub mode: String,
    pub source: String,
    pub access_system: String,
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
    pub source_stale: bool,
    pub problems: Vec<String>,
    pub source_health: Option<crate::health::ConnectorHealth>,
    pub system_health: Option<crate::health::ConnectorHealth>,
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
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Controller {
    pub fn new(
        config: Config,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Controller>, String> {
        let connectors = Connectors::build(&config, &metrics)?;
        metrics.prime(&config, None);
        let config_quarantine = config.quarantine_retry;
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
        let connectors = Connectors::build(&new, &self.metrics)?;
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
        let (Some(source), Some(system)) = (
            connectors.sources.get(&property.source),
            connectors.systems.get(&property.access_system),
        ) else {
            return Err(RequestError::Invalid(format!(
                "property {property_id}: its connectors are not built"
            )));
        };
        if !dry_run {
            let probe = Instant::now();
            for name in [&property.source, &property.access_system] {
                if !self.health.allow(name, probe) {
                    let reason = format!(
                        "{name} is quarantined after repeated failures; probed every {:?}",
                        self.health.retry_every
                    );
                    self.metrics
                        .cycles
                        .with_label_values(&[property_id, "skipped"])
                        .inc();
                    return Ok(Report {
                        property: property_id.to_string(),
                        skipped: Some(reason),
                        ..Report::default()
                    });
                }
            }
        }
        let released = !dry_run && lock(&self.releases).remove(property_id);
        let started = Instant::now();
        let now = now();
        let cycle = Cycle {
            config: &config,
            property_id,
            property,
            source,
            system,
            store: &self.store,
            metrics: &self.metrics,
            stop: &self.stop,
            now,
            guard_released: released,
            dry_run,
            retry: self.retry,
        };
        let result = cycle.run().await;
        if !dry_run {
            self.record_health(property, &result);
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

    fn record_cycle(
        &self,
        id: &str,
        property: &crate::config::PropertyConfig,
        result: &Result<Report, CycleError>,
        now: Timestamp,
        started: Instant,
    ) {
        let m = &self.metrics;
        m.cycle_duration
            .with_label_values(&[id])
            .observe(started.elapsed().as_secs_f64());
        let config = self.config();
        let stale_after = config
            .sources
            .get(&property.source)
            .map(|s| s.common().stale_after.as_secs() as i64)
            .unwrap_or(3600);
        let mut all = lock(&self.status);
        let status = all.entry(id.to_string()).or_default();
        status.mode = mode_label(property).to_string();
        status.source = property.source.clone();
        status.access_system = property.access_system.clone();
        status.last_cycle = Some(now);
        match result {
            Ok(report) => {
                m.cycles.with_label_values(&[id, "ok"]).inc();
                m.source_last_success
                    .with_label_values(&[&property.source])
                    .set(now as f64);
                m.suggestions_pending
                    .with_label_values(&[id])
                    .set(report.pending_suggestions as i64);
                status.last_success = Some(now);
                status.last_result = Some(if report.failed > 0 {
                    "partial".into()
                } else {
                    "ok".into()
                });
                status.last_error = report.errors.first().cloned();
                status.pending_suggestions = report.pending_suggestions;
                status.guard_tripped = report.guard.is_some_and(|g| g.tripped);
                status.guard_detail = report.guard.filter(|g| g.tripped).map(|g| {
                    format!(
                        "{} revocations planned, {} allowed",
                        g.revocations, g.allowed
                    )
                });
                status.drift = report.drift.saturating_sub(report.applied);
                status.pending_revocations = report
                    .plan
                    .revocations()
                    .count()
                    .saturating_sub(report.applied_revocations);
                status.problems = report.problems.clone();
            }
            Err(e) => {
                let (result, source_error) = match e {
                    CycleError::Source(_) => ("skipped", true),
                    _ => ("error", false),
                };
                m.cycles.with_label_values(&[id, result]).inc();
                if source_error {
                    m.source_errors
                        .with_label_values(&[&property.source, e.kind()])
                        .inc();
                }
                status.last_result = Some(result.into());
                status.last_error = Some(e.to_string());
                tracing::warn!(property = id, error = %e, "cycle {result}");
            }
        }
        let stale = status.last_success.is_some_and(|t| now - t > stale_after);
        status.source_stale = stale;
        m.source_stale
            .with_label_values(&[&property.source])
            .set(i64::from(stale));
    }

    /// Feeds quarantine: a source failure counts against the source, an access failure (or a
    /// cycle whose every action failed without retry) against the access system.
    fn record_health(
        &self,
        property: &crate::config::PropertyConfig,
        result: &Result<Report, CycleError>,
    ) {
        let now = Instant::now();
        let (source_ok, system_ok, error) = match result {
            Ok(r) if r.connector_failures > 0 && r.applied == 0 => {
                (true, false, r.errors.first().cloned().unwrap_or_default())
            }
            Ok(_) => (true, true, String::new()),
            // Only failures of the connector itself count; a short feed is a data problem that
            // the completeness gate already handles every cycle.
            Err(CycleError::Source(e))
                if crate::net::is_connector_failure(e.kind()) || e.kind() == "fault" =>
            {
                (false, true, e.to_string())
            }
            Err(CycleError::Source(_)) => (true, true, String::new()),
            Err(CycleError::Access(e)) if !crate::net::is_connector_failure(e.kind()) => {
                (true, true, String::new())
            }
            Err(e) => (true, false, e.to_string()),
        };
        for (name, ok) in [
            (&property.source, source_ok),
            (&property.access_system, system_ok),
        ] {
            if ok {
                if self.health.success(name) {
                    tracing::info!(connector = %name, "released from quarantine");
                }
            } else if self.health.failure(name, &error, now) {
                tracing::warn!(connector = %name, error = %error, "quarantined after repeated failures");
            }
            self.metrics
                .system_quarantined
                .with_label_values(&[name])
                .set(i64::from(self.health.is_quarantined(name)));
        }
    }

    pub fn status(&self) -> BTreeMap<String, PropertyStatus> {
        let config = self.config();
        let known = lock(&self.status).clone();
        config
            .properties
            .iter()
            .map(|(id, p)| {
                let mut s = known.get(id).cloned().unwrap_or_default();
                s.mode = mode_label(p).to_string();
                s.source = p.source.clone();
                s.access_system = p.access_system.clone();
                s.pending_suggestions = self
                    .store
                    .suggestions()
                    .count_pending(id)
                    .unwrap_or(s.pending_suggestions);
                s.source_health = Some(self.health.get(&p.source));
                s.system_health = Some(self.health.get(&p.access_system));
                (id.clone(), s)
            })
            .collect()
    }

    /// Approves up to `MAX_APPROVALS` pending suggestions; each affected property then runs a
    /// cycle, which re-observes and executes only what is still needed.
    pub async fn approve(
        &self,
        ids: &[String],
        actor: &str,
    ) -> Result<BTreeMap<String, String>, RequestError> {
        self.decide(ids, actor, SuggestionState::Approved)?;
        let properties: BTreeSet<String> = ids
            .iter()
            .filter_map(|id| self.store.suggestions().get(id).ok().flatten())
            .map(|s| s.property)
            .collect();
        for property in &properties {
            self.reconcile(property, false).await?;
        }
        let mut out = BTreeMap::new();
        for id in ids {
            let state = match self.store.suggestions().get(id)? {
                Some(s) if s.state == SuggestionState::Approved => {
                    "withdrawn: no longer needed after a fresh observation".to_string()
                }
                Some(s) => format!("{:?}", s.state).to_lowercase(),
                None => "withdrawn".to_string(),
            };
            out.insert(id.clone(), state);
        }
        // Approved suggestions the fresh plan no longer contained did not execute: drop them.
        for id in ids {
            if let Some(s) = self.store.suggestions().get(id)? {
                if s.state == SuggestionState::Approved {
                    self.store.suggestions().remove(id)?;
                }
            }
        }
        Ok(out)
    }

    pub fn discard(&self, ids: &[String], actor: &str) -> Result<usize, RequestError> {
        self.decide(ids, actor, SuggestionState::Discarded)
    }

    fn decide(
        &self,
        ids: &[String],
        actor: &str,
        to: SuggestionState,
    ) -> Result<usize, RequestError> {
        if ids.is_empty() {
            return Err(RequestError::Invalid(
                "ids: give at least one suggestion id".into(),
            ));
        }
        if ids.len() > MAX_APPROVALS {
            return Err(RequestError::Invalid(format!(
                "ids: {} suggestions given; at most {MAX_APPROVALS} may be decided at once",
                ids.len()
            )));
        }
        let mut found = Vec::new();
        for id in ids {
            match self.store.suggestions().get(id)? {
                Some(s) if s.state == SuggestionState::Pending => found.push(s),
                Some(s) => {
                    return Err(RequestError::Invalid(
                        format!("suggestion {id} is {:?}, not pending", s.state).to_lowercase(),
                    ))
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
            let mut d = event(
                &config.portfolio,
                Some(&s.property),
                action,
                actor,
                outcome,
                &s.action.describe(),
                now,
            );
            d.person_id = Some(s.action.person_id().to_string());
            d.system = Some(s.system.clone());
            d.object = s.action.object().to_string();
            drafts.push(d);
        }
        self.store.suggestions().put_many(&found)?;
        self.audit(drafts);
        Ok(found.len())
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
        let managed = crate::policy::managed_groups(p);
        if let Some(g) = add
            .iter()
            .chain(remove.iter())
            .find(|g| !managed.contains(g))
        {
            return Err(RequestError::Invalid(format!("group {g:?} is not managed by property {property}; overrides may only use groups its config maps")));
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
    /// keep it revoked.
    pub async fn lost_credential(
        &self,
        property: &str,
        person: &str,
        credential: Option<&str>,
        actor: &str,
    ) -> Result<Report, RequestError> {
        let config = self.config();
        if !config.properties.contains_key(property) {
            return Err(RequestError::NotFound(format!(
                "no property named {property:?}"
            )));
        }
        let credential = credential.unwrap_or("*");
        self.store
            .lost()
            .add(property, person, credential, actor, now())?;
        let mut d = event(
            &config.portfolio,
            Some(property),
            "lost_credential",
            actor,
            AuditOutcome::Recorded,
            "credential reported lost or stolen",
            now(),
        );
        d.person_id = Some(person.into());
        d.object = credential.into();
        self.audit(vec![d]);
        self.reconcile(property, false).await
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

fn describe_override(o: &Override) -> String {
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
