//! The informer against the Brivo simulator on 127.0.0.1: one listing shared by properties,
//! writes patched in, doubt and resync forcing a relist. Requests are counted by the simulator.

use super::*;
use crate::access::brivo::tests::{brivo, group_id, scope, seed_users, start, within, USERS};
use crate::model::{DesiredUser, Window};
use crate::sim::brivo::BrivoSim;

fn union(groups: &[&str]) -> ManagedGroups {
    scope(groups).managed
}

fn wanting(exts: &[&str]) -> DesiredState {
    let mut d = DesiredState::default();
    for ext in exts {
        d.users.insert(
            ext.to_string(),
            DesiredUser {
                person_id: ext.rsplit(':').next().unwrap_or_default().into(),
                name: "N".into(),
                email: None,
                groups: BTreeMap::new(),
                revoked_credentials: BTreeSet::new(),
                new_grants: true,
                pin: None,
                mobile_key: false,
            },
        );
    }
    d
}

async fn setup() -> (BrivoSim, Arc<dyn AccessSystem>) {
    let (sim, base) = start().await;
    sim.seed_groups(&["A Lobby".into(), "B Lobby".into()]);
    seed_users(&sim, 30, group_id(&sim, "A Lobby"));
    let system: Arc<dyn AccessSystem> = Arc::new(brivo(&base));
    (sim, system)
}

#[tokio::test]
async fn properties_on_one_system_share_one_listing_and_see_only_their_people() {
    within(async {
        let (sim, system) = setup().await;
        let informer = Informer::new(Duration::from_secs(900));
        let all = union(&["A Lobby", "B Lobby"]);
        let (a, read) = informer
            .observe("brivo", &system, &scope(&["A Lobby"]), &all, &wanting(&[]))
            .await
            .expect("observe a");
        assert_eq!(read, Read::Listed);
        assert_eq!(a.users.len(), 30);
        let listed = sim.core.stats().count(USERS);
        let (b, read) = informer
            .observe("brivo", &system, &scope(&["B Lobby"]), &all, &wanting(&[]))
            .await
            .expect("observe b");
        assert_eq!(read, Read::Cached);
        assert!(b.users.is_empty(), "B manages nothing these users hold");
        assert_eq!(sim.core.stats().count(USERS), listed, "no second listing");
    })
    .await;
}

#[tokio::test]
async fn confirmed_writes_patch_the_cache_and_doubt_forces_a_relist() {
    within(async {
        let (_sim, system) = setup().await;
        let informer = Informer::new(Duration::from_secs(900));
        let all = union(&["A Lobby", "B Lobby"]);
        let b_scope = scope(&["B Lobby"]);
        let (before, _) = informer
            .observe(
                "brivo",
                &system,
                &b_scope,
                &all,
                &wanting(&["lockstep:y:3"]),
            )
            .await
            .expect("observe");
        let user = before.users["lockstep:y:3"].system_id.clone();
        let group = before.groups["B Lobby"].clone();
        system
            .add_to_group(&user, &group, &Window::OPEN)
            .await
            .expect("add");
        let add = Action::AddToGroup {
            external_id: "lockstep:y:3".into(),
            person_id: "3".into(),
            group: "B Lobby".into(),
            window: Window::OPEN,
        };
        let done = Written {
            action: add.clone(),
            user_id: None,
            membership_id: None,
            result: WriteResult::Done,
        };
        informer.confirm("brivo", &[done]).await;
        let (after, read) = informer
            .observe("brivo", &system, &b_scope, &all, &wanting(&[]))
            .await
            .expect("observe");
        assert_eq!(read, Read::Cached);
        assert!(after.users["lockstep:y:3"].groups.contains_key("B Lobby"));

        let doubt = Written {
            action: add,
            user_id: None,
            membership_id: None,
            result: WriteResult::InDoubt,
        };
        informer.confirm("brivo", &[doubt]).await;
        let (_, read) = informer
            .observe("brivo", &system, &b_scope, &all, &wanting(&[]))
            .await
            .expect("observe");
        assert_eq!(read, Read::Listed, "an unknown outcome is never trusted");
    })
    .await;
}

#[tokio::test]
async fn a_zero_resync_lists_every_time_and_a_wider_scope_relists() {
    within(async {
        let (_sim, system) = setup().await;
        let all = union(&["A Lobby"]);
        let informer = Informer::new(Duration::ZERO);
        for _ in 0..2 {
            let (_, read) = informer
                .observe("brivo", &system, &scope(&["A Lobby"]), &all, &wanting(&[]))
                .await
                .expect("observe");
            assert_eq!(read, Read::Listed);
        }
        let informer = Informer::new(Duration::from_secs(900));
        let (_, read) = informer
            .observe("brivo", &system, &scope(&["A Lobby"]), &all, &wanting(&[]))
            .await
            .expect("observe");
        assert_eq!(read, Read::Listed);
        // A reload mapped a group nobody listed yet: the cache cannot answer for it.
        let (_, read) = informer
            .observe("brivo", &system, &scope(&["B Lobby"]), &all, &wanting(&[]))
            .await
            .expect("observe");
        assert_eq!(read, Read::Listed);
    })
    .await;
}
