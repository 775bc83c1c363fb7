//! The Yardi source with vendor status words: an unmapped word holds that one person's access,
//! Eviction keeps access, Past revokes, and the property's cycle still runs.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// Rewrites the Yardi simulator's state through its control plane, as an operator would.
async fn put_statuses(base: &str, changes: &[(&str, &str)]) {
    let url = format!("{base}/yardi_voyager/_sim/state");
    let client = reqwest::Client::new();
    let mut state: Value = client
        .get(&url)
        .send()
        .await
        .expect("get state")
        .json()
        .await
        .expect("state json");
    for person in state["properties"][0]["people"]
        .as_array_mut()
        .expect("people")
    {
        if let Some((_, status)) = changes.iter().find(|(id, _)| person["id"] == *id) {
            person["status"] = json!(status);
        }
    }
    let reply = client.put(&url).json(&state).send().await.expect("put");
    assert!(reply.status().is_success(), "{}", reply.status());
}

async fn audit_count(daemon: &Daemon, action: &str, person: &str) -> usize {
    let (_, audit) = daemon.get(&format!("/api/v1/audit?action={action}")).await;
    audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["person_id"] == person)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_holds_one_person_and_the_property_still_syncs() {
    let s = setup(30, 33, "0s", |y| y).await;
    let daemon = s.start().await;
    let (sims, config) = (&s.sims, &s.config);
    let ids: Vec<String> = sims.world.properties[0]
        .people
        .iter()
        .filter(|p| p.status == "current" && p.role.is_none() && p.unit.is_some())
        .take(3)
        .map(|p| p.id.clone())
        .collect();
    let [unknown, evicted, past] = [&ids[0], &ids[1], &ids[2]];
    let before = eventually("p1 to grant access", LONG, || async {
        let actual = observe(config, "kisi-sim", "p1").await;
        let held: Vec<_> = ids.iter().map(|id| groups_of(&actual, id)).collect();
        held.iter().all(|g| g.len() == 3).then_some(held)
    })
    .await;

    put_statuses(
        &sims.base,
        &[(unknown, "Hold"), (evicted, "Eviction"), (past, "Past")],
    )
    .await;
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    // The Past resident's revocation proves the cycle ran: the property was not skipped.
    eventually("the past resident's access to go", LONG, || async {
        groups_of(&observe(config, "kisi-sim", "p1").await, past)
            .is_empty()
            .then_some(())
    })
    .await;
    let actual = observe(config, "kisi-sim", "p1").await;
    assert_eq!(
        groups_of(&actual, unknown),
        before[0],
        "held access changed"
    );
    assert_eq!(
        groups_of(&actual, evicted),
        before[1],
        "eviction revoked access"
    );

    let metrics = daemon.metrics().await;
    let labels = [("kind", "unknown_status"), ("source", "yardi-sim")];
    assert!(
        crate::safety::metric(&metrics, "lockstep_source_errors_total", &labels) >= 1.0,
        "no unknown_status metric"
    );
    let (_, status) = daemon.get("/api/v1/status").await;
    let p1 = &status["properties"]["p1"];
    assert_eq!(p1["last_result"], "ok", "{p1}");
    let problems = p1["problems"].to_string();
    assert!(
        problems.contains(unknown.as_str()) && problems.contains("Hold"),
        "{problems}"
    );

    // Audited once, not once per cycle.
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(audit_count(&daemon, "source_record_held", unknown).await, 1);

    // Fixed in the source: released, and the person's access still stands.
    put_statuses(&sims.base, &[(unknown, "Current")]).await;
    eventually("the hold to be released", LONG, || async {
        (audit_count(&daemon, "source_record_released", unknown).await == 1).then_some(())
    })
    .await;
    let actual = observe(config, "kisi-sim", "p1").await;
    assert_eq!(groups_of(&actual, unknown), before[0]);
    assert!(daemon.stop().success());
}
