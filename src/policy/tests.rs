//! Tests of the lease-status table, activation delay, mappings and overrides.

use super::*;
use crate::config::{Mode, RevocationMode, Routing};
use crate::plan::RevocationLimit;
use std::time::Duration;

const NOW: Timestamp = 1_800_000_000;

pub(crate) fn property() -> PropertyConfig {
    PropertyConfig {
        name: "Maple Court".into(),
        sources: [("yardi".to_string(), "mc".to_string())].into(),
        access_systems: [("kisi".to_string(), Routing::default())].into(),
        link_by: None,
        mode: Mode::Automatic,
        revocations: RevocationMode::WithMode,
        notify: crate::config::NotifyPolicy::Never,
        activation_delay: Duration::from_secs(900),
        max_revocations: RevocationLimit::default(),
        common_groups: vec!["Entrances".into(), "Amenities".into()],
        units: UnitMapping {
            pattern: Some("Unit {unit}".into()),
            groups: [("Floor 1".to_string(), vec!["1*".to_string()])]
                .into_iter()
                .collect(),
            overrides: [("PH1".to_string(), vec!["Penthouse".to_string()])]
                .into_iter()
                .collect(),
        },
        roles: [("maintenance".to_string(), vec!["Maintenance".to_string()])]
            .into_iter()
            .collect(),
        members: Default::default(),
        visitors: Default::default(),
        guest_pins: None,
        pins: None,
        mobile_keys: None,
    }
}

fn person(id: &str, unit: Option<&str>, status: LeaseStatus) -> PersonRecord {
    PersonRecord {
        id: id.into(),
        name: format!("P {id}"),
        email: None,
        phone: None,
        unit: unit.map(str::to_string),
        status,
        role: None,
        lease_start: None,
        lease_end: None,
        membership: None,
        visit: None,
    }
}

struct Case {
    people: Vec<PersonRecord>,
    overrides: BTreeMap<String, ManualOverride>,
    marks: BTreeMap<String, Mark>,
    lost: BTreeMap<String, BTreeSet<String>>,
    held: BTreeSet<String>,
}

impl Case {
    fn new(people: Vec<PersonRecord>) -> Case {
        Case {
            people,
            overrides: BTreeMap::new(),
            marks: BTreeMap::new(),
            lost: BTreeMap::new(),
            held: BTreeSet::new(),
        }
    }
    fn run(&self, now: Timestamp) -> Output {
        let p = property();
        let feeds = [Feed {
            source: "yardi",
            people: &self.people,
            held: &self.held,
        }];
        desired(&Input {
            property: &p,
            feeds: &feeds,
            failed: &BTreeSet::new(),
            overrides: &self.overrides,
            marks: &self.marks,
            lost: &self.lost,
            now,
        })
    }
}

fn ext(person: &str) -> String {
    format!("lockstep:yardi:{person}")
}

fn mark(status: LeaseStatus, since: Timestamp) -> Mark {
    Mark {
        status,
        since,
        unit: None,
        ends: BTreeMap::new(),
    }
}

fn groups_of(out: &Output, person: &str) -> Vec<String> {
    out.desired
        .users
        .get(&format!("lockstep:yardi:{person}"))
        .map(|u| u.groups.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn lease_status_table() {
    let mut case = Case::new(vec![
        person("f", Some("101"), LeaseStatus::Future),
        person("c", Some("101"), LeaseStatus::Current),
        person("n", Some("202"), LeaseStatus::Notice),
        person("p", Some("101"), LeaseStatus::Past),
    ]);
    case.people[2].lease_end = Some(NOW + 86_400);
    let out = case.run(NOW);
    assert!(groups_of(&out, "f").is_empty());
    assert_eq!(
        groups_of(&out, "c"),
        ["Amenities", "Entrances", "Floor 1", "Unit 101"]
    );
    assert_eq!(groups_of(&out, "n"), ["Amenities", "Entrances", "Unit 202"]);
    assert!(groups_of(&out, "p").is_empty());
    let notice = &out.desired.users["lockstep:yardi:n"];
    assert_eq!(notice.groups["Unit 202"].until, Some(NOW + 86_400));
}

#[test]
fn notice_past_its_move_out_date_loses_access() {
    let mut case = Case::new(vec![person("n", Some("202"), LeaseStatus::Notice)]);
    case.people[0].lease_end = Some(NOW - 1);
    assert!(case.run(NOW).desired.users.is_empty());
}

#[test]
fn activation_delay_runs_from_the_status_change() {
    let mut case = Case::new(vec![person("a", Some("101"), LeaseStatus::Current)]);
    // Not the first sync: someone else was already known.
    case.marks
        .insert(ext("other"), mark(LeaseStatus::Current, 0));
    let out = case.run(NOW);
    // Desired, but nothing new may be created or added until the delay has run.
    assert!(!out.desired.users[&ext("a")].new_grants);
    assert_eq!(out.waiting, 1);
    assert_eq!(out.next_activation, Some(NOW + 900));
    assert_eq!(out.marks[&ext("a")].since, NOW);
    // Fifteen minutes later, with the marks kept, access is due.
    case.marks = out.marks;
    let later = case.run(NOW + 900);
    assert_eq!(groups_of(&later, "a").len(), 4);
    assert!(later.desired.users[&ext("a")].new_grants);
    assert_eq!(later.waiting, 0);
}

#[test]
fn first_sync_treats_current_residents_as_already_active() {
    let case = Case::new(vec![person("a", Some("101"), LeaseStatus::Current)]);
    let out = case.run(NOW);
    assert_eq!(out.waiting, 0);
    assert_eq!(groups_of(&out, "a").len(), 4);
}

#[test]
fn unit_override_and_roles() {
    let mut staff = person("m", None, LeaseStatus::Current);
    staff.role = Some("maintenance".into());
    let mut unknown = person("x", None, LeaseStatus::Current);
    unknown.role = Some("valet".into());
    let case = Case::new(vec![
        person("ph", Some("PH1"), LeaseStatus::Current),
        staff,
        unknown,
    ]);
    let out = case.run(NOW);
    assert_eq!(
        groups_of(&out, "ph"),
        ["Amenities", "Entrances", "Penthouse"]
    );
    assert_eq!(groups_of(&out, "m"), ["Maintenance"]);
    // Nobody mapped "valet": a problem, and the person's access is held as it is (neither
    // revoked nor extended), not dropped from the desired state.
    assert!(groups_of(&out, "x").is_empty());
    assert!(out.desired.held.contains(&ext("x")));
    assert_eq!(out.problems.len(), 1);
    assert!(out.problems[0].contains("\"valet\""));
}

#[test]
fn overrides_win_over_the_source() {
    let mut case = Case::new(vec![
        person("a", Some("101"), LeaseStatus::Current),
        person("b", Some("102"), LeaseStatus::Future),
    ]);
    case.overrides.insert(
        "a".into(),
        ManualOverride {
            force_status: Some(LeaseStatus::Past),
            ..Default::default()
        },
    );
    case.overrides.insert(
        "b".into(),
        ManualOverride {
            force_status: Some(LeaseStatus::Current),
            add_groups: ["Penthouse".to_string()].into(),
            remove_groups: ["Amenities".to_string()].into(),
        },
    );
    let out = case.run(NOW);
    assert!(groups_of(&out, "a").is_empty());
    assert_eq!(
        groups_of(&out, "b"),
        ["Entrances", "Floor 1", "Penthouse", "Unit 102"]
    );
}

#[test]
fn lost_credentials_travel_with_the_desired_user() {
    let mut case = Case::new(vec![person("a", Some("101"), LeaseStatus::Current)]);
    case.lost.insert("a".into(), ["c1".to_string()].into());
    let out = case.run(NOW);
    assert!(out.desired.users["lockstep:yardi:a"]
        .revoked_credentials
        .contains("c1"));
}

#[test]
fn managed_groups_cover_everything_config_can_grant() {
    let m = managed_groups(&property());
    for g in [
        "Entrances",
        "Amenities",
        "Maintenance",
        "Floor 1",
        "Penthouse",
        "Unit 9",
    ] {
        assert!(m.contains(g), "{g}");
    }
    assert!(!m.contains("Gym VIP"));
    assert!(!m.contains("Unit "));
}

#[test]
fn held_people_keep_their_marks_and_are_neither_granted_nor_revoked() {
    let mut case = Case::new(vec![person("b", Some("102"), LeaseStatus::Current)]);
    case.held.insert("a".into());
    let mark = mark(LeaseStatus::Current, NOW - 5_000);
    case.marks.insert(ext("a"), mark.clone());
    case.marks.insert(ext("b"), mark.clone());
    let out = case.run(NOW);
    assert!(out.desired.held.contains("lockstep:yardi:a"));
    assert!(!out.desired.users.contains_key("lockstep:yardi:a"));
    assert_eq!(out.marks.get(&ext("a")), Some(&mark));
    // The readable neighbour is unaffected.
    assert!(out.desired.users.contains_key("lockstep:yardi:b"));
}

mod pins;
mod sources;

mod windows {
    //! Window edges through the whole policy: wake-ups and expected expirations.
    use super::*;

    fn contractor(end: Timestamp) -> PersonRecord {
        let mut c = person("c1", None, LeaseStatus::Current);
        c.role = Some("maintenance".into());
        c.lease_end = Some(end);
        c
    }

    fn run(people: &[PersonRecord], marks: &BTreeMap<String, Mark>, now: Timestamp) -> Output {
        let property = property();
        let held = BTreeSet::new();
        desired(&Input {
            property: &property,
            feeds: &[Feed {
                source: "yardi",
                people,
                held: &held,
            }],
            failed: &BTreeSet::new(),
            overrides: &BTreeMap::new(),
            marks,
            lost: &BTreeMap::new(),
            now,
        })
    }

    #[test]
    fn an_end_date_lockstep_knew_is_an_expected_expiration_and_a_wake_up() {
        let people = [contractor(NOW + 60)];
        let before = run(&people, &BTreeMap::new(), NOW);
        assert_eq!(
            before.next_due,
            Some(NOW + 60),
            "the property wakes at the end date"
        );
        assert_eq!(before.marks[&ext("c1")].ends["Maintenance"], NOW + 60);
        assert!(before.desired.expected_ends.is_empty());

        let after = run(&people, &before.marks, NOW + 60);
        assert!(
            !after.desired.users.contains_key(&ext("c1")),
            "revoked at the end date"
        );
        assert!(after
            .desired
            .expected_ends
            .contains(&(ext("c1"), "Maintenance".to_string())));
    }

    #[test]
    fn an_end_date_that_appears_already_past_is_not_expected() {
        // Yesterday's marks knew no end: a feed that suddenly dates the contract in the past
        // still counts for the blast-radius guard.
        let mut marks = BTreeMap::new();
        marks.insert(ext("c1"), mark(LeaseStatus::Current, 0));
        let out = run(&[contractor(NOW - 60)], &marks, NOW);
        assert!(!out.desired.users.contains_key(&ext("c1")));
        assert!(out.desired.expected_ends.is_empty());
    }

    #[test]
    fn a_person_dropped_from_the_feed_expires_as_expected_only_past_the_known_end() {
        let before = run(&[contractor(NOW + 60)], &BTreeMap::new(), NOW);
        let early = run(&[], &before.marks, NOW + 30);
        assert!(
            early.desired.expected_ends.is_empty(),
            "dropped before the end: an accident?"
        );
        let late = run(&[], &before.marks, NOW + 60);
        assert_eq!(
            late.desired.expected_ends,
            BTreeSet::from([(ext("c1"), "Maintenance".to_string())])
        );
    }
}
