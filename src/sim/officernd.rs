//! OfficeRnD simulator: the v2 API's token endpoint and read-only lists of one organisation,
//! built from OfficeRnD's public docs and public clients, never from lockstep's connector.
//! Sources:
//! - D-query: developer.officernd.com/docs/building-queries (v2 paging: `$limit` default and
//!   maximum 50, a larger value capped at 50; `$cursorNext`/`$cursorPrev`; the body
//!   `{results, cursorNext, cursorPrev, rangeStart, rangeEnd}`, `cursorPrev` null on the first
//!   page and `cursorNext` null on the last).
//! - D-auth: VENDORS.md, OfficeRnD (developer.officernd.com/docs/authentication): `POST
//!   https://identity.officernd.com/oauth/token`, form `client_id`, `client_secret`,
//!   `grant_type=client_credentials`, `scope`; answer `{access_token, token_type: "Bearer",
//!   expires_in: 3599, scope}`.
//! - D-members, D-passes: developer.officernd.com/reference/members and /reference/passes.
//! - C-v2: public v2 clients calling `https://app.officernd.com/api/v2/organizations/<slug>/`
//!   `locations`, `floors`, `resources`, `plans`, `members`, `memberships`, `bookings` (a NestJS
//!   `OfficeRndSyncService`; a booking display's `OfficeRnDService`; Skrapion/n8n-nodes-officernd
//!   `MembershipDescription.ts` and `DayPassDescription.ts` for `/memberships` and `/passes` and
//!   their `member`/`company` filters); EmpathDesign/OfficeRnD_MCP's README: token requests
//!   without a scope are refused.
//! - C-lib: GibranDar/officernd-api-lib `schema.py` (booking and resource fields).
//!
//! Assumptions (no public source): error bodies `{"message": …}` (and OAuth's `{"error": …}`
//! at the token endpoint, RFC 6749 §5.2: 401 `invalid_client`, 400 `unsupported_grant_type`,
//! 400 `invalid_scope`); 401 for a missing, unknown or expired token; 404 for an unknown
//! organisation or list; 400 for a `$limit` that is not a positive number or a cursor the
//! simulator did not issue; the cursor's content (base64 of the next offset, like the docs'
//! example); 429 with `Retry-After` over the rate limit (public clients retry 429 honouring
//! `Retry-After`; the figure is not published).

pub mod world;

use super::{control_plane, fault_layer, read, secret_eq, write, SimCore};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use world::OfficerndState;

/// D-query: the default and the maximum page size.
pub const MAX_LIMIT: usize = 50;
/// D-auth: the documented `expires_in`.
pub const TOKEN_LIFETIME: u64 = 3599;

#[derive(Clone)]
pub struct OfficerndSim {
    pub core: Arc<SimCore>,
    pub state: Arc<RwLock<OfficerndState>>,
}

impl OfficerndSim {
    pub const CLIENT_ID: &'static str = "sim-officernd-client";
    pub const CLIENT_SECRET: &'static str = "sim-officernd-secret";

    pub fn new(state: OfficerndState, seed: u64) -> Self {
        OfficerndSim {
            core: SimCore::new("officernd", seed, super::throttle_429),
            state: Arc::new(RwLock::new(state)),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/oauth/token", post(token))
            .route("/api/v2/organizations/{org}/{list}", get(list))
            .with_state(self.clone())
            .layer(axum::middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ));
        api.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({"message": text}))).into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"error": error}))).into_response()
}

/// D-auth: the client-credentials grant, the only one supported.
async fn token(
    State(sim): State<OfficerndSim>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if !(secret_eq(field("client_id"), OfficerndSim::CLIENT_ID)
        && secret_eq(field("client_secret"), OfficerndSim::CLIENT_SECRET))
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // C-v2 (MCP README): a token request without a scope is refused.
    if field("scope").trim().is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let bytes: [u8; 20] = rand::random();
    let access = hex::encode(bytes);
    let lifetime = {
        let mut state = write(&sim.state);
        let lifetime = match state.token_lifetime_secs {
            0 => TOKEN_LIFETIME,
            n => n,
        };
        let t = now();
        state.tokens.retain(|_, exp| *exp > t);
        state.tokens.insert(access.clone(), t + lifetime as i64);
        lifetime
    };
    Json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": lifetime,
        "scope": field("scope"),
    }))
    .into_response()
}

fn authorized(state: &OfficerndState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let t = now();
    state
        .tokens
        .iter()
        .any(|(k, exp)| *exp > t && secret_eq(k, token.trim()))
}

fn cursor(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\":\"{offset}\"}}"))
}

fn offset_of(cursor: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    v["offset"].as_str()?.parse().ok()
}

/// A v2 list (D-query, C-v2): filters on top-level fields (`member`, `company`, C-v2 n8n),
/// `$limit` capped at 50, `$cursorNext`/`$cursorPrev`, the documented body.
async fn list(
    State(sim): State<OfficerndSim>,
    Path((org, list)): Path<(String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let state = read(&sim.state);
    if !authorized(&state, &headers) {
        return message(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if org != state.org_slug {
        return message(StatusCode::NOT_FOUND, "Organization not found");
    }
    if !world::LISTS.contains(&list.as_str()) {
        return message(StatusCode::NOT_FOUND, "Not found");
    }
    let limit = match query.get("$limit").map(|l| l.trim().parse::<usize>()) {
        None => MAX_LIMIT,
        Some(Ok(n)) if n > 0 => n.min(MAX_LIMIT),
        Some(_) => return message(StatusCode::BAD_REQUEST, "$limit must be a positive number"),
    };
    let offset = match (query.get("$cursorNext"), query.get("$cursorPrev")) {
        (Some(c), _) | (None, Some(c)) => match offset_of(c) {
            Some(o) => o,
            None => return message(StatusCode::BAD_REQUEST, "invalid cursor"),
        },
        (None, None) => 0,
    };
    let faults = sim.core.faults();
    let rows: Vec<&Value> = state
        .lists
        .get(&list)
        .into_iter()
        .flatten()
        .filter(|row| {
            query
                .iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .all(|(k, v)| {
                    row.get(k)
                        .and_then(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .or_else(|| x.get("_id")?.as_str().map(str::to_string))
                        })
                        .as_deref()
                        == Some(v.as_str())
                })
        })
        .collect();
    let total = if faults.empty { 0 } else { rows.len() };
    let page_no = offset / limit + 1;
    if list == "members" && state.quirks.malformed_members_page == Some(page_no) {
        return Json(json!({"data": [], "cursorNext": null})).into_response();
    }
    let end = (offset + limit).min(total);
    let results: Vec<&Value> = rows[offset.min(end)..end].to_vec();
    let mut next = (end < total).then(|| cursor(end));
    if faults.first_page_only {
        // Assumption: a short read that says nothing of it (OfficeRnD reports no total).
        next = None;
    }
    if state.quirks.repeat_cursor && next.is_some() {
        next = Some(cursor(limit.min(total)));
    }
    let body = json!({
        "results": results,
        "cursorNext": next,
        "cursorPrev": (offset > 0).then(|| cursor(offset.saturating_sub(limit))),
        "rangeStart": if results.is_empty() { 0 } else { offset + 1 },
        "rangeEnd": offset + results.len(),
    });
    let mut text = body.to_string();
    if faults.truncate_pages && offset > 0 {
        // Assumption: a proxy cut a later page off mid-body.
        text.truncate(text.len() / 2);
    }
    ([("content-type", "application/json")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(offset_of(&cursor(50)), Some(50));
        assert_eq!(offset_of("not-a-cursor"), None);
    }
}
