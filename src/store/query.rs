//! Reading the audit log: filters, lazy iteration in sequence order, `range`, `len`, `last`.

use super::audit::{decode_entry, entry_key, AuditEntry, AuditLog};
use super::StoreError;
use crate::model::Timestamp;

/// Filters for `range`, `iter` and exports. Every field narrows; `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Inclusive.
    pub from: Option<Timestamp>,
    /// Inclusive.
    pub to: Option<Timestamp>,
    pub property: Option<String>,
    /// A person id.
    pub person: Option<String>,
    pub action: Option<String>,
    /// Only entries with a larger sequence number (for paging).
    pub after_seq: Option<u64>,
    pub limit: Option<usize>,
}

impl AuditFilter {
    pub fn matches(&self, e: &AuditEntry) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        self.from.is_none_or(|t| e.time >= t)
            && self.to.is_none_or(|t| e.time <= t)
            && self.after_seq.is_none_or(|s| e.seq > s)
            && same(&self.property, &e.property)
            && same(&self.person, &e.person_id)
            && self.action.as_ref().is_none_or(|a| &e.action == a)
    }
}

/// Entries matching a filter, read lazily in sequence order: for exports of large logs.
/// Stops after the first error.
pub struct AuditIter {
    entries: sled::Iter,
    filter: AuditFilter,
    left: usize,
    failed: bool,
}

impl Iterator for AuditIter {
    type Item = Result<AuditEntry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.left > 0 && !self.failed {
            let entry = match self.entries.next()? {
                Ok((k, v)) => decode_entry(&k, &v),
                Err(e) => Err(e.into()),
            };
            match entry {
                Ok(e) if !self.filter.matches(&e) => continue,
                Ok(e) => {
                    self.left -= 1;
                    return Some(Ok(e));
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

impl AuditLog<'_> {
    /// Entries matching `filter`, lazily, in sequence order.
    pub fn iter(&self, filter: &AuditFilter) -> AuditIter {
        let start = filter.after_seq.map_or(0, |s| s.saturating_add(1));
        AuditIter {
            entries: self
                .inner
                .audit
                .range(entry_key(start)..=entry_key(u64::MAX)),
            filter: filter.clone(),
            left: filter.limit.unwrap_or(usize::MAX),
            failed: false,
        }
    }

    /// Entries matching `filter`, in sequence order, at most `filter.limit`.
    pub fn range(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.iter(filter).collect()
    }

    /// The sequence number of the newest entry: the number of entries in an intact chain.
    pub fn len(&self) -> u64 {
        match &*self.inner.head.lock().unwrap_or_else(|e| e.into_inner()) {
            Ok(head) => head.seq,
            Err(_) => self.iter(&AuditFilter::default()).count() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn last(&self) -> Result<Option<AuditEntry>, StoreError> {
        self.inner
            .audit
            .range(entry_key(0)..=entry_key(u64::MAX))
            .next_back()
            .transpose()?
            .map(|(k, v)| decode_entry(&k, &v))
            .transpose()
    }
}
