//! The keys of a `type: events` source as typed: the senders allowed to post signed events, each
//! with its own shared secret. Checked in `validate::events`.

use super::RawSecret;
use schemars::JsonSchema;
use serde::Deserialize;

/// One sender of signed events (`power-automate`, `script`): the secret it signs with.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSender {
    pub secret: Option<RawSecret>,
}
