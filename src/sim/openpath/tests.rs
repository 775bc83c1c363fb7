//! The Openpath simulator refuses what openpath-swagger refuses (required fields, `limit`
//! bounds, integer path ids) and answers listings and sign-in in the documented shapes.

use super::OpenpathSim;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn start() -> (OpenpathSim, String) {
    let sim = OpenpathSim::new(3);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/openpath", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/openpath", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    sim.seed_groups(&["Lobby".into(), "Gym".into()]);
    (sim, base)
}

async fn login(base: &str) -> (StatusCode, Value) {
    let body = json!({"email": OpenpathSim::EMAIL, "password": OpenpathSim::PASSWORD});
    let r = Client::new()
        .post(format!("{base}/auth/login"))
        .json(&body)
        .send()
        .await
        .expect("login");
    (r.status(), r.json().await.expect("json"))
}

async fn token(base: &str) -> String {
    let (_, body) = login(base).await;
    body["data"]["token"].as_str().expect("token").to_string()
}

async fn get(base: &str, path: &str, auth: &str) -> (StatusCode, Value) {
    let r = Client::new()
        .get(format!("{base}{path}"))
        .header("authorization", auth)
        .send()
        .await
        .expect("get");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn org(path: &str) -> String {
    format!("/orgs/{}{path}", OpenpathSim::ORG_ID)
}

#[tokio::test]
async fn login_answers_201_with_a_scoped_token_and_refuses_bad_bodies() {
    let (_sim, base) = start().await;
    let (status, body) = login(&base).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["data"]["token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(body["data"]["expiresAt"].is_string());
    let scope = &body["data"]["tokenScopeList"][0];
    assert_eq!(scope["org"]["id"], json!(OpenpathSim::ORG_ID));
    let client = Client::new();
    for (payload, want) in [
        (json!({"email": OpenpathSim::EMAIL}), 400),
        (json!({"password": OpenpathSim::PASSWORD}), 400),
        (
            json!({"email": OpenpathSim::EMAIL, "password": "nope"}),
            401,
        ),
    ] {
        let r = client
            .post(format!("{base}/auth/login"))
            .json(&payload)
            .send()
            .await
            .expect("login");
        assert_eq!(r.status().as_u16(), want, "{payload}");
    }
}

#[tokio::test]
async fn the_jwt_is_checked_bare_or_as_bearer_and_scoped_to_the_org() {
    let (_sim, base) = start().await;
    let t = token(&base).await;
    assert_eq!(get(&base, &org("/groups"), &t).await.0, StatusCode::OK);
    let bearer = format!("Bearer {t}");
    assert_eq!(get(&base, &org("/groups"), &bearer).await.0, StatusCode::OK);
    assert_eq!(
        get(&base, &org("/groups"), "").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&base, &org("/groups"), "forged").await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = format!("/orgs/{}/groups", OpenpathSim::ORG_ID + 1);
    assert_eq!(get(&base, &other, &t).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refresh_issues_a_new_token_and_invalidates_the_old() {
    let (sim, base) = start().await;
    let old = token(&base).await;
    let r = Client::new()
        .post(format!("{base}/auth/accessTokens/refresh"))
        .header("authorization", &old)
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    let new = body["data"]["token"].as_str().expect("token").to_string();
    assert_ne!(new, old);
    assert_eq!(
        get(&base, &org("/groups"), &old).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&base, &org("/groups"), &new).await.0, StatusCode::OK);
    assert_eq!(sim.state().refreshes, 1);
}

#[tokio::test]
async fn listings_page_with_limit_and_offset_and_refuse_out_of_range_values() {
    let (_sim, base) = start().await;
    let t = token(&base).await;
    // Lobby, Gym and the foreign group.
    let (status, page) = get(&base, &org("/groups?limit=2&offset=1&sort=id"), &t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["totalCount"], json!(3));
    assert_eq!(page["filteredCount"], json!(3));
    assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
    let (_, desc) = get(&base, &org("/groups?sort=id&order=desc"), &t).await;
    let ids: Vec<u64> = desc["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|g| g["id"].as_u64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    for bad in [
        "limit=0",
        "limit=1001",
        "offset=-1",
        "limit=x",
        "order=up",
        "sort=id;drop",
    ] {
        let (status, body) = get(&base, &org(&format!("/users?{bad}")), &t).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body["message"].is_string(), "{bad}: {body}");
    }
    let (status, _) = get(&base, &org("/users/abc/groups"), &t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "path ids are integers");
}

#[tokio::test]
async fn create_user_requires_identity_email_and_answers_201_with_the_user() {
    let (sim, base) = start().await;
    let t = token(&base).await;
    let client = Client::new();
    let post = |body: Value| {
        client
            .post(format!("{base}{}", org("/users")))
            .header("authorization", &t)
            .json(&body)
            .send()
    };
    for bad in [
        json!({"externalId": "x"}),
        json!({"identity": {"firstName": "Ada"}}),
        json!({"identity": {"email": "has space@example.test"}}),
        json!({"identity": {"email": "a@example.test", "firstName": ""}}),
    ] {
        let r = post(bad.clone()).await.expect("post");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let body = json!({"identity": {"email": "ada@example.test", "firstName": "Ada"},
        "externalId": "lockstep:y:1"});
    let r = post(body).await.expect("post");
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["data"]["externalId"], json!("lockstep:y:1"));
    assert_eq!(
        created["data"]["identity"]["email"],
        json!("ada@example.test")
    );
    assert_eq!(created["data"]["groups"], json!([]));
    let dup = json!({"identity": {"email": "ADA@example.test"}});
    assert_eq!(
        post(dup).await.expect("post").status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sim.state()
            .users
            .iter()
            .filter(|u| u.external_id.is_some())
            .count(),
        1
    );
}
