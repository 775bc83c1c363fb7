//! Golden tests: Kisi's response bodies written by hand from the schemas of its OpenAPI
//! (`fetchUsers` User, `fetchGroups` Group, `fetchRoleAssignments` "Group Role Assignment",
//! `fetchCardAssignments` Card Assignment, the `Error` and 422 shapes), not produced by the
//! simulator, fed to the connector's parsers.

use super::wire::{AssignmentItem, CardAssignmentItem, GroupItem, Membership, UserItem};
use crate::net::error_message;

/// Every property `User` requires, with lockstep's metadata.
const USER: &str = r#"[{"id": 4711, "resource_type": "User", "name": "Ana Diaz",
  "email": "ana@example.com", "created_at": "2026-01-05T10:00:00.000Z",
  "updated_at": "2026-01-05T10:00:00.000Z",
  "metadata": {"lockstep_external_id": "lockstep:yardi-main:t0001234"},
  "image": null, "otp_required_for_login": false, "password_flow_enabled": false,
  "access_enabled": true, "last_accessed_at": null, "scim_access_enabled": false,
  "notes": "Managed by lockstep", "organization_id": 12, "confirmed": true,
  "groups_count": 2}]"#;

/// "Group Role Assignment" with its nested `applies_to` and `assignee`, and the deprecated
/// copies still in the schema.
const ASSIGNMENT: &str = r#"[{"id": 901, "resource_type": "RoleAssignment",
  "created_at": "2026-01-05T10:00:00.000Z", "updated_at": "2026-01-05T10:00:00.000Z",
  "role_id": "group_basic", "notify": false,
  "applies_to_type": "Group", "applies_to_id": 55,
  "applies_to": {"id": 55, "resource_type": "Group", "name": "Unit 101"},
  "assignee_type": "User", "assignee_id": 4711,
  "assignee": {"id": 4711, "resource_type": "User", "email": "ana@example.com", "name": "Ana Diaz"},
  "created_by_type": "User", "created_by_id": 3, "user_id": 4711,
  "user": {"id": 4711, "resource_type": "User", "email": "ana@example.com", "name": "Ana Diaz"},
  "assignee_team_id": null, "guest_id": null, "issued_by_id": 3, "type": "group",
  "scope": "group", "group_id": 55,
  "group": {"id": 55, "resource_type": "Group", "name": "Unit 101"},
  "valid_from": null, "valid_until": "2027-01-31T23:59:59.000Z"}]"#;

#[test]
fn a_user_and_its_external_id() {
    let users: Vec<UserItem> = serde_json::from_str(USER).unwrap();
    let actual = users.into_iter().next().unwrap().into_actual();
    assert_eq!(actual.system_id, "4711");
    assert_eq!(
        actual.external_id.as_deref(),
        Some("lockstep:yardi-main:t0001234")
    );
    assert_eq!(
        (actual.name.as_str(), actual.email.as_deref()),
        ("Ana Diaz", Some("ana@example.com"))
    );
}

#[test]
fn a_group_role_assignment_is_a_named_membership() {
    let items: Vec<AssignmentItem> = serde_json::from_str(ASSIGNMENT).unwrap();
    assert_eq!(
        items[0].membership(),
        Some(Membership {
            assignment: "901".into(),
            user: "4711".into(),
            group: "55".into(),
            group_name: Some("Unit 101".into()),
        })
    );
}

/// A place role, a team assignee or a manager role is not a plain group membership.
#[test]
fn other_assignments_are_not_memberships() {
    for (from, to) in [
        (
            r#""applies_to_type": "Group""#,
            r#""applies_to_type": "Place""#,
        ),
        (r#""assignee_type": "User""#, r#""assignee_type": "Team""#),
        (
            r#""role_id": "group_basic""#,
            r#""role_id": "group_manager""#,
        ),
    ] {
        let body = ASSIGNMENT.replace(from, to);
        let items: Vec<AssignmentItem> = serde_json::from_str(&body).unwrap();
        assert_eq!(items[0].membership(), None, "{to}");
    }
}

#[test]
fn groups_and_card_assignments() {
    let groups: Vec<GroupItem> = serde_json::from_str(
        r#"[{"id": 55, "resource_type": "Group", "name": "Unit 101", "description": null,
        "created_at": "2026-01-05T10:00:00.000Z", "updated_at": "2026-01-05T10:00:00.000Z",
        "geofence_restriction_enabled": false, "geofence_restriction_radius": 100,
        "primary_device_restriction_enabled": false, "managed_device_restriction_enabled": false,
        "reader_restriction_enabled": false, "time_restriction_enabled": false,
        "tap_to_access_restriction_enabled": false, "login_enabled": true, "users_count": 2,
        "locks_count": 1, "elevator_stops_count": 0, "place_id": 7,
        "time_restriction_time_zone": null, "members_count": 2}]"#,
    )
    .unwrap();
    assert_eq!(
        (groups[0].id.0.as_str(), groups[0].name.as_str()),
        ("55", "Unit 101")
    );
    let cards: Vec<CardAssignmentItem> = serde_json::from_str(
        r#"[{"id": 31, "resource_type": "CardAssignment", "created_at": "2026-01-05T10:00:00.000Z",
        "updated_at": "2026-01-05T10:00:00.000Z", "status": "activated", "two_factor_pin": null,
        "send_two_factor_pin_notification": false, "assignee_type": "User", "assignee_id": 4711,
        "card_id": 880, "created_by_type": null, "created_by_id": null, "guest_id": null,
        "user_id": 4711}]"#,
    )
    .unwrap();
    assert!(cards[0].held_by("4711") && !cards[0].held_by("4712"));
    assert_eq!(cards[0].card_id.0, "880");
}

/// The `Error` example (`{"error": "Wrong email address or password.", "code": "afc516"}`)
/// and the 422 example (`{"errors": {"email": ["can't be blank or invalid"]}}`).
#[test]
fn error_bodies_give_their_words() {
    let error = br#"{"error": "Wrong email address or password.", "code": "afc516"}"#;
    assert_eq!(error_message(error), "Wrong email address or password.");
    let invalid = br#"{"errors": {"email": ["can't be blank or invalid"]}}"#;
    assert_eq!(error_message(invalid), "email: can't be blank or invalid");
}

/// The grant goes out in the current shape, with integer ids.
#[test]
fn the_grant_body_is_the_current_shape() {
    let body = super::wire::grant_body("4711", "55", false);
    let ra = &body["role_assignment"];
    assert_eq!(ra["assignee_type"], "User");
    assert_eq!(ra["assignee_id"], 4711);
    assert_eq!(ra["applies_to_type"], "Group");
    assert_eq!(ra["applies_to_id"], 55);
    assert_eq!(ra["role_id"], "group_basic");
    assert!(ra.get("user_id").is_none() && ra.get("group_id").is_none());
    assert_eq!(ra["notify"], false);
    let asked = super::wire::grant_body("4711", "55", true);
    assert_eq!(asked["role_assignment"]["notify"], true);
}
