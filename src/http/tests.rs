//! Router tests with `oneshot` (no socket): authentication, roles, bad bodies.

use super::*;
use crate::config::{Config, Env};
use crate::metrics::Metrics;
use crate::store::Store;
use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use proptest::prelude::*;
use tower::ServiceExt;

struct NoEnv;
impl Env for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
    fn read_file(&self, p: &std::path::Path) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            p.display().to_string(),
        ))
    }
}

fn sha(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(super) fn state(dir: &std::path::Path) -> AppState {
    let yaml = format!(
        "portfolio: test\ndata_dir: {}\napi:\n  tokens:\n    - {{ name: v, role: viewer, sha256: {} }}\n    - {{ name: a, role: approver, sha256: {} }}\n    - {{ name: root, role: admin, sha256: {} }}\n",
        dir.display(),
        sha("viewer-token"),
        sha("approver-token"),
        sha("admin-token")
    );
    let config = Config::from_yaml_str(&yaml, &NoEnv).expect("config");
    let store = Store::open(dir).expect("store");
    let controller = Controller::new(config, store, Metrics::new()).expect("controller");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    std::mem::forget(_rx);
    AppState {
        controller,
        events: tx,
        checkpoints: None,
        sessions: Default::default(),
    }
}

async fn call(
    state: &AppState,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

/// Every API endpoint with the least role it needs.
const ENDPOINTS: &[(&str, &str, Role, &str)] = &[
    ("GET", "/api/v1/status", Role::Viewer, ""),
    ("GET", "/api/v1/suggestions", Role::Viewer, ""),
    ("GET", "/api/v1/audit", Role::Viewer, ""),
    ("GET", "/api/v1/audit/checkpoint", Role::Viewer, ""),
    ("GET", "/api/v1/overrides", Role::Viewer, ""),
    (
        "POST",
        "/api/v1/suggestions/approve",
        Role::Approver,
        r#"{"ids":["x"]}"#,
    ),
    (
        "POST",
        "/api/v1/suggestions/discard",
        Role::Approver,
        r#"{"ids":["x"]}"#,
    ),
    ("POST", "/api/v1/reconcile", Role::Approver, ""),
    ("POST", "/api/v1/plan", Role::Approver, ""),
    (
        "POST",
        "/api/v1/overrides",
        Role::Approver,
        r#"{"property":"p","person":"x"}"#,
    ),
    ("DELETE", "/api/v1/overrides/p/x", Role::Approver, ""),
    (
        "POST",
        "/api/v1/lost-credential",
        Role::Approver,
        r#"{"property":"p","person":"x"}"#,
    ),
    (
        "POST",
        "/api/v1/properties/p/guard/release",
        Role::Admin,
        "",
    ),
    (
        "GET",
        "/api/v1/properties/p/people/x/guest-pins",
        Role::Viewer,
        "",
    ),
    (
        "POST",
        "/api/v1/properties/p/people/x/guest-pins",
        Role::Approver,
        r#"{"kind":"delivery","guest_name":"Courier"}"#,
    ),
    (
        "DELETE",
        "/api/v1/properties/p/guest-pins/gx",
        Role::Approver,
        "",
    ),
];

fn token_for(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer-token",
        Role::Approver => "approver-token",
        Role::Admin => "admin-token",
    }
}

#[tokio::test]
async fn every_endpoint_rejects_missing_wrong_and_weak_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    for (method, path, need, body) in ENDPOINTS {
        let m: Method = method.parse().expect("method");
        let (status, _) = call(&state, m.clone(), path, None, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        let (status, _) = call(&state, m.clone(), path, Some("wrong-token"), body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a wrong token"
        );
        for weaker in [Role::Viewer, Role::Approver]
            .into_iter()
            .filter(|r| r < need)
        {
            let (status, text) = call(&state, m.clone(), path, Some(token_for(weaker)), body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {weaker:?}: {text}"
            );
        }
        let (status, text) = call(&state, m.clone(), path, Some(token_for(*need)), body).await;
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "{method} {path} with {need:?}: {status} {text}"
        );
    }
}

#[tokio::test]
async fn open_endpoints_and_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    assert_eq!(
        call(&state, Method::GET, "/healthz", None, "").await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, Method::GET, "/readyz", None, "").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (status, text) = call(&state, Method::GET, "/metrics", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("lockstep_build_info"));
    let (status, text) = call(
        &state,
        Method::POST,
        "/api/v1/suggestions/approve",
        Some("admin-token"),
        "{not json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("request body"), "{text}");
    let many: Vec<String> = (0..51).map(|i| format!("\"s{i}\"")).collect();
    let (status, text) = call(
        &state,
        Method::POST,
        "/api/v1/suggestions/approve",
        Some("admin-token"),
        &format!("{{\"ids\":[{}]}}", many.join(",")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("at most 50"), "{text}");
    let (status, text) = call(
        &state,
        Method::GET,
        "/api/v1/audit?from=yesterday",
        Some("viewer-token"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("from"), "{text}");
    let (status, _) = call(
        &state,
        Method::GET,
        "/api/v1/audit?format=csv",
        Some("viewer-token"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_checkpoint_endpoint_signs_the_current_head_or_says_why_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut state = state(dir.path());
    let path = "/api/v1/audit/checkpoint";
    let (status, text) = call(&state, Method::GET, path, Some("viewer-token"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    assert!(text.contains("audit.key is not configured"), "{text}");

    let anchor = crate::config::AuditAnchor {
        key: crate::config::Secret {
            value: "42".repeat(32),
            origin: "test".into(),
        },
        checkpoint_dir: dir.path().join("checkpoints"),
        checkpoint_interval: std::time::Duration::from_secs(60),
    };
    let store = state.controller.store.clone();
    let metrics = state.controller.metrics.clone();
    let signer = crate::checkpointer::Checkpointer::new(&anchor, "test", store.clone(), metrics)
        .expect("signer");
    let public = *signer.public_key();
    state.checkpoints = Some(std::sync::Arc::new(signer));
    let draft = crate::controller::event(
        "test",
        None,
        "x",
        "t",
        crate::store::Outcome::Recorded,
        "r",
        5,
    );
    store.audit().append(vec![draft]).expect("append");
    let (status, text) = call(&state, Method::GET, path, Some("viewer-token"), "").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let cp: crate::store::Checkpoint = serde_json::from_str(&text).expect("a checkpoint");
    assert_eq!((cp.seq, cp.portfolio.as_str()), (1, "test"));
    assert_eq!(Some(cp.head), store.audit().hash_at(1).expect("hash"));
    let mut forged: crate::store::Checkpoint = serde_json::from_str(&text).expect("again");
    assert_eq!(forged.verify(&public), Ok(()));
    forged.seq = 0;
    assert!(forged.verify(&public).is_err());
    assert!(
        !anchor.checkpoint_file().exists(),
        "serving a checkpoint does not write one"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary bodies to every POST endpoint give a 4xx with a message, never a 5xx or a panic.
    #[test]
    fn arbitrary_api_bodies_get_clear_errors(body in prop_oneof![".{0,200}", prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).to_string()), Just(r#"{"ids":null}"#.to_string()), Just(r#"{"property":1}"#.to_string())]) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        rt.block_on(async {
            let state = state(dir.path());
            for path in ["/api/v1/suggestions/approve", "/api/v1/suggestions/discard", "/api/v1/overrides", "/api/v1/lost-credential", "/api/v1/reconcile"] {
                let (status, text) = call(&state, Method::POST, path, Some("admin-token"), &body).await;
                prop_assert!(!status.is_server_error(), "{path}: {status} {text}");
                if status.is_client_error() {
                    prop_assert!(text.contains("error"), "{path}: {text}");
                }
            }
            Ok(())
        })?;
    }
}

mod guests;
mod hardening;
