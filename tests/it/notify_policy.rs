//! The `notify:` policy through the real daemon against the Kisi simulator: with
//! `notify: default` on p1, every user lockstep creates gets exactly one role assignment that
//! asked Kisi to notify them, however many groups they are given.

use crate::harness::*;
use std::collections::BTreeMap;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// Kisi user id → the `notify` of each of its role assignments, for the users lockstep made.
fn assignments_of_lockstep_users(s: &Setup) -> BTreeMap<u64, Vec<bool>> {
    let state = s.sims.sims.kisi.state();
    let mut out: BTreeMap<u64, Vec<bool>> = state
        .users
        .iter()
        .filter(|u| {
            u.metadata
                .get(lockstep::access::kisi::EXTERNAL_ID_KEY)
                .and_then(|v| v.as_str())
                .is_some_and(|id| id.starts_with("lockstep:"))
        })
        .map(|u| (u.id, Vec::new()))
        .collect();
    for r in &state.role_assignments {
        if let Some(list) = out.get_mut(&r.user_id) {
            list.push(r.notify);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_default_each_created_user_is_notified_once() {
    let s = setup(4, 43, "0s", |y| {
        let p1 = "    access_system: kisi-sim\n    mode: automatic\n";
        assert!(y.contains(p1), "{y}");
        y.replacen(p1, &format!("{p1}    notify: default\n"), 1)
    })
    .await;
    let daemon = s.start().await;
    let granted = eventually("p1's users to be created and granted", LONG, || async {
        let made = assignments_of_lockstep_users(&s);
        // Someone holds two groups, so `default` has a grant it must not notify.
        let done = made.values().all(|a| !a.is_empty()) && made.values().any(|a| a.len() >= 2);
        done.then_some(made)
    })
    .await;
    for (user, notified) in &granted {
        let told = notified.iter().filter(|n| **n).count();
        assert_eq!(told, 1, "user {user}: {notified:?}");
    }
    drop(daemon);
}
