//! Store tests: the audit chain, tamper detection, restarts, concurrency, versioned records.

use super::*;
use crate::model::{Action, LeaseStatus, Window};
use std::collections::BTreeMap;

fn draft(i: i64, property: &str, action: &str) -> AuditDraft {
    AuditDraft {
        time: 1_000 + i,
        portfolio: "acme".into(),
        property: Some(property.into()),
        person_id: Some(format!("r{i}")),
        person_name: Some("Ada, \"the\" resident".into()),
        system: Some("kisi".into()),
        action: action.into(),
        object: "Unit 101".into(),
        reason: "test".into(),
        actor: "controller".into(),
        mode: Some("automatic".into()),
        outcome: Outcome::Applied,
        attempts: 1,
        error: None,
    }
}

fn action(i: u32) -> Action {
    Action::AddToGroup {
        external_id: format!("lockstep:y:{i}"),
        person_id: i.to_string(),
        group: "Unit 1".into(),
        window: Window::OPEN,
    }
}

#[test]
fn audit_appends_filters_and_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let entries = store
        .audit()
        .append(
            (0..10)
                .map(|i| draft(i, if i % 2 == 0 { "p1" } else { "p2" }, "add_to_group"))
                .collect(),
        )
        .expect("append");
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(entries[0].prev_hash, audit::GENESIS);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    let p1 = store
        .audit()
        .range(&AuditFilter {
            property: Some("p1".into()),
            ..Default::default()
        })
        .expect("range");
    assert_eq!(p1.len(), 5);
    let window = store
        .audit()
        .range(&AuditFilter {
            from: Some(1_003),
            to: Some(1_005),
            ..Default::default()
        })
        .expect("range");
    assert_eq!(window.len(), 3);
    let person = store
        .audit()
        .range(&AuditFilter {
            person: Some("r7".into()),
            ..Default::default()
        })
        .expect("range");
    assert_eq!(person.len(), 1);
    assert!(store.audit().verify().expect("verify").ok());
}

#[test]
fn verify_detects_altered_deleted_and_truncated_entries() {
    for tamper in ["alter", "delete", "truncate"] {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = Store::open(dir.path()).expect("open");
            store
                .audit()
                .append((0..5).map(|i| draft(i, "p1", "x")).collect())
                .expect("append");
        }
        {
            let db = sled::open(dir.path().join("db")).expect("raw sled");
            let tree = db.open_tree("audit").expect("tree");
            match tamper {
                "alter" => {
                    let v = tree.get(3u64.to_be_bytes()).expect("get").expect("entry");
                    let text = String::from_utf8(v.to_vec())
                        .expect("utf8")
                        .replace("Unit 101", "Unit 102");
                    tree.insert(3u64.to_be_bytes(), text.as_bytes())
                        .expect("insert");
                }
                "delete" => {
                    tree.remove(3u64.to_be_bytes()).expect("remove");
                }
                _ => {
                    tree.remove(5u64.to_be_bytes()).expect("remove");
                }
            }
            db.flush().expect("flush");
        }
        let store = Store::open(dir.path()).expect("reopen");
        let report = store.audit().verify().expect("verify");
        assert!(!report.ok(), "{tamper} not detected");
    }
}

#[test]
fn everything_survives_a_restart_and_the_chain_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store
            .audit()
            .append(vec![draft(1, "p1", "x")])
            .expect("append");
        let s = Suggestion {
            id: suggestion_id("p1", "kisi", &action(1)),
            property: "p1".into(),
            system: "kisi".into(),
            action: action(1),
            colour: Colour::Green,
            reason: "r".into(),
            fingerprint: "f".into(),
            created_at: 5,
            state: SuggestionState::Pending,
            decided_by: None,
            decided_at: None,
            error: None,
        };
        store.suggestions().put(&s).expect("put");
        store
            .overrides()
            .put(&Override {
                property: "p1".into(),
                person_id: "r1".into(),
                force_status: Some(LeaseStatus::Past),
                add_groups: Default::default(),
                remove_groups: Default::default(),
                set_by: "m".into(),
                set_at: 1,
                note: None,
            })
            .expect("override");
        store
            .intents()
            .begin("p1", "kisi", &action(2), 9)
            .expect("intent");
        store.lost().add("p1", "r1", "*", "m", 3).expect("lost");
        let marks: BTreeMap<String, StatusMark> = [(
            "r1".to_string(),
            StatusMark {
                status: LeaseStatus::Current,
                unit: Some("101".into()),
                since: 7,
            },
        )]
        .into();
        store.tracker().save("p1", &marks).expect("marks");
        store.meta().put("feed_size:p1", &12usize).expect("meta");
        store.flush().expect("flush");
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.suggestions().count_pending("p1").expect("count"), 1);
    assert_eq!(
        store
            .overrides()
            .get("p1", "r1")
            .expect("get")
            .expect("override")
            .force_status,
        Some(LeaseStatus::Past)
    );
    assert_eq!(store.intents().unresolved().expect("intents").len(), 1);
    assert!(store.lost().for_property("p1").expect("lost")["r1"].contains("*"));
    assert_eq!(store.tracker().load("p1").expect("marks")["r1"].since, 7);
    assert_eq!(
        store.meta().get::<usize>("feed_size:p1").expect("meta"),
        Some(12)
    );
    let next = store
        .audit()
        .append(vec![draft(2, "p1", "y")])
        .expect("append");
    assert_eq!(next[0].seq, 2);
    assert!(store.audit().verify().expect("verify").ok());
}

#[test]
fn concurrent_appends_keep_the_chain_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .audit()
                        .append(vec![draft(i, &format!("p{t}"), "x")])
                        .expect("append");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let report = store.audit().verify().expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.entries, 100);
}

#[test]
fn unknown_record_versions_are_errors_not_panics() {
    let err =
        decode::<Suggestion>("suggestions", b"k", br#"{"v":99,"data":{}}"#).expect_err("version");
    assert!(err.to_string().contains("version 99"), "{err}");
    assert!(decode::<Suggestion>("suggestions", b"k", b"not json").is_err());
}

#[test]
fn suggestion_ids_are_stable() {
    assert_eq!(
        suggestion_id("p1", "kisi", &action(1)),
        suggestion_id("p1", "kisi", &action(1))
    );
    assert_ne!(
        suggestion_id("p1", "kisi", &action(1)),
        suggestion_id("p2", "kisi", &action(1))
    );
    assert_eq!(suggestion_id("p1", "kisi", &action(1)).len(), 16);
}

#[test]
fn csv_export_quotes_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let entries = store
        .audit()
        .append(vec![draft(1, "p1", "x")])
        .expect("append");
    let mut out = Vec::new();
    write_csv(&entries, &mut out).expect("csv");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("\"Ada, \"\"the\"\" resident\""), "{text}");
    assert_eq!(text.lines().count(), 2);
}
