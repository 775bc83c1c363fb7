//! Mobile keys lockstep issued: the vendor's credential id per person and system, so that a
//! key is issued once, and only a key lockstep issued is revoked when nobody wants it.
//!
//! Keyed `property \0 system \0 external id`; written (flushed) once the vendor confirmed the
//! key, removed once its revocation is confirmed.

use super::codec::{decode, encode, key3, prefix2, scan_map};
use super::{Inner, StoreError};
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const TREE: &str = "keys";

/// One mobile key lockstep issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedKey {
    /// The vendor's credential id.
    pub credential_id: String,
    pub issued_at: Timestamp,
}

/// The `keys` tree of a [`super::Store`].
pub struct MobileKeys<'a> {
    pub(crate) inner: &'a Inner,
}

impl MobileKeys<'_> {
    /// Records a key the vendor confirmed; flushed before returning.
    pub fn record(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
        key: &IssuedKey,
    ) -> Result<(), StoreError> {
        let k = key3(TREE, property, system, external_id)?;
        self.inner.keys.insert(k, encode(TREE, key)?)?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// Forgets the key recorded for a person if it is `credential_id` (a revoked card of the
    /// same person leaves the key's record alone); flushed.
    pub fn forget(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
        credential_id: &str,
    ) -> Result<(), StoreError> {
        let k = key3(TREE, property, system, external_id)?;
        let Some(v) = self.inner.keys.get(&k)? else {
            return Ok(());
        };
        let held: IssuedKey = decode(TREE, &k, &v)?;
        if held.credential_id == credential_id {
            self.inner.keys.remove(k)?;
            self.inner.db.flush()?;
        }
        Ok(())
    }

    /// External id → the key lockstep issued, for one property in one system.
    pub fn of(
        &self,
        property: &str,
        system: &str,
    ) -> Result<BTreeMap<String, IssuedKey>, StoreError> {
        scan_map(TREE, &self.inner.keys, &prefix2(TREE, property, system)?)
    }
}
