//! Checks every property's `pins:` section once the access systems and the notification sink
//! are known: the system holds PINs and serves the property, the kinds are known, the digit
//! count is sane, and a sink exists to deliver what is issued.

use super::super::raw::{RawConfig, RawPins};
use super::Check;
use crate::config::{AccessSystemConfig, MobileKeyRules, PinRules, PropertyConfig};
use crate::model::PersonKind;
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [PersonKind; 4] = [
    PersonKind::Resident,
    PersonKind::Staff,
    PersonKind::Member,
    PersonKind::Visitor,
];

/// Sets `pins` and `mobile_keys` on every property that has the section (and on none other).
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
        if let Some(rules) = p.mobile_keys.as_ref() {
            let base = format!("{base}.mobile_keys");
            let system = holder(
                c,
                &base,
                rules.system.as_deref(),
                property,
                systems,
                &Holder {
                    holds: AccessSystemConfig::issues_mobile_keys,
                    none: "issues no mobile keys (openpath does)",
                    plural: "issues mobile keys",
                },
            );
            let issue_to = issue_to(c, &base, rules.issue_to.as_deref());
            property.mobile_keys = system.map(|system| MobileKeyRules { system, issue_to });
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
    let system = holder(
        c,
        &base,
        raw.system.as_deref(),
        property,
        systems,
        &Holder {
            holds: AccessSystemConfig::holds_pins,
            none: "holds no PINs (brivo does)",
            plural: "holds PINs",
        },
    );
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

/// What a credential section asks of the system holding its credentials.
struct Holder {
    holds: fn(&AccessSystemConfig) -> bool,
    /// `holds no PINs (brivo does)`.
    none: &'static str,
    /// `holds PINs`.
    plural: &'static str,
}

/// The system named at `{base}.system`, or the property's only one that can hold the
/// credential; `None` (with the error recorded) when there is none such.
fn holder(
    c: &mut Check<'_>,
    base: &str,
    named: Option<&str>,
    property: &PropertyConfig,
    systems: &BTreeMap<String, AccessSystemConfig>,
    kind: &Holder,
) -> Option<String> {
    let able: Vec<&String> = property
        .access_systems
        .keys()
        .filter(|s| systems.get(*s).is_some_and(kind.holds))
        .collect();
    match named {
        Some(name) if !property.access_systems.contains_key(name) => {
            c.err(
                format!("{base}.system"),
                format!("{name:?} is not one of this property's access systems"),
            );
            None
        }
        Some(name) => match systems.get(name) {
            Some(s) if !(kind.holds)(s) => {
                c.err(
                    format!("{base}.system"),
                    format!("{name:?} is a {} system, which {}", s.kind(), kind.none),
                );
                None
            }
            // An unknown system is reported where the property names it.
            _ => Some(name.to_string()),
        },
        None => match able.as_slice() {
            [one] => Some(one.to_string()),
            [] => {
                c.err(
                    base,
                    format!("none of this property's access systems {}", kind.plural),
                );
                None
            }
            _ => {
                c.err(
                    format!("{base}.system"),
                    format!(
                        "is required: more than one of this property's access systems {}",
                        kind.plural
                    ),
                );
                None
            }
        },
    }
}
