//! The HTTP client every connector shares: base URL, request budget, one-at-a-time sending where
//! a vendor asks for it, read retries with backoff, timing and deprecation hooks for metrics, and
//! one classification of vendor answers (`error.rs`).

mod error;
pub mod token;

pub use error::{
    config_hint, error_message, is_connector_failure, retry_after, sign_in_refused, snippet,
    Gateway, NetError, Verdict, MASHERY_ERROR_CODE,
};

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Attempts for one read before its error is returned.
const READ_ATTEMPTS: u32 = 5;
/// The least wait after a throttle that did not say how long: a vendor that throttles per
/// second (Kisi: 5 requests per second per user) needs the second to pass.
const THROTTLE_FLOOR: Duration = Duration::from_secs(1);
/// The longest wait between two attempts of one read.
const MAX_READ_WAIT: Duration = Duration::from_secs(30);

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

/// What a connector's owner learns from each exchange: feeds the access-request metrics.
pub trait Observer: Send + Sync {
    /// Every answer (status code, or `transport`) and how long it took.
    fn answered(&self, status: &str, elapsed: Duration);
    /// An answer carried `Deprecation` or `Sunset` (counted every time, logged once).
    fn deprecated(&self) {}
}

pub type ResponseHook = Arc<dyn Observer>;

/// One vendor endpoint: its base URL, its budget and how it signals throttling.
#[derive(Clone)]
pub struct HttpClient {
    /// The configured name of the system or source, used in every error message.
    pub name: String,
    base: String,
    client: reqwest::Client,
    budget: Option<Arc<Budget>>,
    hook: Option<ResponseHook>,
    gateway: Gateway,
    /// Held across each exchange when the vendor wants one request at a time (Kisi).
    serial: Option<Arc<Mutex<()>>>,
    /// Endpoints whose deprecation was already logged.
    deprecations: Arc<std::sync::Mutex<BTreeSet<String>>>,
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
            gateway: Gateway::Plain,
            serial: None,
            deprecations: Arc::default(),
        })
    }

    pub fn with_hook(mut self, hook: ResponseHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// How the vendor's gateway signals throttling and bad keys.
    pub fn with_gateway(mut self, gateway: Gateway) -> Self {
        self.gateway = gateway;
        self
    }

    /// Sends one request at a time, across every clone of this client (Kisi asks that one
    /// user's requests be made serially, not concurrently).
    pub fn one_at_a_time(mut self) -> Self {
        self.serial = Some(Arc::new(Mutex::new(())));
        self
    }

    pub fn gateway(&self) -> Gateway {
        self.gateway
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
                    tokio::time::sleep(read_backoff(attempt, &e)).await;
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
        let _turn = match &self.serial {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
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
        let url = response.url().to_string();
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
        self.notice_deprecation(&method, path, &headers);
        if status.is_success() {
            return Ok(Reply {
                status,
                headers,
                body,
            });
        }
        Err(self.classify(method, path, &url, status, &headers, &body))
    }

    fn observe(&self, status: &str, elapsed: Duration) {
        if let Some(hook) = &self.hook {
            hook.answered(status, elapsed);
        }
    }

    /// Counts an answer marked deprecated and logs the first one per endpoint, so an operator
    /// learns of a vendor's planned removal before the `Sunset` date, without a flood of lines.
    fn notice_deprecation(&self, method: &Method, path: &str, headers: &HeaderMap) {
        let value = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (deprecation, sunset) = (value("deprecation"), value("sunset"));
        if deprecation.is_none() && sunset.is_none() {
            return;
        }
        if let Some(hook) = &self.hook {
            hook.deprecated();
        }
        let endpoint = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let first = self
            .deprecations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(endpoint.clone());
        if first {
            let system = &self.name;
            let deprecation = deprecation.unwrap_or_default();
            let sunset = sunset.unwrap_or_default();
            tracing::warn!(%system, %endpoint, %deprecation, %sunset, "The vendor marks an endpoint lockstep uses as deprecated.");
        }
    }

    fn classify(
        &self,
        method: Method,
        path: &str,
        url: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> NetError {
        let message = error_message(body);
        let (system, path) = (self.name.clone(), path.to_string());
        let status_code = status.as_u16();
        match self.gateway.verdict(status, headers, &message) {
            Verdict::Throttled => NetError::Throttled {
                system,
                method,
                path,
                status: status_code,
                retry_after: retry_after(headers),
            },
            Verdict::Auth => NetError::Auth {
                system,
                method,
                path,
                status: status_code,
                message,
            },
            Verdict::Config => NetError::Config {
                system,
                method,
                path,
                status: status_code,
                message: format!("{}: {message}", config_hint(status, url)),
            },
            Verdict::Other => NetError::Status {
                system,
                method,
                path,
                status: status_code,
                message,
            },
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

/// How long to wait before attempt `attempt + 1` of a read: exponential with jitter, never less
/// than the vendor asked for, and at least a second after a throttle that named no time.
pub fn read_backoff(attempt: u32, error: &NetError) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1 << attempt.min(10));
    let jitter = base.mul_f64(rand::Rng::random_range(&mut rand::rng(), 0.5..1.0));
    let floor = match error {
        NetError::Throttled {
            retry_after: Some(asked),
            ..
        } => *asked,
        NetError::Throttled { .. } => THROTTLE_FLOOR.saturating_mul(1 << (attempt - 1).min(4)),
        _ => Duration::ZERO,
    };
    jitter.max(floor).min(MAX_READ_WAIT)
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

    fn throttled(retry_after: Option<Duration>) -> NetError {
        NetError::Throttled {
            system: "kisi".into(),
            method: Method::GET,
            path: "/users".into(),
            status: 429,
            retry_after,
        }
    }

    #[test]
    fn a_throttle_without_retry_after_waits_at_least_a_second_and_grows() {
        let waits: Vec<Duration> = (1..=4).map(|a| read_backoff(a, &throttled(None))).collect();
        assert!(waits[0] >= Duration::from_secs(1), "{waits:?}");
        assert!(waits[1] >= Duration::from_secs(2), "{waits:?}");
        assert!(waits[3] >= Duration::from_secs(8), "{waits:?}");
        assert!(waits.iter().all(|w| *w <= MAX_READ_WAIT), "{waits:?}");
    }

    #[test]
    fn a_named_retry_after_is_honoured_and_capped() {
        let asked = read_backoff(1, &throttled(Some(Duration::from_secs(3))));
        assert!(asked >= Duration::from_secs(3));
        let huge = read_backoff(1, &throttled(Some(Duration::from_secs(3000))));
        assert_eq!(huge, MAX_READ_WAIT);
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
