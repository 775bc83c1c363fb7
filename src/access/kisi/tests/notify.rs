//! The grant's `notify` flag reaches Kisi as sent (true, false, and false from plain
//! `add_to_group`), and the executor sets it as the property's `notify` policy says, sending the
//! `default` invitation on a later cycle when every grant of the creating one failed.

use super::*;
use crate::config::NotifyPolicy;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[tokio::test]
async fn the_notify_flag_reaches_the_role_assignment() {
    within(async {
        let (sim, kisi) = rig().await;
        let (lobby, gym) = (group_id(&sim, "Lobby"), group_id(&sim, "Gym"));
        let id = kisi.create_user(&person(1)).await.unwrap();
        let other = kisi.create_user(&person(2)).await.unwrap();
        let told = kisi
            .add_to_group_notifying(&id, &lobby, &Window::OPEN, true)
            .await
            .unwrap();
        let quiet = kisi
            .add_to_group_notifying(&id, &gym, &Window::OPEN, false)
            .await
            .unwrap();
        let plain = kisi
            .add_to_group(&other, &lobby, &Window::OPEN)
            .await
            .unwrap();
        let notify_of = |made: Option<String>| {
            let made: u64 = made.expect("assignment id").parse().unwrap();
            let state = sim.state();
            let found = state.role_assignments.iter().find(|r| r.id == made);
            found.expect("assignment in the simulator").notify
        };
        assert!(notify_of(told));
        assert!(!notify_of(quiet));
        assert!(!notify_of(plain));
    })
    .await;
}

/// An executor of property p1 in the system `kisi-test`, under `notify`.
fn executor<'a>(
    system: &'a Arc<dyn AccessSystem>,
    store: &'a crate::store::Store,
    stop: &'a AtomicBool,
    notify: NotifyPolicy,
) -> crate::executor::Executor<'a> {
    crate::executor::Executor {
        property: "p1",
        system_name: "kisi-test",
        system,
        store,
        retry: crate::executor::RetryPolicy::default(),
        stop,
        now: crate::controller::now(),
        pins: None,
        notify,
    }
}

/// The executor under each policy, against the simulator: two people created in this apply
/// and given two and one groups, one person who already existed given a group and a window
/// moved on a membership they hold. Returns, per person, the `notify` of each assignment
/// this apply made, in the order the actions ran.
async fn notified_under(policy: NotifyPolicy) -> BTreeMap<String, Vec<bool>> {
    use crate::model::Action;
    let (sim, kisi) = rig().await;
    let old = person(9);
    let old_id = kisi.create_user(&old).await.unwrap();
    let lobby = group_id(&sim, "Lobby");
    kisi.add_to_group(&old_id, &lobby, &Window::OPEN)
        .await
        .unwrap();
    let system: Arc<dyn AccessSystem> = Arc::new(kisi);
    let actual = system.observe(&scope(&["Lobby", "Gym"])).await.unwrap();
    let before = sim.state().role_assignments.len();
    let (a, b) = (person(1), person(2));
    let create = |p: &NewUser| Action::CreateUser {
        external_id: p.external_id.clone(),
        person_id: p.external_id.clone(),
        name: p.name.clone(),
        email: None,
    };
    let add = |p: &NewUser, group: &str| Action::AddToGroup {
        external_id: p.external_id.clone(),
        person_id: p.external_id.clone(),
        group: group.into(),
        window: Window::OPEN,
    };
    let moved = Action::SetWindow {
        external_id: old.external_id.clone(),
        person_id: old.external_id.clone(),
        group: "Lobby".into(),
        window: Window::OPEN,
    };
    let actions = [
        create(&a),
        add(&a, "Lobby"),
        add(&a, "Gym"),
        create(&b),
        add(&b, "Lobby"),
        add(&old, "Gym"),
        moved,
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path()).unwrap();
    let stop = AtomicBool::new(false);
    let executor = executor(&system, &store, &stop, policy);
    let mut failed = Vec::new();
    executor
        .apply(&actions, &actual, |chunk| {
            failed.extend(
                chunk
                    .iter()
                    .filter_map(|o| o.result.as_ref().err())
                    .map(ToString::to_string),
            )
        })
        .await;
    assert!(failed.is_empty(), "{failed:?}");
    let mut by_person: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for p in [&a, &b, &old] {
        let id = system
            .find_user(&p.external_id)
            .await
            .unwrap()
            .unwrap()
            .system_id;
        let made = sim.state().role_assignments[before..]
            .iter()
            .filter(|r| r.user_id.to_string() == id)
            .map(|r| r.notify)
            .collect();
        by_person.insert(p.name.clone(), made);
    }
    by_person
}

#[tokio::test]
async fn the_executor_notifies_as_the_policy_says() {
    within(async {
        let expect = |a: [bool; 2], b: bool, old: bool| {
            BTreeMap::from([
                ("Person 1".to_string(), a.to_vec()),
                ("Person 2".to_string(), vec![b]),
                ("Person 9".to_string(), vec![old]),
            ])
        };
        // `default`: exactly one notifying grant per person created in this apply.
        assert_eq!(
            notified_under(NotifyPolicy::Default).await,
            expect([true, false], true, false)
        );
        assert_eq!(
            notified_under(NotifyPolicy::Always).await,
            expect([true, true], true, true)
        );
        assert_eq!(
            notified_under(NotifyPolicy::Never).await,
            expect([false, false], false, false)
        );
    })
    .await;
}

/// `default`: a user created in an apply whose only grant failed (its group is not in the
/// system) is still invited by its first grant that succeeds, in a later apply; the grant after
/// that is quiet, and the debt is settled in the store.
#[tokio::test]
async fn a_default_invitation_waits_for_the_first_grant_that_succeeds() {
    use crate::model::Action;
    within(async {
        let (sim, kisi) = rig().await;
        let system: Arc<dyn AccessSystem> = Arc::new(kisi);
        let a = person(1);
        let add = |group: &str| Action::AddToGroup {
            external_id: a.external_id.clone(),
            person_id: a.external_id.clone(),
            group: group.into(),
            window: Window::OPEN,
        };
        let create = Action::CreateUser {
            external_id: a.external_id.clone(),
            person_id: a.external_id.clone(),
            name: a.name.clone(),
            email: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let stop = AtomicBool::new(false);
        let executor = executor(&system, &store, &stop, NotifyPolicy::Default);
        let before = sim.state().role_assignments.len();
        let mut results = Vec::new();
        let batches = [
            vec![create, add("Nowhere")],
            vec![add("Lobby")],
            vec![add("Gym")],
        ];
        for batch in &batches {
            let actual = system.observe(&scope(&["Lobby", "Gym"])).await.unwrap();
            executor
                .apply(batch, &actual, |chunk| {
                    results.extend(chunk.iter().map(|o| o.result.is_ok()))
                })
                .await;
        }
        assert_eq!(results, [true, false, true, true], "the first grant fails");
        let notified: Vec<bool> = sim.state().role_assignments[before..]
            .iter()
            .map(|r| r.notify)
            .collect();
        assert_eq!(notified, [true, false], "Lobby invites, Gym is quiet");
        let owed = store.invites().owed("p1", "kisi-test").unwrap();
        assert!(owed.is_empty(), "settled: {owed:?}");
    })
    .await;
}
