//! The DOOR simulator's token endpoint (door-auth `authenticatePartner`) and the bearer check
//! in front of every partner route (door-partner `bearerAuth`, a JWT).

use super::{error, now_ms, DoorSim};
use crate::sim::{read, secret_eq, write};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

/// Tokens kept at most; the soonest to expire are forgotten first.
const MAX_TOKENS: usize = 1000;
/// assumption: the specs give no lifetime; 86400 s is Auth0's default for API tokens.
const DEFAULT_LIFETIME_SECS: u64 = 86_400;

/// `POST /v1/oauth/token` (`authenticatePartner`): `AuthorizationRequestParams` requires
/// `audience`, `client_id`, `client_secret` and `grant_type` (`client_credentials`). A body
/// missing one is refused as door-error-codes lists for the auth host (403
/// `unauthorized_client`, `error`/`error_description`); wrong credentials get the spec's 401
/// `UnauthorizedError`. The answer is `AuthorizationResponseParams` (`access_token`,
/// `token_type: Bearer`) plus `expires_in` (assumption: Auth0 sends it; not in the schema).
pub(super) async fn token(State(sim): State<DoorSim>, body: axum::body::Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(id), Some(secret), Some(audience), Some(grant)) = (
        text("client_id"),
        text("client_secret"),
        text("audience"),
        text("grant_type"),
    ) else {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({
                "error": "unauthorized_client",
                "error_description": "Missing client credentials",
            })),
        )
            .into_response();
    };
    if grant != "client_credentials" {
        // assumption: another grant type on this variant is Auth0's 403 `unsupported_grant_type`.
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "unsupported_grant_type", "error_description": "Grant type not allowed"})),
        )
            .into_response();
    }
    let ok = secret_eq(&id, DoorSim::CLIENT_ID)
        && secret_eq(&secret, DoorSim::CLIENT_SECRET)
        && audience == DoorSim::AUDIENCE;
    if !ok {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    let mut s = write(&sim.state);
    s.token_grants += 1;
    let lifetime = match s.token_lifetime_secs {
        0 => DEFAULT_LIFETIME_SECS,
        secs => secs,
    };
    let now = now_ms();
    let expiry = now + lifetime * 1000;
    let n = s.next_id;
    let salt: u64 = rand::random();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims =
        b64.encode(json!({"exp": expiry / 1000, "aud": DoorSim::AUDIENCE, "n": n}).to_string());
    // Shaped like a JWT with an `exp` claim; the signature part is random.
    let access = format!("{header}.{claims}.{salt:016x}");
    s.tokens.retain(|_, e| *e > now);
    while s.tokens.len() >= MAX_TOKENS {
        let soonest = s
            .tokens
            .iter()
            .min_by_key(|(_, e)| **e)
            .map(|(t, _)| t.clone());
        match soonest {
            Some(t) => s.tokens.remove(&t),
            None => break,
        };
    }
    s.tokens.insert(access.clone(), expiry);
    Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": lifetime}))
        .into_response()
}

/// In front of every partner route: `Authorization: Bearer <token>` with a token this
/// simulator issued and that has not expired; otherwise 401 `UnauthorizedError`.
pub(super) async fn authenticate(
    State(sim): State<DoorSim>,
    request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let ok = token.is_some_and(|t| {
        read(&sim.state)
            .tokens
            .get(&t)
            .is_some_and(|expiry| *expiry > now_ms())
    });
    if !ok {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    next.run(request).await
}
