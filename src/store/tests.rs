//! Store tests: shared fixtures, and raw sled access for tampering (tests only).

mod anchor;
mod audit;
mod events;
mod records;
mod tamper;

use super::*;
use crate::model::{Action, Window};
use std::path::Path;

pub(super) fn draft(i: i64, property: &str, action: &str) -> AuditDraft {
    AuditDraft {
        time: 1_000 + i,
        portfolio: "acme".into(),
        property: Some(property.into()),
        person_id: Some(format!("r{i}")),
        person_name: Some("Ada, \"the\" resident".into()),
        system: Some("kisi".into()),
        action: action.into(),
        object: "Unit 101".into(),
        reason: "lease became current".into(),
        actor: "controller".into(),
        mode: Some("automatic".into()),
        outcome: Outcome::Applied,
        attempts: 1,
        error: None,
    }
}

pub(super) fn action(i: u32) -> Action {
    Action::AddToGroup {
        external_id: format!("lockstep:y:{i}"),
        person_id: i.to_string(),
        group: "Unit 1".into(),
        window: Window::OPEN,
    }
}

pub(super) fn open(dir: &Path) -> Store {
    Store::open(dir).expect("open store")
}

/// Opens the database under `dir` with sled directly (the store must be closed) and hands one
/// tree to `f`: the only way tests get at raw records.
pub(super) fn with_raw_tree(dir: &Path, tree: &str, f: impl FnOnce(&sled::Tree)) {
    let db = sled::open(dir.join("db")).expect("raw sled");
    let t = db.open_tree(tree).expect("tree");
    f(&t);
    db.flush().expect("flush");
}

#[test]
fn store_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<Store>();
}

#[test]
fn open_creates_the_directory_and_names_it_on_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a/b/data");
    let store = open(&nested);
    assert_eq!(store.dir(), nested);
    drop(store);
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let err = Store::open(&file).expect_err("a file is not a data dir");
    assert_eq!(err.kind(), "open");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn a_second_open_is_refused_as_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = open(dir.path());
    let err = Store::open(dir.path()).expect_err("locked");
    assert_eq!(err.kind(), "locked", "{err}");
    let text = err.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("in use by"), "{text}");
}

#[test]
fn clones_share_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path());
    let b = a.clone();
    a.meta().put("k", &"v").expect("put");
    assert_eq!(
        b.meta().get::<String>("k").expect("get").as_deref(),
        Some("v")
    );
    assert!(
        b.meta().get::<u32>("k").is_err(),
        "wrong shape is a decode error"
    );
    b.meta().remove("k").expect("remove");
    assert_eq!(a.meta().get::<String>("k").expect("get"), None);
}
