//! Stored events of one property → the people they describe. Pure and order-free: events are
//! applied sorted by their own time (then id), so the answer is the same whatever order they
//! arrived in, and an event applied twice changes nothing (ids are unique in the store).
//!
//! - `person.upsert` replaces the person's record; `person.remove` forgets the person, their
//!   visit and bookings; whichever is later in time wins.
//! - A visit keeps the latest sign-in and the latest sign-out; a sign-out earlier than the
//!   latest sign-in does not sign the visitor out (they came back, or it arrived late).
//! - `booking.upsert`/`booking.cancel` on one booking: the later in time wins. A person with
//!   bookings is a coworking member (with no person record: named by their id, current).
//! - `credential.lost` describes no person (it is recorded in the lost-credentials tree).

use crate::model::{
    Booking, Event, EventBody, LeaseStatus, Membership, PersonFields, PersonRecord, Timestamp,
    Visit, VisitStep,
};
use std::collections::BTreeMap;

#[derive(Default)]
struct Acc {
    record: Option<PersonFields>,
    visit: Option<VisitAcc>,
    bookings: BTreeMap<String, Booking>,
}

#[derive(Default)]
struct VisitAcc {
    name: Option<String>,
    email: Option<String>,
    visit: Visit,
}

/// The people `events` describe, sorted by id.
pub fn people(events: &[Event]) -> Vec<PersonRecord> {
    let mut order: Vec<&Event> = events.iter().collect();
    order.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for e in order {
        apply(&mut acc, e);
    }
    acc.into_iter()
        .filter_map(|(id, a)| record(id, a))
        .collect()
}

fn apply(acc: &mut BTreeMap<String, Acc>, e: &Event) {
    let person = e.body.person().to_string();
    match &e.body {
        EventBody::PersonUpsert(p) => acc.entry(person).or_default().record = Some(p.clone()),
        EventBody::PersonRemove { .. } => {
            acc.remove(&person);
        }
        EventBody::Visit { step, visit } => {
            let a = acc
                .entry(person)
                .or_default()
                .visit
                .get_or_insert_with(VisitAcc::default);
            if visit.name.is_some() {
                a.name = visit.name.clone();
            }
            if visit.email.is_some() {
                a.email = visit.email.clone();
            }
            let v = &mut a.visit;
            v.expected_arrival = visit.expected_arrival.or(v.expected_arrival);
            v.invited = visit.invited.unwrap_or(v.invited);
            v.employee = visit.employee.unwrap_or(v.employee);
            v.excluded = visit.excluded.unwrap_or(v.excluded);
            match step {
                VisitStep::Expected => {}
                VisitStep::SignedIn => v.signed_in = later(v.signed_in, e.time),
                VisitStep::SignedOut => v.signed_out = later(v.signed_out, e.time),
            }
        }
        EventBody::BookingUpsert(b) => {
            acc.entry(person).or_default().bookings.insert(
                b.id.clone(),
                Booking {
                    id: b.id.clone(),
                    resource: b.resource.clone(),
                    start: b.start,
                    end: b.end,
                    cancelled: false,
                },
            );
        }
        EventBody::BookingCancel { booking, .. } => {
            if let Some(b) = acc
                .get_mut(&person)
                .and_then(|a| a.bookings.get_mut(booking))
            {
                b.cancelled = true;
            }
        }
        EventBody::CredentialLost { .. } => {}
    }
}

fn later(old: Option<Timestamp>, new: Timestamp) -> Option<Timestamp> {
    Some(old.map_or(new, |o| o.max(new)))
}

fn record(id: String, a: Acc) -> Option<PersonRecord> {
    if a.record.is_none() && a.visit.is_none() && a.bookings.is_empty() {
        return None;
    }
    let mut r = match a.record {
        Some(p) => PersonRecord {
            id: p.id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            unit: p.unit,
            status: p.status,
            role: p.role,
            lease_start: p.start,
            lease_end: p.end,
            membership: None,
            visit: None,
        },
        None => PersonRecord {
            id: id.clone(),
            name: id.clone(),
            email: None,
            phone: None,
            unit: None,
            status: LeaseStatus::Current,
            role: None,
            lease_start: None,
            lease_end: None,
            membership: None,
            visit: None,
        },
    };
    if let Some(mut v) = a.visit {
        // Signed out before the latest sign-in: in again.
        if let (Some(out), Some(inn)) = (v.visit.signed_out, v.visit.signed_in) {
            if out < inn {
                v.visit.signed_out = None;
            }
        }
        if r.name == id {
            r.name = v.name.unwrap_or(r.name);
        }
        r.email = r.email.or(v.email);
        r.visit = Some(v.visit);
    }
    let bookings: Vec<Booking> = a.bookings.into_values().collect();
    if !bookings.is_empty() {
        r.membership = Some(Box::new(Membership {
            bookings,
            ..Membership::default()
        }));
    }
    Some(r)
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
