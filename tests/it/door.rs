//! A property wholly in DOOR (the fifth generated one) reconciled by the real daemon against
//! the DOOR simulator: residents are granted doors with their windows, the windows read back
//! equal (the property converges, so no `SetWindow` is left over), and hand-made users keep
//! their accesses.

use crate::harness::*;
use crate::safety::current_residents;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// The generated config with p5 (DOOR) automatic.
fn p5_automatic(yaml: String) -> String {
    let at = yaml.find("\n  p5:\n").expect("p5 in the config");
    let (head, tail) = yaml.split_at(at);
    format!(
        "{head}{}",
        tail.replacen("mode: approval_required", "mode: automatic", 1)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_door_property_converges_with_windows_and_leaves_hand_made_users_alone() {
    let s = setup_with(5, 8, 91, "0s", p5_automatic).await;
    assert_eq!(
        s.config.access_systems["door-sim"].kind(),
        "door",
        "p5 lives in DOOR"
    );
    let before = s.sims.sims.door.state();
    let hand_made: Vec<_> = before.users.clone();
    let daemon = s.start().await;
    eventually("p5 to converge", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p = &v["properties"]["p5"];
        (p["drift"] == 0 && p["last_result"] == "ok").then_some(())
    })
    .await;
    let actual = observe(&s.config, "door-sim", "p5").await;
    let residents = current_residents(&s.sims, "p5");
    assert!(!residents.is_empty());
    for person in &residents {
        let groups = groups_of(&actual, person);
        assert!(
            groups.iter().any(|g| g.contains(" Unit ")),
            "{person} holds a unit door in DOOR: {groups:?}"
        );
    }
    let after = s.sims.sims.door.state();
    for user in &hand_made {
        let now = after.users.iter().find(|u| u.uuid == user.uuid);
        assert_eq!(now, Some(user), "hand-made user {} untouched", user.email);
    }
    let owned = after
        .users
        .iter()
        .filter(|u| u.last_name.contains("[lockstep:"))
        .count();
    assert_eq!(owned, actual.users.len(), "one DOOR user per owned person");
    let windowed = actual
        .users
        .values()
        .flat_map(|u| u.groups.values())
        .filter(|m| m.window.from.is_some() || m.window.until.is_some())
        .count();
    assert!(
        windowed > 0,
        "lease windows reach DOOR and read back as sent"
    );
    assert!(daemon.stop().success());
}
