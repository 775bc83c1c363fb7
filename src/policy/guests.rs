//! Guest and prospect PINs under per-resident limits (DESIGN §3, SmartRent-style): the rules a
//! resident's request for a pass must meet (`check`), and which guest users should exist at one
//! instant, with which groups and window (`desired`). Pure: `now` is passed in.
//!
//! Assumption: days are UTC days until properties carry a time zone. A recurring pass is valid
//! on its weekdays only, each valid day from 00:00 to 24:00 UTC clipped to the pass's from/until.
//!
//! Wiring (done where the desired state is built): read the property's passes
//! (`Store::guest_passes().for_property`), call `desired(&passes, &rules.groups, now)` with the
//! property's `guest_pins` rules, make each `GuestGrant` a desired user (its external id, name,
//! groups in its window, a PIN), and fold the returned edge into the property's next due time.
//! `desired` does not know whether a host still lives there: dropping the grants of a host who
//! no longer holds access is the caller's (each grant names its host).

use crate::config::{GuestPinRules, PassLimit};
use crate::model::{external_id, Timestamp, Window};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

const DAY: i64 = 86_400;

/// What a guest PIN is for; each kind has its own per-resident limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    /// A guest staying a while: from/until, at most `max_duration`.
    Temporary,
    /// A regular visitor (a cleaner, a dog walker): on some weekdays between from and until.
    Recurring,
    /// Family and the like: no end.
    Permanent,
    /// A courier: hours, not days.
    Delivery,
}

impl PassKind {
    pub const ALL: [PassKind; 4] = [
        PassKind::Temporary,
        PassKind::Recurring,
        PassKind::Permanent,
        PassKind::Delivery,
    ];

    /// The word in the config, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            PassKind::Temporary => "temporary",
            PassKind::Recurring => "recurring",
            PassKind::Permanent => "permanent",
            PassKind::Delivery => "delivery",
        }
    }

    /// How a sentence names passes of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            PassKind::Temporary => "temporary guest PINs",
            PassKind::Recurring => "recurring guest PINs",
            PassKind::Permanent => "permanent guest PINs",
            PassKind::Delivery => "delivery PINs",
        }
    }
}

impl std::str::FromStr for PassKind {
    type Err = String;
    fn from_str(s: &str) -> Result<PassKind, String> {
        PassKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown kind {s:?} (expected temporary, recurring, permanent or delivery)")
            })
    }
}

/// A day of the week, written `mon` … `sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The UTC weekday of an instant (1970-01-01 was a Thursday).
    pub fn of(t: Timestamp) -> Weekday {
        let days = t.div_euclid(DAY);
        Weekday::ALL[(days + 3).rem_euclid(7) as usize]
    }

    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }
}

impl std::str::FromStr for Weekday {
    type Err = String;
    fn from_str(s: &str) -> Result<Weekday, String> {
        let lower = s.trim().to_ascii_lowercase();
        Weekday::ALL
            .into_iter()
            .find(|d| d.as_str() == lower)
            .ok_or_else(|| {
                format!("unknown day {s:?} (expected mon, tue, wed, thu, fri, sat or sun)")
            })
    }
}

/// One guest PIN a resident (the host) asked for, stored as is. The PIN itself is never here:
/// the executor draws and delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestPass {
    /// `g` + 10 lowercase letters and digits.
    pub id: String,
    pub property: String,
    /// The resident's person id, as the property's sources name it.
    pub host: String,
    pub guest_name: String,
    pub kind: PassKind,
    pub from: Timestamp,
    /// `None` only for permanent passes.
    pub until: Option<Timestamp>,
    /// Recurring passes only: the weekdays it is valid on.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub days: BTreeSet<Weekday>,
    pub created_by: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub cancelled: bool,
}

impl GuestPass {
    /// Not cancelled and not ended at `now` (a pass starting later is live: it counts).
    pub fn is_live(&self, now: Timestamp) -> bool {
        !self.cancelled && self.until.is_none_or(|u| u > now)
    }
}

/// Why a request for a guest PIN is refused, naming the limit and the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitRefusal {
    NotOffered(PassKind),
    TooMany {
        kind: PassKind,
        count: u32,
        host: String,
        held: usize,
    },
    TooLong {
        kind: PassKind,
        max: Duration,
        asked: Duration,
    },
    TooManyDays {
        most: u8,
        asked: usize,
    },
    NoDays,
    DaysNotRecurring(PassKind),
    NeedsEnd(PassKind),
    PermanentHasEnd,
    EndsBeforeStart,
    EndsInPast,
}

impl fmt::Display for LimitRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitRefusal::NotOffered(k) => write!(f, "{}: the property offers none", k.noun()),
            LimitRefusal::TooMany {
                kind,
                count,
                host,
                held,
            } => write!(
                f,
                "{}: at most {count} live per resident; {host} already holds {held}",
                kind.noun()
            ),
            LimitRefusal::TooLong { kind, max, asked } => write!(
                f,
                "{} last at most {}; asked for {}",
                kind.noun(),
                show(*max),
                show(*asked)
            ),
            LimitRefusal::TooManyDays { most, asked } => write!(
                f,
                "recurring guest PINs: at most {most} days a week; asked for {asked}"
            ),
            LimitRefusal::NoDays => write!(
                f,
                "recurring guest PINs need the weekdays they are valid on (days)"
            ),
            LimitRefusal::DaysNotRecurring(k) => {
                write!(f, "{}: days apply to recurring guest PINs only", k.noun())
            }
            LimitRefusal::NeedsEnd(k) => write!(f, "{} need an end (until)", k.noun()),
            LimitRefusal::PermanentHasEnd => {
                write!(f, "permanent guest PINs have no end; leave until out")
            }
            LimitRefusal::EndsBeforeStart => write!(f, "a guest PIN must end after it starts"),
            LimitRefusal::EndsInPast => write!(f, "a guest PIN must end in the future"),
        }
    }
}

impl std::error::Error for LimitRefusal {}

/// A duration as an operator writes it: `7d`, `4h`, `90m`, else humantime's words.
fn show(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        _ if s % 86_400 == 0 => format!("{}d", s / 86_400),
        _ if s % 3600 == 0 => format!("{}h", s / 3600),
        _ if s % 60 == 0 => format!("{}m", s / 60),
        _ => humantime::format_duration(d).to_string(),
    }
}

/// The limits of one kind, if the property offers it.
pub fn limit_of(rules: &GuestPinRules, kind: PassKind) -> Option<&PassLimit> {
    match kind {
        PassKind::Temporary => rules.temporary.as_ref(),
        PassKind::Recurring => rules.recurring.as_ref(),
        PassKind::Permanent => rules.permanent.as_ref(),
        PassKind::Delivery => rules.delivery.as_ref(),
    }
}

/// Whether `request` may be granted, given the host's passes (only the live ones of the same
/// kind count) and the property's rules.
pub fn check(
    request: &GuestPass,
    host_passes: &[GuestPass],
    rules: &GuestPinRules,
    now: Timestamp,
) -> Result<(), LimitRefusal> {
    let kind = request.kind;
    let limit = limit_of(rules, kind).ok_or(LimitRefusal::NotOffered(kind))?;
    match (kind, request.until) {
        (PassKind::Permanent, Some(_)) => return Err(LimitRefusal::PermanentHasEnd),
        (PassKind::Permanent, None) => {}
        (_, None) => return Err(LimitRefusal::NeedsEnd(kind)),
        (_, Some(until)) => {
            if until <= request.from {
                return Err(LimitRefusal::EndsBeforeStart);
            }
            if until <= now {
                return Err(LimitRefusal::EndsInPast);
            }
            let asked = Duration::from_secs((until - request.from) as u64);
            if let Some(max) = limit.max_duration.filter(|max| asked > *max) {
                return Err(LimitRefusal::TooLong { kind, max, asked });
            }
        }
    }
    if kind == PassKind::Recurring {
        let most = limit.days_per_week.unwrap_or(7);
        if request.days.is_empty() {
            return Err(LimitRefusal::NoDays);
        }
        if request.days.len() > usize::from(most) {
            return Err(LimitRefusal::TooManyDays {
                most,
                asked: request.days.len(),
            });
        }
    } else if !request.days.is_empty() {
        return Err(LimitRefusal::DaysNotRecurring(kind));
    }
    let held = host_passes
        .iter()
        .filter(|p| p.host == request.host && p.kind == kind && p.is_live(now))
        .count();
    if held >= limit.count as usize {
        return Err(LimitRefusal::TooMany {
            kind,
            count: limit.count,
            host: request.host.clone(),
            held,
        });
    }
    Ok(())
}

/// One guest user that should exist now: the pass's groups in its current window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestGrant {
    pub pass_id: String,
    pub host: String,
    /// `lockstep:guests:<pass id>`.
    pub external_id: String,
    /// The guest's name, as the host gave it.
    pub name: String,
    pub kind: PassKind,
    pub groups: Vec<String>,
    pub window: Window,
}

/// The guest users of a property at `now` (passes whose window contains `now`, cancelled ones
/// never) and the next instant after `now` at which that answer changes: a pass starts or ends,
/// or a recurring pass's day window ends or its next valid day begins.
pub fn desired(
    passes: &[GuestPass],
    groups: &[String],
    now: Timestamp,
) -> (Vec<GuestGrant>, Option<Timestamp>) {
    let mut grants = Vec::new();
    let mut next: Option<Timestamp> = None;
    for pass in passes.iter().filter(|p| !p.cancelled) {
        let (window, edge) = window_at(pass, now);
        if let Some(e) = edge {
            next = Some(next.map_or(e, |n| n.min(e)));
        }
        if let Some(window) = window {
            grants.push(GuestGrant {
                pass_id: pass.id.clone(),
                host: pass.host.clone(),
                external_id: external_id("guests", &pass.id),
                name: pass.guest_name.clone(),
                kind: pass.kind,
                groups: groups.to_vec(),
                window,
            });
        }
    }
    (grants, next)
}

/// Whether the pass is valid at `t` (start inclusive, end exclusive; weekdays for recurring).
fn valid_at(pass: &GuestPass, t: Timestamp) -> bool {
    let in_range = pass.from <= t && pass.until.is_none_or(|u| t < u);
    in_range && (pass.kind != PassKind::Recurring || pass.days.contains(&Weekday::of(t)))
}

/// The pass's window if it is valid at `now`, and the next instant its grant changes.
fn window_at(pass: &GuestPass, now: Timestamp) -> (Option<Window>, Option<Timestamp>) {
    if pass.kind != PassKind::Recurring {
        let window = Window {
            from: Some(pass.from),
            until: pass.until,
        };
        let edge = [Some(pass.from), pass.until]
            .into_iter()
            .flatten()
            .filter(|e| *e > now)
            .min();
        let valid = valid_at(pass, now);
        return (valid.then_some(window), edge);
    }
    if valid_at(pass, now) {
        let day = now.div_euclid(DAY) * DAY;
        let from = day.max(pass.from);
        let until = pass.until.map_or(day + DAY, |u| u.min(day + DAY));
        let window = Window {
            from: Some(from),
            until: Some(until),
        };
        return (Some(window), Some(until));
    }
    // Not valid now: the next start of validity, at `from` or at a valid day's midnight.
    let start = now.max(pass.from);
    let first_midnight = (start.div_euclid(DAY) + 1) * DAY;
    let edge = std::iter::once(pass.from)
        .chain((0..7).map(|k| first_midnight + k * DAY))
        .filter(|t| *t > now && valid_at(pass, *t))
        .min();
    (None, edge)
}

#[cfg(test)]
mod tests;
