//! The systemd handshake over a real `NOTIFY_SOCKET`: the daemon is started the way systemd
//! starts a `Type=notify` unit with `WatchdogSec=`, and every message it sends is checked.

use crate::harness::*;
use std::time::Duration;
use tokio::net::UnixDatagram;

const LONG: Duration = Duration::from_secs(90);

/// Receives datagrams until one satisfies `wanted` and returns it, skipping others (watchdog
/// pings in between). Fails after `LONG`, naming what it waited for and what it saw.
async fn expect(socket: &UnixDatagram, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + LONG;
    let mut buf = vec![0u8; 8192];
    loop {
        let n = tokio::time::timeout_at(deadline, socket.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {seen:?}"))
            .expect("recv");
        let msg = String::from_utf8_lossy(&buf[..n]).to_string();
        if wanted(&msg) {
            return msg;
        }
        seen.push(msg);
    }
}

fn status_of(msg: &str) -> &str {
    msg.lines()
        .find_map(|l| l.strip_prefix("STATUS="))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_socket_hears_ready_watchdog_reload_and_stopping() {
    let s = setup(6, 91, "0s", |y| y).await;
    let socket_path = s.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    let daemon = Daemon::start_with_env(
        &s.path,
        s.port,
        &s.token,
        &[
            ("NOTIFY_SOCKET", socket_path.display().to_string()),
            // A ping every second.
            ("WATCHDOG_USEC", "2000000".to_string()),
        ],
    );

    // READY=1 comes only once the first full cycle is done: /readyz agrees at that moment.
    let ready = expect(&socket, "READY=1", |m| m.starts_with("READY=1")).await;
    assert!(
        status_of(&ready).contains("first full cycle of 2 properties"),
        "{ready}"
    );
    let (status, v) = daemon.get("/api/v1/status").await;
    assert_eq!(
        (status, &v["ready"]),
        (200, &serde_json::json!(true)),
        "{v}"
    );

    // The event loop pings the watchdog while it turns.
    for _ in 0..2 {
        expect(&socket, "WATCHDOG=1", |m| m == "WATCHDOG=1").await;
    }

    // A bad file on SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 saying it was
    // rejected, why and where, and that the old one keeps running.
    std::fs::write(&s.path, s.yaml.replace("portfolio:", "portfolioo:")).expect("write");
    daemon.signal("HUP");
    let reloading = expect(&socket, "RELOADING=1", |m| m.starts_with("RELOADING=1")).await;
    let usec = reloading
        .lines()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {reloading:?}"));
    assert!(usec.parse::<u64>().is_ok_and(|u| u > 0), "{reloading}");
    let rejected = expect(&socket, "READY=1 after a bad reload", |m| {
        m.starts_with("READY=1")
    })
    .await;
    let line = status_of(&rejected);
    assert!(line.contains("rejected"), "{rejected}");
    assert!(line.contains("previous one keeps running"), "{rejected}");
    assert!(
        line.contains("portfolioo"),
        "the status names the bad key: {rejected}"
    );

    // A good file: accepted.
    let good = s
        .yaml
        .replacen("mode: approval_required", "mode: automatic", 1);
    std::fs::write(&s.path, good).expect("write");
    daemon.signal("HUP");
    expect(&socket, "RELOADING=1", |m| m.starts_with("RELOADING=1")).await;
    let accepted = expect(&socket, "READY=1 after a good reload", |m| {
        m.starts_with("READY=1")
    })
    .await;
    assert!(status_of(&accepted).contains("accepted"), "{accepted}");
    assert!(!status_of(&accepted).contains("rejected"), "{accepted}");

    // SIGTERM: STOPPING=1, then a clean exit.
    daemon.signal("TERM");
    let stopping = expect(&socket, "STOPPING=1", |m| m.starts_with("STOPPING=1")).await;
    assert!(status_of(&stopping).starts_with("stopping"), "{stopping}");
    assert!(daemon.stop().success(), "exit 0 after SIGTERM");
}

/// The unit asks for what the daemon does, and leaves its config readable to a dynamic user.
#[test]
fn the_unit_matches_the_handshake() {
    let unit = include_str!("../../systemd/lockstep.service");
    let value = |key: &str| {
        unit.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key}= missing from the unit"))
    };
    assert_eq!(value("Type"), "notify");
    assert_eq!(value("NotifyAccess"), "main");
    assert_eq!(value("RestartPreventExitStatus"), "64");
    assert!(humantime::parse_duration(value("WatchdogSec")).is_ok());
    assert_eq!(value("DynamicUser"), "yes");
    // systemd does not chown ConfigurationDirectory= to the dynamic user: others need r-x.
    let mode = u32::from_str_radix(value("ConfigurationDirectoryMode"), 8).expect("octal");
    assert_eq!(
        mode & 0o005,
        0o005,
        "the dynamic user could not read /etc/lockstep"
    );
}

/// A SIGHUP before the first full cycle must not announce readiness: its outcome is a status line
/// only, and the first `READY=1` is still the one after the first full cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_before_the_first_cycle_does_not_say_ready() {
    let s = setup(6, 92, "0s", |y| y).await;
    // A slow source keeps the first cycle going while the signal arrives.
    s.sims.sims.yardi.core.set_faults(lockstep::sim::Faults {
        latency_ms: 3000,
        ..lockstep::sim::Faults::default()
    });
    let socket_path = s.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    let daemon = Daemon::start_with_env(
        &s.path,
        s.port,
        &s.token,
        &[("NOTIFY_SOCKET", socket_path.display().to_string())],
    );
    // The HTTP listener answers only after the signal handlers are installed.
    eventually("the listener", LONG, || async {
        reqwest::get(format!("{}/healthz", daemon.url))
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
    let (_, v) = daemon.get("/api/v1/status").await;
    let early = v["ready"] == false;
    daemon.signal("HUP");
    let first = expect(&socket, "READY=1 or STATUS=", |m| {
        m.starts_with("READY=1") || m.starts_with("STATUS=")
    })
    .await;
    if early {
        assert!(first.starts_with("STATUS=configuration"), "{first}");
        assert!(status_of(&first).contains("accepted"), "{first}");
    }
    let ready = expect(&socket, "READY=1", |m| m.starts_with("READY=1")).await;
    assert!(
        status_of(&ready).contains("first full cycle"),
        "the first READY=1 must follow the first full cycle: {ready}"
    );
    s.sims
        .sims
        .yardi
        .core
        .set_faults(lockstep::sim::Faults::default());
    assert!(daemon.stop().success());
}
