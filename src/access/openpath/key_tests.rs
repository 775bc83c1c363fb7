//! Mobile keys against the simulator: a mobile credential the user holds is taken (and its
//! setup e-mail sent while it is not set up), one is created of the type listed as mobile with
//! the window's dates otherwise, and a retry issues no second key.

use super::tests::{new_user, openpath, start, within};
use crate::access::AccessSystem;
use crate::model::Window;

#[tokio::test]
async fn a_mobile_key_is_taken_or_created_then_the_person_is_invited() {
    within(async {
        let (sim, base) = start().await;
        let op = openpath(&base, 1000);
        let id = op
            .create_user(&new_user("lockstep:y:ada", Some("ada@example.test")))
            .await
            .expect("create");
        let uid: u64 = id.parse().expect("numeric id");
        // The simulator's new user already holds a mobile credential: it is the key.
        let held = sim.state().credentials;
        let first = held
            .iter()
            .find(|c| c.user_id == uid)
            .expect("a credential")
            .id;
        let key = op
            .issue_mobile_key(&id, &Window::OPEN)
            .await
            .expect("issue");
        assert_eq!(key, first.to_string());
        let again = op
            .issue_mobile_key(&id, &Window::OPEN)
            .await
            .expect("again");
        assert_eq!(again, key, "a retry takes the same key");
        let count = |sim: &crate::sim::openpath::OpenpathSim| {
            sim.state()
                .credentials
                .iter()
                .filter(|c| c.user_id == uid)
                .count()
        };
        assert_eq!(count(&sim), 1);
        // Gone (revoked as lost): a new one is created with the window's dates and set up.
        op.revoke_credential(&id, &key).await.expect("revoke");
        let window = Window {
            from: Some(1_800_000_000),
            until: Some(1_800_000_000 + 40 * 86_400),
        };
        let fresh = op.issue_mobile_key(&id, &window).await.expect("issue");
        assert_ne!(fresh, key);
        let state = sim.state();
        let made = state
            .credentials
            .iter()
            .find(|c| c.id.to_string() == fresh)
            .expect("created");
        assert_eq!(made.user_id, uid);
        assert_eq!(made.model_name, "openpathMobile");
        assert_eq!(made.start_date.as_deref(), Some("2027-01-15"));
        assert_eq!(made.end_date.as_deref(), Some("2027-02-24"));
        assert_eq!(made.setup_emails, 1, "the person is invited to set it up");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_user_is_refused_without_a_key() {
    within(async {
        let (sim, base) = start().await;
        let op = openpath(&base, 1000);
        let e = op
            .issue_mobile_key("999999", &Window::OPEN)
            .await
            .expect_err("no such user");
        assert!(
            e.to_string().contains("999999") || e.kind() == "not_found",
            "{e}"
        );
        assert!(sim.state().credentials.is_empty());
    })
    .await;
}
