//! The one HTTP listener: metrics, health, the JSON API and the console (`console/`).
//!
//! `router(state)` builds everything so tests can drive it with `oneshot` and no socket.
//! API requests carry a bearer token; tokens are stored as SHA-256 hashes and compared in
//! constant time; roles are viewer < approver < admin. `hardening` gives every answer its security
//! headers and every error a JSON body; `input` bounds the free text and ids requests carry.

mod api;
pub use api::parse_time;
mod events;
mod guests;
mod hardening;
pub use hardening::MAX_BODY;
pub mod console;
mod input;

use crate::app::Events;
use crate::config::Role;
use crate::controller::{Controller, RequestError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub controller: Arc<Controller>,
    pub events: Events,
    /// Signs audit checkpoints; `None` when `audit.key` is not configured.
    pub checkpoints: Option<Arc<crate::checkpointer::Checkpointer>>,
    /// Console sessions (in memory; a restart signs everyone out).
    pub sessions: Arc<console::Sessions>,
}

pub fn router(state: AppState) -> Router {
    console::routes()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/suggestions", get(api::suggestions))
        .route("/api/v1/suggestions/approve", post(api::approve))
        .route("/api/v1/suggestions/discard", post(api::discard))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/audit/checkpoint", get(api::checkpoint))
        .route("/api/v1/reconcile", post(api::reconcile))
        .route("/api/v1/plan", post(api::plan))
        .route(
            "/api/v1/properties/{id}/guard/release",
            post(api::release_guard),
        )
        .route(
            "/api/v1/overrides",
            get(api::list_overrides).post(api::set_override),
        )
        .route(
            "/api/v1/overrides/{property}/{person}",
            axum::routing::delete(api::clear_override),
        )
        .route("/api/v1/lost-credential", post(api::lost_credential))
        .route("/api/v1/events", post(events::post))
        .merge(guests::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(hardening::harden))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.controller.metrics.render(),
    )
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.controller.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the first full cycle has not finished\n",
        )
            .into_response()
    }
}

/// The one error type of the API: a status and a message that says what and where.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> ApiError {
        let status = match &e {
            RequestError::Invalid(_) => StatusCode::BAD_REQUEST,
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

/// The caller, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// Checks the bearer token and the role an endpoint needs: 401 without a valid token, 403 with
/// too small a role.
pub fn authorize(state: &AppState, headers: &HeaderMap, need: Role) -> Result<Caller, ApiError> {
    let config = state.controller.config();
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing bearer token (Authorization: Bearer <token>)",
            )
        })?;
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let mut found = None;
    for token in &config.api.tokens {
        // Compare against every token, in constant time, so timing reveals nothing.
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            &digest[..],
            &token.sha256[..],
        )) {
            found = Some(token);
        }
    }
    let token =
        found.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid bearer token"))?;
    if !Controller::allows(token.role, need) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "token {:?} has role {:?}; this endpoint needs {:?}",
                token.name, token.role, need
            )
            .to_lowercase(),
        ));
    }
    Ok(Caller {
        name: token.name.clone(),
        role: token.role,
    })
}

/// Parses a JSON body with an error that names the problem and where it is.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
}

/// Serves the router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests;
