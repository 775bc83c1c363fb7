//! The `members:` and `visitors:` sections of a property as typed: the rules for coworking
//! members and visitors, checked in `validate::kinds`.

use super::unique_keys;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Coworking members: which plans, locations, floors, offices, bookable resources and day-pass
/// plans open which groups.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMembers {
    #[serde(default, deserialize_with = "unique_keys")]
    pub plans: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub locations: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub floors: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub offices: BTreeMap<String, Vec<String>>,
    /// Bookable resource (meeting room) → groups open for the booking.
    #[serde(default, deserialize_with = "unique_keys")]
    pub resources: BTreeMap<String, Vec<String>>,
    /// Day-pass plan → groups open while passes remain and are valid.
    #[serde(default, deserialize_with = "unique_keys")]
    pub day_passes: BTreeMap<String, Vec<String>>,
    /// How long before a booking its doors open (default 10m).
    pub booking_lead: Option<String>,
    /// How long after a booking its doors stay open (default 10m).
    pub booking_lag: Option<String>,
}

/// Visitors: the groups a visitor's credential opens, and when.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVisitors {
    #[serde(default)]
    pub groups: Vec<String>,
    /// Access opens this long before the expected arrival (default 15m).
    pub early_access: Option<String>,
    /// Access lasts this long after arrival (default 4h), or until sign-out.
    pub access_duration: Option<String>,
    /// Refuse walk-ins: only visitors a host invited get access (default false).
    pub invite_required: Option<bool>,
    /// Access for employees coming in through an attestation (default 10h).
    pub employee_access_duration: Option<String>,
}
