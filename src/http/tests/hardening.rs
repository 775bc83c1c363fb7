//! Security headers on every answer, JSON bodies on every API error (413 and 405 included),
//! bounded ids and notes, repeated ids counted once, audit cursors validated.

use super::*;
use crate::model::Action;
use crate::store::{Colour, Suggestion, SuggestionState};

async fn call_full(
    state: &AppState,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).to_string())
}

/// The body parses as `{"error": "..."}` and the message mentions `needle`.
fn json_error(status: StatusCode, headers: &axum::http::HeaderMap, text: &str, needle: &str) {
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{status}: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(text).expect("JSON error body");
    let message = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {text}"));
    assert!(
        message.contains(needle),
        "{status}: {message:?} lacks {needle:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    for (path, token) in [
        ("/", None),
        ("/console/sign-in", None),
        ("/api/v1/status", Some("viewer-token")),
        ("/api/v1/status", None),
        ("/metrics", None),
        ("/no/such/thing", None),
    ] {
        let (status, headers, _) = call_full(&state, Method::GET, path, token, vec![]).await;
        let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("x-frame-options"), "DENY", "{path} {status}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{path} {status}");
        let csp = get("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        if path == "/console/sign-in" {
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert!(!csp.contains("unsafe-inline"), "{csp}");
        }
    }
}

#[tokio::test]
async fn axum_rejections_are_json_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let huge = format!("{{\"ids\":[\"{}\"]}}", "x".repeat(MAX_BODY + 1)).into_bytes();
    let (status, headers, text) = call_full(
        &state,
        Method::POST,
        "/api/v1/suggestions/approve",
        Some("admin-token"),
        huge,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    json_error(status, &headers, &text, "larger than the limit");
    let (status, headers, text) = call_full(
        &state,
        Method::GET,
        "/api/v1/suggestions/approve",
        Some("admin-token"),
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    json_error(status, &headers, &text, "method not allowed");
    assert!(headers.get("allow").is_some(), "Allow is kept");
    let (status, headers, text) = call_full(
        &state,
        Method::GET,
        "/api/v1/audit?limit=lots",
        Some("viewer-token"),
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    json_error(status, &headers, &text, "limit");
}

#[tokio::test]
async fn ids_and_notes_are_bounded_and_free_of_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let long = "p".repeat(129);
    for (path, body, needle) in [
        (
            "/api/v1/overrides",
            format!(r#"{{"property":"p","person":"{long}"}}"#),
            "person: 129 characters",
        ),
        (
            "/api/v1/overrides",
            r#"{"property":"p","person":"r1","note":"ok\u001b[2Jforged"}"#.to_string(),
            "note: control character U+001B",
        ),
        (
            "/api/v1/overrides",
            format!(
                r#"{{"property":"p","person":"r1","note":"{}"}}"#,
                "n".repeat(1001)
            ),
            "note: 1001 characters",
        ),
        (
            "/api/v1/lost-credential",
            r#"{"property":"p","person":"r1\nr2"}"#.to_string(),
            "person: control character U+000A",
        ),
        (
            "/api/v1/suggestions/discard",
            r#"{"ids":["ok","bad\u0000"]}"#.to_string(),
            "ids[1]: control character U+0000",
        ),
    ] {
        let (status, headers, text) = call_full(
            &state,
            Method::POST,
            path,
            Some("admin-token"),
            body.into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {text}");
        json_error(status, &headers, &text, needle);
    }
    let (status, headers, text) = call_full(
        &state,
        Method::DELETE,
        "/api/v1/overrides/p/r1%07",
        Some("admin-token"),
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    json_error(status, &headers, &text, "person: control character U+0007");
}

#[tokio::test]
async fn repeated_ids_in_one_request_count_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let action = Action::AddToGroup {
        external_id: "lockstep:y:r1".into(),
        person_id: "r1".into(),
        group: "Entrances".into(),
        window: Default::default(),
    };
    let s = Suggestion {
        id: "s1".into(),
        property: "p".into(),
        person: "lockstep:y:r1".into(),
        person_id: "r1".into(),
        name: "R One".into(),
        unit: None,
        kind: "resident".into(),
        steps: vec![crate::store::Step {
            system: "kisi".into(),
            describe: "add to \"Entrances\"".into(),
            action,
            result: None,
        }],
        colour: Colour::Green,
        reason: "test".into(),
        created_at: 1,
        state: SuggestionState::Pending,
        decided_by: None,
        decided_at: None,
        error: None,
        replaced_by: None,
    };
    state
        .controller
        .store
        .suggestions()
        .put_many(&[s])
        .expect("put");
    let (status, _, text) = call_full(
        &state,
        Method::POST,
        "/api/v1/suggestions/discard",
        Some("approver-token"),
        br#"{"ids":["s1","s1","s1"]}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("json")["discarded"],
        1
    );
    let (_, v) = call(
        &state,
        Method::GET,
        "/api/v1/audit",
        Some("viewer-token"),
        "",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&v).expect("json");
    let discards = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "suggestion_discarded")
        .count();
    assert_eq!(discards, 1, "one audit entry for one suggestion");
}

#[tokio::test]
async fn audit_cursor_and_limit_are_validated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    for (query, needle) in [
        ("limit=0", "limit: 0 is out of range"),
        ("limit=100001", "limit: 100001 is out of range"),
        ("limit=-1", "limit"),
        (
            "after_seq=5",
            "after_seq: 5 is beyond the newest audit entry (0)",
        ),
        ("after_seq=-3", "after_seq"),
    ] {
        let (status, headers, text) = call_full(
            &state,
            Method::GET,
            &format!("/api/v1/audit?{query}"),
            Some("viewer-token"),
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {text}");
        json_error(status, &headers, &text, needle);
    }
    for query in ["after_seq=0&limit=1", "limit=100000"] {
        let (status, _) = call(
            &state,
            Method::GET,
            &format!("/api/v1/audit?{query}"),
            Some("viewer-token"),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}");
    }
}
