//! Config tests with a fake environment: parsing, defaults, and every error with its path.

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

const EXAMPLE: &str = include_str!("../../config.example.yaml");

/// The example with the commented block that starts at `start` uncommented.
fn uncomment_block(yaml: &str, start: &str) -> String {
    let at = yaml.find(start).expect("the commented block");
    let (head, tail) = yaml.split_at(at);
    let mut out = head.to_string();
    let mut lines = tail.lines();
    for line in lines.by_ref() {
        match line.strip_prefix("  # ") {
            Some(rest) if line.starts_with("  # ") => {
                out.push_str("  ");
                out.push_str(rest);
                out.push('\n');
            }
            _ => {
                out.push_str(line);
                out.push('\n');
                break;
            }
        }
    }
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
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
        "OPENPATH_PASSWORD",
        "DOOR_CLIENT_SECRET",
        "FRONTDESK_PA_SECRET",
        "FRONTDESK_SCRIPT_SECRET",
    ] {
        env.vars.insert(v.into(), format!("s3cret-{v}"));
    }
    env.vars.insert(
        "CREDENTIALS_DIRECTORY".into(),
        "/run/credentials/lockstep.service/".into(),
    );
    env.files.insert(
        "/run/credentials/lockstep.service/audit-key".into(),
        format!("{}\n", "5eed".repeat(16)),
    );
    env
}

/// Every error as `path: message`; empty when the config is valid.
fn errors(yaml: &str, env: &FakeEnv) -> Vec<String> {
    match Config::from_yaml_str(yaml, env) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn valid(yaml: &str, env: &FakeEnv) -> Config {
    Config::from_yaml_str(yaml, env).unwrap_or_else(|e| panic!("{e}"))
}

const MINIMAL: &str = "\
portfolio: acme
sources:
  y:
    type: yardi_voyager
    url: http://127.0.0.1:1/yardi_voyager
    username: u
    password: p
    server_name: s
    database: d
    interface_entity: e
    interface_license: {env: LICENSE}
access_systems:
  kisi-main:
    type: kisi
    url: http://127.0.0.1:1/kisi/
    api_key: {file: /run/key}
properties:
  maple-court:
    source: y
    access_system: kisi-main
    common_groups: [Entrances]
    units: {pattern: \"Unit {unit}\"}
";

fn minimal_env() -> FakeEnv {
    let mut env = FakeEnv::default();
    env.vars.insert("LICENSE".into(), "lic".into());
    env.files
        .insert("/run/key".into(), "key-from-file\n".into());
    env
}

/// MINIMAL with `extra` inserted as keys of the maple-court property.
fn with_property_keys(extra: &str) -> String {
    MINIMAL.replace("    common_groups:", &format!("{extra}    common_groups:"))
}

#[test]
fn example_config_parses_with_every_option() {
    let config = valid(EXAMPLE, &example_env());
    assert_eq!(config.portfolio, "acme-residential");
    assert_eq!(config.properties.len(), 4);
    assert_eq!(config.properties["maple-court"].mode, Mode::Automatic);
    assert_eq!(config.resync, Duration::from_secs(15 * 60));
    let birch = &config.properties["birch-hall"];
    assert_eq!(birch.sources.len(), 2);
    assert_eq!(birch.system_of("Birch Unit 4B"), Some("kisi-main"));
    assert_eq!(birch.system_of("Birch Staff Entrance"), Some("brivo-main"));
    let harbor = &config.properties["harbor-view"];
    assert_eq!(harbor.mode, Mode::ApprovalRequired);
    assert_eq!(harbor.revocations, RevocationMode::AlwaysAutomatic);
    assert_eq!(harbor.activation_delay, Duration::from_secs(30 * 60));
    let cedar = &config.properties["cedar-point"];
    assert_eq!(cedar.max_revocations, RevocationLimit::Count(25));
    assert_eq!(
        (cedar.name.as_str(), cedar.sources["yardi-main"].as_str()),
        ("cedar-point", "cedar-point")
    );
    assert_eq!(config.api.tokens.len(), 3);
    assert_eq!(config.api.tokens[2].role, Role::Admin);
    assert_eq!(
        config.sources["yardi-main"].common().stale_after,
        Duration::from_secs(7200)
    );
    assert_eq!(
        config.access_systems["kisi-main"].common().stale_after,
        Duration::from_secs(3600)
    );
    assert_eq!(config.access_systems["brivo-main"].kind(), "brivo");
    assert_eq!(config.access_systems["openpath-main"].kind(), "openpath");
    assert_eq!(config.access_systems["door-main"].kind(), "door");
    match &config.sources["yardi-main"] {
        SourceConfig::YardiVoyager(y) => {
            assert_eq!(y.password.value, "s3cret-YARDI_PASSWORD");
            assert_eq!(y.platform, "SQL Server");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_apply() {
    let config = valid(MINIMAL, &minimal_env());
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/lockstep"));
    assert_eq!(config.listen.to_string(), "127.0.0.1:9797");
    assert_eq!(config.interval, Duration::from_secs(60));
    assert_eq!(config.concurrency, 4);
    assert_eq!(config.shutdown_grace, Duration::from_secs(30));
    assert_eq!(
        config.log,
        LogConfig {
            format: LogFormat::Text,
            level: "info".into()
        }
    );
    assert!(config.lost_credential.immediate);
    assert!(config.api.tokens.is_empty());
    let p = &config.properties["maple-court"];
    assert_eq!(
        (
            p.name.as_str(),
            p.sources.values().next().map(String::as_str)
        ),
        ("maple-court", Some("maple-court"))
    );
    assert_eq!(p.mode, Mode::ApprovalRequired);
    assert_eq!(p.revocations, RevocationMode::WithMode);
    assert_eq!(p.activation_delay, Duration::from_secs(900));
    assert_eq!(
        p.max_revocations,
        RevocationLimit::Percent {
            percent: 10.0,
            floor: 5
        }
    );
    let kisi = &config.access_systems["kisi-main"];
    assert_eq!(
        kisi.common().url,
        "http://127.0.0.1:1/kisi",
        "trailing slash dropped"
    );
    assert_eq!(kisi.common().timeout, Duration::from_secs(30));
    assert_eq!(kisi.common().stale_after, Duration::from_secs(3600));
    match kisi {
        AccessSystemConfig::Kisi(k) => assert_eq!(k.api_key.value, "key-from-file"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_portfolio_is_valid() {
    let config = valid("portfolio: empty\n", &FakeEnv::default());
    assert!(config.properties.is_empty() && config.sources.is_empty());
}

#[test]
fn secret_files_lose_one_trailing_newline() {
    let mut env = minimal_env();
    env.files.insert("/run/key".into(), "k\r\n".into());
    let config = valid(MINIMAL, &env);
    assert_eq!(
        format!("{:?}", config.access_systems["kisi-main"])
            .matches("Secret(file /run/key)")
            .count(),
        1
    );
    match &config.access_systems["kisi-main"] {
        AccessSystemConfig::Kisi(k) => assert_eq!(k.api_key.value, "k"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn secrets_never_show_in_debug_or_serialisation() {
    let config = valid(EXAMPLE, &example_env());
    let debug = format!("{config:?}");
    let json = serde_json::to_string(&config).expect("json");
    assert!(debug.contains("Secret(env BRIVO_PASSWORD)"), "{debug}");
    let env = example_env();
    // CREDENTIALS_DIRECTORY names a directory, not a secret; the audit key file's content is one.
    let secrets = env
        .vars
        .iter()
        .filter(|(name, _)| *name != "CREDENTIALS_DIRECTORY")
        .map(|(_, v)| v.trim())
        .chain(env.files.values().map(|v| v.trim()));
    for secret in secrets {
        assert!(!debug.contains(secret), "{secret} leaked in Debug");
        assert!(!json.contains(secret), "{secret} leaked in JSON");
    }
    let plain = valid(MINIMAL, &minimal_env());
    assert!(!format!("{plain:?}").contains("key-from-file"));
}

#[test]
fn yaml_errors_have_a_path_and_location() {
    let errs = errors("portfolio: a\n  b: c\n", &FakeEnv::default());
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("(document): mapping values are not allowed"),
        "{errs:?}"
    );
    assert!(errs[0].contains("line 2"), "{errs:?}");
    let errs = errors(
        &with_property_keys("    units: {groups: {\"Floor 1\": x}}\n"),
        &minimal_env(),
    );
    assert!(errs[0].starts_with("properties.maple-court.units.groups.Floor 1: expected a list, found the text \"x\" (line"), "{errs:?}");
    let errs = errors(
        &MINIMAL.replace("password: p", "password: 1234"),
        &minimal_env(),
    );
    assert!(errs[0].starts_with("sources.y.password: a secret is a quoted string, {env: NAME} or {file: PATH}; found a number"), "{errs:?}");
    assert!(!errs[0].contains("1234"), "{errs:?}");
    let errs = errors("- a\n", &FakeEnv::default());
    assert!(
        errs[0].starts_with(
            "(document): expected a section of settings (key: value lines), found a list"
        ),
        "{errs:?}"
    );
}

#[test]
fn load_reads_through_env_and_names_an_unreadable_file() {
    let mut env = minimal_env();
    env.files
        .insert("/etc/lockstep.yaml".into(), MINIMAL.into());
    assert!(Config::load(std::path::Path::new("/etc/lockstep.yaml"), &env).is_ok());
    let err = Config::load(std::path::Path::new("/nope.yaml"), &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/nope.yaml: cannot read the config file: no such file"
    );
}

mod audit;
mod check;
mod csv;
mod door;
mod errors;
mod events;
mod fuzz;
mod guests;
mod notifications;
mod notify;
mod officernd;
mod openpath;
mod pins;
mod routing;
mod schema;
mod secrets;
