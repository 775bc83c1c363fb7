//! `POST /api/v1/events`: signed events from any tool (README "Signed events").
//!
//! No bearer token: the signature is the authentication. In order: the sender must be
//! configured (401), the timestamp within 5 minutes of the clock (401 "stale"), the HMAC right
//! (401); the body well formed with every event naming a property that reads the sender's
//! source (400, naming the field path); a signature already seen from this sender is a replay,
//! an id already stored with another body a conflict (409). Then the new events are stored and
//! flushed (`store::events`) and only then answered, each id `accepted` or `duplicate`; the
//! properties reading them are brought forward. A crash after the answer loses nothing: the
//! events source reads the store every cycle.

use super::{ApiError, AppState};
use crate::app::Event as LoopEvent;
use crate::config::Config;
use crate::model::{Event, EventBody, Timestamp};
use crate::source::events::{sign, wire};
use crate::store::{AcceptError, EventRequest};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeSet;

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, Refused> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refused(sign::Refusal::Missing(name)))
}

fn refused(r: sign::Refusal) -> Refused {
    (
        r.kind(),
        ApiError::new(StatusCode::UNAUTHORIZED, r.to_string()),
    )
}

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (result, response) = match accept(&state, &headers, &body) {
        Ok(r) => ("accepted", r),
        Err((kind, e)) => (kind, e.into_response()),
    };
    state
        .controller
        .metrics
        .event_requests
        .with_label_values(&[result])
        .inc();
    response
}

/// A refusal with its bounded kind (`metrics::EVENT_RESULTS`).
type Refused = (&'static str, ApiError);

fn malformed(e: ApiError) -> Refused {
    ("malformed", e)
}

/// Who signed the request, once the signature and timestamp are checked.
struct Signed<'h> {
    source: String,
    sender: &'h str,
    signature: &'h str,
    at: Timestamp,
}

fn authenticate<'h>(
    config: &Config,
    headers: &'h HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<Signed<'h>, Refused> {
    let sender = header(headers, sign::SENDER_HEADER)?;
    let timestamp = header(headers, sign::TIMESTAMP_HEADER)?;
    let signature = header(headers, sign::SIGNATURE_HEADER)?;
    let Some((source, secret)) = config.event_sender(sender) else {
        // The name is not logged: anyone can send any text in this header.
        tracing::warn!(reason = "unknown_sender", "signed events refused");
        return Err(refused(sign::Refusal::UnknownSender));
    };
    if let Err(r) = sign::verify(secret.value.as_bytes(), timestamp, signature, body, now) {
        tracing::warn!(sender, reason = r.kind(), "signed events refused");
        return Err(refused(r));
    }
    Ok(Signed {
        source: source.to_string(),
        sender,
        signature,
        at: sign::timestamp(timestamp).map_err(refused)?,
    })
}

/// Every event names a property reading the source, and happened no later than the window.
fn check_targets(
    events: &[Event],
    readers: &[(String, String)],
    source: &str,
    now: Timestamp,
) -> Result<(), Refused> {
    for (i, e) in events.iter().enumerate() {
        // A fact from the future would order after everything that really follows it.
        if e.time > now + sign::MAX_SKEW_SECS {
            return Err(malformed(ApiError::bad_request(format!(
                "events[{i}].time: {} s in the future; an event's time is when it happened",
                e.time - now
            ))));
        }
        if !readers.iter().any(|(_, id)| *id == e.property) {
            return Err(malformed(ApiError::bad_request(format!(
                "events[{i}].property: no property reads source {source:?} as {:?}",
                e.property
            ))));
        }
    }
    Ok(())
}

fn accept(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refused> {
    let controller = &state.controller;
    let config = controller.config();
    let now = crate::controller::now();
    let Signed {
        source,
        sender,
        signature,
        at,
    } = authenticate(&config, headers, body, now)?;
    let source = source.as_str();
    let events = wire::parse(body).map_err(|e| malformed(ApiError::bad_request(e.to_string())))?;
    let readers = config.properties_reading(source);
    check_targets(&events, &readers, source, now)?;
    let actor = format!("events:{sender}");
    let request = EventRequest {
        source,
        sender,
        signature,
        timestamp: at,
        events: &events,
    };
    let verdicts = controller
        .store
        .events()
        .accept(&request, now, |new: &[&Event]| {
            record_lost(state, &readers, new, &actor)
        })
        .map_err(|e| {
            let (kind, status) = match e {
                AcceptError::Replay => ("replay", StatusCode::CONFLICT),
                AcceptError::Conflict { .. } => ("conflict", StatusCode::CONFLICT),
                AcceptError::Store(_) => ("error", StatusCode::INTERNAL_SERVER_ERROR),
            };
            (kind, ApiError::new(status, e.to_string()))
        })?;
    let accepted = verdicts
        .iter()
        .filter(|(_, v)| *v == crate::store::Verdict::Accepted)
        .count();
    tracing::info!(
        sender,
        source,
        accepted,
        duplicates = verdicts.len() - accepted,
        "signed events stored"
    );
    let touched: BTreeSet<&str> = events.iter().map(|e| e.property.as_str()).collect();
    for (property, _) in readers
        .iter()
        .filter(|(_, id)| touched.contains(id.as_str()))
    {
        let _ = state
            .events
            .send(LoopEvent::Trigger(Some(property.clone())));
    }
    let results: Vec<serde_json::Value> = verdicts
        .into_iter()
        .map(|(id, v)| serde_json::json!({ "id": id, "status": v }))
        .collect();
    Ok(Json(serde_json::json!({ "results": results })).into_response())
}

/// `credential.lost` events new to the store, recorded through the same path as
/// `POST /api/v1/lost-credential`, for every property reading the event's property id. Done
/// before the events are stored: a crash in between leaves the request unanswered, its resend
/// records the same key again (idempotent) and stores the events.
fn record_lost(
    state: &AppState,
    readers: &[(String, String)],
    new: &[&Event],
    actor: &str,
) -> Result<(), crate::store::StoreError> {
    for e in new {
        let EventBody::CredentialLost {
            person, credential, ..
        } = &e.body
        else {
            continue;
        };
        for (property, _) in readers.iter().filter(|(_, id)| *id == e.property) {
            state
                .controller
                .record_lost(property, person, credential, actor)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/events.rs"]
mod tests;
