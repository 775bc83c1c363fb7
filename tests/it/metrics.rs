//! Metrics of the running daemon: every family from the first scrape, drift that only waits
//! for a manager told apart, and revocation latency measured from the moment a revocation was
//! first planned (not from its approval) to the vendor's confirmation.

use crate::harness::*;
use crate::safety::metric;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

fn pending(v: &Value, person: Option<&str>) -> Vec<String> {
    v["suggestions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| person.is_none_or(|p| s["person_id"] == p))
                .filter_map(|s| s["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_latency_runs_from_first_planned_and_waiting_drift_is_told_apart() {
    let s = setup(4, 61, "0s", |y| y).await;
    let daemon = s.start().await;

    let m = daemon.metrics().await;
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "lockstep_revocation_latency_seconds_bucket{system=\"brivo-sim\"",
        "lockstep_source_errors_total{kind=\"incomplete\",source=\"yardi-sim\"} 0",
        "lockstep_reconcile_interval_seconds 1",
    ] {
        assert!(m.contains(name), "{name} missing from the first scrape");
    }
    // p2 (approval_required): all its drift waits for a manager.
    eventually("p2's drift to be all awaiting approval", LONG, || async {
        let m = daemon.metrics().await;
        let drift = metric(&m, "lockstep_drift", &[("property", "p2")]);
        let waiting = metric(
            &m,
            "lockstep_drift_awaiting_approval",
            &[("property", "p2")],
        );
        let oldest = metric(
            &m,
            "lockstep_suggestions_oldest_pending_timestamp_seconds",
            &[("property", "p2")],
        );
        (drift > 0.0 && waiting == drift && oldest > 0.0).then_some(())
    })
    .await;

    // Approve everything so p2's residents hold access.
    eventually("p2 to converge once approved", LONG, || async {
        let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
        let ids = pending(&v, None);
        if ids.is_empty() {
            let (_, st) = daemon.get("/api/v1/status").await;
            return (st["properties"]["p2"]["drift"] == 0).then_some(());
        }
        let batch: Vec<String> = ids.into_iter().take(50).collect();
        daemon
            .post("/api/v1/suggestions/approve", json!({ "ids": batch }))
            .await;
        None
    })
    .await;
    let m = daemon.metrics().await;
    let labels = [("system", "brivo-sim")];
    let before = metric(&m, "lockstep_revocation_latency_seconds_count", &labels);
    let sum_before = metric(&m, "lockstep_revocation_latency_seconds_sum", &labels);

    // A move-out: the revocation is planned, waits for approval, then executes.
    let person = find_person(&s.sims, "p2", |x| x.status == "current" && x.role.is_none());
    set_person(&s.sims, "p2", &person, |x| x.status = "past".into());
    let ids = eventually("the revocation to be suggested", LONG, || async {
        let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
        let ids = pending(&v, Some(&person));
        (!ids.is_empty()).then_some(ids)
    })
    .await;
    let suggested = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, body) = daemon
        .post("/api/v1/suggestions/approve", json!({ "ids": ids }))
        .await;
    assert_eq!(status, 200, "{body}");
    let waited = suggested.elapsed().as_secs_f64();
    let (count, sum) = eventually("the revocation to be timed", LONG, || async {
        let m = daemon.metrics().await;
        let count = metric(&m, "lockstep_revocation_latency_seconds_count", &labels);
        let sum = metric(&m, "lockstep_revocation_latency_seconds_sum", &labels);
        (count > before).then_some((count - before, sum - sum_before))
    })
    .await;
    assert!(count >= 1.0);
    // Measured from first planned, which came before we saw the suggestion: at least the wait.
    assert!(
        sum >= waited,
        "latency sum {sum} s is shorter than the {waited} s the revocation waited for approval"
    );
    assert!(daemon.stop().success());
}
