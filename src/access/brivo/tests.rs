//! The Brivo connector against its simulator on 127.0.0.1:0, each test under a timeout.

use super::*;
use crate::config::{Endpoint, Secret};
use crate::model::ManagedGroups;
use crate::sim::brivo::{BrivoMembership, BrivoSim, BrivoUser};
use crate::sim::world::FOREIGN_GROUP;
use crate::sim::Faults;
use std::sync::Arc;

const TOKEN: &str = "POST /brivo/oauth/token";
const USERS: &str = "GET /brivo/v1/api/users";
const GROUPS: &str = "GET /brivo/v1/api/groups";
const MEMBERS: &str = "GET /brivo/v1/api/groups/{gid}/users";

async fn start() -> (BrivoSim, String) {
    let sim = BrivoSim::new(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/brivo", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/brivo", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

fn config(base: &str, api_key: &str, client_secret: &str, password: &str) -> BrivoConfig {
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

fn connector(cfg: &BrivoConfig) -> Brivo {
    Brivo::new("brivo-test", cfg, None).expect("connector")
}

fn brivo(base: &str) -> Brivo {
    let cfg = config(
        base,
        BrivoSim::API_KEY,
        BrivoSim::CLIENT_SECRET,
        BrivoSim::PASSWORD,
    );
    connector(&cfg)
}

fn scope(groups: &[&str]) -> Scope {
    Scope {
        managed: ManagedGroups {
            names: groups.iter().map(|g| g.to_string()).collect(),
            patterns: vec![],
        },
        ..Scope::default()
    }
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

fn group_id(sim: &BrivoSim, name: &str) -> u64 {
    let state = sim.state();
    state.groups.iter().find(|g| g.name == name).expect(name).id
}

/// `n` owned users (external ids `lockstep:y:<i>`), each a member of `group`.
fn seed_users(sim: &BrivoSim, n: usize, group: u64) {
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

fn new_user(external_id: &str, name: &str) -> NewUser {
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
        assert!(b.capabilities().throttles_with_403);
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
async fn the_sixteen_group_limit_is_a_clear_rejection() {
    within(async {
        let (sim, base) = start().await;
        let names: Vec<String> = (0..17).map(|i| format!("G{i}")).collect();
        sim.seed_groups(&names);
        let b = brivo(&base);
        let id = b
            .create_user(&new_user("lockstep:y:1", "A B"))
            .await
            .expect("create");
        let actual = b.observe(&scope(&[])).await.expect("observe");
        for name in &names[..16] {
            b.add_to_group(&id, &actual.groups[name], &Window::OPEN)
                .await
                .expect("within the limit");
        }
        b.add_to_group(&id, &actual.groups["G3"], &Window::OPEN)
            .await
            .expect("an existing membership is not an addition");
        let err = b
            .add_to_group(&id, &actual.groups["G16"], &Window::OPEN)
            .await
            .expect_err("a 17th group");
        assert_eq!(err.kind(), "rejected", "{err}");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("more than 16 groups"), "{err}");
        let uid: u64 = id.parse().expect("numeric id");
        let held = sim
            .state()
            .memberships
            .iter()
            .filter(|m| m.user_id == uid)
            .count();
        assert_eq!(held, 16, "nothing applied");
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
async fn bad_credentials_are_auth_failures_not_throttling() {
    within(async {
        let (sim, base) = start().await;
        let (key, secret, password) = (
            BrivoSim::API_KEY,
            BrivoSim::CLIENT_SECRET,
            BrivoSim::PASSWORD,
        );
        for (cfg, says, kind) in [
            (
                config(&base, key, "nope", password),
                "Bad client credentials",
                "auth",
            ),
            (
                config(&base, key, secret, "nope"),
                "Bad credentials",
                "auth",
            ),
            // Mashery's ERR_403_DEVELOPER_INACTIVE: the key is wrong, a configuration error.
            (
                config(&base, "wrong-key", secret, password),
                "Developer Inactive",
                "config",
            ),
        ] {
            let err = connector(&cfg)
                .observe(&scope(&[]))
                .await
                .expect_err("refused");
            assert_eq!(err.kind(), kind, "{err}");
            assert!(err.to_string().contains(says), "{err}");
            assert!(err.to_string().contains("/oauth/token"), "{err}");
            assert!(
                !err.to_string().contains("nope"),
                "no secret in messages: {err}"
            );
        }
        // The key stops working after sign-in: the API's 403 is an auth failure, not retried.
        let mut b = brivo(&base);
        b.observe(&scope(&[])).await.expect("signed in");
        b.cfg.api_key.value = "revoked-key".into();
        sim.core.reset_stats();
        let err = b.observe(&scope(&[])).await.expect_err("key revoked");
        assert_eq!(err.kind(), "config", "{err}");
        assert!(err.to_string().contains("Developer Inactive"), "{err}");
        assert_eq!(sim.core.stats().requests, 1);
    })
    .await;
}

#[tokio::test]
async fn throttling_403_is_throttling_with_retry_after() {
    within(async {
        let (sim, base) = start().await;
        let throttle = |every| Faults {
            throttle_every: every,
            ..Faults::default()
        };
        sim.core.set_faults(throttle(1));
        let err = brivo(&base)
            .observe(&scope(&[]))
            .await
            .expect_err("throttled");
        assert_eq!(err.kind(), "throttled", "{err}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        sim.core.set_faults(Faults::default());
        sim.seed_groups(&["E".into()]);
        let b = brivo(&base);
        let id = b
            .create_user(&new_user("lockstep:y:1", "A B"))
            .await
            .expect("create");
        sim.core.set_faults(throttle(1));
        let gid = group_id(&sim, "E").to_string();
        let err = b
            .add_to_group(&id, &gid, &Window::OPEN)
            .await
            .expect_err("throttled");
        assert_eq!(err.kind(), "throttled", "{err}");
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        // Reads are retried after the asked-for pause, so a throttled page still completes.
        sim.core.set_faults(throttle(2));
        let actual = b
            .observe(&scope(&["E"]))
            .await
            .expect("read through throttling");
        assert_eq!(actual.users.len(), 1);
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

#[tokio::test]
async fn vendor_error_messages_surface() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["E".into()]);
        let b = brivo(&base);
        let err = b
            .create_user(&new_user("lockstep:y:2", "  "))
            .await
            .expect_err("no name");
        assert_eq!(err.kind(), "client", "{err}");
        let text = err.to_string();
        assert!(
            text.contains("400") && text.contains("firstName is required"),
            "{text}"
        );
        assert!(text.contains("POST /v1/api/users"), "{text}");
        let gid = group_id(&sim, "E").to_string();
        let err = b
            .add_to_group("999999", &gid, &Window::OPEN)
            .await
            .expect_err("unknown user");
        assert_eq!(err.kind(), "not_found", "{err}");
        assert!(err.to_string().contains("User 999999 not found"), "{err}");
        let err = b
            .list_credentials("999999")
            .await
            .expect_err("unknown user");
        assert_eq!(err.kind(), "not_found", "{err}");
        b.revoke_credential("999999", "1")
            .await
            .expect("already gone");
        b.remove_from_group("999999", &gid, None)
            .await
            .expect("already gone");
    })
    .await;
}

#[tokio::test]
async fn garbage_from_the_vendor_is_a_bad_response_not_a_panic() {
    within(async {
        use axum::routing::{get, post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let token = r#"{"access_token":"t","token_type":"bearer","expires_in":300}"#;
        let router = axum::Router::new()
            .route("/oauth/token", post(move || async move { token }))
            .route(
                "/bad/oauth/token",
                post(|| async { "<html>maintenance</html>" }),
            )
            .route("/v1/api/users", get(|| async { "{\"data\": [1, 2" }))
            .route(
                "/v1/api/users/{id}/external",
                get(|| async { r#"{"id":null}"# }),
            )
            .route(
                "/v1/api/users/{id}/credentials",
                get(|| async { r#"{"data":[]}"# }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        let b = connector(&config(&base, "k", "s", "p"));
        let err = b.observe(&scope(&[])).await.expect_err("cut-off JSON");
        assert_eq!(err.kind(), "bad_response", "{err}");
        assert!(
            err.to_string().contains("brivo-test: GET /v1/api/users"),
            "{err}"
        );
        let err = b.find_user("lockstep:y:1").await.expect_err("null id");
        assert_eq!(err.kind(), "bad_response", "{err}");
        let err = b.list_credentials("1").await.expect_err("no count");
        assert_eq!(err.kind(), "bad_response", "{err}");
        assert!(err.to_string().contains("count"), "{err}");
        let mut cfg = config(&base, "k", "s", "p");
        cfg.auth_url = format!("{base}/bad");
        let err = connector(&cfg)
            .observe(&scope(&[]))
            .await
            .expect_err("HTML token");
        assert_eq!(err.kind(), "bad_response", "{err}");
        assert!(err.to_string().contains("/oauth/token"), "{err}");
    })
    .await;
}
