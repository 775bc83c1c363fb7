//! Brivo's response bodies as its docs describe them, and the pure parsers that read them: the
//! token answer (brivo-apidocs: OAuth2 Tokens - An example token response), listing pages
//! (Listing Calls - Results; `User - Retrieve Assigned Credentials` and `User - List user's
//! groups` answer only `{data, count}`), users, groups and credentials. A body that does not
//! match is an error naming what was expected, never a partial value.

use crate::model::ActualUser;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// Brivo requires a last name; one-word names get this one (assumption: both are required).
pub(super) const NO_LAST_NAME: &str = "-";

/// `{access_token, token_type: "bearer", refresh_token, expires_in}`.
#[derive(Debug, Deserialize)]
pub(super) struct TokenReply {
    pub access_token: String,
    pub token_type: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
}

impl TokenReply {
    pub fn lifetime(&self, default: Duration) -> Duration {
        self.expires_in.map_or(default, Duration::from_secs)
    }
}

/// `{data, offset, pageSize, count}`; `offset` and `pageSize` are absent from the short form.
#[derive(Debug, Deserialize)]
pub(super) struct Page<T> {
    pub data: Vec<T>,
    pub offset: Option<usize>,
    /// Required: without the total, completeness cannot be judged (a bad response).
    pub count: usize,
}

/// Brivo ids are numbers; strings are accepted too, anything else is a bad response.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    pub fn text(&self) -> String {
        match self {
            Id::Number(n) => n.to_string(),
            Id::Text(s) => s.clone(),
        }
    }
}

/// A user, full (Retrieve by external id, Create new user) or a listing's slice.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct User {
    pub id: Id,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub external_id: Option<String>,
    pub emails: Option<Vec<Email>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Email {
    pub address: Option<String>,
}

impl User {
    pub fn into_actual(self) -> ActualUser {
        let last = self.last_name.filter(|l| l != NO_LAST_NAME);
        let name = [self.first_name, self.middle_name, last]
            .into_iter()
            .flatten()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let email = self.emails.into_iter().flatten().find_map(|e| e.address);
        ActualUser {
            system_id: self.id.text(),
            external_id: self.external_id.filter(|e| !e.is_empty()),
            name,
            email: email.filter(|a| !a.is_empty()),
            ..ActualUser::default()
        }
    }
}

/// `{id, name}` (Group - Group Listing).
#[derive(Debug, Deserialize)]
pub(super) struct Group {
    pub id: Id,
    pub name: String,
}

/// A group member: only the id matters here.
#[derive(Debug, Deserialize)]
pub(super) struct Member {
    pub id: Id,
}

/// A credential (User - Retrieve Assigned Credentials): the id and the format's name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Credential {
    pub id: Id,
    pub credential_format: Option<Format>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Format {
    pub name: Option<String>,
}

impl Credential {
    pub fn kind(&self) -> String {
        self.credential_format
            .as_ref()
            .and_then(|f| f.name.clone())
            .unwrap_or_else(|| "credential".into())
    }
}

/// Parses a body as `T`, saying what was expected when it is not that.
pub(super) fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let start = crate::net::snippet(body);
        format!("not a Brivo {what} as documented: {e} (body starts {start:?})")
    })
}

/// A token answer that can be used: a non-empty `access_token` of type `bearer`.
pub(super) fn parse_token(body: &[u8]) -> Result<TokenReply, String> {
    let reply: TokenReply = parse("token answer", body)?;
    if reply.access_token.is_empty() {
        return Err("the Brivo token answer carries an empty access_token".into());
    }
    match reply.token_type.as_deref() {
        Some(t) if !t.eq_ignore_ascii_case("bearer") => Err(format!(
            "the Brivo token answer's token_type is {t:?}, not \"bearer\""
        )),
        _ => Ok(reply),
    }
}

/// A listing page that answers the request at `offset`.
pub(super) fn parse_page<T: DeserializeOwned>(
    what: &str,
    offset: usize,
    body: &[u8],
) -> Result<Page<T>, String> {
    let page: Page<T> = parse(&format!("{what} page"), body)?;
    match page.offset {
        Some(o) if o != offset => Err(format!(
            "the Brivo {what} page says offset {o} for a request at offset {offset}"
        )),
        _ => Ok(page),
    }
}
