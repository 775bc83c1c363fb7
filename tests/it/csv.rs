//! The CSV source through the real daemon: a watched file's change brings the cycle forward with
//! no periodic tick, a half-written file skips the cycle without revoking anyone, and a whole file
//! that marks someone past revokes exactly that person.

use crate::harness::*;
use lockstep::model::ActualState;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn groups(actual: &ActualState, person: &str) -> usize {
    actual
        .users
        .get(&format!("lockstep:staff:{person}"))
        .map_or(0, |u| u.groups.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_csv_file_half_written_then_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("staff.csv");
    let csv_shown = csv.display().to_string();
    let s = setup(10, 71, "0s", |y| {
        let y = y
            .replace("interval: 1s", "interval: 1h")
            .replacen(
                "sources:\n",
                &format!(
                    "sources:\n  staff:\n    type: csv\n    path: {csv_shown}\n    \
                     poll_interval: 1s\n    settle: 1s\n"
                ),
                1,
            )
            .replacen(
                "source: yardi-sim\n    source_property_id: p1\n",
                "source: staff\n    source_property_id: p1\n",
                1,
            );
        assert!(y.contains("source: staff"), "{y}");
        y
    })
    .await;
    let units = &s.sims.world.properties[0].units;
    let header = "id,name,email,phone,kind,unit,start,end,status\n";
    let row = |id: &str, unit: &str, status: &str| {
        format!("{id},Person {id},,,resident,{unit},2025-01-01,,{status}\n")
    };
    let whole = |c3: &str| {
        format!(
            "{header}{}{}{}",
            row("c1", &units[0], "active"),
            row("c2", &units[1], "active"),
            row("c3", &units[2], c3)
        )
    };
    replace_settled(&csv, &whole("active"));
    let daemon = s.start().await;
    let config = &s.config;
    eventually("the CSV people to get access", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        ["c1", "c2", "c3"]
            .iter()
            .all(|p| groups(&a, p) == 3)
            .then_some(())
    })
    .await;

    // Half-written: two people cut off and no final newline. Only the watcher can bring this
    // cycle forward (the periodic reconcile is an hour away); it must be skipped.
    replace_settled(
        &csv,
        &format!("{header}{}c2,Per", row("c1", &units[0], "active")),
    );
    let (_, status) = eventually("the half-written file to skip p1", LONG, || async {
        let (code, status) = daemon.get("/api/v1/status").await;
        let p1 = &status["properties"]["p1"];
        (p1["last_result"] == "skipped").then(|| (code, p1.clone()))
    })
    .await;
    let error = status["last_error"].to_string();
    assert!(error.contains("no terminating newline"), "{error}");
    let a = observe(config, "kisi-sim", "p1").await;
    for p in ["c1", "c2", "c3"] {
        assert_eq!(groups(&a, p), 3, "{p} lost access to a half-written file");
    }

    // Whole again, with c3 past: exactly c3 loses access.
    replace_settled(&csv, &whole("terminated"));
    eventually("c3's access to go", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        (groups(&a, "c3") == 0).then_some(a)
    })
    .await;
    let a = observe(config, "kisi-sim", "p1").await;
    assert_eq!((groups(&a, "c1"), groups(&a, "c2")), (3, 3));
    let metrics = daemon.metrics().await;
    let labels = [("source", "staff"), ("kind", "incomplete")];
    assert!(crate::safety::metric(&metrics, "lockstep_source_errors_total", &labels) >= 1.0);
    assert!(daemon.stop().success());
}
