//! Typed handles for the other trees: suggestions, overrides, intents, status marks, lost
//! credentials and small metadata.

use super::{decode, encode, key2, prefix, Inner, StoreError};
use crate::model::{Action, LeaseStatus, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Green = grant, red = revoke, grey = a change that neither gives nor takes access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Red,
    Grey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A stable id: the first 16 hex digits of SHA-256 over (property, system, action).
pub fn suggestion_id(property: &str, system: &str, action: &Action) -> String {
    let text = serde_json::to_string(&(property, system, action)).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

pub struct Suggestions<'a> {
    pub(crate) inner: &'a Inner,
}

const SUGGESTIONS: &str = "suggestions";

impl Suggestions<'_> {
    pub fn put(&self, s: &Suggestion) -> Result<(), StoreError> {
        self.put_many(std::slice::from_ref(s))
    }

    pub fn put_many(&self, list: &[Suggestion]) -> Result<(), StoreError> {
        if list.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for s in list {
            batch.insert(s.id.as_bytes(), encode(SUGGESTIONS, s)?);
        }
        self.inner.suggestions.apply_batch(batch)?;
        self.inner.suggestions.flush()?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<Suggestion>, StoreError> {
        self.inner
            .suggestions
            .get(id.as_bytes())?
            .map(|v| decode(SUGGESTIONS, id.as_bytes(), &v))
            .transpose()
    }

    pub fn list(
        &self,
        property: Option<&str>,
        state: Option<SuggestionState>,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.suggestions.iter() {
            let (k, v) = item?;
            let s: Suggestion = decode(SUGGESTIONS, &k, &v)?;
            if property.is_none_or(|p| s.property == p) && state.is_none_or(|st| s.state == st) {
                out.push(s);
            }
        }
        out.sort_by(|a, b| {
            (&a.property, a.created_at, &a.id).cmp(&(&b.property, b.created_at, &b.id))
        });
        Ok(out)
    }

    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.inner.suggestions.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn count_pending(&self, property: &str) -> Result<usize, StoreError> {
        Ok(self
            .list(Some(property), Some(SuggestionState::Pending))?
            .len())
    }
}

/// A property manager's override of one person.
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

pub struct Overrides<'a> {
    pub(crate) inner: &'a Inner,
}

const OVERRIDES: &str = "overrides";

impl Overrides<'_> {
    pub fn put(&self, o: &Override) -> Result<(), StoreError> {
        self.inner
            .overrides
            .insert(key2(&o.property, &o.person_id), encode(OVERRIDES, o)?)?;
        self.inner.overrides.flush()?;
        Ok(())
    }

    pub fn get(&self, property: &str, person: &str) -> Result<Option<Override>, StoreError> {
        let k = key2(property, person);
        self.inner
            .overrides
            .get(&k)?
            .map(|v| decode(OVERRIDES, &k, &v))
            .transpose()
    }

    pub fn list(&self, property: Option<&str>) -> Result<Vec<Override>, StoreError> {
        let iter = match property {
            Some(p) => self.inner.overrides.scan_prefix(prefix(p)),
            None => self.inner.overrides.scan_prefix(b""),
        };
        iter.map(|item| {
            let (k, v) = item?;
            decode(OVERRIDES, &k, &v)
        })
        .collect()
    }

    pub fn clear(&self, property: &str, person: &str) -> Result<Option<Override>, StoreError> {
        let k = key2(property, person);
        let old = self
            .inner
            .overrides
            .remove(&k)?
            .map(|v| decode(OVERRIDES, &k, &v))
            .transpose()?;
        self.inner.overrides.flush()?;
        Ok(old)
    }
}

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

pub struct Intents<'a> {
    pub(crate) inner: &'a Inner,
}

const INTENTS: &str = "intents";

impl Intents<'_> {
    /// Journals a batch of actions with one flush; returns their ids in order.
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
            batch.insert(&id.to_be_bytes(), encode(INTENTS, &intent)?);
            ids.push(id);
        }
        self.inner.intents.apply_batch(batch)?;
        self.inner.intents.flush()?;
        Ok(ids)
    }

    pub fn begin(
        &self,
        property: &str,
        system: &str,
        action: &Action,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(self.begin_many(property, system, std::slice::from_ref(action), now)?[0])
    }

    /// Marks intents done. Not flushed on its own: an intent that reappears after a crash is
    /// only re-observed, never replayed.
    pub fn resolve_many(&self, ids: &[u64]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.remove(&id.to_be_bytes());
        }
        self.inner.intents.apply_batch(batch)?;
        Ok(())
    }

    pub fn resolve(&self, id: u64) -> Result<(), StoreError> {
        self.resolve_many(&[id])
    }

    pub fn unresolved(&self) -> Result<Vec<Intent>, StoreError> {
        self.inner
            .intents
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode(INTENTS, &k, &v)
            })
            .collect()
    }
}

/// When lockstep first saw a person in a status, for the activation delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMark {
    pub status: LeaseStatus,
    pub unit: Option<String>,
    pub since: Timestamp,
}

pub struct Tracker<'a> {
    pub(crate) inner: &'a Inner,
}

const TRACKER: &str = "tracker";

impl Tracker<'_> {
    /// All marks of one property, stored as one record (one read, one write per cycle).
    pub fn load(&self, property: &str) -> Result<BTreeMap<String, StatusMark>, StoreError> {
        match self.inner.tracker.get(property.as_bytes())? {
            Some(v) => decode(TRACKER, property.as_bytes(), &v),
            None => Ok(BTreeMap::new()),
        }
    }

    pub fn save(
        &self,
        property: &str,
        marks: &BTreeMap<String, StatusMark>,
    ) -> Result<(), StoreError> {
        self.inner
            .tracker
            .insert(property.as_bytes(), encode(TRACKER, marks)?)?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LostRecord {
    credentials: BTreeSet<String>,
    reported_by: String,
    reported_at: Timestamp,
}

pub struct Lost<'a> {
    pub(crate) inner: &'a Inner,
}

const LOST: &str = "lost";

impl Lost<'_> {
    /// Records a lost credential (`*` = every credential of the person). Flushed at once.
    pub fn add(
        &self,
        property: &str,
        person: &str,
        credential: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let k = key2(property, person);
        let mut record: LostRecord = match self.inner.lost.get(&k)? {
            Some(v) => decode(LOST, &k, &v)?,
            None => LostRecord {
                credentials: BTreeSet::new(),
                reported_by: by.to_string(),
                reported_at: at,
            },
        };
        record.credentials.insert(credential.to_string());
        record.reported_by = by.to_string();
        record.reported_at = at;
        self.inner.lost.insert(&k, encode(LOST, &record)?)?;
        self.inner.lost.flush()?;
        Ok(())
    }

    pub fn for_property(
        &self,
        property: &str,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
        let mut out = BTreeMap::new();
        for item in self.inner.lost.scan_prefix(prefix(property)) {
            let (k, v) = item?;
            let record: LostRecord = decode(LOST, &k, &v)?;
            let person = String::from_utf8_lossy(&k[property.len() + 1..]).to_string();
            out.insert(person, record.credentials);
        }
        Ok(out)
    }

    pub fn clear(&self, property: &str, person: &str) -> Result<(), StoreError> {
        self.inner.lost.remove(key2(property, person))?;
        Ok(())
    }
}

pub struct Meta<'a> {
    pub(crate) inner: &'a Inner,
}

const META: &str = "meta";

impl Meta<'_> {
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
}
