//! `AccessSystem` for DOOR: what each trait operation sends and which answer means what.
//! Operations are named by their door-partner operationId.

use super::wire::{self, PostUserResponse, User};
use super::{uuid, Door};
use crate::access::{AccessError, AccessSystem, NewUser, Scope};
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Window,
};
use crate::net::NetError;
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const USERS: &str = "/v1/users";
const DOORS: &str = "/v1/doors";

#[async_trait]
impl AccessSystem for Door {
    fn kind(&self) -> &'static str {
        "door"
    }

    /// Each access holds `startTime`/`endTime`. Doorcodes are DOOR's own (`Doorcode`, read
    /// only), so no PINs; the spec has no credential operations; no limit on doors per user.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            time_windows: true,
            pins: false,
            mobile_keys: false,
            credentials: false,
            max_groups_per_user: None,
        }
    }

    /// `listDoors`, then `listUsers` with each user's `accesses[]`; an owned user whose answer
    /// leaves `accesses` out is asked `getUser`. Any failure fails the whole observation.
    async fn observe(&self, _scope: &Scope) -> Result<ActualState, AccessError> {
        let doors: Vec<wire::Door> = self.list("door", DOORS, "doors").await?;
        let mut directory = BTreeMap::new();
        let mut names = BTreeMap::new();
        for d in doors {
            // Names should be unique; if not, the first listed wins, every cycle.
            if !directory.contains_key(&d.name) {
                directory.insert(d.name.clone(), d.uuid.to_ascii_lowercase());
                names.insert(d.uuid.to_ascii_lowercase(), d.name);
            }
        }
        let users: Vec<User> = self.list("user", USERS, "users").await?;
        let mut actual = Vec::with_capacity(users.len());
        for user in users {
            let mut a = user.to_actual();
            if a.is_owned() {
                let user = match user.accesses {
                    Some(_) => user,
                    None => self.get_user(&user.user_uuid).await?,
                };
                for access in user.accesses.iter().flatten() {
                    // A door created after the door listing shows up next cycle.
                    let Some(name) = names.get(&access.door_uuid.to_ascii_lowercase()) else {
                        continue;
                    };
                    let window = access.window().map_err(|detail| {
                        let path = format!("{USERS}?pageSize={}", self.page_size);
                        let error = self.http.bad_response(Method::GET, &path, detail);
                        AccessError::from(error)
                    })?;
                    let membership = ActualMembership { id: None, window };
                    a.groups.insert(name.clone(), membership);
                }
            }
            actual.push(a);
        }
        Ok(ActualState::from_users(actual, directory))
    }

    /// DOOR documents no credential operations (doorcodes come with each access).
    async fn list_credentials(&self, _user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        Ok(Vec::new())
    }

    /// `listUsers`, matched on the `lastName` tag exactly (the spec has no filter).
    /// Two accounts with the id: the lowest uuid wins, as in `ActualState`.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        let users: Vec<User> = self.list("user", USERS, "users").await?;
        Ok(users
            .iter()
            .map(User::to_actual)
            .filter(|u| u.external_id.as_deref() == Some(external_id))
            .min_by(|a, b| a.system_id.cmp(&b.system_id)))
    }

    /// `grantAccessToUser` naming no door: DOOR has no create-only operation, and a grant
    /// creates the user (assumption: a grant with an empty `doorUuids` creates the user with
    /// no access). DOOR needs an email (`EMAIL_OR_PHONE_REQUIRED`, `…_FOR_PERMANENT`): a
    /// person without one is refused here by name, never given an invented address.
    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError> {
        let Some(email) = user
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Err(self.rejected(format!(
                "cannot create the DOOR user for {}: DOOR grants need an email \
                 (PostUserRequest.email) and the source gives none",
                user.external_id
            )));
        };
        let (first, last) = wire::split_name(&user.name);
        if first.is_empty() {
            return Err(self.rejected(format!(
                "cannot create the DOOR user for {}: DOOR requires a first name",
                user.external_id
            )));
        }
        let last = wire::tagged_last_name(last, &user.external_id);
        let body = self.grant_body(email, first, &last, &[], &Window::OPEN, false);
        let doing = format!("creating the DOOR user for {}", user.external_id);
        match self.grant(&body, &doing).await? {
            Some(uuid) => Ok(uuid),
            // 201 without a body: the user is found by its tag.
            None => match self.find_user(&user.external_id).await? {
                Some(found) => Ok(found.system_id),
                None => {
                    Err(self.rejected(format!("{doing}: DOOR answered but lists no such user")))
                }
            },
        }
    }

    /// A grant that sends no invite.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        window: &Window,
    ) -> Result<Option<String>, AccessError> {
        self.add_to_group_notifying(user_id, group_id, window, false)
            .await
    }

    /// Reads the user (`getUser`), then: nothing if the door is held with this window;
    /// `updateUserAccess` (`PATCH`, `endTime` only) if just the end moves to a new time;
    /// otherwise `grantAccessToUser` for the door with the window (assumption: a grant for a
    /// door the user holds replaces that access's window, as the spec has no other way to
    /// move a start). `notify` becomes the grant's `shouldNotify`; the paths that POST no
    /// grant (already held, the end moved by PATCH) notify nobody whatever it says.
    async fn add_to_group_notifying(
        &self,
        user_id: &str,
        group_id: &str,
        window: &Window,
        notify: bool,
    ) -> Result<Option<String>, AccessError> {
        let user_uuid = uuid("user", user_id).map_err(|m| self.rejected(m))?;
        let door = uuid("door", group_id).map_err(|m| self.rejected(m))?;
        let user = self.get_user(&user_uuid).await?;
        let held = match user.access_to(&door) {
            Some(access) => Some(access.window().map_err(|m| self.rejected(m))?),
            None => None,
        };
        let path = format!("{USERS}/{user_uuid}/doors/{door}");
        match (held, window.until) {
            (Some(held), _) if held == *window => return Ok(None),
            (Some(held), Some(until)) if held.from == window.from => {
                let body = json!({"endTime": wire::format_time(until)});
                let doing =
                    format!("moving the end of DOOR user {user_uuid}'s access to door {door}");
                let missing = format!("DOOR user {user_uuid}'s access to door {door}");
                self.call(Method::PATCH, &path, Some(&body))
                    .await
                    .map_err(|e| self.refused(e, &doing, &missing))?;
                return Ok(None);
            }
            _ => {}
        }
        let body = self.grant_body(
            &user.email,
            &user.first_name,
            &user.last_name,
            &[&door],
            window,
            notify,
        );
        let doing = format!("granting DOOR user {user_uuid} door {door}");
        match self.grant(&body, &doing).await? {
            Some(answered) if !answered.eq_ignore_ascii_case(&user_uuid) => {
                Err(self.rejected(format!(
                    "{doing}: DOOR applied the grant to user {answered} (its email {:?} belongs \
                 to another DOOR user)",
                    user.email
                )))
            }
            _ => Ok(None),
        }
    }

    /// `revokeUserAccess`, `DELETE /v1/users/{userUuid}/doors/{doorUuid}` (200 or 204); a
    /// 404 means the access is already gone.
    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        _membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        let user = uuid("user", user_id).map_err(|m| self.rejected(m))?;
        let door = uuid("door", group_id).map_err(|m| self.rejected(m))?;
        let path = format!("{USERS}/{user}/doors/{door}");
        match self.call(Method::DELETE, &path, None).await {
            Ok(_) | Err(NetError::Status { status: 404, .. }) => Ok(()),
            Err(e) => {
                let doing = format!("revoking DOOR user {user}'s access to door {door}");
                Err(self.refused(e, &doing, "the access"))
            }
        }
    }

    /// DOOR documents no credential a partner can unassign.
    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        Err(self.rejected(format!(
            "cannot revoke credential {credential_id} of DOOR user {user_id}: DOOR's partner API \
             has no credential operations (doorcodes end with the access)"
        )))
    }
}

impl Door {
    /// `getUser` (`GET /v1/users/{userUuid}`); 404 is `NotFound` naming the user.
    async fn get_user(&self, user_uuid: &str) -> Result<User, AccessError> {
        let path = format!("{USERS}/{user_uuid}");
        let reply = self.call(Method::GET, &path, None).await.map_err(|e| {
            self.refused(
                e,
                &format!("reading DOOR user {user_uuid}"),
                &format!("DOOR user {user_uuid}"),
            )
        })?;
        let user = wire::parse::<User>("user", &reply.body);
        Ok(self.parsed(Method::GET, &path, user)?)
    }

    /// A `PostUserRequest`: lockstep's grants are never shareable and invite the user only when
    /// `notify` (`shouldNotify`); the email is the only contact sent (`EMAIL_AND_PHONE_PROVIDED`
    /// forbids both).
    fn grant_body(
        &self,
        email: &str,
        first: &str,
        last: &str,
        doors: &[&str],
        window: &Window,
        notify: bool,
    ) -> Value {
        let mut body = json!({
            "email": email,
            "firstName": first,
            "lastName": last,
            "passcodeType": self.cfg.passcode_type,
            "shareable": false,
            "shouldNotify": notify,
            "startTime": wire::format_time(window.from.unwrap_or(wire::OPEN_START)),
            "doorUuids": doors,
        });
        if let Some(until) = window.until {
            body["endTime"] = json!(wire::format_time(until));
        }
        body
    }

    /// `grantAccessToUser` (`POST /v1/users`): the user's uuid from a 200 `PostUserResponse`,
    /// or `None` for the documented bodiless 201.
    async fn grant(&self, body: &Value, doing: &str) -> Result<Option<String>, AccessError> {
        let reply = self
            .call(Method::POST, USERS, Some(body))
            .await
            .map_err(|e| self.refused(e, doing, "a door the grant names"))?;
        if reply.status.as_u16() == 201 && reply.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let answer = wire::parse::<PostUserResponse>("grant answer", &reply.body);
        Ok(Some(self.parsed(Method::POST, USERS, answer)?.user_uuid))
    }
}
