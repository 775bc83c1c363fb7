//! The validated `guest_pins:` section of a property (DESIGN §3, guests and prospects): the
//! groups a guest PIN opens and each offered kind's per-resident limits, which
//! `policy::guests::check` applies to every request.

use crate::model::PersonKind;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// What guest PINs a property offers. A kind that is `None` is not offered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GuestPinRules {
    /// The groups every guest PIN opens (each routed to one of the property's access systems).
    pub groups: Vec<String>,
    pub temporary: Option<PassLimit>,
    pub recurring: Option<PassLimit>,
    pub permanent: Option<PassLimit>,
    pub delivery: Option<PassLimit>,
}

/// The per-resident limits of one kind of guest PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PassLimit {
    /// Live PINs of this kind one resident may hold at once.
    pub count: u32,
    /// The longest one may last; `None` for permanent PINs.
    pub max_duration: Option<Duration>,
    /// Recurring PINs: the most weekdays one may be valid on; `None` for other kinds.
    pub days_per_week: Option<u8>,
}

/// The PINs a property issues (the `pins:` section): where they live, to whom, how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinRules {
    /// The access system holding them; its type holds PINs (checked).
    pub system: String,
    /// The kinds of people given a PIN while they have access (guests of `guest_pins` always).
    pub issue_to: BTreeSet<PersonKind>,
    /// Digits per PIN, 4 to 8.
    pub digits: u8,
}

impl PinRules {
    pub const DEFAULT_DIGITS: u8 = 6;
}

/// The mobile keys a property issues (the `mobile_keys:` section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MobileKeyRules {
    /// The access system issuing them; its type issues mobile keys (checked).
    pub system: String,
    /// The kinds of people given one while they have access.
    pub issue_to: BTreeSet<PersonKind>,
}
