//! Openpath / Avigilon Alta connector, built from Openpath's Swagger 2.0 spec
//! (`../shared/vendor-specs/openpath-swagger.json`, "openpath-swagger" below; operationIds
//! named on each call) and VENDORS.md's corrections.
//!
//! - Auth (`token.rs`): `login` (`POST /auth/login {email, password}`, 201) gives a JWT sent as
//!   the `Authorization` header's value (the spec's `jwt` apiKey scheme; the public scripts
//!   VENDORS.md cites send it bare). It is renewed with `refreshLogin` before its `expiresAt`;
//!   a 401 drops it, signs in again and retries the call once.
//! - Resources live under `/orgs/{org_id}`. Listings page with `limit=1000` (the spec's
//!   maximum), `offset`, `sort=id&order=asc` (a stable order: the default sort by last name is
//!   not unique). Pages must add up to `totalCount`, which may not change between pages; a row
//!   listed twice, a page over the limit or a short page before the total fails the listing,
//!   naming the request, so no revocation is derived from a partial read.
//! - Owned users carry lockstep's id in the user's own `externalId` field (`createUser`).
//!   The spec documents no filter grammar, so `find_user` pages the user listing and matches
//!   `externalId` exactly.
//! - Memberships come with each user of `listUsers` (`groups[]`, as the public Asmbly client
//!   reads them); a user whose answer leaves `groups` out is asked `listUserGroups`.
//! - Errors: the spec documents no error bodies; `net::error_message` reads `message`/`error`.

mod system;
mod token;
mod wire;

use crate::access::AccessError;
use crate::config::OpenpathConfig;
use crate::net::{HttpClient, NetError, Reply, ResponseHook};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;
use wire::Row;

/// The spec's maximum `limit` on every listing lockstep reads.
pub(crate) const PAGE_SIZE: usize = 1000;
/// Bounds a listing whose server never stops (100M rows).
const MAX_PAGES: usize = 100_000;

/// An Openpath organisation, reached through one `HttpClient`.
pub struct Openpath {
    http: HttpClient,
    cfg: OpenpathConfig,
    token: crate::net::token::TokenCache,
    page_size: usize,
}

impl Openpath {
    pub fn new(
        name: &str,
        cfg: &OpenpathConfig,
        hook: Option<ResponseHook>,
    ) -> Result<Openpath, String> {
        let e = &cfg.endpoint;
        let mut http = HttpClient::new(name, &e.url, e.timeout, e.requests_per_second)?;
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        Ok(Openpath {
            http,
            cfg: cfg.clone(),
            token: Default::default(),
            page_size: PAGE_SIZE,
        })
    }

    /// Smaller pages, so tests can cross page boundaries with few users.
    #[cfg(test)]
    pub(crate) fn with_page_size(mut self, page_size: usize) -> Openpath {
        self.page_size = page_size.clamp(1, PAGE_SIZE);
        self
    }

    /// `/orgs/{org_id}` + `path`.
    fn org_path(&self, path: &str) -> String {
        format!("/orgs/{}{path}", self.cfg.org_id)
    }

    /// One call under `/orgs/{org_id}`. A 401 (token revoked or expired early) drops the token,
    /// signs in again and retries the call once.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, NetError> {
        let full = self.org_path(path);
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let mut request = self
                .http
                .request(method.clone(), &full)
                .header(reqwest::header::AUTHORIZATION, &token);
            if let Some(body) = body {
                request = request.json(body);
            }
            match self.http.send(method.clone(), &full, request).await {
                Err(NetError::Auth { status: 401, .. }) if !retried => {
                    self.token.forget(&token).await;
                    retried = true;
                }
                other => return other,
            }
        }
    }

    /// A body parsed, or a bad response naming the request and what was wrong.
    fn parsed<T>(
        &self,
        method: Method,
        path: &str,
        parsed: Result<T, String>,
    ) -> Result<T, NetError> {
        parsed.map_err(|detail| self.http.bad_response(method, &self.org_path(path), detail))
    }

    /// Every page of a listing under `/orgs/{org_id}`. Complete only when the rows add up to
    /// `totalCount`; anything else is `Incomplete`, naming the request.
    async fn list<T: DeserializeOwned + Row>(
        &self,
        what: &str,
        path: &str,
    ) -> Result<Vec<T>, AccessError> {
        let limit = self.page_size;
        let mut items: Vec<T> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut total: Option<usize> = None;
        for _ in 0..MAX_PAGES {
            let offset = items.len();
            let paged = format!("{path}?limit={limit}&offset={offset}&sort=id&order=asc");
            let reply = self.call(Method::GET, &paged, None).await?;
            let page = wire::parse_page::<T>(what, limit, &reply.body);
            let page = self.parsed(Method::GET, &paged, page)?;
            let count = page.total_count;
            if let Some(before) = total.filter(|t| *t != count) {
                let detail = format!("totalCount changed from {before} to {count} between pages");
                return Err(self.incomplete(&paged, detail));
            }
            total = Some(count);
            let got = page.data.len();
            for row in page.data {
                if !seen.insert(row.id()) {
                    let detail = format!("{what} {} listed twice (at offset {offset})", row.id());
                    return Err(self.incomplete(&paged, detail));
                }
                items.push(row);
            }
            let detail = if items.len() == count {
                return Ok(items);
            } else if items.len() > count {
                format!("{} rows listed but totalCount says {count}", items.len())
            } else if got < limit {
                format!(
                    "a page of {got} at offset {offset} ended it at {} of {count}",
                    items.len()
                )
            } else {
                continue;
            };
            return Err(self.incomplete(&paged, detail));
        }
        Err(self.incomplete(path, format!("more than {MAX_PAGES} pages")))
    }

    fn incomplete(&self, path: &str, detail: String) -> AccessError {
        AccessError::Incomplete {
            system: self.http.name.clone(),
            what: format!("GET {}", self.org_path(path)),
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
}

/// An Openpath id from lockstep's text (`"42"`); anything else names the vendor's rule.
fn numeric(what: &str, id: &str) -> Result<u64, String> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| format!("{what} id {id:?} is not an Openpath id (Openpath ids are numbers)"))
}

#[cfg(test)]
mod bad_pages;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod key_tests;
#[cfg(test)]
pub(crate) mod tests;
