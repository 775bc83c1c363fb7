//! Kisi simulator: users, groups, role assignments (group memberships) and cards behind
//! `Authorization: KISI-LOGIN <key>`, paged with `limit`/`offset` and `X-Collection-Range`.
//!
//! Shapes follow VENDORS.md (Kisi, confidence C). Where the simulator had to guess, the code says
//! "assumption (G)". The control plane (`/_sim/state`, `/_sim/faults`, `/_sim/stats`) sits beside
//! the API and is neither faulted nor counted.

mod api;
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
            core: SimCore::new("kisi", seed, super::throttle_429),
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
                let _ = state.assign(user, foreign, GROUP_BASIC);
            }
        }
        let (name, email) = HAND_MADE[2];
        if let (Some(&first), Some(user)) =
            (ids.first(), state.ensure_hand_made_user(name, email, &now))
        {
            let _ = state.assign(user, first, GROUP_BASIC);
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
        api::kisi_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid Authorization header (expected KISI-LOGIN <api key>)",
        )
    }
}
