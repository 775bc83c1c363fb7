//! Durations: parsing (`30s`, `15m`, `1h`), the range each option accepts, and `resync`, whose
//! lower bound is `interval`. The ranges are documented in `config.example.yaml`.

use super::{secs, Check};
use std::time::Duration;

impl Check<'_> {
    /// A humantime duration (`30s`, `15m`, `1h`); zero only where `allow_zero`.
    pub(super) fn duration(
        &mut self,
        path: &str,
        value: Option<&str>,
        default: Duration,
        allow_zero: bool,
    ) -> Duration {
        let Some(text) = value else { return default };
        match humantime::parse_duration(text.trim()) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.err(path, "must be greater than zero");
                default
            }
            Ok(d) => d,
            Err(e) => {
                self.err(
                    path,
                    format!("{text:?} is not a duration (e.g. 30s, 15m, 1h): {e}"),
                );
                default
            }
        }
    }

    /// A duration bounded to `min..=max` (the bounds are documented in `config.example.yaml`);
    /// outside them the error names the bound and the bound is used.
    pub(super) fn duration_in(
        &mut self,
        path: &str,
        value: Option<&str>,
        default: Duration,
        (min, max): (Duration, Duration),
    ) -> Duration {
        let d = self.duration(path, value, default, min.is_zero());
        let written = value.unwrap_or_default().trim();
        if d < min {
            self.err(
                path,
                format!("{written} is below the minimum of {}", show(min)),
            );
            min
        } else if d > max {
            self.err(
                path,
                format!("{written} is above the maximum of {}", show(max)),
            );
            max
        } else {
            d
        }
    }
}

/// A bound as an operator writes it: `1s`, `24h`, `7d`, `500ms` (humantime would say
/// `1month 13h 26m 24s` for 31 days).
pub(super) fn show(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if d.subsec_nanos() != 0 || s == 0 => format!("{}ms", d.as_millis()),
        _ if s % 86_400 == 0 && s >= 2 * 86_400 => format!("{}d", s / 86_400),
        _ if s % 3600 == 0 => format!("{}h", s / 3600),
        _ if s % 60 == 0 => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

/// The accepted range of every duration, `(min, max)`; a zero minimum allows zero. Documented
/// in `config.example.yaml`.
pub(crate) mod bounds {
    use std::time::Duration;
    const SECOND: Duration = Duration::from_secs(1);
    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(24 * 3600);
    pub const INTERVAL: (Duration, Duration) = (SECOND, DAY);
    /// Zero relists every cycle; otherwise at least `interval`.
    pub const RESYNC_MAX: Duration = Duration::from_secs(7 * 24 * 3600);
    pub const QUARANTINE_RETRY: (Duration, Duration) = (SECOND, DAY);
    pub const SHUTDOWN_GRACE: (Duration, Duration) = (SECOND, HOUR);
    pub const ACTIVATION_DELAY: (Duration, Duration) =
        (Duration::ZERO, Duration::from_secs(30 * 24 * 3600));
    pub const STALE_AFTER: (Duration, Duration) = (MINUTE, Duration::from_secs(30 * 24 * 3600));
    pub const TIMEOUT: (Duration, Duration) =
        (Duration::from_millis(1), Duration::from_secs(10 * 60));
    pub const CHECKPOINT_INTERVAL: (Duration, Duration) = (SECOND, DAY);
    pub const SETTLE: (Duration, Duration) = (Duration::ZERO, HOUR);
    /// `guest_pins.*.max_duration`; delivery PINs last hours, not days.
    pub const GUEST_PIN: (Duration, Duration) = (MINUTE, Duration::from_secs(366 * 24 * 3600));
    pub const DELIVERY_PIN: (Duration, Duration) = (MINUTE, DAY);
}

/// `resync`: zero (relist every cycle) or from `interval` up to a week; by default 15 minutes,
/// or `interval` when that is longer.
pub(super) fn resync(c: &mut Check<'_>, raw: Option<&str>, interval: Duration) -> Duration {
    let default = secs(15 * 60).max(interval);
    let d = c.duration("resync", raw, default, true);
    let written = raw.unwrap_or_default().trim();
    if !d.is_zero() && d < interval {
        c.err(
            "resync",
            format!(
                "{written} is shorter than interval ({}): a relist happens at most once a \
                 cycle; give at least that (or 0s to relist every cycle)",
                show(interval)
            ),
        );
        interval
    } else if d > bounds::RESYNC_MAX {
        c.err(
            "resync",
            format!(
                "{written} is above the maximum of {}",
                show(bounds::RESYNC_MAX)
            ),
        );
        bounds::RESYNC_MAX
    } else {
        d
    }
}
