//! What managers tell lockstep directly: per-person overrides and lost or stolen credentials.
//!
//! Both win over the source until cleared, so both are flushed before a write returns.

use super::codec::{decode, encode, key2, key3, prefix, prefix2, rest};
use super::{Inner, StoreError};
use crate::model::{LeaseStatus, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const OVERRIDES: &str = "overrides";
const LOST: &str = "lost";

/// A property manager's override of one person (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub property: String,
    pub person_id: String,
    pub force_status: Option<LeaseStatus>,
    pub add_groups: BTreeSet<String>,
    pub remove_groups: BTreeSet<String>,
    pub set_by: String,
    pub set_at: Timestamp,
    pub note: Option<String>,
}

/// The `overrides` tree, keyed `property \0 person`.
pub struct Overrides<'a> {
    pub(crate) inner: &'a Inner,
}

impl Overrides<'_> {
    /// Sets (replaces) the override of `o.person_id` in `o.property`; flushed.
    pub fn put(&self, o: &Override) -> Result<(), StoreError> {
        let k = key2(OVERRIDES, &o.property, &o.person_id)?;
        self.inner.overrides.insert(k, encode(OVERRIDES, o)?)?;
        self.inner.db.flush()?;
        Ok(())
    }

    pub fn get(&self, property: &str, person: &str) -> Result<Option<Override>, StoreError> {
        let k = key2(OVERRIDES, property, person)?;
        self.inner
            .overrides
            .get(&k)?
            .map(|v| decode(OVERRIDES, &k, &v))
            .transpose()
    }

    /// Overrides of one property (or all), sorted by (property, person).
    pub fn list(&self, property: Option<&str>) -> Result<Vec<Override>, StoreError> {
        let start = match property {
            Some(p) => prefix(OVERRIDES, p)?,
            None => Vec::new(),
        };
        self.inner
            .overrides
            .scan_prefix(start)
            .map(|item| {
                let (k, v) = item?;
                decode(OVERRIDES, &k, &v)
            })
            .collect()
    }

    /// Removes an override, returning it if there was one; flushed.
    pub fn clear(&self, property: &str, person: &str) -> Result<Option<Override>, StoreError> {
        let k = key2(OVERRIDES, property, person)?;
        let Some(old) = self.inner.overrides.remove(&k)? else {
            return Ok(None);
        };
        self.inner.db.flush()?;
        decode(OVERRIDES, &k, &old).map(Some)
    }
}

/// Who reported one credential lost, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LostRecord {
    reported_by: String,
    reported_at: Timestamp,
}

/// The `lost` tree, one record per credential, keyed `property \0 person \0 credential`.
/// One key per credential makes `add` a single insert: two reports at once cannot lose one.
pub struct Lost<'a> {
    pub(crate) inner: &'a Inner,
}

impl Lost<'_> {
    /// Records a lost or stolen credential (`"*"` = every credential of the person); flushed.
    pub fn add(
        &self,
        property: &str,
        person: &str,
        credential: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let k = key3(LOST, property, person, credential)?;
        let record = LostRecord {
            reported_by: by.to_string(),
            reported_at: at,
        };
        self.inner.lost.insert(k, encode(LOST, &record)?)?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// Records that a person's PIN is to be replaced: in one flushed batch, a plain loss of the
    /// PIN (`pin`) is withdrawn and the next replacement (`pin#N`) recorded. Returns its id.
    pub fn replace_pin(
        &self,
        property: &str,
        person: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<String, StoreError> {
        let mine = self
            .for_property(property)?
            .remove(person)
            .unwrap_or_default();
        let id = crate::policy::pins::replacement_id(&mine);
        let record = LostRecord {
            reported_by: by.to_string(),
            reported_at: at,
        };
        let mut batch = sled::Batch::default();
        batch.remove(key3(
            LOST,
            property,
            person,
            crate::policy::pins::PIN_CREDENTIAL,
        )?);
        batch.insert(key3(LOST, property, person, &id)?, encode(LOST, &record)?);
        self.inner.lost.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(id)
    }

    /// Person → credential ids reported lost, for one property.
    pub fn for_property(
        &self,
        property: &str,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
        let start = prefix(LOST, property)?;
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for item in self.inner.lost.scan_prefix(&start) {
            let (k, v) = item?;
            // Decoded only to catch corrupt or future records.
            let _: LostRecord = decode(LOST, &k, &v)?;
            let tail = rest(&k, &start);
            let Some((person, credential)) = tail.split_once('\0') else {
                return Err(StoreError::Decode {
                    tree: LOST,
                    key: tail.replace('\0', "/"),
                    detail: "the key has no credential part".into(),
                });
            };
            out.entry(person.to_string())
                .or_default()
                .insert(credential.to_string());
        }
        Ok(out)
    }

    /// Forgets every lost credential of one person (e.g. after reissuing); flushed.
    pub fn clear(&self, property: &str, person: &str) -> Result<(), StoreError> {
        let start = prefix2(LOST, property, person)?;
        let mut batch = sled::Batch::default();
        for item in self.inner.lost.scan_prefix(&start) {
            let (k, _) = item?;
            batch.remove(k);
        }
        self.inner.lost.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(())
    }
}
