//! Corrective steps and the plan that orders them: the output of `plan`, the input of the
//! executor and the suggestions. Plain data, no IO.

use super::Window;
use serde::{Deserialize, Serialize};

/// Whether an action gives or takes access. Revocations always run first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Revoke,
    Grant,
}

/// One corrective step. Variants are ordered so that sorting puts revocations first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    RemoveFromGroup {
        external_id: String,
        person_id: String,
        group: String,
        /// The vendor id of the account to act on when several carry the external id; `None`:
        /// the first (see `ActualState::duplicates`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    RevokeCredential {
        external_id: String,
        person_id: String,
        credential_id: String,
    },
    /// Clears the PIN lockstep issued (the person lost their entitlement to one).
    RevokePin {
        external_id: String,
        person_id: String,
    },
    CreateUser {
        external_id: String,
        person_id: String,
        name: String,
        email: Option<String>,
    },
    AddToGroup {
        external_id: String,
        person_id: String,
        group: String,
        window: Window,
    },
    /// Membership exists but its window differs; the executor re-applies it.
    SetWindow {
        external_id: String,
        person_id: String,
        group: String,
        window: Window,
    },
    /// Issues a fresh PIN (generation `generation` of the person's PIN): the executor draws it,
    /// sets it in the access system and delivers it; the value is never part of the plan.
    IssuePin {
        external_id: String,
        person_id: String,
        generation: u32,
        window: Window,
    },
    /// Issues a mobile key (a phone credential) valid for `window`; the vendor invites the
    /// person to set it up on their phone.
    IssueMobileKey {
        external_id: String,
        person_id: String,
        window: Window,
    },
}

impl Action {
    pub fn direction(&self) -> Direction {
        match self {
            Action::RemoveFromGroup { .. }
            | Action::RevokeCredential { .. }
            | Action::RevokePin { .. } => Direction::Revoke,
            _ => Direction::Grant,
        }
    }

    /// Bounded label for metrics and audit filters.
    pub fn name(&self) -> &'static str {
        match self {
            Action::RemoveFromGroup { .. } => "remove_from_group",
            Action::RevokeCredential { .. } => "revoke_credential",
            Action::CreateUser { .. } => "create_user",
            Action::AddToGroup { .. } => "add_to_group",
            Action::SetWindow { .. } => "set_window",
            Action::RevokePin { .. } => "revoke_pin",
            Action::IssuePin { .. } => "issue_pin",
            Action::IssueMobileKey { .. } => "issue_mobile_key",
        }
    }

    pub fn external_id(&self) -> &str {
        match self {
            Action::RemoveFromGroup { external_id, .. }
            | Action::RevokeCredential { external_id, .. }
            | Action::CreateUser { external_id, .. }
            | Action::AddToGroup { external_id, .. }
            | Action::SetWindow { external_id, .. }
            | Action::RevokePin { external_id, .. }
            | Action::IssuePin { external_id, .. }
            | Action::IssueMobileKey { external_id, .. } => external_id,
        }
    }

    pub fn person_id(&self) -> &str {
        match self {
            Action::RemoveFromGroup { person_id, .. }
            | Action::RevokeCredential { person_id, .. }
            | Action::CreateUser { person_id, .. }
            | Action::AddToGroup { person_id, .. }
            | Action::SetWindow { person_id, .. }
            | Action::RevokePin { person_id, .. }
            | Action::IssuePin { person_id, .. }
            | Action::IssueMobileKey { person_id, .. } => person_id,
        }
    }

    /// The group or credential the action touches, for audit and display.
    pub fn object(&self) -> &str {
        match self {
            Action::RemoveFromGroup { group, .. }
            | Action::AddToGroup { group, .. }
            | Action::SetWindow { group, .. } => group,
            Action::RevokeCredential { credential_id, .. } => credential_id,
            Action::RevokePin { .. } | Action::IssuePin { .. } => "pin",
            Action::IssueMobileKey { .. } => "mobile key",
            Action::CreateUser { .. } => "",
        }
    }

    /// A short human description, e.g. `add 12 to "Unit 101"`.
    pub fn describe(&self) -> String {
        match self {
            Action::RemoveFromGroup {
                person_id, group, ..
            } => {
                format!("remove {person_id} from {group:?}")
            }
            Action::RevokeCredential {
                person_id,
                credential_id,
                ..
            } => format!("revoke credential {credential_id} of {person_id}"),
            Action::CreateUser { person_id, .. } => format!("create user for {person_id}"),
            Action::AddToGroup {
                person_id, group, ..
            } => format!("add {person_id} to {group:?}"),
            Action::SetWindow {
                person_id, group, ..
            } => {
                format!("set validity of {person_id} in {group:?}")
            }
            Action::RevokePin { person_id, .. } => format!("clear the PIN of {person_id}"),
            Action::IssuePin {
                person_id,
                generation,
                ..
            } => format!("issue PIN #{generation} to {person_id}"),
            Action::IssueMobileKey { person_id, .. } => {
                format!("issue a mobile key to {person_id}")
            }
        }
    }
}

/// The output of `plan`: what to do, in order, and what cannot be done as asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Desired access that the system cannot hold (unknown group, group limit exceeded).
    pub problems: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn revocations(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(|a| a.direction() == Direction::Revoke)
    }

    pub fn grants(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(|a| a.direction() == Direction::Grant)
    }
}
