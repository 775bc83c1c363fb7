//! Golden tests: bodies written from OfficeRnD's public docs and the public clients' field lists
//! (see `wire.rs` for the sources), never from the simulator.

use super::parse::{assemble, member_status, Lists, BAD_DATE, NO_LOCATION, UNKNOWN_REFERENCE};
use super::wire::*;
use crate::model::{LeaseStatus, RecordProblem};
use serde_json::json;

/// building-queries: the example page's metadata (first page: `cursorPrev` null, rows 1-50).
#[test]
fn the_documented_page_envelope_parses() {
    let results: Vec<serde_json::Value> = (0..50).map(|i| json!({"_id": i.to_string()})).collect();
    let body = json!({
        "results": results,
        "cursorNext": "eyJpZCI6IjUwIiwgIm9mZnNldCI6IjUwIn0=",
        "cursorPrev": null,
        "rangeEnd": 50,
        "rangeStart": 1
    });
    let page: Page<serde_json::Value> = parse_page(body.to_string().as_bytes()).unwrap();
    assert_eq!(page.results.len(), PAGE_LIMIT);
    assert_eq!(
        page.cursor_next.as_deref(),
        Some("eyJpZCI6IjUwIiwgIm9mZnNldCI6IjUwIn0=")
    );
    assert_eq!((page.range_start, page.range_end), (Some(1), Some(50)));
    // The last page: cursorNext null.
    let last: Page<serde_json::Value> =
        parse_page(br#"{"results":[],"cursorNext":null,"cursorPrev":"x"}"#).unwrap();
    assert!(last.cursor_next.is_none());
}

#[test]
fn a_body_without_results_is_not_a_page() {
    for body in [&b"[]"[..], b"{\"data\":[]}", b"{\"results\":[", b"<html>"] {
        assert!(parse_page::<Named>(body).is_err(), "{body:?}");
    }
}

/// D-members: `status` is active, contact or former; C-lib's `ORNDMemberStatus` the same.
#[test]
fn documented_member_statuses_map() {
    assert_eq!(member_status("active"), Some(LeaseStatus::Current));
    assert_eq!(member_status("former"), Some(LeaseStatus::Past));
    assert_eq!(member_status("contact"), Some(LeaseStatus::Future));
    assert_eq!(member_status(" Lead "), Some(LeaseStatus::Future));
    assert_eq!(member_status("not started"), Some(LeaseStatus::Future));
    assert_eq!(member_status("suspended"), None);
    assert_eq!(member_status(""), None);
}

fn v<T: serde::de::DeserializeOwned>(j: serde_json::Value) -> T {
    serde_json::from_value(j).unwrap()
}

fn lists() -> Lists {
    Lists {
        location_id: "loc1".into(),
        location_name: "Main Street".into(),
        locations: 2,
        floors: v(json!([{"_id": "f1", "name": "Floor 1", "location": "loc1"}])),
        // C-lib: resource `type` meeting_room / team_room and `office`.
        resources: v(json!([
            {"_id": "r1", "name": "Board Room", "type": "meeting_room", "office": "loc1"},
            {"_id": "o1", "name": "Office 101", "type": "team_room", "office": "loc1", "floor": "f1"}
        ])),
        plans: v(json!([
            {"_id": "pl1", "name": "Dedicated Desk"},
            {"_id": "pl2", "name": "Private Office"},
            {"_id": "pl3", "name": "Day Pass"}
        ])),
        // D-members: name, email, phone, startDate, status, office/team.
        members: v(json!([
            {"_id": "m1", "name": "John Doe", "email": "john@example.test", "phone": "+1 555",
             "startDate": "2024-01-01T00:00:00.000Z", "status": "active", "office": "loc1",
             "team": "c1"},
            {"_id": "m2", "name": "Jane Roe", "status": "former", "location": {"_id": "loc1"}},
            {"_id": "m3", "name": "Max Moe", "status": "suspended", "location": "loc1"},
            {"_id": "m4", "name": "Other Place", "status": "active", "location": "loc2"},
            {"_id": "m5", "name": "Nowhere", "status": "active"}
        ])),
        // C-n8n: plan, member, company, startDate, endDate (dates as T00:00:00Z).
        memberships: v(json!([
            {"_id": "ms1", "plan": "pl1", "member": "m1", "startDate": "2024-01-01T00:00:00Z",
             "endDate": "2030-12-31T00:00:00Z"},
            {"_id": "ms2", "plan": "pl2", "company": "c1", "startDate": "2024-02-01T00:00:00Z",
             "endDate": null, "resource": "o1"},
            {"_id": "ms3", "plan": "pl1", "member": "m2", "startDate": "2023-01-01T00:00:00Z",
             "endDate": "2023-06-30T00:00:00Z"}
        ])),
        // C-lib: resourceId, start.dateTime, end.dateTime, canceled; C-dock: isCancelled.
        bookings: v(json!([
            {"_id": "b1", "resourceId": "r1", "member": "m1",
             "start": {"dateTime": "2030-05-01T09:00:00.000Z"},
             "end": {"dateTime": "2030-05-01T10:00:00.000Z"}, "canceled": false},
            {"_id": "b2", "resourceId": "r1", "member": "m1",
             "start": {"dateTime": "2030-05-02T09:00:00.000Z"},
             "end": {"dateTime": "2030-05-02T10:00:00.000Z"}, "isCancelled": true},
            {"_id": "b3", "resourceId": "r1", "member": "m1",
             "start": {"dateTime": "2027-01-15T06:00:00Z"},
             "end": {"dateTime": "2027-01-15T07:00:00Z"}},
            {"_id": "b0", "resourceId": "r1", "member": "m1",
             "start": {"dateTime": "2020-05-02T09:00:00Z"},
             "end": {"dateTime": "2020-05-02T10:00:00Z"}}
        ])),
        // D-passes: member, count, used, validFrom, validTo.
        passes: v(json!([
            {"_id": "p1", "member": "m1", "count": 10, "used": 3,
             "validFrom": "2024-01-01T00:00:00Z", "validTo": "2030-01-31T00:00:00Z",
             "intervalLength": "once"}
        ])),
    }
}

const NOW: i64 = 1_800_000_000; // 2027-01-15

#[test]
fn members_are_joined_with_their_memberships_bookings_and_passes() {
    let snap = assemble(&lists(), NOW);
    assert_eq!(snap.reported_total, None);
    let ids: Vec<&str> = snap.people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2"], "other locations are left out");
    let john = &snap.people[0];
    assert_eq!(john.status, LeaseStatus::Current);
    assert_eq!(john.email.as_deref(), Some("john@example.test"));
    assert_eq!(john.lease_start, parse_time("2024-01-01"));
    assert_eq!(
        john.lease_end, None,
        "the company's office membership is open-ended"
    );
    let m = john.membership.as_ref().unwrap();
    assert_eq!(m.plans, ["Dedicated Desk", "Private Office"]);
    assert_eq!(m.location.as_deref(), Some("Main Street"));
    assert_eq!(m.offices, ["Office 101"]);
    assert_eq!(m.floor.as_deref(), Some("Floor 1"));
    // A booking that ended an hour ago stays (a lag may still keep its room open); one that
    // ended years ago is dropped.
    assert_eq!(m.bookings.len(), 3, "{:?}", m.bookings);
    assert!(m.bookings.iter().any(|b| b.id == "b3"));
    assert!(m.bookings.iter().all(|b| b.id != "b0"));
    assert_eq!(m.bookings[0].resource, "Board Room");
    assert_eq!(
        m.bookings[0].start,
        parse_time("2030-05-01T09:00:00Z").unwrap()
    );
    assert!(!m.bookings[0].cancelled);
    assert!(m.bookings[1].cancelled);
    assert_eq!(m.day_passes.len(), 1);
    assert_eq!(m.day_passes[0].name, "Day Pass");
    assert_eq!(m.day_passes[0].remaining, 7);
    assert_eq!(m.day_passes[0].valid_until, parse_time("2030-01-31"));
    let jane = &snap.people[1];
    assert_eq!(jane.status, LeaseStatus::Past);
    assert!(jane.membership.as_ref().unwrap().plans.is_empty());
    assert_eq!(jane.lease_end, parse_time("2023-06-30"));
}

#[test]
fn an_unknown_status_or_place_is_that_members_problem_only() {
    let snap = assemble(&lists(), NOW);
    let kinds: Vec<(&str, &str)> = snap
        .problems
        .iter()
        .map(|p| (p.person_id.as_str(), p.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("m3", RecordProblem::UNKNOWN_STATUS), ("m5", NO_LOCATION)]
    );
    assert!(snap.problems[0].detail.contains("suspended"));
}

#[test]
fn dangling_references_and_bad_dates_hold_the_member() {
    let mut l = lists();
    l.plans.retain(|p| p.id != "pl1");
    l.members[1].start_date = Some("31/12/2024".into());
    let snap = assemble(&l, NOW);
    let m1 = snap.problems.iter().find(|p| p.person_id == "m1").unwrap();
    assert_eq!(m1.kind, UNKNOWN_REFERENCE);
    let mut l = lists();
    l.passes[0].valid_to = Some("next week".into());
    let snap = assemble(&l, NOW);
    assert_eq!(
        snap.problems
            .iter()
            .find(|p| p.person_id == "m1")
            .unwrap()
            .kind,
        BAD_DATE
    );
}

#[test]
fn the_token_answer_parses() {
    // VENDORS.md, OfficeRnD: {access_token, token_type: "Bearer", expires_in: 3599, scope}.
    let t: TokenReply = serde_json::from_str(
        r#"{"access_token":"abc","token_type":"Bearer","expires_in":3599,"scope":"flex.community.members.read"}"#,
    )
    .unwrap();
    assert_eq!((t.access_token.as_str(), t.expires_in), ("abc", Some(3599)));
}
