//! Brivo connector (Access / Onair API; VENDORS.md confidence C, some verbs G).
//!
//! - Auth: OAuth password grant at `{auth_url}/oauth/token` (form-encoded, Basic client auth,
//!   `api-key`), cached and refreshed with the refresh token before it expires; `api-key` and
//!   `Authorization: bearer` on every `/v1/api` call. A 401 drops the token and retries once.
//! - Throttling comes as 403 "Developer Over Qps" from the gateway (assumption G), so the client
//!   reads a 403 as throttling only when it carries `Retry-After` or says so; a 403 "Developer
//!   Inactive" (bad `api-key`) stays an auth failure.
//! - Listings page with `offset`/`pageSize=100`; pages must add up to the body's `count`.
//! - Owned users carry lockstep's id in Brivo's own `externalId` field.
//! - Memberships are read per managed group only (`GET /groups/{id}/users`): Brivo has no bulk
//!   membership listing, so memberships in unmanaged groups are invisible here and the 16-groups-
//!   per-user limit cannot be checked fully before a change. The vendor enforces it; its refusal
//!   surfaces from `add_to_group` as `AccessError::Rejected`.

use crate::access::{AccessError, AccessSystem, NewUser, Scope};
use crate::config::BrivoConfig;
use crate::model::{
    ActualCredential, ActualMembership, ActualState, ActualUser, Capabilities, Window,
};
use crate::net::{HttpClient, NetError, Reply, ResponseHook};
use async_trait::async_trait;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Brivo's documented maximum page size.
const PAGE_SIZE: usize = 100;
/// Bounds a listing whose server never stops (10M items).
const MAX_PAGES: usize = 100_000;
/// Where resources live under the configured base URL.
const API: &str = "/v1/api";
const TOKEN_PATH: &str = "/oauth/token";
/// Lifetime assumed when the token answer omits `expires_in` (the docs' example).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Brivo requires a last name; one-word names get this one (assumption G: both are required).
const NO_LAST_NAME: &str = "-";
/// Brivo's hard limit on groups per user.
const MAX_GROUPS_PER_USER: usize = 16;

/// A cached access token. Deliberately not `Debug`: tokens never reach logs.
struct Token {
    access: String,
    refresh: Option<String>,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// Due once less than a fifth of the lifetime or 10 s remain, but never in the first half
    /// of a short-lived token's life (or every call would refresh).
    fn refresh_due(&self) -> bool {
        let margin = (self.lifetime / 5)
            .max(Duration::from_secs(10))
            .min(self.lifetime / 2);
        self.obtained.elapsed() + margin >= self.lifetime
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

/// `{data, offset, pageSize, count}`.
#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    /// Required: without the total, completeness cannot be judged (a bad response).
    count: usize,
}

/// Brivo ids are numbers; strings are accepted too, anything else is a bad response.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    fn text(&self) -> String {
        match self {
            Id::Number(n) => n.to_string(),
            Id::Text(s) => s.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: Id,
    first_name: Option<String>,
    last_name: Option<String>,
    external_id: Option<String>,
    emails: Option<Vec<Email>>,
}

#[derive(Deserialize)]
struct Email {
    address: Option<String>,
}

impl User {
    fn into_actual(self) -> ActualUser {
        let first = self.first_name.unwrap_or_default();
        let last = self.last_name.filter(|l| l != NO_LAST_NAME);
        let email = self.emails.into_iter().flatten().find_map(|e| e.address);
        ActualUser {
            system_id: self.id.text(),
            external_id: self.external_id.filter(|e| !e.is_empty()),
            name: format!("{first} {}", last.unwrap_or_default())
                .trim()
                .to_string(),
            email: email.filter(|a| !a.is_empty()),
            ..ActualUser::default()
        }
    }
}

#[derive(Deserialize)]
struct Group {
    id: Id,
    name: String,
}

/// A group member or a credential: only the id and, for credentials, the format matter.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: Id,
    credential_format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    name: Option<String>,
}

/// A Brivo account, reached through one `HttpClient` that knows Brivo throttles with 403.
pub struct Brivo {
    http: HttpClient,
    cfg: BrivoConfig,
    token: Mutex<Option<Token>>,
}

impl Brivo {
    pub fn new(name: &str, cfg: &BrivoConfig, hook: Option<ResponseHook>) -> Result<Brivo, String> {
        let e = &cfg.endpoint;
        let http = HttpClient::new(name, &e.url, e.timeout, e.requests_per_second)?;
        // Brivo's gateway throttles with 403; the client tells it from "Developer Inactive".
        let mut http = http.with_gateway(crate::net::Gateway::Mashery);
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        Ok(Brivo {
            http,
            cfg: cfg.clone(),
            token: Mutex::new(None),
        })
    }

    /// One grant at the token endpoint. A 400 there (`invalid_grant`) is a credentials problem.
    async fn grant(&self, form: &[(&str, &str)]) -> Result<Token, NetError> {
        let url = format!("{}{TOKEN_PATH}", self.cfg.auth_url.trim_end_matches('/'));
        let request = self
            .http
            .request_url(Method::POST, &url)
            .basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret.value))
            .header("api-key", &self.cfg.api_key.value)
            .form(form);
        let sent = self.http.send(Method::POST, TOKEN_PATH, request).await;
        let reply = sent.map_err(bad_grant_is_auth)?;
        let t: TokenReply = self.http.json(Method::POST, TOKEN_PATH, &reply)?;
        if t.access_token.is_empty() {
            let detail = "the answer carries an empty access_token";
            return Err(self.http.bad_response(Method::POST, TOKEN_PATH, detail));
        }
        let lifetime = t
            .expires_in
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Ok(Token {
            access: t.access_token,
            refresh: t.refresh_token.filter(|r| !r.is_empty()),
            obtained: Instant::now(),
            lifetime: lifetime.clamp(Duration::from_secs(1), Duration::from_secs(86_400)),
        })
    }

    /// A valid access token: the cached one, a refreshed one when it is near expiry, or a new
    /// one from the password grant when there is none or the refresh fails. Holding the lock
    /// across the grant makes concurrent callers share one.
    async fn access_token(&self) -> Result<String, NetError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !t.refresh_due()) {
            return Ok(t.access.clone());
        }
        let mut token = None;
        if let Some(refresh) = cached.take().and_then(|t| t.refresh) {
            let form = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
            match self.grant(&form).await {
                Ok(mut t) => {
                    // Keep the refresh token if the answer did not rotate it.
                    t.refresh = t.refresh.or(Some(refresh));
                    token = Some(t);
                }
                Err(error) => {
                    let system = &self.http.name;
                    tracing::debug!(%system, %error, "token refresh failed; signing in again");
                }
            }
        }
        let token = match token {
            Some(t) => t,
            None => {
                let password = [
                    ("grant_type", "password"),
                    ("username", self.cfg.username.as_str()),
                    ("password", self.cfg.password.value.as_str()),
                ];
                self.grant(&password).await?
            }
        };
        let access = token.access.clone();
        *cached = Some(token);
        Ok(access)
    }

    /// Forgets `access` if it is still the cached token (another caller may have replaced it).
    async fn forget(&self, access: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.access == access) {
            *cached = None;
        }
    }

    /// One API call under `/v1/api`. A 401 (token revoked or expired early) drops the token,
    /// signs in again and retries the call once.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, NetError> {
        let full = format!("{API}{path}");
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let mut request = self
                .http
                .request(method.clone(), &full)
                .header("api-key", &self.cfg.api_key.value)
                .header(reqwest::header::AUTHORIZATION, format!("bearer {token}"));
            if let Some(body) = body {
                request = request.json(body);
            }
            match self.http.send(method.clone(), &full, request).await {
                Err(NetError::Auth { status: 401, .. }) if !retried => {
                    self.forget(&token).await;
                    retried = true;
                }
                other => return other,
            }
        }
    }

    /// A GET parsed as `T`.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, NetError> {
        let reply = self.call(Method::GET, path, None).await?;
        self.http.json(Method::GET, &format!("{API}{path}"), &reply)
    }

    /// Every page of a listing. Pages must add up to the `count` the vendor claims; a short
    /// page before that is `Incomplete`, so no revocation is derived from a partial read.
    async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, AccessError> {
        let mut items: Vec<T> = Vec::new();
        for _ in 0..MAX_PAGES {
            let offset = items.len();
            let paged = format!("{path}?offset={offset}&pageSize={PAGE_SIZE}");
            let page: Page<T> = self.get(&paged).await?;
            let (got, count) = (page.data.len(), page.count);
            items.extend(page.data);
            if items.len() == count {
                return Ok(items);
            }
            let detail = if items.len() > count {
                format!("{} items listed but the total says {count}", items.len())
            } else if got < PAGE_SIZE {
                format!(
                    "a page of {got} at offset {offset} ended it at {} of {count}",
                    items.len()
                )
            } else {
                continue;
            };
            return Err(self.incomplete(path, detail));
        }
        Err(self.incomplete(path, format!("more than {MAX_PAGES} pages")))
    }

    fn incomplete(&self, path: &str, detail: String) -> AccessError {
        AccessError::Incomplete {
            system: self.http.name.clone(),
            what: format!("GET {API}{path}"),
            detail,
        }
    }

    fn not_found(&self, what: String) -> AccessError {
        AccessError::NotFound {
            system: self.http.name.clone(),
            what,
        }
    }

    /// A removal whose 404 means it is already done.
    async fn delete_gone_ok(&self, path: &str) -> Result<(), AccessError> {
        match self.call(Method::DELETE, path, None).await {
            Ok(_) | Err(NetError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

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
            throttles_with_403: true,
        }
    }

    /// Users, groups, then the members of each managed group: `ceil(users/100) +
    /// ceil(groups/100) + Σ ceil(members/100)` requests (at least one per listing).
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError> {
        let users: Vec<User> = self.list("/users").await?;
        let groups: Vec<Group> = self.list("/groups").await?;
        let mut directory = BTreeMap::new();
        for g in groups {
            // Names should be unique; if not, the first listed (lowest id) wins, every cycle.
            directory.entry(g.name).or_insert_with(|| g.id.text());
        }
        let mut by_id: BTreeMap<String, ActualUser> = users
            .into_iter()
            .map(|u| u.into_actual())
            .map(|u| (u.system_id.clone(), u))
            .collect();
        for (name, id) in directory.iter().filter(|(n, _)| scope.managed.contains(n)) {
            let members: Vec<Item> = self.list(&format!("/groups/{}/users", segment(id))).await?;
            for m in members {
                // A member created after the user listing shows up next cycle.
                if let Some(user) = by_id.get_mut(&m.id.text()) {
                    // Brivo memberships carry no window (time_windows: false).
                    user.groups
                        .insert(name.clone(), ActualMembership::default());
                }
            }
        }
        let users = by_id.into_values().collect();
        Ok(ActualState::from_users(users, directory))
    }

    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let path = format!("/users/{}/credentials", segment(user_id));
        let held: Vec<Item> = match self.list(&path).await {
            Err(AccessError::Net(NetError::Status { status: 404, .. })) => {
                return Err(self.not_found(format!("user {user_id}")))
            }
            other => other?,
        };
        let kind = |f: Option<Format>| {
            f.and_then(|f| f.name)
                .unwrap_or_else(|| "credential".into())
        };
        Ok(held
            .into_iter()
            .map(|c| ActualCredential {
                id: c.id.text(),
                kind: kind(c.credential_format),
            })
            .collect())
    }

    /// `GET /users/{externalId}/external`; 404 means no such user.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        let path = format!("/users/{}/external", segment(external_id));
        match self.get::<User>(&path).await {
            Ok(user) => {
                let mut user = user.into_actual();
                user.external_id = user.external_id.or_else(|| Some(external_id.to_string()));
                Ok(Some(user))
            }
            Err(NetError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

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
                let path = format!("{API}/users");
                Ok(self
                    .http
                    .json::<User>(Method::POST, &path, &reply)?
                    .id
                    .text())
            }
            // A duplicate externalId means an earlier attempt landed: that user is the answer.
            Err(NetError::Status {
                status: 400,
                message,
                ..
            }) if message.contains("externalId") => {
                match self.find_user(&user.external_id).await? {
                    Some(found) => Ok(found.system_id),
                    None => Err(AccessError::Rejected {
                        system: self.http.name.clone(),
                        message,
                    }),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `PUT /groups/{gid}/users/{uid}` (idempotent). Brivo counts every group, managed or not,
    /// toward its limit, so a refusal here can be the first sign of a full user.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        _window: &Window,
    ) -> Result<(), AccessError> {
        let path = format!("/groups/{}/users/{}", segment(group_id), segment(user_id));
        match self.call(Method::PUT, &path, None).await {
            Ok(_) => Ok(()),
            Err(NetError::Status {
                status: 400,
                message,
                ..
            }) if message.contains(&MAX_GROUPS_PER_USER.to_string()) => {
                let message = format!(
                    "user {user_id} cannot join group {group_id}: a Brivo user cannot belong to \
                     more than {MAX_GROUPS_PER_USER} groups, counting groups lockstep does not \
                     manage (Brivo said: {message})"
                );
                let system = self.http.name.clone();
                Err(AccessError::Rejected { system, message })
            }
            Err(NetError::Status {
                status: 404,
                message,
                ..
            }) => Err(self.not_found(format!("group {group_id} or user {user_id} ({message})"))),
            Err(e) => Err(e.into()),
        }
    }

    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        _membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        let path = format!("/groups/{}/users/{}", segment(group_id), segment(user_id));
        self.delete_gone_ok(&path).await
    }

    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        let (user, credential) = (segment(user_id), segment(credential_id));
        self.delete_gone_ok(&format!("/users/{user}/credentials/{credential}"))
            .await
    }
}

/// The token endpoint answers 400 `invalid_grant` for bad credentials: an auth failure.
fn bad_grant_is_auth(e: NetError) -> NetError {
    match e {
        NetError::Status {
            system,
            method,
            path,
            status: 400,
            message,
        } => NetError::Auth {
            system,
            method,
            path,
            status: 400,
            message,
        },
        other => other,
    }
}

/// Percent-encodes one path segment (external ids contain ':').
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
