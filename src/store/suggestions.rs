//! Suggestions (approval mode, DESIGN §4): one person's pending change in one property, waiting
//! for a manager's decision. A suggestion carries every step the change needs, in order
//! (revocations, then the account, then grants), across the property's access systems.
//!
//! Keyed by a stable id derived from (property, person, steps): the same change is the same
//! suggestion in every cycle and across restarts, and a change of what the person needs is a
//! new suggestion that replaces the old one, never a half-valid one.

use super::codec::{decode, encode};
use super::{Inner, StoreError};
use crate::model::{Action, Direction, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The tree name. Per-action suggestions of earlier builds lived in `suggestions` and are
/// simply no longer read: the next cycle suggests the same changes per person.
const TREE: &str = "person_suggestions";

/// Green: grants only. Red: revocations only. Mixed: both (a unit move). Grey: neither (a
/// validity change with no access change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Red,
    Mixed,
    Grey,
}

impl Colour {
    /// The colour of a list of steps.
    pub fn of<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Colour {
        let (mut grants, mut revokes) = (false, false);
        for a in actions {
            match a {
                Action::AddToGroup { .. } => grants = true,
                a if a.direction() == Direction::Revoke => revokes = true,
                _ => {}
            }
        }
        match (grants, revokes) {
            (true, true) => Colour::Mixed,
            (true, false) => Colour::Green,
            (false, true) => Colour::Red,
            (false, false) => Colour::Grey,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Red => "red",
            Colour::Mixed => "mixed",
            Colour::Grey => "grey",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionState {
    Pending,
    Approved,
    Discarded,
    Withdrawn,
    /// The person's change changed before it was carried out; a new suggestion holds it.
    Replaced,
    Executed,
    Failed,
}

impl SuggestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionState::Pending => "pending",
            SuggestionState::Approved => "approved",
            SuggestionState::Discarded => "discarded",
            SuggestionState::Withdrawn => "withdrawn",
            SuggestionState::Replaced => "replaced",
            SuggestionState::Executed => "executed",
            SuggestionState::Failed => "failed",
        }
    }
}

/// One step of a suggestion: an action in one access system, and once carried out, its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub system: String,
    pub action: Action,
    /// What the step does, in words (`add to "Unit 101"`).
    pub describe: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<StepResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum StepResult {
    Applied,
    Failed { error: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// [`suggestion_id`] of (property, person, steps).
    pub id: String,
    pub property: String,
    /// The person's external id (`lockstep:<source>:<person id>`).
    pub person: String,
    pub person_id: String,
    pub name: String,
    pub unit: Option<String>,
    /// `resident`, or the person's role (`maintenance`, `contractor`, …).
    pub kind: String,
    pub steps: Vec<Step>,
    pub colour: Colour,
    /// Why, in words (`moved from 203 to 101`).
    pub reason: String,
    pub created_at: Timestamp,
    pub state: SuggestionState,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// Why it failed or was not carried out, when it was not.
    pub error: Option<String>,
    /// The suggestion that replaced this one, when the person's change changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

/// A stable id: the first 16 hex digits of SHA-256 over the compact JSON array
/// `[property, person, [[system, action], …]]` (actions in their serde form).
pub fn suggestion_id<'a>(
    property: &str,
    person: &str,
    steps: impl IntoIterator<Item = (&'a str, &'a Action)>,
) -> String {
    let steps: Vec<(&str, &Action)> = steps.into_iter().collect();
    // Serialising strings and actions cannot fail; fall back to the descriptions anyway.
    let text = serde_json::to_string(&(property, person, &steps)).unwrap_or_else(|_| {
        let parts: Vec<String> = steps
            .iter()
            .map(|(s, a)| format!("{s}\0{}", a.describe()))
            .collect();
        format!("{property}\0{person}\0{}", parts.join("\0"))
    });
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
