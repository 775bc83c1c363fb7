//! The `pins:` section: the holding system defaults to the one that holds PINs and must hold
//! them, kinds and digits are checked, and PINs without a notification sink are refused.

use super::*;
use crate::model::PersonKind;
use std::collections::BTreeSet;

pub(super) const BRIVO: &str = "  brivo-main:
    type: brivo
    url: http://127.0.0.1:1/brivo
    auth_url: http://127.0.0.1:1/brivo
    api_key: k
    client_id: c
    client_secret: s
    username: u
    password: p
";

/// MINIMAL with a Brivo system beside Kisi (Entrances in Kisi, the unit doors in Brivo), an
/// outbox when `sink`, and `pins` as keys of maple-court.
fn config(pins: &str, sink: bool) -> String {
    let mut yaml = MINIMAL
        .replace("properties:\n", &format!("{BRIVO}properties:\n"))
        .replace(
            "    access_system: kisi-main\n",
            "    access_systems:\n      kisi-main: {groups: [Entrances]}\n      brivo-main: {groups: [\"Unit *\"]}\n",
        )
        .replace("    common_groups:", &format!("{pins}    common_groups:"));
    if sink {
        yaml.push_str("notifications:\n  outbox: /var/lib/lockstep/pins.jsonl\n");
    }
    yaml
}

#[test]
fn without_the_section_no_pins_are_issued() {
    let c = valid(&config("", false), &minimal_env());
    assert_eq!(c.properties["maple-court"].pins, None);
}

#[test]
fn the_defaults_are_the_pin_holding_system_residents_and_six_digits() {
    let c = valid(&config("    pins: {}\n", true), &minimal_env());
    let pins = c.properties["maple-court"].pins.clone().expect("pins");
    assert_eq!(pins.system, "brivo-main");
    assert_eq!(pins.issue_to, BTreeSet::from([PersonKind::Resident]));
    assert_eq!(pins.digits, 6);
}

#[test]
fn kinds_and_digits_are_read() {
    let c = valid(
        &config(
            "    pins: {system: brivo-main, issue_to: [resident, visitor], digits: 8}\n",
            true,
        ),
        &minimal_env(),
    );
    let pins = c.properties["maple-court"].pins.clone().expect("pins");
    assert_eq!(
        pins.issue_to,
        BTreeSet::from([PersonKind::Resident, PersonKind::Visitor])
    );
    assert_eq!(pins.digits, 8);
}

#[test]
fn a_system_without_pins_is_refused_by_name() {
    let e = errors(
        &config("    pins: {system: kisi-main}\n", true),
        &minimal_env(),
    );
    assert!(
        e.iter()
            .any(|e| e.contains("properties.maple-court.pins.system")
                && e.contains("kisi system, which holds no PINs")),
        "{e:?}"
    );
    let e = errors(
        &config("    pins: {system: brivo-other}\n", true),
        &minimal_env(),
    );
    assert!(
        e.iter()
            .any(|e| e.contains("\"brivo-other\" is not one of this property's access systems")),
        "{e:?}"
    );
    // Kisi alone: nothing holds PINs.
    let e = errors(
        &(with_property_keys("    pins: {}\n")
            + "notifications:\n  outbox: /var/lib/lockstep/pins.jsonl\n"),
        &minimal_env(),
    );
    assert!(
        e.iter()
            .any(|e| e.contains("none of this property's access systems holds PINs")),
        "{e:?}"
    );
}

#[test]
fn bad_kinds_and_digit_counts_are_named() {
    let e = errors(
        &config("    pins: {issue_to: [tenant], digits: 12}\n", true),
        &minimal_env(),
    );
    assert!(
        e.iter().any(
            |e| e.contains("pins.issue_to") && e.contains("\"tenant\" is not a kind of person")
        ),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.contains("pins.digits") && e.contains("12 is out of range (4 to 8)")),
        "{e:?}"
    );
}

#[test]
fn pins_without_a_sink_are_refused() {
    let e = errors(&config("    pins: {}\n", false), &minimal_env());
    assert!(
        e.iter().any(|e| e.contains("properties.maple-court.pins")
            && e.contains("add a top-level `notifications` section")),
        "{e:?}"
    );
}

#[test]
fn every_system_type_that_holds_pins_says_so_in_its_capabilities() {
    let c = valid(EXAMPLE, &example_env());
    let kinds: BTreeSet<&str> = c.access_systems.values().map(|s| s.kind()).collect();
    assert_eq!(
        kinds.len(),
        4,
        "the example has one system of each type: {kinds:?}"
    );
    let metrics = crate::metrics::Metrics::new();
    for (name, system) in &c.access_systems {
        let built = crate::access::build(name, system, &metrics).expect("builds");
        assert_eq!(
            built.capabilities().pins,
            system.holds_pins(),
            "{name}: config and connector disagree on PINs"
        );
        assert_eq!(
            built.capabilities().mobile_keys,
            system.issues_mobile_keys(),
            "{name}: config and connector disagree on mobile keys"
        );
    }
}

#[test]
fn the_examples_commented_pins_and_guest_pins_are_valid_once_uncommented() {
    let mut yaml = String::new();
    let mut in_block = false;
    for line in EXAMPLE.lines() {
        // The commented `guest_pins:` and `pins:` blocks of birch-hall, and the outbox.
        let t = line.trim_start();
        if t.starts_with("# guest_pins:") || t.starts_with("# pins:") {
            in_block = true;
        } else if !t.starts_with("#   ") {
            in_block = false;
        }
        let uncomment = in_block || line == "#   outbox: /var/lib/lockstep/pin-outbox.jsonl";
        let first_sink = line == "# notifications:" && !yaml.contains("\nnotifications:");
        if uncomment || first_sink {
            yaml.push_str(&line.replacen("# ", "", 1));
        } else {
            yaml.push_str(line);
        }
        yaml.push('\n');
    }
    assert!(yaml.contains("\n    pins:\n"), "{yaml}");
    let c = valid(&yaml, &example_env());
    let birch = &c.properties["birch-hall"];
    assert_eq!(
        birch.pins.as_ref().map(|p| p.system.as_str()),
        Some("brivo-main")
    );
    assert!(birch.guest_pins.is_some());
    assert!(c.notifications.is_some());
}

#[test]
fn the_examples_commented_mobile_key_property_is_valid_once_uncommented() {
    let yaml = uncomment_block(EXAMPLE, "  # spruce-lofts:\n");
    let c = valid(&yaml, &example_env());
    let keys = c.properties["spruce-lofts"]
        .mobile_keys
        .as_ref()
        .expect("mobile keys");
    assert_eq!(keys.system, "openpath-main");
    assert!(keys.issue_to.contains(&PersonKind::Staff), "{keys:?}");
}

const OPENPATH: &str = "  openpath-main:
    type: openpath
    url: http://127.0.0.1:1/openpath
    email: ops@example.test
    password: p
    org_id: 7
";

/// MINIMAL with an Openpath system beside Kisi (the unit doors in Openpath) and `keys` as
/// keys of maple-court.
fn with_openpath(keys: &str) -> String {
    MINIMAL
        .replace("properties:\n", &format!("{OPENPATH}properties:\n"))
        .replace(
            "    access_system: kisi-main\n",
            "    access_systems:\n      kisi-main: {groups: [Entrances]}\n      openpath-main: {groups: [\"Unit *\"]}\n",
        )
        .replace("    common_groups:", &format!("{keys}    common_groups:"))
}

#[test]
fn mobile_keys_default_to_the_system_that_issues_them_and_residents() {
    let c = valid(&with_openpath("    mobile_keys: {}\n"), &minimal_env());
    let keys = c.properties["maple-court"]
        .mobile_keys
        .clone()
        .expect("keys");
    assert_eq!(keys.system, "openpath-main");
    assert_eq!(keys.issue_to, BTreeSet::from([PersonKind::Resident]));
    let c = valid(&with_openpath(""), &minimal_env());
    assert_eq!(c.properties["maple-court"].mobile_keys, None);
    let c = valid(
        &with_openpath("    mobile_keys: {issue_to: [staff, member]}\n"),
        &minimal_env(),
    );
    let keys = c.properties["maple-court"]
        .mobile_keys
        .clone()
        .expect("keys");
    assert_eq!(
        keys.issue_to,
        BTreeSet::from([PersonKind::Staff, PersonKind::Member])
    );
}

#[test]
fn mobile_keys_in_a_system_that_issues_none_are_refused_by_name() {
    let e = errors(
        &with_openpath("    mobile_keys: {system: kisi-main}\n"),
        &minimal_env(),
    );
    assert!(
        e.iter()
            .any(|e| e.contains("properties.maple-court.mobile_keys.system")
                && e.contains("kisi system, which issues no mobile keys (openpath does)")),
        "{e:?}"
    );
    let e = errors(&with_property_keys("    mobile_keys: {}\n"), &minimal_env());
    assert!(
        e.iter()
            .any(|e| e.contains("none of this property's access systems issues mobile keys")),
        "{e:?}"
    );
    let e = errors(
        &with_openpath("    mobile_keys: {issue_to: [tenant]}\n"),
        &minimal_env(),
    );
    assert!(
        e.iter()
            .any(|e| e.contains("mobile_keys.issue_to") && e.contains("\"tenant\"")),
        "{e:?}"
    );
}
