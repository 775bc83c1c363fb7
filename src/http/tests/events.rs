//! `POST /api/v1/events` through the router (no socket): signature, staleness, replay,
//! idempotency, body errors, durability before the answer, triggers, lost credentials.

use crate::app::Event as LoopEvent;
use crate::config::{Config, ProcessEnv};
use crate::controller::{now, Controller};
use crate::http::{router, AppState};
use crate::metrics::Metrics;
use crate::source::events::sign::sign;
use crate::store::Store;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const SECRET: &str = "frontdesk-demo-secret-0123456789";

fn state(dir: &std::path::Path) -> (AppState, tokio::sync::mpsc::UnboundedReceiver<LoopEvent>) {
    let yaml = format!(
        "portfolio: test\ndata_dir: {}\nsources:\n  frontdesk:\n    type: events\n    senders:\n      script: {{secret: {SECRET:?}}}\naccess_systems:\n  kisi:\n    type: kisi\n    url: http://127.0.0.1:9\n    api_key: k\nproperties:\n  maple:\n    source: frontdesk\n    source_property_id: p1\n    access_system: kisi\n    visitors: {{groups: [Lobby]}}\n",
        dir.display()
    );
    let config = Config::from_yaml_str(&yaml, &ProcessEnv).expect("config");
    let store = Store::open(dir).expect("store");
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

fn body(id: &str, kind: &str, visitor: &str) -> String {
    format!(
        r#"{{"events":[{{"id":"{id}","type":"{kind}","property":"p1","time":"2026-11-23T09:00:00Z","visit":{{"visitor":"{visitor}","name":"Ada"}}}}]}}"#
    )
}

async fn send(
    state: &AppState,
    sender: &str,
    ts: &str,
    signature: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let req = Request::post("/api/v1/events")
        .header("content-type", "application/json")
        .header("x-lockstep-sender", sender)
        .header("x-lockstep-timestamp", ts)
        .header("x-lockstep-signature", signature)
        .body(Body::from(body.to_string()))
        .expect("request");
    let resp = router(state.clone()).oneshot(req).await.expect("answer");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

async fn signed(state: &AppState, body: &str) -> (StatusCode, serde_json::Value) {
    let ts = now().to_string();
    let sig = sign(SECRET.as_bytes(), &ts, body.as_bytes());
    send(state, "script", &ts, &sig, body).await
}

#[tokio::test]
async fn a_signed_event_is_stored_before_the_answer_and_triggers_its_property() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut rx) = state(dir.path());
    let (code, answer) = signed(&state, &body("e1", "visitor.signed_in", "v1")).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    assert_eq!(answer["results"][0]["status"], "accepted");
    let stored = state
        .controller
        .store
        .events()
        .for_property("frontdesk", "p1")
        .expect("read");
    assert_eq!(stored.len(), 1);
    assert!(matches!(rx.try_recv(), Ok(LoopEvent::Trigger(Some(p))) if p == "maple"));
    let source = crate::source::build(
        "frontdesk",
        &state.controller.config().sources["frontdesk"],
        &state.controller.metrics,
        &state.controller.store,
    )
    .expect("source");
    let snapshot = source.fetch("p1").await.expect("fetch");
    assert_eq!(snapshot.people[0].id, "v1");
    assert!(snapshot.people[0]
        .visit
        .as_ref()
        .expect("visit")
        .signed_in
        .is_some());
}

#[tokio::test]
async fn the_same_event_again_is_a_duplicate_and_a_changed_one_a_conflict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    let b = body("e1", "visitor.signed_in", "v1");
    assert_eq!(signed(&state, &b).await.0, StatusCode::OK);
    // Same event, a new signature (the body is re-signed with another timestamp).
    let ts = (now() - 1).to_string();
    let sig = sign(SECRET.as_bytes(), &ts, b.as_bytes());
    let (code, answer) = send(&state, "script", &ts, &sig, &b).await;
    assert_eq!(
        (code, &answer["results"][0]["status"]),
        (StatusCode::OK, &"duplicate".into())
    );
    let (code, answer) = signed(&state, &body("e1", "visitor.signed_in", "v2")).await;
    assert_eq!(code, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["error"].as_str().expect("error").contains("\"e1\""),
        "{answer}"
    );
    // The very same request again: a replay.
    let (code, answer) = send(&state, "script", &ts, &sig, &b).await;
    assert_eq!(code, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("replayed"),
        "{answer}"
    );
}

#[tokio::test]
async fn bad_signatures_unknown_senders_and_stale_requests_are_401() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    let b = body("e1", "visitor.signed_in", "v1");
    let ts = now().to_string();
    let good = sign(SECRET.as_bytes(), &ts, b.as_bytes());
    let wrong = sign(b"another-secret-0123456789", &ts, b.as_bytes());
    let old = (now() - 301).to_string();
    let future = (now() + 400).to_string();
    let cases = [
        ("script", ts.as_str(), wrong.as_str(), "bad signature"),
        ("nobody", ts.as_str(), good.as_str(), "unknown sender"),
        (
            "script",
            old.as_str(),
            &sign(SECRET.as_bytes(), &old, b.as_bytes()),
            "stale",
        ),
        (
            "script",
            future.as_str(),
            &sign(SECRET.as_bytes(), &future, b.as_bytes()),
            "stale",
        ),
        ("script", "yesterday", good.as_str(), "Timestamp"),
    ];
    for (sender, ts, sig, want) in cases {
        let (code, answer) = send(&state, sender, ts, sig, &b).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "{want}: {answer}");
        let error = answer["error"].as_str().expect("error");
        assert!(error.contains(want), "{error}");
        assert!(
            !error.contains(SECRET) && !error.contains(&good[7..]),
            "{error}"
        );
    }
    let req = Request::post("/api/v1/events")
        .body(Body::from(b.clone()))
        .expect("request");
    let resp = router(state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let metrics = state.controller.metrics.render();
    for series in [
        "lockstep_event_requests_total{result=\"bad_signature\"} 1",
        "lockstep_event_requests_total{result=\"unknown_sender\"} 1",
        "lockstep_event_requests_total{result=\"stale\"} 2",
        "lockstep_event_requests_total{result=\"bad_timestamp\"} 1",
        "lockstep_event_requests_total{result=\"missing_header\"} 1",
        "lockstep_event_requests_total{result=\"accepted\"} 0",
    ] {
        assert!(metrics.contains(series), "missing {series}");
    }
    assert!(!metrics.contains(SECRET) && !metrics.contains(&good[7..]));
    assert!(state
        .controller
        .store
        .events()
        .for_property("frontdesk", "p1")
        .expect("read")
        .is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    let bad = body("e1", "visitor.signed_in", "v1")
        .replace("\"name\":\"Ada\"", "\"expected_arrival\":\"soon\"");
    let (code, answer) = signed(&state, &bad).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .starts_with("events[0].visit.expected_arrival: expected an RFC 3339 time"),
        "{answer}"
    );
    let elsewhere = body("e1", "visitor.signed_in", "v1").replace("\"p1\"", "\"p9\"");
    let (code, answer) = signed(&state, &elsewhere).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let text = answer["error"].as_str().expect("error").to_string();
    assert!(
        text.starts_with("events[0].property: no property reads source"),
        "{text}"
    );
    let future = body("e1", "visitor.signed_in", "v1")
        .replace("2026-11-23T09:00:00Z", "2999-01-01T00:00:00Z");
    let (code, answer) = signed(&state, &future).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .starts_with("events[0].time: "),
        "{answer}"
    );
}

#[tokio::test]
async fn a_too_large_body_is_refused_by_the_shared_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    let huge = "x".repeat(crate::http::MAX_BODY + 1);
    let (code, _) = signed(&state, &huge).await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_lost_credential_event_records_through_the_lost_credential_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, _rx) = state(dir.path());
    let b = r#"{"events":[{"id":"e1","type":"credential.lost","property":"p1","time":"2026-11-23T09:00:00Z","credential":{"person":"r7","id":"card-9"}}]}"#;
    let (code, answer) = signed(&state, b).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let lost = state
        .controller
        .store
        .lost()
        .for_property("maple")
        .expect("lost");
    assert_eq!(lost["r7"].iter().collect::<Vec<_>>(), ["card-9"]);
    let audit = state
        .controller
        .store
        .audit()
        .range(&crate::store::AuditFilter::default())
        .expect("audit");
    let text = serde_json::to_string(&audit).expect("json");
    assert!(
        text.contains("events:script") && !text.contains(SECRET),
        "{text}"
    );
}
