//! Kisi connector: users, group memberships (Kisi "role assignments") and cards, after Kisi's
//! OpenAPI (`vendor-specs/kisi-openapi.yml`; VENDORS.md, corrections of 2026-11-23).
//!
//! - `Authorization: KISI-LOGIN <api key>`; JSON in and out.
//! - Kisi allows 5 requests per second per user and asks that one user's requests be made one
//!   at a time: the client sends serially and the default budget is 5 per second; a 429 (its
//!   `Retry-After` is not documented) backs off for at least a second.
//! - Lockstep's external id lives in the user's `metadata` as `lockstep_external_id`, the only
//!   mark of ownership; it is repeated in `notes` so `GET /users?query=` (which searches email,
//!   name and notes) can find it. A person without an email gets `<id>@lockstep.invalid`.
//! - A membership is a `group_basic` role assignment created with the current body
//!   (`assignee_type`, `assignee_id`, `applies_to_type`, `applies_to_id`, `role_id`).
//! - A card is taken away with `POST /cards/{id}/deassign` (`deassignCard`, 204); a user's cards
//!   are read from `GET /card_assignments?assignee_type=User&assignee_id=…`.
//! - Lists are paged and checked by `listing.rs`. Organisations too large for offset paging
//!   (more than 20000 offsets) are observed by partition, see `observe`.

#[cfg(test)]
mod golden;
mod listing;
#[cfg(test)]
mod tests;
mod wire;

pub use wire::{EXTERNAL_ID_KEY, GROUP_BASIC};

use super::{AccessError, AccessSystem, NewUser, Scope};
use crate::config::KisiConfig;
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Window,
};
use crate::net::{HttpClient, ResponseHook};
use async_trait::async_trait;
use listing::Listing;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use wire::{AssignmentItem, CardAssignmentItem, GroupItem, Membership, UserItem};

/// The largest `offset` Kisi accepts (`maximum: 20000` on every list operation).
pub const MAX_OFFSET: u64 = 20_000;
/// Kisi's documented budget: 5 requests per second per user.
pub const REQUESTS_PER_SECOND: f64 = 5.0;
/// How many ids one `GET /users?ids=` asks for (one full page).
const IDS_PER_REQUEST: usize = 100;

/// A Kisi organisation reached with an API key.
pub struct Kisi {
    http: HttpClient,
    authorization: String,
    max_offset: u64,
    /// Group name → id found by name lookups, kept across cycles (group ids do not change).
    looked_up: std::sync::Mutex<BTreeMap<String, String>>,
}

impl Kisi {
    pub fn new(name: &str, cfg: &KisiConfig, hook: Option<ResponseHook>) -> Result<Kisi, String> {
        let e = &cfg.endpoint;
        let rate = e.requests_per_second.unwrap_or(REQUESTS_PER_SECOND);
        let mut http = HttpClient::new(name, &e.url, e.timeout, Some(rate))?.one_at_a_time();
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        let authorization = format!("KISI-LOGIN {}", cfg.api_key.value);
        Ok(Kisi {
            http,
            authorization,
            max_offset: MAX_OFFSET,
            looked_up: Default::default(),
        })
    }

    /// Lowers the offset cap so tests can reach the partitioned path with small lists.
    #[cfg(test)]
    pub(crate) fn with_max_offset(mut self, max_offset: u64) -> Kisi {
        self.max_offset = max_offset;
        self
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, path);
        req.header(AUTHORIZATION, &self.authorization)
            .header(ACCEPT, "application/json")
    }

    /// The listing at `path` (e.g. `/role_assignments`) could not be read whole.
    fn incomplete(&self, path: &str, detail: String) -> AccessError {
        let system = self.http.name.clone();
        let what = path.trim_start_matches('/').to_string();
        AccessError::Incomplete {
            system,
            what,
            detail,
        }
    }

    fn rejected(&self, message: String) -> AccessError {
        AccessError::Rejected {
            system: self.http.name.clone(),
            message,
        }
    }

    /// An id from the caller goes into a URL path: refuse anything but a plain token.
    fn path_id(&self, kind: &str, id: &str) -> Result<String, AccessError> {
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !id.is_empty() && id.chars().all(plain) {
            return Ok(id.to_string());
        }
        Err(self.rejected(format!("{kind} id {id:?} is not a valid Kisi id")))
    }

    /// The group directory (name → id) the scope needs. The whole organisation's groups when
    /// offset paging reaches them all; otherwise the names held memberships carry
    /// (`applies_to.name`) plus name lookups (`fetchGroups` `query`, exact match) for the groups
    /// the scope wants, remembered across cycles.
    async fn directory(
        &self,
        scope: &Scope,
        memberships: Option<&[Membership]>,
    ) -> Result<(BTreeMap<String, String>, bool), AccessError> {
        if let Listing::Complete(groups) = self.list::<GroupItem>("/groups", &[]).await? {
            return Ok((first_of_each_name(groups), true));
        }
        let system = &self.http.name;
        tracing::info!(%system, "Kisi groups exceed offset paging; resolving the scope's groups by name.");
        let mut by_name: BTreeMap<String, String> = memberships
            .into_iter()
            .flatten()
            .filter_map(|m| Some((m.group_name.clone()?, m.group.clone())))
            .collect();
        let known = self
            .looked_up
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (name, id) in known {
            by_name.entry(name).or_insert(id);
        }
        let missing: Vec<&String> = scope
            .wanted
            .iter()
            .filter(|n| !by_name.contains_key(*n))
            .collect();
        for name in missing {
            let found: Vec<GroupItem> =
                self.list_all("/groups", &[("query", name.clone())]).await?;
            if let Some(id) = first_of_each_name(found).remove(name) {
                by_name.insert(name.clone(), id.clone());
                self.looked_up
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.clone(), id);
            }
        }
        Ok((by_name, false))
    }

    /// Role assignments of the scope's managed groups, one group at a time: the way round the
    /// offset cap when the organisation has too many.
    async fn memberships_by_group(
        &self,
        scope: &Scope,
        directory: &BTreeMap<String, String>,
    ) -> Result<Vec<Membership>, AccessError> {
        let mut all = Vec::new();
        for (name, id) in directory.iter().filter(|(n, _)| scope.managed.contains(n)) {
            tracing::debug!(group = %name, "Listing a managed group's role assignments.");
            let filters = [
                ("applies_to_type", "Group".into()),
                ("applies_to_id", id.clone()),
            ];
            let items: Vec<AssignmentItem> = self.list_all("/role_assignments", &filters).await?;
            all.extend(items.iter().filter_map(AssignmentItem::membership));
        }
        Ok(all)
    }

    /// Users by id (`fetchUsers` `ids`), a page of ids at a time.
    async fn users_by_id(&self, ids: &BTreeSet<String>) -> Result<Vec<UserItem>, AccessError> {
        let ids: Vec<&String> = ids.iter().collect();
        let mut users = Vec::new();
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let list = chunk
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            users.extend(
                self.list_all::<UserItem>("/users", &[("ids", list)])
                    .await?,
            );
        }
        Ok(users)
    }

    /// The ids of one user's plain memberships of one group (normally one).
    async fn memberships_of(&self, user: &str, group: &str) -> Result<Vec<String>, AccessError> {
        let filters = [
            ("assignee_type", "User".to_string()),
            ("assignee_id", user.to_string()),
            ("applies_to_type", "Group".to_string()),
            ("applies_to_id", group.to_string()),
        ];
        let items: Vec<AssignmentItem> = self.list_all("/role_assignments", &filters).await?;
        let mine = items
            .iter()
            .filter_map(AssignmentItem::membership)
            .filter(|m| m.user == user && m.group == group);
        Ok(mine.map(|m| m.assignment).collect())
    }

    /// The user matching `filter` whose metadata carries exactly `external_id`.
    async fn find_by(
        &self,
        filter: (&str, &str),
        external_id: &str,
    ) -> Result<Option<ActualUser>, AccessError> {
        let users: Vec<UserItem> = self
            .list_all("/users", &[(filter.0, filter.1.into())])
            .await?;
        let found = users
            .into_iter()
            .find(|u| u.external_id() == Some(external_id));
        Ok(found.map(UserItem::into_actual))
    }

    /// Sends a write whose 404 means "already gone".
    async fn write_gone_ok(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(), AccessError> {
        let mut req = self.request(method.clone(), path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        match self.http.send(method, path, req).await {
            Err(e) if e.status() != Some(404) => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Group name → id, for the first group of each name by id.
fn first_of_each_name(mut groups: Vec<GroupItem>) -> BTreeMap<String, String> {
    groups.sort_by_key(|g| (g.id.0.len(), g.id.0.clone()));
    let mut by_name = BTreeMap::new();
    for group in groups {
        by_name.entry(group.name).or_insert(group.id.0);
    }
    by_name
}

/// `lockstep:yardi:p1-7` → `lockstep-yardi-p1-7@lockstep.invalid` (RFC 2606 reserves `.invalid`).
pub fn synthetic_email(external_id: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let local: String = external_id
        .to_ascii_lowercase()
        .chars()
        .map(|c| if keep(c) { c } else { '-' })
        .collect();
    format!("{}@lockstep.invalid", local.trim_matches(['.', '-']))
}

#[async_trait]
impl AccessSystem for Kisi {
    fn kind(&self) -> &'static str {
        "kisi"
    }

    /// No PINs and no group limit; throttling is a 429. Group role assignments do carry
    /// `valid_from`/`valid_until` in Kisi's schema, but lockstep does not set them yet, so
    /// windows are enforced by lockstep (`time_windows: false`).
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            credentials: true,
            ..Capabilities::default()
        }
    }

    /// One listing after another (Kisi asks for serial requests): role assignments of groups,
    /// the group directory and users. When the organisation is too large for offset paging,
    /// each part falls back to a partition: groups by name lookups, role assignments per
    /// managed group, users by the ids those assignments name. A partitioned observation sees
    /// only users that hold a managed membership; an owned user without one is found by the
    /// executor's `find_user` before any create, so it is never duplicated.
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError> {
        let filters = [("applies_to_type", "Group".to_string())];
        let assignments = match self
            .list::<AssignmentItem>("/role_assignments", &filters)
            .await?
        {
            Listing::Complete(items) => Some(
                items
                    .iter()
                    .filter_map(AssignmentItem::membership)
                    .collect::<Vec<_>>(),
            ),
            Listing::TooDeep { .. } => None,
        };
        let (by_name, whole_directory) = self.directory(scope, assignments.as_deref()).await?;
        let mut partial = !whole_directory || assignments.is_none();
        let memberships = match assignments {
            Some(m) => m,
            None => {
                let system = &self.http.name;
                tracing::info!(%system, "Kisi role assignments exceed offset paging; listing them per managed group.");
                self.memberships_by_group(scope, &by_name).await?
            }
        };
        let users = match self.list::<UserItem>("/users", &[]).await? {
            Listing::Complete(users) => users,
            Listing::TooDeep { .. } => {
                partial = true;
                let ids = memberships.iter().map(|m| m.user.clone()).collect();
                self.users_by_id(&ids).await?
            }
        };
        let mut state = actual_state(users, by_name, &memberships);
        state.partial = partial;
        Ok(state)
    }

    /// The cards assigned to the user (`fetchCardAssignments` by assignee).
    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let filters = [
            ("assignee_type", "User".to_string()),
            ("assignee_id", user_id.to_string()),
        ];
        let items: Vec<CardAssignmentItem> = self.list_all("/card_assignments", &filters).await?;
        Ok(items
            .into_iter()
            .filter(|a| a.held_by(user_id))
            .map(|a| ActualCredential {
                id: a.card_id.0,
                kind: "card".into(),
            })
            .collect())
    }

    /// Matches the metadata exactly: the `query` hit on notes is only a search aid. Memberships
    /// and credentials are not filled in (they would cost more requests); observe for those.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        if external_id.trim().is_empty() {
            return Ok(None);
        }
        self.find_by(("query", external_id), external_id).await
    }

    /// A 422 (email taken, perhaps by a create that already landed) is checked by looking the
    /// email up (the `email` filter is documented, unlike `query` on notes) before it is
    /// reported as a refusal.
    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError> {
        let id = &user.external_id;
        let email = match user.email.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => e.to_string(),
            _ => synthetic_email(id),
        };
        let body = json!({"user": {
            "email": email,
            "name": user.name,
            "access_enabled": true,
            "metadata": {EXTERNAL_ID_KEY: id},
            "notes": format!("Managed by lockstep. External id: {id}"),
        }});
        let req = self.request(Method::POST, "/users").json(&body);
        match self.http.send(Method::POST, "/users", req).await {
            Ok(reply) => {
                let created: UserItem = self.http.json(Method::POST, "/users", &reply)?;
                Ok(created.id.0)
            }
            Err(e) if e.status() != Some(422) => Err(e.into()),
            Err(e) => match self.find_by(("email", &email), id).await? {
                Some(found) => Ok(found.system_id),
                None => Err(self.rejected(format!("cannot create the user for {id}: {e}"))),
            },
        }
    }

    /// A grant that e-mails nobody.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        window: &Window,
    ) -> Result<Option<String>, AccessError> {
        self.add_to_group_notifying(user_id, group_id, window, false)
            .await
    }

    /// The current `createRoleAssignment` body with `notify` as asked. A 422 may mean the
    /// membership already exists (a grant that landed before a timeout): it is looked up before
    /// it is called a refusal (and nobody is notified of it again).
    async fn add_to_group_notifying(
        &self,
        user_id: &str,
        group_id: &str,
        _: &Window,
        notify: bool,
    ) -> Result<Option<String>, AccessError> {
        let path = "/role_assignments";
        let req = self
            .request(Method::POST, path)
            .json(&wire::grant_body(user_id, group_id, notify));
        let e = match self.http.send(Method::POST, path, req).await {
            // createRoleAssignment answers with the assignment: its id removes it later.
            Ok(reply) => {
                let created: AssignmentItem = self.http.json(Method::POST, path, &reply)?;
                return Ok(Some(created.id.0));
            }
            Err(e) => e,
        };
        match e.status() {
            Some(422) => match self.memberships_of(user_id, group_id).await?.first() {
                Some(existing) => Ok(Some(existing.clone())),
                None => Err(self.rejected(format!(
                    "cannot add user {user_id} to group {group_id}: {e}"
                ))),
            },
            Some(404) => {
                let system = self.http.name.clone();
                let what = format!("user {user_id} or group {group_id}");
                Err(AccessError::NotFound { system, what })
            }
            _ => Err(e.into()),
        }
    }

    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        let ids = match membership_id {
            Some(id) => vec![id.to_string()],
            None => self.memberships_of(user_id, group_id).await?,
        };
        for id in ids {
            let path = format!(
                "/role_assignments/{}",
                self.path_id("role assignment", &id)?
            );
            self.write_gone_ok(Method::DELETE, &path, None).await?;
        }
        Ok(())
    }

    /// Takes the card away from whoever holds it (`deassignCard`: `POST /cards/{id}/deassign`,
    /// 204). The id comes from this user's `list_credentials`; a card already gone is done.
    async fn revoke_credential(&self, _: &str, credential_id: &str) -> Result<(), AccessError> {
        let path = format!("/cards/{}/deassign", self.path_id("card", credential_id)?);
        self.write_gone_ok(Method::POST, &path, None).await
    }
}

/// Puts observed users and memberships together. Memberships of unknown users or of groups
/// outside the directory are left out.
fn actual_state(
    users: Vec<UserItem>,
    by_name: BTreeMap<String, String>,
    memberships: &[Membership],
) -> ActualState {
    let by_id: BTreeMap<&String, &String> = by_name.iter().map(|(n, i)| (i, n)).collect();
    let mut users: BTreeMap<String, ActualUser> = users
        .into_iter()
        .map(|u| (u.id.0.clone(), u.into_actual()))
        .collect();
    for m in memberships {
        if let (Some(user), Some(group)) = (users.get_mut(&m.user), by_id.get(&m.group)) {
            let membership = ActualMembership {
                id: Some(m.assignment.clone()),
                window: Window::OPEN,
            };
            user.groups.entry((*group).clone()).or_insert(membership);
        }
    }
    let users = users.into_values().collect();
    ActualState::from_users(users, by_name)
}
