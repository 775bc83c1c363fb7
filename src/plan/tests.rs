//! Unit and property tests of `plan` and `guard`.

use super::*;
use crate::model::{ActualCredential, ActualMembership, ManagedGroups};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn managed() -> ManagedGroups {
    ManagedGroups {
        names: ["Resident Entrances", "Amenities"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        patterns: vec![("Unit ".into(), String::new())],
    }
}

fn directory(groups: &[&str]) -> BTreeMap<String, String> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.to_string(), format!("g{i}")))
        .collect()
}

fn desired_user(person: &str, groups: &[&str]) -> DesiredUser {
    DesiredUser {
        person_id: person.into(),
        name: format!("Person {person}"),
        email: None,
        groups: groups
            .iter()
            .map(|g| (g.to_string(), Window::OPEN))
            .collect(),
        revoked_credentials: BTreeSet::new(),
        new_grants: true,
        pin: None,
        mobile_key: false,
    }
}

fn actual_user(ext: &str, groups: &[&str]) -> ActualUser {
    ActualUser {
        system_id: format!("sys-{ext}"),
        external_id: Some(ext.into()),
        name: ext.into(),
        email: None,
        groups: groups
            .iter()
            .map(|g| (g.to_string(), ActualMembership::default()))
            .collect(),
        credentials: vec![],
        pin: None,
    }
}

/// Applies a plan the way a perfect access system would.
fn apply(actual: &ActualState, plan: &Plan) -> ActualState {
    let mut next = actual.clone();
    for action in &plan.actions {
        match action {
            Action::CreateUser {
                external_id,
                name,
                email,
                ..
            } => {
                next.users.insert(
                    external_id.clone(),
                    ActualUser {
                        system_id: format!("new-{external_id}"),
                        external_id: Some(external_id.clone()),
                        name: name.clone(),
                        email: email.clone(),
                        ..ActualUser::default()
                    },
                );
            }
            Action::AddToGroup {
                external_id,
                group,
                window,
                ..
            }
            | Action::SetWindow {
                external_id,
                group,
                window,
                ..
            } => {
                let user = next
                    .users
                    .get_mut(external_id)
                    .expect("user exists before membership");
                user.groups.insert(
                    group.clone(),
                    ActualMembership {
                        id: None,
                        window: *window,
                    },
                );
            }
            Action::RemoveFromGroup {
                external_id, group, ..
            } => {
                next.users
                    .get_mut(external_id)
                    .expect("owned user")
                    .groups
                    .remove(group);
            }
            Action::RevokeCredential {
                external_id,
                credential_id,
                ..
            } => {
                next.users
                    .get_mut(external_id)
                    .expect("owned user")
                    .credentials
                    .retain(|c| &c.id != credential_id);
            }
            Action::IssuePin {
                external_id,
                window,
                ..
            } => {
                next.users.get_mut(external_id).expect("owned user").pin = Some(*window);
            }
            Action::RevokePin { external_id, .. } => {
                next.users.get_mut(external_id).expect("owned user").pin = None;
            }
            // Keys are recorded in the store, not observed: nothing to change here.
            Action::IssueMobileKey { .. } => {}
        }
    }
    next
}

#[test]
fn move_in_creates_user_then_adds_groups() {
    let mut desired = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    desired.users.insert(
        "lockstep:y:1".into(),
        desired_user("1", &["Resident Entrances", "Unit 101"]),
    );
    let actual = ActualState {
        groups: directory(&["Resident Entrances", "Unit 101"]),
        ..Default::default()
    };
    let p = plan(&desired, &actual, &Capabilities::default());
    let names: Vec<_> = p.actions.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["create_user", "add_to_group", "add_to_group"]);
    assert!(p.problems.is_empty());
}

#[test]
fn move_out_removes_only_managed_groups_of_owned_users() {
    let desired = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    let mut actual = ActualState {
        groups: directory(&["Resident Entrances", "Unit 101", "Gym VIP"]),
        ..Default::default()
    };
    actual.users.insert(
        "lockstep:y:1".into(),
        actual_user(
            "lockstep:y:1",
            &["Resident Entrances", "Unit 101", "Gym VIP"],
        ),
    );
    let p = plan(&desired, &actual, &Capabilities::default());
    let groups: Vec<_> = p.actions.iter().map(|a| a.object().to_string()).collect();
    assert_eq!(groups, ["Resident Entrances", "Unit 101"]);
    assert!(p.actions.iter().all(|a| a.name() == "remove_from_group"));
}

#[test]
fn unit_change_swaps_unit_group_and_keeps_common() {
    let mut desired = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    desired.users.insert(
        "lockstep:y:1".into(),
        desired_user("1", &["Resident Entrances", "Unit 202"]),
    );
    let mut actual = ActualState {
        groups: directory(&["Resident Entrances", "Unit 101", "Unit 202"]),
        ..Default::default()
    };
    actual.users.insert(
        "lockstep:y:1".into(),
        actual_user("lockstep:y:1", &["Resident Entrances", "Unit 101"]),
    );
    let p = plan(&desired, &actual, &Capabilities::default());
    assert_eq!(
        p.actions,
        vec![
            Action::RemoveFromGroup {
                external_id: "lockstep:y:1".into(),
                person_id: "1".into(),
                group: "Unit 101".into(),
                account: None,
            },
            Action::AddToGroup {
                external_id: "lockstep:y:1".into(),
                person_id: "1".into(),
                group: "Unit 202".into(),
                window: Window::OPEN
            },
        ]
    );
}

#[test]
fn unknown_group_and_group_limit_are_problems_not_actions() {
    let mut desired = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    desired
        .users
        .insert("lockstep:y:1".into(), desired_user("1", &["Unit 404"]));
    let groups: Vec<String> = (0..17).map(|i| format!("Unit {i}")).collect();
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    desired
        .users
        .insert("lockstep:y:2".into(), desired_user("2", &refs));
    let actual = ActualState {
        groups: directory(&refs),
        ..Default::default()
    };
    let caps = Capabilities {
        max_groups_per_user: Some(16),
        ..Default::default()
    };
    let p = plan(&desired, &actual, &caps);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(p.problems.len(), 2);
    assert!(p
        .problems
        .iter()
        .any(|e| e.contains("\"Unit 404\" does not exist")));
    assert!(p.problems.iter().any(|e| e.contains("limit of 16")));
}

#[test]
fn lost_credential_is_revoked_before_grants() {
    let mut desired = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    let mut want = desired_user("1", &["Resident Entrances", "Unit 101"]);
    want.revoked_credentials.insert("c7".into());
    desired.users.insert("lockstep:y:1".into(), want);
    let mut actual = ActualState {
        groups: directory(&["Resident Entrances", "Unit 101"]),
        ..Default::default()
    };
    let mut have = actual_user("lockstep:y:1", &["Resident Entrances"]);
    have.credentials = vec![
        ActualCredential {
            id: "c7".into(),
            kind: "fob".into(),
        },
        ActualCredential {
            id: "c8".into(),
            kind: "fob".into(),
        },
    ];
    actual.users.insert("lockstep:y:1".into(), have);
    let p = plan(&desired, &actual, &Capabilities::default());
    let names: Vec<_> = p
        .actions
        .iter()
        .map(|a| (a.name(), a.object().to_string()))
        .collect();
    assert_eq!(
        names,
        [
            ("revoke_credential", "c7".to_string()),
            ("add_to_group", "Unit 101".to_string())
        ]
    );
}

#[test]
fn guard_holds_large_revocations_with_floor() {
    let mut p = Plan::default();
    for i in 0..6 {
        p.actions.push(Action::RemoveFromGroup {
            external_id: format!("lockstep:y:{i}"),
            person_id: i.to_string(),
            group: "Unit 1".into(),
            account: None,
        });
    }
    let limit = RevocationLimit::default();
    assert!(
        guard(&p, &limit, 10, false).tripped,
        "6 > floor 5 on a small building"
    );
    assert!(!guard(&p, &limit, 100, false).tripped, "6 <= 10% of 100");
    assert!(!guard(&p, &limit, 10, true).tripped, "released");
    assert!(!guard(&p, &RevocationLimit::Count(6), 0, false).tripped);
}

// ---- property tests ----

const GROUPS: [&str; 6] = [
    "Resident Entrances",
    "Amenities",
    "Unit 1",
    "Unit 2",
    "Unit 3",
    "Gym VIP",
];

fn arb_desired() -> impl Strategy<Value = DesiredState> {
    prop::collection::btree_map(
        0u8..20,
        (
            prop::collection::btree_set(0usize..5, 0..4),
            prop::option::of(0i64..1000),
        ),
        0..12,
    )
    .prop_map(|people| {
        let mut d = DesiredState {
            managed: managed(),
            ..Default::default()
        };
        for (person, (groups, until)) in people {
            let mut u = desired_user(&person.to_string(), &[]);
            for g in groups {
                u.groups
                    .insert(GROUPS[g].to_string(), Window { from: None, until });
            }
            d.users.insert(format!("lockstep:y:{person}"), u);
        }
        d
    })
}

fn arb_actual() -> impl Strategy<Value = ActualState> {
    prop::collection::vec(
        (
            0u8..25,
            any::<bool>(),
            prop::collection::btree_set(0usize..6, 0..5),
        ),
        0..15,
    )
    .prop_map(|users| {
        let mut a = ActualState {
            groups: directory(&GROUPS),
            ..Default::default()
        };
        for (person, owned, groups) in users {
            let ext = if owned {
                format!("lockstep:y:{person}")
            } else {
                format!("foreign:{person}")
            };
            let names: Vec<&str> = groups.iter().map(|g| GROUPS[*g]).collect();
            let user = actual_user(&ext, &names);
            if owned {
                a.users.insert(ext, user);
            } else {
                a.foreign_users += 1;
                a.users.insert(ext, user);
            }
        }
        a
    })
}

fn arb_caps() -> impl Strategy<Value = Capabilities> {
    (any::<bool>(), prop::option::of(2usize..6)).prop_map(|(time_windows, max)| Capabilities {
        time_windows,
        max_groups_per_user: max,
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plan_of_converged_state_is_empty(desired in arb_desired(), caps in arb_caps()) {
        let empty = ActualState { groups: directory(&GROUPS), ..Default::default() };
        let converged = apply(&empty, &plan(&desired, &empty, &caps));
        let again = plan(&desired, &converged, &caps);
        prop_assert!(again.actions.is_empty(), "{:?}", again.actions);
    }

    #[test]
    fn apply_then_plan_is_empty(desired in arb_desired(), actual in arb_actual(), caps in arb_caps()) {
        let first = plan(&desired, &actual, &caps);
        let next = apply(&actual, &first);
        let second = plan(&desired, &next, &caps);
        prop_assert!(second.actions.is_empty(), "first {:?}\nsecond {:?}", first.actions, second.actions);
    }

    #[test]
    fn foreign_objects_are_never_planned(desired in arb_desired(), actual in arb_actual(), caps in arb_caps()) {
        let p = plan(&desired, &actual, &caps);
        for action in &p.actions {
            if action.name() == "remove_from_group" {
                prop_assert!(desired.managed.contains(action.object()), "unmanaged group removed: {action:?}");
                prop_assert!(actual.users[action.external_id()].is_owned());
            }
            if let Some(user) = actual.users.get(action.external_id()) {
                prop_assert!(user.is_owned(), "foreign user in plan: {action:?}");
            }
        }
    }

    #[test]
    fn revocations_precede_grants(desired in arb_desired(), actual in arb_actual(), caps in arb_caps()) {
        let p = plan(&desired, &actual, &caps);
        let first_grant = p.actions.iter().position(|a| a.direction() == crate::model::Direction::Grant);
        if let Some(i) = first_grant {
            prop_assert!(p.actions[i..].iter().all(|a| a.direction() == crate::model::Direction::Grant));
        }
    }

    #[test]
    fn plan_is_deterministic(desired in arb_desired(), actual in arb_actual(), caps in arb_caps()) {
        prop_assert_eq!(plan(&desired, &actual, &caps), plan(&desired, &actual, &caps));
    }

}

mod held;
mod keys;
mod owned;
mod pins;
