//! Tests of the other trees: suggestions, overrides, intents, status marks, lost credentials.

use super::{action, draft, open, with_raw_tree};
use crate::model::LeaseStatus;
use crate::store::*;
use std::collections::{BTreeMap, BTreeSet};

fn suggestion(property: &str, i: u32, created_at: i64, state: SuggestionState) -> Suggestion {
    let a = action(i);
    Suggestion {
        id: suggestion_id(property, a.external_id(), [("kisi", &a)]),
        property: property.into(),
        person: a.external_id().into(),
        person_id: a.person_id().into(),
        name: format!("Person {i}"),
        unit: Some("1".into()),
        kind: "resident".into(),
        steps: vec![Step {
            system: "kisi".into(),
            describe: "add to \"Unit 1\"".into(),
            action: a.clone(),
            result: None,
        }],
        colour: Colour::Green,
        reason: "lease became current".into(),
        created_at,
        state,
        decided_by: None,
        decided_at: None,
        error: None,
        replaced_by: None,
    }
}

fn override_of(property: &str, person: &str) -> Override {
    Override {
        property: property.into(),
        person_id: person.into(),
        force_status: Some(LeaseStatus::Past),
        add_groups: BTreeSet::new(),
        remove_groups: ["Gym".to_string()].into(),
        set_by: "manager".into(),
        set_at: 1,
        note: Some("moved out early".into()),
    }
}

fn mark(status: LeaseStatus, since: i64) -> StatusMark {
    StatusMark {
        status,
        unit: Some("101".into()),
        since,
        ends: Default::default(),
    }
}

const PINNED_ID: &str = "7ab3c7f4e5fbe77c";

#[test]
fn suggestion_ids_are_stable_and_distinct() {
    let (a1, a2) = (action(1), action(2));
    let id = suggestion_id("p1", "lockstep:y:1", [("kisi", &a1)]);
    // Pinned: ids are stored and shown to managers, so they must not change between builds.
    assert_eq!(id, PINNED_ID);
    assert_eq!(id, suggestion_id("p1", "lockstep:y:1", [("kisi", &a1)]));
    assert_ne!(id, suggestion_id("p2", "lockstep:y:1", [("kisi", &a1)]));
    assert_ne!(id, suggestion_id("p1", "lockstep:y:1", [("brivo", &a1)]));
    assert_ne!(id, suggestion_id("p1", "lockstep:y:1", [("kisi", &a2)]));
    // A change of the person's steps is a different suggestion.
    assert_ne!(
        id,
        suggestion_id("p1", "lockstep:y:1", [("kisi", &a1), ("kisi", &a2)])
    );
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn suggestions_are_listed_sorted_and_filtered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let s = store.suggestions();
    s.put_many(&[
        suggestion("p2", 1, 5, SuggestionState::Pending),
        suggestion("p1", 2, 9, SuggestionState::Pending),
        suggestion("p1", 3, 1, SuggestionState::Discarded),
        suggestion("p1", 4, 9, SuggestionState::Pending),
    ])
    .expect("put_many");
    let key = |list: Vec<Suggestion>| -> Vec<(String, i64)> {
        list.into_iter()
            .map(|s| (s.property, s.created_at))
            .collect()
    };
    let all = key(s.list(None, None).expect("list"));
    assert_eq!(
        all,
        [
            ("p1".into(), 1),
            ("p1".into(), 9),
            ("p1".into(), 9),
            ("p2".into(), 5)
        ]
    );
    let pending = s
        .list(Some("p1"), Some(SuggestionState::Pending))
        .expect("list");
    assert_eq!(pending.len(), 2);
    assert!(pending[0].id < pending[1].id, "ties broken by id");
    assert_eq!(s.count_pending("p1").expect("count"), 2);

    let mut decided = pending[0].clone();
    decided.state = SuggestionState::Approved;
    decided.decided_by = Some("manager".into());
    s.put(&decided).expect("put");
    assert_eq!(s.get(&decided.id).expect("get"), Some(decided.clone()));
    assert_eq!(s.count_pending("p1").expect("count"), 1);
    s.remove(&decided.id).expect("remove");
    assert_eq!(s.get(&decided.id).expect("get"), None);
    assert_eq!(s.list(None, None).expect("list").len(), 3);
}

#[test]
fn overrides_are_scoped_by_property() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let o = store.overrides();
    for (p, person) in [("p1", "r1"), ("p1", "r2"), ("p10", "r1")] {
        o.put(&override_of(p, person)).expect("put");
    }
    assert_eq!(o.list(Some("p1")).expect("list").len(), 2, "p10 is not p1");
    assert_eq!(o.list(None).expect("list").len(), 3);
    assert_eq!(
        o.get("p1", "r1").expect("get"),
        Some(override_of("p1", "r1"))
    );
    assert_eq!(
        o.clear("p1", "r1").expect("clear"),
        Some(override_of("p1", "r1"))
    );
    assert_eq!(o.clear("p1", "r1").expect("clear"), None);
    assert_eq!(o.get("p1", "r1").expect("get"), None);
    let err = o.put(&override_of("bad\0property", "r1")).expect_err("NUL");
    assert_eq!(err.kind(), "encode");
}

#[test]
fn intents_journal_and_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let i = store.intents();
    let a = i.begin("p1", "kisi", &action(1), 10).expect("begin");
    let many = i
        .begin_many("p2", "kisi", &[action(2), action(3)], 11)
        .expect("begin");
    assert!(a < many[0] && many[0] < many[1], "ids only grow");
    i.note_attempt(a).expect("attempt");
    let open_now = i.unresolved().expect("unresolved");
    assert_eq!(
        open_now.iter().map(|x| x.id).collect::<Vec<_>>(),
        [a, many[0], many[1]]
    );
    assert_eq!(open_now[0].attempts, 1);
    assert_eq!(i.unresolved_for("p2").expect("for").len(), 2);
    i.resolve(a).expect("resolve");
    i.resolve_many(&many[..1]).expect("resolve");
    assert_eq!(
        i.unresolved()
            .expect("unresolved")
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        [many[1]]
    );
    assert!(i.unresolved_for("p1").expect("for").is_empty());
}

#[test]
fn tracker_save_replaces_a_propertys_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let t = store.tracker();
    let first: BTreeMap<String, StatusMark> = [
        ("r1".to_string(), mark(LeaseStatus::Current, 1)),
        ("r2".to_string(), mark(LeaseStatus::Future, 2)),
    ]
    .into();
    t.save("p1", &first).expect("save");
    t.save("p10", &first).expect("save");
    assert_eq!(t.load("p1").expect("load"), first);
    let second: BTreeMap<String, StatusMark> = [
        ("r2".to_string(), mark(LeaseStatus::Current, 5)),
        ("r3".to_string(), mark(LeaseStatus::Notice, 6)),
    ]
    .into();
    t.save("p1", &second).expect("save");
    assert_eq!(
        t.load("p1").expect("load"),
        second,
        "r1 is gone, r2 changed, r3 added"
    );
    assert_eq!(
        t.load("p10").expect("load"),
        first,
        "another property is untouched"
    );
    t.save("p1", &BTreeMap::new()).expect("save");
    assert!(t.load("p1").expect("load").is_empty());
}

#[test]
fn lost_credentials_accumulate_per_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let l = store.lost();
    l.add("p1", "r1", "fob-1", "manager", 1).expect("add");
    l.add("p1", "r1", "fob-2", "manager", 2).expect("add");
    l.add("p1", "r2", "*", "slack:ana", 3).expect("add");
    l.add("p10", "r1", "fob-9", "manager", 4).expect("add");
    let lost = l.for_property("p1").expect("lost");
    assert_eq!(lost.len(), 2);
    assert_eq!(
        lost["r1"],
        ["fob-1".to_string(), "fob-2".to_string()].into()
    );
    assert!(lost["r2"].contains("*"));
    l.clear("p1", "r1").expect("clear");
    assert!(!l.for_property("p1").expect("lost").contains_key("r1"));
    assert_eq!(l.for_property("p10").expect("lost").len(), 1);
}

#[test]
fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let intent_id;
    {
        let store = open(dir.path());
        store
            .audit()
            .append(vec![draft(1, "p1", "x")])
            .expect("append");
        store
            .suggestions()
            .put(&suggestion("p1", 1, 5, SuggestionState::Pending))
            .expect("put");
        store
            .overrides()
            .put(&override_of("p1", "r1"))
            .expect("override");
        intent_id = store
            .intents()
            .begin("p1", "kisi", &action(2), 9)
            .expect("intent");
        store.lost().add("p1", "r1", "*", "m", 3).expect("lost");
        let marks = [("r1".to_string(), mark(LeaseStatus::Current, 7))].into();
        store.tracker().save("p1", &marks).expect("marks");
        store.meta().put("feed_size:p1", &12usize).expect("meta");
        store.flush().expect("flush");
    }
    let store = open(dir.path());
    assert_eq!(store.suggestions().count_pending("p1").expect("count"), 1);
    assert_eq!(
        store.overrides().get("p1", "r1").expect("get"),
        Some(override_of("p1", "r1"))
    );
    assert_eq!(
        store.intents().unresolved().expect("intents")[0].id,
        intent_id
    );
    assert!(
        store
            .intents()
            .begin("p1", "kisi", &action(3), 10)
            .expect("begin")
            > intent_id
    );
    assert!(store.lost().for_property("p1").expect("lost")["r1"].contains("*"));
    assert_eq!(store.tracker().load("p1").expect("marks")["r1"].since, 7);
    assert_eq!(
        store.meta().get::<usize>("feed_size:p1").expect("meta"),
        Some(12)
    );
    assert_eq!(
        store
            .audit()
            .append(vec![draft(2, "p1", "y")])
            .expect("append")[0]
            .seq,
        2
    );
}

#[test]
fn records_of_an_unknown_version_are_decode_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = suggestion("p1", 1, 5, SuggestionState::Pending);
    {
        let store = open(dir.path());
        store.suggestions().put(&s).expect("put");
        store
            .overrides()
            .put(&override_of("p1", "r1"))
            .expect("put");
    }
    with_raw_tree(dir.path(), "person_suggestions", |t| {
        let v = t.get(s.id.as_bytes()).expect("get").expect("record");
        let text = String::from_utf8(v.to_vec())
            .expect("utf8")
            .replacen("\"v\":1", "\"v\":2", 1);
        t.insert(s.id.as_bytes(), text.as_bytes()).expect("insert");
    });
    with_raw_tree(dir.path(), "overrides", |t| {
        t.insert(&b"p1\0r1"[..], &b"{\"v\":1,\"data\":[]}"[..])
            .expect("insert");
    });
    let store = open(dir.path());
    match store.suggestions().get(&s.id) {
        Err(StoreError::Decode { tree, key, detail }) => {
            assert_eq!((tree, key.as_str()), ("person_suggestions", s.id.as_str()));
            assert!(detail.contains("version 2"), "{detail}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(store.suggestions().list(None, None).is_err());
    let err = store.overrides().get("p1", "r1").expect_err("corrupt");
    assert!(err.to_string().contains("p1/r1"), "the key is named: {err}");
}
