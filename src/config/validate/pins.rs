//! Checks every property's `pins:` section once the access systems and the notification sink
//! are known: the system holds PINs and serves the property, the kinds are known, the digit
//! count is sane, and a sink exists to deliver what is issued.

use super::super::raw::{RawConfig, RawPins};
use super::Check;
use crate::config::{AccessSystemConfig, PinRules, PropertyConfig};
use crate::model::PersonKind;
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [PersonKind; 4] = [
    PersonKind::Resident,
    PersonKind::Staff,
    PersonKind::Member,
    PersonKind::Visitor,
];

/// Sets `pins` on every property that has the section (and on none other).
pub(super) fn all(
    c: &mut Check<'_>,
    raw: &RawConfig,
    properties: &mut BTreeMap<String, PropertyConfig>,
    systems: &BTreeMap<String, AccessSystemConfig>,
    has_sink: bool,
) {
    for (id, p) in &raw.properties {
        let Some(property) = properties.get_mut(id) else {
            continue;
        };
        let base = format!("properties.{id}");
        if let Some(rules) = p.pins.as_ref() {
            property.pins = pins(c, &base, rules, property, systems, has_sink);
        }
        if property.guest_pins.is_some() && p.pins.is_none() {
            c.err(
                format!("{base}.guest_pins"),
                "guest PINs need a `pins` section naming the access system that holds them",
            );
        }
    }
}

fn pins(
    c: &mut Check<'_>,
    base: &str,
    raw: &RawPins,
    property: &PropertyConfig,
    systems: &BTreeMap<String, AccessSystemConfig>,
    has_sink: bool,
) -> Option<PinRules> {
    let base = format!("{base}.pins");
    if !has_sink {
        c.err(
            &base,
            "issued PINs must be delivered: add a top-level `notifications` section (an outbox file or a webhook)",
        );
    }
    let holders: Vec<&String> = property
        .access_systems
        .keys()
        .filter(|s| systems.get(*s).is_some_and(AccessSystemConfig::holds_pins))
        .collect();
    let system = match raw.system.as_deref() {
        Some(name) if !property.access_systems.contains_key(name) => {
            c.err(
                format!("{base}.system"),
                format!("{name:?} is not one of this property's access systems"),
            );
            None
        }
        Some(name) => match systems.get(name) {
            Some(s) if !s.holds_pins() => {
                c.err(
                    format!("{base}.system"),
                    format!(
                        "{name:?} is a {} system, which holds no PINs (brivo does)",
                        s.kind()
                    ),
                );
                None
            }
            // An unknown system is reported where the property names it.
            _ => Some(name.to_string()),
        },
        None => match holders.as_slice() {
            [one] => Some(one.to_string()),
            [] => {
                c.err(
                    &base,
                    "none of this property's access systems holds PINs (brivo does)",
                );
                None
            }
            _ => {
                c.err(
                    format!("{base}.system"),
                    "is required: more than one of this property's access systems holds PINs",
                );
                None
            }
        },
    };
    let issue_to = issue_to(c, &base, raw.issue_to.as_deref());
    let digits = match raw.digits {
        None => PinRules::DEFAULT_DIGITS,
        Some(n) if (4..=8).contains(&n) => n as u8,
        Some(n) => {
            c.err(
                format!("{base}.digits"),
                format!("{n} is out of range (4 to 8)"),
            );
            PinRules::DEFAULT_DIGITS
        }
    };
    Some(PinRules {
        system: system?,
        issue_to,
        digits,
    })
}

fn issue_to(c: &mut Check<'_>, base: &str, raw: Option<&[String]>) -> BTreeSet<PersonKind> {
    let Some(names) = raw else {
        return BTreeSet::from([PersonKind::Resident]);
    };
    let mut out = BTreeSet::new();
    for name in names {
        match KINDS.iter().find(|k| k.as_str() == name.trim()) {
            Some(kind) => {
                out.insert(*kind);
            }
            None => c.err(
                format!("{base}.issue_to"),
                format!("{name:?} is not a kind of person (resident, staff, member or visitor)"),
            ),
        }
    }
    out
}
