//! Brivo simulator (placeholder, being written).

use super::SimCore;
use axum::Router;
use std::sync::Arc;

#[derive(Clone)]
pub struct BrivoSim {
    pub core: Arc<SimCore>,
}

impl BrivoSim {
    pub const API_KEY: &'static str = "sim-brivo-api-key";
    pub const CLIENT_ID: &'static str = "sim-client";
    pub const CLIENT_SECRET: &'static str = "sim-client-secret";
    pub const USERNAME: &'static str = "sim-user";
    pub const PASSWORD: &'static str = "sim-password";
    pub fn new(seed: u64) -> Self {
        BrivoSim { core: SimCore::new("brivo", seed, super::throttle_429) }
    }
    pub fn seed_groups(&self, _groups: &[String]) {}
    pub fn router(&self) -> Router {
        Router::new()
    }
}
