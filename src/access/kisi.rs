//! Kisi connector: users, group memberships (Kisi "role assignments") and cards.
//!
//! Shapes follow VENDORS.md (Kisi, confidence C); assumptions are marked "(G)":
//! - Lockstep's external id lives in the user's `metadata` as `lockstep_external_id`, the only
//!   mark of ownership. It is repeated in `notes` so `GET /users?query=` can find it (G: `query`
//!   searches notes); a refused create is checked with the documented `email` filter instead.
//! - Kisi needs an email; a person without one gets `<sanitised-external-id>@lockstep.invalid`.
//! - A membership is a `group_basic` role assignment; other group roles are not reported.
//! - A card is revoked by `PATCH /cards/{id}` with `user_id: null` (G: the card-assignments
//!   paths were never read).
//!
//! Lists are read with `limit`/`offset` and checked against `X-Collection-Range`: any page that
//! does not fit (short, missing or garbled header, a total that moves) makes the listing
//! `Incomplete`. Kisi refuses offsets above 20000: role assignments beyond reach are listed per
//! managed group instead; users beyond reach (more than 20100) cannot be observed and the
//! listing fails as `Incomplete` rather than coming back partial.

#[cfg(test)]
mod tests;

use super::{AccessError, AccessSystem, NewUser, Scope};
use crate::config::KisiConfig;
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Window,
};
use crate::net::{parse_collection_range, HttpClient, ResponseHook};
use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The metadata key holding lockstep's external id.
pub const EXTERNAL_ID_KEY: &str = "lockstep_external_id";
/// The largest `offset` Kisi accepts.
pub const MAX_OFFSET: u64 = 20_000;
/// The role of a plain group membership; other group roles are not memberships to lockstep.
const GROUP_BASIC: &str = "group_basic";

/// Page size: the maximum Kisi allows (100 for users and groups, 250 for the rest).
fn limit_of(path: &str) -> u64 {
    if matches!(path, "/users" | "/groups") {
        100
    } else {
        250
    }
}

/// A Kisi organisation reached with an API key.
pub struct Kisi {
    http: HttpClient,
    authorization: String,
    max_offset: u64,
}

/// A listing read whole, or one whose last page lies beyond the offset cap.
enum Listing<T> {
    Complete(Vec<T>),
    TooDeep { total: u64 },
}

type Filters<'a> = &'a [(&'a str, String)];
type Listed<T> = Result<Listing<T>, AccessError>;
type Paged<T> = Result<Page<T>, AccessError>;
type All<T> = Result<Vec<T>, AccessError>;
type Maybe<T> = Result<Option<T>, AccessError>;

/// One checked page of a listing.
struct Page<T> {
    items: Vec<T>,
    total: u64,
    /// `GET /path?query`, for messages.
    at: String,
}

/// An id as text. Kisi sends numbers; strings are accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawId")]
struct Id(String);

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

#[derive(Deserialize)]
struct UserItem {
    id: Id,
    name: Option<String>,
    email: Option<String>,
    metadata: Option<Map<String, Value>>,
}

impl UserItem {
    fn external_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.get(EXTERNAL_ID_KEY)?.as_str()
    }

    fn into_actual(self) -> ActualUser {
        ActualUser {
            external_id: self.external_id().map(str::to_string),
            system_id: self.id.0,
            name: self.name.unwrap_or_default(),
            email: self.email,
            groups: BTreeMap::new(),
            credentials: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct GroupItem {
    id: Id,
    name: String,
}

/// Reads the current field names, falling back to the deprecated `user_id`/`group_id`.
#[derive(Deserialize)]
struct AssignmentItem {
    id: Id,
    role_id: Option<String>,
    assignee_type: Option<String>,
    assignee_id: Option<Id>,
    applies_to_type: Option<String>,
    applies_to_id: Option<Id>,
    user_id: Option<Id>,
    group_id: Option<Id>,
}

impl AssignmentItem {
    /// (user id, group id) when this is a user's plain membership of a group.
    fn membership(&self) -> Option<(String, String)> {
        let is = |t: &Option<String>, want: &str| t.as_deref().is_none_or(|t| t == want);
        if !is(&self.assignee_type, "User")
            || !is(&self.applies_to_type, "Group")
            || !is(&self.role_id, GROUP_BASIC)
        {
            return None;
        }
        let user = self.assignee_id.as_ref().or(self.user_id.as_ref())?;
        let group = self.applies_to_id.as_ref().or(self.group_id.as_ref())?;
        Some((user.0.clone(), group.0.clone()))
    }
}

#[derive(Deserialize)]
struct CardItem {
    id: Id,
    #[serde(rename = "type")]
    kind: Option<String>,
    user_id: Option<Id>,
}

impl Kisi {
    pub fn new(name: &str, cfg: &KisiConfig, hook: Option<ResponseHook>) -> Result<Kisi, String> {
        let e = &cfg.endpoint;
        let mut http = HttpClient::new(name, &e.url, e.timeout, e.requests_per_second)?;
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        let authorization = format!("KISI-LOGIN {}", cfg.api_key.value);
        Ok(Kisi {
            http,
            authorization,
            max_offset: MAX_OFFSET,
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

    /// Reads every page of `path` with `filters`, checking each against `X-Collection-Range`.
    /// Each page moves the offset forward or fails, and the offset never passes the cap, so the
    /// loop is bounded.
    async fn list<T: DeserializeOwned>(&self, path: &str, filters: Filters<'_>) -> Listed<T> {
        let (mut items, mut offset, mut total) = (Vec::new(), 0u64, None);
        loop {
            if offset > self.max_offset {
                let total = total.unwrap_or(offset);
                return Ok(Listing::TooDeep { total });
            }
            let page = self.page::<T>(path, filters, offset).await?;
            if let Some(before) = total.filter(|t| *t != page.total) {
                let detail = format!("{}: the total moved from {before} while paging", page.at);
                return Err(self.incomplete(path, detail));
            }
            total = Some(page.total);
            let n = page.items.len() as u64;
            items.extend(page.items);
            offset += n;
            if offset >= page.total {
                return Ok(Listing::Complete(items));
            }
            // After the first page: is the last page's offset reachable?
            if offset == n && (page.total - 1) / n * n > self.max_offset {
                return Ok(Listing::TooDeep { total: page.total });
            }
        }
    }

    /// One page, whose items must be exactly those its `X-Collection-Range` announces.
    async fn page<T>(&self, path: &str, filters: Filters<'_>, offset: u64) -> Paged<T>
    where
        T: DeserializeOwned,
    {
        let mut query = filters.to_vec();
        let limit = limit_of(path).to_string();
        query.extend([("limit", limit), ("offset", offset.to_string())]);
        let params: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let shown = format!("{path}?{}", params.join("&"));
        let req = self.request(Method::GET, path).query(&query);
        let reply = self.http.send(Method::GET, &shown, req).await?;
        let items: Vec<T> = self.http.json(Method::GET, &shown, &reply)?;
        let header = reply
            .headers
            .get("x-collection-range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let at = format!("GET {shown}");
        let Some((range, total)) = parse_collection_range(header) else {
            let detail = format!("{at}: missing or unreadable X-Collection-Range {header:?}");
            return Err(self.incomplete(path, detail));
        };
        let n = items.len() as u64;
        let fits = match range {
            Some((start, end)) => n > 0 && start == offset && end.checked_sub(start) == Some(n - 1),
            None => n == 0 && offset >= total,
        };
        if !fits || offset + n > total {
            let detail = format!("{at}: {n} items but X-Collection-Range says {header:?}");
            return Err(self.incomplete(path, detail));
        }
        Ok(Page { items, total, at })
    }

    /// A listing that cannot be partitioned: beyond the offset cap it is incomplete.
    async fn list_all<T: DeserializeOwned>(&self, path: &str, filters: Filters<'_>) -> All<T> {
        match self.list(path, filters).await? {
            Listing::Complete(items) => Ok(items),
            Listing::TooDeep { total } => {
                let cap = self.max_offset;
                let detail = format!(
                    "GET {path} holds {total} items, more than offset paging can reach (offset at most {cap})"
                );
                Err(self.incomplete(path, detail))
            }
        }
    }

    /// Role assignments of the scope's managed groups, one group at a time: the way round the
    /// offset cap when the organisation has too many. Unmanaged groups' memberships are then
    /// not reported.
    async fn assignments_by_group(
        &self,
        scope: &Scope,
        directory: &BTreeMap<String, String>,
    ) -> Result<Vec<AssignmentItem>, AccessError> {
        let mut all = Vec::new();
        for (name, id) in directory.iter().filter(|(n, _)| scope.managed.contains(n)) {
            tracing::debug!(group = %name, "Listing a managed group's role assignments.");
            let filters = [
                ("applies_to_type", "Group".into()),
                ("applies_to_id", id.clone()),
            ];
            all.extend(self.list_all("/role_assignments", &filters).await?);
        }
        Ok(all)
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
        let wanted = Some((user.to_string(), group.to_string()));
        let mine = items.into_iter().filter(|a| a.membership() == wanted);
        Ok(mine.map(|a| a.id.0).collect())
    }

    /// The user matching `filter` whose metadata carries exactly `external_id`.
    async fn find_by(&self, filter: (&str, &str), external_id: &str) -> Maybe<ActualUser> {
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

/// Group name → id and id → name, for the first group of each name (lists come sorted by id).
fn directory(groups: Vec<GroupItem>) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut by_name = BTreeMap::new();
    for group in groups {
        by_name.entry(group.name).or_insert(group.id.0);
    }
    let by_id = by_name
        .iter()
        .map(|(n, i)| (i.clone(), n.clone()))
        .collect();
    (by_name, by_id)
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

/// A JSON id: a number where the text is one, as Kisi's own ids are.
fn json_id(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

#[async_trait]
impl AccessSystem for Kisi {
    fn kind(&self) -> &'static str {
        "kisi"
    }

    /// No validity windows, no PINs, no group limit; throttling is a 429 (assumption (G)).
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            credentials: true,
            ..Capabilities::default()
        }
    }

    /// Three listings read side by side: `ceil(users/100) + ceil(groups/100) +
    /// ceil(assignments/250)` requests, at least one each (plus the per-group listings when
    /// the assignments are beyond the offset cap).
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError> {
        let (users, groups, assignments) = tokio::try_join!(
            self.list_all::<UserItem>("/users", &[]),
            self.list_all::<GroupItem>("/groups", &[]),
            self.list::<AssignmentItem>("/role_assignments", &[]),
        )?;
        let (by_name, by_id) = directory(groups);
        let assignments = match assignments {
            Listing::Complete(items) => items,
            Listing::TooDeep { total } => {
                let system = &self.http.name;
                tracing::info!(%system, total, "Role assignments exceed Kisi's offset limit; listing them per managed group.");
                self.assignments_by_group(scope, &by_name).await?
            }
        };
        let mut users: BTreeMap<String, ActualUser> = users
            .into_iter()
            .map(|u| (u.id.0.clone(), u.into_actual()))
            .collect();
        for assignment in &assignments {
            let Some((user, group)) = assignment.membership() else {
                continue;
            };
            if let (Some(user), Some(group)) = (users.get_mut(&user), by_id.get(&group)) {
                let membership = ActualMembership {
                    id: Some(assignment.id.0.clone()),
                    window: Window::OPEN,
                };
                user.groups.entry(group.clone()).or_insert(membership);
            }
        }
        let users = users.into_values().collect();
        Ok(ActualState::from_users(users, by_name))
    }

    /// `user_id` is a deprecated filter: only cards that name this user as holder are kept.
    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let filters = [("user_id", user_id.to_string())];
        let cards: Vec<CardItem> = self.list_all("/cards", &filters).await?;
        let held = cards
            .into_iter()
            .filter(|c| c.user_id.as_ref().is_some_and(|u| u.0 == user_id));
        let kind = |k: Option<String>| k.unwrap_or_else(|| "card".into());
        Ok(held
            .map(|c| ActualCredential {
                id: c.id.0,
                kind: kind(c.kind),
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

    /// Kisi has no validity windows (`time_windows: false`), so the window is not sent.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        _: &Window,
    ) -> Result<(), AccessError> {
        let body = json!({"role_assignment": {
            "user_id": json_id(user_id),
            "role_id": GROUP_BASIC,
            "group_id": json_id(group_id),
            "notify": false,
        }});
        let path = "/role_assignments";
        let req = self.request(Method::POST, path).json(&body);
        let Err(e) = self.http.send(Method::POST, path, req).await else {
            return Ok(());
        };
        let message = e.to_string();
        match e.status() {
            Some(422) if message.to_ascii_lowercase().contains("already") => Ok(()),
            Some(422) => Err(self.rejected(format!(
                "cannot add user {user_id} to group {group_id}: {message}"
            ))),
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

    /// Unassigns the card (assumption (G): `PATCH /cards/{id}` with `user_id: null`, since the
    /// card-assignments API was never read). The id comes from this user's `list_credentials`.
    async fn revoke_credential(&self, _: &str, credential_id: &str) -> Result<(), AccessError> {
        let path = format!("/cards/{}", self.path_id("card", credential_id)?);
        let body = json!({"card": {"user_id": null}});
        self.write_gone_ok(Method::PATCH, &path, Some(body)).await
    }
}
