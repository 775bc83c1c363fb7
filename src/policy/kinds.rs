//! What each kind of person is entitled to at one instant (DESIGN §3): residents by lease,
//! staff by role between start and end date, coworking members by plan, place, bookings and
//! day passes, visitors around their visit. Pure: `now` is passed in.
//!
//! Every grant carries the window it is valid in. A grant whose window has not begun or is over
//! is not desired at all, so a system that cannot hold windows is granted at the start and
//! revoked at the end by lockstep itself; `next_edge` says when the answer next changes so the
//! daemon can wake the property then.

use crate::config::{MemberRules, PropertyConfig, VisitorRules};
use crate::model::{Membership, PersonKind, PersonRecord, Timestamp, Visit, Window};
use std::collections::{BTreeMap, BTreeSet};

/// One record's entitlement at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entitlement {
    /// Group → the window it is valid in. Only windows that contain `now`.
    pub groups: BTreeMap<String, Window>,
    /// The next instant after `now` at which a window opens or closes.
    pub next_edge: Option<Timestamp>,
    /// Leave this person exactly as observed (a visitor the visitor system excluded).
    pub hands_off: bool,
    /// Why the person gets nothing although listed, in words (`walk-in refused: …`).
    pub note: Option<String>,
    /// Whether the activation delay applies: status-driven access (residents, staff). Booked,
    /// passed and visiting access follows its own window.
    pub delayed: bool,
}

impl Entitlement {
    /// Adds `groups` valid in `window`, if `window` contains `now`; otherwise only notes its
    /// next edge. Two windows for one group (a plan and a booking) merge into the wider.
    fn grant<'a>(
        &mut self,
        groups: impl IntoIterator<Item = &'a String>,
        window: Window,
        now: Timestamp,
    ) {
        for edge in [window.from, window.until].into_iter().flatten() {
            if edge > now {
                self.next_edge = Some(self.next_edge.map_or(edge, |t| t.min(edge)));
            }
        }
        if !contains(&window, now) {
            return;
        }
        for group in groups {
            let merged = match self.groups.get(group) {
                Some(old) => widest(old, &window),
                None => window,
            };
            self.groups.insert(group.clone(), merged);
        }
    }
}

/// Whether `now` lies in `window` (start inclusive, end exclusive).
pub fn contains(window: &Window, now: Timestamp) -> bool {
    window.from.is_none_or(|from| from <= now) && window.until.is_none_or(|until| now < until)
}

/// The smallest window covering two windows that both contain the same instant (open wins).
pub fn widest(a: &Window, b: &Window) -> Window {
    Window {
        from: a.from.zip(b.from).map(|(x, y)| x.min(y)),
        until: a.until.zip(b.until).map(|(x, y)| x.max(y)),
    }
}

/// What one record entitles its person to at `now`, assuming the person's status gives access.
/// `Err` when the record cannot be placed (a staff role nobody mapped): existing access is kept.
pub fn entitlement(
    property: &PropertyConfig,
    person: &PersonRecord,
    now: Timestamp,
) -> Result<Entitlement, String> {
    let mut out = Entitlement::default();
    match person.kind() {
        PersonKind::Resident => {
            out.delayed = true;
            let mut groups: BTreeSet<String> = property.common_groups.iter().cloned().collect();
            if let Some(unit) = &person.unit {
                groups.extend(crate::policy::unit_groups(&property.units, unit));
            }
            // A resident on notice keeps access until the move-out date; otherwise the lease
            // table alone decides (a lease end date in the past on a current lease is a renewal
            // the PMS has not caught up with, not a reason to lock someone out).
            let until = (person.status == crate::model::LeaseStatus::Notice)
                .then_some(person.lease_end)
                .flatten();
            out.grant(&groups, Window { from: None, until }, now);
        }
        PersonKind::Staff => {
            out.delayed = true;
            let role = person.role.as_deref().unwrap_or_default();
            let groups = property.roles.get(role).ok_or_else(|| {
                format!(
                    "person {}: role {role:?} has no group mapping; no access granted",
                    person.id
                )
            })?;
            out.grant(groups, dates(person), now);
        }
        PersonKind::Member => {
            if let Some(membership) = &person.membership {
                member(&mut out, &property.members, membership, dates(person), now);
            }
        }
        PersonKind::Visitor => {
            if let Some(visit) = &person.visit {
                visitor(&mut out, &property.visitors, visit, now);
            }
        }
    }
    Ok(out)
}

/// The entitlement's dates: contract or plan start and end.
fn dates(person: &PersonRecord) -> Window {
    Window {
        from: person.lease_start,
        until: person.lease_end,
    }
}

/// Plan, location, floor and office groups for the membership's dates; each booking's resource
/// for the booking (with lead and lag, inside the membership); each day pass with passes left
/// for its validity.
fn member(
    out: &mut Entitlement,
    rules: &MemberRules,
    m: &Membership,
    dates: Window,
    now: Timestamp,
) {
    let mapped = |table: &BTreeMap<String, Vec<String>>, key: &str| -> Vec<String> {
        table.get(key).cloned().unwrap_or_default()
    };
    let mut standing: Vec<String> = Vec::new();
    for plan in &m.plans {
        standing.extend(mapped(&rules.plans, plan));
    }
    if let Some(location) = &m.location {
        standing.extend(mapped(&rules.locations, location));
    }
    if let Some(floor) = &m.floor {
        standing.extend(mapped(&rules.floors, floor));
    }
    for office in &m.offices {
        standing.extend(mapped(&rules.offices, office));
    }
    out.grant(&standing, dates, now);
    let lead = rules.booking_lead.as_secs() as i64;
    let lag = rules.booking_lag.as_secs() as i64;
    for booking in m
        .bookings
        .iter()
        .filter(|b| !b.cancelled && b.end > b.start)
    {
        let window = within(
            Window {
                from: Some(booking.start.saturating_sub(lead)),
                until: Some(booking.end.saturating_add(lag)),
            },
            dates,
        );
        out.grant(&mapped(&rules.resources, &booking.resource), window, now);
    }
    for pass in m.day_passes.iter().filter(|p| p.remaining > 0) {
        let window = within(
            Window {
                from: pass.valid_from,
                until: pass.valid_until,
            },
            dates,
        );
        out.grant(&mapped(&rules.day_passes, &pass.name), window, now);
    }
}

/// The part of `inner` inside `outer` (may be empty: `from >= until`, which contains nothing).
fn within(inner: Window, outer: Window) -> Window {
    let later = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let earlier = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    Window {
        from: later(inner.from, outer.from),
        until: earlier(inner.until, outer.until),
    }
}

/// The visit's window: from `early_access` before the expected arrival (or the sign-in of a
/// walk-in) until `access_duration` after the later of arrival and sign-in; nothing after
/// sign-out, nothing for a walk-in where invitations are required, hands off when excluded.
pub fn visit_window(rules: &VisitorRules, visit: &Visit) -> Result<Window, String> {
    if visit.excluded {
        return Err("excluded by the visitor system".into());
    }
    if rules.invite_required && !visit.invited && !visit.employee {
        return Err("walk-in refused: this property requires an invitation".into());
    }
    let Some(start) = visit.expected_arrival.or(visit.signed_in) else {
        return Err("no expected arrival and not signed in".into());
    };
    let duration = if visit.employee {
        rules.employee_access_duration
    } else {
        rules.access_duration
    };
    let base = visit.signed_in.map_or(start, |s| s.max(start));
    let mut until = base.saturating_add(duration.as_secs() as i64);
    if let Some(out) = visit.signed_out {
        until = until.min(out);
    }
    Ok(Window {
        from: Some(start.saturating_sub(rules.early_access.as_secs() as i64)),
        until: Some(until),
    })
}

fn visitor(out: &mut Entitlement, rules: &VisitorRules, visit: &Visit, now: Timestamp) {
    match visit_window(rules, visit) {
        Ok(window) => out.grant(&rules.groups, window, now),
        Err(why) => {
            out.hands_off = visit.excluded;
            out.note = Some(why);
        }
    }
}

#[cfg(test)]
mod tests;
