//! Kisi simulator: users, groups, role assignments (group memberships), cards and card
//! assignments behind `Authorization: KISI-LOGIN <key>`, built from Kisi's OpenAPI
//! (`vendor-specs/kisi-openapi.yml`; each route names its operation id in `api.rs`, each object
//! its schema in `render.rs`). Where the spec is silent the code says "assumption".
//!
//! Throttling follows the spec's "Rate limits": 5 requests per second per user, 429 beyond it,
//! no `Retry-After` documented (so none is sent). The `rate_limit_per_second` fault knob
//! enforces it per `Authorization` header (one user's login). The control plane
//! (`/_sim/state`, `/_sim/faults`, `/_sim/stats`) sits beside the API and is neither faulted
//! nor counted.

mod api;
mod render;
mod state;
#[cfg(test)]
mod tests;

pub use api::MAX_OFFSET;
pub use state::{KisiState, SimCard, SimGroup, SimRoleAssignment, SimUser, GROUP_BASIC};

use super::world::FOREIGN_GROUP;
use super::{control_plane, fault_layer, read, secret_eq, write, SimCore};
use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::sync::{Arc, RwLock};

/// One simulated Kisi organisation. Clones share state.
#[derive(Clone)]
pub struct KisiSim {
    pub core: Arc<SimCore>,
    state: Arc<RwLock<KisiState>>,
}

/// Hand-made users the simulator seeds so tests can show lockstep leaves them alone:
/// (name, email). The first two sit in `FOREIGN_GROUP`; the last in each property's first group.
const HAND_MADE: [(&str, &str); 3] = [
    ("Gina Trainer", "gina.trainer@example.test"),
    ("Victor Guest", "victor.guest@example.test"),
    ("Morgan Manager", "morgan.manager@example.test"),
];

impl KisiSim {
    pub const API_KEY: &'static str = "sim-kisi-api-key";

    pub fn new(seed: u64) -> Self {
        KisiSim {
            core: SimCore::new("kisi", seed, throttle),
            state: Arc::new(RwLock::new(KisiState::default())),
        }
    }

    /// Creates each named group if missing, plus `FOREIGN_GROUP` with two hand-made users in
    /// it and one hand-made user in the first group named (a foreign member of a managed group).
    /// Idempotent, and safe to call once per property.
    pub fn seed_groups(&self, groups: &[String]) {
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let mut state = write(&self.state);
        let ids: Vec<u64> = groups.iter().map(|g| state.ensure_group(g)).collect();
        let foreign = state.ensure_group(FOREIGN_GROUP);
        for (name, email) in &HAND_MADE[..2] {
            if let Some(user) = state.ensure_hand_made_user(name, email, &now) {
                // An "already assigned" refusal is the idempotent case.
                let _ = state.assign(user, foreign, GROUP_BASIC, false);
            }
        }
        let (name, email) = HAND_MADE[2];
        if let (Some(&first), Some(user)) =
            (ids.first(), state.ensure_hand_made_user(name, email, &now))
        {
            let _ = state.assign(user, first, GROUP_BASIC, false);
        }
    }

    /// A copy of the whole state (what `GET /_sim/state` returns).
    pub fn state(&self) -> KisiState {
        read(&self.state).clone()
    }

    /// Replaces the whole state (what `PUT /_sim/state` does).
    pub fn set_state(&self, state: KisiState) {
        *write(&self.state) = state;
    }

    /// The API (authenticated, faulted, counted) merged with the control plane.
    pub fn router(&self) -> Router {
        let api = api::routes(api::Api {
            core: self.core.clone(),
            state: self.state.clone(),
        })
        .layer(middleware::from_fn(authenticate))
        .layer(middleware::from_fn_with_state(
            self.core.clone(),
            fault_layer,
        ));
        api.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

/// Kisi's answer over the rate limit: 429 (spec, "Rate limits") in the `Error` shape; the spec
/// documents no `Retry-After`, so none is sent.
fn throttle() -> Response {
    api::kisi_error(
        StatusCode::TOO_MANY_REQUESTS,
        "ffffff",
        "Rate limit exceeded: at most 5 requests per second per user.",
    )
}

/// Every API call needs `Authorization: KISI-LOGIN <API_KEY>`; otherwise 401 in Kisi's envelope.
async fn authenticate(request: Request, next: Next) -> Response {
    let authorised = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("KISI-LOGIN "))
        .is_some_and(|key| secret_eq(key.trim(), KisiSim::API_KEY));
    if authorised {
        next.run(request).await
    } else {
        // The spec's 401 `Error` example: code `afc516`.
        api::kisi_error(
            StatusCode::UNAUTHORIZED,
            "afc516",
            "missing or invalid Authorization header (expected KISI-LOGIN <api key>)",
        )
    }
}
