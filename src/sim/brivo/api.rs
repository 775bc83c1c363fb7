//! The Brivo simulator's `/v1/api` handlers: users, groups, memberships and credentials, with
//! `offset`/`pageSize` paging and the `truncate_pages` / `empty` faults.

use super::state::Refusal;
use super::{error, iso_now, BrivoSim, BrivoUser};
use crate::sim::{write, SimCore};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::FromRequestParts;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

#[derive(Debug, Deserialize)]
pub(super) struct Paging {
    offset: Option<usize>,
    #[serde(rename = "pageSize")]
    page_size: Option<usize>,
}

type PagingQuery = Result<Query<Paging>, QueryRejection>;

/// Numeric ids from the path; anything else gets Brivo's JSON 400 rather than axum's text.
pub(super) struct Ids<T>(T);

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(ids)) => Ok(Ids(ids)),
            Err(e) => Err(error(StatusCode::BAD_REQUEST, &e.body_text())),
        }
    }
}

/// One page of a listing of `count` items; `fetch(offset, size)` builds only that page.
fn page<T: Serialize>(
    core: &SimCore,
    query: PagingQuery,
    count: usize,
    fetch: impl FnOnce(usize, usize) -> Vec<T>,
) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if size == 0 || size > MAX_PAGE_SIZE {
        let message = format!("pageSize must be between 1 and {MAX_PAGE_SIZE}");
        return error(StatusCode::BAD_REQUEST, &message);
    }
    let offset = q.offset.unwrap_or(0);
    let faults = core.faults();
    if faults.empty {
        let body = json!({"data": [], "offset": offset, "pageSize": size, "count": 0});
        return Json(body).into_response();
    }
    let mut data = fetch(offset, size);
    if faults.truncate_pages {
        // The page still claims the full count but carries only half its items.
        data.truncate(data.len() / 2);
    }
    Json(json!({"data": data, "offset": offset, "pageSize": size, "count": count})).into_response()
}

fn window<T: Clone>(items: &[T], offset: usize, size: usize) -> Vec<T> {
    items.iter().skip(offset).take(size).cloned().collect()
}

fn refused(r: Refusal) -> Response {
    match r {
        Refusal::NotFound(m) => error(StatusCode::NOT_FOUND, &m),
        Refusal::Invalid(m) => error(StatusCode::BAD_REQUEST, &m),
    }
}

pub(super) async fn list_users(State(sim): State<BrivoSim>, q: PagingQuery) -> Response {
    let s = sim.view();
    page(&sim.core, q, s.users.len(), |o, n| window(&s.users, o, n))
}

pub(super) async fn list_groups(State(sim): State<BrivoSim>, q: PagingQuery) -> Response {
    let s = sim.view();
    page(&sim.core, q, s.groups.len(), |o, n| window(&s.groups, o, n))
}

pub(super) async fn group_users(
    State(sim): State<BrivoSim>,
    Ids(gid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let s = sim.view();
    if s.group(gid).is_none() {
        return error(StatusCode::NOT_FOUND, &format!("Group {gid} not found"));
    }
    let members = s.members(gid);
    page(&sim.core, q, members.len(), |o, n| {
        let wanted = members.iter().skip(o).take(n);
        wanted.filter_map(|m| s.user(m.user_id).cloned()).collect()
    })
}

pub(super) async fn user_by_external(
    State(sim): State<BrivoSim>,
    Path(ext): Path<String>,
) -> Response {
    let s = sim.view();
    let found = s
        .users
        .iter()
        .find(|u| u.external_id.as_deref() == Some(ext.as_str()));
    match found {
        Some(u) => Json(u).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No user found with externalId {ext}"),
        ),
    }
}

/// The fields `POST /users` reads; others (pin, phoneNumbers, …) are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct NewUserBody {
    first_name: String,
    last_name: String,
    external_id: Option<String>,
    emails: Vec<super::BrivoEmail>,
}

pub(super) async fn create_user(
    State(sim): State<BrivoSim>,
    body: Result<Json<NewUserBody>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    for (field, value) in [
        ("firstName", &body.first_name),
        ("lastName", &body.last_name),
    ] {
        if value.trim().is_empty() {
            return error(StatusCode::BAD_REQUEST, &format!("{field} is required"));
        }
    }
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if let Some(ext) = body.external_id.as_deref() {
        if s.users
            .iter()
            .any(|u| u.external_id.as_deref() == Some(ext))
        {
            let message = format!("A user with externalId {ext} already exists in this account");
            return error(StatusCode::BAD_REQUEST, &message);
        }
    }
    let user = BrivoUser {
        first_name: body.first_name,
        last_name: body.last_name,
        external_id: body.external_id.filter(|e| !e.is_empty()),
        emails: body.emails,
        ..BrivoUser::default()
    };
    Json(s.add_user(user, iso_now())).into_response()
}

/// The groups a user belongs to, as a page of `{id, name}`.
fn groups_page(sim: &BrivoSim, groups: &BTreeSet<u64>, q: PagingQuery) -> Response {
    let s = sim.view();
    let list: Vec<_> = groups.iter().filter_map(|g| s.group(*g).cloned()).collect();
    page(&sim.core, q, list.len(), |o, n| window(&list, o, n))
}

pub(super) async fn user_groups(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let groups = {
        let s = sim.view();
        if s.user(uid).is_none() {
            return error(StatusCode::NOT_FOUND, &format!("User {uid} not found"));
        }
        s.groups_of(uid)
    };
    groups_page(&sim, &groups, q)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct GroupChange {
    add_groups: Vec<u64>,
    remove_groups: Vec<u64>,
}

/// `PUT /users/{id}/groups {"addGroups":[..],"removeGroups":[..]}`: idempotent, all or nothing.
pub(super) async fn change_user_groups(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    body: Result<Json<GroupChange>, JsonRejection>,
) -> Response {
    let change = match body {
        Ok(Json(c)) => c,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    let result = {
        let mut s = write(&sim.state);
        s.ensure_sorted();
        s.change_groups(uid, &change.add_groups, &change.remove_groups)
    };
    let all = Paging {
        offset: None,
        page_size: Some(MAX_PAGE_SIZE),
    };
    match result {
        Ok(groups) => groups_page(&sim, &groups, Ok(Query(all))),
        Err(r) => refused(r),
    }
}

pub(super) async fn add_member(
    State(sim): State<BrivoSim>,
    Ids((gid, uid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    match s.change_groups(uid, &[gid], &[]) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refused(r),
    }
}

pub(super) async fn remove_member(
    State(sim): State<BrivoSim>,
    Ids((gid, uid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if !s.groups_of(uid).contains(&gid) {
        let message = format!("User {uid} is not a member of group {gid}");
        return error(StatusCode::NOT_FOUND, &message);
    }
    match s.change_groups(uid, &[], &[gid]) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refused(r),
    }
}

pub(super) async fn user_credentials(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let s = sim.view();
    if s.user(uid).is_none() {
        return error(StatusCode::NOT_FOUND, &format!("User {uid} not found"));
    }
    let held: Vec<Value> = s
        .credentials
        .iter()
        .filter(|c| c.user_id == Some(uid))
        .map(|c| {
            json!({
                "id": c.id,
                "credentialFormat": c.credential_format,
                "referenceId": c.reference_id,
            })
        })
        .collect();
    page(&sim.core, q, held.len(), |o, n| window(&held, o, n))
}

pub(super) async fn unassign_credential(
    State(sim): State<BrivoSim>,
    Ids((uid, cid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    let found = s
        .credentials
        .binary_search_by_key(&cid, |c| c.id)
        .ok()
        .filter(|i| s.credentials[*i].user_id == Some(uid));
    match found {
        Some(i) => {
            s.credentials[i].user_id = None;
            StatusCode::NO_CONTENT.into_response()
        }
        None => {
            let message = format!("Credential {cid} is not assigned to user {uid}");
            error(StatusCode::NOT_FOUND, &message)
        }
    }
}
