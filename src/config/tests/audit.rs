//! The `audit` section: a key from outside the config, a checkpoint directory outside data_dir.

use super::*;

const KEY_FILE: &str = "/run/credentials/lockstep.service/audit-key";

fn with_audit(section: &str) -> String {
    format!("portfolio: acme\ndata_dir: /var/lib/lockstep\naudit:\n{section}")
}

fn key_env(content: &str) -> FakeEnv {
    let mut env = FakeEnv::default();
    env.files.insert(KEY_FILE.into(), content.into());
    env
}

#[test]
fn the_example_anchors_the_log_with_a_credential_file() {
    let config = valid(EXAMPLE, &example_env());
    let anchor = config.audit.expect("anchored");
    assert_eq!(anchor.key.origin, format!("file {KEY_FILE}"));
    let mut outside_systemd = example_env();
    outside_systemd.vars.remove("CREDENTIALS_DIRECTORY");
    let errs = errors(EXAMPLE, &outside_systemd);
    assert_eq!(
        errs,
        ["audit.key: $CREDENTIALS_DIRECTORY/audit-key: $CREDENTIALS_DIRECTORY is not set (it is \
          under systemd with LoadCredential=audit-key:…; elsewhere give the key file's own path)"]
    );
    assert_eq!(
        anchor.checkpoint_file(),
        std::path::Path::new("/var/lib/lockstep-checkpoints/checkpoints.jsonl")
    );
    assert_eq!(anchor.checkpoint_interval, Duration::from_secs(300));
    assert!(anchor.signing_key().is_ok());
    let debug = format!("{:?}", valid(EXAMPLE, &example_env()));
    assert!(!debug.contains(&"5eed".repeat(16)), "key leaked in Debug");
}

#[test]
fn without_a_key_the_log_is_not_anchored() {
    assert_eq!(valid("portfolio: acme\n", &FakeEnv::default()).audit, None);
    let errs = errors(
        &with_audit("  checkpoint_dir: /var/lib/cp\n"),
        &FakeEnv::default(),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("audit.key: is required when audit.checkpoint_dir"),
        "{errs:?}"
    );
}

#[test]
fn key_problems_name_the_file_never_the_value() {
    let section = format!("  key: {{file: {KEY_FILE}}}\n  checkpoint_dir: /var/lib/cp\n");
    let errs = errors(&with_audit(&section), &FakeEnv::default());
    assert_eq!(
        errs,
        [format!(
            "audit.key: cannot read secret file {KEY_FILE}: no such file"
        )]
    );
    let not_hex = "this-is-the-secret-but-not-hex-00000000000000000000000000000000000";
    let errs = errors(&with_audit(&section), &key_env(not_hex));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(&format!(
            "audit.key: the key from file {KEY_FILE} must be 64 hex characters"
        )),
        "{errs:?}"
    );
    assert!(!errs[0].contains("this-is-the-secret"), "{errs:?}");
    let plain = with_audit(&format!(
        "  key: \"{}\"\n  checkpoint_dir: /var/lib/cp\n",
        "ab".repeat(32)
    ));
    let errs = errors(&plain, &FakeEnv::default());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("audit.key: must be {file: PATH} or {env: NAME}"));
    assert!(!errs[0].contains(&"ab".repeat(32)), "{errs:?}");
}

#[test]
fn checkpoints_must_live_outside_data_dir_and_the_interval_be_a_duration() {
    let key = format!("{}\n", "ab".repeat(32));
    let errs = errors(
        &with_audit(&format!(
            "  key: {{file: {KEY_FILE}}}\n  checkpoint_dir: /var/lib/lockstep/cp\n  checkpoint_interval: soon\n"
        )),
        &key_env(&key),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with("audit.checkpoint_interval: \"soon\" is not a duration"));
    assert!(
        errs[1].starts_with(
            "audit.checkpoint_dir: /var/lib/lockstep/cp is inside data_dir (/var/lib/lockstep)"
        ),
        "{errs:?}"
    );
    let errs = errors(
        &with_audit(&format!("  key: {{file: {KEY_FILE}}}\n")),
        &key_env(&key),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("audit.checkpoint_dir: is required with audit.key"));
    let ok = valid(
        &with_audit(&format!(
            "  key: {{file: {KEY_FILE}}}\n  checkpoint_dir: /var/lib/lockstep-checkpoints\n  checkpoint_interval: 30s\n"
        )),
        &key_env(&key),
    );
    assert_eq!(
        ok.audit.expect("anchor").checkpoint_interval,
        Duration::from_secs(30)
    );
}
