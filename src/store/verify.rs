//! `audit verify`: walks the whole chain and reports the first place it is broken.
//!
//! Checked, in order, for every entry: it is readable, its sequence number follows the previous
//! one (a gap means a deleted entry), its stored hash is the hash of its content (else it was
//! altered), and its `prev_hash` is the previous entry's hash (else the chain was re-linked).
//! Finally the newest entry must be the one the head record names (else the tail was cut off).

use super::audit::{decode_entry, entry_key, AuditLog, Head, GENESIS, HEAD_KEY, TREE};
use super::codec::decode_named;
use super::StoreError;
use serde::Serialize;

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

fn broken(entries: u64, problem: String) -> Result<VerifyReport, StoreError> {
    Ok(VerifyReport {
        entries,
        first_problem: Some(problem),
    })
}

impl AuditLog<'_> {
    /// Recomputes every hash and checks links, sequence numbers and the head record. Appends
    /// that land while it runs are not examined: the walk ends at the head read when it starts.
    /// Problems in the data are reported, not returned as errors; `Err` means the store itself
    /// could not be read.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let head = match self.inner.audit.get(HEAD_KEY)? {
            None => None,
            Some(v) => match decode_named::<Head>(TREE, || "head".into(), &v) {
                Ok(h) => Some(h),
                Err(e) => return broken(0, format!("the head record is unreadable: {e}")),
            },
        };
        let end = head.as_ref().map_or(u64::MAX, |h| h.seq);
        let mut prev = Head {
            seq: 0,
            hash: GENESIS.to_string(),
        };
        for item in self.inner.audit.range(entry_key(1)..=entry_key(end)) {
            let (k, v) = item?;
            let entry = match decode_entry(&k, &v) {
                Ok(e) => e,
                Err(e) => return broken(prev.seq, format!("{e}")),
            };
            let n = entry.seq;
            if k.as_ref() != entry_key(n) {
                let at = super::audit::key_name(&k);
                return broken(prev.seq, format!("{at}: holds a record with seq {n}"));
            }
            if n != prev.seq + 1 {
                return broken(prev.seq, format!("seq gap: {n} follows {}", prev.seq));
            }
            if entry.compute_hash()? != entry.hash {
                return broken(
                    prev.seq,
                    format!("entry {n}: hash mismatch (record altered)"),
                );
            }
            if entry.prev_hash != prev.hash {
                let before = match prev.seq {
                    0 => "the genesis hash".to_string(),
                    p => format!("entry {p}"),
                };
                return broken(
                    prev.seq,
                    format!("entry {n}: prev_hash does not match {before}"),
                );
            }
            prev = Head {
                seq: n,
                hash: entry.hash,
            };
        }
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
        Ok(VerifyReport {
            entries: prev.seq,
            first_problem: problem,
        })
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
