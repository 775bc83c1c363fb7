//! DOOR's bodies as its partner and auth specs describe them (schema names on each), the pure
//! parsers that read them, and the two translations lockstep needs: `Window` ↔ `startTime`/
//! `endTime`, and lockstep's external id ↔ the tag at the end of `lastName`. A body that does
//! not match is an error naming what was expected, never a partial value.

use crate::model::{ActualUser, Timestamp, Window, EXTERNAL_ID_PREFIX};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

/// door-auth `AuthorizationResponseParams`: `access_token` and `token_type` required.
/// `expires_in` is not in the schema (assumption: Auth0 sends it; read when present).
#[derive(Debug, Deserialize)]
pub(super) struct TokenReply {
    pub access_token: String,
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// One page of a listing: the rows under the operation's field and `nextPageToken`
/// (`UsersResponse.users`, `DoorsResponse.doors`; the token is optional in every schema).
pub(super) struct Page<T> {
    pub rows: Vec<T>,
    pub next_page_token: Option<String>,
}

/// A row of a listing: its uuid, to catch a row listed twice.
pub(super) trait Row {
    fn id(&self) -> &str;
}

/// door-partner `User`: `email`, `firstName`, `lastName`, `userUuid` required; `accesses`
/// optional (absent means "not said", not "none").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct User {
    pub user_uuid: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub accesses: Option<Vec<UserAccess>>,
}

/// door-partner `UserAccess`: one door with its window. `endTime` is listed as required, but
/// an access granted without one has none to show (assumption: absent or null = open end).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserAccess {
    pub door_uuid: String,
    pub start_time: String,
    #[serde(default)]
    pub end_time: Option<String>,
    /// Required by the schema, so a row without it fails; lockstep does not act on it.
    #[allow(dead_code)]
    pub passcode_type: String,
}

/// door-partner `Door`: `buildingUuid`, `name`, `type`, `uuid` required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Door {
    pub uuid: String,
    pub name: String,
    /// Required by the schema, so a row without them fails; lockstep does not act on them.
    #[allow(dead_code)]
    pub building_uuid: String,
    #[allow(dead_code)]
    #[serde(rename = "type")]
    pub kind: String,
}

/// door-partner `PostUserResponse` (`grantAccessToUser` 200): `userUuid`, `doors`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostUserResponse {
    pub user_uuid: String,
    #[allow(dead_code)]
    pub doors: Vec<Door>,
}

impl Row for User {
    fn id(&self) -> &str {
        &self.user_uuid
    }
}
impl Row for Door {
    fn id(&self) -> &str {
        &self.uuid
    }
}

impl User {
    /// The user as the model sees it; memberships are filled in by the caller.
    pub fn to_actual(&self) -> ActualUser {
        let (last, external_id) = split_tag(&self.last_name);
        let name = [self.first_name.trim(), last]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        ActualUser {
            system_id: self.user_uuid.clone(),
            external_id,
            name,
            email: Some(self.email.clone()).filter(|e| !e.trim().is_empty()),
            ..ActualUser::default()
        }
    }

    /// The access this user holds on `door`, if the answer lists it.
    pub fn access_to(&self, door: &str) -> Option<&UserAccess> {
        self.accesses
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|a| a.door_uuid.eq_ignore_ascii_case(door))
    }
}

impl UserAccess {
    /// The access's window; an unreadable time is an error naming the door.
    pub fn window(&self) -> Result<Window, String> {
        let read = |field: &str, text: &str| {
            parse_time(text)
                .map_err(|e| format!("access to door {}: {field} {text:?}: {e}", self.door_uuid))
        };
        let from = read("startTime", &self.start_time)?;
        let until = match self.end_time.as_deref() {
            None | Some("") => None,
            Some(t) => Some(read("endTime", t)?),
        };
        Ok(Window {
            from: (from != OPEN_START).then_some(from),
            until,
        })
    }
}

/// Parses a body as `T`, saying what was expected when it is not that.
pub(super) fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let start = crate::net::snippet(body);
        format!("not a DOOR {what} as documented: {e} (body starts {start:?})")
    })
}

/// A token answer that can be used: a non-empty `access_token` of type `Bearer`.
pub(super) fn parse_token(body: &[u8]) -> Result<TokenReply, String> {
    let reply: TokenReply = parse("token answer", body)?;
    if reply.access_token.trim().is_empty() {
        return Err("the DOOR token answer carries an empty access_token".into());
    }
    if !reply.token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "the DOOR token answer's token_type is {:?}, not \"Bearer\"",
            reply.token_type
        ));
    }
    Ok(reply)
}

/// A listing page: the array under `field` (required), at most `size` rows, and the next
/// token (absent or empty means the last page).
pub(super) fn parse_page<T: DeserializeOwned>(
    what: &str,
    field: &str,
    size: usize,
    body: &[u8],
) -> Result<Page<T>, String> {
    let mut value: Value = parse(&format!("{what} page"), body)?;
    let Some(rows) = value.get_mut(field).map(Value::take) else {
        return Err(format!("the DOOR {what} page has no {field:?} list"));
    };
    let rows: Vec<T> = serde_json::from_value(rows)
        .map_err(|e| format!("the DOOR {what} page's {field:?} is not as documented: {e}"))?;
    if rows.len() > size {
        return Err(format!(
            "the DOOR {what} page holds {} rows for a pageSize of {size}",
            rows.len()
        ));
    }
    let next_page_token = match value.get("nextPageToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.is_empty() => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(other) => return Err(format!("the DOOR {what} page's nextPageToken is {other}")),
    };
    Ok(Page {
        rows,
        next_page_token,
    })
}

/// The `startTime` lockstep sends for a window open at its start (the Unix epoch), and reads
/// back as "no start" (assumption: DOOR keeps a start in the past as sent; `startTime` is
/// required on every grant, so an open start needs some value that round-trips).
pub(super) const OPEN_START: Timestamp = 0;

/// `format: date-time` as lockstep sends it: RFC 3339 in UTC, whole seconds.
pub(super) fn format_time(at: Timestamp) -> String {
    let secs = u64::try_from(at).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// RFC 3339 with `Z` or a numeric offset, fractions dropped, to seconds since the epoch.
pub(super) fn parse_time(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let (local, offset) = split_offset(text)?;
    let at = humantime::parse_rfc3339_weak(local).map_err(|e| format!("not a date-time: {e}"))?;
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "before 1970".to_string())?
        .as_secs();
    Ok(secs as Timestamp - offset)
}

/// Splits `2026-01-02T03:04:05+01:00` into the local part and the offset in seconds.
fn split_offset(text: &str) -> Result<(&str, i64), String> {
    if let Some(local) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Ok((local, 0));
    }
    let tail = text.len().checked_sub(6).map(|i| (i, &text[i..]));
    match tail {
        Some((i, t)) if (t.starts_with('+') || t.starts_with('-')) && t.as_bytes()[3] == b':' => {
            let hours: i64 = t[1..3].parse().map_err(|_| "bad offset hours")?;
            let minutes: i64 = t[4..6].parse().map_err(|_| "bad offset minutes")?;
            let sign = if t.starts_with('-') { -1 } else { 1 };
            Ok((&text[..i], sign * (hours * 3600 + minutes * 60)))
        }
        _ => Err("has no time zone (Z or ±hh:mm)".into()),
    }
}

/// `lastName` with lockstep's tag appended: `Smith [lockstep:yardi:t001]`.
pub(super) fn tagged_last_name(last: &str, external_id: &str) -> String {
    let last = last.trim();
    if last.is_empty() {
        format!("[{external_id}]")
    } else {
        format!("{last} [{external_id}]")
    }
}

/// Splits `Smith [lockstep:…]` into `Smith` and the external id; a name without the tag is
/// returned whole with no id.
pub(super) fn split_tag(last_name: &str) -> (&str, Option<String>) {
    let trimmed = last_name.trim_end();
    let tag = trimmed
        .strip_suffix(']')
        .and_then(|t| t.rfind('[').map(|i| (i, &t[i + 1..])))
        .filter(|(_, id)| id.starts_with(EXTERNAL_ID_PREFIX) && !id.contains(['[', ']']));
    match tag {
        Some((i, id)) => (trimmed[..i].trim_end(), Some(id.to_string())),
        None => (last_name.trim(), None),
    }
}

/// A person's name split for `firstName` (minLength 1) and `lastName`: the first word, then
/// the rest. An empty name is refused by the caller.
pub(super) fn split_name(name: &str) -> (&str, &str) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (name, ""),
    }
}
