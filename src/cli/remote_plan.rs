//! `lockstep plan` while the daemon runs: the daemon holds the store's lock, so the dry run is
//! asked of the daemon itself (`POST /api/v1/plan`, an approver token in `--token` or
//! `LOCKSTEP_TOKEN`), at `--server` / `LOCKSTEP_SERVER` or else the config's own `listen`
//! address. The output is the same as a local plan's.

use super::{client, CliError, CliResult, Server};
use crate::config::Config;
use crate::model::Plan;
use crate::reconcile::Report;
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fields of a report that `plan` prints.
#[derive(Deserialize)]
struct Remote {
    property: String,
    skipped: Option<String>,
    desired_users: usize,
    drift: usize,
    applied: usize,
    failed: usize,
    suggested: usize,
    held: usize,
    #[serde(default)]
    plans: BTreeMap<String, Plan>,
}

pub fn plan(
    config: &Config,
    given: &Server,
    property: Option<&str>,
    json: bool,
    locked: &str,
) -> CliResult {
    let server = Server {
        server: Some(given.url_or(&format!("http://{}", config.listen))),
        token: given.token.clone().filter(|t| !t.trim().is_empty()),
    };
    if server.token.is_none() {
        return Err(CliError::failure(format!(
            "{locked}\nTo plan through the running daemon instead, give an approver or \
             admin token in LOCKSTEP_TOKEN or --token (and --server if it does not listen on {}).",
            config.listen
        )));
    }
    eprintln!(
        "the store is in use by the running daemon; planning through its API at {}",
        server.url()
    );
    let body = property.map(|p| serde_json::json!({ "property": p }));
    let value = client::call(&server, Method::POST, "/api/v1/plan", body)?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&value["reports"]).unwrap_or_default()
        );
    }
    let remote: Vec<Remote> = serde_json::from_value(value["reports"].clone())
        .map_err(|e| CliError::failure(format!("the daemon's plan could not be read: {e}")))?;
    let mut failed = false;
    for r in remote {
        failed |= r.skipped.is_some() || r.failed > 0;
        let report = Report {
            property: r.property,
            skipped: r.skipped,
            desired_users: r.desired_users,
            drift: r.drift,
            applied: r.applied,
            failed: r.failed,
            suggested: r.suggested,
            held: r.held,
            plans: r.plans,
            ..Report::default()
        };
        if !json {
            super::daemon::print_report(&report, true);
        }
    }
    if failed {
        Err(CliError::failure(
            "some properties were skipped or had failed actions",
        ))
    } else {
        Ok(())
    }
}
