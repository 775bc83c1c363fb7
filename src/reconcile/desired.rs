//! The desired half of a cycle: every source of the property read and gated on its own, then
//! the policy over the feeds that came back whole. A failed source holds the people it made.

use super::{Cycle, CycleError, Decided, Report};
use crate::model::{external_id, SourceSnapshot, EXTERNAL_ID_PREFIX};
use crate::policy::{self, Feed, ManualOverride, Mark};
use crate::store::StatusMark;
use std::collections::{BTreeMap, BTreeSet};

impl Cycle<'_> {
    /// Reads the sources and runs the policy. Fails only when no source answered whole.
    pub(super) async fn decide(&self, report: &mut Report) -> Result<Decided, CycleError> {
        let mut feeds: BTreeMap<String, SourceSnapshot> = BTreeMap::new();
        let mut failed = BTreeSet::new();
        let mut last_error = None;
        for (name, source_id) in &self.property.sources {
            let result = self.fetch_one(name, source_id).await;
            if !matches!(result, Err(CycleError::Unavailable(_))) {
                // A short feed is a data problem the gate handles every cycle, not a failure
                // of the connector; a quarantined source is not tried at all.
                let failure = result
                    .as_ref()
                    .err()
                    .filter(|e| crate::net::is_connector_failure(e.kind()) || e.kind() == "fault");
                self.record_health(name, failure.map(|e| e.to_string()));
            }
            match result {
                Ok(snapshot) => {
                    feeds.insert(name.clone(), snapshot);
                }
                Err(e) => {
                    if !self.dry_run {
                        self.metrics
                            .source_errors
                            .with_label_values(&[name, e.kind()])
                            .inc();
                    }
                    tracing::warn!(property = self.property_id, source = %name, error = %e, "source skipped; its people are held");
                    report
                        .source_failures
                        .insert(name.clone(), (e.kind().to_string(), e.to_string()));
                    failed.insert(name.clone());
                    last_error = Some(e);
                }
            }
        }
        if feeds.is_empty() {
            return Err(
                last_error.unwrap_or(CycleError::Unavailable("the property has no source".into()))
            );
        }
        let problems: Vec<(String, crate::model::RecordProblem)> = feeds
            .iter()
            .flat_map(|(s, snap)| snap.problems.iter().map(move |p| (s.clone(), p.clone())))
            .collect();
        self.record_problems(&problems, report)?;
        let overrides: BTreeMap<String, ManualOverride> = self
            .store
            .overrides()
            .list(Some(self.property_id))?
            .into_iter()
            .map(|o| {
                let manual = ManualOverride {
                    force_status: o.force_status,
                    add_groups: o.add_groups,
                    remove_groups: o.remove_groups,
                };
                (o.person_id, manual)
            })
            .collect();
        let saved = self.load_marks()?;
        let marks: BTreeMap<String, Mark> = saved
            .iter()
            .map(|(ext, m)| {
                let mark = Mark {
                    status: m.status,
                    since: m.since,
                    unit: m.unit.clone(),
                    ends: m.ends.clone(),
                };
                (ext.clone(), mark)
            })
            .collect();
        let lost = self.store.lost().for_property(self.property_id)?;
        let held: BTreeMap<&String, BTreeSet<String>> = feeds
            .iter()
            .map(|(s, snap)| (s, snap.held_people()))
            .collect();
        let feed_list: Vec<Feed<'_>> = feeds
            .iter()
            .map(|(s, snap)| Feed {
                source: s,
                people: &snap.people,
                held: &held[s],
            })
            .collect();
        let passes = self.store.guest_passes().for_property(self.property_id)?;
        let mut out = policy::desired(&policy::Input {
            property: self.property,
            feeds: &feed_list,
            failed: &failed,
            overrides: &overrides,
            marks: &marks,
            lost: &lost,
            now: self.now,
        });
        policy::pins::add_guests(&mut out, self.property, &passes, self.now);
        if !self.dry_run {
            let mut keep: BTreeMap<String, StatusMark> = out
                .marks
                .iter()
                .map(|(ext, m)| {
                    let mark = StatusMark {
                        status: m.status,
                        unit: m.unit.clone(),
                        since: m.since,
                        ends: m.ends.clone(),
                    };
                    (ext.clone(), mark)
                })
                .collect();
            // People of a failed source keep their marks until it answers again.
            for (ext, m) in &saved {
                let of_failed = crate::model::source_of(ext).is_some_and(|s| failed.contains(s));
                if of_failed {
                    keep.entry(ext.clone()).or_insert_with(|| m.clone());
                }
            }
            self.store.tracker().save(self.property_id, &keep)?;
            for (name, snapshot) in &feeds {
                crate::gate::remember_good_feed(self, name, snapshot)?;
            }
        }
        report.desired_users = out.desired.users.len();
        report.waiting_activation = out.waiting;
        report.next_due = out.next_due;
        report.problems.extend(out.problems);
        Ok(Decided {
            last_units: saved.into_iter().map(|(ext, m)| (ext, m.unit)).collect(),
            desired: out.desired,
            people: out.people,
        })
    }

    async fn fetch_one(&self, name: &str, source_id: &str) -> Result<SourceSnapshot, CycleError> {
        if let Some(why) = self.quarantined.get(name) {
            return Err(CycleError::Unavailable(why.clone()));
        }
        let source = self.sources.get(name).ok_or_else(|| {
            CycleError::Unavailable(format!("source {name}: its connector is not built"))
        })?;
        let snapshot = source.fetch(source_id).await?;
        crate::gate::check_complete(self, name, source_id, &snapshot)?;
        Ok(snapshot)
    }

    /// The property's marks by external id. Marks of earlier builds were keyed by person id
    /// alone; they belong to the property's first source (the only one those builds knew).
    fn load_marks(&self) -> Result<BTreeMap<String, StatusMark>, CycleError> {
        let first = self.property.sources.keys().next().cloned();
        let mut out = BTreeMap::new();
        for (key, mark) in self.store.tracker().load(self.property_id)? {
            let ext = match (&first, key.starts_with(EXTERNAL_ID_PREFIX)) {
                (_, true) => key,
                (Some(source), false) => external_id(source, &key),
                (None, false) => continue,
            };
            out.insert(ext, mark);
        }
        Ok(out)
    }
}
