//! The `events` tree: accepted, duplicate, conflict, replay; durable across a reopen; marks pruned.

use crate::model::{Event, EventBody, VisitFields, VisitStep};
use crate::store::{AcceptError, EventRequest, Store, Verdict};

fn event(id: &str, name: &str) -> Event {
    Event {
        id: id.into(),
        property: "p1".into(),
        time: 1_000,
        body: EventBody::Visit {
            step: VisitStep::SignedIn,
            visit: VisitFields {
                visitor: "v1".into(),
                name: Some(name.into()),
                ..VisitFields::default()
            },
        },
    }
}

fn accept(
    store: &Store,
    signature: &str,
    events: &[Event],
    now: i64,
) -> Result<Vec<(String, Verdict)>, AcceptError> {
    let req = EventRequest {
        source: "frontdesk",
        sender: "script",
        signature,
        timestamp: now,
        events,
    };
    store
        .events()
        .accept(&req, now, |_| Ok::<(), AcceptError>(()))
}

#[test]
fn accepted_then_duplicate_then_conflict_then_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let v = accept(&store, "sig-1", &[event("e1", "Ada")], 1_000).expect("accept");
    assert_eq!(v, [("e1".to_string(), Verdict::Accepted)]);
    let v = accept(
        &store,
        "sig-2",
        &[event("e1", "Ada"), event("e2", "Ada")],
        1_001,
    )
    .expect("accept");
    assert_eq!(
        v,
        [
            ("e1".to_string(), Verdict::Duplicate),
            ("e2".to_string(), Verdict::Accepted)
        ]
    );
    let e = accept(
        &store,
        "sig-3",
        &[event("e3", "Ada"), event("e1", "Bob")],
        1_002,
    )
    .expect_err("conflict");
    assert!(
        matches!(e, AcceptError::Conflict { ref id } if id == "e1"),
        "{e}"
    );
    assert!(
        store
            .events()
            .for_property("frontdesk", "p1")
            .expect("read")
            .len()
            == 2,
        "a refused request stores nothing, not even its other events"
    );
    let e = accept(&store, "sig-2", &[event("e4", "Ada")], 1_003).expect_err("replay");
    assert!(matches!(e, AcceptError::Replay), "{e}");
}

#[test]
fn events_and_replay_marks_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        accept(&store, "sig-1", &[event("e1", "Ada")], 1_000).expect("accept");
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        store
            .events()
            .for_property("frontdesk", "p1")
            .expect("read"),
        [event("e1", "Ada")]
    );
    assert!(store
        .events()
        .for_property("frontdesk", "p2")
        .expect("read")
        .is_empty());
    assert!(store
        .events()
        .for_property("other", "p1")
        .expect("read")
        .is_empty());
    let e = accept(&store, "sig-1", &[event("e2", "Ada")], 1_010).expect_err("replay");
    assert!(matches!(e, AcceptError::Replay), "{e}");
}

#[test]
fn old_replay_marks_are_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    accept(&store, "sig-1", &[event("e1", "Ada")], 1_000).expect("accept");
    assert_eq!(store.events().marks().expect("marks"), 1);
    accept(&store, "sig-2", &[event("e2", "Ada")], 1_000 + 601).expect("accept");
    assert_eq!(store.events().marks().expect("marks"), 1, "sig-1 pruned");
}

#[test]
fn a_failure_before_storing_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let req = EventRequest {
        source: "frontdesk",
        sender: "script",
        signature: "sig-1",
        timestamp: 1_000,
        events: &[event("e1", "Ada")],
    };
    let e = store.events().accept(&req, 1_000, |new| {
        assert_eq!(new.len(), 1);
        Err(AcceptError::Replay)
    });
    assert!(e.is_err());
    assert!(store
        .events()
        .for_property("frontdesk", "p1")
        .expect("read")
        .is_empty());
    accept(&store, "sig-1", &[event("e1", "Ada")], 1_000).expect("the resend is accepted");
}
