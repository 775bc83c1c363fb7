//! `audit verify`: walks the whole chain and reports the first place it is broken.
//!
//! Checked, in order, for every entry: it is readable, its sequence number follows the previous
//! one (a gap means a deleted entry), its stored hash is the hash of its content (else it was
//! altered), and its `prev_hash` is the previous entry's hash (else the chain was re-linked).
//! Finally the newest entry must be the one the head record names (else the tail was cut off).
//! All of that lives in the store itself; `anchored.rs` compares the walk with signed checkpoints
//! kept outside it.

use super::audit::{decode_entry, entry_key, AuditEntry, AuditLog, Head, HEAD_KEY, TREE};
use super::codec::decode_named;
use super::StoreError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries checked and found sound before the first problem (all of them when ok).
    pub entries: u64,
    /// e.g. `entry 42: hash mismatch (record altered)`.
    pub first_problem: Option<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.first_problem.is_none()
    }
}

fn broken(entries: u64, problem: String) -> VerifyReport {
    VerifyReport {
        entries,
        first_problem: Some(problem),
    }
}

/// What a sound prefix of the chain looked like at the sequence numbers a caller asked about
/// (the checkpoints' `seq`s): the entry's hash and portfolio.
pub type Seen = BTreeMap<u64, (String, String)>;

/// The per-entry checks, shared by the store walk and an exported file's: sequence numbers
/// follow each other, each hash is the hash of its content, each `prev_hash` is the previous
/// entry's hash.
pub(crate) struct ChainWalk<'w> {
    pub prev: Head,
    wanted: &'w BTreeSet<u64>,
    pub seen: Seen,
}

impl<'w> ChainWalk<'w> {
    pub fn new(wanted: &'w BTreeSet<u64>) -> ChainWalk<'w> {
        ChainWalk {
            prev: Head::genesis(),
            wanted,
            seen: Seen::new(),
        }
    }

    /// Checks the next entry; `Err` is the problem, and the walk must stop there.
    pub fn step(&mut self, entry: AuditEntry) -> Result<(), String> {
        let n = entry.seq;
        if n != self.prev.seq + 1 {
            return Err(format!("seq gap: {n} follows {}", self.prev.seq));
        }
        let hash = entry.compute_hash().map_err(|e| e.to_string())?;
        if hash != entry.hash {
            return Err(format!("entry {n}: hash mismatch (record altered)"));
        }
        if entry.prev_hash != self.prev.hash {
            let before = match self.prev.seq {
                0 => "the genesis hash".to_string(),
                p => format!("entry {p}"),
            };
            return Err(format!("entry {n}: prev_hash does not match {before}"));
        }
        if self.wanted.contains(&n) {
            self.seen.insert(n, (entry.hash.clone(), entry.portfolio));
        }
        self.prev = Head {
            seq: n,
            hash: entry.hash,
        };
        Ok(())
    }
}

impl AuditLog<'_> {
    /// Recomputes every hash and checks links, sequence numbers and the head record. Appends
    /// that land while it runs are not examined: the walk ends at the head read when it starts.
    /// Problems in the data are reported, not returned as errors; `Err` means the store itself
    /// could not be read.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.verify_seeing(&BTreeSet::new())
            .map(|(report, _)| report)
    }

    /// [`AuditLog::verify`], also returning the hash and portfolio of the entries numbered in
    /// `wanted` that lie in the sound prefix (what checkpoints are compared with).
    pub fn verify_seeing(
        &self,
        wanted: &BTreeSet<u64>,
    ) -> Result<(VerifyReport, Seen), StoreError> {
        let head = match self.inner.audit.get(HEAD_KEY)? {
            None => None,
            Some(v) => match decode_named::<Head>(TREE, || "head".into(), &v) {
                Ok(h) => Some(h),
                Err(e) => {
                    let problem = format!("the head record is unreadable: {e}");
                    return Ok((broken(0, problem), Seen::new()));
                }
            },
        };
        let end = head.as_ref().map_or(u64::MAX, |h| h.seq);
        let mut walk = ChainWalk::new(wanted);
        for item in self.inner.audit.range(entry_key(1)..=entry_key(end)) {
            let (k, v) = item?;
            let entry = match decode_entry(&k, &v) {
                Ok(e) => e,
                Err(e) => return Ok((broken(walk.prev.seq, format!("{e}")), walk.seen)),
            };
            if k.as_ref() != entry_key(entry.seq) {
                let at = super::audit::key_name(&k);
                let problem = format!("{at}: holds a record with seq {}", entry.seq);
                return Ok((broken(walk.prev.seq, problem), walk.seen));
            }
            if let Err(problem) = walk.step(entry) {
                return Ok((broken(walk.prev.seq, problem), walk.seen));
            }
        }
        let prev = &walk.prev;
        let problem = match head {
            None if prev.seq > 0 => Some(format!(
                "the head record is missing (the log holds {} entries)",
                prev.seq
            )),
            Some(h) if h.seq > prev.seq => Some(format!(
                "the log ends at entry {} but the head record says {} entries were written \
                 (tail removed)",
                prev.seq, h.seq
            )),
            Some(h) if h.hash != prev.hash => Some(format!(
                "the head record does not match entry {} (hash differs)",
                prev.seq
            )),
            Some(_) => self.entry_after_head()?,
            None => None,
        };
        let report = VerifyReport {
            entries: prev.seq,
            first_problem: problem,
        };
        Ok((report, walk.seen))
    }

    /// Entries the head record does not cover were written behind the log's back. Checked under
    /// the append lock so that an append in progress is not mistaken for one.
    fn entry_after_head(&self) -> Result<Option<String>, StoreError> {
        let _appends = self.inner.head.lock().unwrap_or_else(|e| e.into_inner());
        let Some(v) = self.inner.audit.get(HEAD_KEY)? else {
            return Ok(None);
        };
        let Ok(head) = decode_named::<Head>(TREE, || "head".into(), &v) else {
            return Ok(None);
        };
        let Some(start) = head.seq.checked_add(1) else {
            return Ok(None);
        };
        let extra = self
            .inner
            .audit
            .range(entry_key(start)..=entry_key(u64::MAX))
            .next()
            .transpose()?;
        Ok(extra.map(|(k, _)| {
            format!(
                "{} lies beyond the head record (entry {}): added outside the log",
                super::audit::key_name(&k),
                head.seq
            )
        }))
    }
}
