//! Openpath's response bodies as its Swagger 2.0 spec describes them (`openpath-swagger`, the
//! operationId named on each), and the pure parsers that read them. A body that does not match
//! is an error naming what was expected, never a partial value.

use crate::model::ActualUser;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::time::{Duration, SystemTime};

/// Openpath ids are JSON numbers (`type: number`). An integral float (`7.0`) is accepted as the
/// number it is; a string or a fraction is not an Openpath id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Id(pub u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        if let Some(v) = n.as_u64() {
            return Ok(Id(v));
        }
        match n.as_f64() {
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(Id(f as u64)),
            _ => Err(serde::de::Error::custom(format!(
                "{n} is not an Openpath id (a whole, non-negative number)"
            ))),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `login` and `refreshLogin` (201): `{data: {token, expiresAt, …}, meta}`.
#[derive(Debug, Deserialize)]
pub(super) struct LoginReply {
    pub data: LoginData,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoginData {
    pub token: String,
    /// `format: date`, nullable.
    pub expires_at: Option<String>,
}

impl LoginData {
    /// How long the token lives from now, if `expiresAt` says; an unreadable date is an error.
    pub fn lifetime(&self, now: SystemTime) -> Result<Option<Duration>, String> {
        let Some(text) = self.expires_at.as_deref() else {
            return Ok(None);
        };
        let at = humantime::parse_rfc3339_weak(text).map_err(|e| {
            format!("the Openpath login answer's expiresAt {text:?} is not a date: {e}")
        })?;
        Ok(Some(at.duration_since(now).unwrap_or(Duration::ZERO)))
    }
}

/// Every listing (`listUsers`, `listGroups`, `listUserGroups`, `listCredentials`, …):
/// `{totalCount, filteredCount, data, meta}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page<T> {
    /// Required here: without the total, completeness cannot be judged.
    pub total_count: usize,
    pub data: Vec<T>,
}

/// A row of a listing: its id, to catch a row listed twice.
pub(super) trait Row {
    fn id(&self) -> Id;
}

/// One object answers (`describeUser`, `createUser`): `{data, meta}`.
#[derive(Debug, Deserialize)]
pub(super) struct One<T> {
    pub data: T,
}

/// A user (`listUsers` item, `createUser` 201 `data`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct User {
    pub id: Id,
    pub external_id: Option<String>,
    pub identity: Option<Identity>,
    /// The user's groups; absent means "not said" (then `listUserGroups` is asked).
    pub groups: Option<Vec<GroupRef>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Identity {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
}

/// `{id, name}`: a user's group (`listUsers` `groups[]`, `listUserGroups` item).
#[derive(Debug, Deserialize)]
pub(super) struct GroupRef {
    pub id: Id,
}

/// A group (`listGroups` item): `{id, name, description, userCount, …}`.
#[derive(Debug, Deserialize)]
pub(super) struct Group {
    pub id: Id,
    pub name: String,
}

/// A credential (`listCredentials` item): `{id, credentialType: {id, name, modelName}, …}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Credential {
    pub id: Id,
    pub credential_type: Option<CredentialType>,
    /// Present on mobile credentials: `{id, name, provisionedAt, …}`.
    #[serde(default)]
    pub mobile: Option<Mobile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialType {
    pub name: Option<String>,
    pub model_name: Option<String>,
}

/// A mobile credential's state: `provisionedAt` is null until the person set it up.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Mobile {
    #[serde(default)]
    pub provisioned_at: Option<String>,
}

/// A credential type (`listCredentialTypes` item): `{id, name, description, modelName}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Kind {
    pub id: Id,
    pub name: Option<String>,
    pub model_name: Option<String>,
}

impl Row for Kind {
    fn id(&self) -> Id {
        self.id
    }
}

impl Kind {
    /// Whether this is a phone credential: its model or name says mobile (openpath-swagger
    /// lists types by name only; the public examples show `Openpath Mobile` / `mobile`).
    pub fn is_mobile(&self) -> bool {
        says_mobile(self.model_name.as_deref()) || says_mobile(self.name.as_deref())
    }
}

fn says_mobile(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.to_ascii_lowercase().contains("mobile"))
}

impl Row for User {
    fn id(&self) -> Id {
        self.id
    }
}
impl Row for GroupRef {
    fn id(&self) -> Id {
        self.id
    }
}
impl Row for Group {
    fn id(&self) -> Id {
        self.id
    }
}
impl Row for Credential {
    fn id(&self) -> Id {
        self.id
    }
}

impl User {
    /// The user as the model sees it; memberships are filled in by the caller.
    pub fn to_actual(&self) -> ActualUser {
        let identity = self.identity.as_ref();
        let full = identity
            .and_then(|i| i.full_name.clone())
            .filter(|n| !n.trim().is_empty());
        let name = full.unwrap_or_else(|| {
            identity
                .map(|i| [&i.first_name, &i.middle_name, &i.last_name])
                .into_iter()
                .flatten()
                .flatten()
                .filter(|part| !part.trim().is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        });
        ActualUser {
            system_id: self.id.to_string(),
            external_id: self.external_id.clone().filter(|e| !e.is_empty()),
            name,
            email: identity
                .and_then(|i| i.email.clone())
                .filter(|e| !e.is_empty()),
            ..ActualUser::default()
        }
    }
}

impl Credential {
    /// Whether this is a mobile credential (its type says so, or it carries a `mobile` part).
    pub fn is_mobile(&self) -> bool {
        self.mobile.is_some()
            || self.credential_type.as_ref().is_some_and(|t| {
                says_mobile(t.model_name.as_deref()) || says_mobile(t.name.as_deref())
            })
    }

    /// The credential type's name (`Openpath Mobile`, `Mifare CSN`, …).
    pub fn kind(&self) -> String {
        self.credential_type
            .as_ref()
            .and_then(|t| t.name.clone().or_else(|| t.model_name.clone()))
            .unwrap_or_else(|| "credential".into())
    }
}

/// Parses a body as `T`, saying what was expected when it is not that.
pub(super) fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let start = crate::net::snippet(body);
        format!("not an Openpath {what} as documented: {e} (body starts {start:?})")
    })
}

/// A login answer that can be used: a non-empty `data.token`.
pub(super) fn parse_login(body: &[u8]) -> Result<LoginData, String> {
    let reply: LoginReply = parse("login answer", body)?;
    if reply.data.token.trim().is_empty() {
        return Err("the Openpath login answer carries an empty data.token".into());
    }
    Ok(reply.data)
}

/// A listing page of at most `limit` rows.
pub(super) fn parse_page<T: DeserializeOwned>(
    what: &str,
    limit: usize,
    body: &[u8],
) -> Result<Page<T>, String> {
    let page: Page<T> = parse(&format!("{what} page"), body)?;
    if page.data.len() > limit {
        return Err(format!(
            "the Openpath {what} page holds {} rows for a limit of {limit}",
            page.data.len()
        ));
    }
    Ok(page)
}
