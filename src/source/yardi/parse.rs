//! Reads a `GetResidents` answer in the layout public Voyager clients read (VENDORS.md,
//! "Corrections, 2026-11-23": Credit-Jeeves/validation-bundle `Services/Yardi/Soap/*.php` and a
//! Ruby client): `soap:Body/GetResidentsResponse/GetResidentsResult/MITS-ResidentData/
//! PropertyResidents/Residents/Resident[@tCode]` with flat children, business errors in
//! `GetResidentsResult/Messages/Message[@messageType]`.
//!
//! There is no `Count`, so completeness rests on the document being well formed to its last
//! closing tag, naming no other property than the one asked for, and the gate's comparison with
//! the last good feed. Pure, so it can be fuzzed.

use super::status::{lease_status, parse_us_date};
use crate::model::{LeaseStatus, PersonRecord, RecordProblem, SourceSnapshot};
use crate::source::SourceError;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

/// Names under which an answer may carry its property id, on `PropertyResidents` as an attribute
/// or as a child element (lowercase). Assumption: no public client reads the id from a
/// `GetResidents` answer; the Ruby client's positional read shows `PropertyResidents` carries
/// something besides `Residents`, and MITS elsewhere uses `Identification/@IDValue` (handled too).
const PROPERTY_ID_NAMES: [&str; 4] = ["propertyid", "yardipropertyid", "propertycode", "code"];

/// One `Resident` being read; `n` is its 1-based position in the answer.
#[derive(Default)]
struct Resident {
    n: usize,
    depth: usize,
    code: Option<String>,
    status: String,
    first: String,
    last: String,
    email: Option<String>,
    phones: Vec<String>,
    unit: Option<String>,
    lease_from: Option<String>,
    lease_to: Option<String>,
    move_in: Option<String>,
    move_out: Option<String>,
}

/// The walk over the document: the open elements and what was found so far.
#[derive(Default)]
struct Walk {
    stack: Vec<String>,
    text: String,
    fault: Option<String>,
    errors: Vec<String>,
    message_is_error: bool,
    saw_data: bool,
    property_ids: Vec<String>,
    resident: Option<Resident>,
    done: Vec<Resident>,
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The attributes of an element as (local name, unescaped value); malformed ones are an error.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute on <{}>: {err}", local(e)))?;
        let value = a
            .unescape_value()
            .map_err(|err| format!("bad attribute value on <{}>: {err}", local(e)))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

impl Walk {
    fn parent(&self) -> &str {
        self.stack.last().map_or("", String::as_str)
    }

    /// An opening (or self-closing) tag.
    fn open(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        let name = local(e);
        let attrs = attributes(e)?;
        let parent = self.parent().to_string();
        match (parent.as_str(), name.as_str()) {
            (_, "MITS-ResidentData") => self.saw_data = true,
            (_, "PropertyResidents") => self.property_ids.extend(
                attrs
                    .iter()
                    .filter(|(k, _)| PROPERTY_ID_NAMES.contains(&k.to_ascii_lowercase().as_str()))
                    .map(|(_, v)| v.clone()),
            ),
            ("PropertyResidents", "Identification") => self.property_ids.extend(
                attrs
                    .iter()
                    .filter(|(k, _)| k == "IDValue")
                    .map(|(_, v)| v.clone()),
            ),
            ("Messages", "Message") => {
                self.message_is_error = attrs
                    .iter()
                    .any(|(k, v)| k == "messageType" && v.trim().eq_ignore_ascii_case("error"))
            }
            ("Residents", "Resident") => {
                if let Some(r) = &self.resident {
                    return Err(format!("resident {} is not closed", r.n));
                }
                let code = attrs
                    .into_iter()
                    .find(|(k, _)| k == "tCode")
                    .map(|(_, v)| v);
                self.resident = Some(Resident {
                    n: self.done.len() + 1,
                    depth: self.stack.len(),
                    code: code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
                    ..Resident::default()
                });
            }
            _ => {}
        }
        self.stack.push(name);
        self.text.clear();
        if empty {
            self.close();
        }
        Ok(())
    }

    /// A closing tag: files the text just read where it belongs.
    fn close(&mut self) {
        let name = self.stack.pop().unwrap_or_default();
        let depth = self.stack.len();
        let value = std::mem::take(&mut self.text).trim().to_string();
        let parent = self.parent().to_string();
        match (parent.as_str(), name.as_str()) {
            (_, "faultstring") => self.fault = Some(value.clone()),
            ("Messages", "Message") if self.message_is_error => {
                self.errors.push(value.clone());
                self.message_is_error = false;
            }
            ("PropertyResidents", n)
                if PROPERTY_ID_NAMES.contains(&n.to_ascii_lowercase().as_str()) =>
            {
                self.property_ids.push(value.clone())
            }
            _ => {}
        }
        let Some(r) = self.resident.as_mut() else {
            return;
        };
        if depth == r.depth {
            let r = self.resident.take().unwrap_or_default();
            self.done.push(r);
            return;
        }
        let some = (!value.is_empty()).then(|| value.clone());
        if depth == r.depth + 1 {
            match name.as_str() {
                "Status" => r.status = value,
                "FirstName" => r.first = value,
                "LastName" => r.last = value,
                "Email" => r.email = some,
                "UnitCode" => r.unit = some,
                "LeaseFromDate" => r.lease_from = some,
                "LeaseToDate" => r.lease_to = some,
                "MoveInDate" => r.move_in = some,
                "MoveOutDate" => r.move_out = some,
                _ => {}
            }
        } else if depth == r.depth + 2 && parent == "Phone" && name == "PhoneNumber" {
            r.phones.extend(some);
        }
    }
}

/// What one resident turned out to be.
enum Read {
    Person(PersonRecord),
    Held(RecordProblem),
}

fn finish(r: Resident) -> Result<(String, Read), String> {
    let n = r.n;
    let code = r
        .code
        .ok_or_else(|| format!("resident {n}: no tCode attribute"))?;
    let date = |field: &str, v: Option<String>| -> Result<Option<i64>, String> {
        v.map(|d| {
            parse_us_date(&d).ok_or_else(|| {
                format!("resident {n} (tCode {code}): {field} {d:?} is not a MM/DD/YYYY date")
            })
        })
        .transpose()
    };
    let lease_from = date("LeaseFromDate", r.lease_from)?;
    let lease_to = date("LeaseToDate", r.lease_to)?;
    let move_in = date("MoveInDate", r.move_in)?;
    let move_out = date("MoveOutDate", r.move_out)?;
    let Some(status) = lease_status(&r.status) else {
        return Ok((
            code.clone(),
            Read::Held(RecordProblem {
                person_id: code,
                kind: RecordProblem::UNKNOWN_STATUS.into(),
                detail: format!("unknown Status {:?}", r.status),
            }),
        ));
    };
    let name = format!("{} {}", r.first, r.last).trim().to_string();
    let person = PersonRecord {
        name: if name.is_empty() { code.clone() } else { name },
        id: code.clone(),
        email: r.email,
        phone: r.phones.into_iter().next(),
        unit: r.unit,
        status,
        // GetResidents lists tenants only: nobody carries a staff role.
        role: None,
        lease_start: lease_from.or(move_in),
        lease_end: match status {
            LeaseStatus::Notice => move_out.or(lease_to),
            _ => lease_to,
        },
        membership: None,
        visit: None,
    };
    Ok((code, Read::Person(person)))
}

/// Parses a `GetResidents` SOAP answer for `property`. A short, malformed or foreign document is
/// an error naming the vendor, the request and the fault: a silently dropped person would be
/// revoked. A person with an unmapped status is not an error: they come back in `problems`.
pub fn parse_residents(
    xml: &str,
    property: &str,
    source_name: &str,
) -> Result<SourceSnapshot, SourceError> {
    let err = |kind: fn(String, String, String) -> SourceError, detail: String| {
        kind(
            source_name.into(),
            property.into(),
            format!("Yardi Voyager GetResidents for YardiPropertyId {property:?}: {detail}"),
        )
    };
    let payload = |detail| err(payload_error, detail);
    let walk = walk(xml).map_err(|(incomplete, detail)| {
        if incomplete {
            err(incomplete_error, detail)
        } else {
            payload(detail)
        }
    })?;
    if let Some(f) = walk.fault {
        return Err(err(fault_error, f));
    }
    if !walk.errors.is_empty() {
        return Err(err(fault_error, walk.errors.join("; ")));
    }
    if !walk.saw_data {
        return Err(payload(
            "no MITS-ResidentData element: not a GetResidents answer".into(),
        ));
    }
    if let Some(other) = walk
        .property_ids
        .iter()
        .find(|id| !id.trim().eq_ignore_ascii_case(property.trim()))
    {
        return Err(payload(format!(
            "the answer is for property {other:?}, not the one asked for"
        )));
    }
    collect(walk.done).map_err(payload)
}

fn collect(residents: Vec<Resident>) -> Result<SourceSnapshot, String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut snapshot = SourceSnapshot::default();
    for r in residents {
        let n = r.n;
        let (code, read) = finish(r)?;
        if let Some(first) = seen.insert(code.clone(), n) {
            return Err(format!(
                "tCode {code:?} appears twice (residents {first} and {n})"
            ));
        }
        match read {
            Read::Person(p) => snapshot.people.push(p),
            Read::Held(p) => snapshot.problems.push(p),
        }
    }
    Ok(snapshot)
}

fn payload_error(source_name: String, property: String, detail: String) -> SourceError {
    SourceError::Payload {
        source_name,
        property,
        detail,
    }
}

fn incomplete_error(source_name: String, property: String, detail: String) -> SourceError {
    SourceError::Incomplete {
        source_name,
        property,
        detail,
    }
}

fn fault_error(source_name: String, property: String, detail: String) -> SourceError {
    SourceError::Fault {
        source_name,
        property,
        detail,
    }
}

/// Walks the whole document. `Err((true, _))` means it stops before its end (cut off).
fn walk(xml: &str) -> Result<Walk, (bool, String)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut w = Walk::default();
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                // An error found only at the end of the input is what a cut-off body looks like.
                let at_end = reader.buffer_position() as usize >= xml.len();
                let cut = matches!(e, quick_xml::Error::Syntax(_)) || at_end;
                return Err((cut, format!("XML error at byte {position}: {e}")));
            }
        };
        let bad = |d: String| (false, d);
        match event {
            Event::Start(e) => w.open(&e, false).map_err(bad)?,
            Event::Empty(e) => w.open(&e, true).map_err(bad)?,
            Event::End(_) => w.close(),
            Event::Text(t) => w.text.push_str(
                &t.xml_content()
                    .map_err(|e| bad(format!("text at byte {position}: {e}")))?,
            ),
            Event::CData(t) => w.text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad(e.to_string()))?;
                match r.resolve_char_ref() {
                    Ok(Some(c)) => w.text.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => w.text.push_str(s),
                        None => {
                            return Err(bad(format!("unknown entity &{name}; at byte {position}")))
                        }
                    },
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !w.stack.is_empty() {
        return Err((
            true,
            format!(
                "the document ends inside <{}> after {} residents (cut off)",
                w.stack.join("/"),
                w.done.len()
            ),
        ));
    }
    Ok(w)
}
