//! Reading files: file and directory mode, and every way a file can look half-written or missing
//! (never a shorter list). Modification times are set explicitly and `now` is passed in.

use super::*;
use crate::config::Endpoint;
use std::time::{Duration, SystemTime};

const T0: u64 = 1_790_000_000;

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn config(path: &Path) -> CsvConfig {
    CsvConfig {
        endpoint: Endpoint {
            url: format!("file:{}", path.display()),
            timeout: Duration::from_secs(30),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        path: path.to_path_buf(),
        settle: Duration::from_secs(2),
        delimiter: b',',
        poll_interval: Duration::from_secs(5),
    }
}

/// Writes `text` to `path` with the modification time `mtime`.
fn write(path: &Path, text: &[u8], mtime: SystemTime) {
    std::fs::write(path, text).expect("write");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(mtime).expect("set mtime");
}

fn read_at(
    cfg: &CsvConfig,
    property: &str,
    now: SystemTime,
) -> Result<SourceSnapshot, SourceError> {
    read("staff-sheet", cfg, property, now)
}

fn detail(e: &SourceError) -> String {
    match e {
        SourceError::Incomplete { detail, .. }
        | SourceError::Payload { detail, .. }
        | SourceError::Fault { detail, .. } => detail.clone(),
        SourceError::Net(n) => n.to_string(),
    }
}

/// The error of a read that must fail, with its kind.
fn failure(cfg: &CsvConfig, property: &str, now: SystemTime) -> (&'static str, String) {
    match read_at(cfg, property, now) {
        Ok(s) => panic!("expected a failure, got {s:?}"),
        Err(e) => (e.kind(), detail(&e)),
    }
}

#[test]
fn file_mode_reads_every_row_for_any_property() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"id,name\na,Ana\nb,Ben\n", t(T0));
    let cfg = config(&path);
    for property in ["p1", "p2"] {
        let s = read_at(&cfg, property, t(T0 + 60)).expect("read");
        assert_eq!(ids(&s), ["a", "b"]);
    }
}

#[test]
fn file_mode_with_a_property_column_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"property,id,name\np1,a,Ana\np2,b,Ben\n", t(T0));
    let cfg = config(&path);
    assert_eq!(ids(&read_at(&cfg, "p1", t(T0 + 60)).expect("p1")), ["a"]);
    assert_eq!(ids(&read_at(&cfg, "p2", t(T0 + 60)).expect("p2")), ["b"]);
}

#[test]
fn directory_mode_reads_the_property_s_own_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("p1.csv"), b"id,name\na,Ana\n", t(T0));
    write(&dir.path().join("p2.csv"), b"id,name\nb,Ben\nc,Cy\n", t(T0));
    let cfg = config(dir.path());
    assert_eq!(ids(&read_at(&cfg, "p1", t(T0 + 60)).expect("p1")), ["a"]);
    assert_eq!(
        ids(&read_at(&cfg, "p2", t(T0 + 60)).expect("p2")),
        ["b", "c"]
    );
    let (kind, d) = failure(&cfg, "p3", t(T0 + 60));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("p3.csv does not exist"), "{d}");
    for bad in ["..", "../p1", "a/b", ""] {
        let (kind, d) = failure(&cfg, bad, t(T0 + 60));
        assert_eq!(kind, "payload", "{bad:?}");
        assert!(d.contains("cannot name a file"), "{d}");
    }
}

#[test]
fn a_missing_file_is_incomplete_never_nobody() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(&dir.path().join("gone.csv"));
    let (kind, d) = failure(&cfg, "p1", t(T0));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("gone.csv does not exist"), "{d}");
}

#[test]
fn a_last_line_without_its_newline_is_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"id,name\na,Ana\nb,Be", t(T0));
    let cfg = config(&path);
    let (kind, d) = failure(&cfg, "p1", t(T0 + 60));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("no terminating newline"), "{d}");
    write(&path, b"id,name\na,Ana\nb,Ben\r\n", t(T0));
    assert_eq!(
        ids(&read_at(&cfg, "p1", t(T0 + 60)).expect("whole")),
        ["a", "b"]
    );
}

#[test]
fn a_file_modified_within_settle_is_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"id,name\na,Ana\n", t(T0));
    let mut cfg = config(&path);
    let (kind, d) = failure(&cfg, "p1", t(T0 + 1));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("modified 1s ago, within settle (2s)"), "{d}");
    assert!(
        read_at(&cfg, "p1", t(T0 + 2)).is_ok(),
        "settled at exactly 2s"
    );
    let (kind, d) = failure(&cfg, "p1", t(T0 - 10));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("in the future"), "{d}");
    cfg.settle = Duration::ZERO;
    assert!(read_at(&cfg, "p1", t(T0)).is_ok(), "settle 0 turns it off");
}

#[test]
fn an_empty_file_is_incomplete_but_a_header_alone_is_an_empty_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"", t(T0));
    let cfg = config(&path);
    let (kind, d) = failure(&cfg, "p1", t(T0 + 60));
    assert_eq!(kind, "incomplete");
    assert!(d.contains("is empty, not even a header"), "{d}");
    write(&path, b"id,name\n", t(T0));
    let s = read_at(&cfg, "p1", t(T0 + 60)).expect("header only");
    assert_eq!(s.listed(), 0, "left to the completeness gate");
}

#[test]
fn a_bad_header_is_a_payload_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"id,nom\na,Ana\n", t(T0));
    let (kind, d) = failure(&config(&path), "p1", t(T0 + 60));
    assert_eq!(kind, "payload");
    assert!(
        d.starts_with(&format!(
            "{} line 1: unknown column \"nom\"",
            path.display()
        )),
        "{d}"
    );
}

#[test]
fn a_directory_given_as_a_file_in_directory_mode_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("p1.csv")).expect("mkdir");
    let (kind, d) = failure(&config(dir.path()), "p1", t(T0 + 60));
    assert!(kind == "payload" || kind == "fault", "{kind}: {d}");
    assert!(d.contains("p1.csv"), "{d}");
}

#[tokio::test]
async fn the_source_built_from_config_fetches_through_the_trait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    write(&path, b"id,name,kind\na,Ana,vendor\n", t(T0));
    let cfg = crate::config::SourceConfig::Csv(config(&path));
    let metrics = crate::metrics::Metrics::new();
    let store = crate::store::Store::open(&dir.path().join("data")).expect("store");
    let source = crate::source::build("staff-sheet", &cfg, &metrics, &store).expect("build");
    assert_eq!(source.kind(), "csv");
    let s = source.fetch("p1").await.expect("fetch");
    assert_eq!(s.people[0].role.as_deref(), Some("vendor"));
    std::fs::remove_file(&path).expect("rm");
    let e = source.fetch("p1").await.expect_err("missing");
    assert_eq!(e.kind(), "incomplete");
    assert!(
        e.to_string()
            .starts_with("staff-sheet: property p1: incomplete feed:"),
        "{e}"
    );
}
