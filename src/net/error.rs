//! `NetError`, what one HTTP exchange with a vendor can end in, and how vendors' answers are
//! classified into it: plain HTTP (429 throttles, 401/403 refuse credentials) or a gateway with
//! its own signals (Mashery, in front of Brivo).

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why one HTTP exchange with a vendor failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{system}: {method} {path}: could not reach the server: {detail}")]
    Transport {
        system: String,
        method: Method,
        path: String,
        detail: String,
        /// The request was sent (or may have been) and no answer arrived: a timeout or reset.
        maybe_applied: bool,
    },
    #[error("{system}: {method} {path}: throttled ({status}), retry after {retry_after:?}")]
    Throttled {
        system: String,
        method: Method,
        path: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{system}: {method} {path}: authentication failed ({status}): {message}")]
    Auth {
        system: String,
        method: Method,
        path: String,
        status: u16,
        message: String,
    },
    /// The vendor says lockstep is configured wrong (an inactive API key, a wrong URL or
    /// region): retrying cannot help, an operator must fix the config.
    #[error("{system}: {method} {path}: configuration error ({status}): {message}")]
    Config {
        system: String,
        method: Method,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{system}: {method} {path} answered {status}: {message}")]
    Status {
        system: String,
        method: Method,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{system}: {method} {path}: could not parse the response: {detail}")]
    BadResponse {
        system: String,
        method: Method,
        path: String,
        detail: String,
    },
}

impl NetError {
    pub fn kind(&self) -> &'static str {
        match self {
            NetError::Transport { .. } => "transport",
            NetError::Throttled { .. } => "throttled",
            NetError::Auth { .. } => "auth",
            NetError::Config { .. } => "config",
            NetError::Status { status, .. } if *status >= 500 => "server",
            NetError::Status { .. } => "client",
            NetError::BadResponse { .. } => "bad_response",
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            NetError::Transport { .. }
            | NetError::Throttled { .. }
            | NetError::BadResponse { .. } => true,
            NetError::Status { status, .. } => *status >= 500 || *status == 408,
            NetError::Auth { .. } | NetError::Config { .. } => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            NetError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A write may have landed although we saw no success: re-observe before retrying.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            NetError::Transport { maybe_applied, .. } => *maybe_applied,
            NetError::Status { status, .. } => *status >= 500,
            NetError::BadResponse { .. } => true,
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            NetError::Throttled { status, .. }
            | NetError::Auth { status, .. }
            | NetError::Config { status, .. }
            | NetError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A token endpoint's refusal (an auth answer, or a 400 as OAuth 2.0 spells `invalid_grant`)
/// as an auth failure whose message `explain` writes from the vendor's own text: what to check,
/// never a configured value. Any other error is returned as it is.
pub fn sign_in_refused(e: NetError, explain: impl FnOnce(&str) -> String) -> NetError {
    match e {
        NetError::Auth {
            system,
            method,
            path,
            status,
            message,
        }
        | NetError::Status {
            system,
            method,
            path,
            status: status @ 400,
            message,
        } => NetError::Auth {
            system,
            method,
            path,
            status,
            message: explain(&message),
        },
        other => other,
    }
}

/// Whether an error kind points at the connector itself (its credentials, its config, its
/// server or the way there) rather than at one record: these count toward quarantine.
pub fn is_connector_failure(kind: &str) -> bool {
    matches!(
        kind,
        "auth" | "config" | "transport" | "server" | "throttled"
    )
}

/// What stands in front of a vendor's API and how it signals throttling and bad keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Gateway {
    /// Plain HTTP: 429 throttles (with or without `Retry-After`), 401 and 403 refuse credentials.
    #[default]
    Plain,
    /// Mashery (Brivo's gateway; VENDORS.md corrections, "Mashery"): a 403 carrying
    /// `X-Mashery-Error-Code: ERR_403_DEVELOPER_OVER_QPS` or `…_OVER_RATE` throttles,
    /// `ERR_403_DEVELOPER_INACTIVE` is an API key the gateway does not accept (configuration),
    /// and 596 means no service answers that verb and URL (wrong verb, path or region). The
    /// bodies are HTML (`<h1>Developer Over Qps</h1>`), so the heading is read when the header
    /// is missing.
    Mashery,
}

/// The header Mashery names its error in.
pub const MASHERY_ERROR_CODE: &str = "x-mashery-error-code";

/// What a non-success answer means, before it is dressed as a `NetError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Throttled,
    Auth,
    Config,
    Other,
}

impl Gateway {
    /// Reads a non-success answer the way this gateway means it.
    pub fn verdict(self, status: StatusCode, headers: &HeaderMap, message: &str) -> Verdict {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Verdict::Throttled;
        }
        if self == Gateway::Mashery {
            if let Some(verdict) = mashery_verdict(status, headers, message) {
                return verdict;
            }
        }
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Verdict::Auth,
            _ => Verdict::Other,
        }
    }
}

fn mashery_verdict(status: StatusCode, headers: &HeaderMap, message: &str) -> Option<Verdict> {
    if status.as_u16() == 596 {
        return Some(Verdict::Config);
    }
    if status != StatusCode::FORBIDDEN {
        return None;
    }
    let code = headers
        .get(MASHERY_ERROR_CODE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let text = message.to_ascii_lowercase();
    if code.contains("OVER_QPS")
        || code.contains("OVER_RATE")
        || text.contains("over qps")
        || text.contains("over rate")
    {
        Some(Verdict::Throttled)
    } else if code.contains("DEVELOPER_INACTIVE") || text.contains("developer inactive") {
        Some(Verdict::Config)
    } else {
        None
    }
}

/// Why a configuration error happened, in words an operator can act on.
pub fn config_hint(status: StatusCode, url: &str) -> String {
    if status.as_u16() == 596 {
        format!("no service answers this verb at {url} (wrong verb, path or region in the configured url)")
    } else {
        "the gateway does not accept the api key (inactive, revoked or not provisioned for this API)"
            .to_string()
    }
}

/// `Retry-After` in seconds, or `X-Rate-Limit-Reset` as epoch seconds.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite())
    {
        return Some(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)));
    }
    let reset = headers
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).min(3600)))
}

/// The human part of a vendor's error body: `message`, `error_description`, `error`,
/// `errorSummary`, a validation map `{"errors":{"field":["…"]}}` (Kisi's 422), or the text.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["message", "error_description", "error", "errorSummary"] {
            if let Some(text) = value.get(key).and_then(|v| v.as_str()) {
                return bounded(text);
            }
        }
        if let Some(fields) = value.get("errors").and_then(|v| v.as_object()) {
            let parts: Vec<String> = fields
                .iter()
                .map(|(field, why)| format!("{field}: {}", list(why)))
                .collect();
            return bounded(&parts.join("; "));
        }
    }
    snippet(body)
}

/// `["a","b"]` → `a, b`; anything else as JSON.
fn list(value: &serde_json::Value) -> String {
    match value.as_array() {
        Some(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        None => value.to_string(),
    }
}

fn bounded(text: &str) -> String {
    text.chars().take(300).collect()
}

/// The first 200 bytes of a body, as text, for messages.
pub fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn plain_reads_429_as_throttle_and_403_as_auth() {
        let none = HeaderMap::new();
        let v = |s: u16| Gateway::Plain.verdict(StatusCode::from_u16(s).unwrap(), &none, "");
        assert_eq!(v(429), Verdict::Throttled);
        assert_eq!(v(403), Verdict::Auth);
        assert_eq!(v(401), Verdict::Auth);
        assert_eq!(v(596), Verdict::Other);
        assert_eq!(v(500), Verdict::Other);
    }

    /// The Mashery error ids and bodies named in VENDORS.md's corrections ("Mashery").
    #[test]
    fn mashery_codes_are_read_from_the_header_or_the_heading() {
        let m = |h: &HeaderMap, body: &str, s: u16| {
            Gateway::Mashery.verdict(StatusCode::from_u16(s).unwrap(), h, body)
        };
        let qps = headers(&[(MASHERY_ERROR_CODE, "ERR_403_DEVELOPER_OVER_QPS")]);
        let rate = headers(&[(MASHERY_ERROR_CODE, "ERR_403_DEVELOPER_OVER_RATE")]);
        let inactive = headers(&[(MASHERY_ERROR_CODE, "ERR_403_DEVELOPER_INACTIVE")]);
        let none = HeaderMap::new();
        assert_eq!(
            m(&qps, "<h1>Developer Over Qps</h1>", 403),
            Verdict::Throttled
        );
        assert_eq!(
            m(&rate, "<h1>Developer Over Rate</h1>", 403),
            Verdict::Throttled
        );
        assert_eq!(
            m(&none, "<h1>Developer Over Qps</h1>", 403),
            Verdict::Throttled
        );
        assert_eq!(
            m(&inactive, "<h1>Developer Inactive</h1>", 403),
            Verdict::Config
        );
        assert_eq!(
            m(&none, "<h1>Developer Inactive</h1>", 403),
            Verdict::Config
        );
        assert_eq!(m(&none, "Forbidden", 403), Verdict::Auth);
        assert_eq!(m(&none, "", 596), Verdict::Config);
        assert_eq!(m(&none, "", 401), Verdict::Auth);
    }

    #[test]
    fn retry_after_reads_seconds_and_ignores_garbage() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn error_message_prefers_json_fields() {
        assert_eq!(
            error_message(br#"{"code":400,"message":"bad group"}"#),
            "bad group"
        );
        assert_eq!(
            error_message(b"<h1>Developer Inactive</h1>"),
            "<h1>Developer Inactive</h1>"
        );
    }

    /// Kisi's 422 body, as its OpenAPI example gives it (`createRoleAssignment` 422).
    #[test]
    fn validation_maps_are_spelled_out() {
        let body =
            br#"{"errors":{"email":["can't be blank or invalid"],"password":["can't be blank"]}}"#;
        assert_eq!(
            error_message(body),
            "email: can't be blank or invalid; password: can't be blank"
        );
    }

    /// Kisi's `Error` schema: `{"error": "...", "code": "afc516"}`.
    #[test]
    fn kisi_error_objects_give_their_text() {
        let body = br#"{"error":"Wrong email address or password.","code":"afc516"}"#;
        assert_eq!(error_message(body), "Wrong email address or password.");
    }
}
