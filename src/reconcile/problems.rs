//! People a source listed but could not describe (e.g. a status word nobody maps): reported on
//! the status API, counted in `lockstep_source_errors_total{kind}` and audited once per change.

use super::{Cycle, CycleError, Report};
use crate::model::RecordProblem;
use crate::store::Outcome as AuditOutcome;
use std::collections::BTreeMap;

fn key(property: &str) -> String {
    format!("record_problems:{property}")
}

impl Cycle<'_> {
    /// Reports this cycle's record problems. The metric counts every affected person every
    /// cycle (it is a rate of bad records); the audit log gets one entry when a person's problem
    /// appears or changes and one when it clears, remembered in `meta` so no cycle repeats them.
    pub(super) fn record_problems(
        &self,
        problems: &[RecordProblem],
        report: &mut Report,
    ) -> Result<(), CycleError> {
        let source = &self.property.source;
        for p in problems {
            report.problems.push(format!(
                "{source}: property {}: person {}: {}; access held as observed",
                self.property.source_property_id, p.person_id, p.detail
            ));
        }
        if self.dry_run {
            return Ok(());
        }
        for p in problems {
            self.metrics
                .source_errors
                .with_label_values(&[source, &p.kind])
                .inc();
        }
        let now: BTreeMap<String, String> = problems
            .iter()
            .map(|p| (p.person_id.clone(), p.detail.clone()))
            .collect();
        self.audit_problem_changes(&now)
    }

    /// Appends an audit entry for each person whose problem appeared, changed or cleared since
    /// the last cycle, and remembers this cycle's problems.
    fn audit_problem_changes(&self, now: &BTreeMap<String, String>) -> Result<(), CycleError> {
        let key = key(self.property_id);
        let before: BTreeMap<String, String> = self.store.meta().get(&key)?.unwrap_or_default();
        if &before == now {
            return Ok(());
        }
        let mut drafts = Vec::new();
        for (person, detail) in now {
            if before.get(person) != Some(detail) {
                let mut d = self.draft(
                    "source_record_held",
                    AuditOutcome::Held,
                    format!("{detail}; access kept exactly as observed until the source is fixed"),
                );
                d.person_id = Some(person.clone());
                drafts.push(d);
            }
        }
        for person in before.keys().filter(|p| !now.contains_key(*p)) {
            let mut d = self.draft(
                "source_record_released",
                AuditOutcome::Recorded,
                "the source describes this person again; access follows it".into(),
            );
            d.person_id = Some(person.clone());
            drafts.push(d);
        }
        self.store.meta().put(&key, now)?;
        self.audit(drafts)
    }
}
