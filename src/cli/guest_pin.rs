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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{run, Cli};
    use clap::Parser;

    /// A daemon's API on 127.0.0.1:0 (its own thread and runtime) with one property offering
    /// one temporary PIN per resident; returns its URL.
    fn daemon(dir: &std::path::Path) -> String {
        use sha2::{Digest, Sha256};
        let yaml = format!(
            "portfolio: test\ndata_dir: {}\napi:\n  tokens:\n    - {{ name: a, role: approver, sha256: {} }}\nsources:\n  frontdesk:\n    type: events\n    senders:\n      script: {{secret: \"frontdesk-demo-secret-0123456789\"}}\nnotifications:\n  outbox: {outbox}/pins.jsonl\naccess_systems:\n  brivo:\n    type: brivo\n    url: http://127.0.0.1:9\n    auth_url: http://127.0.0.1:9\n    api_key: k\n    client_id: c\n    client_secret: s\n    username: u\n    password: p\nproperties:\n  maple:\n    source: frontdesk\n    access_system: brivo\n    pins: {{}}\n    guest_pins:\n      groups: [Lobby]\n      temporary: {{count: 1, max_duration: 7d}}\n",
            dir.display(),
            hex::encode(Sha256::digest(b"approver-token")),
            outbox = dir.display(),
        );
        let config = crate::config::Config::from_yaml_str(&yaml, &crate::config::ProcessEnv)
            .expect("config");
        let store = crate::store::Store::open(dir).expect("store");
        let controller =
            crate::controller::Controller::new(config, store, crate::metrics::Metrics::new())
                .expect("controller");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        std::mem::forget(rx);
        let state = crate::http::AppState {
            controller,
            events: tx,
            checkpoints: None,
            sessions: Default::default(),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = crate::http::serve(listener, state, std::future::pending()).await;
            });
        });
        url
    }

    fn lockstep(url: &str, args: &[&str]) -> Result<(), CliError> {
        let mut all = vec!["lockstep", "--server", url, "--token", "approver-token"];
        all.extend_from_slice(args);
        run(Cli::try_parse_from(&all).expect("parses"))
    }

    #[test]
    fn a_refusal_prints_the_limit_and_exits_1_and_bad_usage_exits_64() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = daemon(dir.path());
        let until = crate::store::rfc3339(crate::controller::now() + 3600);
        let create = [
            "guest-pin",
            "create",
            "--property",
            "maple",
            "--host",
            "r-101",
            "--kind",
            "temporary",
            "--guest",
            "Ana",
            "--until",
            &until,
        ];
        lockstep(&url, &create).expect("created");
        let e = lockstep(&url, &create).expect_err("refused");
        assert_eq!(e.code, crate::cli::EXIT_FAILURE);
        assert_eq!(
            e.message,
            "temporary guest PINs: at most 1 live per resident; r-101 already holds 1"
        );
        let mut weekly = create;
        weekly[7] = "weekly";
        let e = lockstep(&url, &weekly).expect_err("bad kind");
        assert_eq!(e.code, crate::cli::EXIT_USAGE, "{}", e.message);
        assert!(
            e.message.starts_with("--kind: unknown kind"),
            "{}",
            e.message
        );
        let e = lockstep(
            &url,
            &[
                "guest-pin",
                "create",
                "--property",
                "maple",
                "--host",
                "r-1",
                "--kind",
                "recurring",
                "--guest",
                "A",
                "--days",
                "mon,someday",
            ],
        )
        .expect_err("bad day");
        assert_eq!(e.code, crate::cli::EXIT_USAGE, "{}", e.message);
        let e = lockstep(
            &url,
            &["guest-pin", "cancel", "--property", "maple", "gnothere000"],
        )
        .expect_err("unknown pass");
        assert_eq!(e.code, crate::cli::EXIT_USAGE, "{}", e.message);
        lockstep(
            &url,
            &[
                "guest-pin",
                "list",
                "--property",
                "maple",
                "--host",
                "r-101",
            ],
        )
        .expect("listed");
    }
}
