//! The Brivo simulator's OAuth token endpoint and the check every `/v1/api` call passes:
//! `api-key` first (the gateway's 403 "Developer Inactive"), then `Authorization: bearer <token>`.
//! Sources: brivo-apidocs: Authentication - Headers, OAuth2 Tokens; Response Codes - Error codes
//! (the 401 bodies).

use super::gateway::{api_key_ok, developer_inactive};
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

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The documented 401 when no Basic (or bearer) authorization header came at all
/// (brivo-apidocs: Response Codes - Error codes, 401, third body).
pub(super) fn full_authentication_required() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Full authentication is required to access this resource",
    )
}

/// The documented 401 for an invalid Basic header at the token endpoint (brivo-apidocs:
/// Response Codes - Error codes, 401, second body).
fn bad_client() -> Response {
    let body = json!({"status": 401, "error": "Unauthorized", "message": "Bad credentials",
        "path": "/oauth/token"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// `Authorization: Basic base64(client_id:client_secret)`: `None` when there is no Basic header,
/// else whether it names the account's client.
fn client_ok(headers: &HeaderMap) -> Option<bool> {
    let encoded = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, value)| value.trim())?;
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return Some(false);
    };
    let expected = format!("{}:{}", BrivoSim::CLIENT_ID, BrivoSim::CLIENT_SECRET);
    Some(secret_eq(&String::from_utf8_lossy(&decoded), &expected))
}

/// `POST /oauth/token` (brivo-apidocs: OAuth2 Tokens - password grant, Refreshing a token):
/// form-encoded only, JSON gets 415 (brivo-apidocs: Specifying submitted request body content;
/// Error codes, 415; the body is an assumption), Basic client auth, `api-key`.
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
    match client_ok(&headers) {
        None => return full_authentication_required(),
        Some(false) => return bad_client(),
        Some(true) => {}
    }
    let mut s = write(&sim.state);
    match form.grant_type.as_str() {
        "password" => {
            let ok = secret_eq(&form.username, BrivoSim::USERNAME)
                && secret_eq(&form.password, BrivoSim::PASSWORD);
            if !ok {
                // brivo-apidocs: Error codes, 401, first body.
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_grant", "Bad credentials");
            }
        }
        "refresh_token" => {
            if !s.refresh_tokens.remove(&form.refresh_token) {
                // The documented invalid_grant shape and status; the wording is an assumption.
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_grant",
                    "Invalid refresh token",
                );
            }
        }
        other => {
            // Assumption: the OAuth 2.0 (RFC 6749 §5.2) error; the docs show none.
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {other}"),
            );
        }
    }
    *s.grants.entry(form.grant_type.clone()).or_default() += 1;
    issue(&mut s)
}

/// Issues a fresh access and refresh token pair and answers with Brivo's token body
/// (brivo-apidocs: OAuth2 Tokens - An example token response).
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

/// Middleware in front of every `/v1/api` route (brivo-apidocs: Authentication - Headers). A
/// missing, unknown or expired bearer gets the documented 401 for missing authentication
/// (assumption: the docs give no separate body for an expired token).
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
        return full_authentication_required();
    };
    let valid = read(&sim.state)
        .access_tokens
        .get(&token)
        .is_some_and(|expiry| *expiry > now_ms());
    if !valid {
        return full_authentication_required();
    }
    next.run(request).await
}
