//! The real daemon against the simulators: lease changes, approvals, overrides, restart, reload.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn pending_ids(v: &Value) -> Vec<String> {
    v["suggestions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Move-in after the activation delay, move-out, unit change and an override, on the automatic
/// property (p1, Kisi).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_property_follows_lease_changes() {
    let s = setup(40, 11, "3s", |y| y).await;
    let (sims, config) = (&s.sims, &s.config);
    let daemon = s.start().await;

    // Initial convergence: every current resident of p1 holds common + unit groups.
    let resident = find_person(sims, "p1", |p| p.status == "current" && p.role.is_none());
    let groups = eventually("p1 to converge", LONG, || async {
        let g = groups_of(&observe(config, "kisi-sim", "p1").await, &resident);
        (g.len() == 3).then_some(g)
    })
    .await;
    assert!(groups.iter().any(|g| g.contains("Unit")), "{groups:?}");

    // Move-in: a future resident becomes current; access only after the 3 s activation delay.
    let newcomer = find_person(sims, "p1", |p| p.status == "future");
    set_person(sims, "p1", &newcomer, |p| p.status = "current".into());
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        groups_of(&observe(config, "kisi-sim", "p1").await, &newcomer).is_empty(),
        "granted before the activation delay"
    );
    eventually("the move-in to be granted", LONG, || async {
        (groups_of(&observe(config, "kisi-sim", "p1").await, &newcomer).len() == 3).then_some(())
    })
    .await;

    // Unit change: old unit group goes, new one comes, common groups stay.
    let before = groups_of(&observe(config, "kisi-sim", "p1").await, &resident);
    let new_unit = sims.world.properties[0]
        .units
        .last()
        .expect("units")
        .clone();
    set_person(sims, "p1", &resident, |p| p.unit = Some(new_unit.clone()));
    let after = eventually("the unit change", LONG, || async {
        let g = groups_of(&observe(config, "kisi-sim", "p1").await, &resident);
        g.iter()
            .any(|x| x.ends_with(&format!("Unit {new_unit}")))
            .then_some(g)
    })
    .await;
    assert_eq!(after.len(), 3, "{after:?}");
    let common: Vec<_> = before.iter().filter(|g| !g.contains("Unit")).collect();
    assert!(common.iter().all(|g| after.contains(g)));

    // Move-out: revoked.
    set_person(sims, "p1", &newcomer, |p| p.status = "past".into());
    eventually("the move-out to be revoked", LONG, || async {
        groups_of(&observe(config, "kisi-sim", "p1").await, &newcomer)
            .is_empty()
            .then_some(())
    })
    .await;

    // Override: force past wins over the source; clearing it restores access.
    let (status, body) = daemon
        .post(
            "/api/v1/overrides",
            json!({"property": "p1", "person": resident, "force_status": "past"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("the override to revoke", LONG, || async {
        groups_of(&observe(config, "kisi-sim", "p1").await, &resident)
            .is_empty()
            .then_some(())
    })
    .await;
    let (status, _) = daemon
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/overrides/p1/{resident}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("access back after clearing", LONG, || async {
        (groups_of(&observe(config, "kisi-sim", "p1").await, &resident).len() == 3).then_some(())
    })
    .await;

    // An override naming a group the property does not manage is refused with a clear message.
    let (status, body) = daemon.post("/api/v1/overrides", json!({"property": "p1", "person": resident, "add_groups": ["Gym VIP (managed by hand)"]})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("not managed"),
        "{body}"
    );

    assert!(daemon.stop().success());
}

/// Approval mode (p2, Brivo): suggestions, approve, discard, the 50 limit, restart, SIGHUP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_flow_survives_restart_and_reload() {
    let s = setup(30, 12, "2s", |y| y).await;
    let (config, yaml, path) = (&s.config, &s.yaml, &s.path);
    let daemon = s.start().await;

    let ids = eventually("suggestions for p2", LONG, || async {
        let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
        let ids = pending_ids(&v);
        (!ids.is_empty()).then_some(ids)
    })
    .await;
    let (_, listed) = daemon.get("/api/v1/suggestions?property=p2").await;
    assert!(listed["suggestions"]
        .as_array()
        .expect("list")
        .iter()
        .all(|s| ["green", "red", "mixed", "grey"].contains(&s["colour"].as_str().unwrap_or(""))));
    // One suggestion per person, named, with the whole change in order: the account first.
    let first = &listed["suggestions"][0];
    assert!(
        first["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{first}"
    );
    assert_eq!(
        first["steps"][0]["action"]["kind"], "create_user",
        "{first}"
    );
    assert!(
        first["steps"].as_array().is_some_and(|s| s.len() > 1),
        "{first}"
    );
    assert!(
        first["reason"]
            .as_str()
            .is_some_and(|r| r.contains("in yardi")),
        "{first}"
    );
    assert!(
        observe(config, "brivo-sim", "p2").await.users.is_empty(),
        "approval mode must not act alone"
    );

    // More than 50 at once is refused with a message that says so.
    let too_many: Vec<String> = (0..51).map(|i| format!("x{i}")).collect();
    let (status, body) = daemon
        .post("/api/v1/suggestions/approve", json!({"ids": too_many}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap_or("").contains("at most 50"),
        "{body}"
    );
    let (status, body) = daemon
        .post("/api/v1/suggestions/approve", json!({"idz": []}))
        .await;
    assert_eq!(status, 400, "{body}");

    // The CLI shows the same per-person suggestions: id, colour, name, kind, reason, then steps.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["suggestions", "list", "--property", "p2"])
        .env("LOCKSTEP_SERVER", &daemon.url)
        .env("LOCKSTEP_TOKEN", &daemon.token)
        .output()
        .expect("run the CLI");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let first_name = first["name"].as_str().unwrap_or_default();
    assert!(
        text.contains(first_name) && text.contains("create the account"),
        "{text}"
    );

    // Approve one person: the account and all its grants execute after a fresh observation,
    // and the answer says so for that suggestion.
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    let all = v["suggestions"].as_array().expect("list").clone();
    let person = all[0]["person_id"].as_str().expect("person").to_string();
    let mine: Vec<String> = vec![all[0]["id"].as_str().expect("id").to_string()];
    let (status, body) = daemon
        .post("/api/v1/suggestions/approve", json!({"ids": mine}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][&mine[0]]["state"], "executed", "{body}");
    let granted = groups_of(&observe(config, "brivo-sim", "p2").await, &person);
    let steps = all[0]["steps"].as_array().expect("steps");
    assert_eq!(
        granted.len(),
        steps.len() - 1,
        "every grant of the person executed: {body}"
    );

    // Discard another person's suggestion: not suggested again while nothing changes.
    let other = ids
        .iter()
        .find(|id| !mine.contains(id))
        .expect("another suggestion")
        .clone();
    let (status, _) = daemon
        .post("/api/v1/suggestions/discard", json!({"ids": [other]}))
        .await;
    assert_eq!(status, 200);
    daemon
        .post("/api/v1/reconcile", json!({"property": "p2"}))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    assert!(
        !pending_ids(&v).contains(&other),
        "a discarded suggestion came back"
    );

    // Restart: audit and suggestions survive.
    let (_, audit_before) = daemon.get("/api/v1/audit?limit=100000").await;
    let entries_before = audit_before["entries"].as_array().expect("entries").len();
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    let pending_before = pending_ids(&v);
    assert!(daemon.stop().success(), "SIGTERM exits 0");
    let daemon = s.start().await;
    let (_, audit_after) = daemon.get("/api/v1/audit?limit=100000").await;
    assert!(audit_after["entries"].as_array().expect("entries").len() >= entries_before);
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    let pending_after = pending_ids(&v);
    assert!(
        pending_before.iter().all(|id| pending_after.contains(id)),
        "suggestions lost over a restart"
    );

    // A bad config on SIGHUP keeps the old one running and counts a failure.
    std::fs::write(path, yaml.replace("portfolio:", "portfolioo:")).expect("write");
    daemon.signal("HUP");
    eventually("a failed reload to be counted", LONG, || async {
        daemon
            .metrics()
            .await
            .contains("lockstep_config_reloads_total{result=\"failure\"} 1")
            .then_some(())
    })
    .await;

    // SIGHUP with p2 switched to automatic: the next cycle applies without approval.
    let auto = yaml.replacen("mode: approval_required", "mode: automatic", 1);
    std::fs::write(path, auto).expect("write");
    daemon.signal("HUP");
    eventually("p2 to converge once automatic", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p2 = &v["properties"]["p2"];
        (p2["mode"] == "automatic" && p2["pending_suggestions"] == 0 && p2["drift"] == 0)
            .then_some(())
    })
    .await;
    assert!(daemon
        .metrics()
        .await
        .contains("lockstep_config_reloads_total{result=\"success\"} 1"));
    let (_, v) = daemon
        .get("/api/v1/suggestions?property=p2&state=discarded")
        .await;
    assert!(v["suggestions"].as_array().is_some());
    assert!(daemon.stop().success());
}

/// A source that fails skips its property: nothing is revoked, other properties carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_source_skips_its_property() {
    let s = setup(20, 13, "0s", |y| y).await;
    let (sims, config) = (&s.sims, &s.config);
    let daemon = s.start().await;
    let converged = eventually("p1 to converge", LONG, || async {
        let a = observe(config, "kisi-sim", "p1").await;
        (!a.users.is_empty()).then_some(a)
    })
    .await;
    let grants = converged.grant_count(&lockstep::policy::managed_groups(&config.properties["p1"]));
    sims.sims.yardi.core.set_faults(lockstep::sim::Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    eventually("a skipped cycle", LONG, || async {
        daemon
            .metrics()
            .await
            .contains("lockstep_reconcile_cycles_total{property=\"p1\",result=\"skipped\"}")
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = observe(config, "kisi-sim", "p1").await;
    assert_eq!(
        after.grant_count(&lockstep::policy::managed_groups(&config.properties["p1"])),
        grants,
        "a failing source revoked access"
    );
    let (_, status) = daemon.get("/api/v1/status").await;
    assert!(
        status["properties"]["p1"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("yardi-sim"),
        "{status}"
    );
    assert!(daemon.stop().success());
}
