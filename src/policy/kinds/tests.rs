//! Each kind's rules, one test per rule, and a property test that no grant is ever given
//! outside its window.

use super::*;
use crate::config::{MemberRules, VisitorRules};
use crate::model::{Booking, DayPass, LeaseStatus};
use proptest::prelude::*;
use std::time::Duration;

const NOW: Timestamp = 1_800_000_000;
const H: i64 = 3600;

fn property() -> PropertyConfig {
    let mut p = crate::policy::tests::property();
    p.roles
        .insert("contractor".into(), vec!["Loading Dock".into()]);
    let table = |k: &str, g: &str| [(k.to_string(), vec![g.to_string()])].into_iter().collect();
    p.members = MemberRules {
        plans: table("Hot Desk", "Cowork Entrance"),
        locations: table("Midtown", "Midtown Lobby"),
        floors: table("2", "Floor 2"),
        offices: table("Office 201", "Office 201"),
        resources: table("Board Room", "Board Room"),
        day_passes: table("Day Pass", "Cowork Entrance"),
        booking_lead: Duration::from_secs(600),
        booking_lag: Duration::from_secs(300),
    };
    p.visitors = VisitorRules {
        groups: vec!["Lobby".into()],
        ..VisitorRules::default()
    };
    p
}

fn record(id: &str) -> PersonRecord {
    PersonRecord {
        id: id.into(),
        name: format!("P {id}"),
        email: None,
        phone: None,
        unit: None,
        status: LeaseStatus::Current,
        role: None,
        lease_start: None,
        lease_end: None,
        membership: None,
        visit: None,
    }
}

fn groups(e: &Entitlement) -> Vec<&str> {
    e.groups.keys().map(String::as_str).collect()
}

#[test]
fn a_contractor_holds_their_role_between_start_and_end_date() {
    let p = property();
    let mut c = record("c1");
    c.role = Some("contractor".into());
    c.lease_start = Some(NOW - H);
    c.lease_end = Some(NOW + H);
    let e = entitlement(&p, &c, NOW).unwrap();
    assert_eq!(groups(&e), ["Loading Dock"]);
    assert_eq!(e.groups["Loading Dock"].until, Some(NOW + H));
    assert_eq!(
        e.next_edge,
        Some(NOW + H),
        "the daemon wakes at the end date"
    );
    assert!(e.delayed);

    let after = entitlement(&p, &c, NOW + H).unwrap();
    assert!(after.groups.is_empty(), "the end date revokes on time");
    let before = entitlement(&p, &c, NOW - 2 * H).unwrap();
    assert!(before.groups.is_empty(), "nothing before the start date");
    assert_eq!(before.next_edge, Some(NOW - H));
}

#[test]
fn a_role_nobody_mapped_is_an_error_not_an_empty_grant() {
    let mut c = record("c1");
    c.role = Some("astronaut".into());
    let err = entitlement(&property(), &c, NOW).unwrap_err();
    assert!(err.contains("astronaut"), "{err}");
}

#[test]
fn a_resident_on_notice_keeps_access_until_move_out_only() {
    let p = property();
    let mut r = record("r1");
    r.unit = Some("101".into());
    r.status = LeaseStatus::Notice;
    r.lease_end = Some(NOW + H);
    let e = entitlement(&p, &r, NOW).unwrap();
    assert!(e.groups.contains_key("Unit 101"));
    assert!(e.groups.values().all(|w| w.until == Some(NOW + H)));
    assert!(entitlement(&p, &r, NOW + H).unwrap().groups.is_empty());
    r.status = LeaseStatus::Current;
    assert!(
        !entitlement(&p, &r, NOW + 2 * H).unwrap().groups.is_empty(),
        "a current lease's end date does not lock the resident out"
    );
}

fn member(m: Membership) -> PersonRecord {
    let mut r = record("m1");
    r.membership = Some(Box::new(m));
    r
}

#[test]
fn a_member_gets_plan_location_floor_and_office_groups_for_the_plan_dates() {
    let mut r = member(Membership {
        plans: vec!["Hot Desk".into(), "Mail Only".into()],
        location: Some("Midtown".into()),
        floor: Some("2".into()),
        offices: vec!["Office 201".into()],
        ..Membership::default()
    });
    r.lease_end = Some(NOW + 24 * H);
    let e = entitlement(&property(), &r, NOW).unwrap();
    assert_eq!(
        groups(&e),
        ["Cowork Entrance", "Floor 2", "Midtown Lobby", "Office 201"],
        "a plan nobody mapped (Mail Only) opens nothing"
    );
    assert!(!e.delayed, "members follow their own dates");
    assert!(
        entitlement(&property(), &r, NOW + 24 * H)
            .unwrap()
            .groups
            .is_empty(),
        "access ends with the membership"
    );
}

#[test]
fn a_booking_opens_its_room_from_lead_to_lag_only() {
    let r = member(Membership {
        bookings: vec![Booking {
            id: "b1".into(),
            resource: "Board Room".into(),
            start: NOW + H,
            end: NOW + 2 * H,
            cancelled: false,
        }],
        ..Membership::default()
    });
    let p = property();
    let early = entitlement(&p, &r, NOW).unwrap();
    assert!(early.groups.is_empty());
    assert_eq!(
        early.next_edge,
        Some(NOW + H - 600),
        "wakes when the lead begins"
    );
    let during = entitlement(&p, &r, NOW + H - 600).unwrap();
    assert_eq!(
        during.groups["Board Room"],
        Window {
            from: Some(NOW + H - 600),
            until: Some(NOW + 2 * H + 300)
        }
    );
    assert_eq!(during.next_edge, Some(NOW + 2 * H + 300));
    assert!(entitlement(&p, &r, NOW + 2 * H + 300)
        .unwrap()
        .groups
        .is_empty());
}

#[test]
fn a_cancelled_booking_or_one_outside_the_membership_opens_nothing() {
    let booking = |cancelled| Booking {
        id: "b1".into(),
        resource: "Board Room".into(),
        start: NOW,
        end: NOW + H,
        cancelled,
    };
    let p = property();
    let r = member(Membership {
        bookings: vec![booking(true)],
        ..Membership::default()
    });
    assert!(entitlement(&p, &r, NOW).unwrap().groups.is_empty());
    let mut r = member(Membership {
        bookings: vec![booking(false)],
        ..Membership::default()
    });
    r.lease_end = Some(NOW - 1);
    assert!(
        entitlement(&p, &r, NOW).unwrap().groups.is_empty(),
        "the membership ended first"
    );
}

#[test]
fn a_day_pass_opens_while_passes_remain_and_it_is_valid() {
    let pass = |remaining, until| DayPass {
        id: "d1".into(),
        name: "Day Pass".into(),
        remaining,
        valid_from: Some(NOW - H),
        valid_until: Some(until),
    };
    let p = property();
    let r = member(Membership {
        day_passes: vec![pass(2, NOW + H)],
        ..Membership::default()
    });
    assert_eq!(
        groups(&entitlement(&p, &r, NOW).unwrap()),
        ["Cowork Entrance"]
    );
    let used_up = member(Membership {
        day_passes: vec![pass(0, NOW + H)],
        ..Membership::default()
    });
    assert!(entitlement(&p, &used_up, NOW).unwrap().groups.is_empty());
    let expired = member(Membership {
        day_passes: vec![pass(3, NOW)],
        ..Membership::default()
    });
    assert!(entitlement(&p, &expired, NOW).unwrap().groups.is_empty());
}

#[test]
fn a_plan_and_a_pass_for_one_group_merge_into_the_wider_window() {
    let mut r = member(Membership {
        plans: vec!["Hot Desk".into()],
        day_passes: vec![DayPass {
            id: "d".into(),
            name: "Day Pass".into(),
            remaining: 1,
            valid_from: None,
            valid_until: Some(NOW + H),
        }],
        ..Membership::default()
    });
    r.lease_end = Some(NOW + 5 * H);
    let e = entitlement(&property(), &r, NOW).unwrap();
    assert_eq!(
        e.groups["Cowork Entrance"],
        Window {
            from: None,
            until: Some(NOW + 5 * H)
        }
    );
}

fn visitor(v: Visit) -> PersonRecord {
    let mut r = record("v1");
    r.visit = Some(v);
    r
}

#[test]
fn a_visitor_gets_access_from_early_access_before_arrival_for_the_duration() {
    let p = property();
    let r = visitor(Visit {
        expected_arrival: Some(NOW + H),
        invited: true,
        ..Visit::default()
    });
    let e = entitlement(&p, &r, NOW + H - 15 * 60).unwrap();
    assert_eq!(
        e.groups["Lobby"],
        Window {
            from: Some(NOW + H - 900),
            until: Some(NOW + 5 * H)
        }
    );
    assert!(
        entitlement(&p, &r, NOW).unwrap().groups.is_empty(),
        "not before early access"
    );
    assert!(
        entitlement(&p, &r, NOW + 5 * H).unwrap().groups.is_empty(),
        "not after the duration"
    );
}

#[test]
fn a_late_visitor_gets_the_duration_from_sign_in_and_loses_it_at_sign_out() {
    let p = property();
    let mut v = Visit {
        expected_arrival: Some(NOW),
        signed_in: Some(NOW + 2 * H),
        invited: true,
        ..Visit::default()
    };
    let w = visit_window(&p.visitors, &v).unwrap();
    assert_eq!(w.until, Some(NOW + 6 * H));
    v.signed_out = Some(NOW + 3 * H);
    let r = visitor(v);
    assert!(!entitlement(&p, &r, NOW + 3 * H - 1)
        .unwrap()
        .groups
        .is_empty());
    assert!(
        entitlement(&p, &r, NOW + 3 * H).unwrap().groups.is_empty(),
        "sign-out revokes"
    );
}

#[test]
fn invite_required_refuses_walk_ins_but_not_employees() {
    let mut p = property();
    p.visitors.invite_required = true;
    let walk_in = visitor(Visit {
        signed_in: Some(NOW),
        ..Visit::default()
    });
    let e = entitlement(&p, &walk_in, NOW).unwrap();
    assert!(e.groups.is_empty());
    assert!(e.note.as_deref().unwrap().contains("walk-in refused"));
    let employee = visitor(Visit {
        signed_in: Some(NOW),
        employee: true,
        ..Visit::default()
    });
    let e = entitlement(&p, &employee, NOW).unwrap();
    assert_eq!(
        e.groups["Lobby"].until,
        Some(NOW + 10 * H),
        "employee_access_duration applies"
    );
}

#[test]
fn an_excluded_visitor_is_never_touched() {
    let r = visitor(Visit {
        signed_in: Some(NOW),
        excluded: true,
        invited: true,
        ..Visit::default()
    });
    let e = entitlement(&property(), &r, NOW).unwrap();
    assert!(e.hands_off && e.groups.is_empty());
}

fn window() -> impl Strategy<Value = Window> {
    (
        proptest::option::of(-100i64..100),
        proptest::option::of(-100i64..100),
    )
        .prop_map(|(a, b)| Window {
            from: a.map(|x| NOW + x * 60),
            until: b.map(|x| NOW + x * 60),
        })
}

proptest! {
    /// Whatever the facts, a grant is only ever desired inside the window it carries, and the
    /// carried window lies inside every bound the facts set (plan dates, pass validity, booking).
    #[test]
    fn windows_never_grant_outside_their_bounds(
        dates in window(),
        pass in window(),
        remaining in 0u32..3,
        start in -100i64..100,
        length in 0i64..100,
        at in -150i64..150,
    ) {
        let now = NOW + at * 60;
        let mut r = member(Membership {
            plans: vec!["Hot Desk".into()],
            bookings: vec![Booking { id: "b".into(), resource: "Board Room".into(), start: NOW + start * 60, end: NOW + (start + length) * 60, cancelled: false }],
            day_passes: vec![DayPass { id: "d".into(), name: "Day Pass".into(), remaining, valid_from: pass.from, valid_until: pass.until }],
            ..Membership::default()
        });
        r.lease_start = dates.from;
        r.lease_end = dates.until;
        let e = entitlement(&property(), &r, now).unwrap();
        for (group, w) in &e.groups {
            prop_assert!(contains(w, now), "{group} granted outside {w:?} at {now}");
            prop_assert!(contains(&dates, now), "{group} granted outside the membership");
        }
        if let Some(w) = e.groups.get("Board Room") {
            prop_assert!(w.from >= Some(NOW + start * 60 - 600));
            prop_assert!(w.until <= Some(NOW + (start + length) * 60 + 300));
        }
        if let Some(edge) = e.next_edge {
            prop_assert!(edge > now);
        }
    }
}
