//! Vendor simulators: one per connector, served together under `/<type>/` (DESIGN §10).
//!
//! Each simulator mirrors its vendor's API shape over in-memory state and shares the machinery
//! here: fault injection (latency, errors, throttling, connection resets), request statistics and
//! the `/_sim/` control plane (`state`, `faults`, `stats`).

pub mod brivo;
pub mod door;
pub mod kisi;
pub mod officernd;
pub mod openpath;
pub mod serve;
pub mod world;
pub mod yardi;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Knobs a test turns through `PUT /<type>/_sim/faults`. `{}` clears them all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share of API requests answered with a 500 (0.0–1.0).
    pub error_rate: f64,
    /// Added to every API request.
    pub latency_ms: u64,
    /// Every Nth API request is throttled with the vendor's own signal.
    pub throttle_every: u64,
    /// Paged listings stop early while still claiming the full total; bodies may be cut off.
    pub truncate_pages: bool,
    /// Listings come back empty (a source feed that lost its data).
    pub empty: bool,
    /// Share of API requests whose connection is dropped mid-response (0.0–1.0).
    pub reset_rate: f64,
    /// Paged listings return only their first page, with no total (source feeds).
    pub first_page_only: bool,
    /// Enforces the vendor's rate limit: more than this many API requests from one caller
    /// (one API key or token) within any second are throttled with the vendor's own signal.
    /// 0 turns it off. Tests set the documented figure (Kisi: 5) to prove lockstep lives within
    /// it; benchmarks leave it off to measure lockstep rather than the wait.
    pub rate_limit_per_second: f64,
}

/// What `GET /<type>/_sim/stats` reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub by_method: BTreeMap<String, u64>,
    /// Keyed by `METHOD /path/{template}`.
    pub by_path: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
    /// The most API requests seen within any one-second window.
    pub peak_per_second: u64,
    #[serde(skip)]
    window: VecDeque<Instant>,
}

impl Stats {
    fn record(&mut self, method: &Method, template: &str, status: StatusCode) {
        self.requests += 1;
        *self.by_method.entry(method.to_string()).or_default() += 1;
        *self
            .by_path
            .entry(format!("{method} {template}"))
            .or_default() += 1;
        *self
            .by_status
            .entry(status.as_u16().to_string())
            .or_default() += 1;
        let now = Instant::now();
        self.window.push_back(now);
        while self
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.window.pop_front();
        }
        self.peak_per_second = self.peak_per_second.max(self.window.len() as u64);
    }

    /// Requests to one `METHOD /template` (for tests counting writes).
    pub fn count(&self, key: &str) -> u64 {
        self.by_path.get(key).copied().unwrap_or(0)
    }
}

/// The vendor's throttling answer: 429 with `Retry-After`, or a 403 for vendors that do so.
pub type ThrottleResponse = fn() -> Response;

/// Who a request counts against for the rate limit: the vendor's unit of quota.
pub type RateKey = fn(&axum::http::HeaderMap) -> String;

/// The caller's `Authorization` header (one user's login: Kisi's quota is per user).
pub fn rate_key_authorization(headers: &axum::http::HeaderMap) -> String {
    header_text(headers, "authorization")
}

fn header_text(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Requests per caller within the last second, for `rate_limit_per_second`.
#[derive(Default)]
struct RateWindows {
    by_caller: BTreeMap<String, VecDeque<Instant>>,
}

impl RateWindows {
    /// Records one request of `caller` and says whether it is within `limit` per second.
    /// Refused requests count too, as a real gateway counts them.
    fn admit(&mut self, caller: String, limit: f64, now: Instant) -> bool {
        let window = self.by_caller.entry(caller).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        window.push_back(now);
        (window.len() as f64) <= limit
    }
}

/// Fault state, statistics and randomness shared by one simulator's handlers.
pub struct SimCore {
    pub name: &'static str,
    faults: RwLock<Faults>,
    stats: Mutex<Stats>,
    rng: Mutex<StdRng>,
    seq: AtomicU64,
    throttle: ThrottleResponse,
    rate_key: RateKey,
    rates: Mutex<RateWindows>,
}

impl SimCore {
    pub fn new(name: &'static str, seed: u64, throttle: ThrottleResponse) -> Arc<SimCore> {
        Arc::new(SimCore {
            name,
            faults: RwLock::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            seq: AtomicU64::new(0),
            throttle,
            rate_key: rate_key_authorization,
            rates: Mutex::default(),
        })
    }

    /// Like `new`, with the vendor's own unit of quota (an `api-key` header, say).
    pub fn with_rate_key(
        name: &'static str,
        seed: u64,
        throttle: ThrottleResponse,
        rate_key: RateKey,
    ) -> Arc<SimCore> {
        let mut core = SimCore::new(name, seed, throttle);
        if let Some(c) = Arc::get_mut(&mut core) {
            c.rate_key = rate_key;
        }
        core
    }

    /// Whether a request from `caller` fits the configured rate limit.
    fn within_rate(&self, headers: &axum::http::HeaderMap, limit: f64) -> bool {
        if limit <= 0.0 {
            return true;
        }
        let caller = (self.rate_key)(headers);
        self.rates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .admit(caller, limit, Instant::now())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reset_stats(&self) {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = Stats::default();
    }

    /// A uniform draw in [0, 1) from the simulator's seeded generator.
    pub fn roll(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|e| e.into_inner()).random()
    }

    fn record(&self, method: &Method, template: &str, status: StatusCode) {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(method, template, status);
    }
}

/// Middleware for a simulator's API routes: injects faults and counts every request.
pub async fn fault_layer(
    State(core): State<Arc<SimCore>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let faults = core.faults();
    let n = core.seq.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let within_rate = core.within_rate(request.headers(), faults.rate_limit_per_second);
    let response = if !within_rate || (faults.throttle_every > 0 && n % faults.throttle_every == 0)
    {
        (core.throttle)()
    } else if faults.error_rate > 0.0 && core.roll() < faults.error_rate {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({"code": 500, "message": "simulated server error"})),
        )
            .into_response()
    } else if faults.reset_rate > 0.0 && core.roll() < faults.reset_rate {
        // Run the request (a write may land), then drop the connection mid-body.
        let _ = next.run(request).await;
        reset_response()
    } else {
        next.run(request).await
    };
    core.record(&method, &template, response.status());
    response
}

/// A response whose body fails after the headers: the client sees the connection drop.
fn reset_response() -> Response {
    let stream = ResetStream { sent: false };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

struct ResetStream {
    sent: bool,
}

impl futures_core::Stream for ResetStream {
    type Item = Result<bytes::Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.sent {
            return std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection reset",
            ))));
        }
        self.sent = true;
        std::task::Poll::Ready(Some(Ok(bytes::Bytes::from_static(b"{\"data\":["))))
    }
}

/// `429 Too Many Requests` with `Retry-After: 1`: the common throttling answer (assumption
/// for vendors whose docs say nothing more).
pub fn throttle_429() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "1")],
        Json(serde_json::json!({"code": 429, "message": "Too Many Requests"})),
    )
        .into_response()
}

/// The largest state `PUT /_sim/state` accepts: a 100,000-resident world is tens of MB.
pub const MAX_STATE_BYTES: usize = 512 * 1024 * 1024;

/// The control plane of one simulator: `GET/PUT state`, `PUT faults`, `GET/DELETE stats`.
/// `S` is the simulator's whole state; what GET returns, PUT accepts.
pub fn control_plane<S>(core: Arc<SimCore>, state: Arc<RwLock<S>>) -> Router
where
    S: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let get_state = {
        let state = state.clone();
        move || async move {
            let body = serde_json::to_vec(&*state.read().unwrap_or_else(|e| e.into_inner()));
            match body {
                Ok(b) => ([("content-type", "application/json")], b).into_response(),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
    };
    let put_state = move |body: axum::body::Bytes| async move {
        match serde_json::from_slice::<S>(&body) {
            Ok(new) => {
                *state.write().unwrap_or_else(|e| e.into_inner()) = new;
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => sim_error(StatusCode::BAD_REQUEST, &format!("state: {e}")),
        }
    };
    let faults_core = core.clone();
    let put_faults = move |body: axum::body::Bytes| async move {
        match serde_json::from_slice::<Faults>(&body) {
            Ok(f) => {
                faults_core.set_faults(f);
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => sim_error(StatusCode::BAD_REQUEST, &format!("faults: {e}")),
        }
    };
    let stats_core = core.clone();
    let reset_core = core;
    Router::new()
        .route(
            "/_sim/state",
            get(get_state)
                .put(put_state)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_STATE_BYTES)),
        )
        .route("/_sim/faults", axum::routing::put(put_faults))
        .route(
            "/_sim/stats",
            get(move || async move { Json(stats_core.stats()) }).delete(move || async move {
                reset_core.reset_stats();
                StatusCode::NO_CONTENT
            }),
        )
}

/// A plain JSON error for the control plane.
pub fn sim_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({"error": message}))).into_response()
}

/// Reads a lock, recovering from poisoning (a panicked handler must not wedge the simulator).
pub fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes a lock, recovering from poisoning.
pub fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// Constant-time comparison for simulated credentials too: the simulators are part of the product.
pub fn secret_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_window_admits_the_limit_per_caller_per_second() {
        let mut w = RateWindows::default();
        let t0 = Instant::now();
        let admitted = (0..7).filter(|_| w.admit("a".into(), 5.0, t0)).count();
        assert_eq!(admitted, 5);
        assert!(
            w.admit("b".into(), 5.0, t0),
            "another caller has its own quota"
        );
        assert!(
            w.admit("a".into(), 5.0, t0 + Duration::from_millis(1001)),
            "a second later the window has moved on"
        );
    }
}
