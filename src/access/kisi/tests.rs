//! Kisi connector tests against the simulator on 127.0.0.1:0: paging and request counts,
//! writes and their idempotency, ownership, faults, malformed answers and the offset cap.

use super::*;
use crate::access::{AccessSystem, NewUser, Scope};
use crate::config::{Endpoint, KisiConfig, Secret};
use crate::model::ManagedGroups;
use crate::sim::kisi::{KisiSim, KisiState, SimGroup, SimRoleAssignment, SimUser};
use crate::sim::world::FOREIGN_GROUP;
use crate::sim::Faults;
use axum::Router;
use std::future::Future;
use std::time::Duration;

/// Every test runs under this bound.
async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

/// Serves `router` under `/kisi` on a fresh loopback port; returns the base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().nest("/kisi", router);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/kisi")
}

/// A connector like `kisi` but at Kisi's default budget (no `requests_per_second` set).
fn connector_at_default_rate(kisi: &Kisi) -> Kisi {
    let base = kisi.http.base_url().to_string();
    connector_with(&base, KisiSim::API_KEY, None)
}

/// Tests that are not about the budget run fast (the simulator does not enforce the limit).
fn connector(base: &str, key: &str) -> Kisi {
    connector_with(base, key, Some(1000.0))
}

fn connector_with(base: &str, key: &str, requests_per_second: Option<f64>) -> Kisi {
    let cfg = KisiConfig {
        endpoint: Endpoint {
            url: base.to_string(),
            timeout: Duration::from_secs(5),
            requests_per_second,
            stale_after: Duration::from_secs(3600),
        },
        api_key: Secret {
            value: key.to_string(),
            origin: "test".to_string(),
        },
    };
    Kisi::new("kisi-test", &cfg, None).unwrap()
}

/// A simulator seeded with `Lobby` (first, so it holds the hand-made manager), `Gym` and the
/// foreign group, and a connector with the right key.
async fn rig() -> (KisiSim, Kisi) {
    let sim = KisiSim::new(7);
    sim.seed_groups(&["Lobby".to_string(), "Gym".to_string()]);
    let base = serve(sim.router()).await;
    (sim, connector(&base, KisiSim::API_KEY))
}

fn scope(groups: &[&str]) -> Scope {
    let names: std::collections::BTreeSet<String> = groups.iter().map(|g| g.to_string()).collect();
    Scope {
        managed: ManagedGroups {
            names: names.clone(),
            patterns: Vec::new(),
        },
        wanted: names,
    }
}

fn group_id(sim: &KisiSim, name: &str) -> String {
    sim.state()
        .groups
        .iter()
        .find(|g| g.name == name)
        .unwrap()
        .id
        .to_string()
}

fn person(n: u32) -> NewUser {
    NewUser {
        external_id: format!("lockstep:yardi:p1-{n:05}"),
        name: format!("Person {n}"),
        email: None,
    }
}

/// `users` users (even ones owned), `groups` groups and `assignments` role assignments
/// spreading every user over the groups in turn (each user-group pair at most once).
fn big_state(users: u64, groups: u64, assignments: u64) -> KisiState {
    let user = |i: u64| {
        let mut metadata = BTreeMap::new();
        if i % 2 == 0 {
            metadata.insert(
                EXTERNAL_ID_KEY.to_string(),
                json!(format!("lockstep:t:{i}")),
            );
        }
        SimUser {
            id: 100_000 + i,
            name: format!("U{i}"),
            email: format!("u{i}@example.test"),
            access_enabled: true,
            metadata,
            notes: None,
            created_at: String::new(),
        }
    };
    let group = |g: u64| SimGroup {
        id: 1 + g,
        name: format!("G{g}"),
        place_id: None,
    };
    let assignment = |i: u64| SimRoleAssignment {
        id: 500_000 + i,
        user_id: 100_000 + i % users,
        group_id: 1 + i / users,
        role_id: "group_basic".into(),
        notify: false,
    };
    KisiState {
        users: (0..users).map(user).collect(),
        groups: (0..groups).map(group).collect(),
        role_assignments: (0..assignments).map(assignment).collect(),
        cards: Vec::new(),
        next_id: 1_000_000,
        ..KisiState::default()
    }
}

#[tokio::test]
async fn observe_reads_every_page_with_minimum_requests() {
    within(async {
        let (sim, kisi) = rig().await;
        sim.set_state(big_state(230, 3, 600));
        sim.core.reset_stats();
        let state = kisi.observe(&scope(&["G0"])).await.unwrap();
        assert_eq!(state.users.len(), 115);
        assert_eq!(state.foreign_users, 115);
        assert_eq!(state.groups.len(), 3);
        let memberships: usize = state.users.values().map(|u| u.groups.len()).sum();
        assert_eq!(memberships, 115 + 115 + 70);
        let first = &state.users["lockstep:t:0"];
        assert_eq!(first.system_id, "100000");
        assert_eq!(first.groups["G0"].id.as_deref(), Some("500000"));
        let stats = sim.core.stats();
        // ceil(230/100) + ceil(3/100) + ceil(600/250) = 3 + 1 + 3.
        assert_eq!(stats.requests, 7, "{stats:?}");
        assert_eq!(stats.count("GET /kisi/users"), 3);
        assert_eq!(stats.count("GET /kisi/groups"), 1);
        assert_eq!(stats.count("GET /kisi/role_assignments"), 3);
    })
    .await;
}

#[tokio::test]
async fn created_user_joins_a_group_and_is_found_by_external_id() {
    within(async {
        let (sim, kisi) = rig().await;
        let lobby = group_id(&sim, "Lobby");
        let id = kisi.create_user(&person(1)).await.unwrap();
        kisi.add_to_group(&id, &lobby, &Window::OPEN).await.unwrap();
        let stats = sim.core.stats();
        assert_eq!(
            (
                stats.count("POST /kisi/users"),
                stats.count("POST /kisi/role_assignments")
            ),
            (1, 1)
        );
        let state = kisi.observe(&scope(&["Lobby"])).await.unwrap();
        let user = &state.users["lockstep:yardi:p1-00001"];
        assert_eq!(user.system_id, id);
        assert!(user.groups.contains_key("Lobby"));
        assert_eq!(
            user.email.as_deref(),
            Some("lockstep-yardi-p1-00001@lockstep.invalid")
        );
        let found = kisi
            .find_user("lockstep:yardi:p1-00001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.system_id, id);
        // The query matches the notes of p1-00001 as a substring, but the metadata does not.
        assert!(kisi
            .find_user("lockstep:yardi:p1-0000")
            .await
            .unwrap()
            .is_none());
        assert!(kisi.find_user("").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn hand_made_users_are_foreign() {
    within(async {
        let (_sim, kisi) = rig().await;
        let state = kisi.observe(&scope(&["Lobby", "Gym"])).await.unwrap();
        assert!(state.users.is_empty());
        assert_eq!(state.foreign_users, 3);
        assert!(state.groups.contains_key(FOREIGN_GROUP));
        assert!(state.groups.contains_key("Lobby"));
    })
    .await;
}

#[tokio::test]
async fn writes_are_idempotent() {
    within(async {
        let (sim, kisi) = rig().await;
        let gym = group_id(&sim, "Gym");
        let id = kisi.create_user(&person(2)).await.unwrap();
        // A create that already landed (same email, same external id) gives the same user.
        assert_eq!(kisi.create_user(&person(2)).await.unwrap(), id);
        let made = kisi.add_to_group(&id, &gym, &Window::OPEN).await.unwrap();
        // The second add meets the 422 of an existing assignment and names that one.
        let again = kisi.add_to_group(&id, &gym, &Window::OPEN).await.unwrap();
        let state = kisi.observe(&scope(&["Gym"])).await.unwrap();
        let membership = state.users["lockstep:yardi:p1-00002"].groups["Gym"]
            .id
            .clone();
        let membership = membership.unwrap();
        assert_eq!(
            made.as_deref(),
            Some(membership.as_str()),
            "the create answer's id"
        );
        assert_eq!(again, made);
        kisi.remove_from_group(&id, &gym, Some(&membership))
            .await
            .unwrap();
        kisi.remove_from_group(&id, &gym, Some(&membership))
            .await
            .unwrap();
        // Without a membership id the connector looks it up first.
        kisi.add_to_group(&id, &gym, &Window::OPEN).await.unwrap();
        sim.core.reset_stats();
        kisi.remove_from_group(&id, &gym, None).await.unwrap();
        kisi.remove_from_group(&id, &gym, None).await.unwrap();
        let stats = sim.core.stats();
        assert_eq!(stats.count("GET /kisi/role_assignments"), 2);
        assert_eq!(stats.count("DELETE /kisi/role_assignments/{id}"), 1);
        let state = kisi.observe(&scope(&["Gym"])).await.unwrap();
        assert!(state.users["lockstep:yardi:p1-00002"].groups.is_empty());
    })
    .await;
}

#[tokio::test]
async fn credentials_are_listed_and_unassigned() {
    within(async {
        let (sim, kisi) = rig().await;
        let id = kisi.create_user(&person(3)).await.unwrap();
        let cards = kisi.list_credentials(&id).await.unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].kind, "card");
        sim.core.reset_stats();
        kisi.revoke_credential(&id, &cards[0].id).await.unwrap();
        kisi.revoke_credential(&id, &cards[0].id).await.unwrap();
        kisi.revoke_credential(&id, "999999").await.unwrap();
        assert_eq!(sim.core.stats().requests, 3);
        assert!(kisi.list_credentials(&id).await.unwrap().is_empty());
        let err = kisi.revoke_credential(&id, "../users").await.unwrap_err();
        assert_eq!(err.kind(), "rejected");
    })
    .await;
}

#[tokio::test]
async fn email_held_by_someone_else_is_rejected() {
    within(async {
        let (_sim, kisi) = rig().await;
        let mut user = person(4);
        user.email = Some("gina.trainer@example.test".into());
        let err = kisi.create_user(&user).await.unwrap_err();
        assert_eq!(err.kind(), "rejected", "{err}");
        assert!(err.to_string().contains("already been taken"), "{err}");
        let err = kisi
            .add_to_group("424242", "1", &Window::OPEN)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "not_found", "{err}");
    })
    .await;
}

#[tokio::test]
async fn wrong_api_key_is_an_auth_error() {
    within(async {
        let sim = KisiSim::new(1);
        let kisi = connector(&serve(sim.router()).await, "not-the-key");
        let err = kisi.observe(&Scope::default()).await.unwrap_err();
        assert_eq!(err.kind(), "auth", "{err}");
        assert!(!err.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn faults_surface_as_the_right_errors() {
    within(async {
        let (sim, kisi) = rig().await;
        sim.set_state(big_state(230, 3, 600));
        sim.core.set_faults(Faults {
            truncate_pages: true,
            ..Faults::default()
        });
        let err = kisi.observe(&Scope::default()).await.unwrap_err();
        assert_eq!(err.kind(), "incomplete", "{err}");
        sim.core.set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        let err = kisi.observe(&Scope::default()).await.unwrap_err();
        assert_eq!(err.kind(), "server", "{err}");
        // An empty answer is consistent; catching it is the completeness gate's job.
        sim.core.set_faults(Faults {
            empty: true,
            ..Faults::default()
        });
        let state = kisi.observe(&Scope::default()).await.unwrap();
        assert_eq!(
            (state.users.len(), state.foreign_users, state.groups.len()),
            (0, 0, 0)
        );
    })
    .await;
}

/// A stand-in Kisi answering every request with `body` and `range`.
async fn fake(body: &'static str, range: Option<&'static str>) -> Kisi {
    let router = Router::new().fallback(move || async move {
        let mut response = axum::response::Response::new(axum::body::Body::from(body));
        if let Some(range) = range {
            response
                .headers_mut()
                .insert("x-collection-range", range.parse().unwrap());
        }
        response
    });
    connector(&serve(router).await, "k")
}

#[tokio::test]
async fn malformed_answers_are_errors_not_panics() {
    within(async {
        let kisi = fake("not json{", Some("0-0/1")).await;
        let err = kisi.find_user("lockstep:x:1").await.unwrap_err();
        assert_eq!(err.kind(), "bad_response", "{err}");
        assert!(err.to_string().contains("/users?query="), "{err}");
        assert_eq!(
            kisi.observe(&Scope::default()).await.unwrap_err().kind(),
            "bad_response"
        );
        let err = kisi.create_user(&person(5)).await.unwrap_err();
        assert_eq!(err.kind(), "bad_response", "{err}");
        let kisi = fake(r#"{"data":[]}"#, Some("*/0")).await;
        assert_eq!(
            kisi.observe(&Scope::default()).await.unwrap_err().kind(),
            "bad_response"
        );
        let kisi = fake(r#"[{"id":{"nested":1},"name":"x"}]"#, Some("0-0/1")).await;
        assert_eq!(
            kisi.list_credentials("1").await.unwrap_err().kind(),
            "bad_response"
        );
        for range in [None, Some("garbage"), Some("0-4/5"), Some("3-3/1")] {
            let kisi = fake(r#"[{"id":1,"name":"x"}]"#, range).await;
            let err = kisi.observe(&Scope::default()).await.unwrap_err();
            assert_eq!(err.kind(), "incomplete", "{range:?}: {err}");
        }
    })
    .await;
}

#[tokio::test]
async fn deep_role_assignments_are_listed_per_managed_group() {
    within(async {
        let (sim, kisi) = rig().await;
        let kisi = kisi.with_max_offset(300);
        sim.set_state(big_state(230, 3, 600));
        sim.core.reset_stats();
        let state = kisi.observe(&scope(&["G0", "G2", "Absent"])).await.unwrap();
        let count = |g: &str| {
            state
                .users
                .values()
                .filter(|u| u.groups.contains_key(g))
                .count()
        };
        assert_eq!((count("G0"), count("G1"), count("G2")), (115, 0, 70));
        // 1 assignment page, 1 group page, one page for each of G0 and G2, 3 user pages.
        assert_eq!(sim.core.stats().requests, 7);
        // Users beyond reach too: read by the ids the memberships name (`ids` filter).
        let kisi = kisi.with_max_offset(100);
        sim.core.reset_stats();
        let state = kisi.observe(&scope(&["G0", "G2"])).await.unwrap();
        let count = |g: &str| {
            state
                .users
                .values()
                .filter(|u| u.groups.contains_key(g))
                .count()
        };
        assert_eq!((count("G0"), count("G1"), count("G2")), (115, 0, 70));
        // 1 + 1 + 2 as above, then the 230 members' ids in 100s: 1 page + 3 by id.
        assert_eq!(sim.core.stats().requests, 8);
    })
    .await;
}

/// The real cap: 20300 assignments cannot be paged through from offset 0 (the last page's
/// offset, 20250, is above 20000), so they are read per managed group.
#[tokio::test]
async fn real_offset_cap_partitions() {
    within(async {
        let (sim, kisi) = rig().await;
        sim.set_state(big_state(100, 203, 20_300));
        sim.core.reset_stats();
        let state = kisi.observe(&scope(&["G0", "G202"])).await.unwrap();
        let memberships: usize = state.users.values().map(|u| u.groups.len()).sum();
        assert_eq!(memberships, 2 * 50);
        // 1 assignment page, 1 group page (250 a page), 1 page per managed group, 1 user page.
        assert_eq!(sim.core.stats().requests, 5);
    })
    .await;
}

/// More groups than offset paging reaches (the 100k-resident portfolio had 33,351): the groups
/// the scope wants are looked up by name (`fetchGroups` `query`, exact match) and remembered,
/// and held memberships take their group's name from the assignment (`applies_to.name`).
#[tokio::test]
async fn groups_beyond_reach_are_resolved_by_name() {
    within(async {
        let (sim, kisi) = rig().await;
        let kisi = kisi.with_max_offset(200);
        sim.set_state(big_state(10, 300, 20));
        sim.core.reset_stats();
        let state = kisi.observe(&scope(&["G0", "G1", "G299"])).await.unwrap();
        assert_eq!(state.groups.get("G299").map(String::as_str), Some("300"));
        assert_eq!(state.groups.get("G0").map(String::as_str), Some("1"));
        let members: usize = state.users.values().map(|u| u.groups.len()).sum();
        assert_eq!(
            members, 10,
            "the even users of G0 and G1, held memberships by name"
        );
        let lookups = sim.core.stats().count("GET /kisi/groups");
        // 1 page that shows the listing is too deep, then one lookup for G299 (G0 and G1 are
        // named by their assignments).
        assert_eq!(lookups, 2);
        sim.core.reset_stats();
        kisi.observe(&scope(&["G0", "G1", "G299"])).await.unwrap();
        assert_eq!(
            sim.core.stats().count("GET /kisi/groups"),
            1,
            "the lookup is remembered"
        );
    })
    .await;
}

/// With the simulator enforcing Kisi's documented 5 requests per second per user, the
/// connector at its default budget (one request at a time, 5 a second) still reads and writes.
#[tokio::test]
async fn lives_within_the_documented_rate_limit() {
    within(async {
        let (sim, kisi) = rig().await;
        sim.core.set_faults(Faults {
            rate_limit_per_second: 5.0,
            ..Faults::default()
        });
        let cfg_kisi = connector_at_default_rate(&kisi);
        let state = cfg_kisi.observe(&scope(&["Lobby", "Gym"])).await.unwrap();
        assert!(state.groups.contains_key("Lobby"));
        let id = cfg_kisi.create_user(&person(1)).await.unwrap();
        let lobby = group_id(&sim, "Lobby");
        cfg_kisi
            .add_to_group(&id, &lobby, &Window::OPEN)
            .await
            .unwrap();
        let state = cfg_kisi.observe(&scope(&["Lobby", "Gym"])).await.unwrap();
        let owned = state
            .users
            .values()
            .filter(|u| u.groups.contains_key("Lobby"))
            .count();
        assert!(owned >= 1);
    })
    .await;
}

mod notify;
