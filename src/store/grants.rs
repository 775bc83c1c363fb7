//! Grants lockstep owns: every membership lockstep made (or adopted as matching what it
//! grants), so that when a group leaves a property's managed set lockstep can take back its own
//! grants there, and never anyone else's.
//!
//! Keyed `system \0 property \0 external id \0 group`. Written when a grant is confirmed by the vendor,
//! removed when its revocation is; flushed with the cycle's other records.

use super::codec::{decode, encode, key3, prefix2, rest};
use super::{Inner, StoreError};
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const TREE: &str = "grants";

/// Why lockstep holds one membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub property: String,
    pub at: Timestamp,
    /// `granted` (lockstep added it) or `adopted` (found matching what lockstep grants).
    pub why: String,
}

/// The `grants` tree of a [`super::Store`].
pub struct Grants<'a> {
    pub(crate) inner: &'a Inner,
}

impl Grants<'_> {
    /// Records and forgets memberships in one atomic batch, flushed before returning.
    pub fn apply(
        &self,
        system: &str,
        property: &str,
        record: &[(String, String, GrantRecord)],
        forget: &[(String, String)],
    ) -> Result<(), StoreError> {
        if record.is_empty() && forget.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for (ext, group, rec) in record {
            batch.insert(key(system, property, ext, group)?, encode(TREE, rec)?);
        }
        for (ext, group) in forget {
            batch.remove(key(system, property, ext, group)?);
        }
        self.inner.grants.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// (external id, group) → record, for one property's grants in one system.
    pub fn of(
        &self,
        system: &str,
        property: &str,
    ) -> Result<BTreeMap<(String, String), GrantRecord>, StoreError> {
        let start = prefix2(TREE, system, property)?;
        let mut out = BTreeMap::new();
        for item in self.inner.grants.scan_prefix(&start) {
            let (k, v) = item?;
            let rec: GrantRecord = decode(TREE, &k, &v)?;
            let tail = rest(&k, &start);
            match tail.split_once('\0') {
                Some((ext, group)) => {
                    out.insert((ext.to_string(), group.to_string()), rec);
                }
                None => {
                    return Err(StoreError::Decode {
                        tree: TREE,
                        key: super::codec::show_key(&k),
                        detail: "key lacks its group part".into(),
                    })
                }
            }
        }
        Ok(out)
    }
}

fn key(system: &str, property: &str, ext: &str, group: &str) -> Result<Vec<u8>, StoreError> {
    if ext.contains('\0') {
        return Err(StoreError::Encode {
            tree: TREE,
            detail: format!("external id {ext:?} contains a NUL character"),
        });
    }
    key3(TREE, system, property, &format!("{ext}\0{group}"))
}
