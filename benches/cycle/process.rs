//! Child processes of the cycle bench: the simulators (`lockstep sim`, the built binary) and
//! the bench's own helper (see `setup.rs`). Both are bounded in time, and the simulators are
//! killed when their guard drops, panic included.

use super::setup::HELPER_ENV;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long `lockstep sim` may take to say where it listens.
const SIM_START: Duration = Duration::from_secs(30);

/// `lockstep sim` on 127.0.0.1 with an ephemeral port and no world of its own (the helper loads
/// one through `/_sim/state`). Killed and reaped on drop.
pub struct SimProcess {
    child: Child,
    pub base: String,
}

impl SimProcess {
    pub fn start() -> SimProcess {
        let binary = env!("CARGO_BIN_EXE_lockstep");
        let child = Command::new(binary)
            .args(["sim", "--listen", "127.0.0.1:0", "--properties", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} sim: {e}"));
        let mut sim = SimProcess {
            child,
            base: String::new(),
        };
        let stderr = sim.child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Reads the address line, then keeps draining (and showing) whatever else it logs so a
        // full pipe never blocks the simulators.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                match line.split_once("listening on ") {
                    Some((_, url)) => {
                        let _ = tx.send(url.trim().to_string());
                    }
                    // Its banners name the address; anything else (warnings) is shown.
                    None if line.contains("http://127.0.0.1:") => {}
                    None => eprintln!("  [sim] {line}"),
                }
            }
        });
        sim.base = rx.recv_timeout(SIM_START).unwrap_or_else(|_| {
            panic!("lockstep sim did not report its address within {SIM_START:?}")
        });
        sim
    }

    /// The process id, to show which process holds the simulators.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs this bench executable again with `envs` set, its output shown as it comes; waits at
/// most `limit`. Panics if it fails or overruns (it is killed then).
pub fn own_process(envs: &[(&str, &str)], limit: Duration) {
    let exe = std::env::current_exe().expect("the bench executable");
    let mut child = Command::new(exe)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .spawn()
        .expect("start a bench runner");
    let what = format!("{envs:?}");
    let status = wait_bounded(&mut child, limit, &what);
    assert!(status.success(), "bench runner {what} failed: {status}");
}

/// Waits for `child` at most `limit`, killing it on overrun.
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bench child {what:?} overran {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs this bench executable again as the helper with `args`, waits at most `limit`, and
/// returns what it printed. Panics if it fails or overruns (it is killed then).
pub fn helper(args: &[&str], limit: Duration) -> String {
    let exe = std::env::current_exe().expect("the bench executable");
    let mut child = Command::new(exe)
        .args(args)
        .env(HELPER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the bench helper");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let status = wait_bounded(&mut child, limit, &args.join(" "));
    let out = reader.join().unwrap_or_default();
    assert!(status.success(), "bench helper {args:?} failed: {status}");
    out
}
