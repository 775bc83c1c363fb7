//! The Brivo simulator's own contract: form-only token endpoint, api-key and bearer checks,
//! paging limits, the all-or-nothing 16-group rule and idempotent seeding.

use super::*;
use serde_json::Value;
use std::time::Duration;

pub(super) async fn start() -> (BrivoSim, String) {
    crate::net::install_crypto();
    let sim = BrivoSim::new(7);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/brivo", listener.local_addr().expect("addr"));
    let router = Router::new().nest("/brivo", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

pub(super) async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

pub(super) fn token_request(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/oauth/token"))
        .basic_auth(BrivoSim::CLIENT_ID, Some(BrivoSim::CLIENT_SECRET))
        .header("api-key", BrivoSim::API_KEY)
}

pub(super) async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let form = [
        ("grant_type", "password"),
        ("username", BrivoSim::USERNAME),
        ("password", BrivoSim::PASSWORD),
    ];
    let reply: Value = token_request(http, base)
        .form(&form)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert_eq!(reply["token_type"], "bearer");
    assert_eq!(reply["expires_in"], 60);
    reply["access_token"].as_str().expect("token").to_string()
}

/// Sends an API request with the key and token; returns (status, JSON body or Null).
pub(super) async fn api(request: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let reply = request
        .header("api-key", BrivoSim::API_KEY)
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .expect("send");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_token_endpoint_takes_forms_only_and_checks_every_credential() {
    within(async {
        let (_sim, base) = start().await;
        let http = reqwest::Client::new();
        let json = serde_json::json!({"grant_type": "password"});
        let reply = token_request(&http, &base)
            .json(&json)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 415);
        let form = [
            ("grant_type", "password"),
            ("username", "x"),
            ("password", "y"),
        ];
        let reply = token_request(&http, &base)
            .form(&form)
            .send()
            .await
            .expect("send");
        // brivo-apidocs: Response Codes - Error codes, 401 (bad username or password).
        assert_eq!(reply.status().as_u16(), 401);
        let body: Value = reply.json().await.expect("json");
        assert_eq!(
            body,
            serde_json::json!({"error": "invalid_grant", "error_description": "Bad credentials"})
        );
        let reply = http
            .post(format!("{base}/oauth/token"))
            .basic_auth(BrivoSim::CLIENT_ID, Some(BrivoSim::CLIENT_SECRET))
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 403);
        assert_eq!(
            reply.headers()["x-mashery-error-code"],
            "ERR_403_DEVELOPER_INACTIVE"
        );
        assert_eq!(
            reply.text().await.expect("text"),
            "<h1>Developer Inactive</h1>"
        );
        let token = sign_in(&http, &base).await;
        let (status, body) = api(http.get(format!("{base}/v1/api/users")), "stale").await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "unauthorized", "{body}");
        let reply = http
            .get(format!("{base}/v1/api/users"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 403, "no api-key");
    })
    .await;
}

#[tokio::test]
async fn pages_are_bounded_and_the_group_limit_is_all_or_nothing() {
    within(async {
        let (sim, base) = start().await;
        let names: Vec<String> = (0..20).map(|i| format!("G{i}")).collect();
        sim.seed_groups(&names);
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        let (status, body) = api(
            http.get(format!("{base}/v1/api/groups?pageSize=101")),
            &token,
        )
        .await;
        assert_eq!(
            body,
            serde_json::json!({"code": 400, "message": "Invalid criteria provided"})
        );
        assert_eq!(status, 400);
        let (_, page) = api(http.get(format!("{base}/v1/api/groups")), &token).await;
        assert_eq!(
            page["data"].as_array().map(Vec::len),
            Some(20),
            "default page size"
        );
        assert_eq!(
            (page["offset"].as_u64(), page["pageSize"].as_u64()),
            (Some(0), Some(20))
        );
        assert_eq!(page["count"], 21);
        let ids: Vec<u64> = sim.state().groups.iter().map(|g| g.id).collect();
        let body = serde_json::json!({"firstName": "A", "lastName": "B", "externalId": "x:1"});
        let (status, user) = api(
            http.post(format!("{base}/v1/api/users")).json(&body),
            &token,
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = api(
            http.post(format!("{base}/v1/api/users")).json(&body),
            &token,
        )
        .await;
        assert_eq!(status, 400, "externalId is unique");
        let groups_url = format!("{base}/v1/api/users/{}/groups", user["id"]);
        let change = serde_json::json!({"addGroups": ids[..17], "removeGroups": []});
        let (status, body) = api(http.put(&groups_url).json(&change), &token).await;
        assert_eq!(status, 400);
        assert_eq!(body["message"], TOO_MANY_GROUPS);
        let (_, held) = api(http.get(&groups_url), &token).await;
        assert_eq!(held["count"], 0, "nothing applied");
        let change = serde_json::json!({"addGroups": ids[..16], "removeGroups": [ids[19]]});
        let (status, body) = api(http.put(&groups_url).json(&change), &token).await;
        assert_eq!((status, body["count"].as_u64()), (200, Some(16)));
        assert!(
            body.get("offset").is_none(),
            "the documented {{count, data}}: {body}"
        );
        let member = format!("{base}/v1/api/groups/{}/users/{}", ids[17], user["id"]);
        let (status, body) = api(http.put(&member), &token).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some(TOO_MANY_GROUPS))
        );
        let (status, _) = api(http.delete(&member), &token).await;
        assert_eq!(status, 404, "not a member");
        let nowhere = format!("{base}/v1/api/groups/999999/users/{}", user["id"]);
        let (status, body) = api(http.put(&nowhere), &token).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (404, Some("Group not found"))
        );
    })
    .await;
}

#[tokio::test]
async fn seeding_is_idempotent_and_state_round_trips() {
    within(async {
        let (sim, base) = start().await;
        let groups = ["Lobby".to_string(), "Gym".to_string()];
        sim.seed_groups(&groups);
        let once = sim.state();
        sim.seed_groups(&groups);
        let twice = sim.state();
        assert_eq!(once.users, twice.users);
        assert_eq!(once.groups, twice.groups);
        assert_eq!(once.memberships, twice.memberships);
        assert_eq!(twice.users.len(), 3);
        assert!(twice.users.iter().all(|u| u.external_id.is_none()));
        let lobby = twice
            .groups
            .iter()
            .find(|g| g.name == "Lobby")
            .expect("lobby")
            .id;
        let foreign = twice
            .groups
            .iter()
            .find(|g| g.name == FOREIGN_GROUP)
            .expect("foreign")
            .id;
        assert_eq!(twice.members(lobby).len(), 1);
        assert_eq!(twice.members(foreign).len(), 2);
        let url = format!("{base}/_sim/state");
        let http = reqwest::Client::new();
        let mut state: Value = http
            .get(&url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        state["users"].as_array_mut().expect("users").reverse();
        let reply = http.put(&url).json(&state).send().await.expect("put");
        assert_eq!(reply.status().as_u16(), 204);
        let token = sign_in(&http, &base).await;
        let (_, page) = api(
            http.get(format!("{base}/v1/api/users?offset=1&pageSize=1")),
            &token,
        )
        .await;
        assert_eq!(
            page["data"][0]["id"], twice.users[1].id,
            "pages are in id order"
        );
        assert_eq!(page["count"], 3);
    })
    .await;
}

/// Creates Peter Quill with a PIN, a phone number and the BLE exemption; returns his URL.
async fn create_quill(http: &reqwest::Client, base: &str, token: &str) -> String {
    let body = serde_json::json!({"firstName": "Peter", "middleName": "Jason",
        "lastName": "Quill", "externalId": "Star Lord", "pin": "5678",
        "effectiveFrom": "2015-04-14T18:17:49Z", "effectiveTo": "2020-12-31T23:59:59Z",
        "bleTwoFactorExempt": true, "emails": [{"address": "pq@example.com", "type": "work"}],
        "phoneNumbers": [{"number": "+1-541-754-3010", "type": "work"}]});
    let (status, user) = api(http.post(format!("{base}/v1/api/users")).json(&body), token).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["pin"], "5678");
    format!("{base}/v1/api/users/{}", user["id"])
}

#[tokio::test]
async fn patch_keeps_what_it_omits_and_update_removes_it() {
    within(async {
        let (_sim, base) = start().await;
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        let url = create_quill(&http, &base, &token).await;
        let patch = serde_json::json!({"pin": "123456", "effectiveTo": "2030-01-01T00:00:00Z"});
        let (status, user) = api(http.patch(&url).json(&patch), &token).await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(user["pin"], "123456");
        assert_eq!(
            user["effectiveFrom"], "2015-04-14T18:17:49Z",
            "omitted, so unchanged"
        );
        assert_eq!(user["effectiveTo"], "2030-01-01T00:00:00Z");
        assert_eq!(user["middleName"], "Jason");
        let (_, listed) = api(http.get(format!("{base}/v1/api/users")), &token).await;
        assert_eq!(listed["data"][0]["pin"], "123456", "listings carry the PIN");

        let update = serde_json::json!({"firstName": "Peter", "lastName": "Quill",
            "externalId": "Star Lord"});
        let (status, user) = api(http.put(&url).json(&update), &token).await;
        assert_eq!(status, 200, "{user}");
        for gone in [
            "pin",
            "effectiveFrom",
            "effectiveTo",
            "middleName",
            "phoneNumbers",
            "bleTwoFactorExempt",
        ] {
            assert!(user.get(gone).is_none(), "{gone} should be removed: {user}");
        }
        assert_eq!(user["emails"], serde_json::json!([]));
        assert_eq!(user["externalId"], "Star Lord");
        let (status, read) = api(http.get(&url), &token).await;
        assert_eq!((status, read), (200, user));
    })
    .await;
}

#[tokio::test]
async fn user_writes_refuse_bad_fields_and_unknown_users() {
    within(async {
        let (sim, base) = start().await;
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        let url = create_quill(&http, &base, &token).await;
        let before = sim.state();
        let nameless = serde_json::json!({"firstName": "Peter"});
        let (status, body) = api(http.put(&url).json(&nameless), &token).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some("lastName is required"))
        );
        for patch in [
            serde_json::json!({"pin": "12a4"}),
            serde_json::json!({"pin": "123"}),
            serde_json::json!({"pin": 5678}),
            serde_json::json!({"pin": null}),
            serde_json::json!({"effectiveFrom": "2015-04-14"}),
            serde_json::json!({"pin": "4321", "effectiveTo": "tomorrow"}),
        ] {
            let (status, body) = api(http.patch(&url).json(&patch), &token).await;
            assert_eq!((status, body["code"].as_u64()), (400, Some(400)), "{patch}");
        }
        assert_eq!(
            sim.state().users,
            before.users,
            "refused writes change nothing"
        );
        let missing = format!("{base}/v1/api/users/999999");
        let not_found = serde_json::json!({"code": 404, "message": "User not found"});
        let update = serde_json::json!({"firstName": "A", "lastName": "B"});
        for request in [
            http.get(&missing),
            http.patch(&missing).json(&update),
            http.put(&missing).json(&update),
        ] {
            assert_eq!(api(request, &token).await, (404, not_found.clone()));
        }
        let (status, _) = api(http.get(&missing), "stale").await;
        assert_eq!(status, 401, "the new routes sit behind the bearer check");
    })
    .await;
}
