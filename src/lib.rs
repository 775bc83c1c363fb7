//! Lockstep: keeps physical access in lockstep with the systems of record.
//!
//! See `ARCHITECTURE.md` for the map. Pure policy and planning (`model`, `policy`, `plan`) sit
//! in the middle; connectors, the store and the HTTP server are the edges.
#![forbid(unsafe_code)]

pub mod access;
pub mod app;
pub mod checkpointer;
pub mod cli;
pub mod config;
pub mod controller;
pub mod deliver;
pub mod executor;
pub mod gate;
pub mod health;
pub mod http;
pub mod informer;
pub mod issuer;
pub mod metrics;
pub mod model;
pub mod net;
pub mod notify;
pub mod plan;
pub mod policy;
pub mod reconcile;
pub mod sim;
pub mod source;
pub mod store;
