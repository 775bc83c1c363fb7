//! Which PIN a person should hold (DESIGN §3, credentials): the property's `pins:` section names
//! the kinds of people given one; the loss reports name the generation. Pure.
//!
//! Loss reports for PINs live beside card losses under reserved credential ids: `pin` (the PIN
//! is revoked and none replaces it) and `pin#N` (the N-th replacement: the person holds
//! generation N + 1). A loss of every credential (`*`) covers cards, not PINs.

use super::kinds::widest;
use crate::config::PropertyConfig;
use crate::model::{DesiredPin, PersonKind, Window};
use std::collections::{BTreeMap, BTreeSet};

/// The credential id a loss report uses for a person's PIN.
pub const PIN_CREDENTIAL: &str = "pin";

/// Whether a lost-credential id is about the PIN rather than a card.
pub fn is_pin_loss(id: &str) -> bool {
    id == PIN_CREDENTIAL || id.starts_with("pin#")
}

/// The PIN generation a person's loss reports leave them: 1 plus the replacements, or `None`
/// when the PIN was reported lost without a replacement.
pub fn generation<'a>(lost: impl IntoIterator<Item = &'a String>) -> Option<u32> {
    let mut replacements = 0u32;
    for id in lost {
        if id == PIN_CREDENTIAL {
            return None;
        }
        if id.starts_with("pin#") {
            replacements = replacements.saturating_add(1);
        }
    }
    Some(replacements.saturating_add(1))
}

/// The id that records the next replacement after these loss reports.
pub fn replacement_id<'a>(lost: impl IntoIterator<Item = &'a String>) -> String {
    let replaced = lost.into_iter().filter(|id| id.starts_with("pin#")).count();
    format!("pin#{}", replaced + 1)
}

/// The PIN a person of these kinds, with these groups and these loss reports, should hold:
/// none unless the property issues PINs to one of the kinds; valid across all their groups.
pub fn desired<'a>(
    property: &PropertyConfig,
    kinds: impl IntoIterator<Item = PersonKind>,
    groups: &BTreeMap<String, Window>,
    lost: impl IntoIterator<Item = &'a String>,
) -> Option<DesiredPin> {
    let rules = property.pins.as_ref()?;
    let kinds: BTreeSet<PersonKind> = kinds.into_iter().collect();
    if rules.issue_to.is_disjoint(&kinds) {
        return None;
    }
    let window = groups.values().copied().reduce(|a, b| widest(&a, &b))?;
    Some(DesiredPin {
        generation: generation(lost)?,
        window,
    })
}

/// Whether a person of these kinds with these groups should hold a mobile key: the property
/// issues them (`mobile_keys:`) to one of the kinds, and the person has access to something.
pub fn mobile_key(
    property: &PropertyConfig,
    kinds: impl IntoIterator<Item = PersonKind>,
    groups: &BTreeMap<String, Window>,
) -> bool {
    property.mobile_keys.as_ref().is_some_and(|rules| {
        !groups.is_empty() && kinds.into_iter().any(|k| rules.issue_to.contains(&k))
    })
}

/// Adds a property's guest passes to its desired state: each pass live at `now` whose host
/// holds access (or is held as observed) becomes a user with the pass's groups in its window
/// and a first-generation PIN; the passes' next edge joins the property's next due time. A
/// pass whose host lost access opens nothing (it comes back if the host does).
pub fn add_guests(
    out: &mut super::Output,
    property: &PropertyConfig,
    passes: &[super::guests::GuestPass],
    now: crate::model::Timestamp,
) {
    let Some(rules) = property.guest_pins.as_ref() else {
        return;
    };
    let (grants, next) = super::guests::desired(passes, &rules.groups, now);
    out.next_due = super::earliest(out.next_due, next);
    let hosts: BTreeSet<&str> = out
        .desired
        .users
        .values()
        .map(|u| u.person_id.as_str())
        .chain(
            out.desired
                .held
                .iter()
                .filter_map(|ext| ext.rsplit(':').next()),
        )
        .collect();
    let mut added = Vec::new();
    for grant in grants {
        if !hosts.contains(grant.host.as_str()) {
            continue;
        }
        let groups: BTreeMap<String, Window> = grant
            .groups
            .iter()
            .map(|g| (g.clone(), grant.window))
            .collect();
        let user = crate::model::DesiredUser {
            person_id: grant.pass_id.clone(),
            name: grant.name.clone(),
            email: None,
            groups,
            revoked_credentials: BTreeSet::new(),
            new_grants: true,
            pin: property.pins.as_ref().map(|_| DesiredPin {
                generation: 1,
                window: grant.window,
            }),
            mobile_key: false,
        };
        let info = super::PersonInfo {
            person_id: grant.pass_id.clone(),
            source: "guests".into(),
            name: grant.name.clone(),
            unit: None,
            kind: "guest".into(),
            status: crate::model::LeaseStatus::Current,
            reason: format!(
                "{} guest PIN requested by {}",
                grant.kind.as_str(),
                grant.host
            ),
        };
        let mark = super::Mark {
            status: crate::model::LeaseStatus::Current,
            since: grant.window.from.unwrap_or(now).min(now),
            unit: None,
            ends: grant
                .groups
                .iter()
                .filter_map(|g| grant.window.until.map(|t| (g.clone(), t)))
                .collect(),
        };
        added.push((grant.external_id, user, info, mark));
    }
    for (ext, user, info, mark) in added {
        out.desired.users.insert(ext.clone(), user);
        out.people.insert(ext.clone(), info);
        out.marks.insert(ext, mark);
    }
}
