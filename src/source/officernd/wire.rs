//! OfficeRnD's v2 bodies as lockstep reads them: the list envelope and the few fields of each
//! record the connector needs. Unknown fields are ignored (OfficeRnD documents only some).
//!
//! Sources (facts only):
//! - D-query: developer.officernd.com/docs/building-queries ("Querying data", v2): every list
//!   answers `{results, cursorNext, cursorPrev, rangeStart, rangeEnd}`; `$limit` default and
//!   maximum 50 ("any value above 50 will be capped at 50"); `$cursorNext` fetches the next page.
//! - D-members: developer.officernd.com/reference/members: `name`, `email`, `phone`,
//!   `startDate`, `status` (active, contact or former), `calculatedStatus`, the member's
//!   location (`office` in the reference; `location` in v2 clients) and company (`team`/`company`).
//! - D-passes: developer.officernd.com/reference/passes: `member`, `team`, `count`, `used`,
//!   `validFrom`, `validTo`, `status`, `intervalLength`.
//! - C-n8n: Skrapion/n8n-nodes-officernd `nodes/Officernd/MembershipDescription.ts` (membership
//!   `plan`, `member`, `company`, `location`, `startDate`, `endDate`, `status`) and
//!   `DayPassDescription.ts` (`/passes`, filters `member`, `company`).
//! - C-dock: a v2 booking client (`OfficeRnDService`, base `.../api/v2/organizations/<slug>`):
//!   `/bookings` with `isCancelled`, `member`, `company`; `/resources`, `/floors`, `/plans`.
//! - C-lib: GibranDar/officernd-api-lib `src/officerndapilib/schema.py` (v1): booking
//!   `resourceId`, `start.dateTime`, `end.dateTime`, `canceled`; resource `type` (`meeting_room`,
//!   `team_room`, …), `office`; member status `active | contact | former`.
//! - C-sync: a NestJS `OfficeRndSyncService`: `/locations` (`_id`, `name`), companies' `location`.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The most rows one page may hold (D-query).
pub const PAGE_LIMIT: usize = 50;

/// One page of any v2 list (D-query). `results` is required: a body without it is not a page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub results: Vec<T>,
    #[serde(default)]
    pub cursor_next: Option<String>,
    #[serde(default)]
    pub range_start: Option<u64>,
    #[serde(default)]
    pub range_end: Option<u64>,
}

/// Parses one page, saying what was wrong in words.
pub fn parse_page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, String> {
    serde_json::from_slice(body).map_err(|e| {
        format!(
            "not a v2 list page ({e}); body starts {:?}",
            crate::net::snippet(body)
        )
    })
}

/// A reference that may come as an id or as an expanded object with `_id` (assumption: v2
/// clients read both shapes).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Ref {
    Id(String),
    Object {
        #[serde(rename = "_id")]
        id: String,
    },
}

impl Ref {
    pub fn id(&self) -> &str {
        match self {
            Ref::Id(id) | Ref::Object { id } => id,
        }
    }
}

/// A member (D-members, C-lib).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// `active`, `contact` or `former` (D-members); anything else is that member's problem.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    /// The member's location: `location` in v2 (C-sync reads it on companies), `office` in the
    /// reference (D-members).
    #[serde(default, alias = "office")]
    pub location: Option<Ref>,
    /// The member's company: `company` in v2 (C-dock), `team` in the reference (D-members).
    #[serde(default, alias = "team")]
    pub company: Option<Ref>,
}

/// A membership: a plan held by a member or a company between two dates (C-n8n).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub plan: Option<Ref>,
    #[serde(default)]
    pub member: Option<Ref>,
    #[serde(default, alias = "team")]
    pub company: Option<Ref>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    /// The private office this membership rents (assumption: OfficeRnD ties an office
    /// membership to its resource; no public source names the field).
    #[serde(default)]
    pub resource: Option<Ref>,
}

/// A plan (C-dock reads `_id` and `name`).
#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
}

/// A floor (C-dock `/floors`); its location reference is an assumption.
#[derive(Debug, Clone, Deserialize)]
pub struct Floor {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(default, alias = "office")]
    pub location: Option<Ref>,
}

/// A resource: a meeting room, desk or private office (C-lib `ORNDResource`: `type`,
/// `office`); its `floor` is an assumption (C-dock joins rooms to floors).
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub floor: Option<Ref>,
    #[serde(default, alias = "office")]
    pub location: Option<Ref>,
}

/// `start`/`end` of a booking: `{dateTime}` (C-lib), or a plain timestamp (assumption).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum When {
    Object {
        #[serde(rename = "dateTime")]
        date_time: String,
    },
    Text(String),
}

impl When {
    pub fn text(&self) -> &str {
        match self {
            When::Object { date_time } | When::Text(date_time) => date_time,
        }
    }
}

/// A booking (C-lib, C-dock).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(alias = "resource")]
    pub resource_id: Ref,
    pub start: When,
    pub end: When,
    #[serde(default)]
    pub member: Option<Ref>,
    #[serde(default, alias = "team")]
    pub company: Option<Ref>,
    /// `isCancelled` in v2 (C-dock), `canceled` in v1 (C-lib).
    #[serde(default, alias = "canceled")]
    pub is_cancelled: bool,
}

/// A set of day passes (D-passes). The pass's `plan` is an assumption: the reference lists no
/// name, so passes without one are called `Day Pass`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pass {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub member: Option<Ref>,
    #[serde(default, alias = "team")]
    pub company: Option<Ref>,
    pub count: u32,
    #[serde(default)]
    pub used: u32,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub plan: Option<Ref>,
}

/// The token endpoint's answer (VENDORS.md, OfficeRnD: `{access_token, token_type,
/// expires_in, scope}`). Deliberately not `Debug`: the token never reaches a log.
#[derive(Deserialize)]
pub struct TokenReply {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// Unix time of an ISO 8601 instant (`2024-05-01T09:00:00.000Z`) or a date (`2024-05-01`,
/// midnight UTC; memberships' dates carry `T00:00:00Z` to be read as dates, C-n8n).
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let at = if text.len() == 10 {
        humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok()?
    } else {
        humantime::parse_rfc3339_weak(text).ok()?
    };
    Some(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}
