//! The append-only, hash-chained audit log (DESIGN §7).
//!
//! Each entry holds the SHA-256 of its own canonical form and the hash of the entry before it,
//! so altering, removing or reordering entries breaks the chain that `verify` walks.

use super::{decode, encode, Inner, StoreError};
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const TREE: &str = "audit";
/// Meta key holding "<seq> <hash>" of the newest entry, so a cut-off tail is detected too.
const HEAD_KEY: &str = "audit_head";

/// What happened to the thing an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a caller fills in; the log adds sequence number and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    pub time: Timestamp,
    pub portfolio: String,
    pub property: Option<String>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub system: Option<String>,
    pub action: String,
    /// The groups or credential involved.
    pub object: String,
    pub reason: String,
    /// `controller` or the API user.
    pub actor: String,
    pub mode: Option<String>,
    pub outcome: Outcome,
    pub attempts: u32,
    pub error: Option<String>,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    #[serde(flatten)]
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
}

impl std::ops::Deref for AuditEntry {
    type Target = AuditDraft;
    fn deref(&self) -> &AuditDraft {
        &self.draft
    }
}

/// The hash of an entry: SHA-256 over the JSON of (seq, draft fields in declaration order,
/// prev_hash). Field order is fixed by the struct definitions, so the form is canonical.
fn hash_of(seq: u64, draft: &AuditDraft, prev_hash: &str) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        seq: u64,
        draft: &'a AuditDraft,
        prev_hash: &'a str,
    }
    let bytes = serde_json::to_vec(&Canonical {
        seq,
        draft,
        prev_hash,
    })
    .unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Filters for `range` and exports. Every field narrows; `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub property: Option<String>,
    pub person: Option<String>,
    pub action: Option<String>,
    pub after_seq: Option<u64>,
    pub limit: Option<usize>,
}

impl AuditFilter {
    fn matches(&self, e: &AuditEntry) -> bool {
        self.from.is_none_or(|t| e.time >= t)
            && self.to.is_none_or(|t| e.time <= t)
            && self
                .property
                .as_ref()
                .is_none_or(|p| e.property.as_ref() == Some(p))
            && self
                .person
                .as_ref()
                .is_none_or(|p| e.person_id.as_ref() == Some(p))
            && self.action.as_ref().is_none_or(|a| &e.action == a)
    }
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub first_problem: Option<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.first_problem.is_none()
    }
}

pub struct AuditLog<'a> {
    pub(crate) inner: &'a Inner,
}

impl AuditLog<'_> {
    /// Appends drafts in order, atomically, and flushes to disk before returning: an entry
    /// returned survives a crash.
    pub fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditEntry>, StoreError> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut head = self.inner.head.lock().unwrap_or_else(|e| e.into_inner());
        let (mut seq, mut prev) = head.clone();
        let mut batch = sled::Batch::default();
        let mut entries = Vec::with_capacity(drafts.len());
        for draft in drafts {
            seq += 1;
            let hash = hash_of(seq, &draft, &prev);
            let entry = AuditEntry {
                seq,
                draft,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            };
            batch.insert(&seq.to_be_bytes(), encode(TREE, &entry)?);
            prev = hash;
            entries.push(entry);
        }
        self.inner.audit.apply_batch(batch)?;
        self.inner
            .meta
            .insert(HEAD_KEY, format!("{seq} {prev}").as_bytes())?;
        self.inner.db.flush()?;
        *head = (seq, prev);
        Ok(entries)
    }

    fn entries(&self) -> impl Iterator<Item = Result<AuditEntry, StoreError>> + '_ {
        self.inner.audit.iter().map(|item| {
            let (k, v) = item?;
            decode(TREE, &k, &v)
        })
    }

    pub fn range(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let start = filter.after_seq.map_or(0, |s| s + 1);
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for item in self.inner.audit.range(start.to_be_bytes()..) {
            let (k, v) = item?;
            let entry: AuditEntry = decode(TREE, &k, &v)?;
            if filter.matches(&entry) {
                out.push(entry);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.inner.audit.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.audit.is_empty()
    }

    pub fn last(&self) -> Result<Option<AuditEntry>, StoreError> {
        match self.inner.audit.last()? {
            Some((k, v)) => Ok(Some(decode(TREE, &k, &v)?)),
            None => Ok(None),
        }
    }

    /// Walks the whole chain: recomputes every hash and checks links and sequence numbers.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut prev = GENESIS.to_string();
        let mut expected = 1u64;
        let mut count = 0u64;
        for item in self.entries() {
            let entry = match item {
                Ok(e) => e,
                Err(e) => {
                    return Ok(VerifyReport {
                        entries: count,
                        first_problem: Some(format!("entry after {}: {e}", expected - 1)),
                    })
                }
            };
            let problem = if entry.seq != expected {
                Some(format!(
                    "seq gap: entry {} follows entry {}",
                    entry.seq,
                    expected - 1
                ))
            } else if entry.prev_hash != prev {
                Some(format!(
                    "entry {}: prev_hash does not match entry {}",
                    entry.seq,
                    expected - 1
                ))
            } else if hash_of(entry.seq, &entry.draft, &entry.prev_hash) != entry.hash {
                Some(format!(
                    "entry {}: hash mismatch (record altered)",
                    entry.seq
                ))
            } else {
                None
            };
            if problem.is_some() {
                return Ok(VerifyReport {
                    entries: count,
                    first_problem: problem,
                });
            }
            count += 1;
            expected += 1;
            prev = entry.hash;
        }
        let head = self
            .inner
            .meta
            .get(HEAD_KEY)?
            .map(|v| String::from_utf8_lossy(&v).to_string());
        let first_problem = match head {
            Some(h) if h != format!("{} {prev}", expected - 1) => Some(format!(
                "the log ends at entry {} but the recorded head is entry {}",
                expected - 1,
                h.split(' ').next().unwrap_or("?")
            )),
            _ => None,
        };
        Ok(VerifyReport {
            entries: count,
            first_problem,
        })
    }
}
