//! Brivo's response bodies as its docs describe them, and the pure parsers that read them: the
//! token answer (brivo-apidocs: OAuth2 Tokens - An example token response), listing pages
//! (Listing Calls - Results; `User - Retrieve Assigned Credentials` and `User - List user's
//! groups` answer only `{data, count}`), users, groups and credentials. A body that does not
//! match is an error naming what was expected, never a partial value.

use crate::model::{ActualUser, Timestamp, Window};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

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
    /// Whether the user holds a PIN; its digits are dropped while parsing.
    pub pin: Option<PinHeld>,
    /// The PIN's validity (User - Create new user, `effectiveFrom`/`effectiveTo`).
    #[serde(default, deserialize_with = "date")]
    pub effective_from: Option<Timestamp>,
    #[serde(default, deserialize_with = "date")]
    pub effective_to: Option<Timestamp>,
}

/// A `pin` field that was present. Its text is read and dropped in the deserializer, so no
/// struct, `Debug` output or parse error ever holds the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PinHeld;

impl<'de> Deserialize<'de> for PinHeld {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PinHeld, D::Error> {
        d.deserialize_any(PinVisitor)
    }
}

/// Accepts text and refuses anything else with a message that never repeats the value (serde's
/// default "invalid type" message would quote a numeric PIN).
struct PinVisitor;

impl<'de> Visitor<'de> for PinVisitor {
    type Value = PinHeld;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a PIN as text")
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<PinHeld, E> {
        Ok(PinHeld)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<PinHeld, E> {
        Err(E::custom("the pin is not text"))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<PinHeld, E> {
        Err(E::custom("the pin is not text"))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<PinHeld, E> {
        Err(E::custom("the pin is not text"))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<PinHeld, E> {
        Err(E::custom("the pin is not text"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<PinHeld, A::Error> {
        Err(serde::de::Error::custom("the pin is not text"))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<PinHeld, A::Error> {
        Err(serde::de::Error::custom("the pin is not text"))
    }
}

/// A Brivo DateTime (ISO 8601 UTC to the second, brivo-apidocs: Schema) as Unix seconds.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    parse_date(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

pub(super) fn parse_date(text: &str) -> Result<Timestamp, String> {
    let local = text.trim().trim_end_matches(['Z', 'z']);
    let at = humantime::parse_rfc3339_weak(local)
        .map_err(|e| format!("{text:?} is not an ISO 8601 UTC date-time: {e}"))?;
    Ok(match at.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as Timestamp,
        Err(before) => -(before.duration().as_secs() as Timestamp),
    })
}

/// Unix seconds as a Brivo DateTime, `2015-04-14T18:17:49Z`. Times before 1970 are sent as
/// the epoch (a PIN valid from then is valid from any earlier time too).
pub(super) fn format_date(at: Timestamp) -> String {
    let secs = u64::try_from(at).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
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
        let pin = self.pin.map(|_| Window {
            from: self.effective_from,
            until: self.effective_to,
        });
        ActualUser {
            system_id: self.id.text(),
            external_id: self.external_id.filter(|e| !e.is_empty()),
            name,
            email: email.filter(|a| !a.is_empty()),
            pin,
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
        let start = redacted_snippet(body);
        format!("not a Brivo {what} as documented: {e} (body starts {start:?})")
    })
}

/// The start of a body for an error message, with every `pin` value removed: user bodies carry
/// PINs, and an error message is logged. A body that is not JSON but mentions a pin is withheld.
pub(super) fn redacted_snippet(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            strip_pins(&mut value);
            crate::net::snippet(value.to_string().as_bytes())
        }
        Err(_) if contains_pin_key(body) => "(withheld: it may hold a PIN)".into(),
        Err(_) => crate::net::snippet(body),
    }
}

fn contains_pin_key(body: &[u8]) -> bool {
    body.windows(3).any(|w| w.eq_ignore_ascii_case(b"pin"))
}

fn strip_pins(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !k.eq_ignore_ascii_case("pin"));
            map.values_mut().for_each(strip_pins);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_pins),
        _ => {}
    }
}

/// Fields of a user that Brivo answers but does not take (User - Retrieve by id, Success 200
/// against User - Update user, Request Body), and the PIN's own fields.
const NOT_SENT_BACK: [&str; 10] = [
    "id",
    "suspended",
    "created",
    "updated",
    "userImage",
    "UserImage",
    "customFields",
    "pin",
    "effectiveFrom",
    "effectiveTo",
];

/// The body of a `PUT /users/{id}` that keeps everything `user` holds except its PIN: a PUT
/// removes what it leaves out (User - Update user). Null fields are left out too; they mean
/// "no value" either way. `None` if `user` is not a JSON object.
pub(super) fn without_pin(mut user: Value) -> Option<Value> {
    let map = user.as_object_mut()?;
    map.retain(|k, v| !v.is_null() && !NOT_SENT_BACK.contains(&k.as_str()));
    Some(user)
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
