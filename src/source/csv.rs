//! `type: csv`: people kept in a spreadsheet (staff, contractors, vendors; the Dropbox and Google
//! Sheets hand-offs), read from a file or from a directory of `<source_property_id>.csv` files.
//!
//! Reads are atomic: the file is opened once and read whole from that handle, so a file replaced
//! by `rename(2)` is seen either before or after, never half. A file that may still be being
//! written is `Incomplete`, never a shorter list: one changed within `settle`, one whose last line
//! has no newline, one that changes size while read, one with no bytes at all. A missing file is
//! `Incomplete` too. An empty list after a good one is left to the completeness gate (`gate.rs`).
//! The header and rows are read in `parse`, the words and dates in `fields`; `watch` polls the
//! files so a change brings the next cycle forward.

use crate::config::CsvConfig;
use crate::model::SourceSnapshot;
use crate::source::{Source, SourceError};
use async_trait::async_trait;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

mod fields;
mod parse;
pub mod watch;

pub use fields::{lease_status, KNOWN_STATUS_WORDS};
pub use parse::{parse, Input, BAD_FIELD, BAD_ROW, DUPLICATE_ID};

pub struct CsvSource {
    name: String,
    cfg: CsvConfig,
}

impl CsvSource {
    pub fn new(name: &str, cfg: &CsvConfig) -> CsvSource {
        CsvSource {
            name: name.to_string(),
            cfg: cfg.clone(),
        }
    }
}

#[async_trait]
impl Source for CsvSource {
    fn kind(&self) -> &'static str {
        "csv"
    }

    async fn fetch(&self, property: &str) -> Result<SourceSnapshot, SourceError> {
        let (name, cfg, id) = (self.name.clone(), self.cfg.clone(), property.to_string());
        let read = tokio::task::spawn_blocking(move || read(&name, &cfg, &id, SystemTime::now()));
        let error = |detail: String| SourceError::Incomplete {
            source_name: self.name.clone(),
            property: property.into(),
            detail,
        };
        match tokio::time::timeout(self.cfg.endpoint.timeout, read).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(error(format!("the read of the file stopped: {e}"))),
            Err(_) => Err(error(format!(
                "reading {} took longer than {:?} (timeout)",
                self.cfg.path.display(),
                self.cfg.endpoint.timeout
            ))),
        }
    }
}

/// Where a property's people are: `<dir>/<id>.csv` when `path` is a directory, else `path`.
/// `None` when `path` is a directory and the id cannot name a file in it (`..`, `a/b`).
pub fn file_for(path: &Path, property: &str) -> Option<PathBuf> {
    if !path.is_dir() {
        return Some(path.to_path_buf());
    }
    let plain =
        !property.is_empty() && !property.starts_with('.') && !property.contains(['/', '\\', '\0']);
    plain.then(|| path.join(format!("{property}.csv")))
}

/// Reads one property's people as of `now` (blocking IO).
pub fn read(
    source: &str,
    cfg: &CsvConfig,
    property: &str,
    now: SystemTime,
) -> Result<SourceSnapshot, SourceError> {
    let incomplete = |detail: String| SourceError::Incomplete {
        source_name: source.into(),
        property: property.into(),
        detail,
    };
    let payload = |detail: String| SourceError::Payload {
        source_name: source.into(),
        property: property.into(),
        detail,
    };
    let fault = |detail: String| SourceError::Fault {
        source_name: source.into(),
        property: property.into(),
        detail,
    };
    let Some(path) = file_for(&cfg.path, property) else {
        return Err(payload(format!(
            "{:?} cannot name a file in the directory {}",
            property,
            cfg.path.display()
        )));
    };
    let shown = path.display().to_string();
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(incomplete(format!(
                "{shown} does not exist (a file is replaced by renaming a complete one into \
                 place; a missing file is never read as nobody)"
            )))
        }
        Err(e) => return Err(fault(format!("cannot open {shown}: {e}"))),
    };
    let before = file
        .metadata()
        .map_err(|e| fault(format!("cannot stat {shown}: {e}")))?;
    if !before.is_file() {
        return Err(payload(format!("{shown} is not a regular file")));
    }
    if !cfg.settle.is_zero() {
        let modified = before
            .modified()
            .map_err(|e| fault(format!("{shown}: no modification time: {e}")))?;
        match now.duration_since(modified) {
            Ok(age) if age >= cfg.settle => {}
            Ok(age) => {
                return Err(incomplete(format!(
                    "{shown} was modified {}s ago, within settle ({}): it may still be being \
                     written",
                    age.as_secs(),
                    humantime::format_duration(cfg.settle)
                )))
            }
            Err(_) => {
                return Err(incomplete(format!(
                    "{shown} has a modification time in the future: it may still be being \
                     written, or the clocks disagree"
                )))
            }
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(before.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|e| fault(format!("cannot read {shown}: {e}")))?;
    let after = file
        .metadata()
        .map_err(|e| fault(format!("cannot stat {shown}: {e}")))?;
    if bytes.len() as u64 != after.len()
        || after.len() != before.len()
        || after.modified().ok() != before.modified().ok()
    {
        return Err(incomplete(format!(
            "{shown} changed while it was read (write a temporary file and rename it into place)"
        )));
    }
    if bytes.is_empty() {
        return Err(incomplete(format!(
            "{shown} is empty, not even a header: it may still be being written (an empty \
             list is a header line alone)"
        )));
    }
    if !bytes.ends_with(b"\n") {
        return Err(incomplete(format!(
            "{shown}: the last line has no terminating newline: it may still be being written"
        )));
    }
    let input = Input {
        file: &shown,
        property,
        delimiter: cfg.delimiter,
    };
    parse(&bytes, &input).map_err(payload)
}

#[cfg(test)]
mod tests;
