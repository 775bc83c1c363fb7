//! The Openpath simulator's sign-in (`login`, `refreshLogin`) and the JWT check in front of
//! every `/orgs/{orgId}` route, per openpath-swagger (securityDefinitions `jwt`: an apiKey in
//! the `Authorization` header). Error bodies are assumptions: the spec documents none.

use super::{error, iso_at, now_ms, OpenpathSim, OpenpathState};
use crate::sim::{read, secret_eq, write};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

/// Tokens kept at most; the soonest to expire are forgotten first.
const MAX_TOKENS: usize = 1000;
/// assumption: 14 days, the lifetime a public client's recorded refresh shows (1209599 s).
const DEFAULT_LIFETIME_SECS: u64 = 1_209_600;

/// `login`'s body: `email` and `password` required (the schema's `required`).
#[derive(Debug, Deserialize)]
pub(super) struct LoginBody {
    email: String,
    password: String,
}

/// The token a request carries: the header's value (the spec's apiKey scheme, as the public
/// scripts send it) or, as NIM and zerobias send it, after `Bearer `.
pub(super) fn presented(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    (!token.is_empty()).then(|| token.to_string())
}

/// `POST /auth/login` (operationId `login`): 201 with `data.token`, `data.expiresAt` and the
/// token's scopes (`tokenScopeList[].org.id`, `scope` `o{orgId}-user:w`).
pub(super) async fn login(
    State(sim): State<OpenpathSim>,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        // assumption: a body without `email` or `password` is a 400.
        return error(StatusCode::BAD_REQUEST, "email and password are required");
    };
    let ok = secret_eq(body.email.trim(), OpenpathSim::EMAIL)
        && secret_eq(&body.password, OpenpathSim::PASSWORD);
    if !ok {
        // assumption: wrong credentials are a 401.
        return error(StatusCode::UNAUTHORIZED, "Invalid email or password");
    }
    let mut s = write(&sim.state);
    s.logins += 1;
    issue(&mut s)
}

/// `POST /auth/accessTokens/refresh` (operationId `refreshLogin`): a valid JWT gets a new one
/// (201, the `login` shape) and the old one is invalidated, as the operation's summary says.
pub(super) async fn refresh(State(sim): State<OpenpathSim>, headers: HeaderMap) -> Response {
    let mut s = write(&sim.state);
    let Some(old) = presented(&headers).filter(|t| valid(&s, t)) else {
        return unauthorized();
    };
    s.tokens.remove(&old);
    s.refreshes += 1;
    issue(&mut s)
}

fn valid(s: &OpenpathState, token: &str) -> bool {
    s.tokens.get(token).is_some_and(|expiry| *expiry > now_ms())
}

/// assumption: a missing, unknown or expired JWT is a 401.
fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "Invalid or expired token")
}

/// A fresh JWT and the `login` answer that carries it.
fn issue(s: &mut OpenpathState) -> Response {
    let n = s.next_id();
    let salt: u64 = rand::random();
    // Shaped like a JWT (three dot-separated parts); the connector treats it as opaque.
    let token = format!("eyJzaW0iOnRydWV9.{n:012}.{salt:016x}");
    let lifetime = match s.token_lifetime_secs {
        0 => DEFAULT_LIFETIME_SECS,
        secs => secs,
    };
    let now = now_ms();
    let expiry = now + lifetime * 1000;
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
    s.tokens.insert(token.clone(), expiry);
    let org = OpenpathSim::ORG_ID;
    let body = json!({
        "data": {
            "identityId": 1_000_001,
            "identity": {"id": 1_000_001, "namespace": {"id": 1}},
            "token": token,
            "tokenScopeList": [{
                "org": {"id": org, "name": "Simulated Org"},
                "user": {"id": 1, "needsMFACredential": false},
                "scope": [format!("o{org}-user:w"), format!("o{org}-user:r")],
            }],
            "createdAt": iso_at(now),
            "expiresAt": iso_at(expiry),
        },
        "meta": {"accessToken": null, "siteSpecificAccess": null},
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// In front of every `/orgs/{orgId}` route: a valid JWT, scoped to the simulated org (every
/// operation requires an `o{orgId}-…` scope; assumption: another org's id is a 403).
pub(super) async fn authenticate(
    State(sim): State<OpenpathSim>,
    request: Request,
    next: Next,
) -> Response {
    let token = presented(request.headers());
    let ok = token.is_some_and(|t| valid(&read(&sim.state), &t));
    if !ok {
        return unauthorized();
    }
    let org = request
        .uri()
        .path()
        .split('/')
        .skip_while(|p| *p != "orgs")
        .nth(1)
        .map(str::to_string);
    if org.as_deref() != Some(&OpenpathSim::ORG_ID.to_string()) {
        return error(StatusCode::FORBIDDEN, "Token lacks a scope for this org");
    }
    next.run(request).await
}
