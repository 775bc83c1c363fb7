//! When each revocation became due, for `lockstep_revocation_latency_seconds`.
//!
//! A revocation is due from the first cycle that planned it (whatever happens next: held by the
//! guard, waiting for a manager, failing and retried) until the access system confirms it. The
//! first-planned moments live in one small map keyed by property and suggestion id (the stable
//! id of an action), with sub-second precision; entries leave when the revocation is confirmed or
//! a cycle of the property no longer plans it, so the map holds at most the revocations
//! outstanding now. After a restart the map is empty and the suggestion's `created_at` (whole
//! seconds, stored) stands in where there is one.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time now, in fractional seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// First-planned times of outstanding revocations: property → action id → Unix seconds.
#[derive(Debug, Default)]
pub struct DueClock {
    due: Mutex<BTreeMap<String, BTreeMap<String, f64>>>,
}

impl DueClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, BTreeMap<String, f64>>> {
        self.due.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the revocations one cycle of `property` planned (`ids`) at `now`: new ones start
    /// their clock, known ones keep it, and those no longer planned are forgotten.
    pub fn planned<'a>(&self, property: &str, ids: impl IntoIterator<Item = &'a str>, now: f64) {
        let mut all = self.lock();
        let old = all.remove(property).unwrap_or_default();
        let next: BTreeMap<String, f64> = ids
            .into_iter()
            .map(|id| (id.to_string(), old.get(id).copied().unwrap_or(now)))
            .collect();
        if !next.is_empty() {
            all.insert(property.to_string(), next);
        }
    }

    /// The access system confirmed revocation `id` at `now`: returns how long it was due and
    /// stops its clock. `fallback` (a stored suggestion's birth) is used when this process never
    /// saw it planned (a restart in between); without either the revocation was due this cycle.
    pub fn confirmed(&self, property: &str, id: &str, fallback: Option<f64>, now: f64) -> f64 {
        let mut all = self.lock();
        let started = all.get_mut(property).and_then(|m| m.remove(id));
        if all.get(property).is_some_and(BTreeMap::is_empty) {
            all.remove(property);
        }
        let due = started.or(fallback).unwrap_or(now);
        (now - due).max(0.0)
    }

    /// Drops a property that left the config.
    pub fn forget(&self, property: &str) {
        self.lock().remove(property);
    }

    /// Revocations being timed (for tests and bounds checks).
    pub fn outstanding(&self) -> usize {
        self.lock().values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_runs_from_first_planned_to_confirmation() {
        let c = DueClock::default();
        c.planned("p1", ["a", "b"], 100.25);
        c.planned("p1", ["a", "b"], 160.0);
        assert_eq!(c.confirmed("p1", "a", Some(90.0), 160.75), 60.5);
        assert_eq!(c.outstanding(), 1);
        // Not planned any more (the lease changed back): forgotten, not timed later.
        c.planned("p1", [], 200.0);
        assert_eq!(c.outstanding(), 0);
        // Never seen planned (restart): the stored suggestion's birth stands in.
        assert_eq!(c.confirmed("p1", "b", Some(150.0), 200.5), 50.5);
        assert_eq!(c.confirmed("p1", "c", None, 200.5), 0.0);
        c.planned("p2", ["x"], 1.0);
        c.forget("p2");
        assert_eq!(c.outstanding(), 0);
    }
}
