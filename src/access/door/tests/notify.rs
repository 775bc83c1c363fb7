//! The grant's `notify` flag reaches DOOR as `shouldNotify`, only where a grant is POSTed.

use super::*;

#[tokio::test]
async fn should_notify_follows_the_flag_on_posted_grants() {
    within(async {
        let (sim, base) = start().await;
        sim.seed_groups(&["Lobby".into(), "Gym".into()]);
        let (lobby, gym) = (door_uuid(&sim, "Lobby"), door_uuid(&sim, "Gym"));
        let d = door(&base, 100);
        let id = d.create_user(&ada()).await.expect("create");
        d.add_to_group_notifying(&id, &lobby, &Window::OPEN, true)
            .await
            .expect("grant lobby");
        d.add_to_group_notifying(&id, &gym, &Window::OPEN, false)
            .await
            .expect("grant gym");
        let notified = |door: &str| {
            let state = sim.state();
            let user = state.users.iter().find(|u| u.uuid == id).expect("user");
            let access = user.accesses.iter().find(|a| a.door_uuid == door);
            access.expect("access").notified
        };
        assert!(notified(&lobby));
        assert!(!notified(&gym));
        // Already held with this window: nothing is POSTed, so nothing notifies (or changes).
        let posts = sim.core.stats().count("POST /door/v1/users");
        d.add_to_group_notifying(&id, &gym, &Window::OPEN, true)
            .await
            .expect("held");
        assert_eq!(sim.core.stats().count("POST /door/v1/users"), posts);
        assert!(!notified(&gym));
        // A grant that moves the start is POSTed again and carries the flag.
        let moved = Window {
            from: Some(1_800_000_000),
            until: None,
        };
        d.add_to_group(&id, &lobby, &moved).await.expect("regrant");
        assert!(!notified(&lobby));
    })
    .await;
}
