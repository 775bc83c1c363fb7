//! The checkpoint file: one signed checkpoint per line (JSON lines), appended and synced, read
//! back with line numbers so that every problem names the file and line it is in.
//!
//! The file lives in `audit.checkpoint_dir`, outside `data_dir`. It is append-only by convention:
//! lockstep opens it with `O_APPEND` and never rewrites it; operators ship or copy it elsewhere.

use super::anchor::{AuditKey, Checkpoint};
use super::audit::{decode_entry, entry_key, AuditLog, TREE};
use super::StoreError;
use crate::model::Timestamp;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name inside `audit.checkpoint_dir`.
pub const CHECKPOINT_FILE: &str = "checkpoints.jsonl";

/// What went wrong with a checkpoint file; each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointFileError {
    #[error("cannot write the checkpoint file {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the checkpoint file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_name}:{line}: {detail}")]
    Parse {
        source_name: String,
        line: usize,
        detail: String,
    },
}

/// A checkpoint and where it was read from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The file it came from (or `export`), as given.
    pub source: String,
    /// 1-based line number.
    pub line: usize,
    pub checkpoint: Checkpoint,
}

impl Located {
    /// `checkpoints.jsonl:7 (checkpoint seq 42 signed at …)`.
    pub fn describe(&self) -> String {
        format!(
            "{}:{} ({})",
            self.source,
            self.line,
            self.checkpoint.describe()
        )
    }
}

/// Appends one line and syncs it to disk, creating the file (and its directory) if needed.
pub fn append(path: &Path, checkpoint: &Checkpoint) -> Result<(), CheckpointFileError> {
    let err = |source| CheckpointFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut line = serde_json::to_vec(checkpoint).map_err(|e| err(std::io::Error::other(e)))?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    file.write_all(&line).map_err(err)?;
    file.sync_data().map_err(err)
}

/// Reads every checkpoint of a file, in file order.
pub fn read(path: &Path) -> Result<Vec<Located>, CheckpointFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckpointFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses checkpoint lines; blank lines are skipped, anything else that is not a checkpoint is an
/// error naming `source_name` and the line.
pub fn parse(source_name: &str, text: &str) -> Result<Vec<Located>, CheckpointFileError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let checkpoint = serde_json::from_str(line).map_err(|e| CheckpointFileError::Parse {
            source_name: source_name.to_string(),
            line: i + 1,
            detail: format!("not a lockstep checkpoint: {e}"),
        })?;
        out.push(Located {
            source: source_name.to_string(),
            line: i + 1,
            checkpoint,
        });
    }
    Ok(out)
}

impl AuditLog<'_> {
    /// Signs the current head: the newest entry appended, read under the append lock, which
    /// `append` holds until its batch is flushed, so the checkpoint never names an entry a crash
    /// could still lose. Fails if the head is unreadable.
    pub fn checkpoint(
        &self,
        key: &AuditKey,
        portfolio: &str,
        now: Timestamp,
    ) -> Result<Checkpoint, StoreError> {
        let state = self.inner.head.lock().unwrap_or_else(|e| e.into_inner());
        let head = state.clone().map_err(|detail| StoreError::Decode {
            tree: TREE,
            key: "head".into(),
            detail: format!("{detail}; cannot sign a checkpoint of an unknown head"),
        })?;
        Ok(key.sign(portfolio, head.seq, &head.hash, now))
    }

    /// The stored hash of entry `seq` (`None` if there is no such entry).
    pub fn hash_at(&self, seq: u64) -> Result<Option<String>, StoreError> {
        let k = entry_key(seq);
        self.inner
            .audit
            .get(k)?
            .map(|v| decode_entry(&k, &v).map(|e| e.hash))
            .transpose()
    }
}
