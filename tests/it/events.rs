//! Signed events through the real daemon: a visitor signed in by an event gets the property's
//! visitor groups in the access simulator and loses them at sign-out; bad signatures, stale and
//! replayed requests are refused; an event acknowledged just before a SIGKILL still takes
//! effect after the restart (the store is the truth, the events source reads it); removing the
//! source's last person revokes (an empty events feed passes the completeness gate).

use crate::harness::*;
use lockstep::sim::Faults;
use lockstep::source::events::sign::sign;
use serde_json::Value;
use std::time::{Duration, SystemTime};

const LONG: Duration = Duration::from_secs(60);
const SECRET: &str = "it-frontdesk-secret-0123456789abcdef";

/// p1 reads the simulated PMS and a `frontdesk` events source; visitors get its entrances.
async fn events_setup(seed: u64) -> (Setup, String) {
    let secrets = tempfile::tempdir().expect("tempdir").keep();
    let secret_file = secrets.join("frontdesk.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret");
    let mut entrances = String::new();
    let s = setup(10, seed, "0s", |y| {
        let name = y
            .split("  p1:\n    name: ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .expect("p1's name")
            .trim_matches('"')
            .to_string();
        entrances = format!("{name} Entrances");
        let y = y
            .replacen(
                "sources:\n",
                &format!(
                    "sources:\n  frontdesk:\n    type: events\n    senders:\n      \
                     script: {{secret: {{file: {}}}}}\n",
                    secret_file.display()
                ),
                1,
            )
            .replacen(
                "    source: yardi-sim\n    source_property_id: p1\n",
                &format!(
                    "    sources:\n      yardi-sim: {{property_id: p1}}\n      frontdesk: \
                     {{property_id: p1}}\n    visitors: {{groups: [{entrances:?}]}}\n"
                ),
                1,
            );
        assert!(y.contains("frontdesk: {property_id: p1}"), "{y}");
        y
    })
    .await;
    (s, entrances)
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

fn visit_body(id: &str, kind: &str, at: SystemTime) -> String {
    serde_json::json!({"events": [{
        "id": id, "type": kind, "property": "p1", "time": rfc3339(at),
        "visit": {"visitor": "v-42", "name": "Ada Lovelace", "host": "Grace Hopper", "invited": true}
    }]})
    .to_string()
}

/// Posts a body signed now (or with `ts`): the status, the JSON answer, the timestamp and the
/// signature sent.
async fn post(
    daemon: &Daemon,
    body: &str,
    ts: Option<i64>,
    secret: &str,
) -> (u16, Value, String, String) {
    let ts = ts.unwrap_or_else(lockstep::controller::now).to_string();
    let signature = sign(secret.as_bytes(), &ts, body.as_bytes());
    let (code, answer) = post_signed(daemon, body, &ts, &signature).await;
    (code, answer, ts, signature)
}

async fn post_signed(daemon: &Daemon, body: &str, ts: &str, signature: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/events", daemon.url))
        .header("content-type", "application/json")
        .header("x-lockstep-sender", "script")
        .header("x-lockstep-timestamp", ts)
        .header("x-lockstep-signature", signature)
        .body(body.to_string())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("post");
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

fn visitor_groups(actual: &lockstep::model::ActualState) -> Vec<String> {
    actual
        .users
        .get("lockstep:frontdesk:v-42")
        .map(|u| u.groups.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_signed_visitor_gets_the_visitor_groups_until_sign_out() {
    let (s, entrances) = events_setup(81).await;
    let daemon = s.start().await;
    let now = SystemTime::now();
    let sign_in = visit_body("evt-in", "visitor.signed_in", now - Duration::from_secs(60));
    let (code, answer, ts, signature) = post(&daemon, &sign_in, None, SECRET).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "accepted");
    let config = &s.config;
    eventually("the visitor to get the entrances", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        (visitor_groups(&a) == [entrances.clone()]).then_some(())
    })
    .await;

    // Refused: a wrong secret, a stale timestamp, the same request replayed.
    let (code, answer, _, _) = post(&daemon, &sign_in, None, "not-the-secret-0123456789").await;
    assert_eq!(code, 401, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap_or_default()
        .contains("bad signature"));
    let stale = lockstep::controller::now() - 600;
    let (code, answer, _, _) = post(&daemon, &sign_in, Some(stale), SECRET).await;
    assert_eq!(code, 401, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap_or_default()
        .starts_with("stale"));
    let (code, answer) = post_signed(&daemon, &sign_in, &ts, &signature).await;
    assert_eq!(
        code, 409,
        "the same signed request again is a replay: {answer}"
    );

    let sign_out = visit_body("evt-out", "visitor.signed_out", SystemTime::now());
    let (code, answer, _, _) = post(&daemon, &sign_out, None, SECRET).await;
    assert_eq!(code, 200, "{answer}");
    eventually("the visitor to lose the entrances", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        visitor_groups(&a).is_empty().then_some(())
    })
    .await;
    let log = daemon.log();
    assert!(
        !log.contains(SECRET) && !log.contains(&signature[7..]),
        "a secret or signature was logged"
    );
    assert!(daemon.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_an_acknowledged_event_survives_a_sigkill() {
    let (s, entrances) = events_setup(82).await;
    let mut daemon = s.start().await;
    // Every Kisi request takes 5 s: no cycle can apply the event before the kill.
    s.sims.sims.kisi.core.set_faults(Faults {
        latency_ms: 5_000,
        ..Faults::default()
    });
    let body = visit_body("evt-crash", "visitor.signed_in", SystemTime::now());
    let (code, answer, _, _) = post(&daemon, &body, None, SECRET).await;
    assert_eq!(code, 200, "{answer}");
    daemon.child.kill().expect("SIGKILL");
    daemon.child.wait().expect("reap");
    s.sims.sims.kisi.core.set_faults(Faults::default());
    let config = &s.config;
    let a = observe(config, "kisi-sim", "p1").await;
    assert!(
        visitor_groups(&a).is_empty(),
        "applied before the kill: the test proves nothing"
    );

    let daemon = s.start().await;
    eventually(
        "the acknowledged visitor to get the entrances",
        LONG,
        || async {
            let a = observe(config, "kisi-sim", "p1").await;
            (visitor_groups(&a) == [entrances.clone()]).then_some(())
        },
    )
    .await;

    // The source's only person removed: an empty feed after a full one is a real answer for
    // an events source (it reads the store), not a short read the gate must hold.
    let remove = serde_json::json!({"events": [{
        "id": "evt-remove", "type": "person.remove", "property": "p1",
        "time": rfc3339(SystemTime::now()), "person": {"id": "v-42"}
    }]})
    .to_string();
    let (code, answer, _, _) = post(&daemon, &remove, None, SECRET).await;
    assert_eq!(code, 200, "{answer}");
    eventually(
        "the removed visitor to lose the entrances",
        LONG,
        || async {
            let a = observe(config, "kisi-sim", "p1").await;
            visitor_groups(&a).is_empty().then_some(())
        },
    )
    .await;
    assert!(daemon.stop().success());
}

/// A booking sent as a signed event opens its room for the booking and closes it at the booking's
/// end in Kisi, which holds no windows: with the periodic reconcile an hour away, only the
/// property's due-time wake-up can revoke it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_booking_is_granted_for_its_window_and_revoked_at_its_end() {
    let secrets = tempfile::tempdir().expect("tempdir");
    let secret_file = secrets.path().join("frontdesk.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret");
    let mut room = String::new();
    let s = setup(10, 83, "0s", |y| {
        let name = y
            .split("  p1:\n    name: ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .expect("p1's name")
            .trim_matches('"')
            .to_string();
        room = format!("{name} Amenities");
        y.replace("interval: 1s", "interval: 1h")
            .replacen(
                "sources:\n",
                &format!(
                    "sources:\n  frontdesk:\n    type: events\n    senders:\n      \
                     script: {{secret: {{file: {}}}}}\n",
                    secret_file.display()
                ),
                1,
            )
            .replacen(
                "    source: yardi-sim\n    source_property_id: p1\n",
                &format!(
                    "    sources:\n      yardi-sim: {{property_id: p1}}\n      frontdesk: \
                     {{property_id: p1}}\n    members: {{resources: {{\"Board Room\": \
                     [{room:?}]}}, booking_lead: 0s, booking_lag: 0s}}\n"
                ),
                1,
            )
    })
    .await;
    let daemon = s.start().await;
    let now = lockstep::controller::now();
    let end = now + 10;
    let at = |t: i64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(t as u64));
    let body = serde_json::json!({"events": [{
        "id": "bk-1", "type": "booking.upsert", "property": "p1", "time": at(now),
        "booking": {"member": "m-7", "id": "b-1", "resource": "Board Room",
                    "start": at(now - 60), "end": at(end)}
    }]})
    .to_string();
    let (code, answer, _, _) = post(&daemon, &body, None, SECRET).await;
    assert_eq!(code, 200, "{answer}");
    let config = &s.config;
    let member = |a: &lockstep::model::ActualState| {
        a.users
            .get("lockstep:frontdesk:m-7")
            .map(|u| u.groups.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    eventually("the booked room to open", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        (member(&a) == [room.clone()]).then_some(())
    })
    .await;
    assert!(
        lockstep::controller::now() < end,
        "granted too late to mean anything"
    );
    eventually(
        "the booked room to close at the booking's end",
        LONG,
        || async {
            let a = observe(config, "kisi-sim", "p1").await;
            member(&a).is_empty().then_some(())
        },
    )
    .await;
    assert!(
        lockstep::controller::now() >= end,
        "revoked before the booking ended"
    );
    assert!(daemon.stop().success());
}
