//! Guest PINs through the router (no socket): create within limits, refusals as 422 with the
//! limit's sentence, bad input as 400 naming the field, unknown property, host or pass as 404,
//! roles, audit entries (never a PIN) and a triggered cycle per change.

use crate::app::Event as LoopEvent;
use crate::config::{Config, ProcessEnv};
use crate::controller::{now, Controller};
use crate::http::{router, AppState};
use crate::metrics::Metrics;
use crate::store::{AuditFilter, StatusMark, Store};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const PINS: &str = "/api/v1/properties/maple/people/r-101/guest-pins";

fn state(dir: &std::path::Path) -> (AppState, tokio::sync::mpsc::UnboundedReceiver<LoopEvent>) {
    let sha = |t: &str| hex::encode(Sha256::digest(t.as_bytes()));
    let yaml = format!(
        "portfolio: test\ndata_dir: {}\napi:\n  tokens:\n    - {{ name: v, role: viewer, sha256: {} }}\n    - {{ name: a, role: approver, sha256: {} }}\nsources:\n  frontdesk:\n    type: events\n    senders:\n      script: {{secret: \"frontdesk-demo-secret-0123456789\"}}\nnotifications:\n  outbox: {outbox}/pins.jsonl\naccess_systems:\n  brivo:\n    type: brivo\n    url: http://127.0.0.1:9\n    auth_url: http://127.0.0.1:9\n    api_key: k\n    client_id: c\n    client_secret: s\n    username: u\n    password: p\nproperties:\n  maple:\n    source: frontdesk\n    access_system: brivo\n    pins: {{}}\n    guest_pins:\n      groups: [Lobby]\n      temporary: {{count: 1, max_duration: 7d}}\n      delivery: {{count: 2, max_duration: 4h}}\n",
        dir.display(),
        sha("viewer-token"),
        sha("approver-token"),
        outbox = dir.display(),
    );
    let config = Config::from_yaml_str(&yaml, &ProcessEnv).expect("config");
    let store = Store::open(dir).expect("store");
    let mark = StatusMark {
        status: crate::model::LeaseStatus::Current,
        unit: Some("101".into()),
        since: 0,
        ends: Default::default(),
    };
    store
        .tracker()
        .save(
            "maple",
            &[("lockstep:frontdesk:r-101".to_string(), mark)].into(),
        )
        .expect("marks");
    let controller = Controller::new(config, store, Metrics::new()).expect("controller");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let state = AppState {
        controller,
        events: tx,
        checkpoints: None,
        sessions: Default::default(),
    };
    (state, rx)
}

async fn call(
    state: &AppState,
    method: Method,
    path: &str,
    token: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .expect("request");
    let resp = router(state.clone()).oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}

fn temporary(hours: i64) -> String {
    let until = crate::store::rfc3339(now() + hours * 3600);
    format!(r#"{{"kind":"temporary","guest_name":"Ana","until":"{until}"}}"#)
}

#[tokio::test]
async fn guest_pins_are_created_listed_refused_and_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut rx) = state(dir.path());
    let (status, pass) = call(&state, Method::POST, PINS, "approver-token", &temporary(24)).await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let id = pass["id"].as_str().expect("id").to_string();
    assert!(id.starts_with('g') && id.len() == 11, "{id}");
    assert_eq!(pass["host"], "r-101");
    assert!(matches!(rx.try_recv(), Ok(LoopEvent::Trigger(Some(p))) if p == "maple"));

    let (status, body) = call(&state, Method::POST, PINS, "approver-token", &temporary(2)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"],
        "temporary guest PINs: at most 1 live per resident; r-101 already holds 1"
    );
    let long = r#"{"kind":"delivery","guest_name":"Courier","until":"2999-01-01T00:00:00Z"}"#;
    let (status, body) = call(&state, Method::POST, PINS, "approver-token", long).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .starts_with("delivery PINs last at most 4h; asked for"),
        "{body}"
    );
    let perm = r#"{"kind":"permanent","guest_name":"Mum"}"#;
    let (status, body) = call(&state, Method::POST, PINS, "approver-token", perm).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"],
        "permanent guest PINs: the property offers none"
    );

    let (status, list) = call(&state, Method::GET, PINS, "viewer-token", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["guest_pins"].as_array().expect("list").len(), 1);

    let cancel = format!("/api/v1/properties/maple/guest-pins/{id}");
    let (status, body) = call(&state, Method::DELETE, &cancel, "viewer-token", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&state, Method::DELETE, &cancel, "approver-token", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cancelled"], true);
    let (status, _) = call(&state, Method::POST, PINS, "approver-token", &temporary(2)).await;
    assert_eq!(status, StatusCode::CREATED, "the slot is free again");

    let entries = state
        .controller
        .store
        .audit()
        .range(&AuditFilter::default())
        .expect("audit");
    let ours: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("guest_pin_"))
        .collect();
    assert_eq!(ours.len(), 3, "two creates and one cancel");
    assert_eq!(ours[0].action, "guest_pin_created");
    assert_eq!(ours[0].person_id.as_deref(), Some("r-101"));
    assert_eq!(ours[0].object, id);
    assert!(
        ours[0].reason.starts_with("temporary guest PIN for Ana, "),
        "{}",
        ours[0].reason
    );
    assert_eq!(ours[1].action, "guest_pin_cancelled");
}

#[tokio::test]
async fn bad_input_names_the_field_and_unknowns_are_404() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    for (body, field) in [
        (
            r#"{"kind":"weekly","guest_name":"Ana"}"#,
            "kind: unknown kind",
        ),
        (
            r#"{"kind":"temporary","guest_name":" "}"#,
            "guest_name: must not be empty",
        ),
        (
            r#"{"kind":"temporary","guest_name":"A\nB"}"#,
            "guest_name: control character",
        ),
        (
            r#"{"kind":"temporary","guest_name":"Ana","until":"soon"}"#,
            "until: \"soon\" is not a time",
        ),
        (
            r#"{"kind":"recurring","guest_name":"Ana","days":["mon","funday"]}"#,
            "days[1]: unknown day",
        ),
        (
            r#"{"kind":"temporary","guest_name":"Ana","pin":"1234"}"#,
            "request body: unknown field `pin`",
        ),
    ] {
        let (status, v) = call(&state, Method::POST, PINS, "approver-token", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(
            v["error"].as_str().expect("error").contains(field),
            "{body}: {v}"
        );
    }
    let unknown_host = "/api/v1/properties/maple/people/r-999/guest-pins";
    let (status, v) = call(
        &state,
        Method::POST,
        unknown_host,
        "approver-token",
        &temporary(2),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, _) = call(&state, Method::GET, unknown_host, "viewer-token", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown_property = "/api/v1/properties/nowhere/people/r-101/guest-pins";
    let (status, _) = call(
        &state,
        Method::POST,
        unknown_property,
        "approver-token",
        &temporary(2),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown_pass = "/api/v1/properties/maple/guest-pins/gnothere000";
    let (status, _) = call(&state, Method::DELETE, unknown_pass, "approver-token", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
