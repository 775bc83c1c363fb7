//! The Brivo simulator's in-memory account: users, groups, memberships, credentials and tokens,
//! with the rules the API enforces on them (unique `externalId`, at most 16 groups per user).
//!
//! Every list is kept sorted by id (memberships by group, then user) so pages are stable and a
//! group's members are a binary-searched slice: the bench pages 100k users through this.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Brivo's documented hard limit.
pub const MAX_GROUPS_PER_USER: usize = 16;

/// The vendor's message when a change would exceed the limit (the rule is brivo-apidocs: User -
/// Update user's group memberships; the wording is an assumption).
pub const TOO_MANY_GROUPS: &str = "User cannot belong to more than 16 groups";

/// The refusal of a single assignment into a group linked to one the user is already in
/// (brivo-apidocs: Group - Assign User to Group, third error example).
pub const LINKED_GROUP: &str =
    "User cannot be assigned to the group as its credentials already exist in a linked group";

/// The whole simulated account: what `GET /brivo/_sim/state` returns and `PUT` accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BrivoState {
    pub users: Vec<BrivoUser>,
    pub groups: Vec<BrivoGroup>,
    pub memberships: Vec<BrivoMembership>,
    pub credentials: Vec<BrivoCredential>,
    /// Sets of groups that share credentials ("linked groups"): a member of one group of a set
    /// cannot be assigned to another. How groups get linked is not documented (assumption).
    pub linked_groups: Vec<BTreeSet<u64>>,
    /// Live access tokens → expiry in Unix milliseconds.
    pub access_tokens: BTreeMap<String, u64>,
    /// Refresh tokens not yet used (they rotate: each is good for one refresh; assumption (G)).
    pub refresh_tokens: BTreeSet<String>,
    /// Lifetime of new access tokens; 60 s as in Brivo's docs' example. Tests shorten it.
    pub token_lifetime_secs: u64,
    /// Token grants served, by `grant_type`, so tests can see a refresh happen.
    pub grants: BTreeMap<String, u64>,
    pub next_id: u64,
    /// Whether every list is known to be sorted; false after anything replaced the state.
    #[serde(skip)]
    sorted: bool,
}

impl Default for BrivoState {
    fn default() -> Self {
        BrivoState {
            users: Vec::new(),
            groups: Vec::new(),
            memberships: Vec::new(),
            credentials: Vec::new(),
            linked_groups: Vec::new(),
            access_tokens: BTreeMap::new(),
            refresh_tokens: BTreeSet::new(),
            token_lifetime_secs: 60,
            grants: BTreeMap::new(),
            next_id: 0,
            sorted: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrivoUser {
    pub id: u64,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub suspended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ble_two_factor_exempt: Option<bool>,
    pub emails: Vec<BrivoEmail>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<BrivoPhone>,
    /// The PIN's digits. A simulator may keep them: tests compare them through `/_sim/state`
    /// with what lockstep delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The PIN's validity, ISO 8601 UTC to the second (brivo-apidocs: User - Create new user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<String>,
    /// ISO 8601 UTC to whole seconds, e.g. `2015-04-15T12:00:00Z` (brivo-apidocs: Schema); left
    /// out when unknown, as null fields are (brivo-apidocs: Schema - Empty Values).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrivoEmail {
    pub address: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `{number, type}` (brivo-apidocs: User - Create new user, `phoneNumbers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrivoPhone {
    pub number: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrivoGroup {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BrivoMembership {
    pub group_id: u64,
    pub user_id: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrivoCredential {
    pub id: u64,
    #[serde(rename = "credentialFormat", default)]
    pub credential_format: CredentialFormat,
    #[serde(rename = "referenceId", default)]
    pub reference_id: String,
    /// The user it is assigned to; `None` once unassigned.
    #[serde(default)]
    pub user_id: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialFormat {
    pub id: u64,
    pub name: String,
}

/// Why a membership change was refused; the API turns it into a status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    Invalid(String),
}

impl BrivoState {
    /// Sorts every list once after the state was replaced (`PUT state`, `set_state`).
    pub fn ensure_sorted(&mut self) {
        if self.sorted {
            return;
        }
        self.users.sort_by_key(|u| u.id);
        self.groups.sort_by_key(|g| g.id);
        self.credentials.sort_by_key(|c| c.id);
        self.memberships.sort_unstable();
        self.memberships.dedup();
        self.sorted = true;
    }

    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Marks the lists as possibly unsorted (the state was edited from outside).
    pub fn mark_unsorted(&mut self) {
        self.sorted = false;
    }

    /// A fresh id, above every id in use even if `next_id` was edited down.
    pub fn next_id(&mut self) -> u64 {
        let highest = [
            self.users.last().map(|u| u.id),
            self.groups.last().map(|g| g.id),
            self.credentials.last().map(|c| c.id),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        self.next_id = self.next_id.max(highest) + 1;
        self.next_id
    }

    pub fn user_mut(&mut self, id: u64) -> Option<&mut BrivoUser> {
        let i = self.users.binary_search_by_key(&id, |u| u.id).ok()?;
        Some(&mut self.users[i])
    }

    pub fn user(&self, id: u64) -> Option<&BrivoUser> {
        self.users
            .binary_search_by_key(&id, |u| u.id)
            .ok()
            .map(|i| &self.users[i])
    }

    pub fn group(&self, id: u64) -> Option<&BrivoGroup> {
        self.groups
            .binary_search_by_key(&id, |g| g.id)
            .ok()
            .map(|i| &self.groups[i])
    }

    /// A group's memberships, by ascending user id.
    pub fn members(&self, group_id: u64) -> &[BrivoMembership] {
        let start = self.memberships.partition_point(|m| m.group_id < group_id);
        let end = self.memberships.partition_point(|m| m.group_id <= group_id);
        &self.memberships[start..end]
    }

    /// Group ids a user belongs to, ascending.
    pub fn groups_of(&self, user_id: u64) -> BTreeSet<u64> {
        self.memberships
            .iter()
            .filter(|m| m.user_id == user_id)
            .map(|m| m.group_id)
            .collect()
    }

    /// Changes a user's memberships: removals first, then additions, all or nothing. Adding an
    /// existing membership or removing a missing one is skipped, as Brivo documents.
    pub fn change_groups(
        &mut self,
        user_id: u64,
        add: &[u64],
        remove: &[u64],
    ) -> Result<BTreeSet<u64>, Refusal> {
        // The documented 404 messages (brivo-apidocs: User - Update user's group memberships).
        if self.user(user_id).is_none() {
            return Err(Refusal::NotFound("User not found".into()));
        }
        if add.iter().any(|g| self.group(*g).is_none()) {
            return Err(Refusal::NotFound("Group not found".into()));
        }
        let before = self.groups_of(user_id);
        let mut after = before.clone();
        for g in remove {
            after.remove(g);
        }
        after.extend(add.iter().copied());
        // Only growth is refused, so a user seeded above the limit can still shed groups.
        if after.len() > MAX_GROUPS_PER_USER && after.len() > before.len() {
            return Err(Refusal::Invalid(TOO_MANY_GROUPS.into()));
        }
        for g in before.difference(&after) {
            let m = BrivoMembership {
                group_id: *g,
                user_id,
            };
            if let Ok(i) = self.memberships.binary_search(&m) {
                self.memberships.remove(i);
            }
        }
        for g in after.difference(&before) {
            let m = BrivoMembership {
                group_id: *g,
                user_id,
            };
            if let Err(i) = self.memberships.binary_search(&m) {
                self.memberships.insert(i, m);
            }
        }
        Ok(after)
    }

    /// Whether `user_id` already belongs to a group linked to `group_id` (not `group_id` itself).
    pub fn in_linked_group(&self, user_id: u64, group_id: u64) -> bool {
        let held = self.groups_of(user_id);
        self.linked_groups
            .iter()
            .filter(|set| set.contains(&group_id))
            .any(|set| set.iter().any(|g| *g != group_id && held.contains(g)))
    }

    /// The id of the group with this name, created if missing.
    pub fn group_named(&mut self, name: &str) -> u64 {
        if let Some(g) = self.groups.iter().find(|g| g.name == name) {
            return g.id;
        }
        let id = self.next_id();
        self.groups.push(BrivoGroup {
            id,
            name: name.into(),
        });
        id
    }

    /// Adds a user (id assigned here) and issues them one mobile pass, as a site admin would, so
    /// lost-credential flows have something to revoke. Returns the stored user.
    pub fn add_user(&mut self, mut user: BrivoUser, created: String) -> BrivoUser {
        user.id = self.next_id();
        user.updated = created.clone();
        user.created = created;
        self.users.push(user.clone());
        let id = self.next_id();
        self.credentials.push(BrivoCredential {
            id,
            credential_format: CredentialFormat {
                id: 110,
                name: "Brivo Mobile Pass".into(),
            },
            reference_id: format!("mobile-pass-{}", user.id),
            user_id: Some(user.id),
        });
        user
    }

    /// A user without an external id, found by name or created: somebody an admin made by hand.
    pub fn hand_made(&mut self, first: &str, last: &str, created: &str) -> u64 {
        let existing = self
            .users
            .iter()
            .find(|u| u.external_id.is_none() && u.first_name == first && u.last_name == last);
        match existing {
            Some(u) => u.id,
            None => {
                let user = BrivoUser {
                    first_name: first.into(),
                    last_name: last.into(),
                    ..BrivoUser::default()
                };
                self.add_user(user, created.into()).id
            }
        }
    }
}
