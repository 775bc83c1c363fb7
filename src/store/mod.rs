//! The embedded store under `data_dir`: a narrow typed wrapper over sled.
//!
//! Trees: `audit` (hash-chained log, anchored by signed checkpoints written outside the store:
//! `anchor.rs`, `checkpoints.rs`, `anchored.rs`), `person_suggestions`, `grants` (memberships
//! lockstep made), `overrides`, `intents`, `tracker` (status
//! marks), `lost` (lost credentials), `events` (signed events and replay marks, `events.rs`), `guests`
//! (residents' guest PINs, `guests.rs`), `pins` (PINs lockstep issued, by generation and keyed
//! fingerprint, never the digits: `pins.rs`), `keys` (mobile keys lockstep issued, by credential
//! id: `keys.rs`), `invites` (first grants still owed a notification: `invites.rs`) and `meta`. Every record is a versioned envelope
//! `{"v":1,"data":{...}}` read back as a typed value or a `StoreError::Decode`, never a panic.
//! Nothing of sled leaks out: callers see `Store`, one small handle per tree and `StoreError`.
//!
//! Durability: the audit log, suggestions, overrides, lost credentials, events, guest passes, issued
//! PINs and keys, and intents are flushed to disk before their write returns (they must survive `kill -9`); status marks and metadata
//! are rewritten every cycle and ride on sled's 200 ms background flush. `Store::flush` on
//! shutdown writes everything.

mod anchor;
mod anchored;
mod audit;
mod checkpoints;
mod codec;
mod error;
mod events;
mod export;
mod grants;
mod guests;
mod holder;
mod intents;
mod invites;
mod keys;
mod overrides;
mod pins;
mod query;
mod suggestions;
#[cfg(test)]
mod tests;
mod tracker;
mod verify;

pub use anchor::{AuditKey, Checkpoint, KeyError, PublicKey, CHECKPOINT_VERSION};
pub use anchored::{
    check as check_anchors, parse_export, walk_entries, wanted as anchor_seqs,
    write_checkpoint_lines, AnchoredReport, ExportBundle,
};
pub use audit::{AuditDraft, AuditEntry, AuditLog, Outcome, GENESIS};
pub use checkpoints::{
    append as append_checkpoint, parse as parse_checkpoints, read as read_checkpoints,
    CheckpointFileError, Located, CHECKPOINT_FILE,
};
pub use codec::RECORD_VERSION;
pub use error::{BackendError, StoreError};
pub use events::{AcceptError, Events, Request as EventRequest, StoredEvent, Verdict};
pub use export::{rfc3339, write_csv, write_jsonl, ExportFormat};
pub use grants::{GrantRecord, Grants};
pub use guests::{new_pass_id, AddPassError, GuestPasses};
pub use intents::{Intent, Intents};
pub use invites::Invites;
pub use keys::{IssuedKey, MobileKeys};
pub use overrides::{Lost, Override, Overrides};
pub use pins::{IssuedPin, Pins};
pub use query::{AuditFilter, AuditIter};
pub use suggestions::{
    suggestion_id, Colour, Step, StepResult, Suggestion, SuggestionState, Suggestions,
};
pub use tracker::{Meta, StatusMark, Tracker};
pub use verify::{Seen, VerifyReport};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) struct Inner {
    pub db: sled::Db,
    pub audit: sled::Tree,
    pub suggestions: sled::Tree,
    pub grants: sled::Tree,
    pub overrides: sled::Tree,
    pub intents: sled::Tree,
    pub tracker: sled::Tree,
    pub lost: sled::Tree,
    pub meta: sled::Tree,
    pub events: sled::Tree,
    pub guests: sled::Tree,
    pub pins: sled::Tree,
    pub keys: sled::Tree,
    pub invites: sled::Tree,
    /// Serialises `GuestPasses::add` (limits checked, then insert).
    pub guests_lock: Mutex<()>,
    /// Serialises `Events::accept` (check, then insert).
    pub events_lock: Mutex<()>,
    /// The audit chain head; its lock serialises appends.
    pub head: Mutex<audit::HeadState>,
    pub dir: PathBuf,
}

/// The store. Cheap to clone; every clone sees the same data. `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

/// sled can panic on some damaged files; turn that into an error naming the directory.
/// sled's page cache (see `open_db`).
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

fn open_db(path: &Path) -> Result<sled::Db, BackendError> {
    let opened = std::panic::catch_unwind(|| {
        sled::Config::new()
            .path(path)
            .flush_every_ms(Some(200))
            // sled's default page cache is 1 GiB; lockstep reads its trees once per cycle and
            // keeps what it needs in memory itself, so a small cache bounds the daemon's RSS.
            .cache_capacity(CACHE_BYTES)
            .open()
    });
    match opened {
        Ok(result) => result.map_err(BackendError::sled),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked while opening".to_string());
            Err(BackendError::panicked(what))
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. Fails with `Locked` if another process
    /// has it open, and with `Open` naming `dir` if it cannot be created or read.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let open_err = |source: BackendError| {
            if source.is_lock_conflict() {
                StoreError::Locked {
                    path: dir.to_path_buf(),
                    holder: holder::describe(&dir.join("db")),
                }
            } else {
                StoreError::Open {
                    path: dir.to_path_buf(),
                    source,
                }
            }
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(BackendError::io(e)))?;
        let db = open_db(&dir.join("db")).map_err(open_err)?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|e| open_err(BackendError::sled(e)))
        };
        let audit = tree("audit")?;
        let head = audit::load_head(&audit).map_err(|e| match e {
            StoreError::Backend(source) => open_err(source),
            other => other,
        })?;
        let inner = Inner {
            suggestions: tree("person_suggestions")?,
            grants: tree("grants")?,
            overrides: tree("overrides")?,
            intents: tree("intents")?,
            tracker: tree("tracker")?,
            lost: tree("lost")?,
            meta: tree("meta")?,
            events: tree("events")?,
            events_lock: Mutex::new(()),
            guests: tree("guests")?,
            pins: tree("pins")?,
            keys: tree("keys")?,
            invites: tree("invites")?,
            guests_lock: Mutex::new(()),
            audit,
            head: Mutex::new(head),
            dir: dir.to_path_buf(),
            db,
        };
        Ok(Store {
            inner: Arc::new(inner),
        })
    }

    /// Opens a store that must already exist, for commands that only read (`audit verify`):
    /// a missing or incomplete database is `Ok(None)`, and nothing is created. sled keeps its
    /// configuration in `db/conf` and its data in `db/db`; a database missing either would be
    /// re-initialised empty by sled, which would hide a wiped log.
    pub fn open_existing(dir: &Path) -> Result<Option<Store>, StoreError> {
        let db = dir.join("db");
        if !(db.join("conf").is_file() && db.join("db").is_file()) {
            return Ok(None);
        }
        Store::open(dir).map(Some)
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn audit(&self) -> AuditLog<'_> {
        AuditLog { inner: &self.inner }
    }
    pub fn suggestions(&self) -> Suggestions<'_> {
        Suggestions { inner: &self.inner }
    }
    pub fn grants(&self) -> Grants<'_> {
        Grants { inner: &self.inner }
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
    pub fn events(&self) -> Events<'_> {
        Events { inner: &self.inner }
    }
    pub fn guest_passes(&self) -> GuestPasses<'_> {
        GuestPasses { inner: &self.inner }
    }
    pub fn pins(&self) -> Pins<'_> {
        Pins { inner: &self.inner }
    }
    pub fn mobile_keys(&self) -> MobileKeys<'_> {
        MobileKeys { inner: &self.inner }
    }
    pub fn invites(&self) -> Invites<'_> {
        Invites { inner: &self.inner }
    }

    /// Writes everything to disk (called on shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }
}
