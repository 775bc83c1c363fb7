//! Folding events into people: order by the events' own time, idempotence, removal.

use super::*;
use crate::model::{BookingFields, PersonFields, VisitFields};

fn visit(id: &str, step: VisitStep, time: Timestamp) -> Event {
    Event {
        id: id.into(),
        property: "p1".into(),
        time,
        body: EventBody::Visit {
            step,
            visit: VisitFields {
                visitor: "v1".into(),
                name: Some("Ada".into()),
                expected_arrival: (step == VisitStep::Expected).then_some(1_000),
                invited: Some(true),
                ..VisitFields::default()
            },
        },
    }
}

fn the_visit(events: &[Event]) -> Visit {
    let people = people(events);
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].name, "Ada");
    people[0].visit.clone().expect("a visit")
}

#[test]
fn a_sign_out_after_the_sign_in_ends_the_visit_in_any_arrival_order() {
    let a = [
        visit("e1", VisitStep::Expected, 900),
        visit("e2", VisitStep::SignedIn, 1_000),
        visit("e3", VisitStep::SignedOut, 2_000),
    ];
    let mut b = a.clone();
    b.reverse();
    assert_eq!(the_visit(&a), the_visit(&b));
    assert_eq!(the_visit(&a).signed_out, Some(2_000));
    assert_eq!(the_visit(&a).signed_in, Some(1_000));
}

#[test]
fn a_sign_out_older_than_the_sign_in_does_not_sign_out() {
    // Delivered last, but it happened before the (re-)sign-in: the visitor is in.
    let events = [
        visit("e2", VisitStep::SignedIn, 1_000),
        visit("e9", VisitStep::SignedOut, 500),
    ];
    let v = the_visit(&events);
    assert_eq!((v.signed_in, v.signed_out), (Some(1_000), None));
}

#[test]
fn applying_an_event_twice_changes_nothing() {
    let e = visit("e2", VisitStep::SignedIn, 1_000);
    assert_eq!(people(std::slice::from_ref(&e)), people(&[e.clone(), e]));
}

fn upsert(id: &str, time: Timestamp, status: LeaseStatus) -> Event {
    Event {
        id: id.into(),
        property: "p1".into(),
        time,
        body: EventBody::PersonUpsert(PersonFields {
            id: "s1".into(),
            name: "Sam".into(),
            email: None,
            phone: None,
            unit: None,
            status,
            role: Some("maintenance".into()),
            start: None,
            end: Some(5_000),
        }),
    }
}

fn remove(id: &str, time: Timestamp) -> Event {
    Event {
        id: id.into(),
        property: "p1".into(),
        time,
        body: EventBody::PersonRemove {
            person: "s1".into(),
        },
    }
}

#[test]
fn the_latest_upsert_or_removal_in_time_wins() {
    let p = people(&[
        upsert("b", 200, LeaseStatus::Past),
        upsert("a", 100, LeaseStatus::Current),
    ]);
    assert_eq!(p[0].status, LeaseStatus::Past);
    assert_eq!(
        (p[0].role.as_deref(), p[0].lease_end),
        (Some("maintenance"), Some(5_000))
    );
    assert!(people(&[upsert("a", 100, LeaseStatus::Current), remove("b", 200)]).is_empty());
    assert_eq!(
        people(&[remove("b", 100), upsert("a", 200, LeaseStatus::Current)]).len(),
        1
    );
}

#[test]
fn bookings_make_a_member_and_a_later_cancel_wins() {
    let booking = |id: &str, time: Timestamp| Event {
        id: id.into(),
        property: "p1".into(),
        time,
        body: EventBody::BookingUpsert(BookingFields {
            member: "m1".into(),
            id: "b1".into(),
            resource: "Board Room".into(),
            start: 10_000,
            end: 13_600,
        }),
    };
    let cancel = |id: &str, time: Timestamp| Event {
        id: id.into(),
        property: "p1".into(),
        time,
        body: EventBody::BookingCancel {
            member: "m1".into(),
            booking: "b1".into(),
        },
    };
    let p = people(&[booking("e1", 100)]);
    let m = p[0].membership.as_ref().expect("member");
    assert_eq!((p[0].name.as_str(), m.bookings.len()), ("m1", 1));
    assert_eq!(p[0].kind(), crate::model::PersonKind::Member);
    let p = people(&[cancel("e2", 200), booking("e1", 100)]);
    assert!(p[0].membership.as_ref().expect("member").bookings[0].cancelled);
    let p = people(&[cancel("e2", 100), booking("e1", 200)]);
    assert!(!p[0].membership.as_ref().expect("member").bookings[0].cancelled);
}

#[test]
fn a_lost_credential_describes_nobody() {
    let e = Event {
        id: "e1".into(),
        property: "p1".into(),
        time: 1,
        body: EventBody::CredentialLost {
            person: "r1".into(),
            credential: "*".into(),
            note: None,
        },
    };
    assert!(people(&[e]).is_empty());
}
