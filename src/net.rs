//! The HTTP client every connector shares: base URL, request budget, timing hooks for metrics,
//! and one classification of vendor answers (ok, throttled, auth failure, other status).

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

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
            NetError::Auth { .. } => false,
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
            | NetError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Attempts for one read before its error is returned.
const READ_ATTEMPTS: u32 = 5;

/// Paces requests to at most `per_second`, never bursting above it: the per-system budget.
#[derive(Debug)]
pub struct Budget {
    interval: Duration,
    next: Mutex<tokio::time::Instant>,
}

impl Budget {
    pub fn per_second(per_second: f64) -> Budget {
        Budget {
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            next: Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Called after every exchange with (status label, elapsed): feeds the access-request metrics.
pub type ResponseHook = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// One vendor endpoint: its base URL, its budget and how it signals throttling.
#[derive(Clone)]
pub struct HttpClient {
    /// The configured name of the system or source, used in every error message.
    pub name: String,
    base: String,
    client: reqwest::Client,
    budget: Option<Arc<Budget>>,
    hook: Option<ResponseHook>,
    /// The vendor answers 403 when it throttles (Brivo's gateway, HID).
    throttles_with_403: bool,
}

/// A successful answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl HttpClient {
    pub fn new(
        name: &str,
        base_url: &str,
        timeout: Duration,
        requests_per_second: Option<f64>,
    ) -> Result<HttpClient, String> {
        crate::net::install_crypto();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("lockstep/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build HTTP client: {e}"))?;
        Ok(HttpClient {
            name: name.to_string(),
            base: base_url.trim_end_matches('/').to_string(),
            client,
            budget: requests_per_second.map(|r| Arc::new(Budget::per_second(r))),
            hook: None,
            throttles_with_403: false,
        })
    }

    pub fn with_hook(mut self, hook: ResponseHook) -> Self {
        self.hook = Some(hook);
        self
    }

    pub fn throttles_with_403(mut self, yes: bool) -> Self {
        self.throttles_with_403 = yes;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `base + path`; `path` starts with `/`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
    }

    /// A request to an absolute URL (token endpoints on another host).
    pub fn request_url(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends a request within the budget and classifies the answer. `path` is for messages only.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        request: RequestBuilder,
    ) -> Result<Reply, NetError> {
        // Reads are safe to repeat, so throttling, 5xx and dropped connections are retried here
        // with backoff (honouring Retry-After); writes are retried by the executor, which knows
        // when to re-observe first.
        if method != Method::GET {
            return self.send_once(method, path, request).await;
        }
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let Some(this) = request.try_clone() else {
                return self.send_once(method, path, request).await;
            };
            match self.send_once(method.clone(), path, this).await {
                Err(e) if e.is_retryable() && attempt < READ_ATTEMPTS => {
                    let base = Duration::from_millis(100).saturating_mul(1 << attempt.min(10));
                    let jitter = base.mul_f64(rand::Rng::random_range(&mut rand::rng(), 0.5..1.0));
                    let wait = e.retry_after().map_or(jitter, |asked| {
                        asked.min(Duration::from_secs(30)).max(jitter)
                    });
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        request: RequestBuilder,
    ) -> Result<Reply, NetError> {
        if let Some(budget) = &self.budget {
            budget.acquire().await;
        }
        let started = Instant::now();
        let result = request.send().await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                self.observe("transport", started.elapsed());
                return Err(NetError::Transport {
                    system: self.name.clone(),
                    method,
                    path: path.to_string(),
                    maybe_applied: !e.is_connect(),
                    detail: describe(&e),
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.observe("transport", started.elapsed());
                return Err(NetError::Transport {
                    system: self.name.clone(),
                    method,
                    path: path.to_string(),
                    maybe_applied: true,
                    detail: format!("response body cut off: {}", describe(&e)),
                });
            }
        };
        self.observe(status.as_str(), started.elapsed());
        if status.is_success() {
            return Ok(Reply {
                status,
                headers,
                body,
            });
        }
        Err(self.classify(method, path, status, &headers, &body))
    }

    fn observe(&self, status: &str, elapsed: Duration) {
        if let Some(hook) = &self.hook {
            hook(status, elapsed);
        }
    }

    fn classify(
        &self,
        method: Method,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> NetError {
        let message = error_message(body);
        let retry_after = retry_after(headers);
        let throttled = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && self.throttles_with_403
                && (retry_after.is_some() || looks_like_throttle(&message)));
        let (system, path) = (self.name.clone(), path.to_string());
        if throttled {
            NetError::Throttled {
                system,
                method,
                path,
                status: status.as_u16(),
                retry_after,
            }
        } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            NetError::Auth {
                system,
                method,
                path,
                status: status.as_u16(),
                message,
            }
        } else {
            NetError::Status {
                system,
                method,
                path,
                status: status.as_u16(),
                message,
            }
        }
    }

    /// Parses a JSON body, naming the request on failure.
    pub fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        reply: &Reply,
    ) -> Result<T, NetError> {
        serde_json::from_slice(&reply.body).map_err(|e| NetError::BadResponse {
            system: self.name.clone(),
            method,
            path: path.to_string(),
            detail: format!("{e} (body starts {:?})", snippet(&reply.body)),
        })
    }

    /// A `BadResponse` for a well-formed body that does not say what it should.
    pub fn bad_response(&self, method: Method, path: &str, detail: impl Into<String>) -> NetError {
        NetError::BadResponse {
            system: self.name.clone(),
            method,
            path: path.to_string(),
            detail: detail.into(),
        }
    }
}

/// Installs the ring crypto provider for rustls once per process (reqwest is built without one).
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` in seconds, or `X-Rate-Limit-Reset` as epoch seconds.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
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

fn looks_like_throttle(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("over qps")
        || m.contains("rate limit")
        || m.contains("too many requests")
        || m.contains("over rate")
}

/// The human part of a vendor's error body: `message`, `error`, `error_description`, or the text.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["message", "error_description", "error", "errorSummary"] {
            if let Some(text) = value.get(key).and_then(|v| v.as_str()) {
                return text.chars().take(300).collect();
            }
        }
    }
    snippet(body)
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim()
        .to_string()
}

/// Parses `X-Collection-Range: <start>-<end>/<total>` (Kisi); `*` or an empty range gives the total only.
pub fn parse_collection_range(value: &str) -> Option<(Option<(u64, u64)>, u64)> {
    let (range, total) = value.trim().rsplit_once('/')?;
    let total = total.trim().parse().ok()?;
    let range = range
        .trim()
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    Some((range, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_range_parses() {
        assert_eq!(parse_collection_range("0-9/200"), Some((Some((0, 9)), 200)));
        assert_eq!(parse_collection_range("*/0"), Some((None, 0)));
        assert_eq!(parse_collection_range("garbage"), None);
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
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

    #[tokio::test(start_paused = true)]
    async fn budget_paces_requests() {
        let budget = Budget::per_second(10.0);
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            budget.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(1000));
    }
}
