//! The Kisi simulator's API handlers, after Kisi's OpenAPI (`vendor-specs/kisi-openapi.yml`):
//! each route names its operation id. Lists are paged with `limit`/`offset` and answer
//! `X-Collection-Range: <offset>-<offset+limit-1>/<total>`, the *requested* range (VENDORS.md
//! corrections: `10-19/15` for offset 10, limit 10 of 15 items).

use super::render;
use super::state::{KisiState, Refusal, SimGroup, SimRoleAssignment, SimUser, UserFields};
use crate::sim::{read, write, SimCore};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// What every handler shares.
#[derive(Clone)]
pub(super) struct Api {
    pub core: Arc<SimCore>,
    pub state: Arc<RwLock<KisiState>>,
}

/// Every list operation declares `offset` with `maximum: 20000`.
pub const MAX_OFFSET: usize = 20_000;

/// Default and maximum `limit` of one listing, as each operation declares them.
#[derive(Clone, Copy)]
struct Limits {
    default: usize,
    max: usize,
}

/// `fetchUsers`: default 50, maximum 100.
const USERS: Limits = Limits {
    default: 50,
    max: 100,
};
/// `fetchGroups`: default 10, maximum 250.
const GROUPS: Limits = Limits {
    default: 10,
    max: 250,
};
/// `fetchRoleAssignments`: default 10, maximum 250.
const ROLE_ASSIGNMENTS: Limits = Limits {
    default: 10,
    max: 250,
};
/// `fetchCards` and `fetchCardAssignments`: default 10, maximum 250.
const CARDS: Limits = Limits {
    default: 10,
    max: 250,
};

/// The `Deprecation` and `Sunset` headers the spec's introduction promises on deprecated parts
/// of the API ("Deprecations"); sent when a request uses a parameter the spec marks
/// `deprecated: true`. The dates are an assumption.
const DEPRECATION: &str = "Sat, 01 Mar 2025 00:00:00 GMT";
const SUNSET: &str = "Thu, 01 Jan 2027 00:00:00 GMT";

type Answer = Result<Response, Response>;
type Params = Query<HashMap<String, String>>;

pub(super) fn routes(api: Api) -> Router {
    Router::new()
        // fetchUsers, createUser, fetchUser
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user))
        // fetchGroups
        .route("/groups", get(list_groups))
        // fetchRoleAssignments, createRoleAssignment, deleteRoleAssignment (204)
        .route(
            "/role_assignments",
            get(list_role_assignments).post(create_role_assignment),
        )
        .route("/role_assignments/{id}", delete(delete_role_assignment))
        // fetchCards, updateCard (only `two_factor_pin` changes), deassignCard (204)
        .route("/cards", get(list_cards))
        .route("/cards/{id}", axum::routing::patch(update_card))
        .route("/cards/{id}/deassign", post(deassign_card))
        // fetchCardAssignments
        .route("/card_assignments", get(list_card_assignments))
        .with_state(api)
}

/// Kisi's `Error` schema: `{"error": message, "code": code}` (401, 403, 404).
pub(super) fn kisi_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": message, "code": code}))).into_response()
}

/// assumption: the spec lists no 400 for bad query values; Kisi's `Error` shape is used.
fn bad_request(message: &str) -> Response {
    kisi_error(StatusCode::BAD_REQUEST, "ffffff", message)
}

/// 404 in the `Error` shape; `faa9ef` is the spec's code for "The card was not found".
fn not_found(what: &str) -> Response {
    let code = if what == "card" { "faa9ef" } else { "ffffff" };
    kisi_error(StatusCode::NOT_FOUND, code, &format!("{what} not found"))
}

/// 422 is `{"errors":{"<field>":["…"]}}` (the `createRoleAssignment` and `createUser` 422
/// schema, whose example is `{"errors":{"email":["can't be blank or invalid"]}}`).
fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Invalid { field, message } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": {field: [message]}})),
        )
            .into_response(),
        Refusal::Missing(m) => kisi_error(StatusCode::NOT_FOUND, "ffffff", &m),
    }
}

/// `(limit, offset)`, or why the query is refused. A limit above the declared maximum or an
/// offset above 20000 is outside the schema: refused with a 400 (assumption: the status).
fn page_of(q: &HashMap<String, String>, limits: Limits) -> Result<(usize, usize), String> {
    let number = |key: &str| -> Result<Option<usize>, String> {
        q.get(key)
            .map(|v| v.trim().parse::<usize>())
            .transpose()
            .map_err(|_| format!("{key} must be a non-negative integer"))
    };
    let limit = number("limit")?.unwrap_or(limits.default);
    if limit == 0 || limit > limits.max {
        return Err(format!("limit must be between 1 and {}", limits.max));
    }
    let offset = number("offset")?.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(format!("offset must be less than or equal to {MAX_OFFSET}"));
    }
    Ok((limit, offset))
}

/// One page of `items` (sorted by id) with the requested range in `X-Collection-Range`.
/// Faults: `empty` reports nothing at all; `truncate_pages` keeps the header but sends only
/// half the page's items, so a careful client sees the gap.
fn paged<T>(
    core: &SimCore,
    items: &[&T],
    (limit, offset): (usize, usize),
    render: &dyn Fn(&T) -> Value,
) -> Response {
    let faults = core.faults();
    let total = if faults.empty { 0 } else { items.len() };
    let (start, end) = (offset.min(total), offset.saturating_add(limit).min(total));
    let page = &items[start..end];
    let header = format!("{offset}-{}/{total}", offset + limit - 1);
    let shown = if faults.truncate_pages {
        &page[..page.len() / 2]
    } else {
        page
    };
    let body: Vec<Value> = shown.iter().map(|t| render(t)).collect();
    ([("x-collection-range", header)], Json(body)).into_response()
}

/// Adds `Deprecation`/`Sunset` when the query uses any of `deprecated` parameters.
fn flag_deprecated(
    mut response: Response,
    q: &HashMap<String, String>,
    deprecated: &[&str],
) -> Response {
    if deprecated.iter().any(|k| q.contains_key(*k)) {
        let h = response.headers_mut();
        h.insert(
            "deprecation",
            axum::http::HeaderValue::from_static(DEPRECATION),
        );
        h.insert("sunset", axum::http::HeaderValue::from_static(SUNSET));
    }
    response
}

fn by_id<T>(mut items: Vec<&T>, id: fn(&T) -> u64) -> Vec<&T> {
    if !items.is_sorted_by_key(|t| id(t)) {
        items.sort_by_key(|t| id(t));
    }
    items
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

/// `ids`: a comma-separated list of integers (assumption: the spec types it as a string).
fn ids_param(q: &HashMap<String, String>) -> Result<Option<BTreeSet<u64>>, String> {
    let Some(list) = q.get("ids") else {
        return Ok(None);
    };
    list.split(',')
        .map(|s| s.trim().parse::<u64>())
        .collect::<Result<BTreeSet<_>, _>>()
        .map(Some)
        .map_err(|_| "ids must be a comma-separated list of integers".to_string())
}

/// An integer id in a JSON body (the schemas say `integer`); digit strings are accepted too.
fn body_id(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn contains(text: &str, query: &str) -> bool {
    text.to_lowercase().contains(query)
}

/// `fetchUsers`: filters `ids`, `email`, `group_id`, `place_id`, `query` (searches email, name
/// and notes; assumption: a case-insensitive substring).
async fn list_users(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, USERS).map_err(|m| bad_request(&m))?;
    let query = q.get("query").map(|s| s.to_lowercase());
    let email = q.get("email").map(|s| s.trim().to_lowercase());
    let ids = ids_param(&q).map_err(|m| bad_request(&m))?;
    let group = id_param(&q, &["group_id"]).map_err(|m| bad_request(&m))?;
    let place = id_param(&q, &["place_id"]).map_err(|m| bad_request(&m))?;
    let state = read(&api.state);
    // assumption: `group_id`/`place_id` select users holding a role on that group / a group
    // of that place.
    let in_scope: Option<BTreeSet<u64>> = (group.is_some() || place.is_some()).then(|| {
        let groups: BTreeSet<u64> = state
            .groups
            .iter()
            .filter(|g| {
                group.is_none_or(|id| g.id == id) && place.is_none_or(|p| g.place_id == Some(p))
            })
            .map(|g| g.id)
            .collect();
        let held = state
            .role_assignments
            .iter()
            .filter(|r| groups.contains(&r.group_id));
        held.map(|r| r.user_id).collect()
    });
    let matches = |u: &&SimUser| {
        query.as_ref().is_none_or(|q| {
            contains(&u.name, q)
                || contains(&u.email, q)
                || u.notes.as_deref().is_some_and(|n| contains(n, q))
        }) && email.as_ref().is_none_or(|e| u.email.to_lowercase() == *e)
            && ids.as_ref().is_none_or(|ids| ids.contains(&u.id))
            && in_scope.as_ref().is_none_or(|s| s.contains(&u.id))
    };
    let items = by_id(state.users.iter().filter(matches).collect(), |u| u.id);
    Ok(paged(&api.core, &items, page, &render::user))
}

/// `fetchUser`.
async fn get_user(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let state = read(&api.state);
    let user = id.parse().ok().and_then(|id| state.user(id));
    user.map(|u| Json(render::user(u)).into_response())
        .ok_or_else(|| not_found("user"))
}

#[derive(Deserialize)]
struct UserBody {
    user: UserIn,
}

/// `createUser`'s body; fields the simulator does not model (`send_emails`, `confirm`, …) are
/// accepted and ignored.
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

/// `createUser`: 200 with the user; 422 when the email is missing, malformed or already taken
/// (assumption: Kisi keys users by email, as its members API suggests).
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
    Ok(Json(render::user(&user)).into_response())
}

/// `fetchGroups`: filters `ids`, `query` (assumption: a case-insensitive substring of the
/// name) and `place_id`.
async fn list_groups(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, GROUPS).map_err(|m| bad_request(&m))?;
    let ids = ids_param(&q).map_err(|m| bad_request(&m))?;
    let place = id_param(&q, &["place_id"]).map_err(|m| bad_request(&m))?;
    let query = q.get("query").map(|s| s.to_lowercase());
    let state = read(&api.state);
    let matches = |g: &&SimGroup| {
        ids.as_ref().is_none_or(|ids| ids.contains(&g.id))
            && place.is_none_or(|p| g.place_id == Some(p))
            && query.as_ref().is_none_or(|q| contains(&g.name, q))
    };
    let items = by_id(state.groups.iter().filter(matches).collect(), |g| g.id);
    Ok(paged(&api.core, &items, page, &render::group))
}

/// `fetchRoleAssignments`: filters `assignee_type`/`assignee_id`, `applies_to_type`/
/// `applies_to_id`, `role_id`, and the deprecated `user_id`/`group_id`.
async fn list_role_assignments(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, ROLE_ASSIGNMENTS).map_err(|m| bad_request(&m))?;
    let user = id_param(&q, &["assignee_id", "user_id"]).map_err(|m| bad_request(&m))?;
    let group = id_param(&q, &["applies_to_id", "group_id"]).map_err(|m| bad_request(&m))?;
    let role = q.get("role_id");
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
                && role.is_none_or(|role| r.role_id == *role)
        })
        .collect();
    let items = by_id(items, |r| r.id);
    let render = |r: &SimRoleAssignment| render::assignment(&state, r);
    let response = paged(&api.core, &items, page, &render);
    Ok(flag_deprecated(
        response,
        &q,
        &["user_id", "group_id", "place_id", "scope"],
    ))
}

/// `createRoleAssignment`, "Group Role Assignment" variant: `assignee_type`, `assignee_id`,
/// `applies_to_type`, `applies_to_id` and `role_id` are required; the deprecated `user_id`/
/// `group_id` alone do not make a valid body. 200 with the assignment.
async fn create_role_assignment(State(api): State<Api>, body: Bytes) -> Answer {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("body is not JSON: {e}")))?;
    let fields = body.get("role_assignment").unwrap_or(&Value::Null);
    let blank = |field: &'static str| refused(Refusal::invalid(field, "can't be blank"));
    let text = |key: &str| fields.get(key).and_then(Value::as_str);
    let assignee_type = text("assignee_type").ok_or_else(|| blank("assignee_type"))?;
    let applies_to_type = text("applies_to_type").ok_or_else(|| blank("applies_to_type"))?;
    let user = body_id(fields.get("assignee_id")).ok_or_else(|| blank("assignee_id"))?;
    let group = body_id(fields.get("applies_to_id")).ok_or_else(|| blank("applies_to_id"))?;
    let role = text("role_id").ok_or_else(|| blank("role_id"))?;
    // createRoleAssignment's `notify` (boolean, optional; the schema names no default):
    // assumption: left out, nobody is e-mailed.
    let notify = match fields.get("notify") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(refused(Refusal::invalid("notify", "is not a boolean"))),
    };
    if assignee_type != "User" || applies_to_type != "Group" {
        // assumption: the simulator models users' roles on groups only.
        return Err(refused(Refusal::invalid(
            "applies_to_type",
            "is not supported here",
        )));
    }
    let mut state = write(&api.state);
    let assignment = state.assign(user, group, role, notify).map_err(refused)?;
    Ok(Json(render::assignment(&state, &assignment)).into_response())
}

/// `deleteRoleAssignment`: 204; 404 when there is no such assignment.
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

/// `fetchCards`: filters `ids`, `uid` and the deprecated `user_id`.
async fn list_cards(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, CARDS).map_err(|m| bad_request(&m))?;
    let user = id_param(&q, &["user_id"]).map_err(|m| bad_request(&m))?;
    let ids = ids_param(&q).map_err(|m| bad_request(&m))?;
    let uid = q.get("uid");
    let state = read(&api.state);
    let items = state
        .cards
        .iter()
        .filter(|c| {
            user.is_none_or(|u| c.user_id == Some(u))
                && ids.as_ref().is_none_or(|ids| ids.contains(&c.id))
                && uid.is_none_or(|uid| c.uid.eq_ignore_ascii_case(uid))
        })
        .collect();
    let items = by_id(items, |c| c.id);
    let response = paged(&api.core, &items, page, &render::card);
    Ok(flag_deprecated(response, &q, &["user_id", "activated"]))
}

/// `updateCard`: only `two_factor_pin` can change. Anything else in the body (a `user_id`, say)
/// is ignored, as Kisi ignores it: the card keeps its holder.
async fn update_card(State(api): State<Api>, Path(id): Path<String>, body: Bytes) -> Answer {
    let id: u64 = id.parse().map_err(|_| not_found("card"))?;
    let _: Value = serde_json::from_slice(&body)
        .map_err(|e| bad_request(&format!("body is not JSON: {e}")))?;
    let state = read(&api.state);
    let card = state
        .cards
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found("card"))?;
    Ok(Json(render::card(card)).into_response())
}

/// `deassignCard`: 204; the card no longer has a holder. 404 (`faa9ef`) for an unknown card.
async fn deassign_card(State(api): State<Api>, Path(id): Path<String>) -> Answer {
    let id: u64 = id.parse().map_err(|_| not_found("card"))?;
    let mut state = write(&api.state);
    let card = state
        .cards
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found("card"))?;
    card.user_id = None;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `fetchCardAssignments`: filters `assignee_type`/`assignee_id`, `card_id` and the deprecated
/// `user_id`. The simulator holds one assignment per held card, with the card's id
/// (assumption).
async fn list_card_assignments(State(api): State<Api>, Query(q): Params) -> Answer {
    let page = page_of(&q, CARDS).map_err(|m| bad_request(&m))?;
    let user = id_param(&q, &["assignee_id", "user_id"]).map_err(|m| bad_request(&m))?;
    let card = id_param(&q, &["card_id"]).map_err(|m| bad_request(&m))?;
    let other_type = q.get("assignee_type").is_some_and(|t| t != "User");
    let state = read(&api.state);
    let items = state
        .cards
        .iter()
        .filter(|c| {
            !other_type
                && c.user_id.is_some()
                && user.is_none_or(|u| c.user_id == Some(u))
                && card.is_none_or(|id| c.id == id)
        })
        .collect();
    let items = by_id(items, |c| c.id);
    let response = paged(&api.core, &items, page, &render::card_assignment);
    Ok(flag_deprecated(response, &q, &["user_id", "guest_id"]))
}
