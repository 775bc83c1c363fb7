//! Talking to OfficeRnD: the client-credentials token (cached until near expiry, forgotten and
//! fetched once more after a 401) and the cursor loop that reads every page of a list.
//!
//! Token: `POST {auth_url}/oauth/token`, form `client_id`, `client_secret`,
//! `grant_type=client_credentials`, `scope` (VENDORS.md, OfficeRnD; public v2 clients send a
//! space-separated `flex.*` scope list, and one notes that a request without a scope is refused).
//! Paging: `$limit=50` and `$cursorNext` from the body until it is null (building-queries).

use super::wire::{parse_page, Page, TokenReply, PAGE_LIMIT};
use super::Officernd;
use crate::net::token::Token;
use crate::net::NetError;
use crate::source::SourceError;
use reqwest::Method;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::time::Duration;

pub(super) const TOKEN_PATH: &str = "/oauth/token";
/// The read scopes of the lists lockstep reads (as public v2 clients name them).
pub const SCOPE: &str = "flex.community.members.read flex.community.memberships.read \
flex.billing.plans.read flex.space.locations.read flex.space.floors.read \
flex.space.resources.read flex.space.bookings.read flex.space.passes.read";
/// VENDORS.md: `expires_in` is 3599 in OfficeRnD's example; assumed when the answer omits it.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3599);
/// The most pages one list may take: 2,000 × 50 = 100,000 rows. A longer list is a loop.
pub const MAX_PAGES: usize = 2_000;

impl Officernd {
    async fn grant(&self) -> Result<Token, NetError> {
        let url = format!("{}{TOKEN_PATH}", self.cfg.auth_url.trim_end_matches('/'));
        let form = [
            ("client_id", self.cfg.client_id.as_str()),
            ("client_secret", self.cfg.client_secret.value.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", SCOPE),
        ];
        let request = self.http.request_url(Method::POST, &url).form(&form);
        let reply = self
            .http
            .send(Method::POST, TOKEN_PATH, request)
            .await
            .map_err(|e| {
                crate::net::sign_in_refused(e, |message| {
                    format!(
                        "OfficeRnD refused the token request ({message}); check client_id and \
                         client_secret, and that the application has the read scopes"
                    )
                })
            })?;
        let t: TokenReply = self.http.json(Method::POST, TOKEN_PATH, &reply)?;
        if t.access_token.is_empty() {
            return Err(self
                .http
                .bad_response(Method::POST, TOKEN_PATH, "empty access_token"));
        }
        let lifetime = t.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok(Token::new(
            t.access_token,
            lifetime,
            Duration::from_secs(86_400),
        ))
    }

    /// The cached token, or a new grant near expiry (`net::token`).
    pub(super) async fn access_token(&self) -> Result<String, NetError> {
        self.token.get(|_| self.grant()).await
    }

    /// One GET under the organisation; a 401 forgets the token and tries once more.
    async fn get(&self, list: &str, query: &[(&str, &str)]) -> Result<bytes::Bytes, NetError> {
        let path = format!(
            "/api/v2/organizations/{}/{list}",
            self.cfg.org_slug.trim_matches('/')
        );
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let request = self
                .http
                .request(Method::GET, &path)
                .bearer_auth(&token)
                .header("accept", "application/json")
                .query(query);
            match self.http.send(Method::GET, &path, request).await {
                Err(NetError::Auth { status: 401, .. }) if !retried => {
                    self.token.forget(&token).await;
                    retried = true;
                }
                Err(e) => return Err(e),
                Ok(reply) => return Ok(reply.body),
            }
        }
    }

    /// Every row of one list, page after page, or an error naming the page: never a part.
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        property: &str,
        list: &str,
        filter: &[(&str, &str)],
    ) -> Result<Vec<T>, SourceError> {
        let limit = PAGE_LIMIT.to_string();
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        let mut cursor: Option<String> = None;
        for page_no in 1..=MAX_PAGES {
            let mut query: Vec<(&str, &str)> = filter.to_vec();
            query.push(("$limit", &limit));
            if let Some(c) = &cursor {
                query.push(("$cursorNext", c));
            }
            let body = self.get(list, &query).await?;
            let page: Page<T> = parse_page(&body)
                .map_err(|detail| self.payload(property, list, page_no, detail))?;
            self.check_page(property, list, page_no, &page, rows.len())?;
            rows.extend(page.results);
            match page.cursor_next.filter(|c| !c.is_empty()) {
                None => return Ok(rows),
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(self.incomplete(
                        property,
                        list,
                        page_no,
                        "the next-page cursor repeats an earlier one (the listing would loop)",
                    ));
                }
                Some(next) => cursor = Some(next),
            }
        }
        Err(self.incomplete(
            property,
            list,
            MAX_PAGES,
            format!("more than {MAX_PAGES} pages of {PAGE_LIMIT}; refusing a partial list"),
        ))
    }

    /// A page holds at most 50 rows, and where it states its range the range follows on from
    /// the rows already read and matches the rows it holds.
    fn check_page<T>(
        &self,
        property: &str,
        list: &str,
        page_no: usize,
        page: &Page<T>,
        before: usize,
    ) -> Result<(), SourceError> {
        let n = page.results.len();
        if n > PAGE_LIMIT {
            return Err(self.payload(
                property,
                list,
                page_no,
                format!("{n} rows on a page of at most {PAGE_LIMIT}"),
            ));
        }
        if n == 0 && page.cursor_next.as_deref().is_some_and(|c| !c.is_empty()) {
            return Err(self.incomplete(
                property,
                list,
                page_no,
                "an empty page that points to a next one",
            ));
        }
        if let (Some(start), Some(end), true) = (page.range_start, page.range_end, n > 0) {
            let (want_start, want_end) = (before as u64 + 1, (before + n) as u64);
            if start != want_start || end != want_end {
                return Err(self.incomplete(
                    property,
                    list,
                    page_no,
                    format!(
                        "rows {start}-{end} stated, {want_start}-{want_end} expected after \
                         {before} rows read"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn payload(
        &self,
        property: &str,
        list: &str,
        page: usize,
        detail: impl std::fmt::Display,
    ) -> SourceError {
        SourceError::Payload {
            source_name: self.http.name.clone(),
            property: property.into(),
            detail: format!("OfficeRnD /{list} page {page}: {detail}"),
        }
    }

    pub(super) fn incomplete(
        &self,
        property: &str,
        list: &str,
        page: usize,
        detail: impl std::fmt::Display,
    ) -> SourceError {
        SourceError::Incomplete {
            source_name: self.http.name.clone(),
            property: property.into(),
            detail: format!("OfficeRnD /{list} page {page}: {detail}"),
        }
    }
}
