//! Brivo simulator: the Access / Onair API shape from VENDORS.md, served under `/brivo`.
//!
//! - `POST /oauth/token` (the auth host; `auth_url` = base): form-encoded only, Basic client
//!   auth, `api-key`; `password` and `refresh_token` grants; tokens last `token_lifetime_secs`.
//! - `/v1/api/...`: `api-key` on every call (403 HTML "Developer Inactive" without it) and
//!   `Authorization: bearer <token>` (401 `{code, message}` when unknown or expired).
//! - `offset`/`pageSize` paging (default 20, max 100) answering `{data, offset, pageSize, count}`,
//!   sorted by id; at most 16 groups per user, enforced on every add, all or nothing.
//!
//! Assumptions (G), where the public docs are silent or only name an operation:
//! - throttling is the Mashery gateway's 403 `{"code":403,"message":"Developer Over Qps"}` with
//!   `Retry-After: 1`;
//! - verbs: `PUT`/`DELETE /groups/{gid}/users/{uid}`, `PUT /users/{id}/groups`; the bulk call
//!   answers 200 with the user's groups as a page envelope; error wordings are invented;
//! - `DELETE /groups/{gid}/users/{uid}` of a non-member answers 404 (clients treat it as done);
//! - `firstName` and `lastName` are both required on create; a duplicate `externalId` is 400;
//! - refresh tokens are single-use (each refresh issues a new pair); `filter=` is ignored;
//! - creating a user issues them one mobile pass (in reality an admin would), so lost-credential
//!   flows have something to revoke.

mod api;
mod auth;
mod state;
#[cfg(test)]
mod tests;

pub use state::{
    BrivoCredential, BrivoEmail, BrivoGroup, BrivoMembership, BrivoState, BrivoUser,
    CredentialFormat, MAX_GROUPS_PER_USER, TOO_MANY_GROUPS,
};

use super::world::FOREIGN_GROUP;
use super::{control_plane, fault_layer, read, write, SimCore};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// The simulated Brivo account and its fault/statistics core. Cheap to clone (shared state).
#[derive(Clone)]
pub struct BrivoSim {
    pub core: Arc<SimCore>,
    state: Arc<RwLock<BrivoState>>,
}

impl BrivoSim {
    pub const API_KEY: &'static str = "sim-brivo-api-key";
    pub const CLIENT_ID: &'static str = "sim-client";
    pub const CLIENT_SECRET: &'static str = "sim-client-secret";
    pub const USERNAME: &'static str = "sim-user";
    pub const PASSWORD: &'static str = "sim-password";

    pub fn new(seed: u64) -> Self {
        BrivoSim {
            core: SimCore::new("brivo", seed, throttle_403),
            state: Arc::new(RwLock::new(BrivoState::default())),
        }
    }

    /// Creates each named group if missing, plus `FOREIGN_GROUP` with two hand-made users (no
    /// `externalId`) and one hand-made member of the first group. Idempotent.
    pub fn seed_groups(&self, groups: &[String]) {
        let created = iso_now();
        let mut s = write(&self.state);
        s.ensure_sorted();
        let ids: Vec<u64> = groups.iter().map(|g| s.group_named(g)).collect();
        let foreign = s.group_named(FOREIGN_GROUP);
        for (first, last) in [("Gina", "Trainer"), ("Victor", "Guest")] {
            let user = s.hand_made(first, last, &created);
            let _ = s.change_groups(user, &[foreign], &[]);
        }
        if let Some(&first) = ids.first() {
            let has_hand_made = s
                .members(first)
                .iter()
                .any(|m| s.user(m.user_id).is_some_and(|u| u.external_id.is_none()));
            if !has_hand_made {
                let manager = BrivoUser {
                    first_name: "Morgan".into(),
                    last_name: "Manager".into(),
                    ..BrivoUser::default()
                };
                let user = s.add_user(manager, created).id;
                let _ = s.change_groups(user, &[first], &[]);
            }
        }
    }

    /// A copy of the whole state (what `GET /brivo/_sim/state` returns).
    pub fn state(&self) -> BrivoState {
        let mut s = read(&self.state).clone();
        s.ensure_sorted();
        s
    }

    /// Replaces the whole state; its lists need not be sorted.
    pub fn set_state(&self, mut state: BrivoState) {
        state.mark_unsorted();
        state.ensure_sorted();
        *write(&self.state) = state;
    }

    /// The state for reading, sorted first if something replaced it since.
    fn view(&self) -> RwLockReadGuard<'_, BrivoState> {
        {
            let s = read(&self.state);
            if s.is_sorted() {
                return s;
            }
        }
        write(&self.state).ensure_sorted();
        read(&self.state)
    }

    /// The API (with faults and statistics) beside the `/_sim/` control plane; nest it under
    /// `/brivo`.
    pub fn router(&self) -> Router {
        let resources = Router::new()
            .route("/v1/api/users", get(api::list_users).post(api::create_user))
            .route("/v1/api/users/{id}/external", get(api::user_by_external))
            .route(
                "/v1/api/users/{id}/groups",
                get(api::user_groups).put(api::change_user_groups),
            )
            .route("/v1/api/users/{id}/credentials", get(api::user_credentials))
            .route(
                "/v1/api/users/{id}/credentials/{cid}",
                axum::routing::delete(api::unassign_credential),
            )
            .route("/v1/api/groups", get(api::list_groups))
            .route("/v1/api/groups/{gid}/users", get(api::group_users))
            .route(
                "/v1/api/groups/{gid}/users/{uid}",
                put(api::add_member).delete(api::remove_member),
            )
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                auth::authenticate,
            ))
            .route("/oauth/token", post(auth::token))
            .route_layer(middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ))
            .with_state(self.clone());
        resources.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

/// Brivo's gateway throttling (assumption (G)): 403 "Developer Over Qps" with `Retry-After`.
fn throttle_403() -> Response {
    (
        StatusCode::FORBIDDEN,
        [("retry-after", "1")],
        Json(json!({"code": 403, "message": "Developer Over Qps"})),
    )
        .into_response()
}

/// Brivo's error body for 400, 403, 404 and 503: `{"code": <http>, "message": "..."}`.
fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// ISO 8601 in UTC to whole seconds, as Brivo writes dates.
fn iso_now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}
