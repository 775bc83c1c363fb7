//! Properties with several sources and access systems: identities, links, failed sources,
//! routing, and the activation delay against what people already hold.

use super::*;
use crate::config::LinkKey;
use crate::model::{ActualMembership, ActualState, ActualUser, Capabilities};
use proptest::prelude::*;

/// Unit locks in `smartrent`, everything else in `brivo`; residents from Yardi, staff from a
/// sheet.
fn two_systems() -> PropertyConfig {
    let mut p = property();
    p.sources = [
        ("staff-sheet".to_string(), "mc".to_string()),
        ("yardi".to_string(), "mc".to_string()),
    ]
    .into();
    p.access_systems = [
        (
            "brivo".to_string(),
            Routing {
                groups: vec![
                    "Entrances".into(),
                    "Amenities".into(),
                    "Floor *".into(),
                    "Penthouse".into(),
                    "Maintenance".into(),
                ],
            },
        ),
        (
            "smartrent".to_string(),
            Routing {
                groups: vec!["Unit {unit}".into()],
            },
        ),
    ]
    .into();
    p
}

fn run(
    p: &PropertyConfig,
    feeds: &[(&str, Vec<PersonRecord>)],
    failed: &[&str],
    marks: &BTreeMap<String, Mark>,
) -> Output {
    let held = BTreeSet::new();
    let feeds: Vec<Feed<'_>> = feeds
        .iter()
        .map(|(s, people)| Feed {
            source: s,
            people,
            held: &held,
        })
        .collect();
    desired(&Input {
        property: p,
        feeds: &feeds,
        failed: &failed.iter().map(|s| s.to_string()).collect(),
        overrides: &BTreeMap::new(),
        marks,
        lost: &BTreeMap::new(),
        now: NOW,
    })
}

fn staff(id: &str, role: &str, email: &str) -> PersonRecord {
    let mut s = person(id, None, LeaseStatus::Current);
    s.role = Some(role.into());
    s.email = Some(email.into());
    s
}

#[test]
fn every_group_goes_to_the_one_system_that_holds_it() {
    let p = two_systems();
    assert_eq!(p.system_of("Unit 101"), Some("smartrent"));
    assert_eq!(p.system_of("Floor 1"), Some("brivo"));
    assert_eq!(p.system_of("Entrances"), Some("brivo"));
    assert_eq!(p.system_of("Gym VIP"), None);
    let out = run(
        &p,
        &[(
            "yardi",
            vec![person("a", Some("101"), LeaseStatus::Current)],
        )],
        &[],
        &BTreeMap::new(),
    );
    let split = per_system(&p, &out.desired);
    let groups = |system: &str| -> Vec<String> {
        split[system].users[&ext("a")]
            .groups
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(groups("brivo"), ["Amenities", "Entrances", "Floor 1"]);
    assert_eq!(groups("smartrent"), ["Unit 101"]);
    assert!(split["smartrent"].managed.contains("Unit 7"));
    assert!(!split["smartrent"].managed.contains("Entrances"));
    assert!(split["brivo"].managed.contains("Maintenance"));
    assert!(!split["brivo"].managed.contains("Unit 7"));
}

#[test]
fn one_person_id_in_two_sources_is_two_people_unless_linked() {
    let mut p = two_systems();
    let mut resident = person("17", Some("101"), LeaseStatus::Current);
    resident.email = Some("Ana@Example.com".into());
    let feeds = [
        (
            "staff-sheet",
            vec![staff("17", "maintenance", " ana@example.com")],
        ),
        ("yardi", vec![resident]),
    ];
    let out = run(&p, &feeds, &[], &BTreeMap::new());
    assert_eq!(out.desired.users.len(), 2);
    assert!(out.desired.users.contains_key("lockstep:staff-sheet:17"));
    assert!(out.desired.users.contains_key("lockstep:yardi:17"));

    // Linked by e-mail: one account (named by the first source), holding both entitlements.
    p.link_by = Some(LinkKey::Email);
    let out = run(&p, &feeds, &[], &BTreeMap::new());
    assert_eq!(out.desired.users.len(), 1);
    let groups: Vec<&String> = out.desired.users["lockstep:staff-sheet:17"]
        .groups
        .keys()
        .collect();
    assert_eq!(
        groups,
        [
            "Amenities",
            "Entrances",
            "Floor 1",
            "Maintenance",
            "Unit 101"
        ]
    );
}

#[test]
fn a_failed_source_holds_only_its_own_people() {
    let p = two_systems();
    let out = run(
        &p,
        &[("staff-sheet", vec![staff("m1", "maintenance", "m@x")])],
        &["yardi"],
        &BTreeMap::new(),
    );
    assert!(out.desired.is_held("lockstep:yardi:anyone"));
    assert!(!out.desired.is_held("lockstep:staff-sheet:m1"));
    assert!(!out.desired.hold_removals);
    assert!(out.desired.users.contains_key("lockstep:staff-sheet:m1"));

    // When sources are linked, nobody's whole entitlement is known: removals wait.
    let mut linked = two_systems();
    linked.link_by = Some(LinkKey::Email);
    let out = run(
        &linked,
        &[("staff-sheet", vec![staff("m1", "maintenance", "m@x")])],
        &["yardi"],
        &BTreeMap::new(),
    );
    assert!(out.desired.hold_removals);
}

#[test]
fn reasons_say_what_changed_for_whom() {
    let p = two_systems();
    let mut marks = BTreeMap::new();
    marks.insert(
        ext("a"),
        Mark {
            status: LeaseStatus::Current,
            since: 0,
            unit: Some("203".into()),
            ends: BTreeMap::new(),
        },
    );
    marks.insert(ext("b"), mark(LeaseStatus::Future, 0));
    let out = run(
        &p,
        &[(
            "yardi",
            vec![
                person("a", Some("101"), LeaseStatus::Current),
                person("b", Some("102"), LeaseStatus::Current),
            ],
        )],
        &[],
        &marks,
    );
    assert_eq!(out.people[&ext("a")].reason, "moved from 203 to 101");
    assert_eq!(
        out.people[&ext("b")].reason,
        format!("lease went current {} in yardi", reason::date(NOW))
    );
    assert_eq!(out.people[&ext("b")].kind, "resident");
    assert_eq!(out.people[&ext("a")].name, "P a");
}

fn holding(groups: &[&str]) -> ActualUser {
    ActualUser {
        system_id: "u1".into(),
        external_id: Some(ext("a")),
        name: "P a".into(),
        email: None,
        groups: groups
            .iter()
            .map(|g| (g.to_string(), ActualMembership::default()))
            .collect(),
        credentials: Vec::new(),
        pin: None,
    }
}

proptest! {
    /// A person the source lists as holding access never loses what they hold because of the
    /// activation delay, whatever their status history; new access waits for it.
    #[test]
    fn the_delay_never_takes_away_what_a_listed_person_holds(
        previous in prop::sample::select(vec![LeaseStatus::Future, LeaseStatus::Past, LeaseStatus::Current]),
        now_status in prop::sample::select(vec![LeaseStatus::Current, LeaseStatus::Notice]),
        since_ago in 0i64..2_000,
        held in prop::sample::subsequence(vec!["Entrances", "Amenities", "Unit 101"], 0..=3),
    ) {
        let mut case = Case::new(vec![person("a", Some("101"), now_status)]);
        case.marks.insert(ext("a"), mark(previous, NOW - since_ago));
        case.marks.insert(ext("other"), mark(LeaseStatus::Current, 0));
        let out = case.run(NOW);
        let groups: BTreeMap<String, String> = [("Entrances", "g1"), ("Amenities", "g2"), ("Unit 101", "g3"), ("Floor 1", "g4")]
            .iter()
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect();
        let mut actual = ActualState { groups, ..Default::default() };
        actual.users.insert(ext("a"), holding(&held));
        let plan = crate::plan::plan(&out.desired, &actual, &Capabilities::default());
        prop_assert_eq!(plan.revocations().count(), 0, "{:?}", plan);
        let waiting = !out.desired.users[&ext("a")].new_grants;
        if waiting {
            prop_assert_eq!(plan.grants().count(), 0, "{:?}", plan);
        }
    }
}
