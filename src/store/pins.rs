//! PINs lockstep issued: which generation each person holds in which system, and the keyed
//! fingerprint of its value (never the value), so that a fresh PIN is never one already live
//! at the property and a replacement is known to be done.
//!
//! Keyed `property \0 system \0 external id`; written (flushed) only once the PIN is set and
//! delivered, removed when the access system confirms it cleared. The fingerprint key lives in
//! `meta`: created once, at random, on first use.

use super::codec::{decode, encode, key3, prefix, prefix2, scan_map};
use super::{Inner, StoreError};
use crate::model::{Timestamp, Window};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

const TREE: &str = "pins";
const KEY: &str = "pin_fingerprint_key";

/// One PIN lockstep issued and delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedPin {
    pub generation: u32,
    /// Hex HMAC-SHA256 of the property and the digits under the store's fingerprint key.
    pub fingerprint: String,
    pub issued_at: Timestamp,
    #[serde(default)]
    pub window: Window,
}

/// The `pins` tree of a [`super::Store`].
pub struct Pins<'a> {
    pub(crate) inner: &'a Inner,
}

impl Pins<'_> {
    /// Records a PIN that was set and delivered; flushed before returning.
    pub fn record(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
        pin: &IssuedPin,
    ) -> Result<(), StoreError> {
        let k = key3(TREE, property, system, external_id)?;
        self.inner.pins.insert(k, encode(TREE, pin)?)?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// Forgets a PIN the access system confirmed cleared; flushed.
    pub fn forget(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .pins
            .remove(key3(TREE, property, system, external_id)?)?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// External id → the PIN lockstep issued, for one property in one system.
    pub fn of(
        &self,
        property: &str,
        system: &str,
    ) -> Result<BTreeMap<String, IssuedPin>, StoreError> {
        scan_map(TREE, &self.inner.pins, &prefix2(TREE, property, system)?)
    }

    /// The fingerprints of every PIN live at the property, in any of its systems.
    pub fn fingerprints(&self, property: &str) -> Result<BTreeSet<String>, StoreError> {
        let start = prefix(TREE, property)?;
        let mut out = BTreeSet::new();
        for item in self.inner.pins.scan_prefix(&start) {
            let (k, v) = item?;
            let pin: IssuedPin = decode(TREE, &k, &v)?;
            out.insert(pin.fingerprint);
        }
        Ok(out)
    }

    /// The 32-byte key fingerprints are made with: read, or created at random once (two
    /// callers racing to create it end up with the same key).
    pub fn fingerprint_key(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if let Some(k) = self.read_key()? {
            return Ok(k);
        }
        let fresh: [u8; 32] = rand::random();
        let encoded = Zeroizing::new(encode(TREE, &hex::encode(fresh))?);
        let _ = self.inner.meta.compare_and_swap(
            KEY,
            None as Option<&[u8]>,
            Some(encoded.as_slice()),
        )?;
        self.inner.db.flush()?;
        self.read_key()?.ok_or_else(|| StoreError::Decode {
            tree: TREE,
            key: KEY.into(),
            detail: "the fingerprint key vanished as it was written".into(),
        })
    }

    fn read_key(&self) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let Some(v) = self.inner.meta.get(KEY)? else {
            return Ok(None);
        };
        let text: Zeroizing<String> = Zeroizing::new(decode(TREE, KEY.as_bytes(), &v)?);
        match hex::decode(text.as_str()) {
            Ok(bytes) if bytes.len() == 32 => Ok(Some(Zeroizing::new(bytes))),
            _ => Err(StoreError::Decode {
                tree: TREE,
                key: KEY.into(),
                detail: "the PIN fingerprint key is not 32 bytes of hex".into(),
            }),
        }
    }
}
