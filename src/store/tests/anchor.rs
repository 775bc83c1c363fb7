//! Tampering an adversary without the signing key can do, and which only checkpoints reveal:
//! a wiped store, a cut tail with its head record rewritten, a full re-hash around a forged
//! entry, a deleted middle entry, re-ordered entries; plus forged and reset checkpoints.

use super::{draft, open, with_raw_tree};
use crate::store::audit::{decode_entry, entry_key, Head, GENESIS, HEAD_KEY};
use crate::store::codec::encode;
use crate::store::*;
use std::path::Path;

const SEED: &str = "4c6f636b737465702074657374206b6579206e6f7420666f72207573652121ff";

fn key() -> AuditKey {
    AuditKey::from_hex(SEED).expect("key")
}

/// A store of `n` entries and checkpoints signed after entry `at[i]` was appended.
fn log_with_checkpoints(dir: &Path, n: u64, at: &[u64]) -> Vec<Located> {
    let store = open(dir);
    let mut out = Vec::new();
    for i in 1..=n {
        store
            .audit()
            .append(vec![draft(i as i64, "p1", "add_to_group")])
            .expect("append");
        if at.contains(&i) {
            let cp = store
                .audit()
                .checkpoint(&key(), "acme", 2_000 + i as i64)
                .expect("sign");
            out.push(Located {
                source: "checkpoints.jsonl".into(),
                line: out.len() + 1,
                checkpoint: cp,
            });
        }
    }
    out
}

fn entries(t: &sled::Tree) -> Vec<AuditEntry> {
    t.range(entry_key(1)..=entry_key(u64::MAX))
        .map(|kv| {
            let (k, v) = kv.expect("read");
            decode_entry(&k, &v).expect("decode")
        })
        .collect()
}

/// What an attacker with write access to `data_dir` but not the key does after changing the
/// entries: renumber, re-link and re-hash them all and write a matching head record, so the
/// plain chain check passes.
fn rewrite_chain(t: &sled::Tree, mut list: Vec<AuditEntry>) {
    for old in entries(t) {
        t.remove(entry_key(old.seq)).expect("remove");
    }
    let mut prev = GENESIS.to_string();
    for (i, e) in list.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
        e.prev_hash = prev;
        e.hash = e.compute_hash().expect("hash");
        prev = e.hash.clone();
        t.insert(entry_key(e.seq), encode("audit", e).expect("encode"))
            .expect("insert");
    }
    let head = Head {
        seq: list.len() as u64,
        hash: prev,
    };
    t.insert(HEAD_KEY, encode("audit", &head).expect("encode"))
        .expect("head");
}

/// Verifies the store in `dir` the way `audit verify` does, never creating it.
fn verify(dir: &Path, checkpoints: &[Located]) -> AnchoredReport {
    let (chain, seen) = match Store::open_existing(dir).expect("open") {
        Some(store) => store
            .audit()
            .verify_seeing(&anchor_seqs(checkpoints))
            .expect("verify"),
        None => (
            VerifyReport {
                entries: 0,
                first_problem: None,
            },
            Seen::new(),
        ),
    };
    check_anchors(&chain, &seen, checkpoints, key().public())
}

#[test]
fn a_clean_log_verifies_and_says_how_far() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cps = log_with_checkpoints(dir.path(), 5, &[2, 5]);
    let report = verify(dir.path(), &cps);
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.checkpoints, 2);
    let reach = report.reach();
    assert!(reach.starts_with("verified entries 1..5 against checkpoints.jsonl:2 (checkpoint seq 5 signed at 1970-01-01T00:33:25Z)"), "{reach}");

    let partly = verify(dir.path(), &cps[..1]);
    assert!(partly.ok(), "{partly:?}");
    assert!(
        partly
            .reach()
            .contains("entries 3..5 are newer than that checkpoint"),
        "{}",
        partly.reach()
    );
}

#[test]
fn each_rewrite_that_keeps_the_chain_intact_is_caught_by_a_checkpoint() {
    type Tamper = fn(&sled::Tree);
    let cases: [(&str, Tamper, &str); 4] = [
        (
            "tail cut with head rewrite",
            |t| {
                let list = entries(t);
                rewrite_chain(t, list[..3].to_vec());
            },
            "the log ends at entry 3, but 4 had been written when this was signed (entry 4 removed)",
        ),
        (
            "full re-hash around a forged entry",
            |t| {
                let mut list = entries(t);
                list[2].reason = "nothing to see here".into();
                list[2].person_id = Some("someone-else".into());
                rewrite_chain(t, list);
            },
            "entry 4 does not match the signed head",
        ),
        (
            "deleted middle entry",
            |t| {
                let mut list = entries(t);
                list.remove(2);
                rewrite_chain(t, list);
            },
            "entry 4 does not match the signed head",
        ),
        (
            "re-ordered entries",
            |t| {
                let mut list = entries(t);
                list.swap(1, 2);
                rewrite_chain(t, list);
            },
            "entry 4 does not match the signed head",
        ),
    ];
    for (name, tamper, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let cps = log_with_checkpoints(dir.path(), 5, &[1, 4, 5]);
        with_raw_tree(dir.path(), "audit", tamper);
        let plain = open(dir.path()).audit().verify().expect("verify");
        assert!(
            plain.ok(),
            "{name}: the chain alone cannot see it: {plain:?}"
        );
        let report = verify(dir.path(), &cps);
        assert!(!report.ok(), "{name}: not detected: {report:?}");
        let problem = report.problems.join("; ");
        assert!(problem.contains(expected), "{name}: {problem}");
        assert_eq!(
            report.checkpoints, 1,
            "{name}: the seq 1 checkpoint still holds"
        );
    }
}

#[test]
fn a_wiped_store_is_caught_and_not_recreated() {
    for wipe in ["the data dir", "the database files"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let cps = log_with_checkpoints(&data, 3, &[3]);
        if wipe == "the data dir" {
            std::fs::remove_dir_all(&data).expect("wipe");
        } else {
            std::fs::remove_file(data.join("db/db")).expect("wipe");
        }
        let report = verify(&data, &cps);
        let problem = report.problems.join("; ");
        assert!(
            problem.contains("the log holds no entries, but 3 had been written"),
            "{wipe}: {problem}"
        );
        assert_eq!(
            data.exists(),
            wipe != "the data dir",
            "{wipe}: verify must not create a store"
        );
        assert!(!data.join("db/db").exists(), "{wipe}: nothing re-created");
    }
}

#[test]
fn forged_and_reset_checkpoints_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cps = log_with_checkpoints(dir.path(), 4, &[2, 4]);

    let mut altered = cps.clone();
    altered[1].checkpoint.seq = 3;
    let problem = verify(dir.path(), &altered).problems.join("; ");
    assert!(
        problem.contains("checkpoints.jsonl:2 (checkpoint seq 3")
            && problem.contains("signature does not verify"),
        "{problem}"
    );

    let other = AuditKey::from_hex(&"11".repeat(32)).expect("key");
    let mut forged = cps.clone();
    forged[1].checkpoint = other.sign("acme", 4, &"ab".repeat(32), 9);
    let problem = verify(dir.path(), &forged).problems.join("; ");
    assert!(problem.contains("not the trusted key"), "{problem}");

    let mut reset = cps.clone();
    reset.swap(0, 1);
    (reset[0].line, reset[1].line) = (1, 2);
    let problem = verify(dir.path(), &reset).problems.join("; ");
    assert!(problem.contains("seq goes back from 4"), "{problem}");
}

#[test]
fn an_export_bundle_verifies_alone_and_a_forged_one_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cps = log_with_checkpoints(dir.path(), 4, &[4]);
    let store = open(dir.path());
    let mut bundle = Vec::new();
    store
        .audit()
        .export(&AuditFilter::default(), ExportFormat::Jsonl, &mut bundle)
        .expect("export");
    write_checkpoint_lines(&cps, &mut bundle).expect("checkpoints");
    let text = String::from_utf8(bundle).expect("utf8");

    let check = |text: &str| {
        let b = parse_export("export.jsonl", text).expect("parse");
        let (chain, seen) = walk_entries(b.entries, &anchor_seqs(&b.checkpoints));
        check_anchors(&chain, &seen, &b.checkpoints, key().public())
    };
    let good = check(&text);
    assert!(good.ok(), "{good:?}");
    assert!(good.reach().contains("export.jsonl:5"), "{}", good.reach());

    let mut lines: Vec<AuditEntry> = text
        .lines()
        .take(4)
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    lines[1].object = "Master key".into();
    let mut prev = GENESIS.to_string();
    let mut forged = String::new();
    for e in &mut lines {
        e.prev_hash = prev;
        e.hash = e.compute_hash().expect("hash");
        prev = e.hash.clone();
        forged.push_str(&serde_json::to_string(e).expect("json"));
        forged.push('\n');
    }
    forged.push_str(text.lines().last().expect("checkpoint line"));
    let bad = check(&forged);
    assert!(
        bad.problems.join("; ").contains("entry 4 does not match"),
        "{bad:?}"
    );

    let err = parse_export("export.jsonl", "{\"seq\":1}\n").expect_err("not an entry");
    assert!(
        err.to_string()
            .starts_with("export.jsonl:1: not an audit entry"),
        "{err}"
    );
}
