//! Brivo simulator: the Access / Onair API as Brivo's published docs describe it, served under
//! `/brivo`. Sources: "brivo-apidocs" is the dump of apidocs.brivo.com (VENDORS.md, B-doc); each
//! handler names the section it follows. Verbs the dump leaves out come from the public client
//! `University-of-British-Columbia-Okanagan/MSYK_Membership` `app/services/brivo.server.ts`
//! ("B-msyk"); the gateway's answers from VENDORS.md corrections, "Mashery".
//!
//! - `POST /oauth/token` (the auth host; `auth_url` = base): form-encoded only, Basic client
//!   auth, `api-key`; `password` and `refresh_token` grants (brivo-apidocs: Authentication,
//!   OAuth2 Tokens); the documented 401 bodies (brivo-apidocs: Response Codes - Error codes).
//! - `/v1/api/...`: `api-key` on every call, checked by the Mashery gateway (403
//!   `ERR_403_DEVELOPER_INACTIVE`, `<h1>Developer Inactive</h1>`), then `Authorization: bearer`.
//! - Throttling is Mashery's 403 `ERR_403_DEVELOPER_OVER_QPS` with `Retry-After: 1`, counted
//!   per `api-key` (Mashery's unit of quota) under the `rate_limit_per_second` knob. Brivo
//!   publishes no figure: tests pick one (assumption).
//! - A wrong verb on a known path answers `596` `<h1>596 Service Not Found</h1>`
//!   (brivo-apidocs: Response Codes - Error codes).
//! - `offset`/`pageSize` paging (default 0 and 20, range 1-100) answering
//!   `{data, offset, pageSize, count}` (brivo-apidocs: Listing Calls - Results, Paging); dates
//!   ISO 8601 UTC to the second; null fields omitted (brivo-apidocs: Schema).
//!
//! Assumptions, where the docs are silent:
//! - an expired or unknown bearer gets the documented 401 body for missing authentication;
//! - the 16-group limit (documented for `PUT /users/{id}/groups`) also holds for single
//!   assignment, with an invented wording;
//! - linked groups: `BrivoState::linked_groups` lists sets of groups that share credentials; a
//!   member of one group of a set cannot be assigned to another (the refusal's wording is the
//!   docs', how groups become linked is not documented);
//! - `DELETE /groups/{gid}/users/{uid}` of a non-member answers 404;
//! - `firstName` and `lastName` are both required on create; a duplicate `externalId` is 400;
//! - a `pin` that is not 4 to 8 decimal digits, or an `effectiveFrom`/`effectiveTo` that is not
//!   `YYYY-MM-DDTHH:MM:SSZ`, is refused 400 on create, patch and update; a `null` in a patch or
//!   update body is refused 400 too (the docs say what omitting a field does, not what null does);
//! - patch and update ignore fields they do not take (`id`, `created`, …), as create does;
//! - refresh tokens are single-use (each refresh issues a new pair); `filter=` is ignored;
//! - creating a user issues them one mobile pass (in reality an admin would), so lost-credential
//!   flows have something to revoke.

mod api;
mod auth;
mod gateway;
#[cfg(test)]
mod gateway_tests;
mod state;
#[cfg(test)]
mod tests;
mod users;

pub use state::{
    BrivoCredential, BrivoEmail, BrivoGroup, BrivoMembership, BrivoPhone, BrivoState, BrivoUser,
    CredentialFormat, LINKED_GROUP, MAX_GROUPS_PER_USER, TOO_MANY_GROUPS,
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
            core: SimCore::with_rate_key("brivo", seed, gateway::over_qps, gateway::rate_key),
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
        // Verbs: GET/POST on listings and creation follow the docs' REST shape; PUT/DELETE on
        // memberships and PUT on `/users/{id}/groups` are B-msyk and VENDORS.md corrections; the
        // credential unassignment's DELETE is VENDORS.md's Brivo section (the dump omits verbs);
        // PATCH and PUT on `/users/{id}` are what "Patch user" and "Update user" name.
        let resources = Router::new()
            // brivo-apidocs: User - List Users; User - Create new user.
            .route(
                "/v1/api/users",
                get(api::list_users).post(users::create_user),
            )
            // brivo-apidocs: User - Retrieve by id; User - Patch user; User - Update user.
            .route(
                "/v1/api/users/{id}",
                get(users::user_by_id)
                    .patch(users::patch_user)
                    .put(users::update_user),
            )
            // brivo-apidocs: User - Retrieve by external id.
            .route("/v1/api/users/{id}/external", get(api::user_by_external))
            // brivo-apidocs: User - List user's groups; User - Update user's group memberships.
            .route(
                "/v1/api/users/{id}/groups",
                get(api::user_groups).put(api::change_user_groups),
            )
            // brivo-apidocs: User - Retrieve Assigned Credentials.
            .route("/v1/api/users/{id}/credentials", get(api::user_credentials))
            // brivo-apidocs: User - Remove Credential from User.
            .route(
                "/v1/api/users/{id}/credentials/{cid}",
                axum::routing::delete(api::unassign_credential),
            )
            // brivo-apidocs: Group - Group Listing.
            .route("/v1/api/groups", get(api::list_groups))
            // brivo-apidocs: Group - List Users within Group.
            .route("/v1/api/groups/{gid}/users", get(api::group_users))
            // brivo-apidocs: Group - Assign User to Group; Group - Remove User from Group.
            .route(
                "/v1/api/groups/{gid}/users/{uid}",
                put(api::add_member).delete(api::remove_member),
            )
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                auth::authenticate,
            ))
            .route("/oauth/token", post(auth::token))
            .route_layer(middleware::map_response(gateway::wrong_verb))
            .route_layer(middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ))
            .with_state(self.clone());
        resources.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

/// Brivo's error body for 400, 403, 404 and 503: `{"code": <http>, "message": "..."}`
/// (brivo-apidocs: Response Codes - Error codes).
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
