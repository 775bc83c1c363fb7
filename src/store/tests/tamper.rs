//! Tamper detection: `verify` on altered, deleted, re-linked, truncated and unreadable records.

use super::{draft, open, with_raw_tree};
use crate::store::audit::{decode_entry, entry_key, HEAD_KEY};
use crate::store::codec::encode;
use crate::store::*;

fn append_n(store: &Store, n: i64) -> Vec<AuditEntry> {
    let drafts = (1..=n).map(|i| draft(i, "p1", "add_to_group")).collect();
    store.audit().append(drafts).expect("append")
}

/// Rewrites entry `n` through `edit` and stores it with its hash recomputed, as a forger would.
fn forge(tree: &sled::Tree, n: u64, edit: impl FnOnce(&mut AuditEntry)) {
    let k = entry_key(n);
    let v = tree.get(k).expect("get").expect("entry");
    let mut entry = decode_entry(&k, &v).expect("decode");
    edit(&mut entry);
    entry.hash = entry.compute_hash().expect("hash");
    tree.insert(k, encode("audit", &entry).expect("encode"))
        .expect("insert");
}

#[test]
fn verify_finds_the_first_place_the_chain_is_broken() {
    type Tamper = fn(&sled::Tree);
    let cases: [(&str, Tamper, &str, u64); 9] = [
        (
            "altered",
            |t| {
                let v = t.get(entry_key(3)).expect("get").expect("entry");
                let text = String::from_utf8(v.to_vec())
                    .expect("utf8")
                    .replace("Unit 101", "Unit 102");
                t.insert(entry_key(3), text.as_bytes()).expect("insert");
            },
            "entry 3: hash mismatch (record altered)",
            2,
        ),
        (
            "deleted",
            |t| {
                t.remove(entry_key(3)).expect("remove");
            },
            "seq gap: 4 follows 2",
            2,
        ),
        (
            "relinked",
            |t| forge(t, 3, |e| e.reason = "nothing to see".into()),
            "entry 4: prev_hash does not match entry 3",
            3,
        ),
        (
            "first link",
            |t| forge(t, 1, |e| e.prev_hash = "ab".repeat(32)),
            "entry 1: prev_hash does not match the genesis hash",
            0,
        ),
        (
            "truncated",
            |t| {
                t.remove(entry_key(5)).expect("remove");
            },
            "the log ends at entry 4 but the head record says 5 entries were written",
            4,
        ),
        (
            "head removed",
            |t| {
                t.remove(HEAD_KEY).expect("remove");
            },
            "the head record is missing",
            5,
        ),
        (
            "extra entry",
            |t| {
                let v = t.get(entry_key(5)).expect("get").expect("entry");
                t.insert(entry_key(6), v).expect("insert");
                forge(t, 6, |e| {
                    e.seq = 6;
                    e.prev_hash = e.hash.clone();
                });
            },
            "entry 6 lies beyond the head record",
            5,
        ),
        (
            "garbage",
            |t| {
                t.insert(entry_key(2), &b"\xff not json"[..])
                    .expect("insert");
            },
            "record entry 2 in audit is unreadable",
            1,
        ),
        (
            "moved",
            |t| {
                let v = t.get(entry_key(4)).expect("get").expect("entry");
                t.insert(entry_key(3), v).expect("insert");
            },
            "entry 3: holds a record with seq 4",
            2,
        ),
    ];
    for (name, tamper, expected, good) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        append_n(&open(dir.path()), 5);
        with_raw_tree(dir.path(), "audit", tamper);
        let report = open(dir.path()).audit().verify().expect("verify");
        let problem = report.first_problem.clone().unwrap_or_default();
        assert!(problem.contains(expected), "{name}: {report:?}");
        assert_eq!(report.entries, good, "{name}: {report:?}");
    }
}

#[test]
fn a_cut_tail_stays_visible_after_a_restart_and_more_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    append_n(&open(dir.path()), 5);
    with_raw_tree(dir.path(), "audit", |t| {
        t.remove(entry_key(5)).expect("remove");
    });
    let store = open(dir.path());
    let next = store
        .audit()
        .append(vec![draft(6, "p1", "x")])
        .expect("append");
    assert_eq!(
        next[0].seq, 6,
        "the chain continues from the head record, not the cut"
    );
    let report = store.audit().verify().expect("verify");
    assert_eq!(
        report.first_problem.as_deref(),
        Some("seq gap: 6 follows 4")
    );
}

#[test]
fn unreadable_records_are_decode_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    append_n(&open(dir.path()), 3);
    with_raw_tree(dir.path(), "audit", |t| {
        t.insert(entry_key(2), &br#"{"v":7,"data":{"seq":2}}"#[..])
            .expect("insert");
    });
    let store = open(dir.path());
    match store.audit().range(&AuditFilter::default()) {
        Err(StoreError::Decode { tree, key, detail }) => {
            assert_eq!((tree, key.as_str()), ("audit", "entry 2"));
            assert!(detail.contains("version 7"), "{detail}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let mut lazy = store.audit().iter(&AuditFilter::default());
    assert!(matches!(lazy.next(), Some(Ok(_))));
    assert!(matches!(lazy.next(), Some(Err(StoreError::Decode { .. }))));
    assert!(lazy.next().is_none(), "iteration stops at the first error");
    assert!(!store.audit().verify().expect("verify").ok());
    let next = store
        .audit()
        .append(vec![draft(4, "p1", "x")])
        .expect("the head is intact");
    assert_eq!(next[0].seq, 4);
}

#[test]
fn an_unreadable_head_refuses_appends_but_still_opens_for_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    append_n(&open(dir.path()), 2);
    with_raw_tree(dir.path(), "audit", |t| {
        t.insert(entry_key(2), &b"junk"[..]).expect("insert");
        t.insert(HEAD_KEY, &b"junk"[..]).expect("insert");
    });
    let store = open(dir.path());
    let err = store
        .audit()
        .append(vec![draft(3, "p1", "x")])
        .expect_err("refused");
    assert_eq!(err.kind(), "decode", "{err}");
    let report = store.audit().verify().expect("verify");
    assert!(report
        .first_problem
        .expect("problem")
        .contains("head record is unreadable"));
}
