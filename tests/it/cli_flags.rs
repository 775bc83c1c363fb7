//! The command line through the real binary: global flags before or after the subcommand,
//! `check-config` (every error, `--skip-secrets`, a FILE argument), `config schema` and
//! `healthcheck`, with their exit codes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

fn lockstep(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    cmd.args(args)
        .env_remove("LOCKSTEP_SERVER")
        .env_remove("LOCKSTEP_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lockstep")
}

/// A one-answer-per-connection HTTP server on 127.0.0.1:0 for `requests` connections; each
/// request's first line and Authorization header go to the channel.
fn fake_daemon(
    status: &'static str,
    body: &'static str,
    requests: usize,
) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut seen = String::new();
            for _ in 0..100 {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if seen.is_empty() || lower.starts_with("authorization:") {
                    seen.push_str(line.trim_end());
                    seen.push(' ');
                }
            }
            let _ = tx.send(seen);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, rx)
}

#[test]
fn cli_global_flags_work_before_and_after_the_subcommand() {
    let (url, seen) = fake_daemon("200 OK", r#"{"portfolio":"acme"}"#, 3);
    let after = lockstep(&["status", "--server", &url, "--token", "t0ken"], &[]);
    let before = lockstep(&["--server", &url, "--token", "t0ken", "status"], &[]);
    let from_env = lockstep(
        &["status"],
        &[("LOCKSTEP_SERVER", &url), ("LOCKSTEP_TOKEN", "t0ken")],
    );
    for out in [&after, &before, &from_env] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, after.stdout);
        assert!(String::from_utf8_lossy(&out.stdout).contains("acme"));
    }
    for _ in 0..3 {
        let request = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("a request");
        assert!(request.starts_with("GET /api/v1/status"), "{request}");
        assert!(request.contains("Bearer t0ken"), "{request}");
    }

    // A flag on the command line wins over the environment, wherever it stands.
    let (url2, _seen) = fake_daemon("200 OK", r#"{"portfolio":"other"}"#, 1);
    let out = lockstep(
        &["--server", &url2, "status"],
        &[("LOCKSTEP_SERVER", &url), ("LOCKSTEP_TOKEN", "t")],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("other"));

    // --config before or after: the same verdict and exit code.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");
    let a = lockstep(
        &["--config", example, "check-config", "--skip-secrets"],
        &[],
    );
    let b = lockstep(
        &["check-config", "--skip-secrets", "--config", example],
        &[],
    );
    let c = lockstep(&["check-config", "-c", example, "--skip-secrets"], &[]);
    for out in [&a, &b, &c] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, a.stdout);
    }

    // Exit codes: 64 for bad usage, 1 for a failure, 0 for help wherever --help stands.
    assert_eq!(lockstep(&["--server"], &[]).status.code(), Some(64));
    assert_eq!(
        lockstep(&["status", "--no-such-flag"], &[]).status.code(),
        Some(64)
    );
    assert_eq!(
        lockstep(&["plan"], &[]).status.code(),
        Some(64),
        "plan without --config"
    );
    assert_eq!(
        lockstep(
            &["status", "--token", "t", "--server", "http://127.0.0.1:1"],
            &[]
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        lockstep(&["status"], &[]).status.code(),
        Some(64),
        "no token"
    );
    for args in [
        &["--help"][..],
        &["status", "--help"],
        &["--server", "x", "audit", "export", "--help"],
    ] {
        let out = lockstep(args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("--server") && help.contains("--config"),
            "{args:?}: {help}"
        );
    }
}

#[test]
fn cli_check_config_reports_every_error_in_the_users_terms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "portfolio: x\nintervall: 1m\ninterval: 2days\nconcurrency: many\nsources: {}\naccess_systems: {}\n\
         properties:\n  p1:\n    source: nope\n    max_revocations: lots\n    colour: blue\n",
    )
    .expect("write");
    let file = path.to_str().expect("utf-8");
    let out = lockstep(&["check-config", file], &[]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "intervall: unknown key",
        "interval: 2days is above the maximum of 24h",
        "concurrency: expected a whole number, found the text \"many\"",
        "properties.p1.colour: unknown key",
        "properties.p1.source: no source named \"nope\"",
        "properties.p1.max_revocations: must be a whole number of revocations or a percentage like \"10%\"",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    for word in [
        "struct ",
        "i64",
        "u64",
        "usize",
        "enum ",
        "RawConfig",
        "variant",
    ] {
        assert!(!err.contains(word), "{word:?} in:\n{err}");
    }
    assert_eq!(
        lockstep(&["check-config", file, "--config", file], &[])
            .status
            .code(),
        Some(64)
    );
    assert_eq!(lockstep(&["check-config"], &[]).status.code(), Some(64));
}

#[test]
fn cli_check_config_skip_secrets_validates_without_the_secrets() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");
    // No secret in the environment, no $CREDENTIALS_DIRECTORY.
    let resolved = lockstep(&["check-config", example], &[]);
    assert_eq!(resolved.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&resolved.stderr).contains("is not set"));
    let shape = lockstep(&["check-config", "--skip-secrets", example], &[]);
    assert_eq!(
        shape.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&shape.stderr)
    );
    assert!(String::from_utf8_lossy(&shape.stdout).contains("secrets checked for shape only"));

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(example)
        .expect("example")
        .replace("{ env: KISI_API_KEY }", "{ env: \"kisi key\" }");
    std::fs::write(&bad, text).expect("write");
    let out = lockstep(
        &[
            "check-config",
            "--skip-secrets",
            bad.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not an environment variable name"), "{err}");
    assert!(
        !err.contains("kisi key"),
        "a malformed reference may be the secret: {err}"
    );
}

#[test]
fn cli_config_schema_prints_json_schema() {
    let out = lockstep(&["config", "schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    for key in [
        "portfolio",
        "interval",
        "sources",
        "access_systems",
        "properties",
        "audit",
    ] {
        assert!(schema["properties"].get(key).is_some(), "{key}");
    }
}

#[test]
fn cli_healthcheck_exits_0_when_healthy_and_1_otherwise() {
    let (ok, seen) = fake_daemon("200 OK", "ok\n", 1);
    let out = lockstep(&["healthcheck", "--server", &ok], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let request = seen.recv_timeout(Duration::from_secs(10)).expect("request");
    assert!(request.starts_with("GET /healthz"), "{request}");
    assert!(
        !request.contains("uthorization"),
        "no token is sent: {request}"
    );

    let (sick, _seen) = fake_daemon("503 Service Unavailable", "no\n", 1);
    assert_eq!(
        lockstep(&["--server", &sick, "healthcheck"], &[])
            .status
            .code(),
        Some(1)
    );
    let closed = format!("http://127.0.0.1:{}", crate::harness::free_port());
    assert_eq!(
        lockstep(
            &["healthcheck", "--timeout", "2s"],
            &[("LOCKSTEP_SERVER", &closed)]
        )
        .status
        .code(),
        Some(1)
    );
}

#[test]
fn cli_guest_pin_prints_a_refusal_and_exits_1_and_bad_usage_exits_64() {
    let refusal = r#"{"error":"delivery PINs last at most 4h; asked for 6h"}"#;
    let (url, seen) = fake_daemon("422 Unprocessable Entity", refusal, 1);
    let create = [
        "guest-pin",
        "create",
        "--property",
        "maple",
        "--host",
        "r-101",
        "--kind",
        "delivery",
        "--guest",
        "Courier",
        "--until",
        "2030-01-01T06:00:00Z",
        "--server",
        &url,
        "--token",
        "t",
    ];
    let out = lockstep(&create, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "lockstep: delivery PINs last at most 4h; asked for 6h"
    );
    let request = seen.recv_timeout(Duration::from_secs(10)).expect("request");
    assert!(
        request.starts_with("POST /api/v1/properties/maple/people/r-101/guest-pins"),
        "{request}"
    );
    let mut bad = create;
    bad[7] = "weekly";
    assert_eq!(lockstep(&bad, &[]).status.code(), Some(64));
    let no_guest = [
        "guest-pin",
        "create",
        "--property",
        "maple",
        "--host",
        "r-101",
        "--kind",
        "delivery",
    ];
    assert_eq!(lockstep(&no_guest, &[]).status.code(), Some(64));
}
