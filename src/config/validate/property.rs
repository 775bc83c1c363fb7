//! Properties: `defaults` applied, references to sources and access systems resolved, unit and role
//! mappings checked.

use super::Check;
use crate::config::raw::{RawProperty, RawPropertySettings};
use crate::config::{
    LinkKey, Mode, NotifyPolicy, PropertyConfig, RevocationLimit, RevocationMode, Routing,
    UnitMapping,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// Property settings after applying `defaults`.
pub(super) struct Settings {
    mode: Mode,
    revocations: RevocationMode,
    activation_delay: Duration,
    max_revocations: RevocationLimit,
    /// `max_revocations_floor`, kept apart so a property that switches to a percentage gets it.
    floor: usize,
    pub(super) stale_after: Duration,
}

/// Names that properties may refer to.
pub(super) struct Known<'a> {
    pub(super) sources: Vec<&'a str>,
    pub(super) access_systems: Vec<&'a str>,
}

pub(super) fn defaults(c: &mut Check<'_>, d: &RawPropertySettings) -> Settings {
    let (max_revocations, floor) = limit(
        c,
        "defaults.max_revocations",
        d.max_revocations.as_ref(),
        d.max_revocations_floor,
        (RevocationLimit::default(), 5),
    );
    Settings {
        mode: mode(
            c,
            "defaults.mode",
            d.mode.as_deref(),
            Mode::ApprovalRequired,
        ),
        revocations: revocations(
            c,
            "defaults.revocations",
            d.revocations.as_deref(),
            RevocationMode::WithMode,
        ),
        activation_delay: c.duration_in(
            "defaults.activation_delay",
            d.activation_delay.as_deref(),
            Duration::from_secs(15 * 60),
            super::bounds::ACTIVATION_DELAY,
        ),
        max_revocations,
        floor,
        stale_after: c.duration_in(
            "defaults.stale_after",
            d.stale_after.as_deref(),
            Duration::from_secs(3600),
            super::bounds::STALE_AFTER,
        ),
    }
}

fn mode(c: &mut Check<'_>, path: &str, v: Option<&str>, default: Mode) -> Mode {
    match v.map(str::trim) {
        None => default,
        Some("approval_required") => Mode::ApprovalRequired,
        Some("automatic") => Mode::Automatic,
        Some(other) => {
            c.err(
                path,
                format!("unknown mode {other:?} (expected approval_required or automatic)"),
            );
            default
        }
    }
}

fn notify(c: &mut Check<'_>, path: &str, v: Option<&str>) -> NotifyPolicy {
    match v.map(str::trim) {
        None => NotifyPolicy::Never,
        Some("default") => NotifyPolicy::Default,
        Some("always") => NotifyPolicy::Always,
        Some("never") => NotifyPolicy::Never,
        Some(other) => {
            c.err(
                path,
                format!("unknown value {other:?} (expected default, always or never)"),
            );
            NotifyPolicy::Never
        }
    }
}

fn revocations(
    c: &mut Check<'_>,
    path: &str,
    v: Option<&str>,
    default: RevocationMode,
) -> RevocationMode {
    match v.map(str::trim) {
        None => default,
        Some("with_mode") => RevocationMode::WithMode,
        Some("always_automatic") => RevocationMode::AlwaysAutomatic,
        Some(other) => {
            c.err(
                path,
                format!("unknown value {other:?} (expected with_mode or always_automatic)"),
            );
            default
        }
    }
}

/// `max_revocations` (a count or `"N%"`) and `max_revocations_floor`, falling back to `default`.
fn limit(
    c: &mut Check<'_>,
    path: &str,
    value: Option<&serde_yaml::Value>,
    floor: Option<i64>,
    default: (RevocationLimit, usize),
) -> (RevocationLimit, usize) {
    let floor = match floor {
        None => default.1,
        Some(f) => usize::try_from(f).unwrap_or_else(|_| {
            c.err(format!("{path}_floor"), format!("{f} must not be negative"));
            default.1
        }),
    };
    let shape = "must be a whole number of revocations or a percentage like \"10%\"";
    let parsed = match value {
        None => Some(default.0),
        Some(serde_yaml::Value::Number(n)) => {
            n.as_u64().map(|n| RevocationLimit::Count(n as usize))
        }
        Some(serde_yaml::Value::String(s)) => match s.trim().strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(percent) if percent > 0.0 && percent <= 100.0 => {
                    Some(RevocationLimit::Percent { percent, floor })
                }
                _ => {
                    c.err(
                        path,
                        format!("{s:?} must be a percentage above 0% and at most 100%"),
                    );
                    return (default.0, floor);
                }
            },
            None => s.trim().parse::<usize>().ok().map(RevocationLimit::Count),
        },
        Some(_) => None,
    };
    match parsed {
        Some(RevocationLimit::Percent { percent, .. }) => {
            (RevocationLimit::Percent { percent, floor }, floor)
        }
        Some(count) => (count, floor),
        None => {
            c.err(path, shape);
            (default.0, floor)
        }
    }
}

/// A close known name, for "did you mean": a small edit distance or a shared prefix.
fn suggest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let prefix = |k: &str| {
        name.chars()
            .zip(k.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    known
        .iter()
        .map(|k| (distance(name, k), prefix(k), *k))
        .filter(|(d, p, _)| *d <= 2.max(name.chars().count() / 3) || *p >= 4)
        .min_by_key(|(d, p, _)| (*d, usize::MAX - p))
        .map(|(_, _, k)| k)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn reference(
    c: &mut Check<'_>,
    path: &str,
    value: &Option<String>,
    known: &[&str],
    what: &str,
) -> String {
    let name = c.required(path, value);
    if !name.is_empty() && !known.contains(&name.as_str()) {
        let hint = suggest(&name, known)
            .map(|k| format!(" (did you mean {k:?}?)"))
            .unwrap_or_default();
        c.err(path, format!("no {what} named {name:?}{hint}"));
    }
    name
}

/// Group names must be non-empty.
fn groups(c: &mut Check<'_>, path: &str, list: &[String]) {
    if list.iter().any(|g| g.trim().is_empty()) {
        c.err(path, "group names must not be empty");
    }
}

fn units(c: &mut Check<'_>, base: &str, p: &RawProperty) {
    if let Some(pattern) = &p.units.pattern {
        if pattern.matches("{unit}").count() != 1 {
            c.err(
                format!("{base}.units.pattern"),
                format!("{pattern:?} must contain {{unit}} exactly once"),
            );
        }
    }
    for (group, selectors) in &p.units.groups {
        let path = format!("{base}.units.groups.{group}");
        if group.trim().is_empty() {
            c.err(&path, "group names must not be empty");
        }
        if let Some(bad) = selectors
            .iter()
            .find(|s| s.trim().is_empty() || s.trim_end_matches('*').contains('*'))
        {
            c.err(
                path,
                format!("selector {bad:?} must be a unit or a prefix ending in *"),
            );
        }
    }
    for (unit, list) in &p.units.overrides {
        let path = format!("{base}.units.overrides.{unit}");
        if unit.trim().is_empty() {
            c.err(&path, "unit names must not be empty");
        }
        groups(c, &path, list);
    }
}

pub(super) fn property(
    c: &mut Check<'_>,
    id: &str,
    p: &RawProperty,
    d: &Settings,
    known: &Known<'_>,
) -> PropertyConfig {
    let base = format!("properties.{id}");
    let field = |f: &str| format!("{base}.{f}");
    let or_id = |c: &mut Check<'_>, f: &str, v: &Option<String>| match v {
        None => id.to_string(),
        Some(_) => c.required(&field(f), v),
    };
    let sources = sources(c, id, &base, p, known);
    let access_systems = systems(c, &base, p, known);
    let link_by = match p.link_by.as_deref().map(str::trim) {
        None => None,
        Some("email") => Some(LinkKey::Email),
        Some(other) => {
            c.err(
                field("link_by"),
                format!("unknown key {other:?} (expected email)"),
            );
            None
        }
    };
    let name = or_id(c, "name", &p.name);
    groups(c, &field("common_groups"), &p.common_groups);
    units(c, &base, p);
    for (role, list) in &p.roles {
        groups(c, &format!("{base}.roles.{role}"), list);
    }
    let (max_revocations, _) = limit(
        c,
        &field("max_revocations"),
        p.max_revocations.as_ref(),
        p.max_revocations_floor,
        (d.max_revocations, d.floor),
    );
    let mut built = PropertyConfig {
        name,
        sources,
        access_systems,
        link_by,
        mode: mode(c, &field("mode"), p.mode.as_deref(), d.mode),
        revocations: revocations(
            c,
            &field("revocations"),
            p.revocations.as_deref(),
            d.revocations,
        ),
        notify: notify(c, &field("notify"), p.notify.as_deref()),
        activation_delay: c.duration_in(
            &field("activation_delay"),
            p.activation_delay.as_deref(),
            d.activation_delay,
            super::bounds::ACTIVATION_DELAY,
        ),
        max_revocations,
        common_groups: p.common_groups.clone(),
        units: UnitMapping {
            pattern: p.units.pattern.clone(),
            groups: p.units.groups.clone(),
            overrides: p.units.overrides.clone(),
        },
        roles: p.roles.clone(),
        members: super::kinds::members(c, &base, &p.members),
        visitors: super::kinds::visitors(c, &base, &p.visitors),
        guest_pins: None,
        pins: None,
        mobile_keys: None,
    };
    routes(c, &base, &built);
    built.guest_pins = super::guests::guest_pins(c, &base, p.guest_pins.as_ref(), &built);
    built
}

/// `sources:` (source → `{property_id}`) or the one-source shorthand `source:` with
/// `source_property_id:`; exactly one of the two forms.
fn sources(
    c: &mut Check<'_>,
    id: &str,
    base: &str,
    p: &RawProperty,
    known: &Known<'_>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match (&p.source, p.sources.is_empty()) {
        (Some(_), false) => c.err(
            format!("{base}.source"),
            "give either `source` or `sources`, not both",
        ),
        (None, true) => c.err(
            format!("{base}.sources"),
            "required: at least one source (or the shorthand `source: NAME`)",
        ),
        (Some(_), true) => {
            let name = reference(
                c,
                &format!("{base}.source"),
                &p.source,
                &known.sources,
                "source",
            );
            let property_id = match &p.source_property_id {
                None => id.to_string(),
                Some(_) => c.required(&format!("{base}.source_property_id"), &p.source_property_id),
            };
            out.insert(name, property_id);
        }
        (None, false) => {
            if p.source_property_id.is_some() {
                c.err(
                    format!("{base}.source_property_id"),
                    "goes with `source`; under `sources` give each one its `property_id`",
                );
            }
            for (name, entry) in &p.sources {
                let path = format!("{base}.sources.{name}");
                reference(c, &path, &Some(name.clone()), &known.sources, "source");
                let property_id = match entry.as_ref().and_then(|e| e.property_id.as_ref()) {
                    None => id.to_string(),
                    Some(v) => c.required(&format!("{path}.property_id"), &Some(v.clone())),
                };
                out.insert(name.clone(), property_id);
            }
        }
    }
    out
}

/// `access_systems:` (system → `{groups}`) or the one-system shorthand `access_system:`.
fn systems(
    c: &mut Check<'_>,
    base: &str,
    p: &RawProperty,
    known: &Known<'_>,
) -> BTreeMap<String, Routing> {
    let mut out = BTreeMap::new();
    match (&p.access_system, p.access_systems.is_empty()) {
        (Some(_), false) => c.err(
            format!("{base}.access_system"),
            "give either `access_system` or `access_systems`, not both",
        ),
        (None, true) => c.err(
            format!("{base}.access_systems"),
            "required: at least one access system (or the shorthand `access_system: NAME`)",
        ),
        (Some(_), true) => {
            let name = reference(
                c,
                &format!("{base}.access_system"),
                &p.access_system,
                &known.access_systems,
                "access system",
            );
            out.insert(name, Routing::default());
        }
        (None, false) => {
            for (name, entry) in &p.access_systems {
                let path = format!("{base}.access_systems.{name}");
                reference(
                    c,
                    &path,
                    &Some(name.clone()),
                    &known.access_systems,
                    "access system",
                );
                let groups = entry.as_ref().map(|r| r.groups.clone()).unwrap_or_default();
                if let Some(bad) = groups.iter().find(|g| {
                    g.trim().is_empty()
                        || (!g.contains("{unit}") && g.trim_end_matches('*').contains('*'))
                }) {
                    c.err(
                        format!("{path}.groups"),
                        format!("{bad:?} must be a group name, the unit pattern, or a prefix ending in *"),
                    );
                }
                if groups.is_empty() && p.access_systems.len() > 1 {
                    c.err(
                        format!("{path}.groups"),
                        "required when a property has several access systems: the groups that live in this one",
                    );
                }
                out.insert(name.clone(), Routing { groups });
            }
        }
    }
    out
}

/// Every group a property can grant lives in exactly one of its access systems.
fn routes(c: &mut Check<'_>, base: &str, p: &PropertyConfig) {
    if p.access_systems.is_empty() {
        return; // already reported
    }
    let mut named: Vec<(String, &str)> = Vec::new();
    for g in &p.common_groups {
        named.push((format!("{base}.common_groups"), g));
    }
    for (role, list) in &p.roles {
        for g in list {
            named.push((format!("{base}.roles.{role}"), g));
        }
    }
    for g in p.units.groups.keys() {
        named.push((format!("{base}.units.groups.{g}"), g));
    }
    for (unit, list) in &p.units.overrides {
        for g in list {
            named.push((format!("{base}.units.overrides.{unit}"), g));
        }
    }
    if let Some(pattern) = &p.units.pattern {
        named.push((format!("{base}.units.pattern"), pattern));
    }
    named.extend(super::kinds::named_groups(base, &p.members, &p.visitors));
    let only_everything =
        p.access_systems.len() == 1 && p.access_systems.values().all(|r| r.groups.is_empty());
    if only_everything {
        return;
    }
    let pattern = p.units.pattern.as_deref();
    for (path, group) in named {
        let is_pattern = Some(group) == pattern;
        let holders: Vec<&str> = p
            .access_systems
            .iter()
            .filter(|(_, r)| {
                r.matches(group)
                    || (!is_pattern
                        && pattern.is_some_and(|pat| {
                            crate::model::unit_pattern_makes(pat, group) && r.matches(pat)
                        }))
            })
            .map(|(n, _)| n.as_str())
            .collect();
        match holders[..] {
            [_] => {}
            [] => c.err(
                path,
                format!("group {group:?} is routed to none of the property's access systems; list it under one of access_systems.*.groups"),
            ),
            _ => c.err(
                path,
                format!("group {group:?} is routed to {} access systems ({}); a group lives in exactly one", holders.len(), holders.join(", ")),
            ),
        }
    }
}

/// Two properties reading the same source property into the same access system would act on
/// the same users twice (duplicate suggestions, audit entries and writes).
pub(super) fn no_shared_targets(c: &mut Check<'_>, properties: &BTreeMap<String, PropertyConfig>) {
    let mut seen: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for (id, p) in properties {
        for (source, source_id) in &p.sources {
            for system in p.access_systems.keys() {
                let key = (source.as_str(), source_id.as_str(), system.as_str());
                if [key.0, key.1, key.2].contains(&"") {
                    continue; // already reported
                }
                if let Some(first) = seen.get(&key) {
                    c.err(
                        format!("properties.{id}.sources.{source}"),
                        format!(
                            "properties.{first} already reads {source_id:?} from source {source:?} into access system {system:?}"
                        ),
                    );
                } else {
                    seen.insert(key, id);
                }
            }
        }
    }
}
