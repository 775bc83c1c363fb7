//! Lockstep against a Brivo that enforces a queries-per-second quota per API key: the connector
//! and the executor, as a cycle uses them, against the simulator on 127.0.0.1:0 with
//! `rate_limit_per_second` set. Brivo publishes no figure, so 10 per second is an assumption
//! chosen to be tight enough that a cycle meets Mashery's 403 throttle many times.

use super::tests::{brivo, group_id, scope, seed_users, start};
use crate::access::AccessSystem;
use crate::executor::{Executor, RetryPolicy};
use crate::model::{Action, Window};
use crate::sim::Faults;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The quota the simulator enforces (assumption: Brivo documents none).
const QPS: f64 = 10.0;
/// People the batch creates and adds to both groups: 3 writes each.
const PEOPLE: usize = 15;

fn batch() -> Vec<Action> {
    let mut actions = Vec::new();
    for i in 0..PEOPLE {
        let (external_id, person_id) = (format!("lockstep:y:new{i}"), format!("new{i}"));
        actions.push(Action::CreateUser {
            external_id: external_id.clone(),
            person_id: person_id.clone(),
            name: format!("Person {i}"),
            email: None,
        });
        for group in ["Entrances", "Gym"] {
            actions.push(Action::AddToGroup {
                external_id: external_id.clone(),
                person_id: person_id.clone(),
                group: group.into(),
                window: Window::OPEN,
            });
        }
    }
    actions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_converges_through_mashery_throttling() {
    // About 70 requests at 10 a second: a generous bound, not a timing threshold.
    let bound = std::time::Duration::from_secs(90);
    let run = tokio::time::timeout(bound, async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Entrances".into(), "Gym".into()]);
        seed_users(&sim, 150, group_id(&sim, "Entrances"));
        sim.core.set_faults(Faults {
            rate_limit_per_second: QPS,
            ..Faults::default()
        });
        sim.core.reset_stats();
        let system: Arc<dyn AccessSystem> = Arc::new(brivo(&base));
        let managed = scope(&["Entrances", "Gym"]);
        let actual = system.observe(&managed).await.expect("a full observe");
        assert_eq!(actual.users.len(), 150);
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::Store::open(dir.path()).expect("store");
        let stop = AtomicBool::new(false);
        let executor = Executor {
            property: "p1",
            system_name: "brivo-test",
            system: &system,
            store: &store,
            retry: RetryPolicy::default(),
            stop: &stop,
            now: crate::controller::now(),
            pins: None,
            notify: crate::config::NotifyPolicy::Never,
        };
        let mut failures = Vec::new();
        executor
            .apply(&batch(), &actual, |chunk| {
                let failed = chunk.iter().filter_map(|o| o.result.as_ref().err());
                failures.extend(failed.map(ToString::to_string));
            })
            .await;
        assert!(failures.is_empty(), "{failures:?}");
        let after = system.observe(&managed).await.expect("observe again");
        for i in 0..PEOPLE {
            let user = &after.users[&format!("lockstep:y:new{i}")];
            assert!(user.groups.keys().eq(["Entrances", "Gym"].iter()), "{i}");
        }
        let stats = sim.core.stats();
        let throttled = stats.by_status.get("403").copied().unwrap_or(0);
        eprintln!(
            "brivo at {QPS}/s per key: {} requests, {throttled} answered 403 Developer Over Qps",
            stats.requests
        );
        assert!(throttled > 0, "the quota was met: {stats:?}");
        assert!(stats.by_status.get("204").copied().unwrap_or(0) >= 2 * PEOPLE as u64);
    });
    run.await.expect("test timed out");
}
