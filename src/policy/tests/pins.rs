//! The desired PIN: only for the kinds `pins.issue_to` names, valid across the person's groups,
//! its generation from the loss reports (`pin` leaves none, `pin#N` replaces), loss reports of
//! PINs never taken for cards; guest passes as users holding a first PIN while their host has
//! access.

use super::*;
use crate::config::PinRules;
use crate::model::{DesiredPin, PersonKind};
use crate::policy::guests::{GuestPass, PassKind};

fn with_pins(issue_to: &[PersonKind]) -> PropertyConfig {
    PropertyConfig {
        pins: Some(PinRules {
            system: "kisi".into(),
            issue_to: issue_to.iter().copied().collect(),
            digits: 6,
        }),
        ..property()
    }
}

fn run(p: &PropertyConfig, people: &[PersonRecord], lost: &[(&str, &str)]) -> Output {
    let mut by_person: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (person, id) in lost {
        by_person
            .entry(person.to_string())
            .or_default()
            .insert(id.to_string());
    }
    let held = BTreeSet::new();
    let feeds = [Feed {
        source: "yardi",
        people,
        held: &held,
    }];
    desired(&Input {
        property: p,
        feeds: &feeds,
        failed: &BTreeSet::new(),
        overrides: &BTreeMap::new(),
        marks: &BTreeMap::new(),
        lost: &by_person,
        now: NOW,
    })
}

fn pin_of(out: &Output, person: &str) -> Option<DesiredPin> {
    out.desired.users.get(&ext(person)).and_then(|u| u.pin)
}

fn staff(id: &str) -> PersonRecord {
    PersonRecord {
        role: Some("maintenance".into()),
        ..person(id, None, LeaseStatus::Current)
    }
}

#[test]
fn only_the_kinds_named_get_a_pin() {
    let people = [person("r1", Some("101"), LeaseStatus::Current), staff("s1")];
    let out = run(&with_pins(&[PersonKind::Resident]), &people, &[]);
    assert_eq!(
        pin_of(&out, "r1"),
        Some(DesiredPin {
            generation: 1,
            window: Window::OPEN
        })
    );
    assert_eq!(pin_of(&out, "s1"), None);
    let out = run(&with_pins(&[PersonKind::Staff]), &people, &[]);
    assert_eq!(
        (pin_of(&out, "r1").is_some(), pin_of(&out, "s1").is_some()),
        (false, true)
    );
    let out = run(&property(), &people, &[]);
    assert_eq!(
        (pin_of(&out, "r1"), pin_of(&out, "s1")),
        (None, None),
        "no pins: section"
    );
}

#[test]
fn people_without_access_get_no_pin() {
    let people = [
        person("r1", Some("101"), LeaseStatus::Past),
        person("r2", Some("102"), LeaseStatus::Future),
    ];
    let out = run(&with_pins(&[PersonKind::Resident]), &people, &[]);
    assert_eq!((pin_of(&out, "r1"), pin_of(&out, "r2")), (None, None));
}

#[test]
fn loss_reports_set_the_generation_and_are_not_card_losses() {
    let p = with_pins(&[PersonKind::Resident]);
    let people = [person("r1", Some("101"), LeaseStatus::Current)];
    let out = run(
        &p,
        &people,
        &[("r1", "pin#1"), ("r1", "pin#2"), ("r1", "card-9")],
    );
    assert_eq!(pin_of(&out, "r1").map(|p| p.generation), Some(3));
    let user = &out.desired.users[&ext("r1")];
    assert_eq!(
        user.revoked_credentials,
        BTreeSet::from(["card-9".to_string()]),
        "PIN losses are not card ids"
    );
    let out = run(&p, &people, &[("r1", "pin")]);
    assert_eq!(pin_of(&out, "r1"), None, "lost without replacement: no PIN");
    assert!(out.desired.users[&ext("r1")].revoked_credentials.is_empty());
    let out = run(&p, &people, &[("r1", "*")]);
    assert_eq!(
        pin_of(&out, "r1").map(|p| p.generation),
        Some(1),
        "* is every card"
    );
}

#[test]
fn replacement_ids_count_up_and_withdraw_a_plain_loss() {
    let none: BTreeSet<String> = BTreeSet::new();
    assert_eq!(crate::policy::pins::replacement_id(&none), "pin#1");
    let two: BTreeSet<String> = ["pin#1", "pin#2", "card"].map(String::from).into();
    assert_eq!(crate::policy::pins::replacement_id(&two), "pin#3");
    assert_eq!(crate::policy::pins::generation(&two), Some(3));
    assert!(crate::policy::pins::is_pin_loss("pin") && crate::policy::pins::is_pin_loss("pin#4"));
    assert!(
        !crate::policy::pins::is_pin_loss("pinpad-7") && !crate::policy::pins::is_pin_loss("*")
    );
}

fn pass(id: &str, host: &str, from: Timestamp, until: Timestamp) -> GuestPass {
    GuestPass {
        id: id.into(),
        property: "mc".into(),
        host: host.into(),
        guest_name: format!("Guest {id}"),
        kind: PassKind::Temporary,
        from,
        until: Some(until),
        days: BTreeSet::new(),
        created_by: "test".into(),
        created_at: from,
        cancelled: false,
    }
}

#[test]
fn guest_passes_of_hosts_with_access_are_users_with_a_first_pin() {
    let mut p = with_pins(&[PersonKind::Resident]);
    p.guest_pins = Some(crate::config::GuestPinRules {
        groups: vec!["Entrances".into()],
        ..Default::default()
    });
    let people = [
        person("r1", Some("101"), LeaseStatus::Current),
        person("r2", Some("102"), LeaseStatus::Past),
    ];
    let mut out = run(&p, &people, &[]);
    let passes = [
        pass("g1", "r1", NOW - 60, NOW + 3600),
        pass("g2", "r2", NOW - 60, NOW + 3600),
        pass("g3", "r1", NOW + 600, NOW + 7200),
    ];
    crate::policy::pins::add_guests(&mut out, &p, &passes, NOW);
    let window = Window {
        from: Some(NOW - 60),
        until: Some(NOW + 3600),
    };
    let g1 = &out.desired.users["lockstep:guests:g1"];
    assert_eq!(
        g1.groups,
        BTreeMap::from([("Entrances".to_string(), window)])
    );
    assert_eq!(
        g1.pin,
        Some(DesiredPin {
            generation: 1,
            window
        })
    );
    assert!(
        !out.desired.users.contains_key("lockstep:guests:g2"),
        "a host who moved out opens nothing"
    );
    assert!(
        !out.desired.users.contains_key("lockstep:guests:g3"),
        "not started"
    );
    assert_eq!(out.next_due, Some(NOW + 600), "woken when g3 starts");
    assert_eq!(out.people["lockstep:guests:g1"].kind, "guest");
    assert_eq!(
        out.marks["lockstep:guests:g1"].ends,
        BTreeMap::from([("Entrances".to_string(), NOW + 3600)]),
        "the pass's end is an expected expiration"
    );
}

#[test]
fn mobile_keys_go_to_the_kinds_named_and_only_to_their_system() {
    let mut p = property();
    p.access_systems = [
        ("kisi".to_string(), Routing::default()),
        ("openpath".to_string(), Routing::default()),
    ]
    .into();
    p.mobile_keys = Some(crate::config::MobileKeyRules {
        system: "openpath".into(),
        issue_to: [PersonKind::Resident].into(),
    });
    let people = [
        person("r1", Some("101"), LeaseStatus::Current),
        staff("s1"),
        person("r2", Some("102"), LeaseStatus::Past),
    ];
    let out = run(&p, &people, &[]);
    let wants = |id: &str| {
        out.desired
            .users
            .get(&ext(id))
            .is_some_and(|u| u.mobile_key)
    };
    assert_eq!(
        (wants("r1"), wants("s1"), wants("r2")),
        (true, false, false)
    );
    let split = per_system(&p, &out.desired);
    assert!(split["openpath"].users[&ext("r1")].mobile_key);
    assert!(
        split["kisi"]
            .users
            .get(&ext("r1"))
            .is_none_or(|u| !u.mobile_key),
        "the key lives in its system only"
    );
}
