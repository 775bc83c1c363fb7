//! Checks a property's `members:` and `visitors:` sections and builds their rules.

use super::super::raw::{RawMembers, RawVisitors};
use super::Check;
use crate::config::{MemberRules, VisitorRules};
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest lead, lag or visit a property may configure: longer is a typo, not a policy.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) fn members(c: &mut Check<'_>, base: &str, raw: &RawMembers) -> MemberRules {
    let d = MemberRules::default();
    let rules = MemberRules {
        plans: raw.plans.clone(),
        locations: raw.locations.clone(),
        floors: raw.floors.clone(),
        offices: raw.offices.clone(),
        resources: raw.resources.clone(),
        day_passes: raw.day_passes.clone(),
        booking_lead: bounded(
            c,
            &format!("{base}.members.booking_lead"),
            raw.booking_lead.as_deref(),
            d.booking_lead,
            true,
        ),
        booking_lag: bounded(
            c,
            &format!("{base}.members.booking_lag"),
            raw.booking_lag.as_deref(),
            d.booking_lag,
            true,
        ),
    };
    for (table, map) in rules.tables() {
        for (key, groups) in map {
            table_entry(c, &format!("{base}.members.{table}.{key}"), key, groups);
        }
    }
    rules
}

pub(super) fn visitors(c: &mut Check<'_>, base: &str, raw: &RawVisitors) -> VisitorRules {
    let d = VisitorRules::default();
    let path = |f: &str| format!("{base}.visitors.{f}");
    if raw.groups.iter().any(|g| g.trim().is_empty()) {
        c.err(path("groups"), "group names must not be empty");
    }
    VisitorRules {
        groups: raw.groups.clone(),
        early_access: bounded(
            c,
            &path("early_access"),
            raw.early_access.as_deref(),
            d.early_access,
            true,
        ),
        access_duration: bounded(
            c,
            &path("access_duration"),
            raw.access_duration.as_deref(),
            d.access_duration,
            false,
        ),
        invite_required: raw.invite_required.unwrap_or(d.invite_required),
        employee_access_duration: bounded(
            c,
            &path("employee_access_duration"),
            raw.employee_access_duration.as_deref(),
            d.employee_access_duration,
            false,
        ),
    }
}

fn table_entry(c: &mut Check<'_>, path: &str, key: &str, groups: &[String]) {
    if key.trim().is_empty() {
        c.err(path, "names must not be empty");
    }
    if groups.iter().any(|g| g.trim().is_empty()) {
        c.err(path, "group names must not be empty");
    }
}

/// A duration no longer than a week.
fn bounded(
    c: &mut Check<'_>,
    path: &str,
    v: Option<&str>,
    default: Duration,
    zero: bool,
) -> Duration {
    let d = c.duration(path, v, default, zero);
    if d > LONGEST {
        c.err(
            path,
            format!(
                "{} is longer than the longest allowed, 7 days",
                humantime::format_duration(d)
            ),
        );
        return default;
    }
    d
}

/// Every group the members' and visitors' rules can grant, with the path that names it.
pub(super) fn named_groups<'a>(
    base: &str,
    m: &'a MemberRules,
    v: &'a VisitorRules,
) -> Vec<(String, &'a str)> {
    let mut out = Vec::new();
    for (table, map) in m.tables() {
        let map: &BTreeMap<String, Vec<String>> = map;
        for (key, groups) in map {
            out.extend(
                groups
                    .iter()
                    .map(|g| (format!("{base}.members.{table}.{key}"), g.as_str())),
            );
        }
    }
    out.extend(
        v.groups
            .iter()
            .map(|g| (format!("{base}.visitors.groups"), g.as_str())),
    );
    out
}
