//! What a cycle tells the metrics besides its counters: when each revocation became due (so its
//! latency runs from then to the vendor's confirmation), how much of the drift only waits for a
//! manager, and how old the oldest pending suggestion is. Alerts tell these apart: drift that
//! persists is a fault, a suggestion that waits is a manager's queue.

use super::{Cycle, CycleError};
use crate::metrics::{unix_now, ACTIONS};
use crate::model::{Action, Direction, Plan};
use crate::store::{Suggestion, SuggestionState};
use std::collections::BTreeMap;

impl Cycle<'_> {
    fn action_id(&self, action: &Action) -> String {
        crate::store::suggestion_id(self.property_id, &self.property.access_system, action)
    }

    /// Starts the clock of every revocation this plan carries that was not already due, and
    /// forgets those it no longer carries.
    pub(super) fn note_planned(&self, plan: &Plan) {
        let ids: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.direction() == Direction::Revoke)
            .map(|a| self.action_id(a))
            .collect();
        self.metrics
            .due
            .planned(self.property_id, ids.iter().map(String::as_str), unix_now());
    }

    /// Drift that waits for approval, by action, and the oldest pending suggestion's birth.
    pub(super) fn note_awaiting(&self, suggest: &[Action]) -> Result<(), CycleError> {
        let mut by_action: BTreeMap<&str, i64> = ACTIONS.iter().map(|a| (*a, 0)).collect();
        for action in suggest {
            *by_action.entry(action.name()).or_default() += 1;
        }
        let system = &self.property.access_system;
        for (action, n) in by_action {
            self.metrics
                .drift_awaiting_approval
                .with_label_values(&[self.property_id, system, action])
                .set(n);
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
    pub(super) fn note_revoked(
        &self,
        action: &Action,
        suggestion: Option<&Suggestion>,
        answered_at: f64,
    ) {
        if action.direction() != Direction::Revoke {
            return;
        }
        let fallback = suggestion.map(|s| s.created_at as f64);
        let latency = self.metrics.due.confirmed(
            self.property_id,
            &self.action_id(action),
            fallback,
            answered_at,
        );
        self.metrics
            .revocation_latency
            .with_label_values(&[&self.property.access_system])
            .observe(latency);
    }
}
