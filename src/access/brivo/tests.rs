//! The Brivo connector against its simulator.

use super::*;
use crate::config::{Endpoint, Secret};
use crate::model::ManagedGroups;
use crate::sim::brivo::{BrivoSim, BrivoUser};
use crate::sim::Faults;

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

fn config(base: &str, api_key: &str, client_secret: &str) -> BrivoConfig {
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
        password: secret(BrivoSim::PASSWORD),
    }
}

fn brivo(base: &str) -> Brivo {
    Brivo::new(
        "brivo",
        &config(base, BrivoSim::API_KEY, BrivoSim::CLIENT_SECRET),
        None,
    )
    .expect("connector")
}

fn scope(groups: &[&str]) -> Scope {
    Scope {
        managed: ManagedGroups {
            names: groups.iter().map(|g| g.to_string()).collect(),
            patterns: vec![],
        },
    }
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

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
        s.memberships.push(crate::sim::brivo::BrivoMembership {
            group_id: group,
            user_id: id,
        });
    }
    sim.set_state(s);
}

#[tokio::test]
async fn observe_pages_through_everything_with_the_fewest_requests() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Entrances".into(), "Unit 1".into()]);
        let entrances = sim
            .state()
            .groups
            .iter()
            .find(|g| g.name == "Entrances")
            .expect("group")
            .id;
        seed_users(&sim, 250, entrances);
        let b = brivo(&base);
        sim.core.reset_stats();
        let actual = b
            .observe(&scope(&["Entrances", "Unit 1"]))
            .await
            .expect("observe");
        assert_eq!(actual.users.len(), 250);
        assert_eq!(actual.foreign_users, 3);
        assert!(actual
            .users
            .values()
            .all(|u| u.groups.contains_key("Entrances")));
        let stats = sim.core.stats();
        // token 1 + users 3 pages (253) + groups 1 + Entrances members 3 pages (251) + Unit 1 members 1
        assert_eq!(stats.count("POST /brivo/oauth/token"), 1);
        assert_eq!(stats.count("GET /brivo/v1/api/users"), 3);
        assert_eq!(stats.count("GET /brivo/v1/api/groups"), 1);
        assert_eq!(stats.count("GET /brivo/v1/api/groups/{gid}/users"), 4);
        assert_eq!(stats.requests, 9);
    })
    .await;
}

#[tokio::test]
async fn create_add_find_remove_and_idempotency() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Entrances".into()]);
        let b = brivo(&base);
        let new = NewUser {
            external_id: "lockstep:y:42".into(),
            name: "Ada Okafor".into(),
            email: Some("ada@example.test".into()),
        };
        let id = b.create_user(&new).await.expect("create");
        assert_eq!(
            b.create_user(&new)
                .await
                .expect("duplicate create resolves"),
            id
        );
        let found = b
            .find_user("lockstep:y:42")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(found.system_id, id);
        assert!(b.find_user("lockstep:y:43").await.expect("find").is_none());
        let actual = b.observe(&scope(&["Entrances"])).await.expect("observe");
        let gid = actual.groups["Entrances"].clone();
        b.add_to_group(&id, &gid, &Window::OPEN).await.expect("add");
        b.add_to_group(&id, &gid, &Window::OPEN)
            .await
            .expect("add twice");
        assert!(b
            .observe(&scope(&["Entrances"]))
            .await
            .expect("observe")
            .users["lockstep:y:42"]
            .groups
            .contains_key("Entrances"));
        b.remove_from_group(&id, &gid, None).await.expect("remove");
        b.remove_from_group(&id, &gid, None)
            .await
            .expect("remove twice");
        let creds = b.list_credentials(&id).await.expect("credentials");
        assert_eq!(creds.len(), 1, "the simulator issues a mobile pass");
        b.revoke_credential(&id, &creds[0].id)
            .await
            .expect("revoke");
        b.revoke_credential(&id, &creds[0].id)
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
async fn sixteen_group_limit_is_a_clear_rejection() {
    within(async {
        let (sim, base) = start().await;
        let names: Vec<String> = (0..17).map(|i| format!("G{i}")).collect();
        sim.seed_groups(&names);
        let b = brivo(&base);
        let id = b
            .create_user(&NewUser {
                external_id: "lockstep:y:1".into(),
                name: "A B".into(),
                email: None,
            })
            .await
            .expect("create");
        let actual = b.observe(&scope(&[])).await.expect("observe");
        for name in &names[..16] {
            b.add_to_group(&id, &actual.groups[name], &Window::OPEN)
                .await
                .expect("within limit");
        }
        let err = b
            .add_to_group(&id, &actual.groups["G16"], &Window::OPEN)
            .await
            .expect_err("17th group");
        assert_eq!(err.kind(), "rejected");
        assert!(err.to_string().contains("more than 16 groups"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    within(async {
        let (sim, base) = start().await;
        let mut s = sim.state();
        s.token_lifetime_secs = 2;
        sim.set_state(s);
        let b = brivo(&base);
        b.observe(&scope(&[])).await.expect("first");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        b.observe(&scope(&[]))
            .await
            .expect("after the refresh threshold");
        let grants = sim.state().grants;
        assert_eq!(grants.get("password"), Some(&1));
        assert!(
            grants.get("refresh_token").copied().unwrap_or(0) >= 1,
            "{grants:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn auth_failures_throttling_and_bad_pages_are_told_apart() {
    within(async {
        let (sim, base) = start().await;
        let bad_secret = Brivo::new("brivo", &config(&base, BrivoSim::API_KEY, "nope"), None)
            .expect("connector");
        assert_eq!(
            bad_secret
                .observe(&scope(&[]))
                .await
                .expect_err("bad secret")
                .kind(),
            "auth"
        );
        let bad_key = Brivo::new(
            "brivo",
            &config(&base, "wrong-key", BrivoSim::CLIENT_SECRET),
            None,
        )
        .expect("connector");
        let err = bad_key.observe(&scope(&[])).await.expect_err("bad api key");
        assert_eq!(
            err.kind(),
            "auth",
            "Developer Inactive is not throttling: {err}"
        );
        let b = brivo(&base);
        sim.core.set_faults(Faults {
            throttle_every: 1,
            ..Faults::default()
        });
        let err = b.observe(&scope(&[])).await.expect_err("throttled");
        assert_eq!(err.kind(), "throttled");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
        sim.core.set_faults(Faults::default());
        sim.seed_groups(&["E".into()]);
        let gid = sim.state().groups[0].id;
        seed_users(&sim, 150, gid);
        sim.core.set_faults(Faults {
            truncate_pages: true,
            ..Faults::default()
        });
        assert_eq!(
            b.observe(&scope(&["E"]))
                .await
                .expect_err("truncated")
                .kind(),
            "incomplete"
        );
        sim.core.set_faults(Faults::default());
        let err = b
            .add_to_group("999999", &gid.to_string(), &Window::OPEN)
            .await
            .expect_err("unknown user");
        assert!(
            err.to_string().contains("not found"),
            "the vendor's message surfaces: {err}"
        );
    })
    .await;
}

#[tokio::test]
async fn garbage_from_the_vendor_is_an_error_not_a_panic() {
    within(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = axum::Router::new()
            .route(
                "/oauth/token",
                axum::routing::post(|| async { r#"{"access_token":"t","expires_in":300}"# }),
            )
            .route(
                "/v1/api/users",
                axum::routing::get(|| async { "{\"data\": [1, 2" }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        let b = Brivo::new("brivo", &config(&base, "k", "s"), None).expect("connector");
        let err = b.observe(&scope(&[])).await.expect_err("garbage");
        assert_eq!(err.kind(), "bad_response", "{err}");
        assert!(err.to_string().contains("/users"), "{err}");
    })
    .await;
}
