//! What a source says about people other than residents: a coworking membership (plans, place,
//! bookings, day passes) and a visit. Facts only; `policy::kinds` turns them into groups and
//! windows.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The kinds of people lockstep knows, each with its own rules (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// The lease table: common groups plus the unit's.
    Resident,
    /// Staff, maintenance, vendors and contractors: groups by role, from start to end date.
    Staff,
    /// Coworking members: plan, location, floor, office, bookings and day passes.
    Member,
    /// Visitors: a time-boxed credential around the expected arrival, until sign-out.
    Visitor,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Resident => "resident",
            PersonKind::Staff => "staff",
            PersonKind::Member => "member",
            PersonKind::Visitor => "visitor",
        }
    }
}

/// A coworking membership as the workspace system (OfficeRnD) describes it. The member's status
/// and `lease_start`/`lease_end` on the record carry the membership's state and its plan dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Names of the plans the member holds now (`Hot Desk`, `Dedicated Desk`).
    #[serde(default)]
    pub plans: Vec<String>,
    /// The location (building) the member belongs to.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub floor: Option<String>,
    /// Private offices the member (or their company) rents.
    #[serde(default)]
    pub offices: Vec<String>,
    /// Meeting-room and desk bookings.
    #[serde(default)]
    pub bookings: Vec<Booking>,
    /// Day passes (credits that open doors for a day each).
    #[serde(default)]
    pub day_passes: Vec<DayPass>,
}

/// One booking of a bookable resource: its doors open for the booking window (plus the
/// property's lead and lag).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Booking {
    pub id: String,
    /// The resource's name as the source gives it (`Board Room`).
    pub resource: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// A cancelled booking grants nothing.
    #[serde(default)]
    pub cancelled: bool,
}

/// A day-pass allowance: its groups are open while passes remain and it is valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DayPass {
    pub id: String,
    /// The pass's plan name (`Day Pass`), mapped to groups by the property.
    pub name: String,
    /// Passes left; 0 = used up.
    pub remaining: u32,
    #[serde(default)]
    pub valid_from: Option<Timestamp>,
    #[serde(default)]
    pub valid_until: Option<Timestamp>,
}

/// A visit as the visitor system (Envoy) or a signed event describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// When the host expects the visitor.
    #[serde(default)]
    pub expected_arrival: Option<Timestamp>,
    #[serde(default)]
    pub signed_in: Option<Timestamp>,
    #[serde(default)]
    pub signed_out: Option<Timestamp>,
    /// Registered in advance by a host (a walk-in is not).
    #[serde(default)]
    pub invited: bool,
    /// An employee coming in through an attestation (Envoy Protect): the employee duration applies.
    #[serde(default)]
    pub employee: bool,
    /// Excluded by the visitor system (blocked, or marked to be left alone): never touched.
    #[serde(default)]
    pub excluded: bool,
}
