//! `/api/v1/properties/{property}/…/guest-pins`: residents' guest and prospect PINs. Approvers
//! and admins create and cancel, viewers list. A refused request is 422 with the limit's
//! sentence; a malformed one 400 naming the field; an unknown property, host or pass 404.
//! Every change triggers a cycle of the property.

use super::api::parse_time;
use super::{authorize, input, parse_body, ApiError, AppState};
use crate::app::Event;
use crate::config::Role;
use crate::controller::GuestPinRequest;
use crate::policy::guests::{PassKind, Weekday};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Longest guest name accepted.
pub const MAX_GUEST_NAME: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/properties/{id}/people/{person}/guest-pins",
            get(list).post(create),
        )
        .route("/api/v1/properties/{id}/guest-pins/{pass}", delete(cancel))
}

type ApiResult = Result<Response, ApiError>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    kind: String,
    guest_name: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    days: Vec<String>,
}

/// The body as a request, each bad field named.
fn request(b: CreateBody) -> Result<GuestPinRequest, ApiError> {
    let kind = b
        .kind
        .parse::<PassKind>()
        .map_err(|e| ApiError::bad_request(format!("kind: {e}")))?;
    if b.guest_name.trim().is_empty() {
        return Err(ApiError::bad_request("guest_name: must not be empty"));
    }
    input::text("guest_name", &b.guest_name, MAX_GUEST_NAME)?;
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_time(field, t))
            .transpose()
            .map_err(ApiError::bad_request)
    };
    let days: BTreeSet<Weekday> = b
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.parse::<Weekday>()
                .map_err(|e| ApiError::bad_request(format!("days[{i}]: {e}")))
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(GuestPinRequest {
        kind,
        guest_name: b.guest_name.trim().to_string(),
        from: time("from", &b.from)?,
        until: time("until", &b.until)?,
        days,
    })
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, person)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    input::id("property", &property)?;
    input::id("person", &person)?;
    let req = request(parse_body(&body)?)?;
    tracing::info!(actor = %caller.name, property = %property, host = %person, kind = req.kind.as_str(), "guest pin create");
    match state
        .controller
        .create_guest_pin(&property, &person, req, &caller.name)?
    {
        Ok(pass) => {
            let _ = state.events.send(Event::Trigger(Some(property)));
            Ok((StatusCode::CREATED, Json(pass)).into_response())
        }
        Err(refusal) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal.to_string(),
        )),
    }
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, person)): Path<(String, String)>,
) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    input::id("property", &property)?;
    input::id("person", &person)?;
    let passes = state.controller.guest_pins(&property, &person)?;
    Ok(Json(serde_json::json!({ "guest_pins": passes })).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, id)): Path<(String, String)>,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    input::id("property", &property)?;
    input::id("id", &id)?;
    tracing::info!(actor = %caller.name, property = %property, pass = %id, "guest pin cancel");
    let pass = state
        .controller
        .cancel_guest_pin(&property, &id, &caller.name)?;
    let _ = state.events.send(Event::Trigger(Some(property)));
    Ok(Json(pass).into_response())
}
