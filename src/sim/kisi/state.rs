//! The Kisi simulator's in-memory state: users, groups, role assignments and cards.
//!
//! This is exactly what `GET /kisi/_sim/state` returns and `PUT /kisi/_sim/state` accepts. Every
//! object draws its integer id from one counter (`next_id`), so ids never repeat across kinds.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The role a plain group membership carries (Striveworks' client uses it).
pub const GROUP_BASIC: &str = "group_basic";

/// The whole simulated Kisi organisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KisiState {
    pub users: Vec<SimUser>,
    pub groups: Vec<SimGroup>,
    pub role_assignments: Vec<SimRoleAssignment>,
    pub cards: Vec<SimCard>,
    /// The next id to hand out; raised past the largest id present if a PUT left it behind.
    pub next_id: u64,
    /// Whether `next_id` has been checked against the ids present since the state was loaded.
    #[serde(skip)]
    pub(crate) ids_checked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimUser {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    pub email: String,
    #[serde(default = "yes")]
    pub access_enabled: bool,
    /// Flat: string, number, boolean or null values only; at most 50 keys (as Kisi documents).
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub created_at: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimGroup {
    pub id: u64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_id: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimRoleAssignment {
    pub id: u64,
    pub user_id: u64,
    pub group_id: u64,
    #[serde(default = "group_basic")]
    pub role_id: String,
    /// Whether the request asked Kisi to e-mail the user (`createRoleAssignment`'s `notify`).
    #[serde(default)]
    pub notify: bool,
}

fn group_basic() -> String {
    GROUP_BASIC.to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimCard {
    pub id: u64,
    /// 6–16 hex characters.
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The holder; `None` once the card is unassigned.
    #[serde(default)]
    pub user_id: Option<u64>,
}

/// Why a write was refused; the API turns these into Kisi's error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 422 with Kisi's validation map `{"errors":{field:[message]}}`.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// 404.
    Missing(String),
}

impl Refusal {
    pub fn invalid(field: &'static str, message: &str) -> Refusal {
        Refusal::Invalid {
            field,
            message: message.to_string(),
        }
    }
}

/// What `create_user` needs (the body of `POST /users`, already read).
#[derive(Debug, Clone, Default)]
pub struct UserFields {
    pub email: String,
    pub name: String,
    pub access_enabled: bool,
    pub metadata: BTreeMap<String, serde_json::Value>,
    pub notes: Option<String>,
}

/// Equality of what the control plane shows: the id bookkeeping flag is not state.
impl PartialEq for KisiState {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.users,
            &self.groups,
            &self.role_assignments,
            &self.cards,
            self.next_id,
        ) == (
            &other.users,
            &other.groups,
            &other.role_assignments,
            &other.cards,
            other.next_id,
        )
    }
}

impl KisiState {
    /// A fresh id, never one already in use (a PUT may have set `next_id` too low).
    pub fn alloc_id(&mut self) -> u64 {
        if self.ids_checked {
            self.next_id += 1;
            return self.next_id - 1;
        }
        self.ids_checked = true;
        let highest = self
            .users
            .iter()
            .map(|u| u.id)
            .chain(self.groups.iter().map(|g| g.id))
            .chain(self.role_assignments.iter().map(|r| r.id))
            .chain(self.cards.iter().map(|c| c.id))
            .max()
            .unwrap_or(0);
        let id = self.next_id.max(highest + 1);
        self.next_id = id + 1;
        id
    }

    pub fn user(&self, id: u64) -> Option<&SimUser> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, id: u64) -> Option<&SimGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The id of the group called `name`, creating it if missing.
    pub fn ensure_group(&mut self, name: &str) -> u64 {
        if let Some(g) = self.groups.iter().find(|g| g.name == name) {
            return g.id;
        }
        let id = self.alloc_id();
        self.groups.push(SimGroup {
            id,
            name: name.to_string(),
            place_id: None,
        });
        id
    }

    /// Creates a user and, simulating Kisi's invitation, one mobile credential for them.
    /// Emails are unique, compared case-insensitively (assumption (G): Kisi keys users by email).
    pub fn create_user(&mut self, fields: UserFields, now: &str) -> Result<SimUser, Refusal> {
        let email = fields.email.trim();
        if email.is_empty() || !email.contains('@') {
            return Err(Refusal::invalid("email", "can't be blank or invalid"));
        }
        if self
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(email))
        {
            // assumption: the wording of the uniqueness error (the spec shows only blank/invalid).
            return Err(Refusal::invalid("email", "has already been taken"));
        }
        if fields.metadata.len() > 50 {
            return Err(Refusal::invalid("metadata", "holds more than 50 keys"));
        }
        if fields
            .metadata
            .values()
            .any(|v| v.is_object() || v.is_array())
        {
            return Err(Refusal::invalid("metadata", "must be flat"));
        }
        let user = SimUser {
            id: self.alloc_id(),
            name: fields.name,
            email: email.to_string(),
            access_enabled: fields.access_enabled,
            metadata: fields.metadata,
            notes: fields.notes,
            created_at: now.to_string(),
        };
        self.users.push(user.clone());
        let card_id = self.alloc_id();
        self.cards.push(SimCard {
            id: card_id,
            uid: card_uid(card_id),
            // assumption (G): a mobile key shows up as a card of this type.
            kind: "mobile".into(),
            user_id: Some(user.id),
        });
        Ok(user)
    }

    /// Assigns a role on a group to a user. A second assignment of the same user to the same
    /// group (whatever the role) is refused with "already assigned", as Kisi refuses duplicates.
    pub fn assign(
        &mut self,
        user_id: u64,
        group_id: u64,
        role_id: &str,
        notify: bool,
    ) -> Result<SimRoleAssignment, Refusal> {
        if !role_id.starts_with("group_") {
            return Err(Refusal::invalid("role_id", "is not a group role"));
        }
        if self.user(user_id).is_none() {
            return Err(Refusal::Missing(format!("user {user_id} not found")));
        }
        if self.group(group_id).is_none() {
            return Err(Refusal::Missing(format!("group {group_id} not found")));
        }
        let duplicate = self
            .role_assignments
            .iter()
            .any(|r| r.user_id == user_id && r.group_id == group_id);
        if duplicate {
            // assumption: a duplicate is a validation error on the assignee.
            return Err(Refusal::invalid("assignee_id", "has already been taken"));
        }
        let assignment = SimRoleAssignment {
            id: self.alloc_id(),
            user_id,
            group_id,
            role_id: role_id.to_string(),
            notify,
        };
        self.role_assignments.push(assignment.clone());
        Ok(assignment)
    }

    /// Finds a user by email, or creates one by hand (no lockstep metadata): seeding only.
    pub fn ensure_hand_made_user(&mut self, name: &str, email: &str, now: &str) -> Option<u64> {
        if let Some(u) = self.users.iter().find(|u| u.email == email) {
            return Some(u.id);
        }
        let fields = UserFields {
            email: email.to_string(),
            name: name.to_string(),
            access_enabled: true,
            metadata: BTreeMap::new(),
            notes: Some("added by hand in the Kisi dashboard".into()),
        };
        self.create_user(fields, now).ok().map(|u| u.id)
    }
}

/// A deterministic 10-hex-digit uid for a card id.
fn card_uid(id: u64) -> String {
    format!("{:010X}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 24)
}
