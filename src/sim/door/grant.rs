//! The DOOR simulator's writes that carry a body: `grantAccessToUser` and
//! `grantAccessToUserV2` (`PostUserRequest`) and `updateUserAccess` (`UpdateUserDoorRequest`),
//! validated field by field with door-partner's `BadRequestError` codes.

use super::state::{DoorAccess, DoorUser};
use super::{error, not_found, DoorSim};
use crate::sim::write;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `PostUserRequest.passcodeType`'s enum.
const PASSCODE_TYPES: [&str; 3] = ["DAILY", "DAILY_SINGLE_USE", "PERMANENT"];
/// `role`'s enum (`PostUserRequest`, `UpdateUserDoorRequest`).
const ROLES: [&str; 4] = ["GUEST", "NON_RESIDENT", "RESIDENT", "TOURER"];

/// A grant checked against `PostUserRequest`.
struct Grant {
    email: Option<String>,
    phone: Option<String>,
    first_name: String,
    last_name: String,
    doors: Vec<String>,
    access: DoorAccess,
}

/// A refusal: its status and the `message` code (kept small; turned into the body at the end).
type Refusal = (StatusCode, String);

fn bad(code: &str) -> Refusal {
    (StatusCode::BAD_REQUEST, code.to_string())
}

fn answer((status, message): Refusal) -> Response {
    error(status, &message)
}

/// `PostUserRequest`: `firstName`, `lastName` (minLength 1), `passcodeType` (enum),
/// `shareable` (boolean) and `startTime` (date-time) required. assumption: a missing or mistyped
/// field with no code of its own is a 400 whose message names the field (the enum has none).
fn validate(body: &Value) -> Result<Grant, Refusal> {
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    let required = |k: &str| match text(k) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(bad(&format!("{k} is required"))),
    };
    let first_name = required("firstName")?;
    let last_name = required("lastName")?;
    let passcode = required("passcodeType")?;
    if !PASSCODE_TYPES.contains(&passcode.as_str()) {
        return Err(bad(
            "passcodeType is not one of DAILY, DAILY_SINGLE_USE, PERMANENT",
        ));
    }
    let Some(shareable) = body.get("shareable").and_then(Value::as_bool) else {
        return Err(bad("shareable is required"));
    };
    // grantAccessToUser's `PostUserRequest.shouldNotify` (boolean, optional; the schema names
    // no default): assumption: left out, no invite is sent.
    let notified = match body.get("shouldNotify") {
        None | Some(Value::Null) => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad("shouldNotify must be a boolean"))?,
    };
    let role = match text("role") {
        Some(r) if !ROLES.contains(&r) => return Err(bad("role is not a DOOR role")),
        other => other.map(str::to_string),
    };
    // The contact rules, by their codes' names.
    let email = text("email").map(str::to_string);
    let phone = text("phone").map(str::to_string);
    match (&email, &phone) {
        (Some(e), _) if e.trim().is_empty() => return Err(bad("EMAIL_CAN_NOT_BE_EMPTY")),
        (Some(_), Some(_)) => return Err(bad("EMAIL_AND_PHONE_PROVIDED")),
        (None, None) => return Err(bad("EMAIL_OR_PHONE_REQUIRED")),
        (None, Some(_)) if passcode == "PERMANENT" => {
            return Err(bad("EMAIL_REQUIRED_FOR_PERMANENT"))
        }
        (None, Some(p)) if !p.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c)) => {
            return Err(bad("INVALID_PHONE"))
        }
        _ => {}
    }
    let start = match text("startTime").map(parse_time) {
        Some(Some(t)) => t,
        _ => return Err(bad("INVALID_START_TIME")),
    };
    let end_time = match body.get("endTime") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(parse_time) {
            // assumption: an end at or before the start is INVALID_END_TIME.
            Some(end) if end > start => v.as_str().map(str::to_string),
            _ => return Err(bad("INVALID_END_TIME")),
        },
    };
    let mut doors = Vec::new();
    for k in ["doorUuids", "keyUuids"] {
        match body.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::Array(ids)) => {
                for id in ids {
                    let Some(id) = id.as_str() else {
                        return Err(bad(&format!("{k} must hold UUIDs")));
                    };
                    doors.push((k, id.to_string()));
                }
            }
            Some(_) => return Err(bad(&format!("{k} must be an array"))),
        }
    }
    // Keys are not simulated: a key uuid is unknown (404 below).
    let doors = doors
        .into_iter()
        .map(|(k, id)| {
            if k == "keyUuids" {
                format!("key:{id}")
            } else {
                id
            }
        })
        .collect();
    Ok(Grant {
        email,
        phone,
        first_name,
        last_name,
        doors,
        access: DoorAccess {
            door_uuid: String::new(),
            start_time: text("startTime").unwrap_or_default().to_string(),
            end_time,
            passcode_type: passcode,
            shareable,
            role,
            notified,
        },
    })
}

/// `format: date-time`: RFC 3339 with `Z` (assumption: the simulator reads UTC times only).
fn parse_time(text: &str) -> Option<std::time::SystemTime> {
    text.strip_suffix('Z')?;
    humantime::parse_rfc3339_weak(text).ok()
}

/// Applies a grant: the user with the grant's email (or phone) gets each door with the
/// grant's window, replacing an access it already had to that door; a new contact creates
/// a user (assumption: DOOR keys users by email; an existing user's names stay as they are).
/// Returns the user's index, or the error answer.
fn apply(sim: &DoorSim, body: &Value) -> Result<(usize, Vec<String>), Refusal> {
    let grant = validate(body)?;
    let mut s = write(&sim.state);
    if grant.doors.iter().any(|d| s.door(d).is_none()) {
        // The operation documents a 404 "Not Found" (assumption: `NotFoundError`'s body).
        return Err((StatusCode::NOT_FOUND, "NOT_FOUND".into()));
    }
    let same = |u: &DoorUser| match (&grant.email, &grant.phone) {
        (Some(e), _) => u.email.eq_ignore_ascii_case(e),
        (None, Some(p)) => u.phone.as_deref() == Some(p),
        _ => false,
    };
    let index = match s.users.iter().position(same) {
        Some(i) => i,
        None => {
            let uuid = s.next_uuid();
            s.users.push(DoorUser {
                uuid,
                email: grant.email.clone().unwrap_or_default(),
                first_name: grant.first_name.clone(),
                last_name: grant.last_name.clone(),
                phone: grant.phone.clone(),
                accesses: Vec::new(),
            });
            s.users.len() - 1
        }
    };
    let user = &mut s.users[index];
    for door in &grant.doors {
        user.accesses
            .retain(|a| !a.door_uuid.eq_ignore_ascii_case(door));
        user.accesses.push(DoorAccess {
            door_uuid: door.clone(),
            ..grant.access.clone()
        });
    }
    Ok((index, grant.doors))
}

/// `grantAccessToUser` (`POST /v1/users`): 200 `PostUserResponse` `{userUuid, doors}`, the
/// doors of this grant.
pub(super) async fn grant_v1(State(sim): State<DoorSim>, body: axum::body::Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match apply(&sim, &body) {
        Ok((index, doors)) => {
            let s = sim.state();
            let doors: Vec<Value> = doors
                .iter()
                .filter_map(|d| s.door(d))
                .map(|d| d.to_json())
                .collect();
            Json(json!({"userUuid": s.users[index].uuid, "doors": doors})).into_response()
        }
        Err(e) => answer(e),
    }
}

/// `grantAccessToUserV2` (`POST /v2/users`): 200 with the whole `User`.
pub(super) async fn grant_v2(State(sim): State<DoorSim>, body: axum::body::Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match apply(&sim, &body) {
        Ok((index, _)) => Json(sim.state().users[index].to_json()).into_response(),
        Err(e) => answer(e),
    }
}

/// `updateUserAccess` (`PATCH /v1/users/{userUuid}/doors/{doorUuid}`,
/// `UpdateUserDoorRequest` `{endTime?, role?, shareable?}`): 200 with the `User`. An end at
/// or before the access's start is `INVALID_END_TIME` (assumption); a user or access that is
/// not there is 404 `NotFoundError`.
pub(super) async fn update(
    State(sim): State<DoorSim>,
    Path((user, door)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !body.is_object() {
        return answer(bad("body must be an UpdateUserDoorRequest object"));
    }
    let mut s = write(&sim.state);
    let Some(u) = s.user_mut(&user) else {
        return not_found();
    };
    let Some(access) = u
        .accesses
        .iter_mut()
        .find(|a| a.door_uuid.eq_ignore_ascii_case(&door))
    else {
        return not_found();
    };
    if let Some(v) = body.get("endTime").filter(|v| !v.is_null()) {
        let start = parse_time(&access.start_time);
        match (v.as_str().and_then(parse_time), start) {
            (Some(end), Some(start)) if end > start => {
                access.end_time = v.as_str().map(str::to_string)
            }
            _ => return answer(bad("INVALID_END_TIME")),
        }
    }
    if let Some(role) = body.get("role").and_then(Value::as_str) {
        if !ROLES.contains(&role) {
            return answer(bad("role is not a DOOR role"));
        }
        access.role = Some(role.to_string());
    }
    if let Some(shareable) = body.get("shareable").and_then(Value::as_bool) {
        access.shareable = shareable;
    }
    Json(u.to_json()).into_response()
}
