//! Grants lockstep owns: pruning a group that left the managed set takes back exactly
//! lockstep's own grants there; duplicate accounts lose what the person should not hold; the
//! activation delay never takes anything away.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever the input, a removal only ever targets an owned account and a group that is
    /// managed or that lockstep granted that very person.
    #[test]
    fn a_plan_never_touches_an_unowned_grant(
        desired in arb_desired(),
        actual in arb_actual(),
        caps in arb_caps(),
        owned in prop::collection::btree_set((0u8..25, 0usize..6), 0..10),
    ) {
        let mut desired = desired;
        desired.owned_grants = owned
            .iter()
            .map(|(p, g)| (format!("lockstep:y:{p}"), GROUPS[*g].to_string()))
            .collect();
        let p = plan(&desired, &actual, &caps);
        for action in p.revocations() {
            let Action::RemoveFromGroup { external_id, group, .. } = action else { continue };
            prop_assert!(external_id.starts_with("lockstep:"), "{action:?}");
            prop_assert!(
                desired.managed.contains(group)
                    || desired.owned_grants.contains(&(external_id.clone(), group.clone())),
                "{action:?}"
            );
        }
    }

    /// "Gym VIP" left the managed set: every membership in it that lockstep recorded as its own
    /// is revoked, every other one (foreign users, owned users it never granted) is kept.
    #[test]
    fn pruning_revokes_exactly_lockstep_grants_in_the_dropped_group(
        holders in prop::collection::btree_map(0u8..25, (any::<bool>(), any::<bool>()), 0..15),
    ) {
        let mut desired = DesiredState { managed: managed(), ..DesiredState::default() };
        let mut actual = ActualState { groups: directory(&GROUPS), ..ActualState::default() };
        let mut expected = BTreeSet::new();
        for (person, (owned_account, granted_by_lockstep)) in &holders {
            let ext = if *owned_account { format!("lockstep:y:{person}") } else { format!("foreign:{person}") };
            actual.users.insert(ext.clone(), actual_user(&ext, &["Gym VIP", "Amenities"]));
            // Everyone still wants Amenities: only the dropped group is in question.
            desired.users.insert(ext.clone(), desired_user(&person.to_string(), &["Amenities"]));
            if *granted_by_lockstep {
                desired.owned_grants.insert((ext.clone(), "Gym VIP".to_string()));
                if *owned_account {
                    expected.insert(ext);
                }
            }
        }
        let actual = ActualState::from_users(actual.users.into_values().collect(), actual.groups);
        let p = plan(&desired, &actual, &Capabilities::default());
        let pruned: BTreeSet<String> = p
            .revocations()
            .map(|a| {
                assert_eq!(a.object(), "Gym VIP", "{a:?}");
                a.external_id().to_string()
            })
            .collect();
        prop_assert_eq!(pruned, expected);
    }
}

#[test]
fn every_copy_of_a_duplicated_account_loses_what_the_person_should_not_hold() {
    let mut actual = ActualState {
        groups: directory(&GROUPS),
        ..ActualState::default()
    };
    let mut second = actual_user("lockstep:y:a", &["Unit 1", "Amenities"]);
    second.system_id = "sys-b".into();
    let mut first = actual_user("lockstep:y:a", &["Unit 1", "Resident Entrances"]);
    first.system_id = "sys-a".into();
    // Listed in either order, the account with the smaller vendor id comes first.
    for users in [
        vec![second.clone(), first.clone()],
        vec![first.clone(), second.clone()],
    ] {
        let a = ActualState::from_users(users, actual.groups.clone());
        assert_eq!(a.users["lockstep:y:a"].system_id, "sys-a");
        assert_eq!(a.duplicates["lockstep:y:a"].len(), 1);
    }
    actual = ActualState::from_users(vec![first, second], actual.groups);
    let mut desired = DesiredState {
        managed: managed(),
        ..DesiredState::default()
    };
    // Moved out: nothing desired. Both accounts lose every managed membership.
    let p = plan(&desired, &actual, &Capabilities::default());
    let removed: BTreeSet<(Option<String>, String)> = p
        .actions
        .iter()
        .map(|a| match a {
            Action::RemoveFromGroup { account, group, .. } => (account.clone(), group.clone()),
            other => panic!("only removals expected: {other:?}"),
        })
        .collect();
    let expected: BTreeSet<(Option<String>, String)> = [
        (None, "Unit 1".to_string()),
        (None, "Resident Entrances".to_string()),
        (Some("sys-b".to_string()), "Unit 1".to_string()),
        (Some("sys-b".to_string()), "Amenities".to_string()),
    ]
    .into();
    assert_eq!(removed, expected);
    assert!(
        p.problems.iter().any(|m| m.contains("2 accounts")),
        "{:?}",
        p.problems
    );

    // Still a resident of unit 1: the copy keeps Unit 1 too, no third account is created,
    // and nothing is added to the copy.
    desired.users.insert(
        "lockstep:y:a".into(),
        desired_user("a", &["Unit 1", "Resident Entrances"]),
    );
    let p = plan(&desired, &actual, &Capabilities::default());
    assert_eq!(p.actions.len(), 1, "{:?}", p.actions);
    assert!(
        matches!(&p.actions[0], Action::RemoveFromGroup { account: Some(a), group, .. } if a == "sys-b" && group == "Amenities")
    );
}

#[test]
fn a_waiting_person_keeps_what_they_hold_and_gets_nothing_new() {
    let mut desired = DesiredState {
        managed: managed(),
        ..DesiredState::default()
    };
    let mut waiting = desired_user("a", &["Unit 1", "Amenities"]);
    waiting.new_grants = false;
    desired.users.insert("lockstep:y:a".into(), waiting);
    let mut actual = ActualState {
        groups: directory(&GROUPS),
        ..ActualState::default()
    };
    actual.users.insert(
        "lockstep:y:a".into(),
        actual_user("lockstep:y:a", &["Unit 1", "Unit 2"]),
    );
    let p = plan(&desired, &actual, &Capabilities::default());
    // Unit 2 is no longer theirs: it goes. Unit 1 stays. Amenities waits for the delay.
    assert_eq!(p.actions.len(), 1, "{:?}", p.actions);
    assert_eq!(p.actions[0].object(), "Unit 2");
    // Without an account, nothing is created while the delay runs.
    actual.users.clear();
    assert!(plan(&desired, &actual, &Capabilities::default()).is_empty());
}
