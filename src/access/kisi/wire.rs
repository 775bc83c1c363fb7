//! What Kisi sends, as the connector reads it: users, groups, role assignments and card
//! assignments, after the schemas of Kisi's OpenAPI (`fetchUsers`, `fetchGroups`,
//! `fetchRoleAssignments`, `fetchCardAssignments`). Only the fields lockstep needs are read;
//! unknown fields are ignored so Kisi can add fields without breaking lockstep.

use crate::model::ActualUser;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The metadata key holding lockstep's external id.
pub const EXTERNAL_ID_KEY: &str = "lockstep_external_id";
/// The role of a plain group membership (the group role Striveworks' client grants); other
/// group roles (managers) are not memberships to lockstep.
pub const GROUP_BASIC: &str = "group_basic";

/// An id as text. Kisi's schemas say integer; strings are accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawId")]
pub struct Id(pub String);

#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Number(u64),
    Text(String),
}

impl From<RawId> for Id {
    fn from(raw: RawId) -> Id {
        match raw {
            RawId::Number(n) => Id(n.to_string()),
            RawId::Text(s) => Id(s),
        }
    }
}

/// `User` (`fetchUsers`, `createUser`): `id`, `name`, `email` and `metadata` are required there.
#[derive(Debug, Deserialize)]
pub struct UserItem {
    pub id: Id,
    pub name: Option<String>,
    pub email: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

impl UserItem {
    pub fn external_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.get(EXTERNAL_ID_KEY)?.as_str()
    }

    pub fn into_actual(self) -> ActualUser {
        ActualUser {
            external_id: self.external_id().map(str::to_string),
            system_id: self.id.0,
            name: self.name.unwrap_or_default(),
            email: self.email,
            groups: BTreeMap::new(),
            credentials: Vec::new(),
            pin: None,
        }
    }
}

/// `Group` (`fetchGroups`): `id` and `name`.
#[derive(Debug, Deserialize)]
pub struct GroupItem {
    pub id: Id,
    pub name: String,
}

/// The object a role assignment applies to (`applies_to`: Organization, Place or Group), which
/// carries the group's name: held memberships name their groups without a group listing.
#[derive(Debug, Deserialize)]
pub struct Named {
    pub id: Option<Id>,
    pub name: Option<String>,
}

/// `RoleAssignment` (`fetchRoleAssignments`, `createRoleAssignment`). The current fields are
/// `assignee_*` and `applies_to_*`; the deprecated `user_id`/`group_id` are read only when the
/// current ones are absent.
#[derive(Debug, Deserialize)]
pub struct AssignmentItem {
    pub id: Id,
    pub role_id: Option<String>,
    pub assignee_type: Option<String>,
    pub assignee_id: Option<Id>,
    pub applies_to_type: Option<String>,
    pub applies_to_id: Option<Id>,
    pub applies_to: Option<Named>,
    pub user_id: Option<Id>,
    pub group_id: Option<Id>,
}

/// A user's plain membership of a group, as one role assignment states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub assignment: String,
    pub user: String,
    pub group: String,
    /// The group's name when the assignment carries it (`applies_to.name`).
    pub group_name: Option<String>,
}

impl AssignmentItem {
    /// The membership this assignment is, if it is a user's `group_basic` role on a group.
    pub fn membership(&self) -> Option<Membership> {
        let is = |t: &Option<String>, want: &str| t.as_deref().is_none_or(|t| t == want);
        if !is(&self.assignee_type, "User")
            || !is(&self.applies_to_type, "Group")
            || !is(&self.role_id, GROUP_BASIC)
        {
            return None;
        }
        let user = self.assignee_id.as_ref().or(self.user_id.as_ref())?;
        let group = self.applies_to_id.as_ref().or(self.group_id.as_ref())?;
        let group_name = self.applies_to.as_ref().and_then(|a| {
            let same = a.id.as_ref().is_none_or(|id| id == group);
            a.name.clone().filter(|_| same)
        });
        Some(Membership {
            assignment: self.id.0.clone(),
            user: user.0.clone(),
            group: group.0.clone(),
            group_name,
        })
    }
}

/// `CardAssignment` (`fetchCardAssignments`): which card a user holds.
#[derive(Debug, Deserialize)]
pub struct CardAssignmentItem {
    pub card_id: Id,
    pub assignee_type: Option<String>,
    pub assignee_id: Option<Id>,
}

impl CardAssignmentItem {
    /// Whether this assignment gives `user` the card.
    pub fn held_by(&self, user: &str) -> bool {
        self.assignee_type.as_deref().is_none_or(|t| t == "User")
            && self.assignee_id.as_ref().is_some_and(|a| a.0 == user)
    }
}

/// The body of `createRoleAssignment` for a user's plain membership of a group, in the current
/// shape (`assignee_type`, `assignee_id`, `applies_to_type`, `applies_to_id`, `role_id`), and
/// `notify`: whether Kisi e-mails the user about it.
pub fn grant_body(user_id: &str, group_id: &str, notify: bool) -> Value {
    serde_json::json!({"role_assignment": {
        "assignee_type": "User",
        "assignee_id": json_id(user_id),
        "applies_to_type": "Group",
        "applies_to_id": json_id(group_id),
        "role_id": GROUP_BASIC,
        "notify": notify,
    }})
}

/// A JSON id: a number where the text is one, as Kisi's schemas want integers.
pub fn json_id(id: &str) -> Value {
    id.parse::<u64>()
        .map_or_else(|_| serde_json::json!(id), |n| serde_json::json!(n))
}
