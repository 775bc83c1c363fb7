//! Brivo simulator: OAuth password/refresh grants at `/oauth/token` (form-encoded only, Basic
//! client auth, `api-key`), resources under `/v1/api`, `offset`/`pageSize` paging with
//! `{data, offset, pageSize, count}`, the 16-groups-per-user limit, and throttling answered with
//! 403 "Developer Over Qps" (an assumption (G) about Brivo's Mashery gateway).

use super::world::FOREIGN_GROUP;
use super::{control_plane, fault_layer, read, secret_eq, write, SimCore};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

pub const MAX_GROUPS_PER_USER: usize = 16;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BrivoState {
    pub users: Vec<BrivoUser>,
    pub groups: Vec<BrivoGroup>,
    pub memberships: Vec<BrivoMembership>,
    pub credentials: Vec<BrivoCredential>,
    /// access token → expiry (unix seconds); refresh token → true.
    pub access_tokens: BTreeMap<String, u64>,
    pub refresh_tokens: Vec<String>,
    pub token_lifetime_secs: u64,
    /// Grants served by type (`password`, `refresh_token`), so tests can see refreshes.
    pub grants: BTreeMap<String, u64>,
    pub next_id: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrivoUser {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub suspended: bool,
    pub emails: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BrivoGroup {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BrivoMembership {
    pub group_id: u64,
    pub user_id: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BrivoCredential {
    pub id: u64,
    #[serde(rename = "referenceId")]
    pub reference_id: String,
    pub user_id: Option<u64>,
}

impl BrivoState {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn group_by_name(&mut self, name: &str) -> u64 {
        if let Some(g) = self.groups.iter().find(|g| g.name == name) {
            return g.id;
        }
        let id = self.id();
        self.groups.push(BrivoGroup {
            id,
            name: name.into(),
        });
        id
    }
    fn hand_made(&mut self, first: &str, last: &str) -> u64 {
        if let Some(u) = self
            .users
            .iter()
            .find(|u| u.first_name == first && u.last_name == last && u.external_id.is_none())
        {
            return u.id;
        }
        let id = self.id();
        self.users.push(BrivoUser {
            id,
            first_name: first.into(),
            last_name: last.into(),
            ..BrivoUser::default()
        });
        id
    }
    fn join(&mut self, group_id: u64, user_id: u64) -> Result<(), &'static str> {
        let m = BrivoMembership { group_id, user_id };
        if self.memberships.contains(&m) {
            return Ok(());
        }
        if self
            .memberships
            .iter()
            .filter(|m| m.user_id == user_id)
            .count()
            >= MAX_GROUPS_PER_USER
        {
            return Err("User cannot belong to more than 16 groups");
        }
        self.memberships.push(m);
        Ok(())
    }
}

#[derive(Clone)]
pub struct BrivoSim {
    pub core: Arc<SimCore>,
    state: Arc<RwLock<BrivoState>>,
}

fn throttle_403() -> Response {
    (
        StatusCode::FORBIDDEN,
        [("retry-after", "1")],
        Json(json!({"code": 403, "message": "Developer Over Qps"})),
    )
        .into_response()
}

fn err(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl BrivoSim {
    pub const API_KEY: &'static str = "sim-brivo-api-key";
    pub const CLIENT_ID: &'static str = "sim-client";
    pub const CLIENT_SECRET: &'static str = "sim-client-secret";
    pub const USERNAME: &'static str = "sim-user";
    pub const PASSWORD: &'static str = "sim-password";

    pub fn new(seed: u64) -> Self {
        let state = BrivoState {
            token_lifetime_secs: 60,
            ..BrivoState::default()
        };
        BrivoSim {
            core: SimCore::new("brivo", seed, throttle_403),
            state: Arc::new(RwLock::new(state)),
        }
    }

    /// Creates each group if missing, plus `FOREIGN_GROUP` with two hand-made users and one
    /// hand-made member of the first group. Idempotent.
    pub fn seed_groups(&self, groups: &[String]) {
        let mut s = write(&self.state);
        let ids: Vec<u64> = groups.iter().map(|g| s.group_by_name(g)).collect();
        let foreign = s.group_by_name(FOREIGN_GROUP);
        for (first, last) in [("Gina", "Trainer"), ("Victor", "Guest")] {
            let u = s.hand_made(first, last);
            let _ = s.join(foreign, u);
        }
        if let Some(first) = ids.first() {
            let u = s.hand_made("Morgan", "Manager");
            let _ = s.join(*first, u);
        }
    }

    pub fn state(&self) -> BrivoState {
        read(&self.state).clone()
    }

    pub fn set_state(&self, state: BrivoState) {
        *write(&self.state) = state;
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/v1/api/users", get(list_users).post(create_user))
            .route("/v1/api/users/{id}/external", get(user_by_external))
            .route("/v1/api/users/{id}/credentials", get(user_credentials))
            .route(
                "/v1/api/users/{uid}/credentials/{cid}",
                axum::routing::delete(unassign_credential),
            )
            .route("/v1/api/groups", get(list_groups))
            .route("/v1/api/groups/{gid}/users", get(group_users))
            .route(
                "/v1/api/groups/{gid}/users/{uid}",
                put(add_member).delete(remove_member),
            )
            .layer(middleware::from_fn_with_state(
                self.state.clone(),
                authenticate,
            ))
            .route("/oauth/token", post(token))
            .with_state(self.state.clone())
            .layer(axum::Extension(self.core.clone()))
            .layer(middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ));
        api.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

type St = State<Arc<RwLock<BrivoState>>>;

async fn authenticate(State(state): St, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| secret_eq(k, BrivoSim::API_KEY))
    {
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "text/html")],
            "<h1>Developer Inactive</h1>",
        )
            .into_response();
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("bearer ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .unwrap_or("")
        .to_string();
    let valid = read(&state)
        .access_tokens
        .get(&token)
        .is_some_and(|exp| *exp > now());
    if !valid {
        return err(StatusCode::UNAUTHORIZED, "invalid or expired access token");
    }
    next.run(request).await
}

async fn token(State(state): St, headers: HeaderMap, body: String) -> Response {
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "token requests must be form-encoded",
        );
    }
    if !headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| secret_eq(k, BrivoSim::API_KEY))
    {
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "text/html")],
            "<h1>Developer Inactive</h1>",
        )
            .into_response();
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        BrivoSim::CLIENT_ID,
        BrivoSim::CLIENT_SECRET
    ));
    let client_ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|b| secret_eq(b, &basic));
    let form: BTreeMap<String, String> = serde_urlencoded_pairs(&body);
    let bad = || {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "Bad credentials"})),
        )
            .into_response()
    };
    if !client_ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "Bad client credentials"})),
        )
            .into_response();
    }
    let mut s = write(&state);
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    match grant.as_str() {
        "password"
            if form
                .get("username")
                .is_some_and(|u| secret_eq(u, BrivoSim::USERNAME))
                && form
                    .get("password")
                    .is_some_and(|p| secret_eq(p, BrivoSim::PASSWORD)) => {}
        "refresh_token"
            if form
                .get("refresh_token")
                .is_some_and(|r| s.refresh_tokens.contains(r)) => {}
        _ => return bad(),
    }
    *s.grants.entry(grant).or_default() += 1;
    let n = s.id();
    let (access, refresh) = (format!("at-{n}-{}", now()), format!("rt-{n}"));
    let lifetime = s.token_lifetime_secs.max(1);
    s.access_tokens.retain(|_, exp| *exp > now());
    s.access_tokens.insert(access.clone(), now() + lifetime);
    s.refresh_tokens.push(refresh.clone());
    Json(json!({"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": lifetime})).into_response()
}

/// `a=b&c=d` with percent-decoding (form bodies are small and flat).
fn serde_urlencoded_pairs(body: &str) -> BTreeMap<String, String> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                },
                b'+' => out.push(b' '),
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).to_string()
    };
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

#[derive(Deserialize)]
struct Paging {
    offset: Option<usize>,
    #[serde(rename = "pageSize")]
    page_size: Option<usize>,
}

fn page<T: Serialize + Clone>(core: &SimCore, items: &[T], q: &Paging) -> Response {
    page_with(core, items.len(), q, |offset, size| {
        items.iter().skip(offset).take(size).cloned().collect()
    })
}

/// One page of a listing of `count` items; `fetch(offset, size)` produces only that page.
fn page_with<T: Serialize>(
    core: &SimCore,
    count: usize,
    q: &Paging,
    fetch: impl FnOnce(usize, usize) -> Vec<T>,
) -> Response {
    let size = q.page_size.unwrap_or(20);
    if size == 0 || size > 100 {
        return err(
            StatusCode::BAD_REQUEST,
            "pageSize must be between 1 and 100",
        );
    }
    let faults = core.faults();
    if faults.empty {
        return Json(json!({"data": [], "offset": 0, "pageSize": size, "count": 0}))
            .into_response();
    }
    let offset = q.offset.unwrap_or(0);
    let mut data = fetch(offset, size);
    if faults.truncate_pages && data.len() > 1 {
        data.truncate(data.len() / 2);
    }
    Json(json!({"data": data, "offset": offset, "pageSize": size, "count": count})).into_response()
}

async fn list_users(
    State(state): St,
    axum::Extension(core): axum::Extension<Arc<SimCore>>,
    Query(q): Query<Paging>,
) -> Response {
    let s = read(&state);
    page(&core, &s.users, &q)
}

async fn list_groups(
    State(state): St,
    axum::Extension(core): axum::Extension<Arc<SimCore>>,
    Query(q): Query<Paging>,
) -> Response {
    let s = read(&state);
    page(&core, &s.groups, &q)
}

async fn group_users(
    State(state): St,
    axum::Extension(core): axum::Extension<Arc<SimCore>>,
    Path(gid): Path<u64>,
    Query(q): Query<Paging>,
) -> Response {
    let s = read(&state);
    if !s.groups.iter().any(|g| g.id == gid) {
        return err(StatusCode::NOT_FOUND, "group not found");
    }
    // Members in id order; only the requested page is looked up and cloned.
    let mut members: Vec<u64> = s
        .memberships
        .iter()
        .filter(|m| m.group_id == gid)
        .map(|m| m.user_id)
        .collect();
    members.sort_unstable();
    page_with(&core, members.len(), &q, |offset, size| {
        let wanted: std::collections::BTreeSet<u64> =
            members.iter().skip(offset).take(size).copied().collect();
        s.users
            .iter()
            .filter(|u| wanted.contains(&u.id))
            .cloned()
            .collect()
    })
}

async fn user_credentials(
    State(state): St,
    axum::Extension(core): axum::Extension<Arc<SimCore>>,
    Path(uid): Path<u64>,
    Query(q): Query<Paging>,
) -> Response {
    let creds: Vec<Value> = read(&state).credentials.iter().filter(|c| c.user_id == Some(uid)).map(|c| json!({"id": c.id, "referenceId": c.reference_id, "credentialFormat": {"id": 110, "name": "Mobile Pass"}})).collect();
    page(&core, &creds, &q)
}

async fn user_by_external(State(state): St, Path(ext): Path<String>) -> Response {
    match read(&state)
        .users
        .iter()
        .find(|u| u.external_id.as_deref() == Some(ext.as_str()))
    {
        Some(u) => Json(u.clone()).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            &format!("no user with external id {ext}"),
        ),
    }
}

async fn create_user(State(state): St, body: axum::body::Bytes) -> Response {
    let user: BrivoUser = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return err(StatusCode::BAD_REQUEST, &format!("invalid user: {e}")),
    };
    let mut s = write(&state);
    if let Some(ext) = &user.external_id {
        if s.users.iter().any(|u| u.external_id.as_ref() == Some(ext)) {
            return err(
                StatusCode::BAD_REQUEST,
                "externalId must be unique in the account",
            );
        }
    }
    let id = s.id();
    let created = BrivoUser {
        id,
        suspended: false,
        ..user
    };
    s.users.push(created.clone());
    let cid = s.id();
    s.credentials.push(BrivoCredential {
        id: cid,
        reference_id: format!("mobile-{id}"),
        user_id: Some(id),
    });
    Json(created).into_response()
}

async fn add_member(State(state): St, Path((gid, uid)): Path<(u64, u64)>) -> Response {
    let mut s = write(&state);
    if !s.groups.iter().any(|g| g.id == gid) || !s.users.iter().any(|u| u.id == uid) {
        return err(StatusCode::NOT_FOUND, "group or user not found");
    }
    match s.join(gid, uid) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => err(StatusCode::BAD_REQUEST, message),
    }
}

async fn remove_member(State(state): St, Path((gid, uid)): Path<(u64, u64)>) -> Response {
    let mut s = write(&state);
    let before = s.memberships.len();
    s.memberships
        .retain(|m| !(m.group_id == gid && m.user_id == uid));
    if s.memberships.len() == before {
        return err(StatusCode::NOT_FOUND, "user is not a member of the group");
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn unassign_credential(State(state): St, Path((uid, cid)): Path<(u64, u64)>) -> Response {
    let mut s = write(&state);
    match s
        .credentials
        .iter_mut()
        .find(|c| c.id == cid && c.user_id == Some(uid))
    {
        Some(c) => {
            c.user_id = None;
            StatusCode::NO_CONTENT.into_response()
        }
        None => err(
            StatusCode::NOT_FOUND,
            "credential not assigned to this user",
        ),
    }
}
