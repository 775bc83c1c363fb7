//! The simulated Openpath organisation: users, groups, memberships, credentials and tokens, and
//! the JSON each object answers with (field names and nullability from openpath-swagger's
//! schemas for `listUsers`, `listGroups`, `listUserGroups` and `listCredentials`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The mobile credential type a created user is issued (Asmbly's client creates mobile
/// credentials with `credentialTypeId: 1`; the names are assumptions).
pub const MOBILE_TYPE: (u64, &str, &str) = (1, "Openpath Mobile", "openpathMobile");

/// A card type beside it, so `listCredentialTypes` lists more than the mobile one
/// (assumption: the name; openpath-swagger's examples list card credentials).
pub const CARD_TYPE: (u64, &str, &str) = (4, "Wiegand Card", "card");

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OpUser {
    pub id: u64,
    /// `I`, `A` or `S` (the schema's enum).
    pub status: String,
    pub external_id: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OpGroup {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OpCredential {
    pub id: u64,
    pub user_id: u64,
    pub type_id: u64,
    pub type_name: String,
    pub model_name: String,
    pub created_at: String,
    /// `startDate`/`endDate` as `createCredential` was given them (dates).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// How many times `setupMobileCredential` e-mailed the person for this credential.
    pub setup_emails: u32,
}

/// The whole organisation; what `GET /openpath/_sim/state` returns and `PUT` accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenpathState {
    pub users: Vec<OpUser>,
    pub groups: Vec<OpGroup>,
    /// `(user id, group id)`.
    pub memberships: BTreeSet<(u64, u64)>,
    pub credentials: Vec<OpCredential>,
    pub next_id: u64,
    /// Issued JWTs → expiry (ms since the epoch).
    pub tokens: BTreeMap<String, u64>,
    /// Lifetime of issued tokens; 0 means the default (assumption: 14 days, as a public
    /// client's recorded `expiresAt` suggests).
    pub token_lifetime_secs: u64,
    /// `login` and `refreshLogin` answers given, for tests.
    pub logins: u64,
    pub refreshes: u64,
    /// Test knob: `listUsers` items leave `groups` out (no schema field is required but `id`).
    pub omit_user_groups: bool,
}

impl OpenpathState {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user(&self, id: u64) -> Option<&OpUser> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, id: u64) -> Option<&OpGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The group of that name, created if missing.
    pub fn group_named(&mut self, name: &str, created_at: &str) -> u64 {
        if let Some(g) = self.groups.iter().find(|g| g.name == name) {
            return g.id;
        }
        let id = self.next_id();
        self.groups.push(OpGroup {
            id,
            name: name.into(),
            description: None,
            created_at: created_at.into(),
        });
        id
    }

    /// The groups a user belongs to, by id.
    pub fn groups_of(&self, user: u64) -> Vec<&OpGroup> {
        self.memberships
            .range((user, 0)..=(user, u64::MAX))
            .filter_map(|(_, g)| self.group(*g))
            .collect()
    }

    /// A user as `listUsers`, `describeUser` and `createUser` answer it.
    pub fn user_json(&self, u: &OpUser) -> Value {
        let full = [&u.first_name, &u.last_name]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let mut v = json!({
            "id": u.id,
            "opal": format!("opal:user:{}", u.id),
            "status": u.status,
            "startDate": null,
            "endDate": null,
            "startAndEndDateTimeZoneId": null,
            "hasRemoteUnlock": false,
            "isOverrideAllowed": false,
            "externalId": u.external_id,
            "identity": {
                "id": u.id + 1_000_000,
                "email": u.email,
                "firstName": u.first_name,
                "middleName": null,
                "lastName": u.last_name,
                "fullName": if full.is_empty() { Value::Null } else { json!(full) },
                "isEmailVerified": false,
                "namespace": {"id": 1},
            },
            "createdAt": u.created_at,
            "updatedAt": u.created_at,
            "manuallyInactivatedAt": null,
            "lastActivityAt": null,
            "title": null,
            "department": null,
            "personId": null,
        });
        if !self.omit_user_groups {
            let groups: Vec<Value> = self
                .groups_of(u.id)
                .into_iter()
                .map(|g| json!({"id": g.id, "name": g.name}))
                .collect();
            v["groups"] = json!(groups);
        }
        v
    }

    /// A group as `listGroups` answers it.
    pub fn group_json(&self, g: &OpGroup) -> Value {
        let count = self.memberships.iter().filter(|(_, m)| *m == g.id).count();
        json!({"id": g.id, "name": g.name, "description": g.description,
            "createdAt": g.created_at, "updatedAt": g.created_at, "userCount": count})
    }

    /// A credential as `listCredentials` answers it (a mobile credential).
    pub fn credential_json(&self, c: &OpCredential) -> Value {
        json!({
            "id": c.id,
            "startDate": c.start_date,
            "endDate": c.end_date,
            "credentialType": {"id": c.type_id, "name": c.type_name, "modelName": c.model_name},
            "mobile": {"id": c.id, "name": "Mobile credential", "provisionedAt": null,
                "hasSetupMobileToken": true},
            "createdAt": c.created_at,
            "updatedAt": c.created_at,
            "user": {"id": c.user_id},
        })
    }
}
