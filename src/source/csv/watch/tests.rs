//! The watcher: which properties a change brings forward, when sources are due, what is
//! forgotten, and the loop's trigger and cancellation. Modification times are set explicitly.

use super::*;
use crate::config::CsvConfig;
use std::path::Path;

const YAML: &str = "\
portfolio: acme
sources:
  sheet:
    type: csv
    path: PATH
    poll_interval: 10s
access_systems:
  k:
    type: kisi
    url: http://127.0.0.1:1/kisi
    api_key: k
properties:
  p1: { source: sheet, access_system: k }
  p2: { source: sheet, source_property_id: second, access_system: k }
";

struct NoEnv;
impl crate::config::Env for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
    fn read_file(&self, _: &Path) -> std::io::Result<String> {
        Err(std::io::ErrorKind::NotFound.into())
    }
}

fn config(path: &Path) -> Config {
    let yaml = YAML.replace("PATH", &path.display().to_string());
    Config::from_yaml_str(&yaml, &NoEnv).unwrap_or_else(|e| panic!("{e}"))
}

fn touch(path: &Path, text: &str, mtime_secs: u64) {
    std::fs::write(path, text).expect("write");
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs)))
        .expect("set mtime");
}

/// The wall clock of every round but the settle test's: long after every mtime set here.
fn late() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
}

fn changed(w: &mut Watcher, c: &Config, at: Instant) -> Vec<String> {
    w.poll(c, at, late()).into_values().flatten().collect()
}

#[test]
fn a_changed_file_triggers_every_property_reading_it_once_due() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    touch(&path, "id,name\n", 1_000);
    let c = config(&path);
    let start = Instant::now();
    let mut w = Watcher::default();
    assert!(
        changed(&mut w, &c, start).is_empty(),
        "a first look only records"
    );
    assert_eq!(w.watched_files(), 1);
    touch(&path, "id,name\n", 2_000);
    let soon = start + Duration::from_secs(9);
    assert!(changed(&mut w, &c, soon).is_empty(), "not due before 10s");
    assert_eq!(w.next_poll(soon), Duration::from_secs(1));
    let due = start + Duration::from_secs(10);
    assert_eq!(changed(&mut w, &c, due), ["p1", "p2"]);
    assert!(changed(&mut w, &c, due + Duration::from_secs(10)).is_empty());
    // The size alone counts too (a rewrite within the same second).
    touch(&path, "id,name\na,Ana\n", 2_000);
    assert_eq!(
        changed(&mut w, &c, due + Duration::from_secs(20)),
        ["p1", "p2"]
    );
    std::fs::remove_file(&path).expect("rm");
    assert_eq!(
        changed(&mut w, &c, due + Duration::from_secs(30)),
        ["p1", "p2"]
    );
}

#[test]
fn in_directory_mode_only_the_property_whose_file_changed_is_triggered() {
    let dir = tempfile::tempdir().expect("tempdir");
    touch(&dir.path().join("p1.csv"), "id,name\n", 1_000);
    let c = config(dir.path());
    let start = Instant::now();
    let mut w = Watcher::default();
    assert!(changed(&mut w, &c, start).is_empty());
    assert_eq!(w.watched_files(), 2, "p1.csv and second.csv");
    // p2 reads `second.csv` (its source_property_id); it appears.
    touch(&dir.path().join("second.csv"), "id,name\n", 1_000);
    let next = start + Duration::from_secs(10);
    assert_eq!(changed(&mut w, &c, next), ["p2"]);
    touch(&dir.path().join("p1.csv"), "id,name\n", 3_000);
    assert_eq!(changed(&mut w, &c, next + Duration::from_secs(10)), ["p1"]);
}

#[test]
fn a_reload_is_followed_and_dropped_sources_are_forgotten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    touch(&path, "id,name\n", 1_000);
    let mut c = config(&path);
    let start = Instant::now();
    let mut w = Watcher::default();
    changed(&mut w, &c, start);
    // A shorter interval takes effect at once, not after the old one runs out.
    if let Some(SourceConfig::Csv(s)) = c.sources.get_mut("sheet") {
        s.poll_interval = Duration::from_secs(1);
    }
    touch(&path, "id,name\n", 2_000);
    assert_eq!(
        changed(&mut w, &c, start + Duration::from_secs(1)),
        ["p1", "p2"]
    );
    c.sources.clear();
    assert!(changed(&mut w, &c, start + Duration::from_secs(2)).is_empty());
    assert_eq!(w.watched_files(), 0);
    assert_eq!(w.next_poll(start), IDLE);
}

#[test]
fn a_file_still_settling_is_reported_once_it_has_settled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    touch(&path, "id,name\n", 1_000);
    let c = config(&path); // settle: the default 2s
    let start = Instant::now();
    let wall = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
    let mut w = Watcher::default();
    let round = |w: &mut Watcher, i: u64, clock: u64| -> Vec<String> {
        let at = start + Duration::from_secs(10 * i);
        w.poll(&c, at, wall(clock))
            .into_values()
            .flatten()
            .collect()
    };
    assert!(round(&mut w, 0, 5_000).is_empty());
    touch(&path, "id,name\na,Ana\n", 5_009);
    assert!(round(&mut w, 1, 5_010).is_empty(), "1s old: still settling");
    assert_eq!(round(&mut w, 2, 5_020), ["p1", "p2"], "settled");
    assert!(round(&mut w, 3, 5_030).is_empty());
    // A file first seen while settling is reported when it settles.
    let mut w = Watcher::default();
    touch(&path, "id,name\n", 6_000);
    assert!(round(&mut w, 0, 6_001).is_empty());
    assert_eq!(round(&mut w, 1, 6_010), ["p1", "p2"]);
}

#[tokio::test]
async fn the_loop_triggers_on_a_change_and_stops_when_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("staff.csv");
    touch(&path, "id,name\n", 1_000);
    let mut c = config(&path);
    let fast = CsvConfig {
        poll_interval: Duration::from_millis(10),
        ..match &c.sources["sheet"] {
            SourceConfig::Csv(s) => s.clone(),
            other => panic!("{other:?}"),
        }
    };
    c.sources.insert("sheet".into(), SourceConfig::Csv(fast));
    let c = Arc::new(c);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(
        move || c.clone(),
        move |p| tx.send(p.to_string()).is_ok(),
        async {
            let _ = stopped.await;
        },
    ));
    // The first round only records the file, and when it runs is up to the scheduler: keep
    // changing the file until a round sees a change (30s is a liveness bound, not a threshold).
    let mut got = Vec::new();
    let mut mtime = 2_000;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no trigger within 30s"
        );
        touch(&path, "id,name\n", mtime);
        mtime += 1;
        if let Ok(Some(p)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            got.push(p);
        }
    }
    // Both properties of one change are sent together.
    let second = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the second trigger")
        .expect("channel open");
    got.push(second);
    got.sort();
    assert_eq!(got, ["p1", "p2"]);
    stop.send(()).expect("loop alive");
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the loop stops")
        .expect("no panic");
}
