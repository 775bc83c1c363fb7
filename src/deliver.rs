//! The notification sink that delivers issued PINs: an outbox file (one JSON line per PIN) or a
//! webhook signed like inbound events. A PIN's digits go into that line or that body and nowhere
//! else: not into errors, logs, metrics or the audit log.
//!
//! One attempt per call. A failed delivery is never re-sent: the caller issues a fresh PIN on a
//! later cycle, so a PIN whose fate is unknown is never the one a person ends up holding.

mod outbox;
mod webhook;

use crate::config::NotificationsConfig;
use crate::model::{Pin, Timestamp, Window};
use serde::Serialize;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// What one delivery says. Borrowed; the PIN's digits go only into the outbox line / webhook body.
pub struct PinNotice<'a> {
    /// The property's id.
    pub property: &'a str,
    pub property_name: &'a str,
    pub person_id: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    /// The access system holding the PIN.
    pub system: &'a str,
    /// 1 for the first PIN, 2 and up for a replacement after a loss.
    pub generation: u32,
    /// Validity (from/until Unix seconds, each optional).
    pub window: Window,
    pub pin: &'a Pin,
    pub issued_at: Timestamp,
}

/// The configured sink.
pub enum Sink {
    Outbox(outbox::Outbox),
    Webhook(webhook::Webhook),
}

/// Why a PIN was not delivered. No message carries the PIN or the body that held it.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("outbox {path}: the directory {dir} does not exist; create it (mode 0700) first")]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error("outbox {path}: is readable or writable by others (mode {mode:o}); make it 0600")]
    OpenToOthers { path: PathBuf, mode: u32 },
    #[error("outbox {path}: cannot append: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{target}: answered HTTP {status}; the PIN was not delivered")]
    Status { target: String, status: u16 },
    #[error("{target}: the request failed: {message}; the PIN was not delivered")]
    Transport { target: String, message: String },
}

impl DeliverError {
    /// A bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            DeliverError::NoDirectory { .. } => "no_directory",
            DeliverError::OpenToOthers { .. } => "open_to_others",
            DeliverError::Write { .. } => "write",
            DeliverError::Status { .. } => "status",
            DeliverError::Transport { .. } => "transport",
        }
    }
}

impl Sink {
    pub fn from_config(cfg: &NotificationsConfig) -> Result<Sink, String> {
        match cfg {
            NotificationsConfig::Outbox(path) => Ok(Sink::Outbox(outbox::Outbox::new(path))),
            NotificationsConfig::Webhook(w) => webhook::Webhook::new(w).map(Sink::Webhook),
        }
    }

    /// Delivers one notice, once. `Ok` means the line is on disk (synced) or the webhook
    /// answered 2xx.
    pub async fn deliver(&self, notice: &PinNotice<'_>) -> Result<(), DeliverError> {
        let body = body(notice);
        match self {
            Sink::Outbox(o) => o.append(body).await,
            Sink::Webhook(w) => w.post(body).await,
        }
    }

    /// `outbox /path` or `webhook https://host/…`: no secret, no URL path (it may hold a token).
    pub fn describe(&self) -> String {
        match self {
            Sink::Outbox(o) => format!("outbox {}", o.path().display()),
            Sink::Webhook(w) => w.describe(),
        }
    }
}

/// The JSON object both sinks send; `type` lets one outbox carry other notices later.
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    property: &'a str,
    property_name: &'a str,
    person_id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    system: &'a str,
    generation: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    pin: &'a str,
    issued_at: String,
}

/// The notice as JSON (no trailing newline), in a buffer wiped when dropped.
fn body(n: &PinNotice<'_>) -> Zeroizing<Vec<u8>> {
    let rfc3339 = crate::store::rfc3339;
    let wire = Wire {
        kind: "pin_issued",
        property: n.property,
        property_name: n.property_name,
        person_id: n.person_id,
        name: n.name,
        email: n.email,
        system: n.system,
        generation: n.generation,
        valid_from: n.window.from.map(rfc3339),
        valid_until: n.window.until.map(rfc3339),
        pin: n.pin.digits(),
        issued_at: rfc3339(n.issued_at),
    };
    // Reserve enough that the buffer never grows (a grown buffer leaves a copy behind).
    let mut out = Zeroizing::new(Vec::with_capacity(
        1024 + n.name.len() + n.property_name.len(),
    ));
    serde_json::to_writer(&mut *out, &wire)
        .unwrap_or_else(|_| unreachable!("strings and numbers always serialise"));
    out
}

#[cfg(test)]
mod tests;
