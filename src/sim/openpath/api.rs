//! The Openpath simulator's `/orgs/{orgId}` handlers: listings with `limit`/`offset`/`sort`/
//! `order` answering `{totalCount, filteredCount, data, meta}`, user creation, group
//! membership and credential deletion. Each handler names its openpath-swagger operationId.

use super::state::{OpCredential, OpUser, CARD_TYPE, MOBILE_TYPE};
use super::{error, iso_at, now_ms, OpenpathSim};
use crate::sim::{write, SimCore};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::cmp::Ordering;

/// Every listing's `limit`: `minimum: 1`, `maximum: 1000` (openpath-swagger).
const MAX_LIMIT: u64 = 1000;
/// assumption: the spec gives `limit` no default; the maximum is used.
const DEFAULT_LIMIT: u64 = 1000;

/// The listing parameters, as text so that a bad value gets a JSON 400 naming it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Listing {
    limit: Option<String>,
    offset: Option<String>,
    sort: Option<String>,
    order: Option<String>,
}

type ListingQuery = Result<Query<Listing>, QueryRejection>;

/// Integer path ids (`type: integer` on every path parameter); anything else is a 400.
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
            Err(e) => Err(error(
                StatusCode::BAD_REQUEST,
                &format!("invalid path: {e}"),
            )),
        }
    }
}

/// The value at a dotted path (`identity.lastName`) of a row.
fn at<'a>(row: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(row, |v, key| v.get(key).unwrap_or(&Value::Null))
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// One page of `rows`, sorted as asked (`sort` default per operation, `order` default `asc`),
/// with the `empty` and `truncate_pages` faults.
fn page(core: &SimCore, query: ListingQuery, default_sort: &str, mut rows: Vec<Value>) -> Response {
    let Ok(Query(q)) = query else {
        return error(StatusCode::BAD_REQUEST, "invalid query string");
    };
    let limit = match q.limit.as_deref().map(str::parse::<u64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "limit must be an integer from 1 to 1000",
            )
        }
    };
    let offset = match q.offset.as_deref().map(str::parse::<u64>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "offset must be an integer >= 0"),
    };
    let sort = q.sort.unwrap_or_else(|| default_sort.to_string());
    let keys: Vec<&str> = sort.split(',').map(str::trim).collect();
    let sort_ok = keys
        .iter()
        .all(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
    let order = q.order.unwrap_or_else(|| "asc".into());
    let orders: Vec<&str> = order.split(',').map(str::trim).collect();
    if !sort_ok || !orders.iter().all(|o| *o == "asc" || *o == "desc") {
        return error(StatusCode::BAD_REQUEST, "invalid sort or order");
    }
    rows.sort_by(|a, b| {
        keys.iter()
            .enumerate()
            .fold(Ordering::Equal, |acc, (i, key)| {
                let desc = orders
                    .get(i)
                    .or(orders.last())
                    .is_some_and(|o| *o == "desc");
                let c = compare(at(a, key), at(b, key));
                acc.then(if desc { c.reverse() } else { c })
            })
    });
    let faults = core.faults();
    let total = if faults.empty { 0 } else { rows.len() };
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let mut data: Vec<Value> = rows
        .into_iter()
        .take(total)
        .skip(start)
        .take(limit as usize)
        .collect();
    if faults.truncate_pages {
        // The page still claims the full total but carries only half its rows.
        data.truncate(data.len() / 2);
    }
    let more = start + data.len() < total;
    Json(json!({
        "totalCount": total,
        "filteredCount": total,
        "cursors": {"nextCursor": null, "hasNextPage": more},
        "data": data,
        "meta": {"accessToken": null, "siteSpecificAccess": null},
    }))
    .into_response()
}

fn not_found(what: &str) -> Response {
    // assumption: an unknown id is a 404 with a message.
    error(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

/// `listUsers` (`GET /orgs/{orgId}/users`, default sort `identity.lastName`).
pub(super) async fn list_users(
    State(sim): State<OpenpathSim>,
    Ids(_org): Ids<u64>,
    q: ListingQuery,
) -> Response {
    let s = sim.view();
    let rows = s.users.iter().map(|u| s.user_json(u)).collect();
    page(&sim.core, q, "identity.lastName", rows)
}

/// `listGroups` (`GET /orgs/{orgId}/groups`, default sort `name`).
pub(super) async fn list_groups(
    State(sim): State<OpenpathSim>,
    Ids(_org): Ids<u64>,
    q: ListingQuery,
) -> Response {
    let s = sim.view();
    let rows = s.groups.iter().map(|g| s.group_json(g)).collect();
    page(&sim.core, q, "name", rows)
}

/// `listUserGroups` (`GET /orgs/{orgId}/users/{userId}/groups`, default sort `name`;
/// items `{id, name}`).
pub(super) async fn user_groups(
    State(sim): State<OpenpathSim>,
    Ids((_org, user)): Ids<(u64, u64)>,
    q: ListingQuery,
) -> Response {
    let s = sim.view();
    if s.user(user).is_none() {
        return not_found("User");
    }
    let rows = s
        .groups_of(user)
        .into_iter()
        .map(|g| json!({"id": g.id, "name": g.name}))
        .collect();
    page(&sim.core, q, "name", rows)
}

/// `listCredentials` (`GET /orgs/{orgId}/users/{userId}/credentials`, default sort `id`).
pub(super) async fn user_credentials(
    State(sim): State<OpenpathSim>,
    Ids((_org, user)): Ids<(u64, u64)>,
    q: ListingQuery,
) -> Response {
    let s = sim.view();
    if s.user(user).is_none() {
        return not_found("User");
    }
    let rows = s
        .credentials
        .iter()
        .filter(|c| c.user_id == user)
        .map(|c| s.credential_json(c))
        .collect();
    page(&sim.core, q, "id", rows)
}

/// A nullable string field of at most `max` characters, at least one when given.
fn text(v: &Value, field: &str, max: usize) -> Result<Option<String>, String> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if (1..=max).contains(&s.chars().count()) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{field} must be a string of 1 to {max} characters")),
    }
}

/// `identity.email`'s schema: 1–254 characters matching `^[!-~\xC0-\xFF]+$`.
fn email_ok(email: &str) -> bool {
    let n = email.chars().count();
    (1..=254).contains(&n)
        && email
            .chars()
            .all(|c| ('!'..='~').contains(&c) || ('\u{C0}'..='\u{FF}').contains(&c))
}

/// `createUser` (`POST /orgs/{orgId}/users`, 201 `{data: user, meta}`): `identity` and
/// `identity.email` required, names 1–100 characters, `externalId` a nullable string.
/// Assumptions: an email another user already has is a 400; a created user is issued one
/// mobile credential (an administrator would), so credential flows have something to revoke.
pub(super) async fn create_user(
    State(sim): State<OpenpathSim>,
    Ids(_org): Ids<u64>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    let Some(identity) = body.get("identity").filter(|i| i.is_object()) else {
        return error(StatusCode::BAD_REQUEST, "identity is required");
    };
    let email = identity
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !email_ok(email) {
        return error(
            StatusCode::BAD_REQUEST,
            "identity.email is required and must be valid",
        );
    }
    let fields = (|| {
        let first = text(identity, "firstName", 100)?;
        let last = text(identity, "lastName", 100)?;
        let external = text(&body, "externalId", usize::MAX)?;
        Ok::<_, String>((first, last, external))
    })();
    let (first_name, last_name, external_id) = match fields {
        Ok(f) => f,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut s = write(&sim.state);
    if s.users.iter().any(|u| u.email.eq_ignore_ascii_case(email)) {
        return error(
            StatusCode::BAD_REQUEST,
            "identity.email is already in use in this org",
        );
    }
    let created_at = iso_at(now_ms());
    let user = OpUser {
        id: s.next_id(),
        status: "A".into(),
        external_id,
        email: email.to_string(),
        first_name,
        last_name,
        created_at: created_at.clone(),
    };
    let credential = OpCredential {
        id: s.next_id(),
        user_id: user.id,
        type_id: MOBILE_TYPE.0,
        type_name: MOBILE_TYPE.1.into(),
        model_name: MOBILE_TYPE.2.into(),
        created_at,
        ..OpCredential::default()
    };
    let answer = s.user_json(&user);
    s.users.push(user);
    s.credentials.push(credential);
    let meta = json!({"accessToken": null, "siteSpecificAccess": null});
    (
        StatusCode::CREATED,
        Json(json!({"data": answer, "meta": meta})),
    )
        .into_response()
}

/// `setUserToGroup` (`PUT /orgs/{orgId}/groups/{groupId}/users/{userId}`, 204). Assumptions:
/// an existing membership is left as it is (204); an unknown user or group is a 404.
pub(super) async fn add_member(
    State(sim): State<OpenpathSim>,
    Ids((_org, group, user)): Ids<(u64, u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    if s.group(group).is_none() {
        return not_found("Group");
    }
    if s.user(user).is_none() {
        return not_found("User");
    }
    s.memberships.insert((user, group));
    StatusCode::NO_CONTENT.into_response()
}

/// `removeUserFromGroup` (`DELETE` on the same path, 204). Assumption: removing a membership
/// that does not exist (or an unknown user or group) is a 404.
pub(super) async fn remove_member(
    State(sim): State<OpenpathSim>,
    Ids((_org, group, user)): Ids<(u64, u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    if s.memberships.remove(&(user, group)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found("Group membership")
    }
}

/// `deleteCredential` (`DELETE /orgs/{orgId}/users/{userId}/credentials/{credentialId}`,
/// 204). Assumption: an unknown credential, or one of another user, is a 404.
pub(super) async fn delete_credential(
    State(sim): State<OpenpathSim>,
    Ids((_org, user, credential)): Ids<(u64, u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    let before = s.credentials.len();
    s.credentials
        .retain(|c| !(c.id == credential && c.user_id == user));
    if s.credentials.len() < before {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found("Credential")
    }
}

/// `listCredentialTypes` (`GET /orgs/{orgId}/credentialTypes`): `{id, name, description,
/// modelName}` items, paged like every listing.
pub(super) async fn credential_types(
    State(sim): State<OpenpathSim>,
    Ids(_org): Ids<u64>,
    q: ListingQuery,
) -> Response {
    let rows = [MOBILE_TYPE, CARD_TYPE]
        .iter()
        .map(|(id, name, model)| json!({"id": id, "name": name, "description": null, "modelName": model}))
        .collect();
    page(&sim.core, q, "id", rows)
}

/// `createCredential` (`POST /orgs/{orgId}/users/{userId}/credentials`, 201 `{data:
/// credential}`): `credentialTypeId` is the body's one required field; `startDate`/`endDate`
/// are nullable dates. Assumptions: an unknown type or a malformed date is a 400; an unknown
/// user a 404.
pub(super) async fn create_credential(
    State(sim): State<OpenpathSim>,
    Ids((_org, user)): Ids<(u64, u64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    let Some(type_id) = body.get("credentialTypeId").and_then(Value::as_u64) else {
        return error(
            StatusCode::BAD_REQUEST,
            "credentialTypeId is required (an integer)",
        );
    };
    let Some(kind) = [MOBILE_TYPE, CARD_TYPE]
        .into_iter()
        .find(|k| k.0 == type_id)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "credentialTypeId names no credential type",
        );
    };
    let date = |field: &str| match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(d)) if is_date(d) => Ok(Some(d.clone())),
        Some(_) => Err(format!("{field} must be a date (YYYY-MM-DD) or null")),
    };
    let (start_date, end_date) = match (date("startDate"), date("endDate")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return error(StatusCode::BAD_REQUEST, &m),
    };
    let mut s = write(&sim.state);
    if s.user(user).is_none() {
        return not_found("User");
    }
    let credential = OpCredential {
        id: s.next_id(),
        user_id: user,
        type_id: kind.0,
        type_name: kind.1.into(),
        model_name: kind.2.into(),
        created_at: iso_at(now_ms()),
        start_date,
        end_date,
        setup_emails: 0,
    };
    let answer = s.credential_json(&credential);
    s.credentials.push(credential);
    (StatusCode::CREATED, Json(json!({"data": answer}))).into_response()
}

/// `setupMobileCredential` (`POST …/credentials/{credentialId}/setupMobile`, 204): Openpath
/// e-mails the person a link to set the credential up; the simulator counts the e-mails.
/// Assumption: a credential that is not the user's, or not mobile, is a 404.
pub(super) async fn setup_mobile(
    State(sim): State<OpenpathSim>,
    Ids((_org, user, credential)): Ids<(u64, u64, u64)>,
) -> Response {
    let mut s = write(&sim.state);
    let found = s
        .credentials
        .iter_mut()
        .find(|c| c.id == credential && c.user_id == user && c.type_id == MOBILE_TYPE.0);
    match found {
        Some(c) => {
            c.setup_emails += 1;
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found("Credential"),
    }
}

/// `YYYY-MM-DD` with plausible month and day.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && text[..4].parse::<u16>().is_ok()
        && text[5..7]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m))
        && text[8..].parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}
