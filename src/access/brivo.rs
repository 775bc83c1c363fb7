//! Brivo (Access / Onair API, VENDORS.md confidence C; HTTP verbs partly G): OAuth password
//! grant from the auth host with refresh before expiry, `api-key` on every call, `offset`/
//! `pageSize` paging with `{data, offset, pageSize, count}`, memberships via
//! `/groups/{gid}/users/{uid}`, at most 16 groups per user. Throttling may come as a 403
//! ("Developer Over Qps", assumption G), so the client reads 403 with care.

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

const PAGE: usize = 100;

#[derive(Debug, Clone)]
struct Token {
    access: String,
    refresh: Option<String>,
    issued: Instant,
    lifetime: Duration,
}

impl Token {
    /// Refresh when less than a fifth of the lifetime (or 10 s) remains.
    fn needs_refresh(&self) -> bool {
        let margin = (self.lifetime / 5)
            .max(Duration::from_secs(10))
            .min(self.lifetime / 2);
        self.issued.elapsed() + margin >= self.lifetime
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    #[serde(default)]
    count: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: Value,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct Group {
    id: Value,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credential {
    id: Value,
    #[serde(default)]
    credential_format: Option<Value>,
}

fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub struct Brivo {
    http: HttpClient,
    cfg: BrivoConfig,
    token: Mutex<Option<Token>>,
}

impl Brivo {
    pub fn new(name: &str, cfg: &BrivoConfig, hook: Option<ResponseHook>) -> Result<Brivo, String> {
        let mut http = HttpClient::new(
            name,
            &cfg.endpoint.url,
            cfg.endpoint.timeout,
            cfg.endpoint.requests_per_second,
        )?
        .throttles_with_403(true);
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        Ok(Brivo {
            http,
            cfg: cfg.clone(),
            token: Mutex::new(None),
        })
    }

    async fn grant(&self, form: &[(&str, &str)]) -> Result<Token, NetError> {
        let url = format!("{}/oauth/token", self.cfg.auth_url.trim_end_matches('/'));
        let request = self
            .http
            .request_url(Method::POST, &url)
            .basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret.value))
            .header("api-key", &self.cfg.api_key.value)
            .form(form);
        let reply = self
            .http
            .send(Method::POST, "/oauth/token", request)
            .await?;
        let t: TokenReply = self.http.json(Method::POST, "/oauth/token", &reply)?;
        Ok(Token {
            access: t.access_token,
            refresh: t.refresh_token,
            issued: Instant::now(),
            lifetime: Duration::from_secs(t.expires_in.unwrap_or(60).max(1)),
        })
    }

    /// A valid access token: cached, refreshed before expiry, re-acquired if refresh fails.
    async fn access_token(&self, force_new: bool) -> Result<String, NetError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !force_new && !t.needs_refresh()) {
            return Ok(t.access.clone());
        }
        let refreshed = match cached
            .as_ref()
            .and_then(|t| t.refresh.clone())
            .filter(|_| !force_new)
        {
            Some(refresh) => self
                .grant(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
                .await
                .ok(),
            None => None,
        };
        let token = match refreshed {
            Some(t) => t,
            None => {
                self.grant(&[
                    ("grant_type", "password"),
                    ("username", &self.cfg.username),
                    ("password", &self.cfg.password.value),
                ])
                .await?
            }
        };
        let access = token.access.clone();
        *cached = Some(token);
        Ok(access)
    }

    /// One API call with the token; a 401 drops the token and retries once with a fresh one.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Reply, AccessError> {
        let mut force_new = false;
        for _ in 0..2 {
            let token = self.access_token(force_new).await?;
            let mut request = self
                .http
                .request(method.clone(), &format!("/v1/api{path}"))
                .header("api-key", &self.cfg.api_key.value)
                .bearer_auth(&token);
            if let Some(b) = &body {
                request = request.json(b);
            }
            match self.http.send(method.clone(), path, request).await {
                Err(NetError::Auth { status: 401, .. }) if !force_new => force_new = true,
                other => return other.map_err(AccessError::from),
            }
        }
        Err(AccessError::Rejected {
            system: self.http.name.clone(),
            message: format!("{method} {path}: still unauthorised after a fresh token"),
        })
    }

    /// A write whose 404 means "already done" (removing something gone).
    async fn write_gone_ok(&self, method: Method, path: &str) -> Result<(), AccessError> {
        match self.call(method, path, None).await {
            Ok(_) => Ok(()),
            Err(AccessError::Net(NetError::Status { status: 404, .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every page of a listing; pages must add up to `count`.
    async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, AccessError> {
        let mut out: Vec<T> = Vec::new();
        for _ in 0..100_000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let full = format!("{path}{sep}offset={}&pageSize={PAGE}", out.len());
            let reply = self.call(Method::GET, &full, None).await?;
            let page: Page<T> = self.http.json(Method::GET, path, &reply)?;
            let count = page
                .count
                .ok_or_else(|| self.incomplete(path, "the page carries no count".into()))?;
            let got = page.data.len();
            out.extend(page.data);
            if out.len() >= count {
                if out.len() > count {
                    return Err(self
                        .incomplete(path, format!("{} items for a count of {count}", out.len())));
                }
                return Ok(out);
            }
            if got < PAGE {
                return Err(self.incomplete(
                    path,
                    format!(
                        "a page of {got} items ended the listing at {} of {count}",
                        out.len()
                    ),
                ));
            }
        }
        Err(self.incomplete(path, "more than 100000 pages".into()))
    }

    fn incomplete(&self, what: &str, detail: String) -> AccessError {
        AccessError::Incomplete {
            system: self.http.name.clone(),
            what: what.to_string(),
            detail,
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
            max_groups_per_user: Some(16),
            throttles_with_403: true,
        }
    }

    /// Users, groups, then members of each managed group that exists. Memberships in unmanaged
    /// groups are not read (Brivo has no bulk membership listing), so the 16-group limit is also
    /// enforced by the vendor: its refusal surfaces as `Rejected`.
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError> {
        let users: Vec<User> = self.list("/users").await?;
        let groups: Vec<Group> = self.list("/groups").await?;
        let directory: BTreeMap<String, String> = groups
            .iter()
            .map(|g| (g.name.clone(), id_text(&g.id)))
            .collect();
        let mut by_id: BTreeMap<String, ActualUser> = users
            .into_iter()
            .map(|u| {
                let id = id_text(&u.id);
                let name = format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_string();
                (
                    id.clone(),
                    ActualUser {
                        system_id: id,
                        external_id: u.external_id,
                        name,
                        ..ActualUser::default()
                    },
                )
            })
            .collect();
        for group in groups.iter().filter(|g| scope.managed.contains(&g.name)) {
            let members: Vec<User> = self
                .list(&format!("/groups/{}/users", id_text(&group.id)))
                .await?;
            for m in members {
                if let Some(user) = by_id.get_mut(&id_text(&m.id)) {
                    user.groups.insert(
                        group.name.clone(),
                        ActualMembership {
                            id: None,
                            window: Window::OPEN,
                        },
                    );
                }
            }
        }
        Ok(ActualState::from_users(
            by_id.into_values().collect(),
            directory,
        ))
    }

    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError> {
        let creds: Vec<Credential> = self.list(&format!("/users/{user_id}/credentials")).await?;
        Ok(creds
            .into_iter()
            .map(|c| ActualCredential {
                id: id_text(&c.id),
                kind: c
                    .credential_format
                    .and_then(|f| f.get("name").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| "credential".into()),
            })
            .collect())
    }

    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError> {
        let path = format!("/users/{}/external", encode_segment(external_id));
        match self.call(Method::GET, &path, None).await {
            Ok(reply) => {
                let u: User = self.http.json(Method::GET, &path, &reply)?;
                Ok(Some(ActualUser {
                    system_id: id_text(&u.id),
                    external_id: u.external_id,
                    name: format!("{} {}", u.first_name, u.last_name)
                        .trim()
                        .to_string(),
                    ..ActualUser::default()
                }))
            }
            Err(AccessError::Net(NetError::Status { status: 404, .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError> {
        let (first, last) = user
            .name
            .split_once(' ')
            .unwrap_or((user.name.as_str(), ""));
        let emails: Vec<Value> = user
            .email
            .iter()
            .map(|e| json!({"address": e, "type": "Work"}))
            .collect();
        let body = json!({"firstName": first, "lastName": last, "externalId": user.external_id, "emails": emails});
        match self.call(Method::POST, "/users", Some(body)).await {
            Ok(reply) => {
                let created: User = self.http.json(Method::POST, "/users", &reply)?;
                Ok(id_text(&created.id))
            }
            // A duplicate externalId means an earlier attempt landed: use that user.
            Err(AccessError::Net(NetError::Status {
                status: 400,
                message,
                ..
            })) if message.contains("externalId") => match self.find_user(&user.external_id).await?
            {
                Some(u) => Ok(u.system_id),
                None => Err(AccessError::Rejected {
                    system: self.http.name.clone(),
                    message,
                }),
            },
            Err(e) => Err(e),
        }
    }

    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        _window: &Window,
    ) -> Result<(), AccessError> {
        match self.call(Method::PUT, &format!("/groups/{group_id}/users/{user_id}"), None).await {
            Ok(_) => Ok(()),
            Err(AccessError::Net(NetError::Status { status: 400, message, .. })) if message.contains("16") => {
                Err(AccessError::Rejected { system: self.http.name.clone(), message: format!("user {user_id} cannot join group {group_id}: more than 16 groups per user ({message})") })
            }
            Err(e) => Err(e),
        }
    }

    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        _membership_id: Option<&str>,
    ) -> Result<(), AccessError> {
        self.write_gone_ok(
            Method::DELETE,
            &format!("/groups/{group_id}/users/{user_id}"),
        )
        .await
    }

    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        self.write_gone_ok(
            Method::DELETE,
            &format!("/users/{user_id}/credentials/{credential_id}"),
        )
        .await
    }
}

/// Percent-encodes one path segment (external ids contain ':').
fn encode_segment(s: &str) -> String {
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
