//! The append-only, hash-chained audit log (DESIGN §7): record types, hashing, `append`.
//!
//! Layout of the `audit` tree: entry `n` under `b'e' ++ n.to_be_bytes()` (so iteration is in
//! sequence order) and one head record `{seq, hash}` of the newest entry under `b"h"`, written in
//! the same atomic batch as the entries. The head lets `verify` notice a log whose tail was cut
//! off, and lets a restart continue the chain from where it really ended.

use super::codec::{decode_named, encode, RECORD_VERSION};
use super::{Inner, StoreError};
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of entry 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub(crate) const TREE: &str = "audit";
pub(crate) const HEAD_KEY: &[u8] = b"h";
const ENTRY_TAG: u8 = b'e';

pub(crate) fn entry_key(seq: u64) -> [u8; 9] {
    let mut k = [ENTRY_TAG; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// How a key of the audit tree is named in errors and reports.
pub(crate) fn key_name(key: &[u8]) -> String {
    match key.split_first() {
        Some((&ENTRY_TAG, rest)) if rest.len() == 8 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(rest);
            format!("entry {}", u64::from_be_bytes(n))
        }
        _ if key == HEAD_KEY => "head".to_string(),
        _ => super::codec::show_key(key),
    }
}

/// What happened to the thing an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Failed,
    Suggested,
    Approved,
    Discarded,
    Held,
    Withdrawn,
    Recorded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Failed => "failed",
            Outcome::Suggested => "suggested",
            Outcome::Approved => "approved",
            Outcome::Discarded => "discarded",
            Outcome::Held => "held",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Recorded => "recorded",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller fills in; the log adds the sequence number and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// Passed in by the caller: the store never reads a clock.
    pub time: Timestamp,
    pub portfolio: String,
    pub property: Option<String>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub system: Option<String>,
    /// e.g. `add_to_group`, `suggestion_approved`, `guard_tripped`, `config_reload`.
    pub action: String,
    /// The groups or credential involved; may be empty.
    pub object: String,
    pub reason: String,
    /// `controller` or the API user.
    pub actor: String,
    pub mode: Option<String>,
    pub outcome: Outcome,
    pub attempts: u32,
    pub error: Option<String>,
}

/// One stored entry. Serialises flat, in this field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub seq: u64,
    pub time: Timestamp,
    pub portfolio: String,
    pub property: Option<String>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub system: Option<String>,
    pub action: String,
    pub object: String,
    pub reason: String,
    pub actor: String,
    pub mode: Option<String>,
    pub outcome: Outcome,
    pub attempts: u32,
    pub error: Option<String>,
    /// Hex SHA-256 of the previous entry ([`GENESIS`] for entry 1).
    pub prev_hash: String,
    /// Hex SHA-256 of this entry's canonical form (see [`AuditEntry::compute_hash`]).
    pub hash: String,
}

/// The canonical form that is hashed: every field of the entry except `hash`, in this fixed
/// order, plus the record version, as compact `serde_json` (no whitespace, `None` as `null`,
/// strings escaped the way serde_json always escapes them).
#[derive(Serialize)]
struct Canonical<'a> {
    v: u32,
    seq: u64,
    time: Timestamp,
    portfolio: &'a str,
    property: Option<&'a str>,
    person_id: Option<&'a str>,
    person_name: Option<&'a str>,
    system: Option<&'a str>,
    action: &'a str,
    object: &'a str,
    reason: &'a str,
    actor: &'a str,
    mode: Option<&'a str>,
    outcome: Outcome,
    attempts: u32,
    error: Option<&'a str>,
    prev_hash: &'a str,
}

impl AuditEntry {
    fn new(seq: u64, d: AuditDraft, prev_hash: String) -> Result<AuditEntry, StoreError> {
        let mut entry = AuditEntry {
            seq,
            time: d.time,
            portfolio: d.portfolio,
            property: d.property,
            person_id: d.person_id,
            person_name: d.person_name,
            system: d.system,
            action: d.action,
            object: d.object,
            reason: d.reason,
            actor: d.actor,
            mode: d.mode,
            outcome: d.outcome,
            attempts: d.attempts,
            error: d.error,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash()?;
        Ok(entry)
    }

    /// SHA-256 (lower-case hex) of the canonical form: the entry without `hash`, fields in
    /// declaration order, prefixed by `"v":1`, serialised as compact JSON.
    pub fn compute_hash(&self) -> Result<String, StoreError> {
        let canonical = Canonical {
            v: RECORD_VERSION,
            seq: self.seq,
            time: self.time,
            portfolio: &self.portfolio,
            property: self.property.as_deref(),
            person_id: self.person_id.as_deref(),
            person_name: self.person_name.as_deref(),
            system: self.system.as_deref(),
            action: &self.action,
            object: &self.object,
            reason: &self.reason,
            actor: &self.actor,
            mode: self.mode.as_deref(),
            outcome: self.outcome,
            attempts: self.attempts,
            error: self.error.as_deref(),
            prev_hash: &self.prev_hash,
        };
        let bytes = serde_json::to_vec(&canonical).map_err(|e| StoreError::Encode {
            tree: TREE,
            detail: e.to_string(),
        })?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }
}

/// The newest entry, as the head record and the in-memory chain head hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    pub(crate) fn genesis() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// The in-memory chain head; `Err` holds why it could not be read at open.
pub(crate) type HeadState = Result<Head, String>;

pub(crate) fn decode_entry(key: &[u8], bytes: &[u8]) -> Result<AuditEntry, StoreError> {
    decode_named(TREE, || key_name(key), bytes)
}

/// Where the chain continues after a restart: the later of the head record and the last entry
/// (they agree unless the tree was tampered with). Unreadable records make the head unknown, and
/// `append` then refuses rather than fork the chain.
pub(crate) fn load_head(tree: &sled::Tree) -> Result<HeadState, StoreError> {
    let record = tree
        .get(HEAD_KEY)?
        .map(|v| decode_named::<Head>(TREE, || "head".into(), &v));
    let last = tree
        .range(entry_key(0)..=entry_key(u64::MAX))
        .next_back()
        .transpose()?
        .map(|(k, v)| {
            decode_entry(&k, &v).map(|e| Head {
                seq: e.seq,
                hash: e.hash,
            })
        });
    let mut best: Option<Head> = None;
    let mut problem = None;
    for candidate in [record, last].into_iter().flatten() {
        match candidate {
            Ok(h) if best.as_ref().is_none_or(|b| h.seq > b.seq) => best = Some(h),
            Ok(_) => {}
            Err(e) => problem = Some(e.to_string()),
        }
    }
    Ok(match (best, problem) {
        (Some(head), _) => Ok(head),
        (None, Some(problem)) => Err(problem),
        (None, None) => Ok(Head::genesis()),
    })
}

/// The audit log of a [`super::Store`]: `append` here, reads in `query.rs`, `verify` in
/// `verify.rs`, exports in `export.rs`.
pub struct AuditLog<'a> {
    pub(crate) inner: &'a Inner,
}

impl AuditLog<'_> {
    /// Appends drafts in order as one atomic batch and flushes it to disk before returning:
    /// an entry returned survives `kill -9`. Concurrent callers are serialised.
    pub fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditEntry>, StoreError> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut state = self.inner.head.lock().unwrap_or_else(|e| e.into_inner());
        let head = state.clone().map_err(|detail| StoreError::Decode {
            tree: TREE,
            key: "head".into(),
            detail: format!("{detail}; not appending until the chain head is readable"),
        })?;
        let mut batch = sled::Batch::default();
        let mut entries = Vec::with_capacity(drafts.len());
        let (mut seq, mut prev) = (head.seq, head.hash);
        for draft in drafts {
            seq += 1;
            let entry = AuditEntry::new(seq, draft, prev)?;
            batch.insert(&entry_key(seq), encode(TREE, &entry)?);
            prev = entry.hash.clone();
            entries.push(entry);
        }
        let head = Head { seq, hash: prev };
        batch.insert(HEAD_KEY, encode(TREE, &head)?);
        self.inner.audit.apply_batch(batch)?;
        // The batch is in the tree now: the next append must chain onto it even if the flush
        // below fails (the entries then reach disk with the next successful flush).
        *state = Ok(head);
        self.inner.db.flush()?;
        Ok(entries)
    }
}
