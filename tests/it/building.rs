//! Buildings as they are: several access systems per property, a source glitch and its fix,
//! a mapping change that prunes lockstep's own grants through the guard, and duplicate accounts.

use crate::harness::*;
use crate::safety::{current_residents, metric};
use lockstep::access::NewUser;
use serde_json::json;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

async fn converged(daemon: &Daemon, property: &str) {
    eventually(&format!("{property} to converge"), LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p = &v["properties"][property];
        (p["drift"] == 0 && p["last_result"] == "ok").then_some(())
    })
    .await;
}

async fn audit_has(daemon: &Daemon, action: &str) -> bool {
    let (_, v) = daemon
        .get(&format!("/api/v1/audit?action={action}&limit=1000"))
        .await;
    v["entries"].as_array().is_some_and(|e| !e.is_empty())
}

/// Memberships in the Kisi simulator, counted per group name.
fn kisi_members(sims: &Sims, group: &str) -> usize {
    let state = sims.sims.kisi.state();
    let Some(id) = state.groups.iter().find(|g| g.name == group).map(|g| g.id) else {
        return 0;
    };
    state
        .role_assignments
        .iter()
        .filter(|ra| ra.group_id == id)
        .count()
}

/// Memberships in a Kisi group held by users lockstep did not make.
fn kisi_foreign_members(sims: &Sims, group: &str) -> usize {
    let state = sims.sims.kisi.state();
    let Some(id) = state.groups.iter().find(|g| g.name == group).map(|g| g.id) else {
        return 0;
    };
    let foreign: Vec<u64> = state
        .users
        .iter()
        .filter(|u| !u.metadata.contains_key("lockstep_external_id"))
        .map(|u| u.id)
        .collect();
    state
        .role_assignments
        .iter()
        .filter(|ra| ra.group_id == id && foreign.contains(&ra.user_id))
        .count()
}

/// p3 keeps its unit doors in Kisi and everything else in Brivo. With Brivo refusing lockstep,
/// the unit doors are still granted and the status names the failing system.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_building_on_two_systems_reconciles_the_one_that_works() {
    let s = setup_with(3, 12, 71, "0s", |y| {
        y.replace(
            &format!("api_key: {}", lockstep::sim::brivo::BrivoSim::API_KEY),
            "api_key: wrong-key",
        )
    })
    .await;
    let daemon = s.start().await;
    let p3 = &s.config.properties["p3"];
    assert_eq!(p3.access_systems.len(), 2);
    let resident = current_residents(&s.sims, "p3")[0].clone();
    eventually("p3's unit doors to be granted in Kisi", LONG, || async {
        let kisi = observe(&s.config, "kisi-sim", "p3").await;
        let groups = groups_of(&kisi, &resident);
        (groups.len() == 1 && groups[0].contains(" Unit ")).then_some(())
    })
    .await;
    let (_, v) = daemon.get("/api/v1/status").await;
    let status = &v["properties"]["p3"];
    assert!(status["failing"]["brivo-sim"].is_string(), "{status}");
    assert_eq!(status["last_result"], "partial", "{status}");
    assert!(daemon.stop().success());
}

/// A glitch makes most residents "past"; the guard holds the revocations. The source is fixed:
/// nobody lost anything, the held revocations are gone, and the guard says it cleared, even
/// though the activation delay (an hour) restarted for everyone who flickered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_glitch_then_its_fix_revokes_nobody_and_clears_the_guard() {
    let s = setup(40, 72, "1h", |y| y).await;
    let daemon = s.start().await;
    converged(&daemon, "p1").await;
    let before = observe(&s.config, "kisi-sim", "p1").await;
    let managed = lockstep::policy::managed_groups(&s.config.properties["p1"]);
    let grants = before.grant_count(&managed);
    let residents = current_residents(&s.sims, "p1");
    let glitched: Vec<String> = residents
        .iter()
        .take(residents.len() * 3 / 4)
        .cloned()
        .collect();
    for id in &glitched {
        set_person(&s.sims, "p1", id, |p| p.status = "past".into());
    }
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("the guard to trip", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;
    for id in &glitched {
        set_person(&s.sims, "p1", id, |p| p.status = "current".into());
    }
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("the guard to clear", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p1 = &v["properties"]["p1"];
        (p1["guard_tripped"] == false && p1["pending_revocations"] == 0).then_some(())
    })
    .await;
    // A few more cycles while the delay still runs for the flickering residents.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = observe(&s.config, "kisi-sim", "p1").await;
    assert_eq!(after.grant_count(&managed), grants, "nobody lost access");
    assert!(audit_has(&daemon, "guard_tripped").await);
    assert!(audit_has(&daemon, "guard_cleared").await);
    let m = daemon.metrics().await;
    assert_eq!(
        metric(&m, "lockstep_guard_tripped", &[("property", "p1")]),
        0.0
    );
    assert_eq!(
        metric(
            &m,
            "lockstep_actions_total",
            &[
                ("system", "kisi-sim"),
                ("action", "remove_from_group"),
                ("result", "applied")
            ]
        ),
        0.0
    );
    assert!(daemon.stop().success());
}

/// The operator drops the Entrances group from p1's mapping. Lockstep takes back the grants it
/// made there, through the guard (held until an admin releases it), and never the hand-made
/// membership someone else put in the same group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_change_prunes_only_lockstep_grants_through_the_guard() {
    let s = setup(30, 73, "0s", |y| {
        y.replace("interval: 1s", "interval: 1s\nresync: 1s")
    })
    .await;
    let daemon = s.start().await;
    converged(&daemon, "p1").await;
    let p1 = &s.config.properties["p1"];
    let entrances = p1.common_groups[0].clone();
    let before = kisi_members(&s.sims, &entrances);
    let foreign = kisi_foreign_members(&s.sims, &entrances);
    let residents = current_residents(&s.sims, "p1").len();
    assert!(
        foreign >= 1 && before > residents,
        "residents plus a hand-made member: {before}"
    );
    let dropped = s.yaml.replacen(
        &format!("common_groups: [{:?}, ", entrances),
        "common_groups: [",
        1,
    );
    assert_ne!(dropped, s.yaml);
    std::fs::write(&s.path, dropped).expect("write");
    daemon.signal("HUP");
    eventually("the prune to be held by the guard", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;
    assert_eq!(
        kisi_members(&s.sims, &entrances),
        before,
        "held, not applied"
    );
    let (status, body) = daemon
        .post("/api/v1/properties/p1/guard/release", json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    let left = eventually(
        "lockstep's grants in the dropped group to go",
        LONG,
        || async {
            let n = kisi_members(&s.sims, &entrances);
            (n < before - residents / 2).then_some(n)
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(kisi_members(&s.sims, &entrances), left);
    assert_eq!(left, foreign, "exactly lockstep's own grants were pruned");
    assert!(daemon.stop().success());
}

/// Someone made a second Kisi account carrying a resident's external id. Both are seen and
/// reported; at move-out both lose their doors; no third account is ever created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_accounts_are_reported_and_all_lose_access_at_move_out() {
    let s = setup(10, 74, "0s", |y| {
        y.replace("interval: 1s", "interval: 1s\nresync: 1s")
    })
    .await;
    let daemon = s.start().await;
    converged(&daemon, "p1").await;
    let person = current_residents(&s.sims, "p1")[0].clone();
    let ext = format!("lockstep:yardi-sim:{person}");
    let metrics = lockstep::metrics::Metrics::new();
    let kisi = lockstep::access::build("kisi-sim", &s.config.access_systems["kisi-sim"], &metrics)
        .expect("connector");
    let first = observe(&s.config, "kisi-sim", "p1").await;
    let group = first.users[&ext]
        .groups
        .keys()
        .next()
        .expect("a group")
        .clone();
    let copy = kisi
        .create_user(&NewUser {
            external_id: ext.clone(),
            name: "Copy".into(),
            email: None,
        })
        .await
        .expect("create the copy");
    kisi.add_to_group(&copy, &first.groups[&group], &Default::default())
        .await
        .expect("grant the copy");
    let accounts = |sims: &Sims| {
        sims.sims
            .kisi
            .state()
            .users
            .iter()
            .filter(|u| {
                u.metadata
                    .get("lockstep_external_id")
                    .and_then(|v| v.as_str())
                    == Some(ext.as_str())
            })
            .map(|u| u.id)
            .collect::<Vec<_>>()
    };
    eventually("the duplicate to be reported", LONG, || async {
        let m = daemon.metrics().await;
        (metric(&m, "lockstep_duplicate_accounts", &[("property", "p1")]) == 1.0).then_some(())
    })
    .await;
    assert!(audit_has(&daemon, "duplicate_accounts").await);
    set_person(&s.sims, "p1", &person, |p| p.status = "past".into());
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("both accounts to lose every door", LONG, || async {
        let state = s.sims.sims.kisi.state();
        let ids = accounts(&s.sims);
        let held = state
            .role_assignments
            .iter()
            .filter(|ra| ids.contains(&ra.user_id))
            .count();
        (ids.len() == 2 && held == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(accounts(&s.sims).len(), 2, "no third account");
    assert!(daemon.stop().success());
}
