//! The body of `POST /api/v1/events`, parsed by hand from JSON so that every error names the
//! field's path (`events[2].visit.expected_arrival: expected an RFC 3339 time`) and nothing in
//! it can panic: sizes are bounded, unknown keys are refused, text carries no control
//! characters. The format is documented in the README ("Signed events").

use crate::model::{
    BookingFields, Event, EventBody, LeaseStatus, PersonFields, Timestamp, VisitFields, VisitStep,
};
use serde_json::{Map, Value};

pub use super::time::rfc3339;

/// Most events one request may carry.
pub const MAX_EVENTS: usize = 500;
/// Longest id (event, person, booking, credential, property).
pub const MAX_ID: usize = 128;
/// Longest free text (names, e-mails, resources, notes).
pub const MAX_TEXT: usize = 1000;

/// A malformed body: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BodyError {
    pub path: String,
    pub message: String,
}

fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, BodyError> {
    Err(BodyError {
        path: path.to_string(),
        message: message.into(),
    })
}

/// Parses a whole body: `{"events": [ ... ]}` with 1 to [`MAX_EVENTS`] events whose ids are
/// unique within the request.
pub fn parse(body: &[u8]) -> Result<Vec<Event>, BodyError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| BodyError {
        path: "body".into(),
        message: format!("not JSON: {e}"),
    })?;
    let root = object(&value, "body")?;
    only(root, "body", &["events"])?;
    let list = match root.get("events") {
        Some(Value::Array(list)) => list,
        Some(_) => return fail("events", "expected a list of events"),
        None => return fail("events", "is required"),
    };
    if list.is_empty() {
        return fail("events", "expected at least one event");
    }
    if list.len() > MAX_EVENTS {
        return fail(
            "events",
            format!(
                "{} events; at most {MAX_EVENTS} are allowed in one request",
                list.len()
            ),
        );
    }
    let mut out: Vec<Event> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let path = format!("events[{i}]");
        let event = parse_event(item, &path)?;
        if let Some(first) = out.iter().position(|e| e.id == event.id) {
            return fail(
                &format!("{path}.id"),
                format!("{:?} is also the id of events[{first}]", event.id),
            );
        }
        out.push(event);
    }
    Ok(out)
}

fn parse_event(value: &Value, path: &str) -> Result<Event, BodyError> {
    let o = object(value, path)?;
    let kind = required(o, path, "type", text)?;
    let (payload, keys): (&str, &[&str]) = match kind.as_str() {
        "person.upsert" | "person.remove" => ("person", PERSON_KEYS),
        "visitor.expected" | "visitor.signed_in" | "visitor.signed_out" => ("visit", VISIT_KEYS),
        "booking.upsert" | "booking.cancel" => ("booking", BOOKING_KEYS),
        "credential.lost" => ("credential", CREDENTIAL_KEYS),
        other => {
            return fail(
                &format!("{path}.type"),
                format!(
                    "unknown event type {other:?} (known: person.upsert, person.remove, \
                     visitor.expected, visitor.signed_in, visitor.signed_out, booking.upsert, \
                     booking.cancel, credential.lost)"
                ),
            )
        }
    };
    only(o, path, &["id", "type", "property", "time", payload])?;
    let id = required(o, path, "id", ident)?;
    let property = required(o, path, "property", ident)?;
    let time = required(o, path, "time", time)?;
    let p = format!("{path}.{payload}");
    let inner = match o.get(payload) {
        Some(v) => object(v, &p)?,
        None => return fail(&p, "is required"),
    };
    only(inner, &p, keys)?;
    let body = match kind.as_str() {
        "person.upsert" => EventBody::PersonUpsert(person(inner, &p)?),
        "person.remove" => {
            only(inner, &p, &["id"])?;
            EventBody::PersonRemove {
                person: required(inner, &p, "id", ident)?,
            }
        }
        "booking.upsert" => EventBody::BookingUpsert(booking(inner, &p)?),
        "booking.cancel" => {
            only(inner, &p, &["member", "id"])?;
            EventBody::BookingCancel {
                member: required(inner, &p, "member", ident)?,
                booking: required(inner, &p, "id", ident)?,
            }
        }
        "credential.lost" => EventBody::CredentialLost {
            person: required(inner, &p, "person", ident)?,
            credential: optional(inner, &p, "id", ident)?.unwrap_or_else(|| "*".into()),
            note: optional(inner, &p, "note", text)?,
        },
        visit_kind => {
            let step = match visit_kind {
                "visitor.expected" => VisitStep::Expected,
                "visitor.signed_in" => VisitStep::SignedIn,
                _ => VisitStep::SignedOut,
            };
            EventBody::Visit {
                step,
                visit: visit(inner, &p)?,
            }
        }
    };
    Ok(Event {
        id,
        property,
        time,
        body,
    })
}

const PERSON_KEYS: &[&str] = &[
    "id", "name", "email", "phone", "unit", "status", "role", "start", "end",
];
const VISIT_KEYS: &[&str] = &[
    "visitor",
    "name",
    "email",
    "host",
    "expected_arrival",
    "invited",
    "employee",
    "excluded",
];
const BOOKING_KEYS: &[&str] = &["member", "id", "resource", "start", "end"];
const CREDENTIAL_KEYS: &[&str] = &["person", "id", "note"];

fn person(o: &Map<String, Value>, p: &str) -> Result<PersonFields, BodyError> {
    let status_text = required(o, p, "status", text)?;
    let status: LeaseStatus = status_text.parse().map_err(|e: String| BodyError {
        path: format!("{p}.status"),
        message: e,
    })?;
    Ok(PersonFields {
        id: required(o, p, "id", ident)?,
        name: required(o, p, "name", text)?,
        email: optional(o, p, "email", text)?,
        phone: optional(o, p, "phone", text)?,
        unit: optional(o, p, "unit", ident)?,
        status,
        role: optional(o, p, "role", ident)?,
        start: optional(o, p, "start", time)?,
        end: optional(o, p, "end", time)?,
    })
}

fn visit(o: &Map<String, Value>, p: &str) -> Result<VisitFields, BodyError> {
    Ok(VisitFields {
        visitor: required(o, p, "visitor", ident)?,
        name: optional(o, p, "name", text)?,
        email: optional(o, p, "email", text)?,
        host: optional(o, p, "host", text)?,
        expected_arrival: optional(o, p, "expected_arrival", time)?,
        invited: optional(o, p, "invited", boolean)?,
        employee: optional(o, p, "employee", boolean)?,
        excluded: optional(o, p, "excluded", boolean)?,
    })
}

fn booking(o: &Map<String, Value>, p: &str) -> Result<BookingFields, BodyError> {
    let b = BookingFields {
        member: required(o, p, "member", ident)?,
        id: required(o, p, "id", ident)?,
        resource: required(o, p, "resource", text)?,
        start: required(o, p, "start", time)?,
        end: required(o, p, "end", time)?,
    };
    if b.end <= b.start {
        return fail(&format!("{p}.end"), "must be after start");
    }
    Ok(b)
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, BodyError> {
    match value {
        Value::Object(o) => Ok(o),
        _ => fail(path, "expected an object"),
    }
}

/// Refuses keys other than `allowed`, naming the first (in key order) and the allowed ones.
fn only(o: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), BodyError> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => fail(
            &format!("{path}.{}", shown(k)),
            format!("unknown field (expected {})", allowed.join(", ")),
        ),
        None => Ok(()),
    }
}

/// A key as it may appear in an error: bounded, control characters escaped.
fn shown(key: &str) -> String {
    let cut: String = key.chars().take(64).collect();
    cut.escape_debug().to_string()
}

type Reader<T> = fn(&Value) -> Result<T, String>;

fn required<T>(
    o: &Map<String, Value>,
    p: &str,
    key: &str,
    read: Reader<T>,
) -> Result<T, BodyError> {
    match optional(o, p, key, read)? {
        Some(v) => Ok(v),
        None => fail(&format!("{p}.{key}"), "is required"),
    }
}

/// A field that may be absent or `null`.
fn optional<T>(
    o: &Map<String, Value>,
    p: &str,
    key: &str,
    read: Reader<T>,
) -> Result<Option<T>, BodyError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v).map(Some).map_err(|message| BodyError {
            path: format!("{p}.{key}"),
            message,
        }),
    }
}

fn bounded(v: &Value, max: usize) -> Result<String, String> {
    let Value::String(s) = v else {
        return Err("expected a string".into());
    };
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let n = s.chars().count();
    if n > max {
        return Err(format!("{n} characters; at most {max} are allowed"));
    }
    if let Some((at, c)) = s.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(format!(
            "control character U+{:04X} at position {at} is not allowed",
            c as u32
        ));
    }
    Ok(s.clone())
}

fn ident(v: &Value) -> Result<String, String> {
    bounded(v, MAX_ID)
}

fn text(v: &Value) -> Result<String, String> {
    bounded(v, MAX_TEXT)
}

fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| "expected true or false".into())
}

fn time(v: &Value) -> Result<Timestamp, String> {
    let Value::String(s) = v else {
        return Err("expected an RFC 3339 time (a string such as \"2026-11-23T09:00:00Z\")".into());
    };
    rfc3339(s).ok_or_else(|| {
        format!(
            "expected an RFC 3339 time such as \"2026-11-23T09:00:00Z\" or \
             \"2026-11-23T10:00:00+01:00\", found {:?}",
            s.chars().take(40).collect::<String>()
        )
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
