//! The DOOR simulator's reads and revocation: `listUsers`, `getUser`, `listDoors`,
//! `listBuildings` and `revokeUserAccess`, each named by its door-partner operationId.
//! Listings page with `pageSize`/`pageToken` and answer `nextPageToken` while rows remain.

use super::state::BUILDING_UUID;
use super::{error, not_found, DoorSim};
use crate::sim::{read, write, SimCore};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// assumption: the spec gives `pageSize` no default or maximum; the residents listing says
/// it answers 100 by default, so every listing does, and at most 1000 are given.
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// `pageSize` (int32) and `pageToken` (string), both optional; `buildingUuid` on `listDoors`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Listing {
    page_size: Option<String>,
    page_token: Option<String>,
    building_uuid: Option<String>,
}

/// One page of `rows` under `field`. The token is the page's number (the schema example of
/// `nextPageToken` is `"1"`); assumption: a bad `pageSize` or an unknown token is a 400 whose
/// message names it (the spec's `BadRequestError` enum has no code for paging).
fn page(core: &SimCore, q: &Listing, field: &str, rows: Vec<Value>) -> Response {
    let size = match q.page_size.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if n > 0 => n.min(MAX_PAGE_SIZE),
        Some(_) => return error(StatusCode::BAD_REQUEST, "INVALID_PAGE_SIZE"),
    };
    let number = match q.page_token.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "INVALID_PAGE_TOKEN"),
    };
    let faults = core.faults();
    let rows = if faults.empty { Vec::new() } else { rows };
    let start = number.saturating_mul(size);
    if number > 0 && start >= rows.len() {
        return error(StatusCode::BAD_REQUEST, "INVALID_PAGE_TOKEN");
    }
    let mut data: Vec<Value> = rows.iter().skip(start).take(size).cloned().collect();
    let more = start + data.len() < rows.len();
    if faults.truncate_pages {
        // The page loses half its rows but still points at the next one.
        data.truncate(data.len() / 2);
    }
    let mut body = json!({ field: data });
    if more {
        body["nextPageToken"] = json!((number + 1).to_string());
    }
    Json(body).into_response()
}

/// `listUsers` (`GET /v1/users`): `UsersResponse` `{users, nextPageToken}`, each `User` with
/// its `accesses` (assumption: the listing includes them; the schema allows it).
pub(super) async fn list_users(State(sim): State<DoorSim>, Query(q): Query<Listing>) -> Response {
    let rows = read(&sim.state).users.iter().map(|u| u.to_json()).collect();
    page(&sim.core, &q, "users", rows)
}

/// `getUser` (`GET /v1/users/{userUuid}`): the `User`, or 404 `NotFoundError`.
pub(super) async fn get_user(State(sim): State<DoorSim>, Path(user): Path<String>) -> Response {
    let s = read(&sim.state);
    match s.users.iter().find(|u| u.uuid.eq_ignore_ascii_case(&user)) {
        Some(u) => Json(u.to_json()).into_response(),
        None => not_found(),
    }
}

/// `listDoors` (`GET /v1/doors`, optional `buildingUuid` filter): `DoorsResponse`
/// `{doors, nextPageToken}`.
pub(super) async fn list_doors(State(sim): State<DoorSim>, Query(q): Query<Listing>) -> Response {
    let s = read(&sim.state);
    let rows = s
        .doors
        .iter()
        .filter(|d| {
            q.building_uuid
                .as_deref()
                .is_none_or(|b| d.building_uuid.eq_ignore_ascii_case(b))
        })
        .map(|d| d.to_json())
        .collect();
    page(&sim.core, &q, "doors", rows)
}

/// `listBuildings` (`GET /v1/buildings`, not paged): `BuildingsResponse` `{buildings}` with
/// the one simulated `Building` (`address` with all seven required lines).
pub(super) async fn list_buildings() -> Response {
    let address: BTreeMap<&str, &str> = [
        ("addressLine1", "1 Simulated Way"),
        ("addressLine2", ""),
        ("addressLine3", ""),
        ("city", "Springfield"),
        ("country", "US"),
        ("postalCode", "00000"),
        ("state", "NY"),
    ]
    .into_iter()
    .collect();
    Json(json!({"buildings": [{
        "uuid": BUILDING_UUID,
        "name": "Simulated Building",
        "address": address,
        "timezone": "America/New_York",
    }]}))
    .into_response()
}

/// `revokeUserAccess` (`DELETE /v1/users/{userUuid}/doors/{doorUuid}`): 204 "No Content";
/// an unknown user, or a door the user does not hold, is 404 `NotFoundError` (assumption
/// for the second: the spec does not say).
pub(super) async fn revoke(
    State(sim): State<DoorSim>,
    Path((user, door)): Path<(String, String)>,
) -> Response {
    let mut s = write(&sim.state);
    let Some(u) = s.user_mut(&user) else {
        return not_found();
    };
    let before = u.accesses.len();
    u.accesses
        .retain(|a| !a.door_uuid.eq_ignore_ascii_case(&door));
    if u.accesses.len() == before {
        return not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}
