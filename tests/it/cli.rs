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
    // The example reads the audit key as the systemd credential `audit-key`.
    let credentials = tempfile::tempdir().expect("tempdir");
    std::fs::write(credentials.path().join("audit-key"), "ab".repeat(32)).expect("key");
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
        .env("OPENPATH_PASSWORD", "x")
        .env("DOOR_CLIENT_SECRET", "x")
        .env("FRONTDESK_PA_SECRET", "x".repeat(32))
        .env("FRONTDESK_SCRIPT_SECRET", "y".repeat(32))
        .env("CREDENTIALS_DIRECTORY", credentials.path())
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

#[test]
fn sim_prints_a_config_that_validates() {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--properties",
            "3",
            "--residents-per-property",
            "10",
            "--print-config",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines: Vec<String> = Vec::new();
    for line in BufReader::new(stdout).lines().take(500) {
        let line = line.expect("line");
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut banners = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut banners);
    assert!(
        banners.lines().any(|l| l.starts_with("kisi ")),
        "one line per simulator on stderr: {banners}"
    );
    // stdout is exactly the config, from its first line.
    assert!(lines[0].starts_with("# lockstep config"), "{lines:?}");
    let yaml = lines.join("\n");
    let config = lockstep::config::Config::from_yaml_str(&yaml, &lockstep::config::ProcessEnv)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(config.properties.len(), 3);
    assert!(config
        .properties
        .values()
        .all(|p| p.mode == lockstep::config::Mode::ApprovalRequired));
    assert_eq!(config.api.tokens.len(), 3);
    // The third building reads the PMS and a staff sheet, and is split between two systems.
    let p3 = &config.properties["p3"];
    assert_eq!(p3.sources.len(), 2, "{yaml}");
    assert_eq!(p3.access_systems.len(), 2, "{yaml}");
    assert_eq!(config.sources["staff-csv"].kind(), "csv");
    // The first reads the PMS and the front desk's signed events, and lets visitors in.
    let p1 = &config.properties["p1"];
    assert_eq!(p1.sources.len(), 2, "{yaml}");
    assert_eq!(config.sources["frontdesk"].kind(), "events");
    assert_eq!(p1.visitors.groups.len(), 1, "{yaml}");
}

/// `lockstep plan` while the daemon runs: without a token it says which process holds the store,
/// in plain words; with one it plans through the daemon's API, changing nothing. And clients
/// whose reader went away exit quietly with 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_works_while_the_daemon_holds_the_store() {
    use crate::harness::*;
    let s = setup(20, 31, "0s", |y| y).await;
    let approver = s
        .yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("# approver token: "))
        .expect("approver token")
        .to_string();
    let daemon = s.start().await;
    let plan = |token: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
        cmd.args(["plan", "--config"])
            .arg(&s.path)
            .args(["--property", "p2"])
            .env_remove("LOCKSTEP_SERVER")
            .env_remove("LOCKSTEP_TOKEN");
        if let Some(t) = token {
            cmd.env("LOCKSTEP_TOKEN", t);
        }
        cmd.output().expect("run lockstep plan")
    };
    let out = plan(None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let pid = daemon.child.id().to_string();
    assert!(
        err.contains(&format!("in use by process {pid} (")) && err.contains("run --config"),
        "the holder is named: {err}"
    );
    assert!(err.contains("LOCKSTEP_TOKEN"), "{err}");

    let before = daemon.get("/api/v1/suggestions?property=p2").await.1;
    let out = plan(Some(&approver));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("p2: ") && text.contains("would run") && text.contains("add_to_group"),
        "{text}"
    );
    let after = daemon.get("/api/v1/suggestions?property=p2").await.1;
    assert_eq!(before, after, "a plan changes nothing");

    // Overrides and lost credentials refuse people the source does not list, and no-op overrides.
    let (status, body) = daemon
        .post(
            "/api/v1/overrides",
            serde_json::json!({"property": "p2", "person": "p2-99999", "force_status": "past"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("\"p2-99999\""),
        "{body}"
    );
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            serde_json::json!({"property": "p2", "person": "p2-99999"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = daemon
        .post(
            "/api/v1/overrides",
            serde_json::json!({"property": "p2", "person": "p2-00001"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("nothing to change"),
        "{body}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "override",
            "set",
            "--property",
            "p2",
            "--person",
            "p2-99999",
            "--status",
            "past",
        ])
        .env("LOCKSTEP_SERVER", &daemon.url)
        .env("LOCKSTEP_TOKEN", &approver)
        .output()
        .expect("run lockstep");
    assert_eq!(
        out.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = daemon.log();
    assert!(
        log.contains("override") && log.contains("actor=sim-approver") && log.contains("p2-99999"),
        "every API action logs its actor and target"
    );

    // A reader that goes away (`| head`) ends a command quietly with 0, never a panic.
    for args in [
        &["suggestions", "list", "--property", "p2"][..],
        &["audit", "export", "--via-api", "--format", "csv"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(args)
            .env("LOCKSTEP_SERVER", &daemon.url)
            .env("LOCKSTEP_TOKEN", &approver)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run lockstep");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} said something: {err}");
    }
    assert!(daemon.stop().success());
}
