//! The signature of `POST /api/v1/events`: `X-Lockstep-Signature: sha256=<hex>` where the hex is
//! HMAC-SHA256 keyed with the sender's secret over `<X-Lockstep-Timestamp>.<raw body>`. The
//! comparison is constant-time (`Mac::verify_slice`); a refusal says what was wrong, never which
//! byte, and never repeats the secret or the signature.

use crate::model::Timestamp;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SENDER_HEADER: &str = "x-lockstep-sender";
pub const TIMESTAMP_HEADER: &str = "x-lockstep-timestamp";
pub const SIGNATURE_HEADER: &str = "x-lockstep-signature";

/// How far a request's timestamp may be from the daemon's clock, either way.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a signed request is refused (all answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("unknown sender (X-Lockstep-Sender names no configured sender)")]
    UnknownSender,
    #[error("X-Lockstep-Timestamp is not a whole number of Unix seconds")]
    BadTimestamp,
    #[error("stale: the timestamp is {0} s from the server's clock; at most {MAX_SKEW_SECS} s is allowed")]
    Stale(i64),
    #[error("bad signature: X-Lockstep-Signature is not sha256=<64 hex digits>")]
    Malformed,
    #[error("bad signature: it does not match HMAC-SHA256(secret, \"<timestamp>.<body>\") for this sender")]
    Mismatch,
}

impl Refusal {
    /// Bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Missing(_) => "missing_header",
            Refusal::UnknownSender => "unknown_sender",
            Refusal::BadTimestamp => "bad_timestamp",
            Refusal::Stale(_) => "stale",
            Refusal::Malformed | Refusal::Mismatch => "bad_signature",
        }
    }
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value a sender computes: `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Reads the timestamp header: decimal Unix seconds.
pub fn timestamp(text: &str) -> Result<Timestamp, Refusal> {
    let t = text.trim();
    if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::BadTimestamp);
    }
    t.parse().map_err(|_| Refusal::BadTimestamp)
}

/// Checks the timestamp against `now`, then the signature, in constant time.
pub fn verify(
    secret: &[u8],
    timestamp_text: &str,
    signature: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), Refusal> {
    let at = timestamp(timestamp_text)?;
    let skew = now.saturating_sub(at);
    if skew.abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale(skew));
    }
    let hex_part = signature
        .trim()
        .strip_prefix("sha256=")
        .ok_or(Refusal::Malformed)?;
    if hex_part.len() != 64 {
        return Err(Refusal::Malformed);
    }
    let given = hex::decode(hex_part).map_err(|_| Refusal::Malformed)?;
    mac(secret, timestamp_text.trim(), body)
        .verify_slice(&given)
        .map_err(|_| Refusal::Mismatch)
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
