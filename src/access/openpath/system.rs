//! `AccessSystem` for Openpath: what each trait operation sends and which answer means what.
//! Operations are named by their openpath-swagger operationId.

use super::wire::{self, Credential, Group, GroupRef, Kind, One, User};
use super::{numeric, Openpath};
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
impl AccessSystem for Openpath {
    fn kind(&self) -> &'static str {
        "openpath"
    }

    /// Group memberships carry no window (`setUserToGroup` takes no body); start and end dates
    /// exist only per user. PINs are credentials here, not a user field lockstep sets; cards
    /// and mobile keys are listed and deleted per user (`listCredentials`, `deleteCredential`).
    /// The spec states no limit on groups per user.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            time_windows: false,
            pins: false,
            mobile_keys: true,
            credentials: true,
            max_groups_per_user: None,
        }
    }

    /// `listGroups`, then `listUsers` with each user's `groups[]`:
    /// `ceil(groups/1000) + ceil(users/1000)` requests, plus one `listUserGroups` listing per
    /// owned user whose answer leaves `groups` out. Any failure fails the whole observation.
    async fn observe(&self, _scope: &Scope) -> Result<ActualState, AccessError> {
        let groups: Vec<Group> = self.list("group", "/groups").await?;
        let mut directory = BTreeMap::new();
        let mut names = BTreeMap::new();
        for g in groups {
            // Names should be unique; if not, the lowest id (listed first) wins, every cycle.
            if !directory.contains_key(&g.name) {
                directory.insert(g.name.clone(), g.id.to_string());
                names.insert(g.id, g.name);
            }
        }
        let users: Vec<User> = self.list("user", "/users").await?;
        let mut actual = Vec::with_capacity(users.len());
        for user in users {
            let mut a = user.to_actual();
            if a.is_owned() {
                let held = match user.groups {
                    Some(held) => held,
                    None => {
                        let path = format!("/users/{}/groups", user.id);
                        self.list::<GroupRef>("user group", &path).await?
                    }
                };
                for g in held {
                    // A group created after the group listing shows up next cycle.
                    if let Some(name) = names.get(&g.id) {
                        a.groups.insert(name.clone(), ActualMembership::default());
                    }
                }
            }
            actual.push(a);
        }
        Ok(ActualState::from_users(actual, directory))
    }

    /// `listCredentials` (`GET /orgs/{orgId}/users/{userId}/credentials`).
    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let user = numeric("user", user_id).map_err(|m| self.rejected(m))?;
        let path = format!("/users/{user}/credentials");
        let held: Vec<Credential> = match self.list("credential", &path).await {
            Err(AccessError::Net(NetError::Status { status: 404, .. })) => {
                return Err(self.not_found(format!("Openpath user {user}")))
            }
            other => other?,
        };
        Ok(held
            .into_iter()
            .map(|c| ActualCredential {
                kind: c.kind(),
                id: c.id.to_string(),
            })
            .collect())
    }

    /// `listUsers`, matched on `externalId` exactly (the spec documents no filter grammar).
    /// Two accounts with the id: the lowest vendor id wins, as in `ActualState`.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        let users: Vec<User> = self.list("user", "/users").await?;
        Ok(users
            .iter()
            .filter(|u| u.external_id.as_deref() == Some(external_id))
            .min_by_key(|u| u.id)
            .map(User::to_actual))
    }

    /// `createUser` (201 `{data: user}`): `identity.email` is required by the spec, so a person
    /// without an email is refused here. A 4xx may mean an earlier attempt landed (the spec
    /// documents no error answers): the user is looked up before the refusal is reported.
    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError> {
        let Some(email) = user
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Err(self.rejected(format!(
                "cannot create the Openpath user for {}: Openpath requires an email \
                 (createUser identity.email) and the source gives none",
                user.external_id
            )));
        };
        let name = user.name.trim();
        let (first, last) = name.split_once(char::is_whitespace).unwrap_or((name, ""));
        let mut identity = json!({"email": email});
        if !first.is_empty() {
            identity["firstName"] = json!(first);
        }
        if !last.trim().is_empty() {
            identity["lastName"] = json!(last.trim());
        }
        let body = json!({"identity": identity, "externalId": user.external_id});
        match self.call(Method::POST, "/users", Some(&body)).await {
            Ok(reply) => {
                let created = wire::parse::<One<User>>("created user", &reply.body);
                Ok(self
                    .parsed(Method::POST, "/users", created)?
                    .data
                    .id
                    .to_string())
            }
            Err(NetError::Status {
                status: status @ (400 | 409 | 422),
                message,
                ..
            }) => match self.find_user(&user.external_id).await? {
                Some(found) => Ok(found.system_id),
                None => Err(self.rejected(format!(
                    "creating the Openpath user for {}: Openpath answered {status}: {message:?}",
                    user.external_id
                ))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// `setUserToGroup`, `PUT /orgs/{orgId}/groups/{groupId}/users/{userId}` (204).
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        _window: &Window,
    ) -> Result<Option<String>, AccessError> {
        let path = self.membership_path(user_id, group_id)?;
        match self.call(Method::PUT, &path, None).await {
            Ok(_) => Ok(None),
            Err(NetError::Status {
                status: 404,
                message,
                ..
            }) => Err(self.not_found(format!(
                "Openpath user {user_id} or group {group_id} (adding one to the other; \
                 Openpath said {message:?})"
            ))),
            Err(NetError::Status {
                status: status @ (400 | 409 | 422),
                message,
                ..
            }) => Err(self.rejected(format!(
                "Openpath user {user_id} cannot be added to group {group_id}: Openpath \
                 answered {status}: {message:?}"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// `removeUserFromGroup`, `DELETE` on the same path (204); a 404 means already gone.
    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        _membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        let path = self.membership_path(user_id, group_id)?;
        Ok(self.delete_gone_ok(&path).await?)
    }

    /// A mobile key: the user's mobile credential where `listCredentials` shows one (a retry
    /// after an unknown outcome, or one made by hand), else `createCredential` (201
    /// `{data: credential}`) of the type `listCredentialTypes` names mobile, with the window's
    /// dates as `startDate`/`endDate` (dates only in the spec; the end date is the day the
    /// window ends: assumption). Then, unless the person already set it up (`provisionedAt`),
    /// `setupMobileCredential` (204), with which Openpath e-mails the person the setup link.
    async fn issue_mobile_key(
        &self,
        user_id: &str,
        window: &Window,
    ) -> Result<String, AccessError> {
        let user = numeric("user", user_id).map_err(|m| self.rejected(m))?;
        let path = format!("/users/{user}/credentials");
        let held: Vec<Credential> = self.list("credential", &path).await?;
        let (id, provisioned) = match held.iter().find(|c| c.is_mobile()) {
            Some(c) => (
                c.id.0,
                c.mobile
                    .as_ref()
                    .is_some_and(|m| m.provisioned_at.is_some()),
            ),
            None => {
                let kinds: Vec<Kind> = self.list("credential type", "/credentialTypes").await?;
                let Some(kind) = kinds.iter().find(|k| k.is_mobile()) else {
                    return Err(self.rejected(format!(
                        "listCredentialTypes shows no mobile credential type among {} types; a mobile key cannot be issued",
                        kinds.len()
                    )));
                };
                let date = |t: i64| {
                    crate::store::rfc3339(t)
                        .chars()
                        .take(10)
                        .collect::<String>()
                };
                let body = json!({
                    "credentialTypeId": kind.id.0,
                    "startDate": window.from.map(date),
                    "endDate": window.until.map(date),
                });
                let reply = self
                    .call(Method::POST, &path, Some(&body))
                    .await
                    .map_err(AccessError::from)?;
                let created = wire::parse::<One<Credential>>("created credential", &reply.body);
                (self.parsed(Method::POST, &path, created)?.data.id.0, false)
            }
        };
        if !provisioned {
            let setup = format!("/users/{user}/credentials/{id}/setupMobile");
            self.call(Method::POST, &setup, None).await?;
        }
        Ok(id.to_string())
    }

    /// `deleteCredential`, `DELETE /orgs/{orgId}/users/{userId}/credentials/{credentialId}`
    /// (204); a 404 means already gone.
    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        let user = numeric("user", user_id).map_err(|m| self.rejected(m))?;
        let credential = numeric("credential", credential_id).map_err(|m| self.rejected(m))?;
        let path = format!("/users/{user}/credentials/{credential}");
        Ok(self.delete_gone_ok(&path).await?)
    }
}

impl Openpath {
    /// `/groups/{groupId}/users/{userId}`, both numeric.
    fn membership_path(&self, user_id: &str, group_id: &str) -> Result<String, AccessError> {
        let user = numeric("user", user_id).map_err(|m| self.rejected(m))?;
        let group = numeric("group", group_id).map_err(|m| self.rejected(m))?;
        Ok(format!("/groups/{group}/users/{user}"))
    }

    /// A removal whose 404 means it is already done.
    async fn delete_gone_ok(&self, path: &str) -> Result<(), NetError> {
        match self.call(Method::DELETE, path, None).await {
            Ok(_) | Err(NetError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
