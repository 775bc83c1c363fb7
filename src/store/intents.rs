//! The intent journal (DESIGN §5): an action is journaled before it is sent and resolved after.
//!
//! On restart, what is still here was possibly sent and possibly not; the controller resolves it
//! by observing the access system, never by replaying it. Ids come from sled's persistent
//! monotonic counter, so they only grow, across restarts too, and the tree iterates oldest first.

use super::codec::{decode_named, encode, show_key};
use super::{Inner, StoreError};
use crate::model::{Action, Timestamp};
use serde::{Deserialize, Serialize};

const TREE: &str = "intents";

/// An action journaled before it is sent and removed once its outcome is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub id: u64,
    pub property: String,
    pub system: String,
    pub action: Action,
    pub created_at: Timestamp,
    pub attempts: u32,
}

fn decode_intent(key: &[u8], bytes: &[u8]) -> Result<Intent, StoreError> {
    let name = || match <[u8; 8]>::try_from(key) {
        Ok(id) => format!("intent {}", u64::from_be_bytes(id)),
        Err(_) => show_key(key),
    };
    decode_named(TREE, name, bytes)
}

/// The `intents` tree, keyed by the big-endian id.
pub struct Intents<'a> {
    pub(crate) inner: &'a Inner,
}

impl Intents<'_> {
    /// Journals a batch of actions atomically with one flush; returns their ids in order.
    /// Nothing may be sent for an action unless this returned `Ok`.
    pub fn begin_many(
        &self,
        property: &str,
        system: &str,
        actions: &[Action],
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        let mut batch = sled::Batch::default();
        let mut ids = Vec::with_capacity(actions.len());
        for action in actions {
            let id = self.inner.db.generate_id()?;
            let intent = Intent {
                id,
                property: property.to_string(),
                system: system.to_string(),
                action: action.clone(),
                created_at: now,
                attempts: 0,
            };
            batch.insert(&id.to_be_bytes(), encode(TREE, &intent)?);
            ids.push(id);
        }
        if ids.is_empty() {
            return Ok(ids);
        }
        self.inner.intents.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(ids)
    }

    /// Journals one action; flushed before returning its id.
    pub fn begin(
        &self,
        property: &str,
        system: &str,
        action: &Action,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let ids = self.begin_many(property, system, std::slice::from_ref(action), now)?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// Records one more attempt at an intent (a retry); a no-op if it is already resolved.
    pub fn note_attempt(&self, id: u64) -> Result<(), StoreError> {
        let key = id.to_be_bytes();
        let Some(v) = self.inner.intents.get(key)? else {
            return Ok(());
        };
        let mut intent = decode_intent(&key, &v)?;
        intent.attempts = intent.attempts.saturating_add(1);
        self.inner.intents.insert(key, encode(TREE, &intent)?)?;
        Ok(())
    }

    /// Marks intents done (removes them) in one batch; flushed.
    pub fn resolve_many(&self, ids: &[u64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.remove(&id.to_be_bytes());
        }
        self.inner.intents.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(())
    }

    pub fn resolve(&self, id: u64) -> Result<(), StoreError> {
        self.resolve_many(&[id])
    }

    /// Every unresolved intent, oldest first.
    pub fn unresolved(&self) -> Result<Vec<Intent>, StoreError> {
        self.inner
            .intents
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode_intent(&k, &v)
            })
            .collect()
    }

    /// The unresolved intents of one property, oldest first.
    pub fn unresolved_for(&self, property: &str) -> Result<Vec<Intent>, StoreError> {
        let mut all = self.unresolved()?;
        all.retain(|i| i.property == property);
        Ok(all)
    }
}
