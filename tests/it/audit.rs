//! The audit log anchored outside the store, end to end: the daemon signs checkpoints (start,
//! shutdown, API), and `lockstep audit verify` — driven as a user would, through exit codes and
//! output — passes a clean log, and fails a wiped store, a cut tail and a forged checkpoint
//! without ever creating a store.

use crate::harness::*;
use std::path::Path;
use std::process::{Command, Output};

const KEY: &str = "8f2d4a6b1c3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run lockstep")
}

/// Standard output and error together, echoed so that `--nocapture` shows each case's result
/// (RELIABILITY.md quotes them).
fn text(out: &Output) -> String {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("exit {:?}: {all}", out.status.code());
    all
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Removes the newest entry and rewrites the head record to the one before, as someone with
/// write access to data_dir but without the key would: the chain alone stays consistent.
fn cut_tail(data: &Path) {
    let db = sled::open(data.join("db")).expect("raw sled");
    let tree = db.open_tree("audit").expect("tree");
    let key = |seq: u64| {
        let mut k = vec![b'e'];
        k.extend_from_slice(&seq.to_be_bytes());
        k
    };
    let (last, _) = tree
        .range(key(0)..=key(u64::MAX))
        .next_back()
        .expect("an entry")
        .expect("read");
    let seq = u64::from_be_bytes(last[1..].try_into().expect("key"));
    tree.remove(&last).expect("remove");
    let prev: serde_json::Value =
        serde_json::from_slice(&tree.get(key(seq - 1)).expect("get").expect("entry"))
            .expect("json");
    let head = serde_json::json!({"v": 1, "data": {"seq": seq - 1, "hash": prev["data"]["hash"]}});
    tree.insert(b"h", serde_json::to_vec(&head).expect("json"))
        .expect("head");
    db.flush().expect("flush");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_signed_served_and_catch_a_rewritten_log() {
    let anchor = tempfile::tempdir().expect("tempdir");
    let key_file = anchor.path().join("audit-key");
    std::fs::write(&key_file, format!("{KEY}\n")).expect("key");
    let cp_dir = anchor.path().join("checkpoints");
    let section = format!(
        "audit:\n  key: {{file: {}}}\n  checkpoint_dir: {}\n  checkpoint_interval: 1h\n",
        key_file.display(),
        cp_dir.display()
    );
    let setup = setup(10, 7, "0s", |y| format!("{y}{section}")).await;
    let daemon = setup.start().await;

    let (status, served) = daemon.get("/api/v1/audit/checkpoint").await;
    assert_eq!(status, 200, "{served}");
    let public = text(&lockstep(&[
        "audit",
        "public-key",
        "--key-file",
        s(&key_file),
    ]));
    assert_eq!(served["key"].as_str(), Some(public.trim()));
    let printed = lockstep(&[
        "audit",
        "checkpoint",
        "--server",
        &daemon.url,
        "--token",
        &daemon.token,
    ]);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed));
    let line: lockstep::store::Checkpoint =
        serde_json::from_slice(&printed.stdout).expect("one checkpoint as JSON");
    let trusted = lockstep::store::PublicKey::from_hex(public.trim()).expect("public key");
    assert_eq!(line.verify(&trusted), Ok(()));
    let metrics = daemon.metrics().await;
    let gauge = metrics
        .lines()
        .find(|l| l.starts_with("lockstep_audit_last_checkpoint_timestamp_seconds "))
        .expect("gauge");
    assert!(!gauge.ends_with(" 0"), "{gauge}");
    assert!(daemon.stop().success());

    let file = cp_dir.join("checkpoints.jsonl");
    let lines = std::fs::read_to_string(&file).expect("checkpoint file");
    assert!(lines.lines().count() >= 2, "start and shutdown: {lines}");
    let config = s(&setup.path);
    let ok = lockstep(&["audit", "verify", "--config", config]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("audit log ok: verified entries 1.."),
        "{}",
        text(&ok)
    );

    // An export carries its checkpoints and verifies alone, with only the public key.
    let export = anchor.path().join("export.jsonl");
    let out = lockstep(&[
        "audit",
        "export",
        "--config",
        config,
        "--format",
        "jsonl",
        "--include-checkpoints",
        "--output",
        s(&export),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let alone = lockstep(&[
        "audit",
        "verify",
        "--export",
        s(&export),
        "--public-key",
        public.trim(),
    ]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone));
    let unkeyed = lockstep(&["audit", "verify", "--export", s(&export)]);
    assert_eq!(unkeyed.status.code(), Some(64), "{}", text(&unkeyed));

    // A checkpoint altered by hand no longer verifies.
    let forged_file = anchor.path().join("forged.jsonl");
    let first = lines.lines().next().expect("a line");
    let mut cp: serde_json::Value = serde_json::from_str(first).expect("json");
    cp["seq"] = serde_json::json!(cp["seq"].as_u64().expect("seq") + 1000);
    std::fs::write(&forged_file, format!("{cp}\n")).expect("write");
    let data = setup.config.data_dir.clone();
    let key_args = ["--key-file", s(&key_file), "--data-dir", s(&data)];
    let forged = lockstep(
        &[
            &["audit", "verify", "--checkpoint", s(&forged_file)][..],
            &key_args,
        ]
        .concat(),
    );
    assert_eq!(forged.status.code(), Some(1), "{}", text(&forged));
    assert!(
        text(&forged).contains("signature does not verify"),
        "{}",
        text(&forged)
    );
    std::fs::write(&forged_file, "{\"seq\": \n").expect("write");
    let corrupt = lockstep(
        &[
            &["audit", "verify", "--checkpoint", s(&forged_file)][..],
            &key_args,
        ]
        .concat(),
    );
    assert_eq!(corrupt.status.code(), Some(1), "{}", text(&corrupt));
    assert!(
        text(&corrupt).contains("forged.jsonl:1: not a lockstep checkpoint"),
        "{}",
        text(&corrupt)
    );

    // Tail cut with the head rewritten: the chain alone passes, the checkpoint does not.
    cut_tail(&data);
    let plain = lockstep(&["audit", "verify", "--data-dir", s(&data)]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain));
    assert!(text(&plain).contains("NOT ANCHORED"), "{}", text(&plain));
    let cut = lockstep(&["audit", "verify", "--config", config]);
    assert_eq!(cut.status.code(), Some(1), "{}", text(&cut));
    assert!(text(&cut).contains("removed)"), "{}", text(&cut));

    // Wiped: verify fails, names the missing store, and creates nothing.
    std::fs::remove_dir_all(&data).expect("wipe");
    let wiped = lockstep(&["audit", "verify", "--config", config]);
    assert_eq!(wiped.status.code(), Some(1), "{}", text(&wiped));
    assert!(
        text(&wiped).contains("no audit store in"),
        "{}",
        text(&wiped)
    );
    assert!(
        text(&wiped).contains("the log holds no entries, but"),
        "{}",
        text(&wiped)
    );
    let bare = lockstep(&["audit", "verify", "--data-dir", s(&data)]);
    assert_eq!(bare.status.code(), Some(1), "{}", text(&bare));
    assert!(!data.exists(), "verify re-created the store");
}

#[test]
fn without_checkpoints_a_missing_checkpoint_file_or_store_is_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let out = lockstep(&[
        "audit",
        "verify",
        "--data-dir",
        s(&data),
        "--checkpoint",
        s(&dir.path().join("none.jsonl")),
        "--public-key",
        &"ab".repeat(32),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("none.jsonl does not exist"),
        "{}",
        text(&out)
    );
    assert!(!data.exists(), "verify created the data dir");
}
