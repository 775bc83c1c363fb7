//! PINs through the real daemon against the Brivo simulator: every current resident of a
//! property with `pins:` is issued one, delivered to the outbox, and the outbox's digits are the
//! ones the access system holds; a loss reported with `--replace` gives a fresh PIN (generation
//! 2), a loss without it clears the PIN; no digit string reaches the audit log, `/metrics` or
//! the daemon's log.

use crate::harness::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);
const PREFIX: &str = "lockstep:yardi-sim:";

/// Person id → PIN, for the simulator's users lockstep made.
fn sim_pins(s: &Setup) -> BTreeMap<String, Option<String>> {
    s.sims
        .sims
        .brivo
        .state()
        .users
        .into_iter()
        .filter_map(|u| {
            let person = u.external_id?.strip_prefix(PREFIX)?.to_string();
            Some((person, u.pin))
        })
        .collect()
}

/// The outbox's notices, in order.
fn outbox(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// Person id → (generation, PIN) of the last notice for each person.
fn delivered(path: &Path) -> BTreeMap<String, (u64, String)> {
    outbox(path)
        .into_iter()
        .map(|n| {
            (
                n["person_id"].as_str().expect("person_id").to_string(),
                (
                    n["generation"].as_u64().expect("generation"),
                    n["pin"].as_str().expect("pin").to_string(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_issued_delivered_replaced_and_cleared_and_never_shown() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let path = out_dir.path().join("pins.jsonl");
    let shown = path.display().to_string();
    let s = setup(4, 41, "0s", |y| {
        let y = y.replacen(
            "    access_system: brivo-sim\n    mode: approval_required\n",
            "    access_system: brivo-sim\n    mode: automatic\n    pins: {digits: 8}\n",
            1,
        ) + &format!("notifications:\n  outbox: {shown}\n");
        assert!(y.contains("pins: {digits: 8}"), "{y}");
        y
    })
    .await;
    let current: Vec<String> = s.sims.world.properties[1]
        .people
        .iter()
        .filter(|r| r.role.is_none() && matches!(r.status.as_str(), "current" | "notice"))
        .map(|r| r.id.clone())
        .collect();
    assert!(current.len() >= 2, "the seed gives two current residents");
    let daemon = s.start().await;

    let first = eventually(
        "every current resident to hold a delivered PIN",
        LONG,
        || async {
            let held = sim_pins(&s);
            let sent = delivered(&path);
            current
            .iter()
            .all(|p| {
                matches!((held.get(p), sent.get(p)), (Some(Some(h)), Some((1, d))) if h == d)
            })
            .then_some(sent)
        },
    )
    .await;
    let pins: Vec<&String> = first.values().map(|(_, p)| p).collect();
    assert!(pins
        .iter()
        .all(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit())));
    let distinct: std::collections::BTreeSet<&&String> = pins.iter().collect();
    assert_eq!(
        distinct.len(),
        pins.len(),
        "PINs of one property are unique"
    );

    // Replaced: a fresh PIN, generation 2, delivered and held.
    let (lost, cleared) = (&current[0], &current[1]);
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            json!({"property": "p2", "person": lost, "credential": "pin", "replace": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let old = first[lost].1.clone();
    let new = eventually("the replacement to be held and delivered", LONG, || async {
        let held = sim_pins(&s).get(lost).cloned().flatten();
        match delivered(&path).get(lost) {
            Some((2, d)) if held.as_ref() == Some(d) => Some(d.clone()),
            _ => None,
        }
    })
    .await;
    assert_ne!(new, old, "a replacement is a new PIN");

    // Lost without a replacement: cleared, nothing new delivered.
    let before = outbox(&path).len();
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            json!({"property": "p2", "person": cleared, "credential": "pin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("the lost PIN to be cleared", LONG, || async {
        (sim_pins(&s).get(cleared) == Some(&None)).then_some(())
    })
    .await;
    // A replace of something that is not the PIN is refused by name.
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            json!({"property": "p2", "person": lost, "credential": "card-1", "replace": true}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("replace applies to the PIN only"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        outbox(&path).len(),
        before,
        "a cleared PIN is not re-issued"
    );

    // The audit log has the fingerprints, never the digits; nor do metrics or the log.
    let (status, audit) = daemon.get("/api/v1/audit?property=p2&limit=5000").await;
    assert_eq!(status, 200);
    let audit_text = audit.to_string();
    let issued: Vec<&Value> = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "issue_pin" && e["outcome"] == "applied")
        .collect();
    assert!(issued.len() > current.len(), "{audit_text}");
    assert!(issued
        .iter()
        .all(|e| e["object"].as_str().unwrap_or("").contains("hmac-sha256:")));
    let metrics = daemon.metrics().await;
    let log = daemon.log();
    let every: Vec<String> = outbox(&path)
        .iter()
        .map(|n| n["pin"].as_str().expect("pin").to_string())
        .collect();
    for pin in &every {
        assert!(!audit_text.contains(pin.as_str()), "a PIN in the audit log");
        assert!(!metrics.contains(pin.as_str()), "a PIN in /metrics");
        assert!(!log.contains(pin.as_str()), "a PIN in the daemon's log");
    }
    drop(daemon);
}
