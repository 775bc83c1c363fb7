//! `lockstep demo` as a user runs it: the real binary on ephemeral loopback ports, with the
//! visitor's schedule shortened. The visitor's sign-in and sign-out lines appear, and the audit
//! log the demo leaves behind shows the front desk's visitor granted the entrances, then removed.

use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the demo to its `--duration` (killed if it overstays `limit`); its stdout.
fn run_demo(args: &[&str], limit: Duration) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("demo")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the demo");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the demo") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut out = String::new();
    let _ = child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out);
    assert!(
        status.is_some_and(|s| s.success()),
        "the demo did not stop cleanly within {limit:?} ({status:?}):\n{out}"
    );
    out
}

/// The visitor's audit entries: (action, group), in order.
fn visitor_actions(data_dir: &str) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["audit", "export", "--format", "jsonl", "--person", "v-ada"])
        .args(["--data-dir", data_dir])
        .output()
        .expect("run audit export");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (field("action"), field("object"))
        })
        .collect()
}

#[test]
fn demo_signs_a_visitor_in_and_out_through_signed_events() {
    let out = run_demo(
        &[
            "--listen",
            "127.0.0.1:0",
            "--properties",
            "1",
            "--residents-per-property",
            "5",
            "--churn-every",
            "60s",
            "--visitor-at",
            "2s",
            "--visitor-leaves-after",
            "6s",
            "--duration",
            "16s",
        ],
        Duration::from_secs(50),
    );
    let data_dir = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("data dir"))
        .map(|d| d.trim().to_string())
        .unwrap_or_else(|| panic!("no data dir line:\n{out}"));
    assert!(out.contains("visitor: in 2s Ada Visitor signs in"), "{out}");
    let signed_in = "visitor: p1: Ada Visitor signs in at the front desk (lobby opens)";
    let signed_out = "visitor: p1: Ada Visitor signs out (lobby closes)";
    let at = |line: &str| out.find(line).unwrap_or_else(|| panic!("{line:?}:\n{out}"));
    assert!(at(signed_in) < at(signed_out), "{out}");

    let actions = visitor_actions(&data_dir);
    let _ = std::fs::remove_dir_all(&data_dir);
    let _ = std::fs::remove_dir_all(format!("{data_dir}-staff"));
    let step = |action: &str| {
        actions
            .iter()
            .position(|(a, g)| a == action && g.ends_with(" Entrances"))
            .unwrap_or_else(|| panic!("no {action} of the entrances: {actions:?}\n{out}"))
    };
    assert!(
        step("add_to_group") < step("remove_from_group"),
        "granted, then removed at sign-out: {actions:?}"
    );
}
