//! Checks a property's `guest_pins:` section and builds its rules: groups routed to one of the
//! property's access systems, counts 1 to 50, durations within `bounds`, `days_per_week` 1 to 7
//! and only where it means something.

use super::super::raw::{RawGuestPins, RawPassLimit};
use super::{bounds, Check};
use crate::config::{GuestPinRules, PassLimit, PropertyConfig};

/// The most live PINs of one kind a property may let one resident hold.
const MOST_PER_RESIDENT: i64 = 50;

/// The validated section, or `None` when the property offers no guest PINs. Called once the
/// rest of the property is built, because groups are checked against its routing.
pub(super) fn guest_pins(
    c: &mut Check<'_>,
    base: &str,
    raw: Option<&RawGuestPins>,
    property: &PropertyConfig,
) -> Option<GuestPinRules> {
    let raw = raw?;
    let base = format!("{base}.guest_pins");
    groups(c, &base, &raw.groups, property);
    if property.sources.contains_key("guests") {
        c.err(
            &base,
            "the property reads a source named \"guests\", whose people's external ids (lockstep:guests:…) would be mistaken for guest PINs'; rename that source",
        );
    }
    let kind = |c: &mut Check<'_>, name: &str, raw: &Option<RawPassLimit>| {
        raw.as_ref()
            .map(|r| limit(c, &format!("{base}.{name}"), name, r))
    };
    let rules = GuestPinRules {
        groups: raw.groups.clone(),
        temporary: kind(c, "temporary", &raw.temporary),
        recurring: kind(c, "recurring", &raw.recurring),
        permanent: kind(c, "permanent", &raw.permanent),
        delivery: kind(c, "delivery", &raw.delivery),
    };
    let offered = [
        &rules.temporary,
        &rules.recurring,
        &rules.permanent,
        &rules.delivery,
    ];
    if offered.iter().all(|k| k.is_none()) {
        c.err(
            &base,
            "offers no kind of guest PIN; give at least one of temporary, recurring, permanent or delivery (or leave guest_pins out)",
        );
    }
    Some(rules)
}

fn groups(c: &mut Check<'_>, base: &str, groups: &[String], property: &PropertyConfig) {
    let path = format!("{base}.groups");
    if groups.is_empty() {
        c.err(&path, "required: the groups a guest PIN opens");
    }
    for g in groups {
        if g.trim().is_empty() {
            c.err(&path, "group names must not be empty");
        } else if property.system_of(g).is_none() && !property.access_systems.is_empty() {
            c.err(
                &path,
                format!("group {g:?} is routed to none of the property's access systems; list it under one of access_systems.*.groups"),
            );
        }
    }
}

/// One kind's limits: `count` always, `max_duration` except for permanent PINs,
/// `days_per_week` for recurring PINs only.
fn limit(c: &mut Check<'_>, path: &str, kind: &str, raw: &RawPassLimit) -> PassLimit {
    let count = match raw.count {
        None => {
            c.err(
                format!("{path}.count"),
                "is required: how many live PINs of this kind one resident may hold",
            );
            1
        }
        Some(n) if (1..=MOST_PER_RESIDENT).contains(&n) => n as u32,
        Some(n) => {
            c.err(
                format!("{path}.count"),
                format!("{n} is out of range (1 to {MOST_PER_RESIDENT})"),
            );
            1
        }
    };
    let range = match kind {
        "delivery" => bounds::DELIVERY_PIN,
        _ => bounds::GUEST_PIN,
    };
    let max_duration = match (kind, raw.max_duration.as_deref()) {
        ("permanent", None) => None,
        ("permanent", Some(_)) => {
            c.err(
                format!("{path}.max_duration"),
                "permanent PINs have no end; max_duration does not apply",
            );
            None
        }
        (_, None) => {
            c.err(
                format!("{path}.max_duration"),
                "is required: the longest a PIN of this kind may last (e.g. 7d)",
            );
            Some(range.1)
        }
        (_, Some(text)) => {
            Some(c.duration_in(&format!("{path}.max_duration"), Some(text), range.1, range))
        }
    };
    let days_per_week = match (kind, raw.days_per_week) {
        ("recurring", None) => Some(7),
        ("recurring", Some(n)) if (1..=7).contains(&n) => Some(n as u8),
        ("recurring", Some(n)) => {
            c.err(
                format!("{path}.days_per_week"),
                format!("{n} is out of range (1 to 7)"),
            );
            Some(7)
        }
        (_, None) => None,
        (_, Some(_)) => {
            c.err(
                format!("{path}.days_per_week"),
                "applies to recurring PINs only",
            );
            None
        }
    };
    PassLimit {
        count,
        max_duration,
        days_per_week,
    }
}
