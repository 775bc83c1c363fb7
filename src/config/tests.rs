//! Config tests with a fake environment.

use super::*;
use std::collections::HashMap;

#[derive(Default)]
struct FakeEnv {
    vars: HashMap<String, String>,
    files: HashMap<String, String>,
}

impl Env for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn read_file(&self, path: &std::path::Path) -> std::io::Result<String> {
        self.files
            .get(&path.display().to_string())
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

fn example_env() -> FakeEnv {
    let mut env = FakeEnv::default();
    for v in [
        "YARDI_PASSWORD",
        "YARDI_INTERFACE_LICENSE",
        "KISI_API_KEY",
        "BRIVO_API_KEY",
        "BRIVO_CLIENT_SECRET",
        "BRIVO_PASSWORD",
    ] {
        env.vars.insert(v.into(), format!("s3cret-{v}"));
    }
    env
}

fn errors(yaml: &str, env: &FakeEnv) -> Vec<String> {
    match Config::from_yaml_str(yaml, env) {
        Ok(_) => vec![],
        Err(e) => {
            e.0.iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect()
        }
    }
}

const MINIMAL: &str = "portfolio: acme\nsources:\n  y:\n    type: yardi_voyager\n    url: http://127.0.0.1:1/yardi_voyager\n    username: u\n    password: p\n    server_name: s\n    database: d\n    interface_entity: e\n    interface_license: {env: LICENSE}\naccess_systems:\n  kisi-main:\n    type: kisi\n    url: http://127.0.0.1:1/kisi\n    api_key: {file: /run/key}\nproperties:\n  maple-court:\n    source: y\n    access_system: kisi-main\n    common_groups: [Entrances]\n    units: {pattern: \"Unit {unit}\"}\n";

fn minimal_env() -> FakeEnv {
    let mut env = FakeEnv::default();
    env.vars.insert("LICENSE".into(), "lic".into());
    env.files
        .insert("/run/key".into(), "key-from-file\n".into());
    env
}

#[test]
fn example_config_parses_with_every_option() {
    let config = Config::from_yaml_str(include_str!("../../config.example.yaml"), &example_env())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.properties.len(), 3);
    assert_eq!(config.properties["maple-court"].mode, Mode::Automatic);
    assert_eq!(
        config.properties["harbor-view"].revocations,
        RevocationMode::AlwaysAutomatic
    );
    assert_eq!(
        config.properties["cedar-point"].max_revocations,
        RevocationLimit::Count(25)
    );
    assert_eq!(config.api.tokens.len(), 3);
}

#[test]
fn defaults_apply() {
    let config = Config::from_yaml_str(MINIMAL, &minimal_env()).unwrap_or_else(|e| panic!("{e}"));
    let p = &config.properties["maple-court"];
    assert_eq!(p.mode, Mode::ApprovalRequired);
    assert_eq!(p.activation_delay, Duration::from_secs(900));
    assert_eq!(
        p.max_revocations,
        RevocationLimit::Percent {
            percent: 10.0,
            floor: 5
        }
    );
    assert_eq!(p.name, "maple-court");
    assert_eq!(config.listen.to_string(), "127.0.0.1:9797");
    match &config.access_systems["kisi-main"] {
        AccessSystemConfig::Kisi(k) => assert_eq!(k.api_key.value, "key-from-file"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_reference_names_the_path() {
    let yaml = MINIMAL.replace("access_system: kisi-main", "access_system: kisii");
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(errs, vec!["properties.maple-court.access_system: no access system named \"kisii\" (did you mean \"kisi-main\"?)".to_string()]);
}

#[test]
fn every_error_is_reported_at_once() {
    let yaml = MINIMAL
        .replace("access_system: kisi-main", "access_system: nope")
        .replace("source: y", "source: nothing")
        .replace("pattern: \"Unit {unit}\"", "pattern: \"Unit\"")
        + "interval: soon\n";
    let errs = errors(&yaml, &FakeEnv::default());
    for want in [
        "properties.maple-court.access_system",
        "properties.maple-court.source",
        "properties.maple-court.units.pattern",
        "interval",
        "sources.y.interface_license: environment variable LICENSE",
        "access_systems.kisi-main.api_key: cannot read secret file /run/key",
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(want)),
            "missing {want:?} in {errs:#?}"
        );
    }
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    let yaml = MINIMAL.replace("    common_groups:", "    comon_groups:");
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("comon_groups") && errs[0].contains("properties"),
        "{errs:?}"
    );
    let errs = errors(
        &MINIMAL.replace(
            "    api_key: {file: /run/key}",
            "    api_key: {file: /run/key}\n    auth_url: http://x",
        ),
        &minimal_env(),
    );
    assert_eq!(
        errs,
        vec!["access_systems.kisi-main.auth_url: is not an option of type kisi".to_string()]
    );
    let errs = errors(&MINIMAL.replace("type: kisi", "type: kisy"), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.contains("unknown access system type \"kisy\"")),
        "{errs:?}"
    );
}

#[test]
fn non_loopback_listen_needs_tokens() {
    let errs = errors(&format!("{MINIMAL}listen: 0.0.0.0:9797\n"), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("listen: 0.0.0.0:9797 is not a loopback address")),
        "{errs:?}"
    );
    let with_token = format!("{MINIMAL}listen: 0.0.0.0:9797\napi:\n  tokens:\n    - {{name: a, role: admin, sha256: {}}}\n", "ab".repeat(32));
    assert!(errors(&with_token, &minimal_env()).is_empty());
    let bad_hash = format!(
        "{MINIMAL}api:\n  tokens:\n    - {{name: a, role: boss, sha256: plaintext-token}}\n"
    );
    let errs = errors(&bad_hash, &minimal_env());
    assert!(
        errs.iter().any(|e| e.starts_with("api.tokens[0].role"))
            && errs.iter().any(|e| e.starts_with("api.tokens[0].sha256")),
        "{errs:?}"
    );
}

#[test]
fn max_revocations_forms() {
    let count = MINIMAL.replace(
        "    common_groups:",
        "    max_revocations: 3\n    common_groups:",
    );
    assert_eq!(
        Config::from_yaml_str(&count, &minimal_env())
            .expect("count")
            .properties["maple-court"]
            .max_revocations,
        RevocationLimit::Count(3)
    );
    let pct = MINIMAL.replace(
        "    common_groups:",
        "    max_revocations: \"25%\"\n    max_revocations_floor: 2\n    common_groups:",
    );
    assert_eq!(
        Config::from_yaml_str(&pct, &minimal_env())
            .expect("pct")
            .properties["maple-court"]
            .max_revocations,
        RevocationLimit::Percent {
            percent: 25.0,
            floor: 2
        }
    );
    let bad = MINIMAL.replace(
        "    common_groups:",
        "    max_revocations: \"250%\"\n    common_groups:",
    );
    assert!(errors(&bad, &minimal_env())[0].starts_with("properties.maple-court.max_revocations"));
}

#[test]
fn secrets_never_show_in_debug_or_serialisation() {
    let config = Config::from_yaml_str(include_str!("../../config.example.yaml"), &example_env())
        .expect("config");
    let debug = format!("{config:?}");
    let json = serde_json::to_string(&config).expect("json");
    for secret in example_env().vars.values() {
        assert!(
            !debug.contains(secret.as_str()) && !json.contains(secret.as_str()),
            "{secret} leaked"
        );
    }
}

#[test]
fn yaml_syntax_errors_have_a_location() {
    let errs = errors("portfolio: [unclosed\n", &FakeEnv::default());
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("line"), "{errs:?}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary text: an error list or a config, never a panic.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            if let Err(e) = Config::from_yaml_str(&text, &FakeEnv::default()) {
                prop_assert!(!e.0.is_empty());
                prop_assert!(e.0.iter().all(|err| !err.path.is_empty() && !err.message.is_empty()));
            }
        }

        /// The example with lines dropped, duplicated or cut: every error still has a path.
        #[test]
        fn damaged_example_gives_located_errors(drop in prop::collection::vec(0usize..200, 0..4), cut in 0usize..8000) {
            let example = include_str!("../../config.example.yaml");
            let lines: Vec<&str> = example.lines().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, l)| l).collect();
            let mut text = lines.join("\n");
            let mut end = cut.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            if let Err(e) = Config::from_yaml_str(&text, &example_env()) {
                prop_assert!(e.0.iter().all(|err| !err.path.is_empty() && !err.message.is_empty()), "{e}");
            }
        }
    }
}
