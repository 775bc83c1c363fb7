//! Safety rules with injected faults: the guard, the completeness gate, ownership, lost
//! credentials and secrets (issue: never lock a building out, never leave a door open).

use crate::harness::*;
use lockstep::sim::Faults;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// (users sharing an external id, duplicate memberships, memberships of hand-made users).
pub fn kisi_integrity(sims: &Sims) -> (usize, usize, usize) {
    let state = sims.sims.kisi.state();
    let mut by_ext: BTreeMap<String, usize> = BTreeMap::new();
    let mut owned = std::collections::BTreeSet::new();
    for u in &state.users {
        if let Some(ext) = u
            .metadata
            .get("lockstep_external_id")
            .and_then(|v| v.as_str())
        {
            *by_ext.entry(ext.to_string()).or_default() += 1;
            owned.insert(u.id);
        }
    }
    let dup_users = by_ext.values().filter(|n| **n > 1).count();
    let mut pairs: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for ra in &state.role_assignments {
        *pairs.entry((ra.user_id, ra.group_id)).or_default() += 1;
    }
    let dup_memberships = pairs.values().filter(|n| **n > 1).count();
    let foreign = state
        .role_assignments
        .iter()
        .filter(|ra| !owned.contains(&ra.user_id))
        .count();
    (dup_users, dup_memberships, foreign)
}

/// Ids of p1's current residents (with a unit) in the source.
pub fn current_residents(sims: &Sims, property: &str) -> Vec<String> {
    let state = lockstep::sim::read(&sims.sims.yardi.state);
    let p = state
        .properties
        .iter()
        .find(|p| p.id == property)
        .expect("property");
    p.people
        .iter()
        .filter(|x| x.status == "current" && x.role.is_none())
        .map(|x| x.id.clone())
        .collect()
}

async fn start(residents: usize, seed: u64, delay: &str) -> (Setup, Daemon) {
    let s = setup(residents, seed, delay, |y| y).await;
    let daemon = s.start().await;
    (s, daemon)
}

async fn p1_grants(config: &lockstep::config::Config) -> usize {
    observe(config, "kisi-sim", "p1")
        .await
        .grant_count(&lockstep::policy::managed_groups(&config.properties["p1"]))
}

async fn wait_converged(daemon: &Daemon, property: &str) {
    eventually("convergence", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p = &v["properties"][property];
        (p["drift"] == 0 && p["last_result"] == "ok").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_and_completeness_gate_never_lock_a_building_out() {
    let (s, daemon) = start(60, 21, "0s").await;
    let (sims, config) = (&s.sims, &s.config);
    wait_converged(&daemon, "p1").await;
    let grants = p1_grants(config).await;
    let (_, _, foreign_before) = kisi_integrity(sims);
    assert!(
        grants > 100 && foreign_before >= 3,
        "grants {grants}, foreign {foreign_before}"
    );

    // A 90% shrink: revocations held, the guard reported everywhere.
    let residents = current_residents(sims, "p1");
    let gone: Vec<String> = residents
        .iter()
        .take(residents.len() * 9 / 10)
        .cloned()
        .collect();
    for id in &gone {
        set_person(sims, "p1", id, |p| p.status = "past".into());
    }
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("the guard to trip", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;
    assert!(daemon
        .metrics()
        .await
        .contains("lockstep_guard_tripped{property=\"p1\"} 1"));
    let (_, audit) = daemon.get("/api/v1/audit?action=guard_tripped").await;
    assert!(!audit["entries"].as_array().expect("entries").is_empty());
    assert_eq!(
        p1_grants(config).await,
        grants,
        "the guard let revocations through"
    );

    // Restore the feed: the guard clears; one normal move-out goes through.
    for id in &gone {
        set_person(sims, "p1", id, |p| p.status = "current".into());
    }
    wait_converged(&daemon, "p1").await;
    set_person(sims, "p1", &residents[0], |p| p.status = "past".into());
    eventually("a normal move-out", LONG, || async {
        groups_of(&observe(config, "kisi-sim", "p1").await, &residents[0])
            .is_empty()
            .then_some(())
    })
    .await;
    let grants = p1_grants(config).await;

    // Incomplete feeds skip the cycle: empty, truncated, first page only.
    for fault in [
        Faults {
            empty: true,
            ..Faults::default()
        },
        Faults {
            truncate_pages: true,
            ..Faults::default()
        },
        Faults {
            first_page_only: true,
            ..Faults::default()
        },
    ] {
        let before = daemon.metrics().await;
        sims.sims.yardi.core.set_faults(fault.clone());
        let d = &daemon;
        eventually("an incomplete feed to be counted", LONG, || {
            let before = before.clone();
            async move {
                let now = d.metrics().await;
                let labels = [("kind", "incomplete"), ("source", "yardi-sim")];
                (metric(&now, "lockstep_source_errors_total", &labels)
                    > metric(&before, "lockstep_source_errors_total", &labels))
                .then_some(())
            }
        })
        .await;
        assert_eq!(p1_grants(config).await, grants, "{fault:?} revoked access");
        sims.sims.yardi.core.set_faults(Faults::default());
    }

    // An operator release lets a real mass move-out through; foreign objects stay untouched.
    for id in &gone {
        set_person(sims, "p1", id, |p| p.status = "past".into());
    }
    eventually("the guard to trip again", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;
    let (status, body) = daemon
        .post("/api/v1/properties/p1/guard/release", json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    eventually("released revocations to apply", LONG, || async {
        (p1_grants(config).await < grants / 2).then_some(())
    })
    .await;
    let (dup_users, dup_memberships, foreign_after) = kisi_integrity(sims);
    assert_eq!((dup_users, dup_memberships), (0, 0));
    assert_eq!(
        foreign_after, foreign_before,
        "foreign memberships were touched"
    );
    assert!(daemon.stop().success());
}

/// Sums the samples of `name` whose labels include every `label="value"` pair given, in any order.
pub fn metric(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_credential_is_revoked_at_once_and_kept_revoked() {
    let (s, daemon) = start(20, 22, "0s").await;
    let (sims, config) = (&s.sims, &s.config);
    wait_converged(&daemon, "p1").await;
    let person = current_residents(sims, "p1")[0].clone();
    let user = observe(config, "kisi-sim", "p1").await.users
        [&format!("lockstep:yardi-sim:{person}")]
        .system_id
        .clone();
    let cards = |sims: &Sims| {
        sims.sims
            .kisi
            .state()
            .cards
            .iter()
            .filter(|c| c.user_id.map(|u| u.to_string()) == Some(user.clone()))
            .count()
    };
    assert!(
        cards(sims) >= 1,
        "the simulator issues a credential per user"
    );
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            json!({"property": "p1", "person": person}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cards(sims), 0, "revoked at once: {body}");
    // Someone re-attaches the card by hand: the next cycle takes it away again.
    let mut state = sims.sims.kisi.state();
    let uid: u64 = user.parse().expect("numeric kisi id");
    if let Some(card) = state.cards.iter_mut().find(|c| c.user_id.is_none()) {
        card.user_id = Some(uid);
    }
    sims.sims.kisi.set_state(state);
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("the credential to stay revoked", LONG, || async {
        (cards(sims) == 0).then_some(())
    })
    .await;
    assert!(
        !groups_of(&observe(config, "kisi-sim", "p1").await, &person).is_empty(),
        "door groups stay: only the credential goes"
    );
    let (_, audit) = daemon.get("/api/v1/audit?action=lost_credential").await;
    assert_eq!(audit["entries"].as_array().expect("entries").len(), 1);
    assert!(daemon.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_metrics_or_the_audit_log() {
    let (s, daemon) = start(15, 23, "0s").await;
    let (sims, dir) = (&s.sims, &s.dir);
    wait_converged(&daemon, "p1").await;
    daemon.post("/api/v1/reconcile", json!({})).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let metrics = daemon.metrics().await;
    let (_, audit) = daemon.get("/api/v1/audit?format=jsonl&limit=100000").await;
    let token = daemon.token.clone();
    let log = daemon.log();
    assert!(daemon.stop().success());
    let config_text = std::fs::read_to_string(dir.path().join("lockstep.yaml")).expect("config");
    let secrets = [
        lockstep::sim::kisi::KisiSim::API_KEY,
        lockstep::sim::brivo::BrivoSim::API_KEY,
        lockstep::sim::brivo::BrivoSim::CLIENT_SECRET,
        lockstep::sim::brivo::BrivoSim::PASSWORD,
        lockstep::sim::yardi::YardiSim::PASSWORD,
        lockstep::sim::yardi::YardiSim::LICENSE,
        token.as_str(),
    ];
    assert!(
        log.len() > 1000,
        "the run logged at debug level: {} bytes",
        log.len()
    );
    for secret in secrets {
        assert!(
            config_text.contains(secret) || secret == token,
            "test setup: {secret} is in the config"
        );
        assert!(!log.contains(secret), "secret {secret:?} in the logs");
        assert!(
            !metrics.contains(secret),
            "secret {secret:?} in the metrics"
        );
        assert!(
            !audit.to_string().contains(secret),
            "secret {secret:?} in the audit log"
        );
    }
    let _ = sims;
}

/// A reload that removes a property stops managing it and revokes nothing; a reload that
/// changes its mappings goes through the guard like any cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_reload_never_revokes_by_itself() {
    let s = setup(60, 24, "0s", |y| y).await;
    let (sims, config, yaml, path) = (&s.sims, &s.config, &s.yaml, &s.path);
    let daemon = s.start().await;
    wait_converged(&daemon, "p1").await;
    let grants = p1_grants(config).await;

    // Remove p1 from the config: it is no longer managed, nothing is revoked.
    let start = yaml.find("  p1:\n").expect("p1 block");
    let end = yaml.find("  p2:\n").expect("p2 block");
    let without_p1 = format!("{}{}", &yaml[..start], &yaml[end..]);
    std::fs::write(path, &without_p1).expect("write");
    daemon.signal("HUP");
    eventually("p1 to leave the status", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        v["properties"].get("p1").is_none().then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        p1_grants(config).await,
        grants,
        "removing a property revoked access"
    );

    // Bring p1 back with every unit overridden to the entrance group only: the unit groups are
    // still managed (the pattern stays) but no longer desired, and the guard holds the mass removal.
    let overrides: String = sims.world.properties[0]
        .units
        .iter()
        .map(|u| format!("        {u:?}: [\"Maple Court Entrances\"]\n"))
        .collect();
    let remapped = yaml.replacen(
        "pattern: \"Maple Court Unit {unit}\"\n",
        &format!("pattern: \"Maple Court Unit {{unit}}\"\n      overrides:\n{overrides}"),
        1,
    );
    assert_ne!(&remapped, yaml);
    std::fs::write(path, &remapped).expect("write");
    daemon.signal("HUP");
    eventually("the guard to hold the remapping", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;
    assert_eq!(
        p1_grants(config).await,
        grants,
        "a remapping bypassed the guard"
    );
    assert!(daemon.stop().success());
}

/// A lost credential is revoked at once even where the property needs approval for everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_credential_ignores_approval_mode() {
    let (s, daemon) = start(20, 25, "0s").await;
    let (sims, config) = (&s.sims, &s.config);
    // p2 (Brivo) is approval_required: approve one person's grants so they have a user.
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    let all = v["suggestions"].as_array().expect("list").clone();
    let person = all[0]["person_id"].as_str().expect("person").to_string();
    let mine: Vec<String> = vec![all[0]["id"].as_str().expect("id").to_string()];
    let (status, _) = daemon
        .post("/api/v1/suggestions/approve", json!({ "ids": mine }))
        .await;
    assert_eq!(status, 200);
    let user: u64 = observe(config, "brivo-sim", "p2").await.users
        [&format!("lockstep:yardi-sim:{person}")]
        .system_id
        .parse()
        .expect("id");
    let assigned = |sims: &Sims| {
        sims.sims
            .brivo
            .state()
            .credentials
            .iter()
            .filter(|c| c.user_id == Some(user))
            .count()
    };
    assert_eq!(assigned(sims), 1);
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            json!({"property": "p2", "person": person}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        assigned(sims),
        0,
        "not revoked at once in approval mode: {body}"
    );
    let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
    assert!(
        v["suggestions"]
            .as_array()
            .expect("list")
            .iter()
            .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default())
            .all(|step| step["action"]["kind"] != "revoke_credential"),
        "the revocation waited for approval"
    );
    assert!(daemon.stop().success());
}

/// An access system with bad credentials is quarantined and probed slowly; the other property
/// carries on; fixing the credentials releases it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_access_system_is_quarantined_and_released() {
    let good_key = lockstep::sim::kisi::KisiSim::API_KEY;
    let s = setup(20, 26, "0s", |yaml| {
        yaml.replace(&format!("api_key: {good_key}"), "api_key: wrong-key")
            .replace("interval: 1s", "interval: 1s\nquarantine_retry: 3s")
    })
    .await;
    let (path, bad) = (&s.path, &s.yaml);
    let daemon = s.spawn();
    eventually("kisi to be quarantined", LONG, || async {
        (metric(
            &daemon.metrics().await,
            "lockstep_system_quarantined",
            &[("system", "kisi-sim")],
        ) == 1.0)
            .then_some(())
    })
    .await;
    let skipped = |m: &str| {
        metric(
            m,
            "lockstep_reconcile_cycles_total",
            &[("property", "p1"), ("result", "skipped")],
        )
    };
    let ok_p2 = |m: &str| {
        metric(
            m,
            "lockstep_reconcile_cycles_total",
            &[("property", "p2"), ("result", "ok")],
        )
    };
    let before = daemon.metrics().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = daemon.metrics().await;
    assert!(
        skipped(&after) > skipped(&before),
        "quarantined cycles are skipped"
    );
    assert!(
        ok_p2(&after) >= ok_p2(&before) + 2.0,
        "the other property carries on at full speed"
    );
    let (_, v) = daemon.get("/api/v1/status").await;
    assert_eq!(
        v["properties"]["p1"]["health"]["kisi-sim"]["quarantined"], true,
        "{v}"
    );
    std::fs::write(
        path,
        bad.replace("api_key: wrong-key", &format!("api_key: {good_key}")),
    )
    .expect("write");
    daemon.signal("HUP");
    eventually("the quarantine to lift", LONG, || async {
        (metric(
            &daemon.metrics().await,
            "lockstep_system_quarantined",
            &[("system", "kisi-sim")],
        ) == 0.0)
            .then_some(())
    })
    .await;
    assert!(daemon.stop().success());
}
