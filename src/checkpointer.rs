//! The daemon's side of audit anchoring (DESIGN §7): sign the store's head, append the checkpoint
//! to the file outside `data_dir`, set `lockstep_audit_last_checkpoint_timestamp_seconds`, log it;
//! and at start compare the store with the last checkpoint the file holds.
//!
//! The daemon writes one at start, every `audit.checkpoint_interval` and on shutdown; the API
//! serves a freshly signed one (not written) for monitors that keep their own copies.

use crate::config::AuditAnchor;
use crate::metrics::Metrics;
use crate::model::Timestamp;
use crate::store::{AuditKey, Checkpoint, Located, PublicKey, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Checkpointer {
    key: AuditKey,
    file: PathBuf,
    interval: std::time::Duration,
    portfolio: String,
    store: Store,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer")
            .field("key", &self.key)
            .field("file", &self.file)
            .finish()
    }
}

impl Checkpointer {
    pub fn new(
        anchor: &AuditAnchor,
        portfolio: &str,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> Result<Checkpointer, String> {
        Ok(Checkpointer {
            key: anchor.signing_key()?,
            file: anchor.checkpoint_file(),
            interval: anchor.checkpoint_interval,
            portfolio: portfolio.to_string(),
            store,
            metrics,
        })
    }

    pub fn public_key(&self) -> &PublicKey {
        self.key.public()
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// `audit.checkpoint_interval`.
    pub fn interval(&self) -> std::time::Duration {
        self.interval
    }

    /// A checkpoint of the current head, signed now and not written.
    pub fn current(&self, now: Timestamp) -> Result<Checkpoint, StoreError> {
        self.store
            .audit()
            .checkpoint(&self.key, &self.portfolio, now)
    }

    /// Signs the current head, appends it to the checkpoint file (synced), sets the gauge and
    /// logs it at info. `why` is `start`, `periodic` or `shutdown`.
    pub fn write(&self, why: &str, now: Timestamp) -> Result<Checkpoint, String> {
        let cp = self.current(now).map_err(|e| e.to_string())?;
        crate::store::append_checkpoint(&self.file, &cp).map_err(|e| e.to_string())?;
        self.metrics.audit_last_checkpoint.set(cp.time as f64);
        tracing::info!(
            seq = cp.seq,
            head = %cp.head,
            file = %self.file.display(),
            reason = why,
            "audit checkpoint written"
        );
        Ok(cp)
    }

    /// [`Checkpointer::write`], logging a failure at error instead of returning it: a daemon
    /// that cannot write checkpoints keeps revoking access, and the stale gauge raises the alert.
    pub fn write_or_log(&self, why: &str, now: Timestamp) {
        if let Err(error) = self.write(why, now) {
            tracing::error!(%error, reason = why, "could not write an audit checkpoint");
        }
    }

    /// Compares the store with the newest checkpoint in the file: a problem when the log no
    /// longer holds the entry it names with that hash (wiped, cut or rewritten while stopped).
    /// `Ok(None)` when they agree, when there is no file yet, or when the newest checkpoint was
    /// signed by another key (a rotated key; `audit verify` checks those with their own key).
    pub fn check_start(&self) -> Result<Option<String>, String> {
        let all = match crate::store::read_checkpoints(&self.file) {
            Ok(all) => all,
            Err(crate::store::CheckpointFileError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e.to_string()),
        };
        let Some(last) = all.last() else {
            return Ok(None);
        };
        if last.checkpoint.verify(self.key.public()).is_err() {
            return Ok(None);
        }
        self.compare(last).map_err(|e| e.to_string())
    }

    fn compare(&self, last: &Located) -> Result<Option<String>, StoreError> {
        let cp = &last.checkpoint;
        let audit = self.store.audit();
        let held = audit.len();
        if cp.seq > held {
            return Ok(Some(format!(
                "the audit log holds {held} entries, but the last checkpoint {} says {} had been \
                 written",
                last.describe(),
                cp.seq
            )));
        }
        let hash = match cp.seq {
            0 => Some(crate::store::GENESIS.to_string()),
            n => audit.hash_at(n)?,
        };
        Ok((hash.as_deref() != Some(cp.head.as_str())).then(|| {
            format!(
                "entry {} of the audit log no longer matches the last checkpoint {}",
                cp.seq,
                last.describe()
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuditDraft, Outcome};

    fn anchor(dir: &Path) -> AuditAnchor {
        AuditAnchor {
            key: crate::config::Secret {
                value: "17".repeat(32),
                origin: "test".into(),
            },
            checkpoint_dir: dir.join("checkpoints"),
            checkpoint_interval: std::time::Duration::from_secs(60),
        }
    }

    fn signer(dir: &Path, data: &str, reasons: &[&str]) -> Checkpointer {
        let store = Store::open(&dir.join(data)).expect("store");
        let drafts: Vec<AuditDraft> = reasons
            .iter()
            .map(|r| crate::controller::event("acme", None, "x", "t", Outcome::Recorded, r, 1))
            .collect();
        store.audit().append(drafts).expect("append");
        Checkpointer::new(&anchor(dir), "acme", store, Metrics::new()).expect("signer")
    }

    #[test]
    fn writes_append_verifiable_lines_and_set_the_gauge() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = signer(dir.path(), "data", &["a", "b"]);
        assert_eq!(s.check_start(), Ok(None), "no file yet");
        s.write("start", 100).expect("write");
        s.write("shutdown", 160).expect("write");
        assert_eq!(s.metrics.audit_last_checkpoint.get(), 160.0);
        let all = crate::store::read_checkpoints(s.file()).expect("read");
        assert_eq!(all.len(), 2);
        for loc in &all {
            assert_eq!(loc.checkpoint.verify(s.public_key()), Ok(()));
            assert_eq!(loc.checkpoint.seq, 2);
        }
        assert_eq!(s.check_start(), Ok(None), "the store matches");
    }

    #[test]
    fn at_start_a_replaced_or_wiped_store_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        signer(dir.path(), "data", &["a", "b"])
            .write("shutdown", 100)
            .expect("write");
        let replaced = signer(dir.path(), "other", &["a", "forged"]);
        let problem = replaced.check_start().expect("check").expect("a problem");
        assert!(
            problem.starts_with("entry 2 of the audit log no longer matches the last checkpoint"),
            "{problem}"
        );
        let wiped = signer(dir.path(), "empty", &[]);
        let problem = wiped.check_start().expect("check").expect("a problem");
        assert!(
            problem.starts_with("the audit log holds 0 entries, but the last checkpoint"),
            "{problem}"
        );
        std::fs::write(wiped.file(), "{not json\n").expect("corrupt");
        let err = wiped.check_start().expect_err("corrupt file");
        assert!(
            err.contains("checkpoints.jsonl:1: not a lockstep checkpoint"),
            "{err}"
        );
    }
}
