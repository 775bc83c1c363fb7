//! `AccessSystem` for Brivo: what each trait operation sends and which documented answer means
//! what. Sections named are brivo-apidocs'; verbs the dump leaves out are B-msyk's.

use super::wire::{self, Credential, Group, Member, User, NO_LAST_NAME};
use super::{segment, Brivo, MAX_GROUPS_PER_USER};
use crate::access::{AccessError, AccessSystem, NewUser, Scope};
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Pin, Window,
};
use crate::net::NetError;
use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

#[async_trait]
impl AccessSystem for Brivo {
    fn kind(&self) -> &'static str {
        "brivo"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            time_windows: false,
            pins: true,
            mobile_keys: false,
            credentials: true,
            max_groups_per_user: Some(MAX_GROUPS_PER_USER),
        }
    }

    /// Users (User - List Users), groups (Group - Group Listing), then the members of each
    /// managed group (Group - List Users within Group): `ceil(users/100) + ceil(groups/100) +
    /// Σ ceil(members/100)` requests. Any failure fails the whole observation.
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError> {
        let users: Vec<User> = self.list("user", "/users").await?;
        let groups: Vec<Group> = self.list("group", "/groups").await?;
        let mut directory = BTreeMap::new();
        for g in groups {
            // Names should be unique; if not, the first listed (lowest id) wins, every cycle.
            directory.entry(g.name).or_insert_with(|| g.id.text());
        }
        let mut by_id: BTreeMap<String, ActualUser> = users
            .into_iter()
            .map(User::into_actual)
            .map(|u| (u.system_id.clone(), u))
            .collect();
        for (name, id) in directory.iter().filter(|(n, _)| scope.managed.contains(n)) {
            let path = format!("/groups/{}/users", segment(id));
            let members: Vec<Member> = self.list("group member", &path).await?;
            for m in members {
                // A member created after the user listing shows up next cycle.
                if let Some(user) = by_id.get_mut(&m.id.text()) {
                    // Brivo memberships carry no window (time_windows: false).
                    user.groups
                        .insert(name.clone(), ActualMembership::default());
                }
            }
        }
        self.remember(&directory, &by_id);
        let users = by_id.into_values().collect();
        Ok(ActualState::from_users(users, directory))
    }

    /// User - Retrieve Assigned Credentials; 404 "User not found".
    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let path = format!("/users/{}/credentials", segment(user_id));
        let held: Vec<Credential> = match self.list("credential", &path).await {
            Err(AccessError::Net(NetError::Status { status: 404, .. })) => {
                return Err(self.not_found(self.user_label(user_id)))
            }
            other => other?,
        };
        Ok(held
            .into_iter()
            .map(|c| ActualCredential {
                kind: c.kind(),
                id: c.id.text(),
            })
            .collect())
    }

    /// User - Retrieve by external id; 404 means no such user.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        let path = format!("/users/{}/external", segment(external_id));
        match self.get::<User>("user", &path).await {
            Ok(user) => {
                let mut user = user.into_actual();
                user.external_id = user.external_id.or_else(|| Some(external_id.to_string()));
                Ok(Some(user))
            }
            Err(NetError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// User - Create new user (200 with the user). A 400 naming `externalId` means an earlier
    /// attempt landed (assumption: the docs give only "Invalid criteria provided").
    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError> {
        let name = user.name.trim();
        let (first, last) = name
            .split_once(char::is_whitespace)
            .unwrap_or((name, NO_LAST_NAME));
        let mut body =
            json!({"firstName": first, "lastName": last.trim(), "externalId": user.external_id});
        if let Some(email) = user.email.as_deref().filter(|e| !e.is_empty()) {
            body["emails"] = json!([{"address": email, "type": "Work"}]);
        }
        match self.call(Method::POST, "/users", Some(&body)).await {
            Ok(reply) => {
                let created = wire::parse::<User>("user", &reply.body);
                Ok(self.parsed(Method::POST, "/users", created)?.id.text())
            }
            Err(NetError::Status {
                status: 400,
                message,
                ..
            }) if message.contains("externalId") => {
                match self.find_user(&user.external_id).await? {
                    Some(found) => Ok(found.system_id),
                    None => Err(self.rejected(format!(
                        "creating the Brivo user for {}: Brivo said {message:?}",
                        user.external_id
                    ))),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Group - Assign User to Group, `PUT /groups/{gid}/users/{uid}` (idempotent). Brivo counts
    /// every group, managed or not, toward its limit, so a refusal here can be the first sign of
    /// a full user.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        _window: &Window,
    ) -> Result<Option<String>, AccessError> {
        let path = format!("/groups/{}/users/{}", segment(group_id), segment(user_id));
        match self.call(Method::PUT, &path, None).await {
            Ok(_) => Ok(None),
            Err(e) => Err(self.assignment_refused(user_id, group_id, e)),
        }
    }

    /// Group - Remove User from Group, `DELETE /groups/{gid}/users/{uid}`; a 404 is done.
    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        _membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        let path = format!("/groups/{}/users/{}", segment(group_id), segment(user_id));
        match self.delete_gone_ok(&path).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.assignment_refused(user_id, group_id, e)),
        }
    }

    /// User - Remove Credential from User, `DELETE /users/{uid}/credentials/{cid}`; 404 is done.
    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        let (user, credential) = (segment(user_id), segment(credential_id));
        let path = format!("/users/{user}/credentials/{credential}");
        Ok(self.delete_gone_ok(&path).await?)
    }

    /// Sets a PIN with User - Patch user (`pin`, `effectiveFrom`, `effectiveTo`; an open bound
    /// is left out), or clears it with User - Retrieve by id then User - Update user: a PUT
    /// removes the optional fields it omits, so the user is sent back whole without the PIN's
    /// fields. A user already gone holds no PIN. Brivo's answers are not parsed beyond the
    /// status, and any error is scrubbed of the digits before it leaves.
    async fn set_pin(
        &self,
        user_id: &str,
        pin: Option<&Pin>,
        window: &Window,
    ) -> Result<(), AccessError> {
        let path = format!("/users/{}", segment(user_id));
        let Some(pin) = pin else {
            return self.clear_pin(user_id, &path).await;
        };
        let mut body = json!({"pin": pin.digits()});
        if let Some(from) = window.from {
            body["effectiveFrom"] = json!(wire::format_date(from));
        }
        if let Some(until) = window.until {
            body["effectiveTo"] = json!(wire::format_date(until));
        }
        let sent = self.call(Method::PATCH, &path, Some(&body)).await;
        // Wipe this copy of the digits (the bytes reqwest serialised are out of reach).
        if let Some(serde_json::Value::String(digits)) = body.get_mut("pin") {
            zeroize::Zeroize::zeroize(digits);
        }
        match sent {
            Ok(_) => Ok(()),
            Err(NetError::Status { status: 404, .. }) => {
                Err(self.not_found(format!("{} (setting its PIN)", self.user_label(user_id))))
            }
            Err(e) => Err(self.refused_pin("setting", user_id, scrub(e, pin.digits()))),
        }
    }
}

impl Brivo {
    async fn clear_pin(&self, user_id: &str, path: &str) -> Result<(), AccessError> {
        let reply = match self.call(Method::GET, path, None).await {
            Ok(reply) => reply,
            Err(NetError::Status { status: 404, .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let user = serde_json::from_slice(&reply.body)
            .ok()
            .and_then(wire::without_pin);
        let Some(body) = user else {
            let start = wire::redacted_snippet(&reply.body);
            let detail = format!("not a Brivo user as documented (body starts {start:?})");
            let full = format!("{}{path}", super::API);
            return Err(self.http.bad_response(Method::GET, &full, detail).into());
        };
        match self.call(Method::PUT, path, Some(&body)).await {
            Ok(_) | Err(NetError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(self.refused_pin("clearing", user_id, e)),
        }
    }

    /// A 400 on a PIN change is this user's problem (never retried), not the system's.
    fn refused_pin(&self, doing: &str, user_id: &str, e: NetError) -> AccessError {
        match e {
            NetError::Status {
                status: 400,
                message,
                ..
            } => self.rejected(format!(
                "{doing} the PIN of {}: Brivo said {message:?}",
                self.user_label(user_id)
            )),
            other => other.into(),
        }
    }
}

/// `e` with every occurrence of the PIN's digits masked, in case the vendor echoed them.
fn scrub(mut e: NetError, digits: &str) -> NetError {
    match &mut e {
        NetError::Status { message, .. }
        | NetError::Auth { message, .. }
        | NetError::Config { message, .. } => mask(message, digits),
        NetError::BadResponse { detail, .. } | NetError::Transport { detail, .. } => {
            mask(detail, digits)
        }
        NetError::Throttled { .. } => {}
    }
    e
}

fn mask(text: &mut String, digits: &str) {
    if !digits.is_empty() && text.contains(digits) {
        *text = text.replace(digits, "****");
    }
}
