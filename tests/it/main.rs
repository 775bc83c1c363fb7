//! The one integration test binary: the real daemon and CLI against the built-in simulators.

mod cli;
mod crash;
mod daemon;
mod faults;
mod harness;
mod metrics;
mod notify;
mod reload;
mod safety;
mod yardi;
