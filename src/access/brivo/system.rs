//! `AccessSystem` for Brivo: what each trait operation sends and which documented answer means
//! what. Sections named are brivo-apidocs'; verbs the dump leaves out are B-msyk's.

use super::wire::{self, Credential, Group, Member, User, NO_LAST_NAME};
use super::{segment, Brivo, MAX_GROUPS_PER_USER};
use crate::access::{AccessError, AccessSystem, NewUser, Scope};
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Window,
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
}
