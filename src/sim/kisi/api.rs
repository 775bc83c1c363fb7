//! The Kisi simulator's API handlers: users, groups, role assignments and cards, each list paged
//! with `limit`/`offset` and an `X-Collection-Range` header.

use super::state::{KisiState, Refusal, SimCard, SimGroup, SimRoleAssignment, SimUser, UserFields};
use crate::sim::{read, write, SimCore};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// What every handler shares.
#[derive(Clone)]
pub(super) struct Api {
    pub core: Arc<SimCore>,
    pub state: Arc<RwLock<KisiState>>,
}

/// Kisi refuses offsets above this with a 400.
pub const MAX_OFFSET: usize = 20_000;

/// Default and maximum `limit` of one listing.
#[derive(Clone, Copy)]
struct Limits {
    default: usize,
    max: usize,
}

const USERS: Limits = Limits {
    default: 50,
    max: 100,
};
/// assumption (G): VENDORS.md gives no limits for groups; we use the users' ones.
const GROUPS: Limits = Limits {
    default: 50,
    max: 100,
};
const ROLE_ASSIGNMENTS: Limits = Limits {
    default: 10,
    max: 250,
};
const CARDS: Limits = Limits {
    default: 10,
    max: 250,
};

type Answer = Result<Response, Response>;
type Params = Query<HashMap<String, String>>;

pub(super) fn routes(api: Api) -> Router {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/groups", get(list_groups))
        .route(
            "/role_assignments",
            get(list_role_assignments).post(create_role_assignment),
        )
        .route("/role_assignments/{id}", delete(delete_role_assignment))
        .route("/cards", get(list_cards))
        // assumption (G): the card-assignments paths were never read, so a card is unassigned
        // by clearing its (deprecated but documented) `user_id`; answers 204 like PATCH /members.
        .route("/cards/{id}", patch(update_card))
        .with_state(api)
}

/// Kisi's error envelope: `{"code": ..., "error": ...}`.
pub(super) fn kisi_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "error": message}))).into_response()
}

fn bad_request(message: &str) -> Response {
    kisi_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn not_found(what: &str) -> Response {
    kisi_error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("{what} not found"),
    )
}

/// 422 carries Kisi's `errors` list; assumption (G): it also carries `error` with the first
/// message, as the `{code, error}` envelope does everywhere else.
fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Invalid(m) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"code": "unprocessable_entity", "error": m, "errors": [m]})),
        )
            .into_response(),
        Refusal::Missing(m) => kisi_error(StatusCode::NOT_FOUND, "not_found", &m),
    }
}

/// `(limit, offset)`, or why the query is refused (a 400).
fn page_of(q: &HashMap<String, String>, limits: Limits) -> Result<(usize, usize), String> {
    let number = |key: &str| -> Result<Option<usize>, String> {
        q.get(key)
            .map(|v| v.trim().parse::<usize>())
            .transpose()
            .map_err(|_| format!("{key} must be a non-negative integer"))
    };
    // assumption (G): a limit above the maximum is clamped rather than refused.
    let limit = number("limit")?.map_or(limits.default, |l| l.clamp(1, limits.max));
    let offset = number("offset")?.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(format!("offset must be less than or equal to {MAX_OFFSET}"));
    }
    Ok((limit, offset))
}

/// One page of `items` (sorted by id). The header is `<start>-<end>/<total>`, or `*/<total>`
/// for an empty page (assumption (G), the RFC 7233 style for an unsatisfiable range).
/// Faults: `empty` reports nothing at all; `truncate_pages` keeps the header but sends only
/// half the page's items, so a careful client sees the gap.
fn paged<T>(
    core: &SimCore,
    items: &[&T],
    (limit, offset): (usize, usize),
    render: fn(&T) -> Value,
) -> Response {
    let faults = core.faults();
    let total = if faults.empty { 0 } else { items.len() };
    let (start, end) = (offset.min(total), offset.saturating_add(limit).min(total));
    let page = &items[start..end];
    let header = if page.is_empty() {
        format!("*/{total}")
    } else {
        format!("{start}-{}/{total}", end - 1)
    };
    let shown = if faults.truncate_pages {
        &page[..page.len() / 2]
    } else {
        page
    };
    let body: Vec<Value> = shown.iter().map(|t| render(t)).collect();
    ([("x-collection-range", header)], Json(body)).into_response()
}

fn by_id<T>(mut items: Vec<&T>, id: fn(&T) -> u64) -> Vec<&T> {
    if !items.is_sorted_by_key(|t| id(t)) {
        items.sort_by_key(|t| id(t));
    }
    items
}

fn tagged<T: serde::Serialize>(item: &T, resource_type: &str) -> Value {
    let mut value = serde_json::to_value(item).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.insert("resource_type".into(), resource_type.into());
    }
    value
}

fn render_user(u: &SimUser) -> Value {
    tagged(u, "User")
}

fn render_group(g: &SimGroup) -> Value {
    tagged(g, "Group")
}

fn render_card(c: &SimCard) -> Value {
    tagged(c, "Card")
}

/// The current field names plus the deprecated `user_id`/`group_id` that old clients read.
fn render_assignment(r: &SimRoleAssignment) -> Value {
    json!({
        "id": r.id,
        "resource_type": "RoleAssignment",
        "role_id": r.role_id,
        "notify": false,
        "applies_to_type": "Group",
        "applies_to_id": r.group_id,
        "assignee_type": "User",
        "assignee_id": r.user_id,
        "user_id": r.user_id,
        "group_id": r.group_id,
    })
}

/// The first of `keys` present in the query, as an id.
fn id_param(q: &HashMap<String, String>, keys: &[&str]) -> Result<Option<u64>, String> {
    let Some((key, value)) = keys.iter().find_map(|k| q.get(*k).map(|v| (*k, v))) else {
        return Ok(None);
    };
    value
        .trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("{key} must be an integer id"))
}

/// An id in a JSON body: a number or a string of digits (Striveworks sends group ids as strings).
fn body_id(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

async fn list_users(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, USERS).map_err(|m| bad_request(&m))?;
    // assumption (G): `query` matches a case-insensitive substring of name, email or notes.
    let query = q.get("query").map(|s| s.to_lowercase());
    let email = q.get("email").map(|s| s.trim().to_lowercase());
    let ids = match q.get("ids") {
        Some(list) => Some(
            list.split(',')
                .map(|s| s.trim().parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad_request("ids must be a comma-separated list of integers"))?,
        ),
        None => None,
    };
    let state = read(&api.state);
    let matches = |u: &&SimUser| {
        let text = |s: &str| s.to_lowercase();
        query.as_ref().is_none_or(|q| {
            text(&u.name).contains(q)
                || text(&u.email).contains(q)
                || u.notes.as_deref().is_some_and(|n| text(n).contains(q))
        }) && email.as_ref().is_none_or(|e| text(&u.email) == *e)
            && ids.as_ref().is_none_or(|ids| ids.contains(&u.id))
    };
    let items = by_id(state.users.iter().filter(matches).collect(), |u| u.id);
    Ok(paged(&api.core, &items, page, render_user))
}

async fn get_user(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let state = read(&api.state);
    let user = id.parse().ok().and_then(|id| state.user(id));
    user.map(|u| Json(render_user(u)).into_response())
        .ok_or_else(|| not_found("user"))
}

#[derive(Deserialize)]
struct UserBody {
    user: UserIn,
}

/// Fields Kisi accepts that the simulator does not model (`send_emails`, `confirm`, …) are ignored.
#[derive(Deserialize)]
struct UserIn {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    access_enabled: Option<bool>,
    #[serde(default)]
    metadata: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    notes: Option<String>,
}

/// 422 when the email is missing, malformed or already taken (assumption (G): Kisi keys users
/// by email as its members API suggests).
async fn create_user(State(api): State<Api>, body: Bytes) -> Answer {
    let body: UserBody = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("body must be {{\"user\":{{...}}}}: {e}")))?;
    let fields = UserFields {
        email: body.user.email.unwrap_or_default(),
        name: body.user.name.unwrap_or_default(),
        access_enabled: body.user.access_enabled.unwrap_or(true),
        metadata: body.user.metadata.unwrap_or_default(),
        notes: body.user.notes,
    };
    let user = write(&api.state)
        .create_user(fields, &now())
        .map_err(refused)?;
    Ok(Json(render_user(&user)).into_response())
}

async fn list_groups(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, GROUPS).map_err(|m| bad_request(&m))?;
    let state = read(&api.state);
    let items = by_id(state.groups.iter().collect(), |g| g.id);
    Ok(paged(&api.core, &items, page, render_group))
}

async fn list_role_assignments(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, ROLE_ASSIGNMENTS).map_err(|m| bad_request(&m))?;
    let user = id_param(&q, &["assignee_id", "user_id"]).map_err(|m| bad_request(&m))?;
    let group = id_param(&q, &["applies_to_id", "group_id"]).map_err(|m| bad_request(&m))?;
    // Every simulated assignment is a user's role on a group: other types match nothing.
    let other_type = q.get("assignee_type").is_some_and(|t| t != "User")
        || q.get("applies_to_type").is_some_and(|t| t != "Group");
    let state = read(&api.state);
    let items = state
        .role_assignments
        .iter()
        .filter(|r| {
            !other_type
                && user.is_none_or(|u| r.user_id == u)
                && group.is_none_or(|g| r.group_id == g)
        })
        .collect();
    let items = by_id(items, |r| r.id);
    Ok(paged(&api.core, &items, page, render_assignment))
}

async fn create_role_assignment(State(api): State<Api>, body: Bytes) -> Answer {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("body is not JSON: {e}")))?;
    let fields = body.get("role_assignment").unwrap_or(&Value::Null);
    let invalid = |m: &str| refused(Refusal::Invalid(m.to_string()));
    let user = body_id(fields.get("user_id")).ok_or_else(|| invalid("user_id is required"))?;
    let group = body_id(fields.get("group_id")).ok_or_else(|| invalid("group_id is required"))?;
    let role = fields
        .get("role_id")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("role_id is required"))?;
    let assignment = write(&api.state)
        .assign(user, group, role)
        .map_err(refused)?;
    Ok(Json(render_assignment(&assignment)).into_response())
}

async fn delete_role_assignment(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let id: u64 = id.parse().map_err(|_| not_found("role assignment"))?;
    let mut state = write(&api.state);
    let before = state.role_assignments.len();
    state.role_assignments.retain(|r| r.id != id);
    if state.role_assignments.len() == before {
        return Err(not_found("role assignment"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_cards(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, CARDS).map_err(|m| bad_request(&m))?;
    let user = id_param(&q, &["user_id"]).map_err(|m| bad_request(&m))?;
    let state = read(&api.state);
    let items = state
        .cards
        .iter()
        .filter(|c| user.is_none_or(|u| c.user_id == Some(u)))
        .collect();
    let items = by_id(items, |c| c.id);
    Ok(paged(&api.core, &items, page, render_card))
}

/// `PATCH /cards/{id}` with `{"card":{"user_id":null}}` unassigns; an id reassigns.
async fn update_card(State(api): State<Api>, Path(id): Path<String>, body: Bytes) -> Answer {
    let id: u64 = id.parse().map_err(|_| not_found("card"))?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("body is not JSON: {e}")))?;
    let Some(holder) = body.get("card").and_then(|c| c.get("user_id")) else {
        return Err(refused(Refusal::Invalid("card.user_id is required".into())));
    };
    let holder = match holder {
        Value::Null => None,
        other => Some(body_id(Some(other)).ok_or_else(|| {
            refused(Refusal::Invalid(
                "card.user_id must be an id or null".into(),
            ))
        })?),
    };
    let mut state = write(&api.state);
    if let Some(user) = holder {
        if state.user(user).is_none() {
            return Err(refused(Refusal::Missing(format!("user {user} not found"))));
        }
    }
    let card = state
        .cards
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found("card"))?;
    card.user_id = holder;
    Ok(StatusCode::NO_CONTENT.into_response())
}
