//! `StoreError`: what can go wrong opening, reading and writing the store.
//!
//! The storage engine's own error type stays private behind [`BackendError`], so callers match on
//! what failed (open, locked, decode, …) and never on sled's internals.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created or the database in it could not be opened.
    #[error("cannot open the store at {}: {source}", .path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: BackendError,
    },
    /// Another process (or another `Store` in this one) holds the database lock; `holder` names
    /// it when the system says (Linux's lock table).
    #[error(
        "cannot open the store at {}: it is in use by {}; stop that process first, or ask the \
         running daemon through its API",
        .path.display(),
        .holder.as_deref().unwrap_or("another process (is another lockstep running with this data_dir?)")
    )]
    Locked {
        path: PathBuf,
        holder: Option<String>,
    },
    /// Reading or writing the database failed.
    #[error("store: {0}")]
    Backend(#[source] BackendError),
    /// A stored record cannot be read by this build: corrupt, or of an unknown version.
    #[error("store: record {key} in {tree} is unreadable: {detail}")]
    Decode {
        tree: &'static str,
        key: String,
        detail: String,
    },
    /// A record could not be serialised, or its key is not representable.
    #[error("store: cannot encode a record for {tree}: {detail}")]
    Encode { tree: &'static str, detail: String },
    /// Writing an export to its destination failed.
    #[error("cannot write the audit export: {0}")]
    Export(#[source] std::io::Error),
}

impl StoreError {
    /// A bounded label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Open { .. } => "open",
            StoreError::Locked { .. } => "locked",
            StoreError::Backend(_) => "io",
            StoreError::Decode { .. } => "decode",
            StoreError::Encode { .. } => "encode",
            StoreError::Export(_) => "export",
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(BackendError::sled(e))
    }
}

/// An error of the storage engine or the file system, opaque to callers.
#[derive(Debug)]
pub struct BackendError(Repr);

#[derive(Debug)]
enum Repr {
    Sled(sled::Error),
    Io(std::io::Error),
    Panicked(String),
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Sled(e) => write!(f, "{e}"),
            Repr::Io(e) => write!(f, "{e}"),
            Repr::Panicked(what) => write!(f, "the storage engine failed: {what}"),
        }
    }
}

impl std::error::Error for BackendError {}

impl BackendError {
    pub(crate) fn sled(e: sled::Error) -> Self {
        BackendError(Repr::Sled(e))
    }

    pub(crate) fn io(e: std::io::Error) -> Self {
        BackendError(Repr::Io(e))
    }

    pub(crate) fn panicked(what: String) -> Self {
        BackendError(Repr::Panicked(what))
    }

    /// Whether sled refused to open because another handle holds its file lock.
    pub(crate) fn is_lock_conflict(&self) -> bool {
        match &self.0 {
            Repr::Sled(sled::Error::Io(e)) => {
                e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock")
            }
            _ => false,
        }
    }
}
