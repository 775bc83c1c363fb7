//! `guest_pins:`: the kinds offered with their limits, bounds on counts, durations and days,
//! keys that do not belong to a kind, and groups routed to none of the property's systems.

use super::*;
use std::time::Duration;

/// MINIMAL with `extra` as keys of maple-court, which also holds PINs: a Brivo system beside
/// Kisi (the unit doors routed to it), `pins` naming it, and an outbox to deliver them.
fn with_property_keys(extra: &str) -> String {
    super::with_property_keys(&format!("    pins: {{system: brivo-main}}\n{extra}"))
        .replace("properties:\n", &format!("{}properties:\n", super::pins::BRIVO))
        .replace(
            "    access_system: kisi-main\n",
            "    access_systems:\n      kisi-main: {groups: [Entrances]}\n      brivo-main: {groups: [\"Unit {unit}\"]}\n",
        )
        + "notifications:\n  outbox: /var/lib/lockstep/pins.jsonl\n"
}

const FULL: &str = "    guest_pins:
      groups: [Entrances]
      temporary: {count: 3, max_duration: 7d}
      recurring: {count: 2, max_duration: 90d, days_per_week: 3}
      permanent: {count: 1}
      delivery: {count: 2, max_duration: 4h}
";

#[test]
fn guest_pins_parse_with_each_kind_and_its_limits() {
    let config = valid(&with_property_keys(FULL), &minimal_env());
    let g = config.properties["maple-court"]
        .guest_pins
        .clone()
        .expect("guest pins");
    assert_eq!(g.groups, ["Entrances"]);
    let t = g.temporary.expect("temporary");
    assert_eq!(
        (t.count, t.max_duration),
        (3, Some(Duration::from_secs(7 * 86_400)))
    );
    let r = g.recurring.expect("recurring");
    assert_eq!(r.days_per_week, Some(3));
    assert_eq!(r.max_duration, Some(Duration::from_secs(90 * 86_400)));
    let p = g.permanent.expect("permanent");
    assert_eq!((p.count, p.max_duration, p.days_per_week), (1, None, None));
    assert_eq!(
        g.delivery.expect("delivery").max_duration,
        Some(Duration::from_secs(4 * 3600))
    );
    let none = valid(MINIMAL, &minimal_env());
    assert_eq!(none.properties["maple-court"].guest_pins, None);
}

#[test]
fn a_kind_left_out_is_not_offered_and_recurring_days_default_to_seven() {
    let yaml = with_property_keys(
        "    guest_pins:\n      groups: [Entrances]\n      recurring: {count: 1, max_duration: 30d}\n",
    );
    let g = valid(&yaml, &minimal_env()).properties["maple-court"]
        .guest_pins
        .clone()
        .expect("guest pins");
    assert_eq!(g.recurring.expect("recurring").days_per_week, Some(7));
    assert!(g.temporary.is_none() && g.permanent.is_none() && g.delivery.is_none());
}

#[test]
fn guest_pin_limits_are_bounded_and_named_by_path() {
    let yaml = with_property_keys(
        "    guest_pins:
      groups: [Entrances, \" \"]
      temporary: {count: 0, max_duration: 400d}
      recurring: {count: 51, days_per_week: 8}
      permanent: {count: 1, max_duration: 1d}
      delivery: {max_duration: 25h, days_per_week: 2}
",
    );
    let got = errors(&yaml, &minimal_env());
    let base = "properties.maple-court.guest_pins";
    for want in [
        format!("{base}.groups: group names must not be empty"),
        format!("{base}.temporary.count: 0 is out of range (1 to 50)"),
        format!("{base}.temporary.max_duration: 400d is above the maximum of 366d"),
        format!("{base}.recurring.count: 51 is out of range (1 to 50)"),
        format!("{base}.recurring.max_duration: is required: the longest a PIN of this kind may last (e.g. 7d)"),
        format!("{base}.recurring.days_per_week: 8 is out of range (1 to 7)"),
        format!("{base}.permanent.max_duration: permanent PINs have no end; max_duration does not apply"),
        format!("{base}.delivery.count: is required: how many live PINs of this kind one resident may hold"),
        format!("{base}.delivery.max_duration: 25h is above the maximum of 24h"),
        format!("{base}.delivery.days_per_week: applies to recurring PINs only"),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:#?}");
    }
    assert_eq!(got.len(), 10, "{got:#?}");
}

#[test]
fn guest_pin_groups_must_be_routed_and_a_kind_offered() {
    let yaml = with_property_keys("    guest_pins:\n      groups: [Pool]\n").replace(
        "    access_system: kisi-main\n",
        "    access_systems:\n      kisi-main: {groups: [Entrances, \"Unit {unit}\"]}\n",
    );
    let got = errors(&yaml, &minimal_env());
    let base = "properties.maple-court.guest_pins";
    assert_eq!(
        got,
        [
            format!("{base}.groups: group \"Pool\" is routed to none of the property's access systems; list it under one of access_systems.*.groups"),
            format!("{base}: offers no kind of guest PIN; give at least one of temporary, recurring, permanent or delivery (or leave guest_pins out)"),
        ]
    );
    let got = errors(
        &with_property_keys(
            "    guest_pins:\n      temporary: {count: 1, max_duration: 1d, colour: red}\n",
        ),
        &minimal_env(),
    );
    assert!(
        got.iter()
            .any(|e| e.contains("guest_pins.temporary") && e.contains("colour")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .all(|e| !e.contains("struct") && !e.contains("i64")),
        "{got:#?}"
    );
    let yaml = with_property_keys(FULL)
        .replace("\n  y:\n", "\n  guests:\n")
        .replace("    source: y\n", "    source: guests\n");
    let got = errors(&yaml, &minimal_env());
    assert!(
        got.iter().any(|e| e.starts_with(
            "properties.maple-court.guest_pins: the property reads a source named \"guests\""
        )),
        "{got:#?}"
    );
}
