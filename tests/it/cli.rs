//! The command line: exit codes and messages.

use std::process::Command;

fn lockstep(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run lockstep")
}

#[test]
fn check_config_exits_64_with_every_error_and_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "portfolio: x\nsources: {}\naccess_systems: {}\nproperties:\n  maple-court:\n    source: nope\n    access_system: kisii\n",
    )
    .expect("write");
    let out = lockstep(&["check-config", "--config", path.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("properties.maple-court.access_system: no access system named \"kisii\""),
        "{err}"
    );
    assert!(err.contains("properties.maple-court.source"), "{err}");
}

#[test]
fn example_config_is_valid() {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "check-config",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml"),
        ])
        .env("YARDI_PASSWORD", "x")
        .env("YARDI_INTERFACE_LICENSE", "x")
        .env("KISI_API_KEY", "x")
        .env("BRIVO_API_KEY", "x")
        .env("BRIVO_CLIENT_SECRET", "x")
        .env("BRIVO_PASSWORD", "x")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_64_and_help_exits_0() {
    assert_eq!(lockstep(&["no-such-command"]).status.code(), Some(64));
    assert_eq!(lockstep(&["--help"]).status.code(), Some(0));
    assert_eq!(lockstep(&["audit", "verify"]).status.code(), Some(64));
}
