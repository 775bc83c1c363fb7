//! What the controller remembers of each property's last cycle, for `/api/v1/status`, the
//! console and the metrics that describe a property rather than one action.

use super::{lock, Controller, PropertyStatus};
use crate::config::PropertyConfig;
use crate::model::Timestamp;
use crate::reconcile::{mode_label, CycleError, Report};
use std::collections::BTreeMap;
use std::time::Instant;

impl Controller {
    pub(super) fn record_cycle(
        &self,
        id: &str,
        property: &PropertyConfig,
        result: &Result<Report, CycleError>,
        now: Timestamp,
        started: Instant,
    ) {
        let m = &self.metrics;
        m.cycle_duration
            .with_label_values(&[id])
            .observe(started.elapsed().as_secs_f64());
        let config = self.config();
        let mut all = lock(&self.status);
        let status = all.entry(id.to_string()).or_default();
        status.last_cycle = Some(now);
        match result {
            Ok(report) => {
                let partial = !report.source_failures.is_empty()
                    || !report.system_failures.is_empty()
                    || report.failed > 0;
                let label = if partial { "partial" } else { "ok" };
                m.cycles.with_label_values(&[id, label]).inc();
                for source in property.sources.keys() {
                    if !report.source_failures.contains_key(source) {
                        m.source_last_success
                            .with_label_values(&[source])
                            .set(now as f64);
                        status.source_last_success.insert(source.clone(), now);
                    }
                }
                m.suggestions_pending
                    .with_label_values(&[id])
                    .set(report.pending_suggestions as i64);
                status.last_success = Some(now);
                status.last_result = Some(label.into());
                status.last_error = report.errors.first().cloned();
                status.pending_suggestions = report.pending_suggestions;
                status.guard_tripped = report.guard.is_some_and(|g| g.tripped);
                status.guard_detail = report.guard.filter(|g| g.tripped).map(|g| {
                    format!(
                        "{} revocations planned, {} allowed; {} held",
                        g.revocations, g.allowed, report.held
                    )
                });
                status.drift = report.drift.saturating_sub(report.applied);
                status.pending_revocations = report
                    .planned_revocations()
                    .saturating_sub(report.applied_revocations);
                status.waiting_activation = report.waiting_activation;
                status.problems = report.problems.clone();
                status.failing = report
                    .source_failures
                    .iter()
                    .chain(report.system_failures.iter())
                    .map(|(n, (_, msg))| (n.clone(), msg.clone()))
                    .collect();
            }
            Err(e) => {
                m.cycles.with_label_values(&[id, "skipped"]).inc();
                status.last_result = Some("skipped".into());
                status.last_error = Some(e.to_string());
                tracing::warn!(property = id, error = %e, "cycle skipped");
            }
        }
        // A source is stale when it has not answered whole for longer than its `stale_after`.
        let mut any_stale = false;
        for (source, cfg) in property
            .sources
            .keys()
            .filter_map(|s| config.sources.get(s).map(|c| (s, c)))
        {
            let last = status.source_last_success.get(source).copied();
            let stale = last.is_some_and(|t| now - t > cfg.common().stale_after.as_secs() as i64);
            any_stale |= stale;
            m.source_stale
                .with_label_values(&[source])
                .set(i64::from(stale));
        }
        status.source_stale = any_stale;
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
                s.sources = p.sources.keys().cloned().collect();
                s.access_systems = p.access_systems.keys().cloned().collect();
                s.pending_suggestions = self
                    .store
                    .suggestions()
                    .count_pending(id)
                    .unwrap_or(s.pending_suggestions);
                s.health = p
                    .connector_names()
                    .map(|n| (n.clone(), self.health.get(n)))
                    .collect();
                (id.clone(), s)
            })
            .collect()
    }
}
