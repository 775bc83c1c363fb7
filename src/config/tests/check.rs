//! `check-config` as an operator meets it: every error at once even past unknown keys, messages
//! in the file's own terms, bounded durations, secrets checked for shape only.

use super::*;

fn errors_with(yaml: &str, env: &FakeEnv, secrets: Secrets) -> Vec<String> {
    match Config::from_yaml_str_with(yaml, env, secrets) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn an_unknown_key_does_not_hide_the_other_errors() {
    let yaml = with_property_keys("    comon_groups: [x]\n    mode: sometimes\n")
        .replace("access_system: kisi-main", "access_system: kisii")
        .replace(
            "portfolio: acme\n",
            "portfolio: acme\ninterval: soon\nportfollio: b\n",
        );
    let errs = errors(&yaml, &minimal_env());
    let has = |prefix: &str| errs.iter().any(|e| e.starts_with(prefix));
    assert!(has("portfollio: unknown key"), "{errs:#?}");
    assert!(
        has("properties.maple-court.comon_groups: unknown key"),
        "{errs:#?}"
    );
    assert!(has("interval: \"soon\" is not a duration"), "{errs:#?}");
    assert!(
        has("properties.maple-court.mode: unknown mode"),
        "{errs:#?}"
    );
    assert!(
        has("properties.maple-court.access_system: no access system named \"kisii\""),
        "{errs:#?}"
    );
    // The later unknown key's line is found in the original text.
    let comon = errs
        .iter()
        .find(|e| e.contains("comon_groups"))
        .expect("comon");
    assert!(comon.contains("line 2"), "{comon}");

    // Two unknown keys, the second in a flow mapping: it points at its parent's line.
    let yaml = MINIMAL.replace(
        "portfolio: acme\n",
        "portfolio: acme\nportfollio: b\nlog: {format: text, colour: red}\n",
    );
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].starts_with("portfollio: unknown key (known keys: portfolio, data_dir,")
            && errs[0].ends_with(") (line 2, column 1)"),
        "{errs:#?}"
    );
    assert_eq!(
        errs[1],
        "log.colour: unknown key (known keys: format, level) (line 3)"
    );
}

#[test]
fn a_malformed_key_is_reported_and_the_rest_still_validated() {
    let yaml = MINIMAL
        .replace(
            "portfolio: acme\n",
            "portfolio: acme\nconcurrency: many\nlog: [a]\n",
        )
        .replace(
            "    common_groups: [Entrances]\n",
            "    common_groups: {a: b}\n",
        )
        .replace("source: y", "source: nope");
    let errs = errors(&yaml, &minimal_env());
    let has = |prefix: &str| errs.iter().any(|e| e.starts_with(prefix));
    assert!(
        has("concurrency: expected a whole number, found the text \"many\""),
        "{errs:#?}"
    );
    assert!(has("log: expected a section of settings"), "{errs:#?}");
    assert!(
        has("properties.maple-court.common_groups: expected a list, found a map"),
        "{errs:#?}"
    );
    assert!(
        has("properties.maple-court.source: no source named \"nope\""),
        "{errs:#?}"
    );
    // A dropped key is not also "required" or otherwise complained about.
    assert_eq!(
        errs.iter().filter(|e| e.starts_with("concurrency")).count(),
        1,
        "{errs:#?}"
    );
}

/// No message names a Rust type, a serde term or the raw config's struct.
#[test]
fn messages_speak_the_users_terms() {
    let bad_files = [
        MINIMAL.replace(
            "portfolio: acme\n",
            "portfolio: acme\nconcurrency: -3.5\ninterval: 5\n",
        ),
        MINIMAL.replace(
            "portfolio: acme\n",
            "portfolio: [acme]\nlost_credential: {immediate: maybe}\n",
        ),
        MINIMAL.replace(
            "portfolio: acme\n",
            "portfolio: acme\napi: {tokens: {a: 1}}\nsources: [a]\n",
        ),
        with_property_keys(
            "    max_revocations: [1]\n    max_revocations_floor: some\n    units: 5\n",
        ),
        with_property_keys("    max_revocations: lots\n    roles: [a]\n    sources: 3\n"),
        MINIMAL.replace(
            "    api_key: {file: /run/key}\n",
            "    api_key: {file: /run/key}\n    requests_per_second: fast\n    timeout: [1]\n",
        ),
        MINIMAL.replace(
            "type: kisi",
            "type: openpath\n    org_id: -1\n    email: [x]",
        ),
        MINIMAL.replace(
            "portfolio: acme\n",
            "portfolio: acme\naudit: 3\ndefaults: {stale_after: {a: 1}, mode: [x]}\n",
        ),
        "- a\n".to_string(),
        "portfolio: x\nproperties: {p1: {units: {groups: {F: [1, [2]]}}}}\n".to_string(),
    ];
    const FORBIDDEN: &[&str] = &[
        "struct ",
        "i64",
        "u64",
        "usize",
        "f64",
        "enum ",
        "RawConfig",
        "Raw",
        "variant",
        "sequence",
        "serde",
    ];
    for yaml in &bad_files {
        let errs = errors(yaml, &minimal_env());
        assert!(!errs.is_empty(), "{yaml}");
        for e in &errs {
            for word in FORBIDDEN {
                assert!(!e.contains(word), "{e:?} contains {word:?} (file:\n{yaml})");
            }
            assert!(!e.starts_with(": "), "{e:?} has no path");
        }
    }
    let errs = errors(
        &with_property_keys("    max_revocations: lots\n"),
        &minimal_env(),
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("properties.maple-court.max_revocations:")
                && e.contains("percentage like \"10%\"")),
        "{errs:#?}"
    );
    let errs = errors(
        &MINIMAL.replace("portfolio: acme\n", "portfolio: acme\ninterval: 5\n"),
        &minimal_env(),
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("interval: \"5\" is not a duration (e.g. 30s")),
        "{errs:#?}"
    );
}

#[test]
fn durations_are_bounded_and_the_error_names_the_bound() {
    let cases = [
        (
            "interval: 500ms\n",
            "interval: 500ms is below the minimum of 1s",
        ),
        (
            "interval: 2days\n",
            "interval: 2days is above the maximum of 24h",
        ),
        (
            "interval: 5m\nresync: 1m\n",
            "resync: 1m is shorter than interval (5m)",
        ),
        (
            "resync: 30days\n",
            "resync: 30days is above the maximum of 7d",
        ),
        (
            "shutdown_grace: 2h\n",
            "shutdown_grace: 2h is above the maximum of 1h",
        ),
        (
            "quarantine_retry: 100ms\n",
            "quarantine_retry: 100ms is below the minimum of 1s",
        ),
        (
            "defaults: {activation_delay: 31days}\n",
            "defaults.activation_delay: 31days is above the maximum of 30d",
        ),
        (
            "defaults: {stale_after: 10s}\n",
            "defaults.stale_after: 10s is below the minimum of 1m",
        ),
    ];
    for (extra, expected) in cases {
        let yaml = MINIMAL.replace("portfolio: acme\n", &format!("portfolio: acme\n{extra}"));
        let errs = errors(&yaml, &minimal_env());
        assert!(
            errs.iter().any(|e| e.starts_with(expected)),
            "{extra}: {errs:#?}"
        );
    }
    let timeout = MINIMAL.replace(
        "api_key: {file: /run/key}",
        "api_key: {file: /run/key}\n    timeout: 11m",
    );
    let errs = errors(&timeout, &minimal_env());
    assert_eq!(
        errs,
        ["access_systems.kisi-main.timeout: 11m is above the maximum of 10m"]
    );
    let delay = with_property_keys("    activation_delay: 40days\n");
    let errs = errors(&delay, &minimal_env());
    assert_eq!(
        errs,
        ["properties.maple-court.activation_delay: 40days is above the maximum of 30d"]
    );
    // A long interval lifts the default resync with it rather than failing.
    let slow = MINIMAL.replace("portfolio: acme\n", "portfolio: acme\ninterval: 1h\n");
    assert_eq!(
        valid(&slow, &minimal_env()).resync,
        Duration::from_secs(3600)
    );
    let zero = MINIMAL.replace("portfolio: acme\n", "portfolio: acme\nresync: 0s\n");
    assert_eq!(valid(&zero, &minimal_env()).resync, Duration::ZERO);
}

#[test]
fn skip_secrets_checks_their_shape_without_reading_them() {
    let absent = FakeEnv::default();
    let resolved = errors_with(EXAMPLE, &absent, Secrets::Resolve);
    assert!(
        resolved.iter().any(|e| e.contains("is not set")),
        "{resolved:#?}"
    );
    let shape = errors_with(EXAMPLE, &absent, Secrets::ShapeOnly);
    assert!(shape.is_empty(), "{shape:#?}");
    let config = Config::from_yaml_str_with(EXAMPLE, &absent, Secrets::ShapeOnly).expect("valid");
    assert!(format!("{config:?}").contains("not read: --skip-secrets"));

    // Shapes are still checked: a variable name, a file path, a token hash, no key in clear.
    let bad = MINIMAL
        .replace("{env: LICENSE}", "{env: \"9 lives\"}")
        .replace("{file: /run/key}", "{file: \"\"}")
        .replace(
            "portfolio: acme\n",
            "portfolio: acme\napi: {tokens: [{name: a, role: admin, sha256: not-a-hash}]}\n\
             audit: {key: inline, checkpoint_dir: /var/lib/cp}\n",
        );
    let errs = errors_with(&bad, &absent, Secrets::ShapeOnly);
    let has = |prefix: &str| errs.iter().any(|e| e.starts_with(prefix));
    assert!(
        has("sources.y.interface_license: env: is not an environment variable name"),
        "{errs:#?}"
    );
    assert!(
        has("access_systems.kisi-main.api_key: file: must name a file"),
        "{errs:#?}"
    );
    assert!(
        has("api.tokens[0].sha256: must be 64 hex characters"),
        "{errs:#?}"
    );
    assert!(
        has("audit.key: must be {file: PATH} or {env: NAME}"),
        "{errs:#?}"
    );
}
