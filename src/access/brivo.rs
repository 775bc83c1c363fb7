//! Brivo connector (Access / Onair API), built from Brivo's published docs (VENDORS.md, B-doc;
//! "brivo-apidocs" below) and VENDORS.md's corrections.
//!
//! - Auth (`token.rs`): OAuth password grant, refreshed before expiry; `api-key` and
//!   `Authorization: bearer` on every `/v1/api` call. A 401 drops the token and retries once.
//! - The Mashery gateway (VENDORS.md corrections, "Mashery"): a 403 `ERR_403_DEVELOPER_OVER_QPS`
//!   is throttling (reads back off in the net kit, the executor retries writes), a 403
//!   `ERR_403_DEVELOPER_INACTIVE` is a configuration error (never retried, counts toward
//!   quarantine) and 596 a wrong verb, path or region.
//! - Listings page with `offset`/`pageSize=100`; pages must add up to the body's `count`
//!   (brivo-apidocs: Listing Calls). Bodies are parsed in `wire.rs`; one that does not match its
//!   documented shape fails the whole call, naming the vendor and the request.
//! - Owned users carry lockstep's id in Brivo's own `externalId` field.
//! - Memberships are read per managed group only (`GET /groups/{id}/users`): Brivo has no bulk
//!   membership listing, so memberships in unmanaged groups are invisible here and the 16-groups-
//!   per-user limit cannot be checked fully before a change. Brivo's refusals of an assignment
//!   (the limit, a linked group, an unknown group) become per-person `Rejected`/`NotFound` errors
//!   naming the user, the group and Brivo's reason (brivo-apidocs: Group - Assign User to Group).
//! - PINs: a user's `pin` is read as presence only (`wire::PinHeld` drops the text), with its
//!   `effectiveFrom`/`effectiveTo` as the observed window. Setting is one User - Patch user;
//!   clearing is User - Retrieve by id then User - Update user with the user less its PIN fields
//!   (an edit made between the two by someone else is overwritten: Brivo documents no other way
//!   to remove a field). Error snippets of bodies have their `pin` values removed, and a refused
//!   PIN's error is scrubbed of its digits.

mod system;
mod token;
mod wire;

use crate::access::AccessError;
use crate::config::BrivoConfig;
use crate::model::ActualUser;
use crate::net::{HttpClient, NetError, Reply, ResponseHook};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use tokio::sync::Mutex;

/// Brivo's documented maximum page size (brivo-apidocs: Listing Calls - Paging).
const PAGE_SIZE: usize = 100;
/// Bounds a listing whose server never stops (10M items).
const MAX_PAGES: usize = 100_000;
/// Where resources live under the configured base URL.
const API: &str = "/v1/api";
/// Brivo's hard limit on groups per user (brivo-apidocs: User - Update user's group memberships).
const MAX_GROUPS_PER_USER: usize = 16;

/// Names of groups and users seen by the last observation, so a refusal can say who and where.
#[derive(Default)]
struct Labels {
    groups: BTreeMap<String, String>,
    users: BTreeMap<String, String>,
}

/// A Brivo account, reached through one `HttpClient` that knows Brivo's gateway.
pub struct Brivo {
    http: HttpClient,
    cfg: BrivoConfig,
    token: Mutex<Option<token::Token>>,
    labels: std::sync::Mutex<Labels>,
}

impl Brivo {
    pub fn new(name: &str, cfg: &BrivoConfig, hook: Option<ResponseHook>) -> Result<Brivo, String> {
        let e = &cfg.endpoint;
        let http = HttpClient::new(name, &e.url, e.timeout, e.requests_per_second)?;
        let mut http = http.with_gateway(crate::net::Gateway::Mashery);
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        Ok(Brivo {
            http,
            cfg: cfg.clone(),
            token: Mutex::new(None),
            labels: std::sync::Mutex::default(),
        })
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

    /// A body parsed as `T`, or a bad response naming the request and what was wrong.
    fn parsed<T>(
        &self,
        method: Method,
        path: &str,
        parsed: Result<T, String>,
    ) -> Result<T, NetError> {
        parsed.map_err(|detail| {
            self.http
                .bad_response(method, &format!("{API}{path}"), detail)
        })
    }

    /// A GET parsed as the documented `what`.
    async fn get<T: DeserializeOwned>(&self, what: &str, path: &str) -> Result<T, NetError> {
        let reply = self.call(Method::GET, path, None).await?;
        self.parsed(Method::GET, path, wire::parse(what, &reply.body))
    }

    /// Every page of a listing. Pages must add up to the `count` the vendor claims; a short
    /// page before that is `Incomplete`, so no revocation is derived from a partial read.
    async fn list<T: DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
    ) -> Result<Vec<T>, AccessError> {
        let mut items: Vec<T> = Vec::new();
        for _ in 0..MAX_PAGES {
            let offset = items.len();
            let paged = format!("{path}?offset={offset}&pageSize={PAGE_SIZE}");
            let reply = self.call(Method::GET, &paged, None).await?;
            let page = self.parsed(
                Method::GET,
                &paged,
                wire::parse_page::<T>(what, offset, &reply.body),
            )?;
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

    fn rejected(&self, message: String) -> AccessError {
        AccessError::Rejected {
            system: self.http.name.clone(),
            message,
        }
    }

    /// A removal whose 404 means it is already done.
    async fn delete_gone_ok(&self, path: &str) -> Result<(), NetError> {
        match self.call(Method::DELETE, path, None).await {
            Ok(_) | Err(NetError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Remembers group names and users' external ids for messages.
    fn remember(&self, groups: &BTreeMap<String, String>, users: &BTreeMap<String, ActualUser>) {
        let mut labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
        labels.groups = groups
            .iter()
            .map(|(name, id)| (id.clone(), name.clone()))
            .collect();
        labels.users = users
            .values()
            .filter_map(|u| Some((u.system_id.clone(), u.external_id.clone()?)))
            .collect();
    }

    /// `Brivo user 42 (lockstep:…)`.
    fn user_label(&self, id: &str) -> String {
        let labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
        match labels.users.get(id) {
            Some(ext) => format!("Brivo user {id} ({ext})"),
            None => format!("Brivo user {id}"),
        }
    }

    /// `group 7 "Lobby"`.
    fn group_label(&self, id: &str) -> String {
        let labels = self.labels.lock().unwrap_or_else(|e| e.into_inner());
        match labels.groups.get(id) {
            Some(name) => format!("group {id} {name:?}"),
            None => format!("group {id}"),
        }
    }

    /// Brivo's refusal of one assignment, as a problem of this person and group: never retried,
    /// never a reason to quarantine the system.
    fn assignment_refused(&self, user_id: &str, group_id: &str, e: NetError) -> AccessError {
        let (user, group) = (self.user_label(user_id), self.group_label(group_id));
        match e {
            NetError::Status {
                status: 400,
                message,
                ..
            } => {
                let why = if message.contains(&MAX_GROUPS_PER_USER.to_string()) {
                    format!(
                        " (a Brivo user cannot belong to more than {MAX_GROUPS_PER_USER} groups, \
                         counting groups lockstep does not manage)"
                    )
                } else {
                    String::new()
                };
                self.rejected(format!(
                    "{user} cannot be added to {group}{why}: Brivo said {message:?}"
                ))
            }
            NetError::Status {
                status: 404,
                message,
                ..
            } => {
                let missing = if message.to_ascii_lowercase().contains("user") {
                    user
                } else {
                    group
                };
                self.not_found(format!(
                    "{missing} (adding {user_id} to {group_id}; Brivo said {message:?})"
                ))
            }
            other => other.into(),
        }
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
mod golden_tests;
#[cfg(test)]
mod pin_tests;
#[cfg(test)]
mod rate_tests;
#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
pub(crate) mod tests;
