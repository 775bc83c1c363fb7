//! `lockstep guest-pin create|list|cancel`: residents' guest and prospect PINs through a running
//! daemon's API. A refusal by a limit prints the limit's sentence and exits 1; bad usage 64.

use super::client::{call, error_message, failed, print, send};
use super::{CliError, CliResult, Server};
use crate::policy::guests::{PassKind, Weekday};
use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum GuestPinCmd {
    /// Ask for a guest PIN for a resident's guest, within the property's per-resident limits.
    Create {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// The resident (host) asking, as the source names them (e.g. p1-00001).
        #[arg(long)]
        host: String,
        /// temporary, recurring, permanent or delivery.
        #[arg(long)]
        kind: String,
        /// The guest's name, as the host gives it.
        #[arg(long)]
        guest: String,
        /// When the PIN starts working (RFC 3339 or Unix seconds); default now.
        #[arg(long)]
        from: Option<String>,
        /// When it stops (RFC 3339 or Unix seconds); required except for permanent PINs.
        #[arg(long)]
        until: Option<String>,
        /// Recurring PINs: the weekdays it works on, e.g. mon,wed (UTC days).
        #[arg(long, value_delimiter = ',')]
        days: Vec<String>,
    },
    /// List a resident's guest PINs (cancelled ones too).
    List {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// The resident (host), as the source names them (e.g. p1-00001).
        #[arg(long)]
        host: String,
    },
    /// Cancel a guest PIN by id (from `guest-pin list`).
    Cancel {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// The guest PIN's id (g + 10 letters and digits).
        id: String,
    },
}

pub fn guest_pin(cmd: GuestPinCmd, server: &Server) -> CliResult {
    match cmd {
        GuestPinCmd::Create {
            property,
            host,
            kind,
            guest,
            from,
            until,
            days,
        } => {
            kind.parse::<PassKind>()
                .map_err(|e| CliError::usage(format!("--kind: {e}")))?;
            for d in &days {
                d.parse::<Weekday>()
                    .map_err(|e| CliError::usage(format!("--days: {e}")))?;
            }
            let path = format!("/api/v1/properties/{property}/people/{host}/guest-pins");
            let body = json!({ "kind": kind, "guest_name": guest, "from": from, "until": until, "days": days });
            let (status, value) = send(server, Method::POST, &path, Some(body))?;
            match status.as_u16() {
                200..=299 => {
                    print(&value);
                    Ok(())
                }
                // A limit refused it: the sentence alone, and exit 1 (not a usage error).
                422 => Err(CliError::failure(error_message(&value))),
                _ => Err(failed(server, &path, status, &value)),
            }
        }
        GuestPinCmd::List { property, host } => {
            let path = format!("/api/v1/properties/{property}/people/{host}/guest-pins");
            let value = call(server, Method::GET, &path, None)?;
            for p in value["guest_pins"].as_array().into_iter().flatten() {
                out!("{}", describe(p));
            }
            Ok(())
        }
        GuestPinCmd::Cancel { property, id } => {
            let path = format!("/api/v1/properties/{property}/guest-pins/{id}");
            print(&call(server, Method::DELETE, &path, None)?);
            Ok(())
        }
    }
}

/// `gabc123defg  temporary  Ana  2026-11-23T10:00:00Z → 2026-11-25T10:00:00Z  [cancelled]`.
fn describe(p: &Value) -> String {
    let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
    let time = |k: &str| {
        p[k].as_i64()
            .map_or("no end".to_string(), crate::store::rfc3339)
    };
    let days: Vec<&str> = p["days"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let days = if days.is_empty() {
        String::new()
    } else {
        format!(" on {}", days.join(","))
    };
    let cancelled = if p["cancelled"].as_bool() == Some(true) {
        "  [cancelled]"
    } else {
        ""
    };
    format!(
        "{}  {:<9}  {}  {} → {}{days}{cancelled}",
        text("id"),
        text("kind"),
        text("guest_name"),
        time("from"),
        time("until")
    )
}
