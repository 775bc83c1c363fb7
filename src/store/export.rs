//! Audit reports: CSV (RFC 4180) and JSON lines, from a slice or streamed from the log.

use super::{AuditEntry, AuditFilter, AuditLog, StoreError};
use crate::model::Timestamp;
use std::io::{self, Write};

/// `csv` or `jsonl` (also accepted: `ndjson`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            _ => Err(format!(
                "unknown export format {s:?} (expected csv or jsonl)"
            )),
        }
    }
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }

    /// Writes `entries` in this format (CSV with its header row).
    pub fn write<'a, W: Write + ?Sized>(
        self,
        entries: impl IntoIterator<Item = &'a AuditEntry>,
        out: &mut W,
    ) -> io::Result<()> {
        match self {
            ExportFormat::Csv => write_csv(entries, out),
            ExportFormat::Jsonl => write_jsonl(entries, out),
        }
    }
}

const HEADER: [&str; 17] = [
    "seq",
    "time",
    "portfolio",
    "property",
    "person_id",
    "person_name",
    "system",
    "action",
    "object",
    "reason",
    "actor",
    "mode",
    "outcome",
    "attempts",
    "error",
    "prev_hash",
    "hash",
];

/// RFC 4180: a field holding a comma, quote or line break is quoted, quotes doubled.
fn quote(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// RFC 3339 in UTC (`2024-05-01T12:00:00Z`); a time outside 1970..=9999 is written as the raw
/// number of seconds rather than failing the export.
pub fn rfc3339(ts: Timestamp) -> String {
    const YEAR_10000: i64 = 253_402_300_800;
    match u64::try_from(ts) {
        Ok(secs) if ts < YEAR_10000 => {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            humantime::format_rfc3339_seconds(t).to_string()
        }
        _ => ts.to_string(),
    }
}

fn csv_row<W: Write + ?Sized>(out: &mut W, fields: &[&str]) -> io::Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(quote(field).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

fn csv_entry<W: Write + ?Sized>(out: &mut W, e: &AuditEntry) -> io::Result<()> {
    let opt = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
    let fields = [
        e.seq.to_string(),
        rfc3339(e.time),
        e.portfolio.clone(),
        opt(&e.property),
        opt(&e.person_id),
        opt(&e.person_name),
        opt(&e.system),
        e.action.clone(),
        e.object.clone(),
        e.reason.clone(),
        e.actor.clone(),
        opt(&e.mode),
        e.outcome.as_str().to_string(),
        e.attempts.to_string(),
        opt(&e.error),
        e.prev_hash.clone(),
        e.hash.clone(),
    ];
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    csv_row(out, &refs)
}

fn jsonl_entry<W: Write + ?Sized>(out: &mut W, e: &AuditEntry) -> io::Result<()> {
    serde_json::to_writer(&mut *out, e).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// A header row, then one row per entry; CRLF line ends; `time` as RFC 3339.
pub fn write_csv<'a, W: Write + ?Sized>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    out: &mut W,
) -> io::Result<()> {
    csv_row(out, &HEADER)?;
    for e in entries {
        csv_entry(out, e)?;
    }
    out.flush()
}

/// One JSON object per line, the stored entry's fields (`time` as Unix seconds).
pub fn write_jsonl<'a, W: Write + ?Sized>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    out: &mut W,
) -> io::Result<()> {
    for e in entries {
        jsonl_entry(out, e)?;
    }
    out.flush()
}

impl AuditLog<'_> {
    /// Streams the entries matching `filter` to `out` without holding them all in memory;
    /// returns how many were written.
    pub fn export<W: Write + ?Sized>(
        &self,
        filter: &AuditFilter,
        format: ExportFormat,
        out: &mut W,
    ) -> Result<u64, StoreError> {
        if format == ExportFormat::Csv {
            csv_row(out, &HEADER).map_err(StoreError::Export)?;
        }
        let mut n = 0;
        for entry in self.iter(filter) {
            let entry = entry?;
            match format {
                ExportFormat::Csv => csv_entry(out, &entry),
                ExportFormat::Jsonl => jsonl_entry(out, &entry),
            }
            .map_err(StoreError::Export)?;
            n += 1;
        }
        out.flush().map_err(StoreError::Export)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote(""), "");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote("cr\rhere"), "\"cr\rhere\"");
    }

    #[test]
    fn formats_parse_with_clear_errors() {
        assert_eq!("csv".parse(), Ok(ExportFormat::Csv));
        assert_eq!("JSONL".parse(), Ok(ExportFormat::Jsonl));
        let err = "xml".parse::<ExportFormat>().expect_err("xml");
        assert!(
            err.contains("\"xml\"") && err.contains("csv or jsonl"),
            "{err}"
        );
    }

    #[test]
    fn times_are_rfc3339_and_never_panic() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_714_564_800), "2024-05-01T12:00:00Z");
        assert_eq!(rfc3339(-5), "-5");
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }
}
