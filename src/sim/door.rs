//! DOOR (OpenDOOR partner API) simulator, served under `/door`, built from DOOR's partner and
//! auth OpenAPI specs (`../shared/vendor-specs/door-partner-openapi.json`, "door-partner";
//! `door-authentication-openapi.json`, "door-auth") and `door-error-codes.yml`; every route
//! names its operationId. What the specs leave out is marked "assumption" where it is decided.
//!
//! - `POST /v1/oauth/token` (door-auth `authenticatePartner`, the client-credentials variant;
//!   the real host is separate, here it shares `/door`) gives a bearer token; every other route
//!   wants it (door-partner `bearerAuth`) and answers 401 `{"message":"UNAUTHORIZED"}`
//!   (`UnauthorizedError`) without it.
//! - Users (`listUsers`, `getUser`), doors (`listDoors`), buildings (`listBuildings`), grants
//!   (`grantAccessToUser`, `grantAccessToUserV2`), `updateUserAccess` and `revokeUserAccess`.
//!   Keys, key accesses and building residents are not simulated (lockstep does not use them).
//! - Listings page with `pageSize` and `pageToken`; a page that is not the last carries
//!   `nextPageToken`, the next page's number as text (the schema's example is `"1"`).
//! - Errors are `{message}` with the spec's codes (`BadRequestError`, `NotFoundError`).
//! - Throttling: the shared `rate_limit_per_second` and `throttle_every` faults answer 429 with
//!   `Retry-After: 1` per `Authorization` (assumption: the specs document no rate limit).

mod api;
mod auth;
mod grant;
mod state;
#[cfg(test)]
mod tests;

pub use state::{DoorAccess, DoorDoor, DoorState, DoorUser, BUILDING_UUID};

use super::world::FOREIGN_GROUP;
use super::{control_plane, fault_layer, read, throttle_429, write, SimCore};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// The simulated partner account and its fault/statistics core. Cheap to clone.
#[derive(Clone)]
pub struct DoorSim {
    pub core: Arc<SimCore>,
    state: Arc<RwLock<DoorState>>,
}

impl DoorSim {
    pub const CLIENT_ID: &'static str = "sim-door-client";
    pub const CLIENT_SECRET: &'static str = "sim-door-client-secret";
    /// door-auth `AuthorizationRequestParams.audience`'s default.
    pub const AUDIENCE: &'static str = "https://rest.latchaccess.com/access/sdk";

    pub fn new(seed: u64) -> Self {
        DoorSim {
            core: SimCore::new("door", seed, throttle_429),
            state: Arc::new(RwLock::new(DoorState::default())),
        }
    }

    /// Creates a door for each named group if missing, plus `FOREIGN_GROUP` with two
    /// hand-made users (no lockstep tag in `lastName`) and one hand-made holder of the first
    /// door. Idempotent.
    pub fn seed_groups(&self, groups: &[String]) {
        let mut s = write(&self.state);
        let doors: Vec<String> = groups.iter().map(|g| s.door_named(g)).collect();
        let foreign = s.door_named(FOREIGN_GROUP);
        for (first, last) in [("Gina", "Trainer"), ("Victor", "Guest")] {
            hand_made(&mut s, first, last, &foreign);
        }
        if let Some(first) = doors.first() {
            hand_made(&mut s, "Morgan", "Manager", first);
        }
    }

    /// A copy of the whole state (what `GET /door/_sim/state` returns).
    pub fn state(&self) -> DoorState {
        read(&self.state).clone()
    }

    /// Replaces the whole state.
    pub fn set_state(&self, state: DoorState) {
        *write(&self.state) = state;
    }

    /// The API (with faults and statistics) beside the `/_sim/` control plane; nest it under
    /// `/door`.
    pub fn router(&self) -> Router {
        let resources = Router::new()
            // door-partner: listUsers; grantAccessToUser.
            .route("/v1/users", get(api::list_users).post(grant::grant_v1))
            // door-partner: grantAccessToUserV2.
            .route("/v2/users", post(grant::grant_v2))
            // door-partner: getUser.
            .route("/v1/users/{user}", get(api::get_user))
            // door-partner: revokeUserAccess; updateUserAccess.
            .route(
                "/v1/users/{user}/doors/{door}",
                axum::routing::delete(api::revoke).patch(grant::update),
            )
            // door-partner: listDoors.
            .route("/v1/doors", get(api::list_doors))
            // door-partner: listBuildings.
            .route("/v1/buildings", get(api::list_buildings))
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                auth::authenticate,
            ))
            // door-auth: authenticatePartner (`/v1/oauth/token#m2m`).
            .route("/v1/oauth/token", post(auth::token))
            .route_layer(middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ))
            .with_state(self.clone());
        resources.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

/// A user made by hand in DOOR OS, holding `door` with no end: no lockstep tag.
fn hand_made(s: &mut DoorState, first: &str, last: &str, door: &str) {
    let email = format!(
        "{}.{}@example.test",
        first.to_lowercase(),
        last.to_lowercase()
    );
    if s.users.iter().any(|u| u.email == email) {
        return;
    }
    let uuid = s.next_uuid();
    s.users.push(DoorUser {
        uuid,
        email,
        first_name: first.into(),
        last_name: last.into(),
        phone: None,
        accesses: vec![DoorAccess {
            door_uuid: door.into(),
            start_time: "2024-01-01T00:00:00Z".into(),
            end_time: None,
            passcode_type: "PERMANENT".into(),
            shareable: false,
            role: Some("RESIDENT".into()),
            notified: false,
        }],
    });
}

/// door-partner's error bodies: `{message}` with a code (`BadRequestError`, `NotFoundError`,
/// `UnauthorizedError`, `InternalServerError`).
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// `NotFoundError`.
fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
