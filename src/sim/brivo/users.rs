//! The Brivo simulator's user writes and single-user read: create, retrieve by id, patch and
//! update, sharing one reading of the documented request fields (brivo-apidocs: User - Create
//! new user, Request Body; the same table in Patch user and Update user).

use super::api::{user_not_found, Ids, INVALID};
use super::{error, iso_now, BrivoSim, BrivoUser};
use crate::sim::write;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

type Body = Result<Json<Map<String, Value>>, JsonRejection>;

/// How a write treats a documented optional field its body leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Omitted {
    /// Patch user: unchanged.
    Kept,
    /// Create new user, Update user: no value.
    Removed,
}

/// brivo-apidocs: User - Retrieve by id; 404 "User not found".
pub(super) async fn user_by_id(State(sim): State<BrivoSim>, Ids(uid): Ids<u64>) -> Response {
    match sim.view().user(uid) {
        Some(u) => Json(u).into_response(),
        None => user_not_found(),
    }
}

/// brivo-apidocs: User - Create new user (answers 200 with the stored user).
pub(super) async fn create_user(State(sim): State<BrivoSim>, body: Body) -> Response {
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    let mut user = BrivoUser::default();
    if let Err(message) = apply(&mut user, &body, Omitted::Removed) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if let Some(message) = duplicate_external_id(&s.users, &user) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    Json(s.add_user(user, iso_now())).into_response()
}

/// brivo-apidocs: User - Patch user: omitted fields stay as they are; 404 "User not found".
pub(super) async fn patch_user(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    body: Body,
) -> Response {
    change(&sim, uid, body, Omitted::Kept)
}

/// brivo-apidocs: User - Update user: a full replace, omitted optional fields lose their value;
/// `firstName` and `lastName` are required; 404 "User not found".
pub(super) async fn update_user(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    body: Body,
) -> Response {
    change(&sim, uid, body, Omitted::Removed)
}

fn change(sim: &BrivoSim, uid: u64, body: Body, omitted: Omitted) -> Response {
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    let mut s = write(&sim.state);
    s.ensure_sorted();
    let Some(mut user) = s.user(uid).cloned() else {
        return user_not_found();
    };
    if let Err(message) = apply(&mut user, &body, omitted) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    if let Some(message) = duplicate_external_id(&s.users, &user) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    user.updated = iso_now();
    let Some(stored) = s.user_mut(uid) else {
        return user_not_found();
    };
    *stored = user.clone();
    Json(user).into_response()
}

/// Applies a request body's documented fields to `user`, all checked before any is kept.
/// Fields the API does not take are ignored (assumption, as on create).
fn apply(user: &mut BrivoUser, body: &Map<String, Value>, omitted: Omitted) -> Result<(), String> {
    let mut next = user.clone();
    if omitted == Omitted::Removed {
        for field in ["firstName", "lastName"] {
            let given = body.get(field).and_then(Value::as_str).unwrap_or_default();
            if given.trim().is_empty() {
                return Err(format!("{field} is required"));
            }
        }
    }
    set(
        body,
        "firstName",
        omitted,
        &mut next.first_name,
        |v: String| (!v.trim().is_empty()).then_some(v),
    )?;
    set(
        body,
        "lastName",
        omitted,
        &mut next.last_name,
        |v: String| (!v.trim().is_empty()).then_some(v),
    )?;
    set(body, "middleName", omitted, &mut next.middle_name, |v| {
        Some(Some(v))
    })?;
    set(
        body,
        "externalId",
        omitted,
        &mut next.external_id,
        |v: String| Some((!v.is_empty()).then_some(v)),
    )?;
    set(body, "pin", omitted, &mut next.pin, |v: String| {
        valid_pin(&v).then_some(Some(v))
    })?;
    set(
        body,
        "effectiveFrom",
        omitted,
        &mut next.effective_from,
        date,
    )?;
    set(body, "effectiveTo", omitted, &mut next.effective_to, date)?;
    set(
        body,
        "bleTwoFactorExempt",
        omitted,
        &mut next.ble_two_factor_exempt,
        |v| Some(Some(v)),
    )?;
    set(body, "emails", omitted, &mut next.emails, Some)?;
    set(body, "phoneNumbers", omitted, &mut next.phone_numbers, Some)?;
    *user = next;
    Ok(())
}

/// One field: absent is `omitted`'s rule, `null` or a value `check` refuses is a 400 (assumption).
fn set<T: DeserializeOwned, F: Default>(
    body: &Map<String, Value>,
    field: &str,
    omitted: Omitted,
    slot: &mut F,
    check: impl FnOnce(T) -> Option<F>,
) -> Result<(), String> {
    match body.get(field) {
        None if omitted == Omitted::Removed => *slot = F::default(),
        None => {}
        Some(value) => {
            let parsed = serde_json::from_value(value.clone()).ok().and_then(check);
            // The message names the field, never its value (it may be a PIN).
            *slot = parsed.ok_or_else(|| format!("{INVALID}: {field}"))?;
        }
    }
    Ok(())
}

/// A PIN the simulator stores: 4 to 8 decimal digits (assumption: the docs give only "Text").
fn valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DDTHH:MM:SSZ` only, as Brivo writes dates (brivo-apidocs: Schema; refusing other
/// forms is an assumption).
fn date(text: String) -> Option<Option<String>> {
    let exact = text.len() == 20 && text.ends_with('Z');
    (exact && humantime::parse_rfc3339(&text).is_ok()).then_some(Some(text))
}

/// Brivo's refusal of an `externalId` another user holds (assumption: the wording).
fn duplicate_external_id(users: &[BrivoUser], user: &BrivoUser) -> Option<String> {
    let ext = user.external_id.as_deref()?;
    users
        .iter()
        .any(|u| u.id != user.id && u.external_id.as_deref() == Some(ext))
        .then(|| format!("A user with externalId {ext} already exists in this account"))
}
