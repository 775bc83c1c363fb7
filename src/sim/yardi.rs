//! Yardi Voyager simulator (placeholder, being written).

use super::world::SourceState;
use super::SimCore;
use axum::Router;
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub struct YardiSim {
    pub core: Arc<SimCore>,
    pub state: Arc<RwLock<SourceState>>,
}

impl YardiSim {
    pub const USERNAME: &'static str = "sim-yardi";
    pub const PASSWORD: &'static str = "sim-yardi-password";
    pub const LICENSE: &'static str = "sim-interface-license";
    pub fn new(state: SourceState, seed: u64) -> Self {
        YardiSim { core: SimCore::new("yardi_voyager", seed, super::throttle_429), state: Arc::new(RwLock::new(state)) }
    }
    pub fn router(&self) -> Router {
        Router::new()
    }
}
