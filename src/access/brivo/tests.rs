//! The Brivo connector against its simulator on 127.0.0.1:0, each test under a timeout.

use super::*;
use crate::access::{AccessSystem, NewUser, Scope};
use crate::config::{Endpoint, Secret};
use crate::model::ManagedGroups;
use crate::model::Window;
use crate::sim::brivo::{BrivoMembership, BrivoSim, BrivoUser};
use crate::sim::world::FOREIGN_GROUP;
use crate::sim::Faults;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const TOKEN: &str = "POST /brivo/oauth/token";
pub(crate) const USERS: &str = "GET /brivo/v1/api/users";
pub(crate) const GROUPS: &str = "GET /brivo/v1/api/groups";
pub(crate) const MEMBERS: &str = "GET /brivo/v1/api/groups/{gid}/users";

pub(crate) async fn start() -> (BrivoSim, String) {
    let sim = BrivoSim::new(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/brivo", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/brivo", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

pub(crate) fn config(
    base: &str,
    api_key: &str,
    client_secret: &str,
    password: &str,
) -> BrivoConfig {
    let secret = |v: &str| Secret {
        value: v.into(),
        origin: "test".into(),
    };
    BrivoConfig {
        endpoint: Endpoint {
            url: base.into(),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        auth_url: base.into(),
        api_key: secret(api_key),
        client_id: BrivoSim::CLIENT_ID.into(),
        client_secret: secret(client_secret),
        username: BrivoSim::USERNAME.into(),
        password: secret(password),
    }
}

pub(crate) fn connector(cfg: &BrivoConfig) -> Brivo {
    Brivo::new("brivo-test", cfg, None).expect("connector")
}

pub(crate) fn brivo(base: &str) -> Brivo {
    let cfg = config(
        base,
        BrivoSim::API_KEY,
        BrivoSim::CLIENT_SECRET,
        BrivoSim::PASSWORD,
    );
    connector(&cfg)
}

pub(crate) fn scope(groups: &[&str]) -> Scope {
    Scope {
        managed: ManagedGroups {
            names: groups.iter().map(|g| g.to_string()).collect(),
            patterns: vec![],
        },
        ..Scope::default()
    }
}

pub(crate) async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

pub(crate) fn group_id(sim: &BrivoSim, name: &str) -> u64 {
    let state = sim.state();
    state.groups.iter().find(|g| g.name == name).expect(name).id
}

/// `n` owned users (external ids `lockstep:y:<i>`), each a member of `group`.
pub(crate) fn seed_users(sim: &BrivoSim, n: usize, group: u64) {
    let mut s = sim.state();
    for i in 0..n {
        s.next_id += 1;
        let id = s.next_id;
        s.users.push(BrivoUser {
            id,
            first_name: format!("U{i}"),
            last_name: "X".into(),
            external_id: Some(format!("lockstep:y:{i}")),
            ..BrivoUser::default()
        });
        s.memberships.push(BrivoMembership {
            group_id: group,
            user_id: id,
        });
    }
    sim.set_state(s);
}

pub(crate) fn new_user(external_id: &str, name: &str) -> NewUser {
    NewUser {
        external_id: external_id.into(),
        name: name.into(),
        email: Some("ada@example.test".into()),
    }
}

#[tokio::test]
async fn observe_reads_every_page_with_the_fewest_requests() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Entrances".into(), "Unit 1".into()]);
        seed_users(&sim, 250, group_id(&sim, "Entrances"));
        let b = brivo(&base);
        assert_eq!(b.kind(), "brivo");
        assert_eq!(b.capabilities().max_groups_per_user, Some(16));
        assert_eq!(b.http.gateway(), crate::net::Gateway::Mashery);
        sim.core.reset_stats();
        let actual = b
            .observe(&scope(&["Entrances", "Unit 1"]))
            .await
            .expect("observe");
        assert_eq!(actual.users.len(), 250);
        assert_eq!(actual.foreign_users, 3, "hand-made users are not owned");
        assert!(actual
            .users
            .values()
            .all(|u| u.groups.keys().eq(["Entrances"].iter())));
        assert!(actual.groups.contains_key(FOREIGN_GROUP));
        assert_eq!(actual.users["lockstep:y:7"].name, "U7 X");
        // 253 users (3 pages), 3 groups (1), Entrances' 251 members (3), Unit 1 (1); the
        // unmanaged foreign group is not read.
        let stats = sim.core.stats();
        assert_eq!(stats.count(TOKEN), 1);
        assert_eq!(stats.count(USERS), 3);
        assert_eq!(stats.count(GROUPS), 1);
        assert_eq!(stats.count(MEMBERS), 4);
        assert_eq!(stats.requests, 9);
        sim.core.reset_stats();
        b.observe(&scope(&["Entrances", "Unit 1"]))
            .await
            .expect("again");
        assert_eq!(sim.core.stats().requests, 8, "the token is reused");
    })
    .await;
}

#[tokio::test]
async fn create_find_add_remove_and_revoke_are_idempotent() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Entrances".into()]);
        let b = brivo(&base);
        let new = new_user("lockstep:yardi:p1:42", "Ada van Okafor");
        let id = b.create_user(&new).await.expect("create");
        let again = b.create_user(&new).await.expect("a repeated create");
        assert_eq!(
            again, id,
            "a duplicate externalId resolves to the same user"
        );
        assert_eq!(
            sim.state()
                .users
                .iter()
                .filter(|u| u.id.to_string() == id)
                .count(),
            1
        );
        let found = b
            .find_user("lockstep:yardi:p1:42")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(found.system_id, id);
        assert_eq!(found.name, "Ada van Okafor");
        assert_eq!(found.email.as_deref(), Some("ada@example.test"));
        assert!(b
            .find_user("lockstep:yardi:p1:43")
            .await
            .expect("find")
            .is_none());

        let gid = group_id(&sim, "Entrances").to_string();
        sim.core.reset_stats();
        b.add_to_group(&id, &gid, &Window::OPEN).await.expect("add");
        b.add_to_group(&id, &gid, &Window::OPEN)
            .await
            .expect("add twice");
        assert_eq!(
            sim.core
                .stats()
                .count("PUT /brivo/v1/api/groups/{gid}/users/{uid}"),
            2
        );
        let actual = b.observe(&scope(&["Entrances"])).await.expect("observe");
        assert!(actual.users["lockstep:yardi:p1:42"]
            .groups
            .contains_key("Entrances"));
        assert_eq!(actual.users.len(), 1);
        assert_eq!(actual.foreign_users, 3);

        b.remove_from_group(&id, &gid, None).await.expect("remove");
        b.remove_from_group(&id, &gid, None)
            .await
            .expect("remove twice");
        let actual = b.observe(&scope(&["Entrances"])).await.expect("observe");
        assert!(actual.users["lockstep:yardi:p1:42"].groups.is_empty());

        let held = b.list_credentials(&id).await.expect("credentials");
        assert_eq!(held.len(), 1, "the simulator issues a mobile pass");
        assert_eq!(held[0].kind, "Brivo Mobile Pass");
        b.revoke_credential(&id, &held[0].id).await.expect("revoke");
        b.revoke_credential(&id, &held[0].id)
            .await
            .expect("revoke twice");
        assert!(b
            .list_credentials(&id)
            .await
            .expect("credentials")
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_token_is_refreshed_before_expiry_and_a_401_signs_in_again() {
    within(async {
        let (sim, base) = start().await;
        let mut s = sim.state();
        s.token_lifetime_secs = 2;
        sim.set_state(s);
        let b = brivo(&base);
        b.observe(&scope(&[])).await.expect("first");
        // A 2 s token is due for refresh after 1 s (half its life for short tokens).
        tokio::time::sleep(Duration::from_millis(1200)).await;
        b.observe(&scope(&[]))
            .await
            .expect("after the refresh threshold");
        let grants = sim.state().grants;
        assert_eq!(grants.get("password"), Some(&1), "{grants:?}");
        assert_eq!(grants.get("refresh_token"), Some(&1), "{grants:?}");
        // Past expiry the refresh token still works.
        tokio::time::sleep(Duration::from_millis(2200)).await;
        b.observe(&scope(&[])).await.expect("after expiry");
        assert_eq!(sim.state().grants.get("refresh_token"), Some(&2));
        // The account revokes every access token: one 401, a new sign-in, the call retried.
        let mut s = sim.state();
        s.access_tokens.clear();
        sim.set_state(s);
        sim.core.reset_stats();
        b.observe(&scope(&[])).await.expect("after revocation");
        let stats = sim.core.stats();
        assert_eq!(stats.count(USERS), 2, "one 401 and one retry");
        assert_eq!(stats.by_status.get("401"), Some(&1));
        assert_eq!(sim.state().grants.get("password"), Some(&2));
    })
    .await;
}

#[tokio::test]
async fn concurrent_calls_share_one_sign_in() {
    within(async {
        let (sim, base) = start().await;
        let b = Arc::new(brivo(&base));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let b = b.clone();
            tasks.spawn(async move { b.find_user(&format!("lockstep:y:{i}")).await });
        }
        while let Some(done) = tasks.join_next().await {
            assert!(done.expect("task").expect("find").is_none());
        }
        assert_eq!(sim.state().grants.get("password"), Some(&1));
    })
    .await;
}

#[tokio::test]
async fn truncated_pages_are_incomplete_and_name_the_list() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["E".into()]);
        seed_users(&sim, 150, group_id(&sim, "E"));
        let b = brivo(&base);
        let id = b
            .create_user(&new_user("lockstep:y:new", "A B"))
            .await
            .expect("create");
        sim.core.set_faults(Faults {
            truncate_pages: true,
            ..Faults::default()
        });
        let err = b.observe(&scope(&["E"])).await.expect_err("truncated");
        assert_eq!(err.kind(), "incomplete", "{err}");
        assert!(err.to_string().contains("GET /v1/api/users"), "{err}");
        assert!(err.is_retryable());
        let err = b.list_credentials(&id).await.expect_err("truncated");
        assert_eq!(err.kind(), "incomplete", "{err}");
        assert!(err.to_string().contains("/credentials"), "{err}");
        // An empty account is reported as such; judging a shrink is the reconciler's job.
        sim.core.set_faults(Faults {
            empty: true,
            ..Faults::default()
        });
        let actual = b.observe(&scope(&["E"])).await.expect("empty");
        assert!(actual.users.is_empty() && actual.groups.is_empty());
    })
    .await;
}
