//! What a reload does to a connector's health: fixing a quarantined system's config lifts the
//! quarantine at once, without waiting out `quarantine_retry`.

use crate::harness::*;
use crate::safety::metric;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_with_a_fixed_config_lifts_the_quarantine_at_once() {
    let good_key = lockstep::sim::kisi::KisiSim::API_KEY;
    // Probed once an hour: only the reload can lift it within this test's timeouts.
    let s = setup(8, 27, "0s", |yaml| {
        yaml.replace(&format!("api_key: {good_key}"), "api_key: wrong-key")
            .replace("interval: 1s", "interval: 1s\nquarantine_retry: 1h")
    })
    .await;
    let daemon = s.spawn();
    let quarantined = |m: &str| metric(m, "lockstep_system_quarantined", &[("system", "kisi-sim")]);
    eventually("kisi to be quarantined", LONG, || async {
        (quarantined(&daemon.metrics().await) == 1.0).then_some(())
    })
    .await;

    // A change to another system (brivo's timeout) leaves kisi quarantined.
    let other = s.yaml.replace(
        "  brivo-sim:\n    type: brivo\n",
        "  brivo-sim:\n    type: brivo\n    timeout: 31s\n",
    );
    assert_ne!(other, s.yaml, "the edit applies");
    std::fs::write(&s.path, other).expect("write");
    daemon.signal("HUP");
    eventually("the unrelated reload", LONG, || async {
        let m = daemon.metrics().await;
        (metric(
            &m,
            "lockstep_config_reloads_total",
            &[("result", "success")],
        ) >= 1.0)
            .then_some(())
    })
    .await;
    assert_eq!(
        quarantined(&daemon.metrics().await),
        1.0,
        "kisi's config did not change"
    );

    // The fixed key: lifted at once, and p1 converges.
    std::fs::write(
        &s.path,
        s.yaml
            .replace("api_key: wrong-key", &format!("api_key: {good_key}")),
    )
    .expect("write");
    daemon.signal("HUP");
    eventually("the quarantine to lift on reload", LONG, || async {
        (quarantined(&daemon.metrics().await) == 0.0).then_some(())
    })
    .await;
    eventually("p1 to converge with the fixed key", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p1 = &v["properties"]["p1"];
        (p1["last_result"] == "ok" && p1["health"]["kisi-sim"]["consecutive_failures"] == 0)
            .then_some(())
    })
    .await;
    assert!(daemon.stop().success());
}
