//! The Brivo simulator's `/v1/api` handlers: users, groups, memberships and credentials, with
//! `offset`/`pageSize` paging and the `truncate_pages` / `empty` faults. Each handler names the
//! brivo-apidocs section it follows.

use super::state::Refusal;
use super::{error, BrivoSim, BrivoUser};
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

/// brivo-apidocs: Listing Calls - Paging (`Default: pageSize=20`, `Max : pageSize=100`).
const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;
/// The documented 400 message (every operation's "400 Error-Response").
pub(super) const INVALID: &str = "Invalid criteria provided";
/// The account the simulated credentials belong to (the docs' examples carry an `accountId`).
const ACCOUNT_ID: u64 = 5022;

#[derive(Debug, Deserialize)]
pub(super) struct Paging {
    offset: Option<usize>,
    #[serde(rename = "pageSize")]
    page_size: Option<usize>,
}

type PagingQuery = Result<Query<Paging>, QueryRejection>;

/// Numeric ids from the path; anything else gets Brivo's JSON 400 rather than axum's text.
pub(super) struct Ids<T>(pub(super) T);

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(ids)) => Ok(Ids(ids)),
            Err(_) => Err(error(StatusCode::BAD_REQUEST, INVALID)),
        }
    }
}

/// Which envelope a listing answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Envelope {
    /// `{data, offset, pageSize, count}` (brivo-apidocs: Listing Calls - Results).
    Paged,
    /// `{data, count}`: the user's groups and credentials (brivo-apidocs: User - List user's
    /// groups; User - Retrieve Assigned Credentials). They take `offset`/`pageSize` like any
    /// listing (assumption: the docs list no parameters for them).
    Short,
}

/// One page of a listing of `count` items; `fetch(offset, size)` builds only that page.
fn page<T: Serialize>(
    core: &SimCore,
    query: PagingQuery,
    envelope: Envelope,
    count: usize,
    fetch: impl FnOnce(usize, usize) -> Vec<T>,
) -> Response {
    let Ok(Query(q)) = query else {
        return error(StatusCode::BAD_REQUEST, INVALID);
    };
    // brivo-apidocs: every listing's `pageSize` "Size range: `1-100`".
    let size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if size == 0 || size > MAX_PAGE_SIZE {
        return error(StatusCode::BAD_REQUEST, INVALID);
    }
    let offset = q.offset.unwrap_or(0);
    let faults = core.faults();
    let (mut data, count) = if faults.empty {
        (Vec::new(), 0)
    } else {
        (fetch(offset, size), count)
    };
    if faults.truncate_pages {
        // The page still claims the full count but carries only half its items.
        data.truncate(data.len() / 2);
    }
    let body = match envelope {
        Envelope::Paged => {
            json!({"data": data, "offset": offset, "pageSize": size, "count": count})
        }
        Envelope::Short => json!({"data": data, "count": count}),
    };
    Json(body).into_response()
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

pub(super) fn user_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "User not found")
}

fn group_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Group not found")
}

/// brivo-apidocs: User - List Users.
pub(super) async fn list_users(State(sim): State<BrivoSim>, q: PagingQuery) -> Response {
    let s = sim.view();
    let count = s.users.len();
    page(&sim.core, q, Envelope::Paged, count, |o, n| {
        window(&s.users, o, n)
    })
}

/// brivo-apidocs: Group - Group Listing (`{id, name}` per group).
pub(super) async fn list_groups(State(sim): State<BrivoSim>, q: PagingQuery) -> Response {
    let s = sim.view();
    let count = s.groups.len();
    page(&sim.core, q, Envelope::Paged, count, |o, n| {
        window(&s.groups, o, n)
    })
}

/// The slice of a user a member listing carries (brivo-apidocs: Group - List Users within
/// Group, Success-Response; Schema - Empty Values: listings give a smaller slice).
fn member_view(u: &BrivoUser) -> Value {
    let mut v = json!({"id": u.id, "firstName": u.first_name, "lastName": u.last_name,
        "suspended": u.suspended});
    if let Some(ext) = &u.external_id {
        v["externalId"] = json!(ext);
    }
    if let Some(middle) = &u.middle_name {
        v["middleName"] = json!(middle);
    }
    v
}

/// brivo-apidocs: Group - List Users within Group; 404 "Group not found". Reads the group's
/// slice of the sorted membership index: two binary searches, never a scan of every membership.
pub(super) async fn group_users(
    State(sim): State<BrivoSim>,
    Ids(gid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let s = sim.view();
    if s.group(gid).is_none() {
        return group_not_found();
    }
    let members = s.members(gid);
    page(&sim.core, q, Envelope::Paged, members.len(), |o, n| {
        let wanted = members.iter().skip(o).take(n);
        wanted
            .filter_map(|m| s.user(m.user_id).map(member_view))
            .collect()
    })
}

/// brivo-apidocs: User - Retrieve by external id; 404 "User not found".
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
        None => user_not_found(),
    }
}

/// The groups a user belongs to, as `{data: [{id, name}], count}`.
fn groups_page(sim: &BrivoSim, groups: &BTreeSet<u64>, q: PagingQuery) -> Response {
    let s = sim.view();
    let list: Vec<_> = groups.iter().filter_map(|g| s.group(*g).cloned()).collect();
    page(&sim.core, q, Envelope::Short, list.len(), |o, n| {
        window(&list, o, n)
    })
}

/// brivo-apidocs: User - List user's groups; 404 "User not found".
pub(super) async fn user_groups(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let groups = {
        let s = sim.view();
        if s.user(uid).is_none() {
            return user_not_found();
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

/// `PUT /users/{id}/groups {"addGroups":[..],"removeGroups":[..]}`: idempotent, all or nothing,
/// at most 16 groups (brivo-apidocs: User - Update user's group memberships; verb: VENDORS.md).
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

/// brivo-apidocs: Group - Assign User to Group: 204; 404 "Group not found"; 400 for a group
/// linked to one the user holds. An unknown user gets 404 "User not found" and the 16-group rule
/// holds here too (assumptions). Verb PUT: B-msyk.
pub(super) async fn add_member(
    State(sim): State<BrivoSim>,
    Ids((gid, uid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if s.group(gid).is_none() {
        return group_not_found();
    }
    if s.user(uid).is_none() {
        return user_not_found();
    }
    if s.in_linked_group(uid, gid) {
        return error(StatusCode::BAD_REQUEST, super::LINKED_GROUP);
    }
    match s.change_groups(uid, &[gid], &[]) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refused(r),
    }
}

/// brivo-apidocs: Group - Remove User from Group: 204; 404 "Group not found". A non-member
/// gets 404 too (assumption). Verb DELETE: B-msyk.
pub(super) async fn remove_member(
    State(sim): State<BrivoSim>,
    Ids((gid, uid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if s.group(gid).is_none() {
        return group_not_found();
    }
    if !s.groups_of(uid).contains(&gid) {
        return error(StatusCode::NOT_FOUND, "User is not a member of the group");
    }
    match s.change_groups(uid, &[], &[gid]) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refused(r),
    }
}

/// A credential as brivo-apidocs: User - Retrieve Assigned Credentials shows one. The encoded
/// value is the id in hex (assumption: the simulator models no card formats).
fn credential_view(c: &super::BrivoCredential) -> Value {
    json!({
        "id": c.id,
        "credentialFormat": c.credential_format,
        "referenceId": c.reference_id,
        "encodedCredential": format!("{:x}", c.id),
        "fieldValues": [],
        "size": 0,
        "accountId": ACCOUNT_ID,
    })
}

/// brivo-apidocs: User - Retrieve Assigned Credentials (`{data, count}`); 404 "User not found".
pub(super) async fn user_credentials(
    State(sim): State<BrivoSim>,
    Ids(uid): Ids<u64>,
    q: PagingQuery,
) -> Response {
    let s = sim.view();
    if s.user(uid).is_none() {
        return user_not_found();
    }
    let held: Vec<Value> = s
        .credentials
        .iter()
        .filter(|c| c.user_id == Some(uid))
        .map(credential_view)
        .collect();
    page(&sim.core, q, Envelope::Short, held.len(), |o, n| {
        window(&held, o, n)
    })
}

/// brivo-apidocs: User - Remove Credential from User: 204; 404 "User not found". A credential
/// the user does not hold gets 404 too (assumption). Verb DELETE: VENDORS.md (Brivo section).
pub(super) async fn unassign_credential(
    State(sim): State<BrivoSim>,
    Ids((uid, cid)): Ids<(u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    s.ensure_sorted();
    if s.user(uid).is_none() {
        return user_not_found();
    }
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
        None => error(StatusCode::NOT_FOUND, "Credential not assigned to the user"),
    }
}
