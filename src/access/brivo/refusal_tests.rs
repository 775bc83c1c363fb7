//! The Brivo connector's refusals against its simulator (and a hand-made server for garbage):
//! auth and configuration failures, Mashery throttling, per-person assignment refusals and
//! bodies that do not match their documented shape.

use super::tests::*;
use crate::access::AccessSystem;
use crate::model::Window;
use crate::sim::brivo::BrivoSim;
use crate::sim::Faults;
use std::time::Duration;

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
                "Bad credentials",
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
        // The key stops working after sign-in: Mashery's ERR_403_DEVELOPER_INACTIVE is a
        // configuration error, sent once (never retried), that counts toward quarantine.
        let mut b = brivo(&base);
        b.observe(&scope(&[])).await.expect("signed in");
        b.cfg.api_key.value = "revoked-key".into();
        sim.core.reset_stats();
        let err = b.observe(&scope(&[])).await.expect_err("key revoked");
        assert_eq!(err.kind(), "config", "{err}");
        assert!(err.to_string().contains("Developer Inactive"), "{err}");
        assert!(
            err.to_string().contains("api key"),
            "says what to fix: {err}"
        );
        assert!(!err.to_string().contains("revoked-key"), "no secret: {err}");
        assert_eq!(sim.core.stats().requests, 1);
        assert!(!err.is_retryable());
        assert!(crate::net::is_connector_failure(err.kind()));
        let health = crate::health::Health::new(Duration::from_secs(60));
        let now = std::time::Instant::now();
        for _ in 0..crate::health::QUARANTINE_AFTER {
            health.failure("brivo-test", &err.to_string(), now);
        }
        assert!(health.is_quarantined("brivo-test"));
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
        assert!(err.to_string().contains("Brivo user 999999"), "{err}");
        assert!(err.to_string().contains("User not found"), "{err}");
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

/// brivo-apidocs: Group - Assign User to Group: 400 for a linked group, 404 "Group not found";
/// the 16-group rule (User - Update user's group memberships). Each is one request, a problem of
/// one person and group, never retried and never held against the system.
#[tokio::test]
async fn assignment_refusals_name_the_person_the_group_and_the_reason() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Tower A".into(), "Tower A Garage".into()]);
        let b = brivo(&base);
        let id = b
            .create_user(&new_user("lockstep:y:7", "Ada Lovelace"))
            .await
            .expect("create");
        let (tower, garage) = (group_id(&sim, "Tower A"), group_id(&sim, "Tower A Garage"));
        let mut s = sim.state();
        s.linked_groups.push([tower, garage].into_iter().collect());
        sim.set_state(s);
        b.observe(&scope(&["Tower A"])).await.expect("observe");
        b.add_to_group(&id, &tower.to_string(), &Window::OPEN)
            .await
            .expect("the first of the linked groups");
        sim.core.reset_stats();
        let linked = b
            .add_to_group(&id, &garage.to_string(), &Window::OPEN)
            .await
            .expect_err("linked");
        assert_eq!(linked.kind(), "rejected", "{linked}");
        let text = linked.to_string();
        for part in ["lockstep:y:7", "\"Tower A Garage\"", "linked group"] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let err = b
            .add_to_group(&id, "999999", &Window::OPEN)
            .await
            .expect_err("no such group");
        assert_eq!(err.kind(), "not_found", "{err}");
        assert!(err.to_string().contains("Group not found"), "{err}");
        for err in [&linked, &err] {
            assert!(!err.is_retryable());
            assert!(!crate::net::is_connector_failure(err.kind()));
        }
        let puts = sim
            .core
            .stats()
            .count("PUT /brivo/v1/api/groups/{gid}/users/{uid}");
        assert_eq!(puts, 2, "one request each, no retry");
        assert!(!sim
            .state()
            .groups_of(id.parse().expect("id"))
            .contains(&garage));
    })
    .await;
}
