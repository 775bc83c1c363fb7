//! Label children created from the config, so every series exists from the first scrape.
//!
//! A Prometheus family without children is not exported at all, and a series that appears only
//! after its first event makes `rate()`, `increase()` and absence-based alerts blind to it. So
//! at start and on every reload each configured property, access system and source gets its
//! children at zero (counters) or at their resting value (gauges); properties and connectors
//! that left the config lose theirs.

use super::Metrics;
use crate::config::Config;

/// Every `Action::name()`.
pub const ACTIONS: &[&str] = &[
    "create_user",
    "add_to_group",
    "set_window",
    "remove_from_group",
    "revoke_credential",
    "issue_pin",
    "revoke_pin",
    "issue_mobile_key",
];

/// Outcomes counted in `lockstep_actions_total`.
pub const ACTION_RESULTS: &[&str] = &["applied", "failed"];

/// Cycle results counted in `lockstep_reconcile_cycles_total`.
pub const CYCLE_RESULTS: &[&str] = &["ok", "skipped", "error"];

/// Kinds of source failure (`SourceError::kind`, `NetError::kind`).
pub const SOURCE_ERROR_KINDS: &[&str] = &[
    "incomplete",
    "payload",
    "fault",
    "transport",
    "throttled",
    "auth",
    "config",
    "server",
    "client",
    "bad_response",
];

/// Audit actions that are not access actions (`controller::event` and the cycle's own).
pub const AUDIT_EVENTS: &[&str] = &[
    "config_reload",
    "suggestion_approved",
    "suggestion_discarded",
    "guard_tripped",
    "guard_cleared",
    "guard_released",
    "override_set",
    "override_cleared",
    "lost_credential",
    "intent_recovered",
    "suggestion_withdrawn",
    "suggestion_executed",
    "suggestion_failed",
    "duplicate_accounts",
    "source_record_held",
    "source_record_released",
    "guest_pin_created",
    "guest_pin_cancelled",
];

impl Metrics {
    /// Creates the children of everything `config` names and drops those of names it no longer
    /// has (`previous` is the config being replaced, if any). Idempotent.
    pub fn prime(&self, config: &Config, previous: Option<&Config>) {
        if let Some(old) = previous {
            self.forget_gone(old, config);
        }
        self.reconcile_interval.set(config.interval.as_secs_f64());
        for (id, p) in &config.properties {
            for result in CYCLE_RESULTS {
                self.cycles.with_label_values(&[id.as_str(), result]);
            }
            self.cycle_duration.with_label_values(&[id]);
            self.suggestions_pending.with_label_values(&[id]);
            self.suggestions_oldest_pending.with_label_values(&[id]);
            self.guard_tripped.with_label_values(&[id]);
            for system in p.access_systems.keys() {
                self.duplicate_accounts
                    .with_label_values(&[id.as_str(), system]);
                for action in ACTIONS {
                    self.drift.with_label_values(&[id.as_str(), system, action]);
                    self.drift_awaiting_approval
                        .with_label_values(&[id.as_str(), system, action]);
                }
            }
        }
        for system in config.access_systems.keys() {
            for action in ACTIONS {
                for result in ACTION_RESULTS {
                    self.actions
                        .with_label_values(&[system.as_str(), action, result]);
                }
            }
            for status in ["200", "transport"] {
                self.access_requests.with_label_values(&[system, status]);
            }
            self.access_request_duration.with_label_values(&[system]);
            self.access_deprecations.with_label_values(&[system]);
            self.revocation_latency.with_label_values(&[system]);
            self.system_quarantined.with_label_values(&[system]);
        }
        for source in config.sources.keys() {
            self.source_last_success.with_label_values(&[source]);
            self.source_stale.with_label_values(&[source]);
            for kind in SOURCE_ERROR_KINDS {
                self.source_errors
                    .with_label_values(&[source.as_str(), kind]);
            }
            self.system_quarantined.with_label_values(&[source]);
        }
        for action in ACTIONS.iter().chain(AUDIT_EVENTS) {
            self.audit_entries.with_label_values(&[action]);
        }
    }

    fn forget_gone(&self, old: &Config, new: &Config) {
        for (id, p) in &old.properties {
            if !new.properties.contains_key(id) {
                self.forget_property(id);
            }
            for system in p.access_systems.keys() {
                let kept = new
                    .properties
                    .get(id)
                    .is_some_and(|n| n.access_systems.contains_key(system));
                if kept {
                    continue;
                }
                let _ = self
                    .duplicate_accounts
                    .remove_label_values(&[id.as_str(), system]);
                for action in ACTIONS {
                    let labels = [id.as_str(), system.as_str(), action];
                    let _ = self.drift.remove_label_values(&labels);
                    let _ = self.drift_awaiting_approval.remove_label_values(&labels);
                }
            }
        }
        for system in old.access_systems.keys() {
            if new.access_systems.contains_key(system) {
                continue;
            }
            for action in ACTIONS {
                for result in ACTION_RESULTS {
                    let _ = self
                        .actions
                        .remove_label_values(&[system.as_str(), action, result]);
                }
            }
            remove_where(&self.access_requests, "system", system);
            let _ = self.system_quarantined.remove_label_values(&[system]);
            let _ = self.access_request_duration.remove_label_values(&[system]);
            let _ = self.access_deprecations.remove_label_values(&[system]);
            let _ = self.revocation_latency.remove_label_values(&[system]);
        }
        for source in old.sources.keys() {
            if new.sources.contains_key(source) {
                continue;
            }
            let _ = self.source_last_success.remove_label_values(&[source]);
            let _ = self.source_stale.remove_label_values(&[source]);
            let _ = self.system_quarantined.remove_label_values(&[source]);
            for kind in SOURCE_ERROR_KINDS {
                let _ = self
                    .source_errors
                    .remove_label_values(&[source.as_str(), kind]);
            }
        }
    }
}

/// Removes every child of `vec` whose `label` is `value`, whatever its other labels (statuses
/// are an open set, so they cannot be listed).
fn remove_where<T: prometheus::core::MetricVecBuilder>(
    vec: &prometheus::core::MetricVec<T>,
    label: &str,
    value: &str,
) {
    use prometheus::core::Collector;
    for family in vec.collect() {
        for metric in family.get_metric() {
            let labels: std::collections::HashMap<&str, &str> = metric
                .get_label()
                .iter()
                .map(|l| (l.name(), l.value()))
                .collect();
            if labels.get(label) == Some(&value) {
                let _ = vec.remove(&labels);
            }
        }
    }
}
