//! Kisi simulator tests through its router, without a socket: auth, paging, refusals, faults,
//! seeding and the control plane.

use super::*;
use crate::sim::Faults;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const AUTH: &str = "KISI-LOGIN sim-kisi-api-key";

async fn call(
    sim: &KisiSim,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", AUTH);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = sim.router().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let range = response
        .headers()
        .get("x-collection-range")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, range, value)
}

fn user_body(email: &str) -> Value {
    json!({"user": {"email": email, "name": "Test Person", "metadata": {"k": "v"}}})
}

#[tokio::test]
async fn unauthenticated_calls_get_kisi_envelope() {
    let sim = KisiSim::new(1);
    let req = Request::get("/users").body(Body::empty()).unwrap();
    let response = sim.router().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["code"], "afc516", "the spec's 401 Error example");
    assert!(body["error"].as_str().unwrap().contains("KISI-LOGIN"));
    assert_eq!(sim.core.stats().count("GET /users"), 1);
}

#[tokio::test]
async fn pages_carry_collection_range_and_respect_limits() {
    let sim = KisiSim::new(1);
    for n in 0..12 {
        let (status, _, _) = call(
            &sim,
            "POST",
            "/users",
            Some(user_body(&format!("p{n}@example.test"))),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // The requested range, not the returned one (VENDORS.md corrections: `10-19/15`).
    let (_, range, body) = call(&sim, "GET", "/users?limit=5&offset=10", None).await;
    assert_eq!(range.as_deref(), Some("10-14/12"));
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert_eq!(body[0]["resource_type"], "User");
    let (_, range, body) = call(&sim, "GET", "/users?offset=12", None).await;
    assert_eq!((range.as_deref(), body), (Some("12-61/12"), json!([])));
    // A limit above the operation's maximum is outside the schema.
    let (status, _, _) = call(&sim, "GET", "/users?limit=101", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = call(&sim, "GET", "/groups?limit=250", None).await;
    assert_eq!(status, StatusCode::OK, "fetchGroups allows 250");
    // Cards default to 10 a page; one mobile credential was issued per user.
    let (_, range, _) = call(&sim, "GET", "/cards", None).await;
    assert_eq!(range.as_deref(), Some("0-9/12"));
    let (status, _, body) = call(&sim, "GET", "/users?offset=20001", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("20000"));
    let (status, _, _) = call(&sim, "GET", "/users?offset=20000", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn duplicate_email_and_assignment_are_refused_with_errors_list() {
    let sim = KisiSim::new(1);
    let (_, _, user) = call(&sim, "POST", "/users", Some(user_body("a@example.test"))).await;
    let (status, _, body) = call(&sim, "POST", "/users", Some(user_body("A@example.test"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"]["email"][0], "has already been taken");
    let (status, _, _) = call(&sim, "POST", "/users", Some(json!({"user": {"name": "x"}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    sim.seed_groups(&["Lobby".to_string()]);
    let group = sim
        .state()
        .groups
        .iter()
        .find(|g| g.name == "Lobby")
        .unwrap()
        .id;
    // The old body (`user_id`, `group_id`) lacks the required fields of the current one.
    let old = json!({"role_assignment": {"user_id": user["id"], "role_id": "group_basic", "group_id": group, "notify": false}});
    let (status, _, body) = call(&sim, "POST", "/role_assignments", Some(old)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"].is_object(), "{body}");
    let assign = json!({"role_assignment": {"assignee_type": "User", "assignee_id": user["id"], "applies_to_type": "Group", "applies_to_id": group, "role_id": "group_basic", "notify": false}});
    let (status, _, created) = call(&sim, "POST", "/role_assignments", Some(assign.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["applies_to_id"], json!(group));
    assert_eq!(created["applies_to"]["name"], "Lobby");
    assert_eq!(created["assignee"]["email"], "a@example.test");
    let (status, _, body) = call(&sim, "POST", "/role_assignments", Some(assign)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"]["assignee_id"].is_array(), "{body}");
    let uri = format!("/role_assignments/{}", created["id"]);
    assert_eq!(
        call(&sim, "DELETE", &uri, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&sim, "DELETE", &uri, None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn faults_truncate_and_empty_lists() {
    let sim = KisiSim::new(1);
    for n in 0..6 {
        call(
            &sim,
            "POST",
            "/users",
            Some(user_body(&format!("p{n}@example.test"))),
        )
        .await;
    }
    sim.core.set_faults(Faults {
        truncate_pages: true,
        ..Faults::default()
    });
    let (_, range, body) = call(&sim, "GET", "/users", None).await;
    assert_eq!(
        (range.as_deref(), body.as_array().unwrap().len()),
        (Some("0-49/6"), 3)
    );
    sim.core.set_faults(Faults {
        empty: true,
        ..Faults::default()
    });
    let (_, range, body) = call(&sim, "GET", "/users", None).await;
    assert_eq!((range.as_deref(), body), (Some("0-49/0"), json!([])));
}

#[tokio::test]
async fn seeding_is_idempotent_and_state_round_trips_uncounted() {
    let sim = KisiSim::new(1);
    let groups = |p: &str| vec![format!("{p} Entrances"), format!("{p} Amenities")];
    sim.seed_groups(&groups("A"));
    sim.seed_groups(&groups("A"));
    sim.seed_groups(&groups("B"));
    let state = sim.state();
    assert_eq!(state.groups.len(), 5);
    assert_eq!(state.users.len(), 3);
    assert_eq!(state.cards.len(), 3);
    // Two in the foreign group, the manager in each property's first group.
    assert_eq!(state.role_assignments.len(), 4);
    assert!(state.users.iter().all(|u| u.metadata.is_empty()));
    let (status, _, got) = call(&sim, "GET", "/_sim/state", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        call(&sim, "PUT", "/_sim/state", Some(got.clone())).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sim.state(), state);
    assert_eq!(sim.core.stats().requests, 0);
}

/// `updateCard` changes only `two_factor_pin`: a PATCH of the holder is ignored. `deassignCard`
/// takes the card away (204), and `fetchCardAssignments` no longer lists it.
#[tokio::test]
async fn cards_are_deassigned_not_patched() {
    let sim = KisiSim::new(1);
    let (_, _, user) = call(&sim, "POST", "/users", Some(user_body("a@example.test"))).await;
    let held = format!(
        "/card_assignments?assignee_type=User&assignee_id={}",
        user["id"]
    );
    let (_, _, assignments) = call(&sim, "GET", &held, None).await;
    assert_eq!(assignments[0]["resource_type"], "CardAssignment");
    let card = assignments[0]["card_id"].clone();
    let patch = json!({"card": {"user_id": null}});
    let (status, _, _) = call(&sim, "PATCH", &format!("/cards/{card}"), Some(patch)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, still) = call(&sim, "GET", &held, None).await;
    assert_eq!(
        still.as_array().unwrap().len(),
        1,
        "the PATCH changed nothing"
    );
    let deassign = format!("/cards/{card}/deassign");
    assert_eq!(
        call(&sim, "POST", &deassign, None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, _, gone) = call(&sim, "GET", &held, None).await;
    assert_eq!(gone, json!([]));
    let (status, _, body) = call(&sim, "POST", "/cards/999999/deassign", None).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("faa9ef"))
    );
}

/// Deprecated parameters (`user_id` on `fetchCards`) come back with `Deprecation`/`Sunset`.
#[tokio::test]
async fn deprecated_parameters_are_flagged() {
    let sim = KisiSim::new(1);
    let req = |uri: &str| {
        Request::get(uri)
            .header("authorization", format!("KISI-LOGIN {}", KisiSim::API_KEY))
            .body(Body::empty())
            .unwrap()
    };
    let old = sim.router().oneshot(req("/cards?user_id=1")).await.unwrap();
    assert!(old.headers().contains_key("deprecation"));
    assert!(old.headers().contains_key("sunset"));
    let current = sim.router().oneshot(req("/cards")).await.unwrap();
    assert!(!current.headers().contains_key("deprecation"));
}

/// The spec's "Rate limits": 5 requests per second per user, then 429 without `Retry-After`.
#[tokio::test]
async fn the_documented_rate_limit_is_enforced_per_user() {
    let sim = KisiSim::new(1);
    sim.core.set_faults(Faults {
        rate_limit_per_second: 5.0,
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let req = Request::get("/groups")
            .header("authorization", format!("KISI-LOGIN {}", KisiSim::API_KEY))
            .body(Body::empty())
            .unwrap();
        let response = sim.router().oneshot(req).await.unwrap();
        assert!(!response.headers().contains_key("retry-after"));
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses[..5], [200; 5]);
    assert!(statuses[5..].contains(&429), "{statuses:?}");
}

/// `createRoleAssignment`'s `notify` is kept on the assignment and rendered back; left out, it
/// is false; a value that is not a boolean is refused.
#[tokio::test]
async fn role_assignments_keep_the_notify_flag() {
    let sim = KisiSim::new(1);
    sim.seed_groups(&["Lobby".to_string(), "Gym".to_string(), "Roof".to_string()]);
    let (_, _, user) = call(&sim, "POST", "/users", Some(user_body("n@example.test"))).await;
    let named = ["Lobby", "Gym", "Roof"];
    let state = sim.state();
    let groups: Vec<u64> = named
        .iter()
        .map(|n| {
            state
                .groups
                .iter()
                .find(|g| g.name == *n)
                .expect("seeded")
                .id
        })
        .collect();
    let body = |group: u64, notify: Option<Value>| {
        let mut ra = json!({"assignee_type": "User", "assignee_id": user["id"],
            "applies_to_type": "Group", "applies_to_id": group, "role_id": "group_basic"});
        if let Some(n) = notify {
            ra["notify"] = n;
        }
        json!({ "role_assignment": ra })
    };
    let asked = [Some(json!(true)), Some(json!(false)), None];
    for (group, notify) in groups.iter().zip(asked.clone()) {
        let (status, _, created) = call(
            &sim,
            "POST",
            "/role_assignments",
            Some(body(*group, notify.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            created["notify"],
            notify.unwrap_or(json!(false)),
            "{created}"
        );
    }
    let kept: Vec<bool> = sim
        .state()
        .role_assignments
        .iter()
        .filter(|r| json!(r.user_id) == user["id"])
        .map(|r| r.notify)
        .collect();
    assert_eq!(kept, [true, false, false]);
    let mine = format!("/role_assignments?assignee_id={}", user["id"]);
    let (_, _, listed) = call(&sim, "GET", &mine, None).await;
    let rendered: Vec<&Value> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|r| &r["notify"])
        .collect();
    assert_eq!(
        rendered,
        [&json!(true), &json!(false), &json!(false)],
        "{listed}"
    );
    let bad = body(groups[0], Some(json!("yes")));
    let (status, _, refusal) = call(&sim, "POST", "/role_assignments", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refusal["errors"]["notify"].is_array(), "{refusal}");
}
