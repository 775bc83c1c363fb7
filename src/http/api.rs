//! JSON API handlers under `/api/v1`.

use super::{authorize, input, parse_body, ApiError, AppState};
use crate::app::Event;
use crate::config::Role;
use crate::model::LeaseStatus;
use crate::store::{AuditFilter, ExportFormat, SuggestionState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

type ApiResult = Result<Response, ApiError>;

pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    let c = &state.controller;
    Ok(Json(serde_json::json!({
        "portfolio": c.config().portfolio,
        "ready": c.is_ready(),
        "properties": c.status(),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    property: Option<String>,
    state: Option<String>,
}

fn parse_state(s: &str) -> Result<SuggestionState, ApiError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| ApiError::bad_request(format!("state: unknown suggestion state {s:?} (pending, approved, discarded, withdrawn, replaced, executed, failed, all)")))
}

pub async fn suggestions(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SuggestionQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    let wanted = match q.state.as_deref() {
        None => Some(SuggestionState::Pending),
        Some("all") => None,
        Some(s) => Some(parse_state(s)?),
    };
    let list = state
        .controller
        .store
        .suggestions()
        .list(q.property.as_deref(), wanted)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::json!({ "suggestions": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ids {
    ids: Vec<String>,
}

pub async fn approve(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    let Ids { ids } = parse_body(&body)?;
    let ids = input::unique_ids(ids)?;
    tracing::info!(actor = %caller.name, suggestions = ?ids, "approve");
    let results = state.controller.approve(&ids, &caller.name).await?;
    Ok(Json(serde_json::json!({ "results": results })).into_response())
}

pub async fn discard(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    let Ids { ids } = parse_body(&body)?;
    let ids = input::unique_ids(ids)?;
    tracing::info!(actor = %caller.name, suggestions = ?ids, "discard");
    let n = state.controller.discard(&ids, &caller.name)?;
    Ok(Json(serde_json::json!({ "discarded": n })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    property: Option<String>,
    person: Option<String>,
    action: Option<String>,
    after_seq: Option<u64>,
    limit: Option<usize>,
    format: Option<String>,
}

/// Parses `from`/`to`: RFC 3339 or Unix seconds.
pub fn parse_time(field: &str, text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    humantime::parse_rfc3339_weak(text)
        .map(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
        .map_err(|e| format!("{field}: {text:?} is not a time (RFC 3339 or Unix seconds): {e}"))
}

pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    let filter = AuditFilter {
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()
            .map_err(ApiError::bad_request)?,
        to: q
            .to
            .as_deref()
            .map(|t| parse_time("to", t))
            .transpose()
            .map_err(ApiError::bad_request)?,
        property: q.property,
        person: q.person,
        action: q.action,
        after_seq: input::after_seq(q.after_seq, state.controller.store.audit().len())?,
        limit: Some(input::limit(q.limit)?),
    };
    let entries = state
        .controller
        .store
        .audit()
        .range(&filter)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let format = match q.format.as_deref() {
        None | Some("json") => {
            return Ok(Json(serde_json::json!({ "entries": entries })).into_response())
        }
        Some(f) => f
            .parse::<ExportFormat>()
            .map_err(|e| ApiError::bad_request(format!("format: {e}")))?,
    };
    let mut buf = Vec::new();
    let written = match format {
        ExportFormat::Csv => crate::store::write_csv(&entries, &mut buf),
        ExportFormat::Jsonl => crate::store::write_jsonl(&entries, &mut buf),
    };
    written.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let content_type = if format == ExportFormat::Csv {
        "text/csv"
    } else {
        "application/x-ndjson"
    };
    Ok(([("content-type", content_type)], buf).into_response())
}

/// A checkpoint of the current head, signed now (DESIGN §7): monitors poll it and keep their own
/// copies, so a rewritten log is caught even if the checkpoint file goes with it.
pub async fn checkpoint(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    let Some(signer) = &state.checkpoints else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no checkpoint: the audit log is not anchored (audit.key is not configured)",
        ));
    };
    let cp = signer
        .current(crate::controller::now())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(cp).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReconcileBody {
    property: Option<String>,
}

pub async fn reconcile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    let ReconcileBody { property } = if body.is_empty() {
        ReconcileBody::default()
    } else {
        parse_body(&body)?
    };
    tracing::info!(actor = %caller.name, property = property.as_deref().unwrap_or("all"), "reconcile");
    if let Some(p) = &property {
        if !state.controller.config().properties.contains_key(p) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("property: no property named {p:?}"),
            ));
        }
    }
    let _ = state.events.send(Event::Trigger(property.clone()));
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "triggered": property.unwrap_or_else(|| "all".into()) })),
    )
        .into_response())
}

/// A dry-run cycle of one property (or all) on the running daemon: what would change, computed
/// from fresh reads of the sources and access systems, without the shared cache, writes or
/// status updates (what `lockstep plan` falls back to while the daemon holds the store).
pub async fn plan(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    authorize(&state, &headers, Role::Approver)?;
    let ReconcileBody { property } = if body.is_empty() {
        ReconcileBody::default()
    } else {
        parse_body(&body)?
    };
    let config = state.controller.config();
    let ids: Vec<String> = match property {
        Some(p) if config.properties.contains_key(&p) => vec![p],
        Some(p) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("property: no property named {p:?}"),
            ))
        }
        None => config.properties.keys().cloned().collect(),
    };
    let mut reports = Vec::new();
    for id in &ids {
        reports.push(state.controller.reconcile(id, true).await?);
    }
    Ok(Json(serde_json::json!({ "reports": reports })).into_response())
}

pub async fn release_guard(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Admin)?;
    tracing::info!(actor = %caller.name, property = %id, "guard release");
    state.controller.release_guard(&id, &caller.name)?;
    let _ = state.events.send(Event::Trigger(Some(id.clone())));
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "released": id })),
    )
        .into_response())
}

pub async fn list_overrides(State(state): State<AppState>, headers: HeaderMap) -> ApiResult {
    authorize(&state, &headers, Role::Viewer)?;
    let list = state
        .controller
        .store
        .overrides()
        .list(None)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::json!({ "overrides": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    property: String,
    person: String,
    #[serde(default)]
    force_status: Option<LeaseStatus>,
    #[serde(default)]
    add_groups: BTreeSet<String>,
    #[serde(default)]
    remove_groups: BTreeSet<String>,
    #[serde(default)]
    note: Option<String>,
}

pub async fn set_override(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    let b: OverrideBody = parse_body(&body)?;
    input::id("property", &b.property)?;
    input::id("person", &b.person)?;
    if let Some(note) = &b.note {
        input::text("note", note, input::MAX_NOTE)?;
    }
    let manual = crate::policy::ManualOverride {
        force_status: b.force_status,
        add_groups: b.add_groups,
        remove_groups: b.remove_groups,
    };
    tracing::info!(actor = %caller.name, property = %b.property, person = %b.person, "override");
    let o = state
        .controller
        .set_override(&b.property, &b.person, manual, b.note, &caller.name)?;
    let _ = state.events.send(Event::Trigger(Some(b.property)));
    Ok(Json(serde_json::json!({ "override": o })).into_response())
}

pub async fn clear_override(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, person)): Path<(String, String)>,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    input::id("person", &person)?;
    tracing::info!(actor = %caller.name, property = %property, person = %person, "override clear");
    if !state
        .controller
        .clear_override(&property, &person, &caller.name)?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no override for person {person:?} in property {property:?}"),
        ));
    }
    let _ = state.events.send(Event::Trigger(Some(property)));
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LostBody {
    property: String,
    person: String,
    #[serde(default)]
    credential: Option<String>,
    /// With `credential: "pin"`: issue a fresh PIN instead of leaving the person without one.
    #[serde(default)]
    replace: bool,
}

pub async fn lost_credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = authorize(&state, &headers, Role::Approver)?;
    let b: LostBody = parse_body(&body)?;
    input::id("property", &b.property)?;
    input::id("person", &b.person)?;
    if let Some(credential) = &b.credential {
        input::id("credential", credential)?;
    }
    tracing::info!(actor = %caller.name, property = %b.property, person = %b.person, credential = b.credential.as_deref().unwrap_or("*"), replace = b.replace, "lost credential");
    let report = state
        .controller
        .lost_credential(
            &b.property,
            &b.person,
            b.credential.as_deref(),
            b.replace,
            &caller.name,
        )
        .await?;
    let revoked = report
        .actions()
        .filter(|(_, a)| matches!(a.name(), "revoke_credential" | "revoke_pin"))
        .count();
    let issued = report
        .actions()
        .filter(|(_, a)| a.name() == "issue_pin")
        .count();
    let mut out = BTreeMap::new();
    out.insert("revoked_now", serde_json::json!(revoked));
    out.insert("pins_issued_now", serde_json::json!(issued));
    out.insert("skipped", serde_json::json!(report.skipped));
    out.insert("errors", serde_json::json!(report.errors));
    Ok(Json(out).into_response())
}
