//! Signed events as lockstep keeps them (`POST /api/v1/events`, README "Signed events"): what a
//! sender said happened, to whom, when. Plain data; `source::events::wire` parses them from a
//! request body, `store::events` keeps them, `source::events::fold` turns them into people.

use super::{LeaseStatus, Timestamp};
use serde::{Deserialize, Serialize};

/// One event: its id (unique within its source: the idempotency key), the property as the
/// source names it, when it happened (orders events about one person) and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub property: String,
    pub time: Timestamp,
    pub body: EventBody,
}

/// What an event says. The JSON `type` of each variant is [`EventBody::type_name`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventBody {
    /// `person.upsert`: the whole record of a person (resident, staff, member).
    PersonUpsert(PersonFields),
    /// `person.remove`: the person (or visitor, or member) is gone from the source.
    PersonRemove { person: String },
    /// `visitor.expected`, `visitor.signed_in`, `visitor.signed_out`.
    Visit { step: VisitStep, visit: VisitFields },
    /// `booking.upsert`: a member's booking of a resource.
    BookingUpsert(BookingFields),
    /// `booking.cancel`.
    BookingCancel { member: String, booking: String },
    /// `credential.lost`: recorded like `POST /api/v1/lost-credential` (`*` = every credential).
    CredentialLost {
        person: String,
        credential: String,
        note: Option<String>,
    },
}

impl EventBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::PersonUpsert(_) => "person.upsert",
            EventBody::PersonRemove { .. } => "person.remove",
            EventBody::Visit { step, .. } => step.type_name(),
            EventBody::BookingUpsert(_) => "booking.upsert",
            EventBody::BookingCancel { .. } => "booking.cancel",
            EventBody::CredentialLost { .. } => "credential.lost",
        }
    }

    /// The person the event is about.
    pub fn person(&self) -> &str {
        match self {
            EventBody::PersonUpsert(p) => &p.id,
            EventBody::PersonRemove { person } => person,
            EventBody::Visit { visit, .. } => &visit.visitor,
            EventBody::BookingUpsert(b) => &b.member,
            EventBody::BookingCancel { member, .. } => member,
            EventBody::CredentialLost { person, .. } => person,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitStep {
    Expected,
    SignedIn,
    SignedOut,
}

impl VisitStep {
    pub fn type_name(self) -> &'static str {
        match self {
            VisitStep::Expected => "visitor.expected",
            VisitStep::SignedIn => "visitor.signed_in",
            VisitStep::SignedOut => "visitor.signed_out",
        }
    }
}

/// `person.upsert`'s `person`: the fields of a `PersonRecord` (`start`/`end` are the lease,
/// contract or plan dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFields {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub unit: Option<String>,
    pub status: LeaseStatus,
    pub role: Option<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

/// A visit event's `visit`. Fields left out keep what earlier events said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitFields {
    pub visitor: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Who the visitor comes to see (kept with the event; the policy does not use it).
    pub host: Option<String>,
    pub expected_arrival: Option<Timestamp>,
    pub invited: Option<bool>,
    pub employee: Option<bool>,
    pub excluded: Option<bool>,
}

/// `booking.upsert`'s `booking`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFields {
    pub member: String,
    pub id: String,
    pub resource: String,
    pub start: Timestamp,
    pub end: Timestamp,
}
