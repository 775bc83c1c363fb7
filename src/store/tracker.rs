//! Status marks (when lockstep first saw a person in a status, for the activation delay) and
//! small metadata values (e.g. the last good feed size per property).
//!
//! Neither is flushed on every write: both are rewritten every cycle, and sled flushes within
//! 200 ms and on shutdown. A mark lost to a crash only restarts that person's delay.

use super::codec::{decode, encode, key2, prefix, scan_map};
use super::{Inner, StoreError};
use crate::model::{LeaseStatus, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const TRACKER: &str = "tracker";
const META: &str = "meta";

/// When lockstep first saw a person in a status (and unit), for the activation delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMark {
    pub status: LeaseStatus,
    pub unit: Option<String>,
    pub since: Timestamp,
    /// Group → when its window ends, for grants that end (`policy::Mark::ends`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ends: BTreeMap<String, Timestamp>,
}

/// The `tracker` tree, one record per person, keyed `property \0 person`.
pub struct Tracker<'a> {
    pub(crate) inner: &'a Inner,
}

impl Tracker<'_> {
    /// Person → mark, for one property.
    pub fn load(&self, property: &str) -> Result<BTreeMap<String, StatusMark>, StoreError> {
        scan_map(TRACKER, &self.inner.tracker, &prefix(TRACKER, property)?)
    }

    /// Replaces one property's marks with `marks` in one atomic batch: marks of persons not in
    /// `marks` are removed, and only records that changed are written.
    pub fn save(
        &self,
        property: &str,
        marks: &BTreeMap<String, StatusMark>,
    ) -> Result<(), StoreError> {
        let start = prefix(TRACKER, property)?;
        let mut wanted = BTreeMap::new();
        for (person, mark) in marks {
            wanted.insert(key2(TRACKER, property, person)?, encode(TRACKER, mark)?);
        }
        let mut batch = sled::Batch::default();
        let mut changes = 0usize;
        for item in self.inner.tracker.scan_prefix(&start) {
            let (k, v) = item?;
            match wanted.remove(k.as_ref()) {
                Some(new) if new.as_slice() == v.as_ref() => {}
                Some(new) => {
                    batch.insert(k, new);
                    changes += 1;
                }
                None => {
                    batch.remove(k);
                    changes += 1;
                }
            }
        }
        for (k, v) in wanted {
            batch.insert(k, v);
            changes += 1;
        }
        if changes > 0 {
            self.inner.tracker.apply_batch(batch)?;
        }
        Ok(())
    }
}

/// The `meta` tree: small typed values under string keys.
pub struct Meta<'a> {
    pub(crate) inner: &'a Inner,
}

impl Meta<'_> {
    /// The value under `key`; a value of another shape is a `Decode` error, not `None`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.inner
            .meta
            .get(key.as_bytes())?
            .map(|v| decode(META, key.as_bytes(), &v))
            .transpose()
    }

    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.inner
            .meta
            .insert(key.as_bytes(), encode(META, value)?)?;
        Ok(())
    }

    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.inner.meta.remove(key.as_bytes())?;
        Ok(())
    }
}
