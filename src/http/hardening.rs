//! What every response carries and how every failure reads, whichever handler (or axum itself)
//! produced it.
//!
//! - Security headers: `Content-Security-Policy` (console pages set their own, allowing script
//!   and style from this origin only; everything else gets `default-src 'none'`),
//!   `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
//! - Errors are JSON `{"error": "..."}`: axum's own rejections (413 for a body over
//!   [`MAX_BODY`], 405, a missing content type) are plain text, and are rewritten here. The
//!   probe endpoints keep their plain text, and the console's HTML error pages stay HTML.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest request body accepted (every API body is a few KiB at most).
pub const MAX_BODY: usize = 1 << 20;

/// The policy for everything but the console page: nothing may load, nothing may frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Paths whose plain-text answers are meant for probes and scrapers.
const PLAIN: &[&str] = &["/healthz", "/readyz", "/metrics"];

pub async fn harden(request: Request, next: Next) -> Response {
    let plain = PLAIN.contains(&request.uri().path());
    let mut response = next.run(request).await;
    if !plain && is_error(response.status()) && !is_json(&response) && !is_html(&response) {
        response = as_json(response).await;
    }
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

fn content_type_is(response: &Response, prefix: &str) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(prefix))
}

fn is_json(response: &Response) -> bool {
    content_type_is(response, "application/json")
}

/// The console's error pages are HTML for people, and stay so.
fn is_html(response: &Response) -> bool {
    content_type_is(response, "text/html")
}

/// Rewrites a plain error into `{"error": ...}`, keeping its status and any `Allow` header.
async fn as_json(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).trim().to_string(),
        _ => String::new(),
    };
    let message = match (parts.status, text.is_empty()) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            format!("request body: larger than the limit of {MAX_BODY} bytes")
        }
        (StatusCode::METHOD_NOT_ALLOWED, _) => "method not allowed on this endpoint".to_string(),
        (status, true) => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
        (_, false) => text,
    };
    let mut out = (
        parts.status,
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}
