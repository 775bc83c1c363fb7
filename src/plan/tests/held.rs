//! Held users (people the source listed but could not describe) get no action of any kind.

use super::*;

#[test]
fn a_held_user_keeps_every_membership() {
    let mut desired = DesiredState {
        managed: managed(),
        ..DesiredState::default()
    };
    desired.held.insert("lockstep:y:a".into());
    let mut actual = ActualState {
        groups: directory(&["Resident Entrances", "Unit 1"]),
        ..ActualState::default()
    };
    actual.users.insert(
        "lockstep:y:a".into(),
        actual_user("lockstep:y:a", &["Resident Entrances", "Unit 1"]),
    );
    assert!(plan(&desired, &actual, &Capabilities::default()).is_empty());
    // Without the hold the same input revokes both memberships.
    desired.held.clear();
    assert_eq!(
        plan(&desired, &actual, &Capabilities::default())
            .revocations()
            .count(),
        2
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn held_users_are_never_touched(
        mut desired in arb_desired(),
        actual in arb_actual(),
        caps in arb_caps(),
        held in prop::collection::btree_set(0u8..25, 0..10),
    ) {
        desired.held = held.iter().map(|p| format!("lockstep:y:{p}")).collect();
        let p = plan(&desired, &actual, &caps);
        for action in &p.actions {
            prop_assert!(!desired.held.contains(action.external_id()), "held user planned: {action:?}");
        }
        let next = apply(&actual, &p);
        for ext in &desired.held {
            prop_assert_eq!(next.users.get(ext), actual.users.get(ext));
        }
        prop_assert!(plan(&desired, &next, &caps).actions.is_empty());
    }
}
