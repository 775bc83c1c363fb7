//! The DOOR simulator refuses what the specs refuse (missing client credentials, a missing
//! bearer token, `PostUserRequest`'s required fields and contact rules, unknown doors) and
//! answers token, listings and grants in the documented shapes.

use super::DoorSim;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn start() -> (DoorSim, String) {
    crate::net::install_crypto();
    let sim = DoorSim::new(5);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/door", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/door", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    sim.seed_groups(&["Lobby".into(), "Gym".into()]);
    (sim, base)
}

async fn send(
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = Client::new()
        .request(method, url)
        .timeout(Duration::from_secs(5));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("send");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn token(base: &str) -> String {
    let body = json!({"client_id": DoorSim::CLIENT_ID, "client_secret": DoorSim::CLIENT_SECRET,
                      "audience": DoorSim::AUDIENCE, "grant_type": "client_credentials"});
    let (status, v) = send(
        Method::POST,
        format!("{base}/v1/oauth/token"),
        None,
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn grant(extra: Value) -> Value {
    let mut body = json!({"firstName": "Ada", "lastName": "Lovelace", "passcodeType": "PERMANENT",
                          "shareable": false, "startTime": "2026-01-01T00:00:00Z",
                          "email": "ada@example.test"});
    for (k, v) in extra.as_object().expect("object") {
        if v.is_null() {
            body.as_object_mut().expect("object").remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

#[tokio::test]
async fn the_token_endpoint_wants_every_client_credential() {
    let (_sim, base) = start().await;
    let url = format!("{base}/v1/oauth/token");
    let (status, v) = send(
        Method::POST,
        url.clone(),
        None,
        Some(json!({"client_id": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"], "unauthorized_client");
    let wrong = json!({"client_id": DoorSim::CLIENT_ID, "client_secret": "no",
                       "audience": DoorSim::AUDIENCE, "grant_type": "client_credentials"});
    let (status, v) = send(Method::POST, url, None, Some(wrong)).await;
    assert_eq!(
        (status, v),
        (StatusCode::UNAUTHORIZED, json!({"message": "UNAUTHORIZED"}))
    );
    let (status, v) = send(Method::GET, format!("{base}/v1/users"), None, None).await;
    assert_eq!(
        (status, v),
        (StatusCode::UNAUTHORIZED, json!({"message": "UNAUTHORIZED"}))
    );
}

#[tokio::test]
async fn listings_page_with_page_tokens() {
    let (_sim, base) = start().await;
    let t = token(&base).await;
    let (status, first) = send(
        Method::GET,
        format!("{base}/v1/users?pageSize=2"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["users"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["nextPageToken"], "1");
    let url = format!("{base}/v1/users?pageSize=2&pageToken=1");
    let (_, second) = send(Method::GET, url, Some(&t), None).await;
    assert_eq!(
        second["users"].as_array().map(Vec::len),
        Some(1),
        "three hand-made users"
    );
    assert!(
        second.get("nextPageToken").is_none(),
        "the last page has no token"
    );
    let (status, _) = send(
        Method::GET,
        format!("{base}/v1/users?pageToken=zz"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, doors) = send(Method::GET, format!("{base}/v1/doors"), Some(&t), None).await;
    let door = &doors["doors"][0];
    for field in ["uuid", "name", "buildingUuid", "type"] {
        assert!(door[field].is_string(), "Door.{field} is required: {door}");
    }
}

#[tokio::test]
async fn grants_are_validated_with_the_documented_codes() {
    let (sim, base) = start().await;
    let t = token(&base).await;
    let url = format!("{base}/v1/users");
    let lobby = sim.state().doors[0].uuid.clone();
    let cases = [
        (
            json!({"phone": "+1-111-111-1111"}),
            "EMAIL_AND_PHONE_PROVIDED",
        ),
        (json!({"email": null}), "EMAIL_OR_PHONE_REQUIRED"),
        (json!({"email": ""}), "EMAIL_CAN_NOT_BE_EMPTY"),
        (
            json!({"email": null, "phone": "+1-111-111-1111"}),
            "EMAIL_REQUIRED_FOR_PERMANENT",
        ),
        (
            json!({"email": null, "phone": "call me", "passcodeType": "DAILY"}),
            "INVALID_PHONE",
        ),
        (json!({"startTime": "tomorrow"}), "INVALID_START_TIME"),
        (
            json!({"endTime": "2025-01-01T00:00:00Z"}),
            "INVALID_END_TIME",
        ),
        (json!({"firstName": null}), "firstName is required"),
        (json!({"shareable": null}), "shareable is required"),
    ];
    for (extra, code) in cases {
        let (status, v) = send(Method::POST, url.clone(), Some(&t), Some(grant(extra))).await;
        assert_eq!(
            (status, v),
            (StatusCode::BAD_REQUEST, json!({"message": code}))
        );
    }
    let unknown = grant(json!({"doorUuids": ["00000000-0000-4000-8000-0000000fffff"]}));
    let (status, v) = send(Method::POST, url.clone(), Some(&t), Some(unknown)).await;
    assert_eq!(
        (status, v),
        (StatusCode::NOT_FOUND, json!({"message": "NOT_FOUND"}))
    );
    let ok = grant(json!({"doorUuids": [lobby], "endTime": "2026-06-01T00:00:00Z"}));
    let (status, v) = send(Method::POST, url.clone(), Some(&t), Some(ok.clone())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let user = v["userUuid"].as_str().expect("userUuid").to_string();
    assert_eq!(v["doors"][0]["uuid"], lobby.as_str());
    let (_, again) = send(Method::POST, format!("{base}/v2/users"), Some(&t), Some(ok)).await;
    assert_eq!(
        again["userUuid"],
        user.as_str(),
        "the same email is the same user"
    );
    assert_eq!(again["accesses"].as_array().map(Vec::len), Some(1));
    assert_eq!(again["accesses"][0]["endTime"], "2026-06-01T00:00:00Z");
    let access = format!("{base}/v1/users/{user}/doors/{lobby}");
    let back = json!({"endTime": "2025-01-01T00:00:00Z"});
    let (status, _) = send(Method::PATCH, access.clone(), Some(&t), Some(back)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(Method::DELETE, access.clone(), Some(&t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, v) = send(Method::DELETE, access, Some(&t), None).await;
    assert_eq!(
        (status, v),
        (StatusCode::NOT_FOUND, json!({"message": "NOT_FOUND"}))
    );
}

#[tokio::test]
async fn the_shared_rate_limit_throttles_one_caller_with_429() {
    let (sim, base) = start().await;
    let t = token(&base).await;
    sim.core.set_faults(crate::sim::Faults {
        rate_limit_per_second: 1.0,
        ..crate::sim::Faults::default()
    });
    let url = format!("{base}/v1/doors");
    let (first, _) = send(Method::GET, url.clone(), Some(&t), None).await;
    let (second, _) = send(Method::GET, url, Some(&t), None).await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::TOO_MANY_REQUESTS)
    );
}

/// `grantAccessToUser`'s `shouldNotify` is recorded on each access the grant gives (visible in
/// the simulator's state, not in `UserAccess`); left out it is false; not a boolean, refused.
#[tokio::test]
async fn grants_record_whether_they_asked_for_an_invite() {
    let (sim, base) = start().await;
    let t = token(&base).await;
    let url = format!("{base}/v1/users");
    let lobby = sim.state().doors[0].uuid.clone();
    let gym = sim.state().doors[1].uuid.clone();
    let asked = grant(json!({"doorUuids": [lobby], "shouldNotify": true}));
    let (status, v) = send(Method::POST, url.clone(), Some(&t), Some(asked)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let silent = grant(json!({"doorUuids": [gym]}));
    let (status, v) = send(Method::POST, url.clone(), Some(&t), Some(silent)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let state = sim.state();
    let ada = state.users.iter().find(|u| u.email == "ada@example.test");
    let accesses = &ada.expect("the grant's user").accesses;
    let notified = |door: &str| {
        accesses
            .iter()
            .find(|a| a.door_uuid == door)
            .map(|a| a.notified)
    };
    assert_eq!(notified(&lobby), Some(true));
    assert_eq!(notified(&gym), Some(false));
    let bad = grant(json!({"doorUuids": [gym], "shouldNotify": "yes"}));
    let (status, v) = send(Method::POST, url, Some(&t), Some(bad)).await;
    assert_eq!(
        (status, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"message": "shouldNotify must be a boolean"})
        )
    );
}
