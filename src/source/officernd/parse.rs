//! OfficeRnD's lists of one organisation → one `PersonRecord` per member of one location, with
//! the membership (plans, location, floor, offices, bookings, day passes) joined in. Pure: the
//! lists and `now` come in, the snapshot goes out.
//!
//! A member lockstep cannot describe (a status word nobody maps, a date it cannot read, a plan
//! or room that no list names) is a problem for that member only: their access is held.

use super::wire::{self, parse_time, Booking, Floor, Member, Membership, Named, Pass, Resource};
use crate::model::{self, LeaseStatus, PersonRecord, RecordProblem, SourceSnapshot, Timestamp};
use std::collections::BTreeMap;

/// Everything one fetch read, for one location.
pub struct Lists {
    pub location_id: String,
    pub location_name: String,
    /// How many locations the organisation has: a member without one belongs to the only one.
    pub locations: usize,
    pub floors: Vec<Floor>,
    pub resources: Vec<Resource>,
    pub plans: Vec<Named>,
    pub members: Vec<Member>,
    pub memberships: Vec<Membership>,
    pub bookings: Vec<Booking>,
    pub passes: Vec<Pass>,
}

/// The name day passes get when they name no plan (assumption, see `wire::Pass`).
pub const DEFAULT_PASS_NAME: &str = "Day Pass";

pub const NO_LOCATION: &str = "no_location";
pub const UNKNOWN_REFERENCE: &str = "unknown_reference";
pub const BAD_DATE: &str = "bad_date";

/// Bookings that ended up to this long ago are kept: a property may keep a room open for up to
/// a week after a booking (`booking_lag`, bounded in `config::validate::kinds`), and a booking
/// dropped at its end would cut that lag short.
pub const KEEP_ENDED_BOOKINGS: i64 = 7 * 86_400;

/// OfficeRnD's member status words (D-members: active, contact, former), mapped. `lead` and
/// "not started" are not in the reference; they are read as people without access yet
/// (assumption, conservative). `None`: nobody maps the word.
pub fn member_status(word: &str) -> Option<LeaseStatus> {
    let w: String = word
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    Some(match w.as_str() {
        "active" => LeaseStatus::Current,
        "former" | "ended" => LeaseStatus::Past,
        "contact" | "lead" | "notstarted" | "pending" => LeaseStatus::Future,
        _ => return None,
    })
}

/// Builds the snapshot. Members of other locations are left out; members with a problem are
/// listed in `problems` only.
pub fn assemble(lists: &Lists, now: Timestamp) -> SourceSnapshot {
    let names = |rows: Vec<(&str, &str)>| -> BTreeMap<String, String> {
        rows.into_iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect()
    };
    let ctx = Ctx {
        lists,
        now,
        plans: names(lists.plans.iter().map(|p| (&*p.id, &*p.name)).collect()),
        floors: names(lists.floors.iter().map(|f| (&*f.id, &*f.name)).collect()),
        resources: lists.resources.iter().map(|r| (r.id.clone(), r)).collect(),
    };
    let mut out = SourceSnapshot::default();
    for m in &lists.members {
        match m.location.as_ref().map(|l| l.id()) {
            Some(loc) if loc == lists.location_id => {}
            None if lists.locations == 1 => {}
            None => {
                out.problems.push(problem(
                    m,
                    NO_LOCATION,
                    "names no location and the organisation has several".into(),
                ));
                continue;
            }
            Some(_) => continue,
        }
        match ctx.person(m) {
            Ok(p) => out.people.push(p),
            Err(p) => out.problems.push(p),
        }
    }
    out
}

fn problem(m: &Member, kind: &str, detail: String) -> RecordProblem {
    RecordProblem {
        person_id: m.id.clone(),
        kind: kind.to_string(),
        detail,
    }
}

struct Ctx<'a> {
    lists: &'a Lists,
    now: Timestamp,
    plans: BTreeMap<String, String>,
    floors: BTreeMap<String, String>,
    resources: BTreeMap<String, &'a Resource>,
}

/// Whether a row held by `member` or by `company` belongs to member `m`.
fn held_by(m: &Member, member: &Option<wire::Ref>, company: &Option<wire::Ref>) -> bool {
    match (member, company, &m.company) {
        (Some(r), _, _) => r.id() == m.id,
        (None, Some(c), Some(mc)) => c.id() == mc.id(),
        _ => false,
    }
}

impl Ctx<'_> {
    fn time(
        &self,
        m: &Member,
        what: &str,
        text: &Option<String>,
    ) -> Result<Option<i64>, RecordProblem> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => parse_time(t).map(Some).ok_or_else(|| {
                problem(m, BAD_DATE, format!("{what} {t:?} is not an ISO 8601 date"))
            }),
        }
    }

    fn person(&self, m: &Member) -> Result<PersonRecord, RecordProblem> {
        let word = m.status.as_deref().unwrap_or("");
        let status = member_status(word).ok_or_else(|| {
            problem(
                m,
                RecordProblem::UNKNOWN_STATUS,
                format!("unknown member status {word:?}"),
            )
        })?;
        let mut membership = model::Membership {
            location: Some(self.lists.location_name.clone()),
            ..Default::default()
        };
        let (start, end) = self.memberships(m, &mut membership)?;
        self.bookings(m, &mut membership)?;
        self.passes(m, &mut membership)?;
        Ok(PersonRecord {
            id: m.id.clone(),
            name: m.name.clone(),
            email: m.email.clone().filter(|e| !e.trim().is_empty()),
            phone: m.phone.clone().filter(|p| !p.trim().is_empty()),
            unit: None,
            status,
            role: None,
            lease_start: match start {
                Some(s) => Some(s),
                None => self.time(m, "startDate", &m.start_date)?,
            },
            lease_end: end,
            membership: Some(Box::new(membership)),
            visit: None,
        })
    }

    /// Plans and offices of the memberships not yet ended; their earliest start and latest end
    /// (none if one is open-ended) are the member's dates. With none live, the latest ended one
    /// gives the dates and no plan.
    fn memberships(
        &self,
        m: &Member,
        out: &mut model::Membership,
    ) -> Result<(Option<i64>, Option<i64>), RecordProblem> {
        let mut live: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        let mut last_ended: Option<(Option<i64>, i64)> = None;
        for ms in self
            .lists
            .memberships
            .iter()
            .filter(|ms| held_by(m, &ms.member, &ms.company))
        {
            let start = self.time(m, "membership startDate", &ms.start_date)?;
            let end = self.time(m, "membership endDate", &ms.end_date)?;
            if let Some(e) = end.filter(|e| *e <= self.now) {
                if last_ended.is_none_or(|(_, le)| e > le) {
                    last_ended = Some((start, e));
                }
                continue;
            }
            if let Some(plan) = &ms.plan {
                let name = self.plans.get(plan.id()).ok_or_else(|| {
                    problem(
                        m,
                        UNKNOWN_REFERENCE,
                        format!(
                            "membership {} names plan {:?}, which /plans does not list",
                            ms.id,
                            plan.id()
                        ),
                    )
                })?;
                out.plans.push(name.clone());
            }
            if let Some(r) = &ms.resource {
                let office = self.resource(m, r.id())?;
                out.offices.push(office.name.clone());
                if let Some(f) = &office.floor {
                    let floor = self.floors.get(f.id()).ok_or_else(|| {
                        problem(
                            m,
                            UNKNOWN_REFERENCE,
                            format!(
                                "office {:?} names floor {:?}, which /floors does not list",
                                office.name,
                                f.id()
                            ),
                        )
                    })?;
                    out.floor.get_or_insert_with(|| floor.clone());
                }
            }
            live.push((start, end));
        }
        out.plans.sort();
        out.plans.dedup();
        out.offices.sort();
        out.offices.dedup();
        if live.is_empty() {
            return Ok(last_ended.map_or((None, None), |(s, e)| (s, Some(e))));
        }
        let start = live.iter().filter_map(|(s, _)| *s).min();
        let end = if live.iter().any(|(_, e)| e.is_none()) {
            None
        } else {
            live.iter().filter_map(|(_, e)| *e).max()
        };
        Ok((start, end))
    }

    fn resource(&self, m: &Member, id: &str) -> Result<&Resource, RecordProblem> {
        self.resources.get(id).copied().ok_or_else(|| {
            problem(
                m,
                UNKNOWN_REFERENCE,
                format!("resource {id:?} is not listed by /resources"),
            )
        })
    }

    /// The member's own bookings that have not ended, or ended within `KEEP_ENDED_BOOKINGS`
    /// (a company's bookings are not a member's).
    fn bookings(&self, m: &Member, out: &mut model::Membership) -> Result<(), RecordProblem> {
        for b in self
            .lists
            .bookings
            .iter()
            .filter(|b| b.member.as_ref().is_some_and(|r| r.id() == m.id))
        {
            let start = self.time(m, "booking start", &Some(b.start.text().to_string()))?;
            let end = self.time(m, "booking end", &Some(b.end.text().to_string()))?;
            let (Some(start), Some(end)) = (start, end) else {
                continue;
            };
            if end <= self.now.saturating_sub(KEEP_ENDED_BOOKINGS) {
                continue;
            }
            let resource = self.resource(m, b.resource_id.id())?;
            out.bookings.push(model::Booking {
                id: b.id.clone(),
                resource: resource.name.clone(),
                start,
                end,
                cancelled: b.is_cancelled,
            });
        }
        out.bookings.sort();
        Ok(())
    }

    /// Passes held by the member or their company: what remains and when it is valid.
    fn passes(&self, m: &Member, out: &mut model::Membership) -> Result<(), RecordProblem> {
        for p in self
            .lists
            .passes
            .iter()
            .filter(|p| held_by(m, &p.member, &p.company))
        {
            let name = match &p.plan {
                None => DEFAULT_PASS_NAME.to_string(),
                Some(plan) => self.plans.get(plan.id()).cloned().ok_or_else(|| {
                    problem(
                        m,
                        UNKNOWN_REFERENCE,
                        format!(
                            "passes {} name plan {:?}, which /plans does not list",
                            p.id,
                            plan.id()
                        ),
                    )
                })?,
            };
            out.day_passes.push(model::DayPass {
                id: p.id.clone(),
                name,
                remaining: p.count.saturating_sub(p.used),
                valid_from: self.time(m, "passes validFrom", &p.valid_from)?,
                valid_until: self.time(m, "passes validTo", &p.valid_to)?,
            });
        }
        out.day_passes.sort();
        Ok(())
    }
}
