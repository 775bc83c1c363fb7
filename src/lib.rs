//! Lockstep: keeps physical access in lockstep with the systems of record.
#![forbid(unsafe_code)]

pub mod access;
pub mod config;
pub mod model;
pub mod net;
pub mod plan;
pub mod sim;
pub mod source;
pub mod store;
