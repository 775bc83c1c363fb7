//! The Brivo simulator against the documented gateway and error answers: Mashery's throttle per
//! API key, "Developer Inactive", 596 for a wrong verb, the token endpoint's 401 bodies, the
//! linked-group refusal and the documented listing shapes.

use super::tests::{api, sign_in, start, token_request, within};
use super::*;
use crate::sim::Faults;
use serde_json::Value;

#[tokio::test]
async fn over_the_key_quota_mashery_answers_403_over_qps_per_key() {
    within(async {
        let (sim, base) = start().await;
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        sim.core.set_faults(Faults {
            rate_limit_per_second: 10.0,
            ..Faults::default()
        });
        let url = format!("{base}/v1/api/groups");
        let mut throttled = None;
        for _ in 0..200 {
            let reply = http
                .get(&url)
                .header("api-key", BrivoSim::API_KEY)
                .bearer_auth(&token)
                .send()
                .await
                .expect("send");
            if reply.status().as_u16() == 403 {
                throttled = Some(reply);
                break;
            }
        }
        let reply = throttled.expect("the 11th request within a second is throttled");
        let header = |name: &str| reply.headers()[name].to_str().expect("ascii").to_string();
        assert_eq!(header("x-mashery-error-code"), "ERR_403_DEVELOPER_OVER_QPS");
        assert_eq!(header("retry-after"), "1");
        assert_eq!(
            reply.text().await.expect("text"),
            "<h1>Developer Over Qps</h1>"
        );
        // Another key has its own quota: the gateway looks at it and finds it inactive.
        let reply = http
            .get(&url)
            .header("api-key", "another-key")
            .send()
            .await
            .expect("send");
        assert_eq!(
            reply.headers()["x-mashery-error-code"],
            "ERR_403_DEVELOPER_INACTIVE"
        );
        assert!(sim.core.stats().by_status["403"] >= 2);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_verb_on_a_known_path_is_596_service_not_found() {
    within(async {
        let (_sim, base) = start().await;
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        for request in [
            http.post(format!("{base}/v1/api/groups")),
            http.delete(format!("{base}/v1/api/users")),
            http.post(format!("{base}/v1/api/groups/1/users/2")),
        ] {
            let reply = request
                .header("api-key", BrivoSim::API_KEY)
                .bearer_auth(&token)
                .send()
                .await
                .expect("send");
            assert_eq!(reply.status().as_u16(), 596);
            assert_eq!(
                reply.text().await.expect("text"),
                "<h1>596 Service Not Found</h1>"
            );
        }
        let reply = http
            .get(format!("{base}/oauth/token"))
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 596);
    })
    .await;
}

#[tokio::test]
async fn the_token_endpoint_answers_the_documented_401_bodies() {
    within(async {
        let (_sim, base) = start().await;
        let http = reqwest::Client::new();
        let form = [
            ("grant_type", "password"),
            ("username", "u"),
            ("password", "p"),
        ];
        let reply = http
            .post(format!("{base}/oauth/token"))
            .basic_auth(BrivoSim::CLIENT_ID, Some("wrong"))
            .header("api-key", BrivoSim::API_KEY)
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 401);
        let body: Value = reply.json().await.expect("json");
        let expected = serde_json::json!({"status": 401, "error": "Unauthorized",
            "message": "Bad credentials", "path": "/oauth/token"});
        assert_eq!(body, expected);
        let reply = http
            .post(format!("{base}/oauth/token"))
            .header("api-key", BrivoSim::API_KEY)
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 401);
        let body: Value = reply.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized");
        let refresh = [
            ("grant_type", "refresh_token"),
            ("refresh_token", "never-issued"),
        ];
        let reply = token_request(&http, &base)
            .form(&refresh)
            .send()
            .await
            .expect("send");
        assert_eq!(reply.status().as_u16(), 401);
    })
    .await;
}

#[tokio::test]
async fn a_linked_group_refuses_the_assignment_as_documented() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Tower A".into(), "Tower A Garage".into()]);
        let mut s = sim.state();
        let id = |name: &str| s.groups.iter().find(|g| g.name == name).expect(name).id;
        let (a, garage) = (id("Tower A"), id("Tower A Garage"));
        s.linked_groups.push([a, garage].into_iter().collect());
        let morgan = s.members(a)[0].user_id;
        sim.set_state(s);
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        let url = format!("{base}/v1/api/groups/{garage}/users/{morgan}");
        let (status, body) = api(http.put(&url), &token).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some(LINKED_GROUP))
        );
        assert_eq!(body["code"], 400);
        assert!(
            !sim.state().groups_of(morgan).contains(&garage),
            "nothing applied"
        );
    })
    .await;
}

#[tokio::test]
async fn listings_have_the_documented_shapes() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into()]);
        let lobby = sim
            .state()
            .groups
            .iter()
            .find(|g| g.name == "Lobby")
            .expect("lobby")
            .id;
        let http = reqwest::Client::new();
        let token = sign_in(&http, &base).await;
        let (_, page) = api(
            http.get(format!("{base}/v1/api/groups/{lobby}/users")),
            &token,
        )
        .await;
        let member = &page["data"][0];
        let mut keys: Vec<&str> = member
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["firstName", "id", "lastName", "suspended"],
            "a listing's slice, nulls omitted"
        );
        assert_eq!(page["pageSize"], 20);
        let (_, users) = api(http.get(format!("{base}/v1/api/users?pageSize=1")), &token).await;
        let created = users["data"][0]["created"].as_str().expect("created");
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
        let uid = &member["id"];
        let (_, held) = api(
            http.get(format!("{base}/v1/api/users/{uid}/credentials")),
            &token,
        )
        .await;
        assert_eq!(held["count"], 1);
        assert!(held.get("offset").is_none(), "{held}");
        assert_eq!(
            held["data"][0]["credentialFormat"]["name"],
            "Brivo Mobile Pass"
        );
        assert!(held["data"][0]["encodedCredential"].is_string());
        let (status, body) = api(
            http.get(format!("{base}/v1/api/groups/999999/users")),
            &token,
        )
        .await;
        assert_eq!(
            (status, body["message"].as_str()),
            (404, Some("Group not found"))
        );
        let (status, body) = api(
            http.get(format!("{base}/v1/api/users/nope/external")),
            &token,
        )
        .await;
        assert_eq!(
            (status, body["message"].as_str()),
            (404, Some("User not found"))
        );
    })
    .await;
}
