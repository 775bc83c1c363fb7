//! People a source listed but could not describe (e.g. a status word nobody maps), and people
//! with several accounts under one external id: reported on the status API, counted in metrics
//! and audited once per change.

use super::{Cycle, CycleError, Report, SystemView};
use crate::model::{external_id, RecordProblem};
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
        problems: &[(String, RecordProblem)],
        report: &mut Report,
    ) -> Result<(), CycleError> {
        for (source, p) in problems {
            let source_id = self.property.sources.get(source).map_or("", String::as_str);
            report.problems.push(format!(
                "{source}: property {source_id}: person {}: {}; access held as observed",
                p.person_id, p.detail
            ));
        }
        if self.dry_run {
            return Ok(());
        }
        for (source, p) in problems {
            self.metrics
                .source_errors
                .with_label_values(&[source, &p.kind])
                .inc();
        }
        let now: BTreeMap<String, String> = problems
            .iter()
            .map(|(source, p)| (external_id(source, &p.person_id), p.detail.clone()))
            .collect();
        self.audit_problem_changes(&now)
    }

    /// Accounts that share an external id: a gauge per system, and one audit entry when a
    /// person's count of accounts changes.
    pub(super) fn record_duplicates(&self, views: &[SystemView<'_>]) -> Result<(), CycleError> {
        if self.dry_run {
            return Ok(());
        }
        for v in views {
            let extra: usize = v.actual.duplicates.values().map(Vec::len).sum();
            self.metrics
                .duplicate_accounts
                .with_label_values(&[self.property_id, v.name])
                .set(extra as i64);
            let key = format!("duplicates:{}:{}", self.property_id, v.name);
            let now: BTreeMap<String, usize> = v
                .actual
                .duplicates
                .iter()
                .map(|(ext, copies)| (ext.clone(), copies.len() + 1))
                .collect();
            let before: BTreeMap<String, usize> = self.store.meta().get(&key)?.unwrap_or_default();
            if before == now {
                continue;
            }
            let mut drafts = Vec::new();
            for (ext, n) in now.iter().filter(|(e, n)| before.get(*e) != Some(*n)) {
                let mut d = self.draft(
                    "duplicate_accounts",
                    crate::store::Outcome::Recorded,
                    format!("{n} accounts in {} carry the external id {ext}; revocations apply to each, no further account is created", v.name),
                );
                d.system = Some(v.name.to_string());
                d.person_id = Some(crate::plan::person_id_of(ext));
                drafts.push(d);
            }
            self.store.meta().put(&key, &now)?;
            self.audit(drafts)?;
        }
        Ok(())
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
                d.person_id = Some(crate::plan::person_id_of(person));
                drafts.push(d);
            }
        }
        for person in before.keys().filter(|p| !now.contains_key(*p)) {
            let mut d = self.draft(
                "source_record_released",
                AuditOutcome::Recorded,
                "the source describes this person again; access follows it".into(),
            );
            d.person_id = Some(crate::plan::person_id_of(person));
            drafts.push(d);
        }
        self.store.meta().put(&key, now)?;
        self.audit(drafts)
    }
}
