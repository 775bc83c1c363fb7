//! PINs against the simulator: set with a window, observed as that window, cleared without
//! losing the rest of the user, and refusals that never repeat the digits.

use super::tests::{brivo, config, connector, new_user, scope, start, within};
use crate::access::{AccessError, AccessSystem};
use crate::model::{Pin, Window};
use crate::sim::brivo::{BrivoPhone, BrivoSim};
use axum::routing::patch;
use axum::Json;
use serde_json::{json, Value};

const EXT: &str = "lockstep:yardi:p1:42";
/// 2026-01-01T00:00:00Z and 2026-12-31T23:59:59Z.
const WINDOW: Window = Window {
    from: Some(1_767_225_600),
    until: Some(1_798_761_599),
};

fn pin(digits: &str) -> Pin {
    Pin::from_digits(digits.into()).expect("digits")
}

#[tokio::test]
async fn a_pin_is_set_observed_as_its_window_and_cleared_keeping_the_user() {
    within(async {
        let (sim, base) = start().await;
        let b = brivo(&base);
        let id = b
            .create_user(&new_user(EXT, "Ada van Okafor"))
            .await
            .expect("create");
        let mut s = sim.state();
        let stored = s.users.iter_mut().find(|u| u.id.to_string() == id);
        let stored = stored.expect("stored");
        stored.phone_numbers = vec![BrivoPhone {
            number: "+1-541-754-3010".into(),
            kind: "work".into(),
        }];
        stored.ble_two_factor_exempt = Some(true);
        sim.set_state(s);

        b.set_pin(&id, Some(&pin("482913")), &WINDOW)
            .await
            .expect("set");
        let held = sim
            .state()
            .users
            .into_iter()
            .find(|u| u.id.to_string() == id);
        let held = held.expect("user");
        assert_eq!(held.pin.as_deref(), Some("482913"));
        assert_eq!(held.effective_from.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(held.effective_to.as_deref(), Some("2026-12-31T23:59:59Z"));
        let actual = b.observe(&scope(&[])).await.expect("observe");
        assert_eq!(actual.users[EXT].pin, Some(WINDOW));
        assert!(!format!("{actual:?}").contains("482913"));
        let found = b.find_user(EXT).await.expect("find").expect("found");
        assert_eq!(found.pin, Some(WINDOW));

        // An open end is left out, so the one already there stays (Patch user).
        let open_end = Window {
            from: WINDOW.from,
            until: None,
        };
        b.set_pin(&id, Some(&pin("7351")), &open_end)
            .await
            .expect("set again");
        let actual = b.observe(&scope(&[])).await.expect("observe");
        assert_eq!(actual.users[EXT].pin, Some(WINDOW));

        let before = sim
            .state()
            .users
            .into_iter()
            .find(|u| u.id.to_string() == id);
        b.set_pin(&id, None, &Window::OPEN).await.expect("clear");
        let after = sim
            .state()
            .users
            .into_iter()
            .find(|u| u.id.to_string() == id);
        let (before, after) = (before.expect("before"), after.expect("after"));
        assert_eq!(
            (after.pin, after.effective_from, after.effective_to),
            (None, None, None)
        );
        assert_eq!(after.first_name, before.first_name);
        assert_eq!(after.last_name, before.last_name);
        assert_eq!(after.middle_name, before.middle_name);
        assert_eq!(after.external_id.as_deref(), Some(EXT));
        assert_eq!(after.emails, before.emails);
        assert_eq!(after.phone_numbers, before.phone_numbers);
        assert_eq!(after.ble_two_factor_exempt, Some(true));
        let actual = b.observe(&scope(&[])).await.expect("observe");
        assert_eq!(actual.users[EXT].pin, None);
        assert_eq!(actual.users[EXT].name, "Ada van Okafor");
        assert_eq!(actual.users[EXT].email.as_deref(), Some("ada@example.test"));

        b.set_pin(&id, None, &Window::OPEN)
            .await
            .expect("clearing twice is fine");
        b.set_pin("999999", None, &Window::OPEN)
            .await
            .expect("a user already gone holds no PIN");
        let err = b
            .set_pin("999999", Some(&pin("4829")), &WINDOW)
            .await
            .expect_err("no such user");
        assert!(matches!(err, AccessError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_refused_pin_is_never_repeated_in_the_error() {
    within(async {
        let (_sim, base) = start().await;
        let b = brivo(&base);
        let id = b
            .create_user(&new_user(EXT, "Ada Okafor"))
            .await
            .expect("create");
        // The simulator refuses PINs over 8 digits.
        let digits = "4829137562";
        let err = b
            .set_pin(&id, Some(&pin(digits)), &WINDOW)
            .await
            .expect_err("refused");
        let text = format!("{err} {err:?}");
        assert!(matches!(err, AccessError::Rejected { .. }), "{text}");
        assert!(!err.is_retryable());
        assert!(!text.contains(digits), "{text}");

        // A vendor that echoes the PIN in its refusal: the digits are masked.
        let echo = axum::Router::new().route(
            "/v1/api/users/{id}",
            patch(|Json(body): Json<Value>| async move {
                let message = format!("pin {} is not allowed", body["pin"].as_str().unwrap_or(""));
                let answer = json!({"code": 400, "message": message});
                (axum::http::StatusCode::BAD_REQUEST, Json(answer))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let echo_base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, echo).await });
        let mut cfg = config(
            &base,
            BrivoSim::API_KEY,
            BrivoSim::CLIENT_SECRET,
            BrivoSim::PASSWORD,
        );
        cfg.endpoint.url = echo_base;
        let echoed = connector(&cfg)
            .set_pin("1", Some(&pin("48291375")), &WINDOW)
            .await
            .expect_err("refused");
        let text = format!("{echoed} {echoed:?}");
        assert!(text.contains("pin **** is not allowed"), "{text}");
        assert!(!text.contains("48291375"), "{text}");
    })
    .await;
}
