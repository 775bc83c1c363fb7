//! The validated `notifications` section: the one sink that delivers issued PINs
//! (`crate::deliver::Sink` is built from it).

use super::Secret;
use serde::Serialize;
use std::path::PathBuf;

/// Where issued PINs go: exactly one sink.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationsConfig {
    /// A JSON-lines file another tool picks up; the path as written, like every path here.
    Outbox(PathBuf),
    Webhook(WebhookConfig),
}

/// A signed POST per PIN to the operator's messaging system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookConfig {
    /// An http(s) URL with a host; plain http only to a loopback host (checked).
    pub url: String,
    /// The HMAC-SHA256 key, at least 16 characters (checked when read).
    pub secret: Secret,
}
