//! Audit reports: CSV (RFC 4180 quoting) and JSON lines.

use super::AuditEntry;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            other => Err(format!(
                "unknown export format {other:?} (expected csv or jsonl)"
            )),
        }
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn time(ts: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(ts.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

pub fn write_csv(entries: &[AuditEntry], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "seq,time,portfolio,property,person_id,person_name,system,action,object,reason,actor,mode,outcome,attempts,error,prev_hash,hash")?;
    for e in entries {
        let outcome = serde_json::to_value(e.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let fields = [
            e.seq.to_string(),
            time(e.time),
            e.portfolio.clone(),
            e.property.clone().unwrap_or_default(),
            e.person_id.clone().unwrap_or_default(),
            e.person_name.clone().unwrap_or_default(),
            e.system.clone().unwrap_or_default(),
            e.action.clone(),
            e.object.clone(),
            e.reason.clone(),
            e.actor.clone(),
            e.mode.clone().unwrap_or_default(),
            outcome,
            e.attempts.to_string(),
            e.error.clone().unwrap_or_default(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    out.flush()
}

pub fn write_jsonl(entries: &[AuditEntry], out: &mut dyn Write) -> io::Result<()> {
    for e in entries {
        serde_json::to_writer(&mut *out, e).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert!("xml".parse::<ExportFormat>().is_err());
    }
}
