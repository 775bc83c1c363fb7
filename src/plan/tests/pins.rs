//! PINs in the plan: issued to a new user after its groups, issued again only for a new
//! generation or when the system lost it, cleared only when lockstep issued it and nobody wants
//! it, never touched on a system without PINs, a person waiting for activation, or a PIN set by
//! hand.

use super::*;
use crate::model::DesiredPin;

const EXT: &str = "lockstep:y:1";

fn pins() -> Capabilities {
    Capabilities {
        pins: true,
        ..Default::default()
    }
}

fn with_pin(generation: u32) -> DesiredUser {
    DesiredUser {
        pin: Some(DesiredPin {
            generation,
            window: Window::OPEN,
        }),
        ..desired_user("1", &["Resident Entrances"])
    }
}

fn state(user: Option<DesiredUser>, issued: Option<u32>) -> DesiredState {
    let mut d = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    if let Some(u) = user {
        d.users.insert(EXT.into(), u);
    }
    if let Some(g) = issued {
        d.issued_pins.insert(EXT.into(), g);
    }
    d
}

fn holding(pin: bool) -> ActualState {
    let mut a = ActualState {
        groups: directory(&["Resident Entrances"]),
        ..Default::default()
    };
    let mut user = actual_user(EXT, &["Resident Entrances"]);
    user.pin = pin.then_some(Window::OPEN);
    a.users.insert(EXT.into(), user);
    a
}

fn names(p: &Plan) -> Vec<&'static str> {
    p.actions.iter().map(|a| a.name()).collect()
}

#[test]
fn a_new_user_gets_its_pin_after_its_groups() {
    let actual = ActualState {
        groups: directory(&["Resident Entrances"]),
        ..Default::default()
    };
    let p = plan(&state(Some(with_pin(1)), None), &actual, &pins());
    assert_eq!(names(&p), ["create_user", "add_to_group", "issue_pin"]);
    let Action::IssuePin { generation, .. } = &p.actions[2] else {
        panic!("{:?}", p.actions)
    };
    assert_eq!(*generation, 1);
    // Applied, the next plan is empty once the store knows generation 1 was issued.
    let next = apply(&actual, &p);
    assert!(plan(&state(Some(with_pin(1)), Some(1)), &next, &pins()).is_empty());
}

#[test]
fn a_system_without_pins_is_never_asked() {
    let p = plan(
        &state(Some(with_pin(1)), None),
        &holding(false),
        &Capabilities::default(),
    );
    assert!(p.is_empty(), "{:?}", p.actions);
}

#[test]
fn an_existing_user_without_the_pin_gets_one_and_a_held_pin_is_left() {
    let p = plan(&state(Some(with_pin(1)), None), &holding(false), &pins());
    assert_eq!(names(&p), ["issue_pin"]);
    // Issued and still there: nothing to do.
    assert!(plan(&state(Some(with_pin(1)), Some(1)), &holding(true), &pins()).is_empty());
    // Issued but gone from the system (cleared by hand): issued again.
    let p = plan(&state(Some(with_pin(1)), Some(1)), &holding(false), &pins());
    assert_eq!(names(&p), ["issue_pin"]);
}

#[test]
fn a_replacement_is_the_next_generation_over_the_held_pin() {
    let p = plan(&state(Some(with_pin(2)), Some(1)), &holding(true), &pins());
    assert_eq!(names(&p), ["issue_pin"], "overwritten, not cleared first");
    let Action::IssuePin { generation, .. } = &p.actions[0] else {
        panic!("{:?}", p.actions)
    };
    assert_eq!(*generation, 2);
}

#[test]
fn a_lost_pin_without_replacement_is_cleared_only_if_lockstep_issued_it() {
    let lost = desired_user("1", &["Resident Entrances"]);
    let p = plan(&state(Some(lost.clone()), Some(1)), &holding(true), &pins());
    assert_eq!(names(&p), ["revoke_pin"]);
    // A PIN set by hand (lockstep issued none): never touched.
    assert!(plan(&state(Some(lost), None), &holding(true), &pins()).is_empty());
}

#[test]
fn a_person_who_leaves_loses_groups_and_the_pin() {
    let p = plan(&state(None, Some(1)), &holding(true), &pins());
    let mut got = names(&p);
    got.sort();
    assert_eq!(got, ["remove_from_group", "revoke_pin"]);
    let mut held = state(None, Some(1));
    held.held.insert(EXT.into());
    assert!(
        plan(&held, &holding(true), &pins()).is_empty(),
        "held people keep their PIN"
    );
    let mut frozen = state(None, Some(1));
    frozen.hold_removals = true;
    let p = plan(&frozen, &holding(true), &pins());
    assert!(!names(&p).contains(&"revoke_pin"), "{:?}", p.actions);
}

#[test]
fn a_person_waiting_for_activation_gets_no_pin_yet() {
    let mut waiting = with_pin(1);
    waiting.new_grants = false;
    let p = plan(&state(Some(waiting), None), &holding(false), &pins());
    assert!(!names(&p).contains(&"issue_pin"), "{:?}", p.actions);
}

#[test]
fn the_pin_of_a_person_whose_window_ended_is_an_expiration() {
    let mut ended = state(None, Some(1));
    let clear = Action::RevokePin {
        external_id: EXT.into(),
        person_id: "1".into(),
    };
    assert!(!ended.expires(&clear), "no known end: counted by the guard");
    ended
        .expected_ends
        .insert((EXT.into(), "Resident Entrances".into()));
    assert!(ended.expires(&clear));
}
