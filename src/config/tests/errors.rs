//! Config errors: each names its path, and all of them are reported at once.

use super::*;

#[test]
fn bad_reference_names_the_path() {
    let yaml = MINIMAL.replace("access_system: kisi-main", "access_system: kisii");
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains(r#"properties.maple-court.access_system: no access system named "kisii""#),
        "{errs:?}"
    );
    assert!(
        errs[0].ends_with(r#"(did you mean "kisi-main"?)"#),
        "{errs:?}"
    );
    let errs = errors(
        &MINIMAL.replace("source: y", "source: zzzzzz"),
        &minimal_env(),
    );
    assert_eq!(
        errs,
        [r#"properties.maple-court.source: no source named "zzzzzz""#]
    );
}

#[test]
fn three_errors_are_reported_at_once() {
    let yaml = MINIMAL
        .replace("access_system: kisi-main", "access_system: nope")
        .replace("pattern: \"Unit {unit}\"", "pattern: \"Unit\"")
        + "interval: soon\n";
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs
        .iter()
        .any(|e| e.starts_with("interval: \"soon\" is not a duration")));
    assert!(errs
        .iter()
        .any(|e| e.starts_with("properties.maple-court.access_system:")));
    assert!(errs
        .iter()
        .any(|e| e.starts_with("properties.maple-court.units.pattern:")));
    let display = Config::from_yaml_str(&yaml, &minimal_env())
        .unwrap_err()
        .to_string();
    assert_eq!(display.lines().count(), 3, "one line per error: {display}");
}

#[test]
fn missing_secrets_name_the_variable_or_file() {
    let errs = errors(MINIMAL, &FakeEnv::default());
    assert_eq!(
        errs,
        [
            "sources.y.interface_license: environment variable LICENSE is not set",
            "access_systems.kisi-main.api_key: cannot read secret file /run/key: no such file",
        ]
    );
    let mut env = minimal_env();
    env.vars.insert("LICENSE".into(), String::new());
    assert_eq!(
        errors(MINIMAL, &env),
        ["sources.y.interface_license: environment variable LICENSE is empty"]
    );
    let no_password = MINIMAL.replace("    password: p\n", "");
    assert_eq!(
        errors(&no_password, &minimal_env()),
        ["sources.y.password: is required (give {env: NAME}, {file: PATH} or a value)"]
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    let errs = errors(
        &with_property_keys("    comon_groups: [x]\n"),
        &minimal_env(),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("properties.maple-court.comon_groups: unknown key (known keys: name,"),
        "{errs:?}"
    );
    assert!(errs[0].contains("(line 21, column 5)"), "{errs:?}");

    let in_kisi = MINIMAL.replace(
        "    api_key: {file: /run/key}",
        "    api_key: {file: /run/key}\n    colour: blue",
    );
    let errs = errors(&in_kisi, &minimal_env());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("access_systems.kisi-main.colour: unknown key"),
        "{errs:?}"
    );

    let top = errors("portfolio: a\nportfollio: b\n", &FakeEnv::default());
    assert!(top[0].starts_with("portfollio: unknown key"), "{top:?}");

    let in_secret = MINIMAL.replace("{env: LICENSE}", "{environment: LICENSE}");
    let errs = errors(&in_secret, &minimal_env());
    // The unknown key is not repeated: in a secret's place it may be the secret itself.
    assert!(
        errs[0].starts_with(
            "sources.y.interface_license: a secret is a quoted string, {env: NAME} or {file: PATH}; found a map with another key"
        ),
        "{errs:?}"
    );
    assert!(!errs[0].contains("environment"), "{errs:?}");
}

#[test]
fn keys_of_another_connector_type_and_unknown_types_are_rejected() {
    let brivo_key = MINIMAL.replace(
        "    api_key: {file: /run/key}",
        "    api_key: {file: /run/key}\n    auth_url: http://x",
    );
    assert_eq!(
        errors(&brivo_key, &minimal_env()),
        ["access_systems.kisi-main.auth_url: is not an option of type kisi"]
    );
    let errs = errors(&MINIMAL.replace("type: kisi", "type: kisy"), &minimal_env());
    assert_eq!(
        errs,
        [
            r#"access_systems.kisi-main.type: unknown access system type "kisy" (known types: kisi, brivo, openpath, door)"#
        ]
    );
    let errs = errors(
        &MINIMAL.replace("type: yardi_voyager", "type: yardi"),
        &minimal_env(),
    );
    assert_eq!(
        errs,
        [
            r#"sources.y.type: unknown source type "yardi" (known types: yardi_voyager, csv, events, officernd)"#
        ]
    );
}

#[test]
fn duplicate_names_are_rejected() {
    let twice = format!("{MINIMAL}  maple-court:\n    source: y\n    access_system: kisi-main\n");
    let errs = errors(&twice, &minimal_env());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("properties.maple-court: appears more than once"),
        "{errs:?}"
    );

    let same_target = format!("{MINIMAL}  annex:\n    source: y\n    source_property_id: maple-court\n    access_system: kisi-main\n");
    let errs = errors(&same_target, &minimal_env());
    assert!(
        errs[0].starts_with("properties.maple-court.sources.y: properties.annex already reads"),
        "{errs:?}"
    );

    let bad_name = MINIMAL.replace("  maple-court:", "  \"maple court\":");
    assert!(errors(&bad_name, &minimal_env())[0]
        .starts_with("properties.maple court: \"maple court\" is not a valid name"));
}

#[test]
fn non_loopback_listen_needs_tokens() {
    let errs = errors(&format!("{MINIMAL}listen: 0.0.0.0:9797\n"), &minimal_env());
    assert_eq!(
        errs,
        ["listen: 0.0.0.0:9797 is not a loopback address; configure api.tokens first"]
    );
    let token = format!(
        "    - {{name: a, role: admin, sha256: {}}}\n",
        "ab".repeat(32)
    );
    let with_token = format!("{MINIMAL}listen: 0.0.0.0:9797\napi:\n  tokens:\n{token}");
    assert_eq!(
        valid(&with_token, &minimal_env()).listen.to_string(),
        "0.0.0.0:9797"
    );
    assert!(errors(&format!("{MINIMAL}listen: \"[::1]:80\"\n"), &minimal_env()).is_empty());
    assert!(
        errors(&format!("{MINIMAL}listen: localhost:80\n"), &minimal_env())[0]
            .starts_with("listen: \"localhost:80\" is not an IP address and port")
    );
}

#[test]
fn tokens_are_checked() {
    let yaml = format!(
        "{MINIMAL}api:\n  tokens:\n    - {{name: a, role: boss, sha256: plaintext-token}}\n    - {{name: a, role: viewer, sha256: {h}}}\n    - {{name: b, role: viewer, sha256: {h}}}\n    - {{role: viewer, sha256: {}}}\n",
        "cd".repeat(32),
        h = "AB".repeat(32),
    );
    assert_eq!(
        errors(&yaml, &minimal_env()),
        [
            "api.tokens[0].role: unknown role \"boss\" (expected viewer, approver or admin)",
            "api.tokens[0].sha256: must be 64 hex characters: the SHA-256 of the token, not the token",
            "api.tokens[1].name: duplicate token name \"a\" (also api.tokens[0])",
            "api.tokens[2].sha256: the same token hash as api.tokens[1]",
            "api.tokens[3].name: is required",
        ]
    );
}

#[test]
fn max_revocations_count_and_percent() {
    let limit = |extra: &str| {
        valid(&with_property_keys(extra), &minimal_env()).properties["maple-court"].max_revocations
    };
    assert_eq!(limit("    max_revocations: 3\n"), RevocationLimit::Count(3));
    assert_eq!(
        limit("    max_revocations: \"0\"\n"),
        RevocationLimit::Count(0)
    );
    assert_eq!(
        limit("    max_revocations: \"25%\"\n    max_revocations_floor: 2\n"),
        RevocationLimit::Percent {
            percent: 25.0,
            floor: 2
        }
    );
    assert_eq!(
        limit("    max_revocations: \"12.5%\"\n"),
        RevocationLimit::Percent {
            percent: 12.5,
            floor: 5
        }
    );
    // A property switching to a percentage keeps the floor set in defaults.
    let yaml = with_property_keys("    max_revocations: \"20%\"\n")
        + "defaults: {max_revocations: 7, max_revocations_floor: 2}\n";
    assert_eq!(
        valid(&yaml, &minimal_env()).properties["maple-court"].max_revocations,
        RevocationLimit::Percent {
            percent: 20.0,
            floor: 2
        }
    );
    for bad in ["\"250%\"", "\"0%\"", "\"-5%\"", "-1", "1.5", "lots", "[1]"] {
        let errs = errors(
            &with_property_keys(&format!("    max_revocations: {bad}\n")),
            &minimal_env(),
        );
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
        assert!(
            errs[0].starts_with("properties.maple-court.max_revocations: "),
            "{bad}: {errs:?}"
        );
    }
    let errs = errors(
        &with_property_keys("    max_revocations_floor: -1\n"),
        &minimal_env(),
    );
    assert_eq!(
        errs,
        ["properties.maple-court.max_revocations_floor: -1 must not be negative"]
    );
}

#[test]
fn ranges_durations_urls_and_patterns_are_checked() {
    let yaml = format!(
        "{}concurrency: 65\nshutdown_grace: 0s\nlog: {{format: xml, level: \"lockstep=loud\"}}\n",
        with_property_keys(
            "    activation_delay: 0s\n    mode: manual\n    units: {pattern: \"{unit}-{unit}\"}\n"
        )
        .replace("    units: {pattern: \"Unit {unit}\"}\n", "")
        .replace("url: http://127.0.0.1:1/kisi/", "url: ftp://kisi")
    );
    let errs = errors(&yaml, &minimal_env());
    for want in [
        "concurrency: 65 is out of range (1 to 64)",
        "shutdown_grace: must be greater than zero",
        "log.format: unknown format \"xml\"",
        "log.level: \"lockstep=loud\" is not a log filter",
        "access_systems.kisi-main.url: \"ftp://kisi\" must start with http:// or https://",
        "properties.maple-court.mode: unknown mode \"manual\"",
        "properties.maple-court.units.pattern: \"{unit}-{unit}\" must contain {unit} exactly once",
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(want)),
            "missing {want:?} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), 7, "activation_delay 0s is allowed: {errs:#?}");
}
