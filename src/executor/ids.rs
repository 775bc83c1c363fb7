//! The vendor ids an apply works with: known from the observation, extended by what the apply
//! creates, and the notification state of its grants.

use crate::model::ActualState;
use std::collections::{BTreeMap, BTreeSet};

/// Vendor ids known from the observation, extended by what this cycle created.
pub(super) struct Ids {
    /// External id → the vendor's id of its (first) account.
    pub(super) users: BTreeMap<String, String>,
    pub(super) groups: BTreeMap<String, String>,
    /// (vendor user id, group) → the vendor's membership id, where it has one.
    pub(super) memberships: BTreeMap<(String, String), Option<String>>,
    /// Fingerprints of the property's live PINs, read once per apply when a PIN is issued.
    pub(super) live_pins: Option<BTreeSet<String>>,
    /// External id → the fingerprint of the PIN just issued, for its outcome.
    pub(super) pins: BTreeMap<String, String>,
    /// External ids whose user this apply created (their `CreateUser` succeeded).
    pub(super) created: BTreeSet<String>,
    /// External ids a grant of this apply has already notified.
    pub(super) notified: BTreeSet<String>,
    /// External ids whose user an earlier apply created and no grant has notified yet (the
    /// `invites` tree, read at the start of an apply under the `default` policy).
    pub(super) owed: BTreeSet<String>,
}

impl From<&ActualState> for Ids {
    fn from(actual: &ActualState) -> Ids {
        let mut memberships = BTreeMap::new();
        for user in actual
            .users
            .values()
            .chain(actual.duplicates.values().flatten())
        {
            for (group, m) in &user.groups {
                memberships.insert((user.system_id.clone(), group.clone()), m.id.clone());
            }
        }
        Ids {
            users: actual
                .users
                .iter()
                .map(|(ext, u)| (ext.clone(), u.system_id.clone()))
                .collect(),
            groups: actual.groups.clone(),
            memberships,
            live_pins: None,
            pins: BTreeMap::new(),
            created: Default::default(),
            notified: Default::default(),
            owed: Default::default(),
        }
    }
}
