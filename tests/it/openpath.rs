//! A property wholly in Openpath (the fourth generated one) reconciled by the real daemon
//! against the Openpath simulator: residents are created with their external id and granted,
//! hand-made users and their memberships are left alone, and a converged property stays so.

use crate::harness::*;
use crate::safety::current_residents;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// The generated config with p4 (Openpath) automatic.
fn p4_automatic(yaml: String) -> String {
    let at = yaml.find("\n  p4:\n").expect("p4 in the config");
    let (head, tail) = yaml.split_at(at);
    format!(
        "{head}{}",
        tail.replacen("mode: approval_required", "mode: automatic", 1)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openpath_property_converges_and_leaves_hand_made_users_alone() {
    let s = setup_with(4, 8, 81, "0s", p4_automatic).await;
    assert_eq!(
        s.config.access_systems["openpath-sim"].kind(),
        "openpath",
        "p4 lives in Openpath"
    );
    let before = s.sims.sims.openpath.state();
    let hand_made: Vec<(u64, u64)> = before.memberships.iter().copied().collect();
    let daemon = s.start().await;
    eventually("p4 to converge", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p = &v["properties"]["p4"];
        (p["drift"] == 0 && p["last_result"] == "ok").then_some(())
    })
    .await;
    let actual = observe(&s.config, "openpath-sim", "p4").await;
    let residents = current_residents(&s.sims, "p4");
    assert!(!residents.is_empty());
    for person in &residents {
        let groups = groups_of(&actual, person);
        assert!(
            groups.iter().any(|g| g.contains(" Unit ")),
            "{person} holds a unit group in Openpath: {groups:?}"
        );
    }
    let after = s.sims.sims.openpath.state();
    for m in &hand_made {
        assert!(
            after.memberships.contains(m),
            "hand-made membership {m:?} kept"
        );
    }
    let owned = after
        .users
        .iter()
        .filter(|u| {
            u.external_id
                .as_deref()
                .is_some_and(|e| e.starts_with("lockstep:"))
        })
        .count();
    assert_eq!(
        owned,
        actual.users.len(),
        "one Openpath user per owned person"
    );
    assert!(daemon.stop().success());
}
