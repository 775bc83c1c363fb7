//! Suggestions (approval mode, DESIGN §4): planned actions waiting for a manager's decision.
//!
//! Keyed by a stable id derived from (property, system, action), so the same planned action is
//! the same suggestion in every cycle and across restarts.

use super::codec::{decode, encode};
use super::{Inner, StoreError};
use crate::model::{Action, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const TREE: &str = "suggestions";

/// Green = grant, red = revoke, grey = a status change with no access change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Red,
    Grey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionState {
    Pending,
    Approved,
    Discarded,
    Withdrawn,
    Executed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// [`suggestion_id`] of (property, system, action).
    pub id: String,
    pub property: String,
    pub system: String,
    pub action: Action,
    pub colour: Colour,
    pub reason: String,
    /// A hash of the person's desired grants when suggested: a discard holds until it changes.
    pub fingerprint: String,
    pub created_at: Timestamp,
    pub state: SuggestionState,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub error: Option<String>,
}

/// A stable id: the first 16 hex digits of SHA-256 over the compact JSON array
/// `[property, system, action]` (the action in its serde form, fields in declaration order).
pub fn suggestion_id(property: &str, system: &str, action: &Action) -> String {
    // Serialising strings and an `Action` cannot fail; fall back to the description anyway.
    let text = serde_json::to_string(&(property, system, action))
        .unwrap_or_else(|_| format!("{property}\0{system}\0{}", action.describe()));
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// The `suggestions` tree of a [`super::Store`].
pub struct Suggestions<'a> {
    pub(crate) inner: &'a Inner,
}

impl Suggestions<'_> {
    /// Inserts or replaces one suggestion; flushed before returning.
    pub fn put(&self, s: &Suggestion) -> Result<(), StoreError> {
        self.put_many(std::slice::from_ref(s))
    }

    /// Inserts or replaces suggestions as one atomic batch; flushed before returning, so a
    /// manager's decision is never lost to a crash.
    pub fn put_many(&self, list: &[Suggestion]) -> Result<(), StoreError> {
        if list.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for s in list {
            batch.insert(s.id.as_bytes(), encode(TREE, s)?);
        }
        self.inner.suggestions.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<Suggestion>, StoreError> {
        self.inner
            .suggestions
            .get(id.as_bytes())?
            .map(|v| decode(TREE, id.as_bytes(), &v))
            .transpose()
    }

    fn each(&self, mut f: impl FnMut(Suggestion)) -> Result<(), StoreError> {
        for item in self.inner.suggestions.iter() {
            let (k, v) = item?;
            f(decode(TREE, &k, &v)?);
        }
        Ok(())
    }

    /// Suggestions of one property (or all) in one state (or any), sorted by
    /// (property, created_at, id).
    pub fn list(
        &self,
        property: Option<&str>,
        state: Option<SuggestionState>,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let mut out = Vec::new();
        self.each(|s| {
            if property.is_none_or(|p| s.property == p) && state.is_none_or(|st| s.state == st) {
                out.push(s);
            }
        })?;
        out.sort_by(|a, b| {
            (&a.property, a.created_at, &a.id).cmp(&(&b.property, b.created_at, &b.id))
        });
        Ok(out)
    }

    /// Removes a suggestion. Not flushed on its own (sled flushes within 200 ms, and on
    /// shutdown): one that reappears after a crash is withdrawn again by the next cycle.
    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.inner.suggestions.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn count_pending(&self, property: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        self.each(|s| {
            if s.property == property && s.state == SuggestionState::Pending {
                n += 1;
            }
        })?;
        Ok(n)
    }
}
