//! What a cycle tells the metrics besides its counters: when each revocation became due (so its
//! latency runs from then to the vendor's confirmation), how much of the drift only waits for a
//! manager, and how old the oldest pending suggestion is. Alerts tell these apart: drift that
//! persists is a fault, a suggestion that waits is a manager's queue.

use super::{Cycle, CycleError, SystemView};
use crate::metrics::ACTIONS;
use crate::model::{Action, Direction};
use crate::store::SuggestionState;
use std::collections::BTreeMap;

impl Cycle<'_> {
    /// A stable id of one action in one system of this property.
    fn action_id(&self, system: &str, action: &Action) -> String {
        crate::store::suggestion_id(self.property_id, action.external_id(), [(system, action)])
    }

    /// Starts the clock of every revocation the plans carry that was not already due, and
    /// forgets those they no longer carry.
    pub(super) fn note_planned(&self, views: &[SystemView<'_>]) {
        let ids: Vec<String> = views
            .iter()
            .flat_map(|v| {
                v.plan
                    .actions
                    .iter()
                    .filter(|a| a.direction() == Direction::Revoke)
                    .map(|a| self.action_id(v.name, a))
            })
            .collect();
        self.metrics.due.planned(
            self.property_id,
            ids.iter().map(String::as_str),
            crate::metrics::unix_now(),
        );
    }

    /// Drift that waits for approval, by system and action, and the oldest pending suggestion.
    pub(super) fn note_awaiting(&self, suggest: &[(String, Action)]) -> Result<(), CycleError> {
        for system in self.property.access_systems.keys() {
            let mut by_action: BTreeMap<&str, i64> = ACTIONS.iter().map(|a| (*a, 0)).collect();
            for (_, action) in suggest.iter().filter(|(s, _)| s == system) {
                *by_action.entry(action.name()).or_default() += 1;
            }
            for (action, n) in by_action {
                self.metrics
                    .drift_awaiting_approval
                    .with_label_values(&[self.property_id, system, action])
                    .set(n);
            }
        }
        let oldest = self
            .store
            .suggestions()
            .list(Some(self.property_id), Some(SuggestionState::Pending))?
            .iter()
            .map(|s| s.created_at)
            .min()
            .unwrap_or(0);
        self.metrics
            .suggestions_oldest_pending
            .with_label_values(&[self.property_id])
            .set(oldest as f64);
        Ok(())
    }

    /// A revocation the access system confirmed at `answered_at`: observe how long it was due.
    /// `fallback` (a stored suggestion's birth) stands in after a restart.
    pub(super) fn note_revoked(
        &self,
        system: &str,
        action: &Action,
        fallback: Option<f64>,
        answered_at: f64,
    ) {
        if action.direction() != Direction::Revoke {
            return;
        }
        let latency = self.metrics.due.confirmed(
            self.property_id,
            &self.action_id(system, action),
            fallback,
            answered_at,
        );
        self.metrics
            .revocation_latency
            .with_label_values(&[system])
            .observe(latency);
    }
}
