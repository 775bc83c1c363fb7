//! The embedded store under `data_dir`: a narrow typed wrapper over sled.
//!
//! Trees: `audit` (hash-chained log), `suggestions`, `overrides`, `intents`, `tracker` (status
//! marks), `lost` (lost credentials) and `meta`. Every record is stored as a versioned envelope
//! `{"v":1,"data":{...}}` so the format can evolve like a wire format. Nothing of sled leaks out.

mod audit;
mod export;
mod records;
#[cfg(test)]
mod tests;

pub use audit::{AuditDraft, AuditEntry, AuditFilter, AuditLog, Outcome, VerifyReport};
pub use export::{write_csv, write_jsonl, ExportFormat};
pub use records::{
    suggestion_id, Colour, Intent, Intents, Lost, Meta, Override, Overrides, StatusMark,
    Suggestion, SuggestionState, Suggestions, Tracker,
};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The record format version written by this build.
pub const RECORD_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store: record {key} in {tree} is unreadable: {detail}")]
    Decode {
        tree: &'static str,
        key: String,
        detail: String,
    },
    #[error("store: cannot encode a record for {tree}: {detail}")]
    Encode { tree: &'static str, detail: String },
}

impl StoreError {
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Open { .. } => "open",
            StoreError::Sled(_) => "io",
            StoreError::Decode { .. } => "decode",
            StoreError::Encode { .. } => "encode",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    data: T,
}

pub(crate) fn encode<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&Envelope {
        v: RECORD_VERSION,
        data: value,
    })
    .map_err(|e| StoreError::Encode {
        tree,
        detail: e.to_string(),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    let err = |detail: String| StoreError::Decode {
        tree,
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        detail,
    };
    let envelope: Envelope<serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    if envelope.v != RECORD_VERSION {
        return Err(err(format!(
            "record version {} is not supported by this build (expects {RECORD_VERSION})",
            envelope.v
        )));
    }
    serde_json::from_value(envelope.data).map_err(|e| err(e.to_string()))
}

/// `a \0 b`: keys that sort by their first part and cannot collide.
pub(crate) fn key2(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

pub(crate) fn prefix(a: &str) -> Vec<u8> {
    key2(a, "")
}

pub(crate) struct Inner {
    pub db: sled::Db,
    pub audit: sled::Tree,
    pub suggestions: sled::Tree,
    pub overrides: sled::Tree,
    pub intents: sled::Tree,
    pub tracker: sled::Tree,
    pub lost: sled::Tree,
    pub meta: sled::Tree,
    /// (last seq, last hash) of the audit chain.
    pub head: Mutex<(u64, String)>,
}

/// The store. Cheap to clone; every clone sees the same data.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(sled::Error::Io(e)))?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .flush_every_ms(Some(200))
            .open()
            .map_err(open_err)?;
        let tree = |name: &str| db.open_tree(name);
        let inner = Inner {
            audit: tree("audit")?,
            suggestions: tree("suggestions")?,
            overrides: tree("overrides")?,
            intents: tree("intents")?,
            tracker: tree("tracker")?,
            lost: tree("lost")?,
            meta: tree("meta")?,
            head: Mutex::new((0, audit::GENESIS.to_string())),
            db,
        };
        let store = Store {
            inner: Arc::new(inner),
        };
        let head = store
            .audit()
            .last()?
            .map(|e| (e.seq, e.hash))
            .unwrap_or((0, audit::GENESIS.to_string()));
        *store.inner.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
        Ok(store)
    }

    pub fn audit(&self) -> AuditLog<'_> {
        AuditLog { inner: &self.inner }
    }
    pub fn suggestions(&self) -> Suggestions<'_> {
        Suggestions { inner: &self.inner }
    }
    pub fn overrides(&self) -> Overrides<'_> {
        Overrides { inner: &self.inner }
    }
    pub fn intents(&self) -> Intents<'_> {
        Intents { inner: &self.inner }
    }
    pub fn tracker(&self) -> Tracker<'_> {
        Tracker { inner: &self.inner }
    }
    pub fn lost(&self) -> Lost<'_> {
        Lost { inner: &self.inner }
    }
    pub fn meta(&self) -> Meta<'_> {
        Meta { inner: &self.inner }
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }
}
