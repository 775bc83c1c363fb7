//! The sink against a temporary directory and a webhook receiver on 127.0.0.1:0 that verifies
//! the signature with the events verifier; every failure's text is checked for the PIN.

use super::*;
use crate::config::{Secret, WebhookConfig};
use crate::source::events::sign::{verify, SENDER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value as Json;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DIGITS: &str = "482913";
const SECRET: &str = "0123456789abcdef-notify";

fn notice(pin: &Pin) -> PinNotice<'_> {
    PinNotice {
        property: "maple-court",
        property_name: "Maple Court",
        person_id: "t-1001",
        name: "Ada Lovelace",
        email: Some("ada@example.com"),
        system: "kisi-main",
        generation: 2,
        window: Window {
            from: Some(1_795_424_400),
            until: None,
        },
        pin,
        issued_at: 1_795_424_460,
    }
}

fn pin() -> Pin {
    Pin::from_digits(DIGITS.into()).expect("digits")
}

fn outbox(path: &std::path::Path) -> Sink {
    Sink::from_config(&NotificationsConfig::Outbox(path.to_path_buf())).expect("outbox")
}

fn webhook(url: &str) -> Sink {
    Sink::from_config(&NotificationsConfig::Webhook(WebhookConfig {
        url: url.into(),
        secret: Secret {
            value: SECRET.into(),
            origin: "env TEST".into(),
        },
    }))
    .expect("webhook")
}

#[tokio::test]
async fn the_outbox_gets_one_json_line_per_delivery_with_mode_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pin-outbox.jsonl");
    let sink = outbox(&path);
    assert_eq!(sink.describe(), format!("outbox {}", path.display()));
    let pin = pin();
    sink.deliver(&notice(&pin)).await.expect("first");
    let second = Pin::from_digits("0077".into()).expect("digits");
    let mut n = notice(&second);
    n.email = None;
    n.window = Window::OPEN;
    sink.deliver(&n).await.expect("second");

    let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        serde_json::json!({
            "type": "pin_issued",
            "property": "maple-court",
            "property_name": "Maple Court",
            "person_id": "t-1001",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "system": "kisi-main",
            "generation": 2,
            "valid_from": "2026-11-23T09:00:00Z",
            "pin": DIGITS,
            "issued_at": "2026-11-23T09:01:00Z",
        })
    );
    assert_eq!(lines[1]["pin"], "0077");
    for absent in ["email", "valid_from", "valid_until"] {
        assert!(lines[1].get(absent).is_none(), "{absent} in {}", lines[1]);
    }
}

#[tokio::test]
async fn concurrent_outbox_deliveries_never_interleave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("outbox.jsonl");
    let sink = Arc::new(outbox(&path));
    let long_name = "x".repeat(600);
    let mut tasks = Vec::new();
    for i in 0..32u32 {
        let sink = Arc::clone(&sink);
        let name = long_name.clone();
        tasks.push(tokio::spawn(async move {
            let pin = Pin::from_digits(format!("{i:06}")).expect("digits");
            let mut n = notice(&pin);
            n.name = &name;
            n.generation = i;
            sink.deliver(&n).await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("delivered");
    }
    let text = std::fs::read_to_string(&path).expect("read");
    let mut seen: Vec<u64> = text
        .lines()
        .map(|l| {
            let v: Json = serde_json::from_str(l).expect("whole lines");
            v["generation"].as_u64().expect("generation")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..32).collect::<Vec<u64>>());
}

#[tokio::test]
async fn an_outbox_others_can_read_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("outbox.jsonl");
    std::fs::write(&path, "").expect("create");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let pin = pin();
    let e = outbox(&path)
        .deliver(&notice(&pin))
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), "open_to_others");
    assert!(e.to_string().contains("mode 644"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
}

/// What the receiver saw: headers and the raw body.
type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on 127.0.0.1:0 answering `status`; returns its URL.
async fn receiver(status: StatusCode, seen: Seen) -> String {
    async fn hook(
        State((status, seen)): State<(StatusCode, Seen)>,
        headers: HeaderMap,
        body: bytes::Bytes,
    ) -> StatusCode {
        seen.lock().expect("lock").push((headers, body.to_vec()));
        status
    }
    let app = axum::Router::new()
        .route("/hooks/lockstep", axum::routing::post(hook))
        .with_state((status, seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks/lockstep")
}

#[tokio::test]
async fn the_webhook_posts_the_notice_signed_like_inbound_events() {
    let seen = Seen::default();
    let url = receiver(StatusCode::NO_CONTENT, Arc::clone(&seen)).await;
    let sink = webhook(&url);
    let described = sink.describe();
    assert!(
        described.starts_with("webhook http://127.0.0.1:"),
        "{described}"
    );
    assert!(
        !described.contains("hooks") && !described.contains(SECRET),
        "{described}"
    );
    let pin = pin();
    tokio::time::timeout(Duration::from_secs(5), sink.deliver(&notice(&pin)))
        .await
        .expect("in time")
        .expect("delivered");

    let seen = seen.lock().expect("lock");
    let [(headers, body)] = &seen[..] else {
        panic!("one request, got {}", seen.len())
    };
    let header = |name: &str| headers[name].to_str().expect("ascii").to_string();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header(SENDER_HEADER), "lockstep");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    verify(
        SECRET.as_bytes(),
        &header(TIMESTAMP_HEADER),
        &header(SIGNATURE_HEADER),
        body,
        now,
    )
    .expect("the events verifier accepts the signature");
    assert!(verify(
        b"another secret!!",
        &header(TIMESTAMP_HEADER),
        &header(SIGNATURE_HEADER),
        body,
        now
    )
    .is_err());
    let json: Json = serde_json::from_slice(body).expect("JSON body");
    assert_eq!(json["type"], "pin_issued");
    assert_eq!(json["pin"], DIGITS);
    assert_eq!(json["person_id"], "t-1001");
    assert_eq!(json["system"], "kisi-main");
    assert_eq!(json["generation"], 2);
    assert_eq!(json["valid_from"], "2026-11-23T09:00:00Z");
    assert!(json.get("valid_until").is_none());
}

#[tokio::test]
async fn no_failure_shows_the_pin() {
    let pin = pin();
    let n = notice(&pin);
    let dir = tempfile::tempdir().expect("tempdir");

    let missing = dir.path().join("absent").join("outbox.jsonl");
    let e = outbox(&missing)
        .deliver(&n)
        .await
        .expect_err("no directory");
    assert_eq!(e.kind(), "no_directory");
    assert!(e.to_string().contains("does not exist"), "{e}");

    let url = receiver(StatusCode::INTERNAL_SERVER_ERROR, Seen::default()).await;
    let e = webhook(&url).deliver(&n).await.expect_err("500");
    assert_eq!(e.kind(), "status");
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    let status_error = e;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/hooks/lockstep?token=t0ken");
    let e = tokio::time::timeout(Duration::from_secs(15), webhook(&url).deliver(&n))
        .await
        .expect("in time")
        .expect_err("unreachable");
    assert_eq!(e.kind(), "transport");
    assert!(
        !e.to_string().contains("t0ken"),
        "the URL's path leaked: {e}"
    );

    let missing_dir = outbox(&missing).deliver(&n).await.expect_err("again");
    for e in [missing_dir, status_error, e] {
        let text = format!("{e} / {e:?}");
        assert!(!text.contains(DIGITS), "the PIN in an error: {text}");
    }
}

/// The executor holds the sink in an `Arc` and delivers from spawned tasks.
#[test]
fn the_sink_and_its_delivery_can_cross_tasks() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let sink = webhook("http://127.0.0.1:9/hook");
    send_sync(&sink);
    let pin = pin();
    let n = notice(&pin);
    let delivery = sink.deliver(&n);
    send(&delivery);
}
