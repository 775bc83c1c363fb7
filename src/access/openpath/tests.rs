//! The Openpath connector against its simulator on 127.0.0.1:0, each test under a timeout.

use super::*;
use crate::access::{AccessSystem, NewUser, Scope};
use crate::config::{Endpoint, Secret};
use crate::model::{ManagedGroups, Window};
use crate::sim::openpath::{OpUser, OpenpathSim};
use crate::sim::world::FOREIGN_GROUP;
use crate::sim::Faults;
use std::time::Duration;

const ORG: u64 = OpenpathSim::ORG_ID;

pub(crate) async fn start() -> (OpenpathSim, String) {
    let sim = OpenpathSim::new(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/openpath", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/openpath", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

pub(crate) fn config(base: &str, password: &str, org_id: u64) -> OpenpathConfig {
    OpenpathConfig {
        endpoint: Endpoint {
            url: base.into(),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        email: OpenpathSim::EMAIL.into(),
        password: Secret {
            value: password.into(),
            origin: "test".into(),
        },
        org_id,
    }
}

pub(crate) fn openpath(base: &str, page_size: usize) -> Openpath {
    Openpath::new(
        "openpath-test",
        &config(base, OpenpathSim::PASSWORD, ORG),
        None,
    )
    .expect("connector")
    .with_page_size(page_size)
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

fn group_id(sim: &OpenpathSim, name: &str) -> u64 {
    sim.state()
        .groups
        .iter()
        .find(|g| g.name == name)
        .expect(name)
        .id
}

/// `n` owned users (external ids `lockstep:y:<i>`), each a member of `group`.
fn seed_users(sim: &OpenpathSim, n: usize, group: u64) {
    let mut s = sim.state();
    for i in 0..n {
        let id = s.next_id();
        s.users.push(OpUser {
            id,
            status: "A".into(),
            external_id: Some(format!("lockstep:y:{i}")),
            email: format!("u{i}@example.test"),
            first_name: Some(format!("U{i}")),
            last_name: Some("X".into()),
            ..OpUser::default()
        });
        s.memberships.insert((id, group));
    }
    sim.set_state(s);
}

pub(crate) fn new_user(external_id: &str, email: Option<&str>) -> NewUser {
    NewUser {
        external_id: external_id.into(),
        name: "Ada Lovelace".into(),
        email: email.map(str::to_string),
    }
}

const USERS: &str = "GET /openpath/orgs/{org}/users";

#[tokio::test]
async fn observe_pages_every_user_and_reads_memberships_from_the_listing() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into(), "Gym".into()]);
        seed_users(&sim, 25, group_id(&sim, "Lobby"));
        let op = openpath(&base, 10);
        let actual = op.observe(&scope(&["Lobby"])).await.expect("observe");
        assert_eq!(actual.users.len(), 25);
        assert_eq!(actual.foreign_users, 3, "two foreign users and the manager");
        let u7 = &actual.users["lockstep:y:7"];
        assert_eq!(u7.name, "U7 X");
        assert_eq!(u7.email.as_deref(), Some("u7@example.test"));
        assert!(u7.groups.contains_key("Lobby"));
        assert!(actual.groups.contains_key(FOREIGN_GROUP));
        let stats = sim.core.stats();
        // 28 users at 10 a page: offsets 0, 10, 20.
        assert_eq!(stats.count(USERS), 3, "{stats:?}");
        assert_eq!(
            stats.count("GET /openpath/orgs/{org}/users/{user}/groups"),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn a_listing_without_groups_is_completed_per_owned_user() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        seed_users(&sim, 4, group_id(&sim, "Lobby"));
        let mut s = sim.state();
        s.omit_user_groups = true;
        sim.set_state(s);
        let actual = openpath(&base, 1000).observe(&scope(&["Lobby"])).await;
        let actual = actual.expect("observe");
        assert!(actual
            .users
            .values()
            .all(|u| u.groups.contains_key("Lobby")));
        let asked = sim
            .core
            .stats()
            .count("GET /openpath/orgs/{org}/users/{user}/groups");
        assert_eq!(
            asked, 4,
            "one listUserGroups per owned user, none for foreign ones"
        );
    })
    .await;
}

#[tokio::test]
async fn a_truncated_page_fails_the_observation_naming_the_request() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        seed_users(&sim, 30, group_id(&sim, "Lobby"));
        sim.core.set_faults(Faults {
            truncate_pages: true,
            ..Faults::default()
        });
        let err = openpath(&base, 10).observe(&scope(&["Lobby"])).await;
        let err = err.expect_err("a partial listing must not pass");
        assert_eq!(err.kind(), "incomplete");
        let text = err.to_string();
        assert!(
            text.contains(&format!("GET /orgs/{ORG}/groups?limit=10&offset=0")),
            "{text}"
        );
        assert!(text.contains("ended it at"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn create_add_remove_and_revoke_are_idempotent() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = group_id(&sim, "Lobby").to_string();
        let op = openpath(&base, 1000);
        let ext = "lockstep:y:ada";
        assert!(op.find_user(ext).await.expect("find").is_none());
        let id = op
            .create_user(&new_user(ext, Some("ada@example.test")))
            .await;
        let id = id.expect("create");
        let found = op.find_user(ext).await.expect("find").expect("found");
        assert_eq!(found.system_id, id);
        // A second create of the same person: the email is taken, the user is found.
        let again = op
            .create_user(&new_user(ext, Some("ada@example.test")))
            .await;
        assert_eq!(again.expect("create again"), id);
        assert_eq!(
            sim.state()
                .users
                .iter()
                .filter(|u| u.email == "ada@example.test")
                .count(),
            1
        );
        let window = Window::default();
        op.add_to_group(&id, &lobby, &window).await.expect("add");
        op.add_to_group(&id, &lobby, &window)
            .await
            .expect("add again");
        let uid: u64 = id.parse().expect("numeric id");
        assert!(sim
            .state()
            .memberships
            .contains(&(uid, lobby.parse().unwrap())));
        let seen = op.observe(&scope(&["Lobby"])).await.expect("observe");
        assert!(seen.users[ext].groups.contains_key("Lobby"));
        op.remove_from_group(&id, &lobby, None)
            .await
            .expect("remove");
        op.remove_from_group(&id, &lobby, None)
            .await
            .expect("remove again");
        assert!(!sim
            .state()
            .memberships
            .contains(&(uid, lobby.parse().unwrap())));
        let creds = op.list_credentials(&id).await.expect("credentials");
        assert_eq!(creds.len(), 1, "{creds:?}");
        assert_eq!(creds[0].kind, "Openpath Mobile");
        op.revoke_credential(&id, &creds[0].id)
            .await
            .expect("revoke");
        op.revoke_credential(&id, &creds[0].id)
            .await
            .expect("revoke again");
        assert!(op
            .list_credentials(&id)
            .await
            .expect("credentials")
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn refusals_name_the_vendor_and_never_guess() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let op = openpath(&base, 1000);
        let no_email = op.create_user(&new_user("lockstep:y:x", None)).await;
        let no_email = no_email.expect_err("Openpath requires an email");
        assert_eq!(no_email.kind(), "rejected");
        assert!(
            no_email.to_string().contains("identity.email"),
            "{no_email}"
        );
        let missing = op
            .add_to_group("999999", "888888", &Window::default())
            .await;
        assert_eq!(missing.expect_err("no such user").kind(), "not_found");
        let bad = op
            .add_to_group("not-a-number", "1", &Window::default())
            .await;
        assert_eq!(bad.expect_err("not an id").kind(), "rejected");
        let unknown = op
            .list_credentials("999999")
            .await
            .expect_err("no such user");
        assert_eq!(unknown.kind(), "not_found");
    })
    .await;
}

#[tokio::test]
async fn a_revoked_token_means_one_new_login_and_the_call_succeeds() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let op = openpath(&base, 1000);
        op.observe(&scope(&["Lobby"])).await.expect("first");
        let mut s = sim.state();
        assert_eq!(s.logins, 1);
        s.tokens.clear();
        sim.set_state(s);
        op.observe(&scope(&["Lobby"]))
            .await
            .expect("after the revocation");
        assert_eq!(sim.state().logins, 2, "one new login after the 401");
    })
    .await;
}

#[tokio::test]
async fn a_token_near_its_expiry_is_refreshed_not_replaced() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let mut s = sim.state();
        s.token_lifetime_secs = 4;
        sim.set_state(s);
        let op = openpath(&base, 1000);
        op.observe(&scope(&["Lobby"])).await.expect("first");
        // Past half of a 4 s life, refreshLogin is due while the token is still valid.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        op.observe(&scope(&["Lobby"])).await.expect("second");
        let s = sim.state();
        assert_eq!((s.logins, s.refreshes), (1, 1));
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_that_keeps_the_secret() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let cfg = config(&base, "wrong-password-123", ORG);
        let op = Openpath::new("openpath-test", &cfg, None).expect("connector");
        let err = op.observe(&scope(&["Lobby"])).await.expect_err("refused");
        assert_eq!(err.kind(), "auth");
        let text = err.to_string();
        assert!(text.contains("check email and password"), "{text}");
        assert!(!text.contains("wrong-password-123"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn another_org_is_refused_as_auth() {
    within(async {
        let (_sim, base) = start().await;
        let cfg = config(&base, OpenpathSim::PASSWORD, ORG + 1);
        let op = Openpath::new("openpath-test", &cfg, None).expect("connector");
        let err = op.observe(&scope(&[])).await.expect_err("not our org");
        assert_eq!(err.kind(), "auth", "{err}");
    })
    .await;
}

/// The shared rate-limit fault answers 429 with `Retry-After` (assumption: Openpath documents
/// no limit): reads wait and retry, a write hands the throttle to the executor.
#[tokio::test]
async fn a_throttled_read_is_retried_and_a_throttled_write_is_reported() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = group_id(&sim, "Lobby").to_string();
        let op = openpath(&base, 1000);
        op.observe(&scope(&["Lobby"])).await.expect("sign in first");
        sim.core.set_faults(Faults {
            throttle_every: 2,
            ..Faults::default()
        });
        sim.core.reset_stats();
        let actual = op
            .observe(&scope(&["Lobby"]))
            .await
            .expect("observe through 429s");
        assert!(actual.groups.contains_key("Lobby"));
        let stats = sim.core.stats();
        assert!(
            stats.by_status.get("429").is_some_and(|n| *n >= 1),
            "{stats:?}"
        );
        let user = sim.state().users[0].id.to_string();
        let mut throttled = None;
        for _ in 0..2 {
            if let Err(e) = op.add_to_group(&user, &lobby, &Window::default()).await {
                throttled = Some(e);
            }
        }
        let e = throttled.expect("one of two writes meets the throttle");
        assert_eq!(e.kind(), "throttled");
        assert!(e.is_retryable());
    })
    .await;
}
