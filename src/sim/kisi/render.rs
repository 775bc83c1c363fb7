//! How the Kisi simulator renders its objects, field for field after the response schemas of
//! Kisi's OpenAPI: `User` (`fetchUsers`), `Group` (`fetchGroups`), "Group Role Assignment"
//! (`fetchRoleAssignments`), cards (`fetchCards`) and `Card Assignment`
//! (`fetchCardAssignments`). Fields the simulator does not model get the schema's neutral value
//! (null, false, 0) so a strict reader of the schema accepts every answer.

use super::state::{KisiState, SimCard, SimGroup, SimRoleAssignment, SimUser};
use serde_json::{json, Value};

/// assumption: one organisation id for the whole simulator.
const ORGANIZATION_ID: u64 = 1;

/// `User`: every property the schema requires.
pub fn user(u: &SimUser) -> Value {
    json!({
        "id": u.id,
        "resource_type": "User",
        "name": u.name,
        "email": u.email,
        "created_at": u.created_at,
        "updated_at": u.created_at,
        "metadata": u.metadata,
        "image": null,
        "otp_required_for_login": false,
        "password_flow_enabled": false,
        "access_enabled": u.access_enabled,
        "last_accessed_at": null,
        "scim_access_enabled": false,
        "notes": u.notes,
        "organization_id": ORGANIZATION_ID,
        "confirmed": true,
        "groups_count": 0,
    })
}

/// `Group`: the required properties; restrictions are all off.
pub fn group(g: &SimGroup) -> Value {
    json!({
        "id": g.id,
        "resource_type": "Group",
        "name": g.name,
        "description": null,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "geofence_restriction_enabled": false,
        "geofence_restriction_radius": 0,
        "primary_device_restriction_enabled": false,
        "managed_device_restriction_enabled": false,
        "reader_restriction_enabled": false,
        "time_restriction_enabled": false,
        "tap_to_access_restriction_enabled": false,
        "login_enabled": false,
        "users_count": 0,
        "locks_count": 0,
        "elevator_stops_count": 0,
        "place_id": g.place_id,
        "time_restriction_time_zone": null,
        "members_count": 0,
    })
}

/// "Group Role Assignment": the current `assignee_*`/`applies_to_*` fields with the nested
/// `assignee` and `applies_to` objects, and the deprecated copies (`user_id`, `group_id`, …)
/// the schema still lists. No validity window is modelled (`valid_from`/`valid_until` null).
pub fn assignment(state: &KisiState, r: &SimRoleAssignment) -> Value {
    let (email, name) = state
        .user(r.user_id)
        .map(|u| (u.email.clone(), u.name.clone()))
        .unwrap_or_default();
    let group_name = state
        .group(r.group_id)
        .map(|g| g.name.clone())
        .unwrap_or_default();
    let assignee = json!({"id": r.user_id, "resource_type": "User", "email": email, "name": name});
    let group = json!({"id": r.group_id, "resource_type": "Group", "name": group_name});
    json!({
        "id": r.id,
        "resource_type": "RoleAssignment",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "role_id": r.role_id,
        "notify": r.notify,
        "applies_to_type": "Group",
        "applies_to_id": r.group_id,
        "applies_to": group,
        "assignee_type": "User",
        "assignee_id": r.user_id,
        "assignee": assignee,
        "created_by_type": null,
        "created_by_id": null,
        "user_id": r.user_id,
        "user": assignee,
        "assignee_team_id": null,
        "guest_id": null,
        "issued_by_id": null,
        "type": "group",
        "scope": "group",
        "group_id": r.group_id,
        "group": group,
        "valid_from": null,
        "valid_until": null,
    })
}

/// A card (`fetchCards`), with the deprecated `user_id`/`assigned` the schema still lists.
pub fn card(c: &SimCard) -> Value {
    json!({
        "id": c.id,
        "resource_type": "Card",
        "uid": c.uid,
        "type": c.kind,
        "last_used_at": null,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "assigned": c.user_id.is_some(),
        "activated": c.user_id.is_some(),
        "user_id": c.user_id,
    })
}

/// `Card Assignment`: one per held card, sharing the card's id (assumption).
pub fn card_assignment(c: &SimCard) -> Value {
    json!({
        "id": c.id,
        "resource_type": "CardAssignment",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "status": "activated",
        "two_factor_pin": null,
        "send_two_factor_pin_notification": false,
        "assignee_type": "User",
        "assignee_id": c.user_id,
        "card_id": c.id,
        "created_by_type": null,
        "created_by_id": null,
        "guest_id": null,
        "user_id": c.user_id,
    })
}
