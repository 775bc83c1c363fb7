//! The DOOR simulator's state: users with their accesses, doors, and issued tokens, shaped by
//! door-partner's `User`, `UserAccess` and `Door` schemas. Serialisable for `/_sim/state`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A DOOR user (door-partner `User`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DoorUser {
    pub uuid: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub accesses: Vec<DoorAccess>,
}

/// One access to one door (door-partner `UserAccess`); times as they were sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DoorAccess {
    pub door_uuid: String,
    pub start_time: String,
    #[serde(default)]
    pub end_time: Option<String>,
    pub passcode_type: String,
    pub shareable: bool,
    #[serde(default)]
    pub role: Option<String>,
    /// Whether the grant that gave this access asked DOOR to invite the user
    /// (`PostUserRequest.shouldNotify`). Kept for tests; `UserAccess` has no such field, so it
    /// is not rendered.
    #[serde(default)]
    pub notified: bool,
}

/// A door (door-partner `Door`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DoorDoor {
    pub uuid: String,
    pub name: String,
    pub building_uuid: String,
}

/// Everything the simulated partner account holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DoorState {
    pub users: Vec<DoorUser>,
    pub doors: Vec<DoorDoor>,
    /// Issued access token → expiry (ms since the epoch).
    #[serde(default)]
    pub tokens: BTreeMap<String, u64>,
    /// Tokens issued by `authenticatePartner`.
    #[serde(default)]
    pub token_grants: u64,
    /// Token lifetime in seconds; 0 means the default (assumption: 86400, Auth0's default).
    #[serde(default)]
    pub token_lifetime_secs: u64,
    #[serde(default)]
    pub next_id: u64,
}

/// The one simulated building (door-partner `Building.uuid`).
pub const BUILDING_UUID: &str = "00000000-0000-4000-8000-00000000b001";

impl DoorState {
    /// A fresh UUID (version 4 layout), deterministic per state.
    pub fn next_uuid(&mut self) -> String {
        self.next_id += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.next_id)
    }

    pub fn user_mut(&mut self, uuid: &str) -> Option<&mut DoorUser> {
        self.users
            .iter_mut()
            .find(|u| u.uuid.eq_ignore_ascii_case(uuid))
    }

    pub fn door(&self, uuid: &str) -> Option<&DoorDoor> {
        self.doors
            .iter()
            .find(|d| d.uuid.eq_ignore_ascii_case(uuid))
    }

    /// The door named `name`, created in the simulated building if missing.
    pub fn door_named(&mut self, name: &str) -> String {
        if let Some(d) = self.doors.iter().find(|d| d.name == name) {
            return d.uuid.clone();
        }
        let uuid = self.next_uuid();
        self.doors.push(DoorDoor {
            uuid: uuid.clone(),
            name: name.into(),
            building_uuid: BUILDING_UUID.into(),
        });
        uuid
    }
}

impl DoorUser {
    /// door-partner `User` as JSON, with its `accesses`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "userUuid": self.uuid,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "accesses": self.accesses.iter().map(|a| a.to_json(&self.uuid)).collect::<Vec<_>>(),
        });
        if let Some(phone) = &self.phone {
            v["phone"] = json!(phone);
        }
        v
    }
}

impl DoorAccess {
    /// door-partner `UserAccess`. The granter is the partner (`AccessGranter.type` `PARTNER`).
    /// assumption: an access granted without `endTime` is answered without one, although the
    /// schema lists it as required (there is no end to show).
    pub fn to_json(&self, user_uuid: &str) -> Value {
        let mut v = json!({
            "doorUuid": self.door_uuid,
            "userUuid": user_uuid,
            "startTime": self.start_time,
            "passcodeType": self.passcode_type,
            "shareable": self.shareable,
            "granter": {"type": "PARTNER", "uuid": "00000000-0000-4000-8000-00000000a001"},
        });
        if let Some(end) = &self.end_time {
            v["endTime"] = json!(end);
        }
        if let Some(role) = &self.role {
            v["role"] = json!(role);
        }
        v
    }
}

impl DoorDoor {
    /// door-partner `Door`: `buildingUuid`, `name`, `type` (`DOOR`), `uuid`.
    pub fn to_json(&self) -> Value {
        json!({
            "uuid": self.uuid,
            "name": self.name,
            "buildingUuid": self.building_uuid,
            "type": "DOOR",
            "accessibilityType": "COMMUNAL",
            "isConnected": true,
        })
    }
}
