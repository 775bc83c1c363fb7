//! Prometheus metrics (DESIGN §9): one `Metrics` struct owning the registry, bounded labels only.
//!
//! Labels are property, system, source, action, result, status and error kind: all come from
//! config names or closed enums. A person's id or name is never a label. `prime` creates the
//! children of every configured name up front; `revocation` times revocations from due to done.

mod prime;
mod revocation;
pub use prime::{ACTIONS, AUDIT_EVENTS};
pub use revocation::{unix_now, DueClock};

use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::Duration;

pub struct Metrics {
    registry: Registry,
    pub cycles: IntCounterVec,
    pub cycle_duration: HistogramVec,
    pub drift: IntGaugeVec,
    /// The part of `drift` that waits for a manager's approval (not a fault).
    pub drift_awaiting_approval: IntGaugeVec,
    pub actions: IntCounterVec,
    pub suggestions_pending: IntGaugeVec,
    pub suggestions_oldest_pending: GaugeVec,
    pub source_last_success: GaugeVec,
    pub source_errors: IntCounterVec,
    pub source_stale: IntGaugeVec,
    pub access_requests: IntCounterVec,
    pub access_request_duration: HistogramVec,
    pub access_deprecations: IntCounterVec,
    pub guard_tripped: IntGaugeVec,
    pub duplicate_accounts: IntGaugeVec,
    pub config_reloads: IntCounterVec,
    pub audit_entries: IntCounterVec,
    /// `POST /api/v1/events` requests by outcome (`EVENT_RESULTS`).
    pub event_requests: IntCounterVec,
    pub revocation_latency: HistogramVec,
    pub system_quarantined: IntGaugeVec,
    pub build_info: IntGaugeVec,
    pub ready: IntGauge,
    pub last_cycle_timestamp: Gauge,
    pub audit_last_checkpoint: Gauge,
    pub reconcile_interval: Gauge,
    /// When each outstanding revocation became due.
    pub due: DueClock,
}

/// Every `result` of `lockstep_event_requests_total`: `accepted`, or the refusal's kind.
pub const EVENT_RESULTS: [&str; 10] = [
    "accepted",
    "missing_header",
    "unknown_sender",
    "bad_timestamp",
    "stale",
    "bad_signature",
    "malformed",
    "replay",
    "conflict",
    "error",
];

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(format!("lockstep_{name}"), help)
}

fn hist(name: &str, help: &str, buckets: Vec<f64>) -> HistogramOpts {
    HistogramOpts::new(format!("lockstep_{name}"), help).buckets(buckets)
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let latency = vec![
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        // From a fraction of a second (automatic mode, a fast vendor) to days (a revocation
        // waiting for a manager).
        let revocation = vec![
            0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
            3600.0, 14400.0, 86400.0, 259200.0,
        ];
        let m = Metrics {
            registry: Registry::new(),
            cycles: IntCounterVec::new(
                opts(
                    "reconcile_cycles_total",
                    "Reconcile cycles by property and result (ok, skipped, error).",
                ),
                &["property", "result"],
            )
            .expect("metric"),
            cycle_duration: HistogramVec::new(
                hist(
                    "reconcile_duration_seconds",
                    "Wall time of one reconcile cycle.",
                    latency.clone(),
                ),
                &["property"],
            )
            .expect("metric"),
            drift: IntGaugeVec::new(
                opts("drift", "Planned actions not yet applied."),
                &["property", "system", "action"],
            )
            .expect("metric"),
            drift_awaiting_approval: IntGaugeVec::new(
                opts(
                    "drift_awaiting_approval",
                    "Planned actions waiting as suggestions for a manager (part of lockstep_drift).",
                ),
                &["property", "system", "action"],
            )
            .expect("metric"),
            actions: IntCounterVec::new(
                opts("actions_total", "Actions executed against access systems."),
                &["system", "action", "result"],
            )
            .expect("metric"),
            suggestions_pending: IntGaugeVec::new(
                opts("suggestions_pending", "Suggestions waiting for a manager."),
                &["property"],
            )
            .expect("metric"),
            suggestions_oldest_pending: GaugeVec::new(
                opts(
                    "suggestions_oldest_pending_timestamp_seconds",
                    "Unix time the oldest pending suggestion was made; 0 when none is pending.",
                ),
                &["property"],
            )
            .expect("metric"),
            source_last_success: GaugeVec::new(
                opts(
                    "source_last_success_timestamp_seconds",
                    "Unix time of the source's last complete fetch.",
                ),
                &["source"],
            )
            .expect("metric"),
            source_errors: IntCounterVec::new(
                opts(
                    "source_errors_total",
                    "Failed or incomplete source fetches by kind.",
                ),
                &["source", "kind"],
            )
            .expect("metric"),
            source_stale: IntGaugeVec::new(
                opts(
                    "source_stale",
                    "1 when the source has not succeeded for stale_after.",
                ),
                &["source"],
            )
            .expect("metric"),
            access_requests: IntCounterVec::new(
                opts(
                    "access_requests_total",
                    "HTTP requests to access systems by status.",
                ),
                &["system", "status"],
            )
            .expect("metric"),
            access_request_duration: HistogramVec::new(
                hist(
                    "access_request_duration_seconds",
                    "Latency of access-system requests.",
                    latency,
                ),
                &["system"],
            )
            .expect("metric"),
            access_deprecations: IntCounterVec::new(
                opts(
                    "access_deprecation_notices_total",
                    "Access-system answers carrying a Deprecation or Sunset header.",
                ),
                &["system"],
            )
            .expect("metric"),
            guard_tripped: IntGaugeVec::new(
                opts(
                    "guard_tripped",
                    "1 while the blast-radius guard holds a property's revocations.",
                ),
                &["property"],
            )
            .expect("metric"),
            duplicate_accounts: IntGaugeVec::new(
                opts(
                    "duplicate_accounts",
                    "Further accounts carrying an external id another account of the same access system already carries.",
                ),
                &["property", "system"],
            )
            .expect("metric"),
            config_reloads: IntCounterVec::new(
                opts("config_reloads_total", "Config reloads by result."),
                &["result"],
            )
            .expect("metric"),
            event_requests: IntCounterVec::new(
                opts(
                    "event_requests_total",
                    "Signed event requests by result: accepted, or why they were refused.",
                ),
                &["result"],
            )
            .expect("metric"),
            audit_entries: IntCounterVec::new(
                opts("audit_entries_total", "Audit entries appended by action."),
                &["action"],
            )
            .expect("metric"),
            revocation_latency: HistogramVec::new(
                hist(
                    "revocation_latency_seconds",
                    "Seconds from a revocation first becoming due (planned) to its confirmation by the access system.",
                    revocation,
                ),
                &["system"],
            )
            .expect("metric"),
            system_quarantined: IntGaugeVec::new(
                opts(
                    "system_quarantined",
                    "1 while an access system or source is quarantined.",
                ),
                &["system"],
            )
            .expect("metric"),
            build_info: IntGaugeVec::new(opts("build_info", "Build information."), &["version"])
                .expect("metric"),
            ready: IntGauge::with_opts(opts(
                "ready",
                "1 once the store is open and one full cycle is done.",
            ))
            .expect("metric"),
            last_cycle_timestamp: Gauge::with_opts(opts(
                "last_cycle_timestamp_seconds",
                "Unix time the event loop last saw a property's cycle finish (the process start until one has).",
            ))
            .expect("metric"),
            audit_last_checkpoint: Gauge::with_opts(opts(
                "audit_last_checkpoint_timestamp_seconds",
                "Unix time of the last signed audit checkpoint written (0: none yet, or audit.key \
                 not configured).",
            ))
            .expect("metric"),
            reconcile_interval: Gauge::with_opts(opts(
                "reconcile_interval_seconds",
                "The configured period of the full reconcile.",
            ))
            .expect("metric"),
            due: DueClock::default(),
        };
        // A loop that never finishes its first cycle must look stale too.
        m.last_cycle_timestamp.set(unix_now());
        m.register();
        m.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for result in ["success", "failure"] {
            m.config_reloads.with_label_values(&[result]);
        }
        for result in EVENT_RESULTS {
            m.event_requests.with_label_values(&[result]);
        }
        Arc::new(m)
    }

    fn register(&self) {
        for c in self.collectors() {
            self.registry.register(c).expect("metric names are unique");
        }
        // process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds, ...
        #[cfg(target_os = "linux")]
        self.registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process metric names are unique");
    }

    /// Every `lockstep_` family, for registration and for the test that all are exported.
    fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        vec![
            Box::new(self.cycles.clone()),
            Box::new(self.cycle_duration.clone()),
            Box::new(self.drift.clone()),
            Box::new(self.drift_awaiting_approval.clone()),
            Box::new(self.actions.clone()),
            Box::new(self.suggestions_pending.clone()),
            Box::new(self.suggestions_oldest_pending.clone()),
            Box::new(self.source_last_success.clone()),
            Box::new(self.source_errors.clone()),
            Box::new(self.source_stale.clone()),
            Box::new(self.access_requests.clone()),
            Box::new(self.access_request_duration.clone()),
            Box::new(self.access_deprecations.clone()),
            Box::new(self.guard_tripped.clone()),
            Box::new(self.duplicate_accounts.clone()),
            Box::new(self.config_reloads.clone()),
            Box::new(self.audit_entries.clone()),
            Box::new(self.event_requests.clone()),
            Box::new(self.revocation_latency.clone()),
            Box::new(self.system_quarantined.clone()),
            Box::new(self.build_info.clone()),
            Box::new(self.ready.clone()),
            Box::new(self.last_cycle_timestamp.clone()),
            Box::new(self.audit_last_checkpoint.clone()),
            Box::new(self.reconcile_interval.clone()),
        ]
    }

    /// The text exposition format for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// A hook for `HttpClient` that counts requests, their latency and deprecation notices for
    /// one access system.
    pub fn access_hook(self: &Arc<Self>, system: &str) -> crate::net::ResponseHook {
        Arc::new(AccessObserver {
            metrics: self.clone(),
            system: system.to_string(),
        })
    }

    /// Drops every series of a property that left the config, so no stale gauge lingers.
    pub fn forget_property(&self, property: &str) {
        let _ = self.guard_tripped.remove_label_values(&[property]);
        let _ = self.suggestions_pending.remove_label_values(&[property]);
        let _ = self
            .suggestions_oldest_pending
            .remove_label_values(&[property]);
        let _ = self.cycle_duration.remove_label_values(&[property]);
        for result in prime::CYCLE_RESULTS {
            let _ = self.cycles.remove_label_values(&[property, result]);
        }
        self.due.forget(property);
    }
}

/// Feeds one access system's request metrics from its HTTP client.
struct AccessObserver {
    metrics: Arc<Metrics>,
    system: String,
}

impl crate::net::Observer for AccessObserver {
    fn answered(&self, status: &str, elapsed: Duration) {
        let m = &self.metrics;
        m.access_requests
            .with_label_values(&[&self.system, status])
            .inc();
        m.access_request_duration
            .with_label_values(&[&self.system])
            .observe(elapsed.as_secs_f64());
    }

    fn deprecated(&self) {
        self.metrics
            .access_deprecations
            .with_label_values(&[&self.system])
            .inc();
    }
}

#[cfg(test)]
mod tests;
