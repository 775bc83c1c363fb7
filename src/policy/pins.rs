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
