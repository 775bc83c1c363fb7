//! The `notifications` section as typed: where issued PINs are delivered, an outbox file or a
//! signed webhook (exactly one; checked in `validate::notifications`).

use super::RawSecret;
use schemars::JsonSchema;
use serde::Deserialize;

/// The notification sink for issued PINs: `outbox: PATH` or `webhook: {url, secret}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNotifications {
    /// A file that gets one JSON line per issued PIN (created with mode 0600).
    pub outbox: Option<String>,
    /// The operator's messaging system: a signed POST per issued PIN.
    pub webhook: Option<RawWebhook>,
}

/// A webhook receiving issued PINs, signed like inbound events (`X-Lockstep-Signature`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// `https://…`; `http://` only to a loopback host.
    pub url: Option<String>,
    /// The HMAC-SHA256 key the receiver verifies with, at least 16 characters.
    pub secret: Option<RawSecret>,
}
