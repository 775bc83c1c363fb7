//! The domain model: people from sources, desired and actual access, actions and plans. No IO.
//!
//! Everything here is plain data with deterministic ordering (`BTreeMap`/`BTreeSet`) so plans,
//! audit entries and snapshots compare and serialise the same way every time.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod action;
mod event;
mod person;
mod pin;
pub use action::{Action, Direction, Plan};
pub use event::{BookingFields, Event, EventBody, PersonFields, VisitFields, VisitStep};
pub use person::{Booking, DayPass, Membership, PersonKind, Visit};
pub use pin::Pin;

/// Seconds since the Unix epoch, UTC. Passed in explicitly; nothing in the model reads a clock.
pub type Timestamp = i64;

/// Where a person stands with the system of record (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseStatus {
    Future,
    Current,
    Notice,
    Past,
}

impl LeaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseStatus::Future => "future",
            LeaseStatus::Current => "current",
            LeaseStatus::Notice => "notice",
            LeaseStatus::Past => "past",
        }
    }

    /// Whether a person in this status should hold access (before overrides and delays).
    pub fn has_access(self) -> bool {
        matches!(self, LeaseStatus::Current | LeaseStatus::Notice)
    }
}

impl fmt::Display for LeaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LeaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "future" => Ok(LeaseStatus::Future),
            "current" => Ok(LeaseStatus::Current),
            "notice" => Ok(LeaseStatus::Notice),
            "past" | "former" => Ok(LeaseStatus::Past),
            other => Err(format!(
                "unknown status {other:?} (expected future, current, notice or past)"
            )),
        }
    }
}

/// One person as a source reports them, normalised across vendors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    pub status: LeaseStatus,
    /// `None` or `"resident"` for residents; staff roles (`"maintenance"`, `"staff"`, …) map to groups.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub lease_start: Option<Timestamp>,
    #[serde(default)]
    pub lease_end: Option<Timestamp>,
    /// A coworking member's plans, place, bookings and day passes (workspace sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<Box<Membership>>,
    /// A visitor's visit (visitor systems, signed events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<Visit>,
}

impl PersonRecord {
    /// Which rules apply: a visit makes a visitor, a membership a member, a role other than
    /// `resident` a member of staff. `lease_start`/`lease_end` are the start and end of the
    /// entitlement whatever the kind (lease, contract, plan).
    pub fn kind(&self) -> PersonKind {
        if self.visit.is_some() {
            PersonKind::Visitor
        } else if self.membership.is_some() {
            PersonKind::Member
        } else {
            match self.role.as_deref() {
                None | Some("resident") => PersonKind::Resident,
                Some(_) => PersonKind::Staff,
            }
        }
    }
}

/// What one fetch of one property's people returned, with what the source said about its size
/// so the completeness gate can tell a short read from a real shrink.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSnapshot {
    pub people: Vec<PersonRecord>,
    /// The total the source claimed, when its protocol reports one.
    pub reported_total: Option<usize>,
    /// People the source listed but lockstep could not read (e.g. a status word nobody maps).
    /// They are not in `people`; their access is held exactly as observed.
    pub problems: Vec<RecordProblem>,
}

impl SourceSnapshot {
    /// Everyone the source listed, readable or not: the size the completeness gate compares.
    pub fn listed(&self) -> usize {
        self.people.len() + self.held_people().len()
    }

    /// Ids of the people whose access must be held as observed this cycle.
    pub fn held_people(&self) -> BTreeSet<String> {
        self.problems.iter().map(|p| p.person_id.clone()).collect()
    }
}

/// One person a source listed whose record lockstep cannot act on. A problem for that person
/// only: never a reason to skip the property or to revoke.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordProblem {
    pub person_id: String,
    /// Bounded label for metrics, e.g. `unknown_status`.
    pub kind: String,
    /// What was wrong, in words, e.g. `unknown Status "Hold"`.
    pub detail: String,
}

impl RecordProblem {
    pub const UNKNOWN_STATUS: &'static str = "unknown_status";
}

/// A validity window. `None` on either side means open.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Window {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

impl Window {
    pub const OPEN: Window = Window {
        from: None,
        until: None,
    };
}

/// The external id lockstep stamps on every user it creates: `lockstep:<source>:<person-id>`.
pub fn external_id(source: &str, person_id: &str) -> String {
    format!("{EXTERNAL_ID_PREFIX}{source}:{person_id}")
}

pub const EXTERNAL_ID_PREFIX: &str = "lockstep:";

/// Whether an access-system user was created by lockstep, judged by its external id alone.
pub fn is_owned_external_id(external_id: Option<&str>) -> bool {
    external_id.is_some_and(|id| id.starts_with(EXTERNAL_ID_PREFIX))
}

/// Which groups of an access system a property's config lets lockstep manage. Memberships in any
/// other group are never touched, even for users lockstep owns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedGroups {
    pub names: BTreeSet<String>,
    /// Name patterns with one `{unit}` placeholder, stored as (prefix, suffix).
    pub patterns: Vec<(String, String)>,
}

impl ManagedGroups {
    pub fn contains(&self, group: &str) -> bool {
        self.names.contains(group)
            || self
                .patterns
                .iter()
                .any(|(prefix, suffix)| fills_pattern(prefix, suffix, group))
    }
}

/// Whether `group` is what a `{unit}` pattern split into `prefix` and `suffix` makes for some
/// non-empty unit (`Unit 101` for `Unit {unit}`).
pub fn fills_pattern(prefix: &str, suffix: &str, group: &str) -> bool {
    group.len() > prefix.len() + suffix.len()
        && group.starts_with(prefix)
        && group.ends_with(suffix)
}

/// `fills_pattern` for a pattern as written, with its one `{unit}` placeholder.
pub fn unit_pattern_makes(pattern: &str, group: &str) -> bool {
    pattern
        .split_once("{unit}")
        .is_some_and(|(prefix, suffix)| fills_pattern(prefix, suffix, group))
}

/// The access one person should hold in one access system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredUser {
    pub person_id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Group name → validity window (already reduced to what the system can express).
    pub groups: BTreeMap<String, Window>,
    /// Credential ids reported lost or stolen: kept unassigned whatever else happens.
    /// `"*"` stands for every credential the user holds.
    #[serde(default)]
    pub revoked_credentials: BTreeSet<String>,
    /// `false` while the person waits for the activation delay: memberships they already hold
    /// in `groups` are kept, nothing new is created or added.
    #[serde(default = "yes")]
    pub new_grants: bool,
    /// The PIN the person should hold: its generation (1 on first issue, one more per
    /// replacement after a loss) and window. `None`: no PIN from lockstep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<DesiredPin>,
    /// The person should hold a mobile key (a BLE/NFC phone credential) in this system.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mobile_key: bool,
}

/// A PIN lockstep should have issued to a person. Never the value: that exists only between the
/// draw and the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredPin {
    pub generation: u32,
    #[serde(default)]
    pub window: Window,
}

fn yes() -> bool {
    true
}

/// Desired state of one property in one access system, keyed by external id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    pub users: BTreeMap<String, DesiredUser>,
    pub managed: ManagedGroups,
    /// External ids whose access `plan` leaves exactly as observed: no removal, no addition, no
    /// creation. The source listed these people but could not say what they should hold.
    #[serde(default)]
    pub held: BTreeSet<String>,
    /// Sources whose fetch failed this cycle: every user whose external id they made is held
    /// (`lockstep:<source>:`), since nothing is known about them.
    #[serde(default)]
    pub held_sources: BTreeSet<String>,
    /// No removal at all this cycle (grants still flow): a source of a property that links
    /// people across sources failed, so nobody's full entitlement is known.
    #[serde(default)]
    pub hold_removals: bool,
    /// (external id, group) memberships lockstep itself granted. Memberships in these groups
    /// stay revocable after the group leaves `managed` (pruning); nothing else outside
    /// `managed` is ever touched.
    #[serde(default)]
    pub owned_grants: BTreeSet<(String, String)>,
    /// (external id, group) memberships whose window ended at a time lockstep knew in advance
    /// (a contract end date, a booking, a visit): their removal is an expiration, not counted
    /// by the blast-radius guard and not waiting for approval.
    #[serde(default)]
    pub expected_ends: BTreeSet<(String, String)>,
    /// External id → the generation of the PIN lockstep last issued and delivered in this
    /// system. Only a PIN lockstep issued is ever cleared; a PIN set by hand is left alone.
    #[serde(default)]
    pub issued_pins: BTreeMap<String, u32>,
    /// External id → the vendor's id of the mobile key lockstep issued in this system. Only a
    /// key lockstep issued is ever revoked for not being wanted.
    #[serde(default)]
    pub issued_keys: BTreeMap<String, String>,
}

impl DesiredState {
    /// Whether `plan` must leave this user exactly as observed.
    pub fn is_held(&self, external_id: &str) -> bool {
        self.held.contains(external_id)
            || source_of(external_id).is_some_and(|s| self.held_sources.contains(s))
    }

    /// Whether an action is the removal of a membership whose known window has ended, or the
    /// clearing of the PIN of a person whose known window ended (a guest pass, a visit).
    pub fn expires(&self, action: &Action) -> bool {
        match action {
            Action::RemoveFromGroup {
                external_id, group, ..
            } => self
                .expected_ends
                .contains(&(external_id.clone(), group.clone())),
            Action::RevokePin { external_id, .. } => {
                self.expected_ends.iter().any(|(ext, _)| ext == external_id)
            }
            _ => false,
        }
    }

    /// Whether a membership may be removed when nobody should hold it: a managed group, or one
    /// lockstep granted this user itself.
    pub fn may_revoke(&self, external_id: &str, group: &str) -> bool {
        self.managed.contains(group)
            || self
                .owned_grants
                .contains(&(external_id.to_string(), group.to_string()))
    }
}

/// `lockstep:<source>:<person>` → `<source>`.
pub fn source_of(external_id: &str) -> Option<&str> {
    external_id
        .strip_prefix(EXTERNAL_ID_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(source, _)| source)
}

/// A membership as observed in an access system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualMembership {
    /// The vendor's id for the membership itself, where it has one (Kisi role assignments).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub window: Window,
}

/// A credential (card, fob, mobile key) as observed on a user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActualCredential {
    pub id: String,
    /// Vendor's format or type name, e.g. `mifare_desfire`.
    pub kind: String,
}

/// A user as observed in an access system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualUser {
    /// The vendor's id for the user.
    pub system_id: String,
    #[serde(default)]
    pub external_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Group name → membership.
    pub groups: BTreeMap<String, ActualMembership>,
    #[serde(default)]
    pub credentials: Vec<ActualCredential>,
    /// The validity of the PIN the user holds, if they hold one. Never its value: connectors
    /// drop the digits the moment they read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<Window>,
}

impl ActualUser {
    pub fn is_owned(&self) -> bool {
        is_owned_external_id(self.external_id.as_deref())
    }
}

/// Actual state of one access system as seen for one property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualState {
    /// Owned users by external id. Foreign users are kept apart and never planned on.
    pub users: BTreeMap<String, ActualUser>,
    /// Further accounts carrying an external id already in `users` (made by hand, or by a
    /// create whose answer was lost). Reported, and reconciled for revocations like the first.
    #[serde(default)]
    pub duplicates: BTreeMap<String, Vec<ActualUser>>,
    /// How many users without a lockstep external id were seen (for status only).
    pub foreign_users: usize,
    /// Group name → the vendor's group id.
    pub groups: BTreeMap<String, String>,
    /// The vendor could not list everything (Kisi past its offset cap): `users` holds only
    /// users with a membership in the scope, `groups` only the groups asked for.
    #[serde(default)]
    pub partial: bool,
}

impl ActualState {
    /// Sorts observed users into owned (by external id) and foreign.
    pub fn from_users(users: Vec<ActualUser>, groups: BTreeMap<String, String>) -> ActualState {
        let mut state = ActualState {
            groups,
            ..ActualState::default()
        };
        for user in users {
            match user.external_id.clone() {
                Some(id) if user.is_owned() => state.insert_owned(id, user),
                _ => state.foreign_users += 1,
            }
        }
        state
    }

    /// Adds an owned user; a second account with the same external id becomes a duplicate,
    /// the account with the smallest vendor id staying first so the choice is stable.
    pub fn insert_owned(&mut self, external_id: String, user: ActualUser) {
        match self.users.get_mut(&external_id) {
            None => {
                self.users.insert(external_id, user);
            }
            Some(first) => {
                let extra = if user.system_id < first.system_id {
                    std::mem::replace(first, user)
                } else {
                    user
                };
                let copies = self.duplicates.entry(external_id).or_default();
                copies.push(extra);
                copies.sort_by(|a, b| a.system_id.cmp(&b.system_id));
            }
        }
    }

    /// Number of managed memberships held by owned users (duplicates included): the base of
    /// percentage guards, counted before anything of the cycle is applied.
    pub fn grant_count(&self, managed: &ManagedGroups) -> usize {
        self.users
            .values()
            .chain(self.duplicates.values().flatten())
            .map(|u| u.groups.keys().filter(|g| managed.contains(g)).count())
            .sum()
    }
}

/// What an access system can express. The planner reduces desired state to fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Memberships can carry a start and end time.
    pub time_windows: bool,
    /// Users can hold a PIN.
    pub pins: bool,
    /// Lockstep can issue a user a mobile key (a phone credential) and the vendor invites the
    /// person to set it up.
    pub mobile_keys: bool,
    /// Credentials (cards, fobs) can be listed and unassigned per user.
    pub credentials: bool,
    /// The vendor's hard limit on groups per user, if any (Brivo: 16).
    pub max_groups_per_user: Option<usize>,
}
