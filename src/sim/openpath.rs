//! Openpath / Avigilon Alta simulator, served under `/openpath`, built from Openpath's Swagger
//! 2.0 spec (`../shared/vendor-specs/openpath-swagger.json`, "openpath-swagger"); every route
//! names its operationId. What the spec leaves out is marked "assumption" where it is decided.
//!
//! - `POST /auth/login` (`login`, 201) and `POST /auth/accessTokens/refresh` (`refreshLogin`,
//!   201, the old token invalidated); the JWT is checked on every `/orgs/{orgId}` route, sent
//!   bare in `Authorization` (the spec's apiKey scheme) or after `Bearer ` (clients in
//!   VENDORS.md do both), and must be scoped to the simulated org (`o{orgId}-…` scopes).
//! - Listings take `limit` (1–1000), `offset` (≥ 0), `sort` (a dotted field list) and `order`
//!   (`asc`/`desc`) and answer `{totalCount, filteredCount, data, meta}`.
//! - Throttling: the shared `rate_limit_per_second` and `throttle_every` faults answer 429 with
//!   `Retry-After: 1` per `Authorization` (assumption: the spec documents no rate limit).
//!
//! Assumptions, where the spec is silent: error bodies are `{"message", "status"}` (the spec
//! documents none; the public zerobias client reads `message`); 400 for a malformed request,
//! 401 for a missing or bad JWT or a refused login, 403 for another org, 404 for unknown ids
//! and for removing a membership or credential that is not there; `setUserToGroup` on an
//! existing membership is a 204; an email already used in the org is a 400; `limit` defaults
//! to 1000; tokens live 14 days; a created user is issued one mobile credential.

mod api;
mod auth;
mod state;
#[cfg(test)]
mod tests;

pub use state::{OpCredential, OpGroup, OpUser, OpenpathState, MOBILE_TYPE};

use super::world::FOREIGN_GROUP;
use super::{control_plane, fault_layer, read, throttle_429, write, SimCore};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::json;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The simulated organisation and its fault/statistics core. Cheap to clone (shared state).
#[derive(Clone)]
pub struct OpenpathSim {
    pub core: Arc<SimCore>,
    state: Arc<RwLock<OpenpathState>>,
}

impl OpenpathSim {
    pub const EMAIL: &'static str = "sim-api@openpath.example";
    pub const PASSWORD: &'static str = "sim-openpath-password";
    pub const ORG_ID: u64 = 4242;

    pub fn new(seed: u64) -> Self {
        OpenpathSim {
            core: SimCore::new("openpath", seed, throttle_429),
            state: Arc::new(RwLock::new(OpenpathState::default())),
        }
    }

    /// Creates each named group if missing, plus `FOREIGN_GROUP` with two hand-made users (no
    /// `externalId`) and one hand-made member of the first group. Idempotent.
    pub fn seed_groups(&self, groups: &[String]) {
        let now = iso_at(now_ms());
        let mut s = write(&self.state);
        let ids: Vec<u64> = groups.iter().map(|g| s.group_named(g, &now)).collect();
        let foreign = s.group_named(FOREIGN_GROUP, &now);
        for (first, last) in [("Gina", "Trainer"), ("Victor", "Guest")] {
            let user = hand_made(&mut s, first, last, &now);
            s.memberships.insert((user, foreign));
        }
        if let Some(&first) = ids.first() {
            let has_hand_made = s
                .memberships
                .iter()
                .filter(|(_, g)| *g == first)
                .any(|(u, _)| s.user(*u).is_some_and(|u| u.external_id.is_none()));
            if !has_hand_made {
                let user = hand_made(&mut s, "Morgan", "Manager", &now);
                s.memberships.insert((user, first));
            }
        }
    }

    /// A copy of the whole state (what `GET /openpath/_sim/state` returns).
    pub fn state(&self) -> OpenpathState {
        read(&self.state).clone()
    }

    /// How many set-up e-mails `setupMobileCredential` has sent, over all credentials.
    pub fn setup_emails(&self) -> u64 {
        self.view()
            .credentials
            .iter()
            .map(|c| u64::from(c.setup_emails))
            .sum()
    }

    /// Replaces the whole state.
    pub fn set_state(&self, state: OpenpathState) {
        *write(&self.state) = state;
    }

    fn view(&self) -> RwLockReadGuard<'_, OpenpathState> {
        read(&self.state)
    }

    /// The API (with faults and statistics) beside the `/_sim/` control plane; nest it under
    /// `/openpath`.
    pub fn router(&self) -> Router {
        let resources = Router::new()
            // openpath-swagger: listUsers; createUser.
            .route(
                "/orgs/{org}/users",
                get(api::list_users).post(api::create_user),
            )
            // openpath-swagger: listGroups.
            .route("/orgs/{org}/groups", get(api::list_groups))
            // openpath-swagger: listUserGroups.
            .route("/orgs/{org}/users/{user}/groups", get(api::user_groups))
            // openpath-swagger: listCredentials; createCredential.
            .route(
                "/orgs/{org}/users/{user}/credentials",
                get(api::user_credentials).post(api::create_credential),
            )
            // openpath-swagger: setupMobileCredential.
            .route(
                "/orgs/{org}/users/{user}/credentials/{credential}/setupMobile",
                post(api::setup_mobile),
            )
            // openpath-swagger: listCredentialTypes.
            .route("/orgs/{org}/credentialTypes", get(api::credential_types))
            // openpath-swagger: deleteCredential.
            .route(
                "/orgs/{org}/users/{user}/credentials/{credential}",
                delete(api::delete_credential),
            )
            // openpath-swagger: setUserToGroup; removeUserFromGroup.
            .route(
                "/orgs/{org}/groups/{group}/users/{user}",
                put(api::add_member).delete(api::remove_member),
            )
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                auth::authenticate,
            ))
            // openpath-swagger: login; refreshLogin.
            .route("/auth/login", post(auth::login))
            .route("/auth/accessTokens/refresh", post(auth::refresh))
            .route_layer(middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ))
            .with_state(self.clone());
        resources.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

/// A user made by hand in Openpath's console: no `externalId`.
fn hand_made(s: &mut OpenpathState, first: &str, last: &str, now: &str) -> u64 {
    let email = format!(
        "{}.{}@example.test",
        first.to_lowercase(),
        last.to_lowercase()
    );
    if let Some(u) = s.users.iter().find(|u| u.email == email) {
        return u.id;
    }
    let id = s.next_id();
    s.users.push(OpUser {
        id,
        status: "A".into(),
        external_id: None,
        email,
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        created_at: now.into(),
    });
    id
}

/// assumption: Openpath's error body (the spec documents none) is `{"message", "status"}`.
fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "status": status.as_u16()})),
    )
        .into_response()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `format: date` as Openpath writes it: ISO 8601 UTC with milliseconds.
fn iso_at(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}
