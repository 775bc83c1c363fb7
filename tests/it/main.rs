//! The one integration test binary: the real daemon and CLI against the built-in simulators.

mod audit;
mod building;
mod cli;
mod cli_flags;
mod console;
mod coworking;
mod crash;
mod csv;
mod daemon;
mod demo;
mod door;
mod events;
mod faults;
mod harness;
mod keys;
mod metrics;
mod notify;
mod notify_policy;
mod openpath;
mod pins;
mod reload;
mod safety;
mod webdriver;
mod windows;
mod yardi;
