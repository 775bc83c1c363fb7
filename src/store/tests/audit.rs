//! Audit log tests: append, the hash's canonical form, filters, restarts, concurrency, exports.

use super::{draft, open};
use crate::store::*;
use sha2::{Digest, Sha256};

fn append_n(store: &Store, n: i64) -> Vec<AuditEntry> {
    let drafts = (1..=n)
        .map(|i| draft(i, if i % 2 == 0 { "p2" } else { "p1" }, "add_to_group"))
        .collect();
    store.audit().append(drafts).expect("append")
}

fn seqs(entries: &[AuditEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

#[test]
fn append_numbers_links_and_hashes_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    assert!(store.audit().is_empty());
    assert_eq!(store.audit().append(Vec::new()).expect("empty"), Vec::new());
    let entries = append_n(&store, 4);
    assert_eq!(seqs(&entries), [1, 2, 3, 4]);
    assert_eq!(entries[0].prev_hash, GENESIS);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for e in &entries {
        assert_eq!(e.hash.len(), 64);
        assert_eq!(e.compute_hash().expect("hash"), e.hash);
    }
    assert_eq!(store.audit().len(), 4);
    assert_eq!(store.audit().last().expect("last"), entries.last().cloned());
    assert_eq!(
        store.audit().range(&AuditFilter::default()).expect("range"),
        entries
    );
}

#[test]
fn the_hash_is_sha256_of_the_documented_canonical_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let mut d = draft(1, "p1", "override_set");
    d.person_name = None;
    d.outcome = Outcome::Recorded;
    let entry = &store.audit().append(vec![d]).expect("append")[0];
    let canonical = format!(
        concat!(
            r#"{{"v":1,"seq":1,"time":1001,"portfolio":"acme","property":"p1","person_id":"r1","#,
            r#""person_name":null,"system":"kisi","action":"override_set","object":"Unit 101","#,
            r#""reason":"lease became current","actor":"controller","mode":"automatic","#,
            r#""outcome":"recorded","attempts":1,"error":null,"prev_hash":"{}"}}"#
        ),
        GENESIS
    );
    assert_eq!(
        entry.hash,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let json = serde_json::to_value(entry).expect("json");
    assert_eq!(json["seq"], 1);
    assert_eq!(json["outcome"], "recorded");
    assert_eq!(json["hash"], entry.hash.as_str());
}

#[test]
fn range_filters_narrow_and_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    append_n(&store, 10);
    let mut d = draft(3, "p1", "guard_tripped");
    d.person_id = None;
    store.audit().append(vec![d]).expect("append");
    let q = |f: AuditFilter| seqs(&store.audit().range(&f).expect("range"));
    assert_eq!(
        q(AuditFilter {
            property: Some("p2".into()),
            ..Default::default()
        }),
        [2, 4, 6, 8, 10]
    );
    assert_eq!(
        q(AuditFilter {
            person: Some("r7".into()),
            ..Default::default()
        }),
        [7]
    );
    assert_eq!(
        q(AuditFilter {
            action: Some("guard_tripped".into()),
            ..Default::default()
        }),
        [11]
    );
    assert_eq!(
        q(AuditFilter {
            from: Some(1_003),
            to: Some(1_005),
            ..Default::default()
        }),
        [3, 4, 5, 11]
    );
    let page = |after| AuditFilter {
        after_seq: after,
        limit: Some(4),
        ..Default::default()
    };
    assert_eq!(q(page(None)), [1, 2, 3, 4]);
    assert_eq!(q(page(Some(4))), [5, 6, 7, 8]);
    assert_eq!(q(page(Some(8))), [9, 10, 11]);
    assert_eq!(q(page(Some(u64::MAX))), Vec::<u64>::new());
    let combined = AuditFilter {
        property: Some("p1".into()),
        from: Some(1_004),
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(q(combined.clone()), [5, 7]);
    let lazy: Vec<u64> = store
        .audit()
        .iter(&combined)
        .map(|e| e.expect("entry").seq)
        .collect();
    assert_eq!(lazy, [5, 7]);
}

#[test]
fn verify_passes_on_an_empty_and_a_fresh_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let report = store.audit().verify().expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.entries, 0);
    append_n(&store, 7);
    let report = store.audit().verify().expect("verify");
    assert_eq!(
        report,
        VerifyReport {
            entries: 7,
            first_problem: None
        }
    );
}

#[test]
fn the_chain_continues_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = append_n(&open(dir.path()), 3);
    let store = open(dir.path());
    assert_eq!(store.audit().len(), 3);
    assert_eq!(store.audit().last().expect("last").as_ref(), first.last());
    let next = store
        .audit()
        .append(vec![draft(9, "p1", "config_reload")])
        .expect("append");
    assert_eq!(next[0].seq, 4);
    assert_eq!(next[0].prev_hash, first[2].hash);
    assert_eq!(store.audit().verify().expect("verify").entries, 4);
    assert!(store.audit().verify().expect("verify").ok());
}

#[test]
fn concurrent_appends_keep_seq_contiguous() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..20 {
                    let batch = (0..=(i % 3))
                        .map(|j| draft(i + j, &format!("p{t}"), "x"))
                        .collect();
                    let got = store.audit().append(batch).expect("append");
                    let s = seqs(&got);
                    assert!(
                        s.windows(2).all(|w| w[1] == w[0] + 1),
                        "a batch is contiguous: {s:?}"
                    );
                    mine.extend(s);
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    all.sort_unstable();
    let total = all.len() as u64;
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    let report = store.audit().verify().expect("verify");
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.entries, store.audit().len()), (total, total));
}

#[test]
fn exports_quote_csv_and_write_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let mut d = draft(1, "p1", "add_to_group");
    d.time = 1_714_564_800;
    d.reason = "line one\nline two".into();
    d.error = Some("HTTP 500, \"oops\"".into());
    let entries = store
        .audit()
        .append(vec![d, draft(2, "p2", "x")])
        .expect("append");
    let mut csv = Vec::new();
    write_csv(&entries, &mut csv).expect("csv");
    let text = String::from_utf8(csv.clone()).expect("utf8");
    let rows: Vec<&str> = text.split("\r\n").collect();
    assert!(rows[0].starts_with("seq,time,portfolio,property,person_id,person_name,system,action"));
    assert!(
        rows[1]
            .starts_with("1,2024-05-01T12:00:00Z,acme,p1,r1,\"Ada, \"\"the\"\" resident\",kisi,"),
        "{text}"
    );
    assert!(rows[1].contains(",\"line one\nline two\","), "{text}");
    assert!(
        rows[1].contains(",applied,1,\"HTTP 500, \"\"oops\"\"\","),
        "{text}"
    );
    assert_eq!(rows.len(), 4, "header, two rows, trailing empty: {rows:?}");
    let mut streamed = Vec::new();
    let n = store
        .audit()
        .export(&AuditFilter::default(), ExportFormat::Csv, &mut streamed);
    assert_eq!((n.expect("export"), streamed), (2, csv));

    let mut jsonl = Vec::new();
    ExportFormat::Jsonl
        .write(&entries, &mut jsonl)
        .expect("jsonl");
    let parsed: Vec<AuditEntry> = String::from_utf8(jsonl)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one entry per line"))
        .collect();
    assert_eq!(parsed, entries);
}
