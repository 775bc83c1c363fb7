//! The validated rules for coworking members and visitors (DESIGN §3): which facts open which
//! groups, and the durations around bookings and visits.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Coworking members: plan, location, floor and office groups for the membership's dates;
/// a booked resource's groups for the booking (widened by lead and lag); a day-pass plan's
/// groups while passes remain and are valid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRules {
    pub plans: BTreeMap<String, Vec<String>>,
    pub locations: BTreeMap<String, Vec<String>>,
    pub floors: BTreeMap<String, Vec<String>>,
    pub offices: BTreeMap<String, Vec<String>>,
    pub resources: BTreeMap<String, Vec<String>>,
    pub day_passes: BTreeMap<String, Vec<String>>,
    pub booking_lead: Duration,
    pub booking_lag: Duration,
}

impl Default for MemberRules {
    fn default() -> Self {
        MemberRules {
            plans: BTreeMap::new(),
            locations: BTreeMap::new(),
            floors: BTreeMap::new(),
            offices: BTreeMap::new(),
            resources: BTreeMap::new(),
            day_passes: BTreeMap::new(),
            booking_lead: Duration::from_secs(600),
            booking_lag: Duration::from_secs(600),
        }
    }
}

impl MemberRules {
    /// Every table with its config key, for group lists and routing checks.
    pub fn tables(&self) -> [(&'static str, &BTreeMap<String, Vec<String>>); 6] {
        [
            ("plans", &self.plans),
            ("locations", &self.locations),
            ("floors", &self.floors),
            ("offices", &self.offices),
            ("resources", &self.resources),
            ("day_passes", &self.day_passes),
        ]
    }

    /// Every group a member can be granted.
    pub fn groups(&self) -> impl Iterator<Item = &String> {
        self.tables()
            .into_iter()
            .flat_map(|(_, t)| t.values().flatten())
    }
}

/// Visitors: `groups` open from `early_access` before the expected arrival for
/// `access_duration` (`employee_access_duration` for employees through an attestation), or until
/// sign-out; with `invite_required`, walk-ins get nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitorRules {
    pub groups: Vec<String>,
    pub early_access: Duration,
    pub access_duration: Duration,
    pub invite_required: bool,
    pub employee_access_duration: Duration,
}

impl Default for VisitorRules {
    fn default() -> Self {
        VisitorRules {
            groups: Vec::new(),
            early_access: Duration::from_secs(15 * 60),
            access_duration: Duration::from_secs(4 * 3600),
            invite_required: false,
            employee_access_duration: Duration::from_secs(10 * 3600),
        }
    }
}
