//! The `guest_pins:` section of a property as typed: what a resident's guest PIN opens and the
//! per-resident limits of each kind, checked in `validate::guests`.

use schemars::JsonSchema;
use serde::Deserialize;

/// Guest and prospect PINs a resident may request (SmartRent-style). A kind left out is not
/// offered.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGuestPins {
    /// The groups a guest PIN opens; each must be routed to one of the property's access systems.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Guests staying a while: `{count, max_duration}`.
    pub temporary: Option<RawPassLimit>,
    /// Regular visitors on some weekdays: `{count, max_duration, days_per_week}`.
    pub recurring: Option<RawPassLimit>,
    /// PINs without an end: `{count}`.
    pub permanent: Option<RawPassLimit>,
    /// Couriers: `{count, max_duration}` (at most 24h).
    pub delivery: Option<RawPassLimit>,
}

/// The limits of one kind of guest PIN, per resident.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPassLimit {
    /// How many live PINs of this kind one resident may hold (1 to 50).
    pub count: Option<i64>,
    /// The longest a PIN of this kind may last (e.g. 7d; delivery at most 24h).
    pub max_duration: Option<String>,
    /// Recurring only: on how many weekdays a PIN may be valid (1 to 7, default 7).
    pub days_per_week: Option<i64>,
}

/// PINs lockstep issues to a property's people: the community PIN on move-in and the PINs
/// behind guest passes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPins {
    /// The access system that holds the PINs (it must be one whose type holds PINs: brivo).
    /// Default: the property's only access system of such a type.
    pub system: Option<String>,
    /// The kinds of people given a PIN while they have access: resident, staff, member,
    /// visitor. Default: [resident]. Guests of `guest_pins` always get one.
    pub issue_to: Option<Vec<String>>,
    /// How many digits a PIN has (4 to 8, default 6).
    pub digits: Option<i64>,
}

/// Mobile keys lockstep issues on move-in: a phone credential the vendor invites the person to
/// set up.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMobileKeys {
    /// The access system that issues them (one whose type issues mobile keys: openpath).
    /// Default: the property's only access system of such a type.
    pub system: Option<String>,
    /// The kinds of people given one while they have access: resident, staff, member,
    /// visitor. Default: [resident].
    pub issue_to: Option<Vec<String>>,
}
