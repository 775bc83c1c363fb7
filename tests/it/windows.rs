//! Time through the real daemon: contractors whose end date passes lose access on time, woken by
//! their due time (the periodic reconcile is an hour away), in a batch the blast-radius guard
//! does not count as an accident.

use crate::harness::*;
use lockstep::model::ActualState;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const LONG: Duration = Duration::from_secs(60);

fn holds(actual: &ActualState, person: &str) -> bool {
    actual
        .users
        .get(&format!("lockstep:staff:{person}"))
        .is_some_and(|u| !u.groups.is_empty())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contractors_lose_access_at_their_end_date_without_tripping_the_guard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("staff.csv");
    let csv_shown = csv.display().to_string();
    let s = setup(10, 72, "0s", |y| {
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
    // Far enough ahead for the first cycle to grant, near enough to keep the test short.
    let end = unix_now() + 12;
    let end_text = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(end as u64));
    let mut text = String::from("id,name,email,phone,kind,unit,start,end,status\n");
    for (i, unit) in units.iter().take(2).enumerate() {
        text.push_str(&format!(
            "r{i},Resident {i},,,resident,{unit},2025-01-01,,active\n"
        ));
    }
    let contractors: Vec<String> = (0..8).map(|i| format!("k{i}")).collect();
    for k in &contractors {
        text.push_str(&format!(
            "{k},Contractor {k},,,contractor,,2025-01-01,{end_text},active\n"
        ));
    }
    replace_settled(&csv, &text);
    let daemon = s.start().await;
    let config = &s.config;
    eventually("everyone to get access", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        contractors
            .iter()
            .chain(["r0".to_string(), "r1".to_string()].iter())
            .all(|p| holds(&a, p))
            .then_some(())
    })
    .await;
    assert!(
        unix_now() < end,
        "the grant came too late for the test to mean anything"
    );

    let a = eventually("the contractors' access to end", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        contractors.iter().all(|k| !holds(&a, k)).then_some(a)
    })
    .await;
    let seen = unix_now();
    assert!(seen >= end, "revoked before the end date");
    assert!(
        holds(&a, "r0") && holds(&a, "r1"),
        "residents keep their access"
    );

    // Eight of fourteen grants at once is over the guard (10%, at least 5): only the known end dates let it
    // through, and nothing waits for a manager.
    let (_, status) = daemon.get("/api/v1/status").await;
    let p1 = &status["properties"]["p1"];
    assert_eq!(p1["guard_tripped"], false, "{p1}");
    let (_, audit) = daemon
        .get("/api/v1/audit?property=p1&action=remove_from_group")
        .await;
    let removals = audit["entries"].as_array().map_or(0, Vec::len);
    assert!(removals >= contractors.len(), "{audit}");
    eprintln!("contractor batch: end {end}, all revocations observed by {seen}");
    assert!(daemon.stop().success());
}
