//! Reads the bytes of one CSV file into a `SourceSnapshot`. Pure (no IO, no clock), so it can be
//! fuzzed: any input gives a snapshot or an error naming the file and line, never a panic.
//!
//! A bad header is an error for the whole file. A bad row is a `RecordProblem` for that row's
//! person, so everyone else still reconciles; a row whose person cannot be named (no id) fails
//! the whole file instead, since dropping it would look like that person leaving.

use super::fields::{lease_status, parse_date, role, KNOWN_STATUS_WORDS};
use crate::model::{PersonRecord, RecordProblem, SourceSnapshot};
use std::collections::BTreeMap;

/// Problem kinds (bounded metric labels) besides `RecordProblem::UNKNOWN_STATUS`.
pub const BAD_FIELD: &str = "bad_field";
pub const BAD_ROW: &str = "bad_row";
pub const DUPLICATE_ID: &str = "duplicate_id";

/// The columns lockstep reads. Header names are matched trimmed and case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Id,
    Name,
    Email,
    Phone,
    Kind,
    Unit,
    Start,
    End,
    Status,
    Property,
}

impl Column {
    fn from_header(name: &str) -> Option<Column> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" => Column::Id,
            "name" => Column::Name,
            "email" => Column::Email,
            "phone" => Column::Phone,
            "kind" | "role" => Column::Kind,
            "unit" => Column::Unit,
            "start" => Column::Start,
            "end" => Column::End,
            "status" => Column::Status,
            "property" => Column::Property,
            _ => return None,
        })
    }
}

/// What the header names: each known column's index, and its name as the file spells it.
struct Header {
    at: BTreeMap<Column, (usize, String)>,
    width: usize,
}

/// How to read one file for one property.
pub struct Input<'a> {
    /// The file as named in messages (its path).
    pub file: &'a str,
    /// The property being read; rows with another `property` are not its people.
    pub property: &'a str,
    pub delimiter: u8,
}

/// Parses a whole file. `Err` is the detail of a `SourceError::Payload`.
pub fn parse(bytes: &[u8], input: &Input<'_>) -> Result<SourceSnapshot, String> {
    let file = input.file;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(input.delimiter)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let mut lines = Lines::default();
    let header = match records.next() {
        None => return Err(format!("{file}: no header line")),
        Some(Err(e)) => return Err(format!("{file}: {e}")),
        Some(Ok(r)) => {
            let line = lines.at(bytes, r.position().map_or(0, |p| p.byte()));
            header(&r, &Place { file, line })?
        }
    };
    let mut rows: BTreeMap<String, Vec<(u64, Row)>> = BTreeMap::new();
    for record in records {
        let record = record.map_err(|e| format!("{file}: {e}"))?;
        let line = lines.at(bytes, record.position().map_or(0, |p| p.byte()));
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank row, as spreadsheets export them
        }
        let at = Place { file, line };
        if let Some((id, row)) = read_row(&record, &header, &at, input.property)? {
            rows.entry(id).or_default().push((line, row));
        }
    }
    let mut snapshot = SourceSnapshot::default();
    for (id, mut seen) in rows {
        if seen.len() > 1 {
            let lines: Vec<String> = seen.iter().map(|(l, _)| l.to_string()).collect();
            snapshot.problems.push(RecordProblem {
                person_id: id.clone(),
                kind: DUPLICATE_ID.into(),
                detail: format!(
                    "{file}: id {:?} appears on lines {}; none of these rows is used",
                    clip(&id),
                    and_list(&lines)
                ),
            });
            continue;
        }
        match seen.pop().map(|(_, row)| row) {
            Some(Row::Person(p)) => snapshot.people.push(p),
            Some(Row::Problem(p)) => snapshot.problems.push(p),
            None => {}
        }
    }
    Ok(snapshot)
}

fn header(record: &csv::ByteRecord, place: &Place<'_>) -> Result<Header, String> {
    let (file, line) = (place.file, place.line);
    let mut at: BTreeMap<Column, (usize, String)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| {
                format!(
                    "{file} line {line}, column {}: the header is not UTF-8",
                    i + 1
                )
            })?
            .trim();
        // Blank and `#`-prefixed columns are the operator's own notes.
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        let Some(column) = Column::from_header(name) else {
            unknown.push(format!("{name:?}"));
            continue;
        };
        if let Some((_, first)) = at.get(&column) {
            return Err(format!(
                "{file} line {line}: columns {first:?} and {name:?} both give the same field"
            ));
        }
        at.insert(column, (i, name.to_string()));
    }
    if !unknown.is_empty() {
        return Err(format!(
            "{file} line {line}: unknown column{} {} (known: id, name, email, phone, kind or role, \
             unit, start, end, status, property; start a column's name with # to keep notes)",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", ")
        ));
    }
    for (column, name) in [(Column::Id, "id"), (Column::Name, "name")] {
        if !at.contains_key(&column) {
            return Err(format!(
                "{file} line {line}: the header has no {name:?} column"
            ));
        }
    }
    Ok(Header {
        at,
        width: record.len(),
    })
}

/// One data row: a person, or a problem that holds their access.
enum Row {
    Person(PersonRecord),
    Problem(RecordProblem),
}

/// Where a row is, for messages.
struct Place<'a> {
    file: &'a str,
    line: u64,
}

/// The text of one cell, trimmed; `Err` names the column when it is not UTF-8.
fn cell<'r>(
    record: &'r csv::ByteRecord,
    header: &Header,
    column: Column,
) -> Result<&'r str, String> {
    let Some((i, name)) = header.at.get(&column) else {
        return Ok("");
    };
    let raw = record.get(*i).unwrap_or_default();
    std::str::from_utf8(raw)
        .map(str::trim)
        .map_err(|_| format!("column {name:?}: not UTF-8 text"))
}

/// Reads one row for `property`: `None` when the row belongs to another property.
fn read_row(
    record: &csv::ByteRecord,
    header: &Header,
    at: &Place<'_>,
    property: &str,
) -> Result<Option<(String, Row)>, String> {
    let (file, line) = (at.file, at.line);
    let id = match cell(record, header, Column::Id) {
        Ok("") => {
            return Err(format!(
                "{file} line {line}, column \"id\": empty; a row lockstep cannot attribute to a \
                 person fails the whole file, so nobody loses access over it"
            ))
        }
        Ok(id) => id.to_string(),
        Err(e) => return Err(format!("{file} line {line}, {e}")),
    };
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    if header.at.contains_key(&Column::Property) {
        match cell(record, header, Column::Property) {
            Ok(p) if p == property => {}
            Ok("") => errors.push((BAD_FIELD, "column \"property\": empty".into())),
            Ok(_) => return Ok(None),
            Err(e) => errors.push((BAD_FIELD, e)),
        }
    }
    if record.len() != header.width {
        errors.push((
            BAD_ROW,
            format!(
                "{} fields where the header has {}",
                record.len(),
                header.width
            ),
        ));
    }
    let mut text = |column: Column| match cell(record, header, column) {
        Ok(v) => Some(v.to_string()),
        Err(e) => {
            errors.push((BAD_FIELD, e));
            None
        }
    };
    let optional = |v: Option<String>| v.filter(|s| !s.is_empty());
    let name = text(Column::Name);
    let email = optional(text(Column::Email));
    let phone = optional(text(Column::Phone));
    let unit = optional(text(Column::Unit));
    let kind = text(Column::Kind).unwrap_or_default();
    let start = text(Column::Start).unwrap_or_default();
    let end = text(Column::End).unwrap_or_default();
    let status_word = text(Column::Status).unwrap_or_default();
    if name.as_deref() == Some("") {
        errors.push((BAD_FIELD, "column \"name\": empty".into()));
    }
    let name = name.unwrap_or_default();
    let mut date = |column: Column, value: &str| -> Option<i64> {
        if value.is_empty() {
            return None;
        }
        let parsed = parse_date(value);
        if parsed.is_none() {
            let name = header.at.get(&column).map_or("", |(_, n)| n.as_str());
            errors.push((
                BAD_FIELD,
                format!(
                    "column {name:?}: {:?} is not a date (YYYY-MM-DD)",
                    clip(value)
                ),
            ));
        }
        parsed
    };
    let lease_start = date(Column::Start, &start);
    let lease_end = date(Column::End, &end);
    if let (Some(s), Some(e)) = (lease_start, lease_end) {
        if e < s {
            errors.push((
                BAD_FIELD,
                format!("column \"end\": {end:?} is before the start {start:?}"),
            ));
        }
    }
    let status = lease_status(&status_word);
    if status.is_none() {
        errors.push((
            RecordProblem::UNKNOWN_STATUS,
            format!(
                "column \"status\": unknown status {:?} (known: {})",
                clip(&status_word),
                KNOWN_STATUS_WORDS.join(", ")
            ),
        ));
    }
    let row = match (errors.first(), status) {
        (None, Some(status)) => Row::Person(PersonRecord {
            id: id.clone(),
            name,
            email,
            phone,
            unit,
            status,
            role: role(&kind),
            lease_start,
            lease_end,
            membership: None,
            visit: None,
        }),
        (first, _) => Row::Problem(RecordProblem {
            person_id: id.clone(),
            kind: first.map_or(BAD_FIELD, |(k, _)| k).to_string(),
            detail: errors
                .iter()
                .map(|(_, e)| format!("{file} line {line}, {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        }),
    };
    Ok(Some((id, row)))
}

/// Line numbers as an editor shows them. The csv crate's own count is off after blank lines and
/// CRLF endings, and its byte offset points at the line break before a record; so lines are
/// counted here: `\n`, `\r\n` and a lone `\r` each end one line.
#[derive(Default)]
struct Lines {
    offset: usize,
    line: u64,
}

impl Lines {
    /// The line of the record whose reading began at byte `from` (on or before its first byte).
    fn at(&mut self, bytes: &[u8], from: u64) -> u64 {
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
        let start = bytes[from..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(bytes.len(), |i| from + i);
        let start = start.max(self.offset);
        for i in self.offset..start {
            if bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = start;
        self.line + 1
    }
}

/// A value as quoted in a message: at most 40 characters, so a stray blob stays readable.
fn clip(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_string(),
    }
}

/// `3 and 9`, `3, 9 and 12`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}
