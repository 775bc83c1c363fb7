//! Properties with several sources and access systems: the long form, the shorthand, and every
//! group routed to exactly one system.

use super::*;

/// MINIMAL with a second source and a second access system, and maple-court in the long form.
fn two_of_each(property: &str) -> String {
    let base = MINIMAL
        .replace(
            "access_systems:\n",
            "access_systems:\n  kisi-units:\n    type: kisi\n    url: http://127.0.0.1:1/kisi/\n    api_key: {file: /run/key}\n",
        )
        .replace(
            "sources:\n",
            "sources:\n  z:\n    type: yardi_voyager\n    url: http://127.0.0.1:1/yardi_voyager\n    username: u\n    password: p\n    server_name: s\n    database: d\n    interface_entity: e\n    interface_license: {env: LICENSE}\n",
        );
    let head = &base[..base.find("properties:").expect("properties")];
    format!("{head}properties:\n  maple-court:\n{property}")
}

const LONG_FORM: &str = "    sources:
      y: {property_id: mc-1}
      z: ~
    access_systems:
      kisi-main: {groups: [Entrances, \"Floor *\", Maintenance]}
      kisi-units: {groups: [\"Unit {unit}\"]}
    link_by: email
    common_groups: [Entrances]
    roles: {maintenance: [Maintenance]}
    units:
      pattern: \"Unit {unit}\"
      groups: {\"Floor 1\": [\"1*\"]}
";

#[test]
fn the_long_form_names_sources_systems_and_routes() {
    let config = valid(&two_of_each(LONG_FORM), &minimal_env());
    let p = &config.properties["maple-court"];
    assert_eq!(
        p.sources,
        [
            ("y".to_string(), "mc-1".to_string()),
            ("z".to_string(), "maple-court".to_string())
        ]
        .into()
    );
    assert_eq!(p.link_by, Some(crate::config::LinkKey::Email));
    assert_eq!(p.system_of("Unit 101"), Some("kisi-units"));
    assert_eq!(p.system_of("Floor 1"), Some("kisi-main"));
    assert_eq!(p.system_of("Maintenance"), Some("kisi-main"));
    // The shorthand keeps working and routes everything to its one system.
    let short = valid(MINIMAL, &minimal_env());
    assert_eq!(
        short.properties["maple-court"].system_of("Unit 7"),
        Some("kisi-main")
    );
}

#[test]
fn a_group_routed_nowhere_or_twice_is_named_with_its_path() {
    let nowhere = LONG_FORM.replace(
        "[Entrances, \"Floor *\", Maintenance]",
        "[Entrances, \"Floor *\"]",
    );
    let errs = errors(&two_of_each(&nowhere), &minimal_env());
    assert_eq!(
        errs,
        ["properties.maple-court.roles.maintenance: group \"Maintenance\" is routed to none of the property's access systems; list it under one of access_systems.*.groups"],
    );
    let twice = LONG_FORM.replace("[\"Unit {unit}\"]", "[\"Unit {unit}\", Entrances]");
    let errs = errors(&two_of_each(&twice), &minimal_env());
    assert_eq!(
        errs,
        ["properties.maple-court.common_groups: group \"Entrances\" is routed to 2 access systems (kisi-main, kisi-units); a group lives in exactly one"],
    );
    // A common group the unit pattern would also produce is caught too.
    let clash = LONG_FORM
        .replace(
            "common_groups: [Entrances]",
            "common_groups: [Entrances, Unit Lobby]",
        )
        .replace(
            "[Entrances, \"Floor *\", Maintenance]",
            "[Entrances, \"Floor *\", Maintenance, Unit Lobby]",
        );
    let errs = errors(&two_of_each(&clash), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.contains("\"Unit Lobby\" is routed to 2 access systems")),
        "{errs:?}"
    );
}

#[test]
fn the_two_forms_do_not_mix_and_unknown_names_are_caught() {
    let both = LONG_FORM.replace(
        "    link_by: email\n",
        "    source: y\n    access_system: kisi-main\n",
    );
    let errs = errors(&two_of_each(&both), &minimal_env());
    assert!(
        errs.contains(
            &"properties.maple-court.source: give either `source` or `sources`, not both"
                .to_string()
        ),
        "{errs:?}"
    );
    assert!(errs.contains(&"properties.maple-court.access_system: give either `access_system` or `access_systems`, not both".to_string()), "{errs:?}");
    let unknown = LONG_FORM
        .replace("      z: ~\n", "      zz: ~\n")
        .replace("link_by: email", "link_by: phone");
    let errs = errors(&two_of_each(&unknown), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("properties.maple-court.sources.zz: no source named \"zz\"")),
        "{errs:?}"
    );
    assert!(
        errs.contains(
            &"properties.maple-court.link_by: unknown key \"phone\" (expected email)".to_string()
        ),
        "{errs:?}"
    );
    let unrouted = LONG_FORM.replace("{groups: [\"Unit {unit}\"]}", "~");
    let errs = errors(&two_of_each(&unrouted), &minimal_env());
    assert!(errs.contains(&"properties.maple-court.access_systems.kisi-units.groups: required when a property has several access systems: the groups that live in this one".to_string()), "{errs:?}");
}
