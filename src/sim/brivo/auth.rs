//! The Brivo simulator's OAuth token endpoint and the check every `/v1/api` call passes:
//! `api-key` first (403 "Developer Inactive" as HTML), then `Authorization: bearer <token>`.

use super::{error, now_ms, BrivoSim, BrivoState};
use crate::sim::{read, secret_eq, write};
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

/// Refresh tokens kept at most; the oldest are forgotten first (a long demo must not grow).
const MAX_REFRESH_TOKENS: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TokenForm {
    grant_type: String,
    username: String,
    password: String,
    refresh_token: String,
}

/// What a missing or wrong `api-key` gets from Brivo's gateway: an HTML page, not JSON.
fn developer_inactive() -> Response {
    (
        StatusCode::FORBIDDEN,
        [("content-type", "text/html")],
        "<h1>Developer Inactive</h1>",
    )
        .into_response()
}

fn api_key_ok(headers: &HeaderMap) -> bool {
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| secret_eq(k, BrivoSim::API_KEY))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `Authorization: Basic base64(client_id:client_secret)`.
fn client_ok(headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, value)| value.trim())
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return false;
    };
    let expected = format!("{}:{}", BrivoSim::CLIENT_ID, BrivoSim::CLIENT_SECRET);
    secret_eq(&String::from_utf8_lossy(&decoded), &expected)
}

/// `POST /oauth/token`: form-encoded only (JSON gets 415), Basic client auth, `api-key`;
/// `grant_type` `password` or `refresh_token`.
pub(super) async fn token(
    State(sim): State<BrivoSim>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(f)) => f,
        Err(rejection) => return error(rejection.status(), &rejection.body_text()),
    };
    if !api_key_ok(&headers) {
        return developer_inactive();
    }
    if !client_ok(&headers) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Bad client credentials",
        );
    }
    let mut s = write(&sim.state);
    match form.grant_type.as_str() {
        "password" => {
            let ok = secret_eq(&form.username, BrivoSim::USERNAME)
                && secret_eq(&form.password, BrivoSim::PASSWORD);
            if !ok {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad credentials");
            }
        }
        "refresh_token" => {
            if !s.refresh_tokens.remove(&form.refresh_token) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid refresh token",
                );
            }
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {other}"),
            )
        }
    }
    *s.grants.entry(form.grant_type.clone()).or_default() += 1;
    issue(&mut s)
}

/// Issues a fresh access and refresh token pair and answers with Brivo's token body.
fn issue(s: &mut BrivoState) -> Response {
    let n = s.next_id();
    let salt: u64 = rand::random();
    // Zero-padded so the oldest refresh token sorts first and is the first forgotten.
    let access = format!("at-{n:012}-{salt:016x}");
    let refresh = format!("rt-{n:012}-{salt:016x}");
    let lifetime = s.token_lifetime_secs.max(1);
    let now = now_ms();
    s.access_tokens.retain(|_, expiry| *expiry > now);
    s.access_tokens
        .insert(access.clone(), now + lifetime * 1000);
    while s.refresh_tokens.len() >= MAX_REFRESH_TOKENS {
        s.refresh_tokens.pop_first();
    }
    s.refresh_tokens.insert(refresh.clone());
    Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "expires_in": lifetime,
    }))
    .into_response()
}

/// Middleware in front of every `/v1/api` route.
pub(super) async fn authenticate(
    State(sim): State<BrivoSim>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !api_key_ok(headers) {
        return developer_inactive();
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let Some(token) = token else {
        return error(StatusCode::UNAUTHORIZED, "Full authentication is required");
    };
    let valid = read(&sim.state)
        .access_tokens
        .get(&token)
        .is_some_and(|expiry| *expiry > now_ms());
    if !valid {
        return error(StatusCode::UNAUTHORIZED, "Invalid or expired access token");
    }
    next.run(request).await
}
