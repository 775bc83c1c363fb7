//! The DOOR connector against its simulator on 127.0.0.1:0, each test under a timeout; and
//! against a hand-scripted server whose pages are malformed.

use super::*;
use crate::access::{AccessSystem, NewUser, Scope};
use crate::config::{Endpoint, Secret};
use crate::model::{ManagedGroups, Window};
use crate::sim::door::{DoorAccess, DoorSim, DoorUser};
use crate::sim::world::FOREIGN_GROUP;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::time::Duration;

pub(crate) async fn start() -> (DoorSim, String) {
    let sim = DoorSim::new(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/door", listener.local_addr().expect("addr"));
    let router = Router::new().nest("/door", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

pub(crate) fn config(base: &str, secret: &str) -> DoorConfig {
    DoorConfig {
        endpoint: Endpoint {
            url: base.into(),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        auth_url: base.into(),
        client_id: DoorSim::CLIENT_ID.into(),
        client_secret: Secret {
            value: secret.into(),
            origin: "test".into(),
        },
        audience: DoorSim::AUDIENCE.into(),
        passcode_type: "PERMANENT".into(),
    }
}

pub(crate) fn door(base: &str, page_size: usize) -> Door {
    Door::new("door-test", &config(base, DoorSim::CLIENT_SECRET), None)
        .expect("connector")
        .with_page_size(page_size)
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

fn door_uuid(sim: &DoorSim, name: &str) -> String {
    let s = sim.state();
    s.doors
        .iter()
        .find(|d| d.name == name)
        .expect(name)
        .uuid
        .clone()
}

/// `n` owned users (tag `lockstep:y:<i>`), each holding `door` from 2026-01-01 on.
fn seed_users(sim: &DoorSim, n: usize, door: &str) {
    let mut s = sim.state();
    for i in 0..n {
        let uuid = s.next_uuid();
        s.users.push(DoorUser {
            uuid,
            email: format!("u{i}@example.test"),
            first_name: format!("U{i}"),
            last_name: format!("X [lockstep:y:{i}]"),
            phone: None,
            accesses: vec![DoorAccess {
                door_uuid: door.into(),
                start_time: "2026-01-01T00:00:00Z".into(),
                end_time: None,
                passcode_type: "PERMANENT".into(),
                shareable: false,
                role: None,
                notified: false,
            }],
        });
    }
    sim.set_state(s);
}

fn ada() -> NewUser {
    NewUser {
        external_id: "lockstep:y:ada".into(),
        name: "Ada King Lovelace".into(),
        email: Some("ada@example.test".into()),
    }
}

const USERS: &str = "GET /door/v1/users";

#[tokio::test]
async fn observe_follows_every_page_token_and_reads_windows() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into(), "Gym".into()]);
        seed_users(&sim, 7, &door_uuid(&sim, "Lobby"));
        let actual = door(&base, 2)
            .observe(&scope(&["Lobby"]))
            .await
            .expect("observe");
        assert_eq!(actual.users.len(), 7);
        assert_eq!(actual.foreign_users, 3, "two foreign users and the manager");
        let u3 = &actual.users["lockstep:y:3"];
        assert_eq!(u3.name, "U3 X", "the tag is not part of the name");
        assert_eq!(u3.email.as_deref(), Some("u3@example.test"));
        let lobby = &u3.groups["Lobby"];
        assert_eq!(
            lobby.window.from,
            Some(1_767_225_600),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(lobby.window.until, None);
        assert!(actual.groups.contains_key(FOREIGN_GROUP));
        // 10 users at 2 a page.
        assert_eq!(sim.core.stats().count(USERS), 5);
    })
    .await;
}

#[tokio::test]
async fn a_token_near_expiry_is_replaced_and_a_401_is_retried_once() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let mut s = sim.state();
        s.token_lifetime_secs = 2;
        sim.set_state(s);
        let d = door(&base, 100);
        d.observe(&scope(&[])).await.expect("first");
        d.observe(&scope(&[])).await.expect("cached");
        assert_eq!(sim.state().token_grants, 1, "the token is cached");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        d.observe(&scope(&[])).await.expect("after expiry");
        assert_eq!(sim.state().token_grants, 2, "renewed before it expired");
        // DOOR forgets every token: the next call gets a 401, a new token and one retry.
        let mut s = sim.state();
        s.tokens.clear();
        s.token_lifetime_secs = 0;
        sim.set_state(s);
        d.observe(&scope(&[])).await.expect("after a 401");
        assert_eq!(sim.state().token_grants, 3);
        assert_eq!(sim.core.stats().by_status.get("401"), Some(&1));
    })
    .await;
}

#[tokio::test]
async fn a_refused_client_is_an_auth_failure_naming_the_settings() {
    within(async {
        let (_sim, base) = start().await;
        let d = Door::new("door-test", &config(&base, "wrong"), None).expect("connector");
        let err = d.observe(&scope(&[])).await.expect_err("refused");
        let text = err.to_string();
        assert_eq!(err.kind(), "auth", "{text}");
        assert!(
            text.contains("check client_id, client_secret and audience"),
            "{text}"
        );
        assert!(!text.contains("wrong"), "no secret in the message: {text}");
    })
    .await;
}

#[tokio::test]
async fn grants_windows_read_back_move_and_revoke() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = door_uuid(&sim, "Lobby");
        let d = door(&base, 100);
        let id = d.create_user(&ada()).await.expect("create");
        assert_eq!(
            d.find_user("lockstep:y:ada")
                .await
                .expect("find")
                .expect("found")
                .system_id,
            id
        );
        let first = Window {
            from: Some(1_800_000_000),
            until: Some(1_900_000_000),
        };
        d.add_to_group(&id, &lobby, &first).await.expect("grant");
        let actual = d.observe(&scope(&["Lobby"])).await.expect("observe");
        let ada = &actual.users["lockstep:y:ada"];
        assert_eq!(ada.groups["Lobby"].window, first);
        assert_eq!(ada.name, "Ada King Lovelace");
        // A new end only: updateUserAccess.
        let later = Window {
            until: Some(1_950_000_000),
            ..first
        };
        d.add_to_group(&id, &lobby, &later)
            .await
            .expect("set window");
        assert_eq!(
            sim.core
                .stats()
                .count("PATCH /door/v1/users/{user}/doors/{door}"),
            1
        );
        // A new start: a fresh grant.
        let moved = Window {
            from: Some(1_850_000_000),
            ..later
        };
        d.add_to_group(&id, &lobby, &moved)
            .await
            .expect("move start");
        d.add_to_group(&id, &lobby, &moved)
            .await
            .expect("unchanged is a no-op");
        assert_eq!(
            sim.core.stats().count("POST /door/v1/users"),
            3,
            "create, grant, move"
        );
        let actual = d.observe(&scope(&["Lobby"])).await.expect("observe");
        assert_eq!(actual.users["lockstep:y:ada"].groups["Lobby"].window, moved);
        d.remove_from_group(&id, &lobby, None)
            .await
            .expect("revoke");
        d.remove_from_group(&id, &lobby, None)
            .await
            .expect("already gone is done");
        let actual = d.observe(&scope(&["Lobby"])).await.expect("observe");
        assert!(actual.users["lockstep:y:ada"].groups.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_open_window_round_trips() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = door_uuid(&sim, "Lobby");
        let d = door(&base, 100);
        let id = d.create_user(&ada()).await.expect("create");
        d.add_to_group(&id, &lobby, &Window::OPEN)
            .await
            .expect("grant");
        let actual = d.observe(&scope(&["Lobby"])).await.expect("observe");
        assert_eq!(
            actual.users["lockstep:y:ada"].groups["Lobby"].window,
            Window::OPEN
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_grant_names_the_code_the_user_and_the_door() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = door_uuid(&sim, "Lobby");
        let d = door(&base, 100);
        let id = d.create_user(&ada()).await.expect("create");
        let backwards = Window {
            from: Some(1_900_000_000),
            until: Some(1_800_000_000),
        };
        let err = d
            .add_to_group(&id, &lobby, &backwards)
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert_eq!(err.kind(), "rejected", "{text}");
        assert!(text.contains("INVALID_END_TIME"), "{text}");
        assert!(text.contains("end time"), "{text}");
        assert!(text.contains(&id) && text.contains(&lobby), "{text}");
        let missing = "00000000-0000-4000-8000-0000000fffff";
        let err = d
            .add_to_group(missing, &lobby, &Window::OPEN)
            .await
            .expect_err("no user");
        assert_eq!(err.kind(), "not_found", "{err}");
        let err = d
            .add_to_group("42", &lobby, &Window::OPEN)
            .await
            .expect_err("not a uuid");
        assert!(err.to_string().contains("not a DOOR id"), "{err}");
        let no_email = NewUser {
            email: None,
            ..ada()
        };
        let err = d.create_user(&no_email).await.expect_err("no email");
        assert!(err.to_string().contains("need an email"), "{err}");
    })
    .await;
}

/// Serves a token and `GET /v1/doors` (empty) and `GET /v1/users` whose page for each token
/// is `pages(token)`.
async fn scripted(pages: fn(Option<&str>) -> serde_json::Value) -> String {
    let token = || async { Json(json!({"access_token": "t", "token_type": "Bearer"})) };
    let users = move |axum::extract::Query(q): axum::extract::Query<
        std::collections::HashMap<String, String>,
    >| async move { Json(pages(q.get("pageToken").map(String::as_str))) };
    let router = Router::new()
        .route("/v1/oauth/token", post(token))
        .route("/v1/doors", get(|| async { Json(json!({"doors": []})) }))
        .route("/v1/users", get(users));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

fn u(n: u32) -> serde_json::Value {
    json!({"userUuid": format!("00000000-0000-4000-8000-{n:012}"), "email": "a@b.c",
           "firstName": "A", "lastName": format!("B [lockstep:y:{n}]"), "accesses": []})
}

async fn observe_error(pages: fn(Option<&str>) -> serde_json::Value) -> String {
    let base = scripted(pages).await;
    let d = door(&base, 2);
    let err = d
        .observe(&scope(&[]))
        .await
        .expect_err("must fail, never a partial list");
    err.to_string()
}

#[tokio::test]
async fn malformed_pages_fail_the_observation() {
    within(async {
        let text = observe_error(|t| match t {
            None => json!({"users": [u(1), u(2)], "nextPageToken": "1"}),
            _ => json!({"users": [{"userUuid": "00000000-0000-4000-8000-000000000009"}]}),
        })
        .await;
        assert!(
            text.contains("GET /v1/users?pageSize=2&pageToken=1"),
            "{text}"
        );
        assert!(
            text.contains("email"),
            "a row without its required email: {text}"
        );
        let text = observe_error(|_| json!({"nextPageToken": "1"})).await;
        assert!(text.contains("no \"users\" list"), "{text}");
        let text = observe_error(|_| json!({"users": [u(1), u(2), u(3)]})).await;
        assert!(text.contains("3 rows for a pageSize of 2"), "{text}");
        let text = observe_error(|t| match t {
            None => json!({"users": [u(1)], "nextPageToken": "a"}),
            _ => json!({"users": [u(2)], "nextPageToken": "a"}),
        })
        .await;
        assert!(
            text.contains("incomplete") && text.contains("second time"),
            "{text}"
        );
        let text = observe_error(|t| match t {
            None => json!({"users": [u(1)], "nextPageToken": "a"}),
            _ => json!({"users": [u(1)]}),
        })
        .await;
        assert!(text.contains("listed twice"), "{text}");
    })
    .await;
}

mod notify;
