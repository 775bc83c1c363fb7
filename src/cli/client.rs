//! Client commands: talk to a running daemon's API with a bearer token.

use super::{runtime, CliError, CliResult, Server};
use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum SuggestionsCmd {
    /// List suggestions (pending by default).
    List {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: Option<String>,
        /// pending, approved, discarded, withdrawn, executed, failed or all.
        #[arg(long)]
        state: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Approve suggestions by id (at most 50).
    Approve {
        /// Suggestion ids, from `suggestions list` (at most 50).
        ids: Vec<String>,
    },
    /// Discard suggestions by id.
    Discard {
        /// Suggestion ids, from `suggestions list`.
        ids: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OverrideCmd {
    /// Force a status and/or add or remove groups for one person.
    Set {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// A person id as the source names it (e.g. p1-00001).
        #[arg(long)]
        person: String,
        /// future, current, notice or past.
        #[arg(long)]
        status: Option<String>,
        /// A group to add (repeatable).
        #[arg(long = "add")]
        add: Vec<String>,
        /// A group to remove (repeatable).
        #[arg(long = "remove")]
        remove: Vec<String>,
        /// Why, in words, for the audit log.
        #[arg(long)]
        note: Option<String>,
    },
    /// Clear a person's override: the source wins again.
    Clear {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// A person id as the source names it (e.g. p1-00001).
        #[arg(long)]
        person: String,
    },
    /// List overrides.
    List,
}

/// One API call; a non-2xx answer becomes an error carrying the API's message.
pub fn call(
    server: &Server,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, CliError> {
    let (status, value) = send(server, method, path, body)?;
    if status.is_success() {
        return Ok(value);
    }
    Err(failed(server, path, status, &value))
}

/// A non-2xx answer as an error: 4xx (but 401 and 403) is bad usage, exit 64; the rest exit 1.
pub fn failed(server: &Server, path: &str, status: reqwest::StatusCode, value: &Value) -> CliError {
    let code = if status.is_client_error() && status.as_u16() != 401 && status.as_u16() != 403 {
        super::EXIT_USAGE
    } else {
        super::EXIT_FAILURE
    };
    CliError {
        code,
        message: format!("{}{path}: {status}: {}", server.url(), error_message(value)),
    }
}

/// The API's `error` sentence, or the whole answer when it has none.
pub fn error_message(value: &Value) -> String {
    value
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// One API call, answered with its status and JSON body whatever the status (for commands
/// that treat some refusals in their own way).
pub fn send(
    server: &Server,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<(reqwest::StatusCode, Value), CliError> {
    crate::net::install_crypto();
    let token = server.token.clone().ok_or_else(|| {
        CliError::usage("--token (or LOCKSTEP_TOKEN) is required to talk to the daemon")
    })?;
    let url = format!("{}{}", server.url(), path);
    runtime()?.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| CliError::failure(e.to_string()))?;
        let mut req = client.request(method, &url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| CliError::failure(format!("{url}: cannot reach the daemon: {e}")))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| CliError::failure(format!("{url}: {e}")))?;
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    })
}

pub(super) fn print(value: &Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn suggestions(cmd: SuggestionsCmd, server: &Server) -> CliResult {
    match cmd {
        SuggestionsCmd::List {
            property,
            state,
            json,
        } => {
            let mut query = Vec::new();
            if let Some(p) = property {
                query.push(format!("property={p}"));
            }
            if let Some(s) = state {
                query.push(format!("state={s}"));
            }
            let path = format!("/api/v1/suggestions?{}", query.join("&"));
            let value = call(server, Method::GET, &path, None)?;
            if json {
                print(&value);
                return Ok(());
            }
            let list = value
                .get("suggestions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for s in &list {
                let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
                let unit = s["unit"]
                    .as_str()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                out!(
                    "{}  {:<6} {:<10} {}{unit}, {}: {}",
                    text("id"),
                    text("colour"),
                    text("property"),
                    text("name"),
                    text("kind"),
                    text("reason")
                );
                for step in s["steps"].as_array().into_iter().flatten() {
                    out!(
                        "      {:<14} {}",
                        step["system"].as_str().unwrap_or(""),
                        step["describe"].as_str().unwrap_or("")
                    );
                }
            }
            out!("{} suggestions", list.len());
            Ok(())
        }
        SuggestionsCmd::Approve { ids } => {
            print(&call(
                server,
                Method::POST,
                "/api/v1/suggestions/approve",
                Some(json!({ "ids": ids })),
            )?);
            Ok(())
        }
        SuggestionsCmd::Discard { ids } => {
            print(&call(
                server,
                Method::POST,
                "/api/v1/suggestions/discard",
                Some(json!({ "ids": ids })),
            )?);
            Ok(())
        }
    }
}

pub fn overrides(cmd: OverrideCmd, server: &Server) -> CliResult {
    let value = match cmd {
        OverrideCmd::Set {
            property,
            person,
            status,
            add,
            remove,
            note,
        } => call(
            server,
            Method::POST,
            "/api/v1/overrides",
            Some(
                json!({ "property": property, "person": person, "force_status": status, "add_groups": add, "remove_groups": remove, "note": note }),
            ),
        )?,
        OverrideCmd::Clear { property, person } => call(
            server,
            Method::DELETE,
            &format!("/api/v1/overrides/{property}/{person}"),
            None,
        )?,
        OverrideCmd::List => call(server, Method::GET, "/api/v1/overrides", None)?,
    };
    if !value.is_null() {
        print(&value);
    }
    Ok(())
}

pub fn lost_credential(
    property: &str,
    person: &str,
    credential: Option<&str>,
    replace: bool,
    server: &Server,
) -> CliResult {
    if replace && credential != Some(crate::policy::pins::PIN_CREDENTIAL) {
        return Err(CliError::usage(
            "--replace applies to the PIN only: give --credential pin",
        ));
    }
    let body = json!({ "property": property, "person": person, "credential": credential, "replace": replace });
    print(&call(
        server,
        Method::POST,
        "/api/v1/lost-credential",
        Some(body),
    )?);
    Ok(())
}

pub fn status(server: &Server) -> CliResult {
    print(&call(server, Method::GET, "/api/v1/status", None)?);
    Ok(())
}

/// `lockstep healthcheck`: `GET /healthz` without a token; exit 0 on a 2xx answer, 1 on any
/// other answer or none within `timeout`. For container health checks (the image has no curl).
pub fn healthcheck(server: &Server, timeout: std::time::Duration) -> CliResult {
    crate::net::install_crypto();
    let url = format!("{}/healthz", server.url());
    runtime()?.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| CliError::failure(e.to_string()))?;
        let resp = client
            .get(&url)
            .send()
            .await
            .map_err(|e| CliError::failure(format!("{url}: cannot reach the daemon: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            out!("{url}: {status}");
            Ok(())
        } else {
            Err(CliError::failure(format!("{url}: {status}")))
        }
    })
}
