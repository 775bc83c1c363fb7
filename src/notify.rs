//! The systemd notify protocol (`sd_notify(3)`), without a C library: each message is one
//! datagram of `KEY=VALUE` lines sent to the Unix socket named by `$NOTIFY_SOCKET`.
//!
//! The daemon says `READY=1` after its first full cycle, `WATCHDOG=1` from the event loop at half
//! of `$WATCHDOG_USEC` (so a loop that stops turning is restarted by systemd), `RELOADING=1` …
//! `READY=1` around SIGHUP with a `STATUS=` line saying whether the new file was accepted, and
//! `STOPPING=1` on shutdown. Outside systemd (`$NOTIFY_SOCKET` unset) every call does nothing.
//! A socket name starting with `@` is an abstract socket (Linux).

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Why the notify environment could not be used. The daemon logs it and runs without notifying:
/// a supervisor that cannot be told is not a reason to stop granting and revoking access.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("NOTIFY_SOCKET={socket:?}: {reason}")]
    Socket { socket: String, reason: String },
    #[error("WATCHDOG_USEC={0:?} is not a positive number of microseconds")]
    Watchdog(String),
}

/// The environment systemd passes (read through a closure so tests need not touch the process's).
pub struct NotifyEnv {
    pub socket: Option<String>,
    pub watchdog_usec: Option<String>,
    pub watchdog_pid: Option<String>,
}

impl NotifyEnv {
    pub fn from_process() -> NotifyEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        NotifyEnv {
            socket: var("NOTIFY_SOCKET"),
            watchdog_usec: var("WATCHDOG_USEC"),
            watchdog_pid: var("WATCHDOG_PID"),
        }
    }
}

/// A handle on the supervisor's notify socket; a no-op when there is none.
#[derive(Debug, Default)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// A notifier that sends nothing (tests, `reconcile --once`, the demo).
    pub fn disabled() -> Notifier {
        Notifier::default()
    }

    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` for this process.
    pub fn from_env(env: &NotifyEnv, pid: u32) -> Result<Notifier, NotifyError> {
        let watchdog = watchdog_period(env, pid)?;
        let Some(name) = env.socket.as_deref() else {
            return Ok(Notifier {
                target: None,
                watchdog: None,
            });
        };
        let fail = |reason: String| NotifyError::Socket {
            socket: name.to_string(),
            reason,
        };
        let addr = socket_addr(name).map_err(|e| fail(e.to_string()))?;
        let socket = UnixDatagram::unbound().map_err(|e| fail(e.to_string()))?;
        Ok(Notifier {
            target: Some((socket, addr)),
            watchdog,
        })
    }

    /// Whether a supervisor is listening.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// How often to send `WATCHDOG=1`: half the supervisor's watchdog timeout, if it set one.
    pub fn watchdog_every(&self) -> Option<Duration> {
        self.target.as_ref().and(self.watchdog)
    }

    /// `READY=1` with a status line.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// `RELOADING=1` with the monotonic time newer systemd wants for `Type=notify-reload`.
    pub fn reloading(&self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration",
            monotonic_usec()
        ));
    }

    /// A status line alone (`systemctl status` shows it).
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", one_line(status)));
    }

    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// `STOPPING=1` with a status line.
    pub fn stopping(&self, status: &str) {
        self.send(&format!("STOPPING=1\nSTATUS={}", one_line(status)));
    }

    /// Sends one message. A failure is logged at debug only: the supervisor going away must not
    /// disturb the daemon, and it notices a missing watchdog by itself.
    fn send(&self, message: &str) {
        let Some((socket, addr)) = &self.target else {
            return;
        };
        if let Err(e) = socket.send_to_addr(message.as_bytes(), addr) {
            tracing::debug!(error = %e, "could not notify the supervisor");
        }
    }
}

fn watchdog_period(env: &NotifyEnv, pid: u32) -> Result<Option<Duration>, NotifyError> {
    let Some(text) = env.watchdog_usec.as_deref() else {
        return Ok(None);
    };
    // The watchdog is for another process of the unit when WATCHDOG_PID names one.
    if env
        .watchdog_pid
        .as_deref()
        .is_some_and(|p| p.trim() != pid.to_string())
    {
        return Ok(None);
    }
    match text.trim().parse::<u64>() {
        Ok(usec) if usec > 0 => Ok(Some(Duration::from_micros(usec) / 2)),
        _ => Err(NotifyError::Watchdog(text.to_string())),
    }
}

/// `@name` is an abstract socket, anything else a path.
fn socket_addr(name: &str) -> std::io::Result<SocketAddr> {
    if let Some(abstract_name) = name.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        return SocketAddr::from_abstract_name(abstract_name.as_bytes());
    }
    if !name.starts_with('/') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "must be an absolute path or start with @ (an abstract socket)",
        ));
    }
    SocketAddr::from_pathname(name)
}

/// A `STATUS=` value ends at the first newline: fold lines into one, and keep it short.
fn one_line(text: &str) -> String {
    const MAX: usize = 400;
    let folded = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if folded.len() <= MAX {
        return folded;
    }
    let mut end = MAX;
    while !folded.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &folded[..end])
}

/// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
fn monotonic_usec() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000)
        .saturating_add(t.tv_nsec as u64 / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(socket: Option<&str>, usec: Option<&str>, pid: Option<&str>) -> NotifyEnv {
        NotifyEnv {
            socket: socket.map(str::to_string),
            watchdog_usec: usec.map(str::to_string),
            watchdog_pid: pid.map(str::to_string),
        }
    }

    fn recv(socket: &UnixDatagram) -> String {
        let mut buf = [0u8; 4096];
        let n = socket.recv(&mut buf).expect("datagram");
        String::from_utf8_lossy(&buf[..n]).to_string()
    }

    #[test]
    fn sends_each_message_to_a_path_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).expect("bind");
        listener
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let n = Notifier::from_env(
            &env(path.to_str(), Some("4000000"), None),
            std::process::id(),
        )
        .expect("notifier");
        assert_eq!(n.watchdog_every(), Some(Duration::from_secs(2)));
        n.ready("first\ncycle done");
        assert_eq!(recv(&listener), "READY=1\nSTATUS=first; cycle done");
        n.watchdog();
        assert_eq!(recv(&listener), "WATCHDOG=1");
        n.reloading();
        let msg = recv(&listener);
        assert!(msg.starts_with("RELOADING=1\nMONOTONIC_USEC="), "{msg}");
        let usec: u64 = msg.lines().nth(1).expect("line")["MONOTONIC_USEC=".len()..]
            .parse()
            .expect("number");
        assert!(usec > 0);
        n.status("busy");
        assert_eq!(recv(&listener), "STATUS=busy");
        n.stopping("bye");
        assert_eq!(recv(&listener), "STOPPING=1\nSTATUS=bye");
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("lockstep-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
        let listener = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        listener
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let n = Notifier::from_env(&env(Some(&format!("@{name}")), None, None), 1).expect("n");
        n.watchdog();
        assert_eq!(recv(&listener), "WATCHDOG=1");
        assert_eq!(n.watchdog_every(), None);
    }

    #[test]
    fn absent_or_foreign_settings_disable_parts_and_bad_ones_say_what() {
        let n = Notifier::from_env(&env(None, Some("1000"), None), 7).expect("n");
        assert!(!n.enabled());
        assert_eq!(n.watchdog_every(), None, "no socket, no watchdog");
        n.ready("nobody listens");
        let n = Notifier::from_env(&env(Some("@x"), Some("1000"), Some("8")), 7).expect("n");
        assert_eq!(n.watchdog_every(), None, "the watchdog is another pid's");
        let e = Notifier::from_env(&env(Some("relative.sock"), None, None), 7).unwrap_err();
        assert!(
            e.to_string().contains("NOTIFY_SOCKET=\"relative.sock\""),
            "{e}"
        );
        let e = Notifier::from_env(&env(Some("@x"), Some("soon"), None), 7).unwrap_err();
        assert!(e.to_string().contains("WATCHDOG_USEC=\"soon\""), "{e}");
    }

    #[test]
    fn status_is_one_bounded_line() {
        let long = "x".repeat(1000);
        let s = one_line(&long);
        assert!(s.len() < 420 && !s.contains('\n'));
        assert_eq!(one_line("a\n\n  b  \n"), "a; b");
    }
}
