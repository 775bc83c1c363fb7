//! The `events` tree: signed events accepted through `POST /api/v1/events`, and the requests
//! already seen (replay marks). The events are the truth an events source reads every cycle,
//! so a request is answered only after its events are inserted and flushed.
//!
//! Keys: `e \0 source \0 event id` → the stored event; `r \0 sender \0 sha256(signature)` → the
//! request's timestamp. Both go in one batch, so a request is either wholly accepted (events and
//! mark) or not at all. Only a hash of the signature is kept. Marks are pruned once their
//! timestamp is too old for the request to pass the staleness check again.

use super::codec::{decode, encode, key3, prefix, prefix2};
use super::{Inner, StoreError};
use crate::model::{Event, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const EVENTS: &str = "events";

/// How long a replay mark is kept past its timestamp: the staleness window plus a margin for
/// the clock moving while requests are in flight.
pub const MARK_KEEP_SECS: i64 = 600;

/// An accepted event, with who sent it and a digest of its content (what makes a resent id a
/// duplicate or a conflict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub sender: String,
    pub received_at: Timestamp,
    pub digest: String,
    pub event: Event,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Mark {
    timestamp: Timestamp,
}

/// What happened to one event of an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Stored now.
    Accepted,
    /// Stored before with the same content: nothing to do.
    Duplicate,
}

/// Why a request was refused as a whole (nothing of it stored).
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("replayed request: this sender already sent this signature")]
    Replay,
    #[error(
        "event {id:?} was already accepted with a different body; give a changed event a new id"
    )]
    Conflict { id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for AcceptError {
    fn from(e: sled::Error) -> AcceptError {
        AcceptError::Store(StoreError::from(e))
    }
}

/// One signed request to accept.
pub struct Request<'r> {
    pub source: &'r str,
    pub sender: &'r str,
    pub signature: &'r str,
    pub timestamp: Timestamp,
    pub events: &'r [Event],
}

/// The digest that tells a duplicate from a conflict: SHA-256 of the event as stored.
pub fn digest(event: &Event) -> Result<String, StoreError> {
    let bytes = serde_json::to_vec(event).map_err(|e| StoreError::Encode {
        tree: EVENTS,
        detail: e.to_string(),
    })?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// The `events` tree.
pub struct Events<'a> {
    pub(crate) inner: &'a Inner,
}

impl Events<'_> {
    /// Accepts a request: refuses a replay or a conflicting id; otherwise runs `before` with the
    /// events new to the store (the caller records lost credentials there, so a crash leaves them
    /// recorded and the unanswered request is sent again), then stores the new events and the
    /// replay mark in one batch and flushes. One request at a time, so two requests carrying
    /// the same id cannot both store it.
    pub fn accept<E>(
        &self,
        req: &Request<'_>,
        now: Timestamp,
        before: impl FnOnce(&[&Event]) -> Result<(), E>,
    ) -> Result<Vec<(String, Verdict)>, AcceptError>
    where
        AcceptError: From<E>,
    {
        let _one = self
            .inner
            .events_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mark_key = key3(
            EVENTS,
            "r",
            req.sender,
            &hex::encode(Sha256::digest(req.signature.as_bytes())),
        )?;
        if self.inner.events.get(&mark_key)?.is_some() {
            return Err(AcceptError::Replay);
        }
        let mut verdicts = Vec::with_capacity(req.events.len());
        let mut fresh: Vec<(&Event, Vec<u8>, String)> = Vec::new();
        for event in req.events {
            let key = key3(EVENTS, "e", req.source, &event.id)?;
            let sum = digest(event)?;
            match self.inner.events.get(&key)? {
                Some(bytes) => {
                    let old: StoredEvent = decode(EVENTS, &key, &bytes)?;
                    if old.digest != sum {
                        return Err(AcceptError::Conflict {
                            id: event.id.clone(),
                        });
                    }
                    verdicts.push((event.id.clone(), Verdict::Duplicate));
                }
                None => {
                    verdicts.push((event.id.clone(), Verdict::Accepted));
                    fresh.push((event, key, sum));
                }
            }
        }
        let new: Vec<&Event> = fresh.iter().map(|(e, _, _)| *e).collect();
        before(&new)?;
        let mut batch = sled::Batch::default();
        for (event, key, sum) in fresh {
            let stored = StoredEvent {
                sender: req.sender.to_string(),
                received_at: now,
                digest: sum,
                event: event.clone(),
            };
            batch.insert(key, encode(EVENTS, &stored)?);
        }
        batch.insert(
            mark_key,
            encode(
                EVENTS,
                &Mark {
                    timestamp: req.timestamp,
                },
            )?,
        );
        self.prune_marks(&mut batch, now)?;
        self.inner.events.apply_batch(batch)?;
        self.inner.db.flush()?;
        Ok(verdicts)
    }

    /// Adds the removal of every replay mark too old to matter to `batch`.
    fn prune_marks(&self, batch: &mut sled::Batch, now: Timestamp) -> Result<(), StoreError> {
        let start = prefix(EVENTS, "r")?;
        for item in self.inner.events.scan_prefix(&start) {
            let (k, v) = item?;
            let mark: Mark = decode(EVENTS, &k, &v)?;
            if mark.timestamp + MARK_KEEP_SECS < now {
                batch.remove(k);
            }
        }
        Ok(())
    }

    /// Every stored event of one source (in id order).
    pub fn of_source(&self, source: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let start = prefix2(EVENTS, "e", source)?;
        self.inner
            .events
            .scan_prefix(&start)
            .map(|item| {
                let (k, v) = item?;
                decode(EVENTS, &k, &v)
            })
            .collect()
    }

    /// The events of one source about one property (the source's own id for it).
    pub fn for_property(&self, source: &str, property: &str) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .of_source(source)?
            .into_iter()
            .map(|s| s.event)
            .filter(|e| e.property == property)
            .collect())
    }

    /// How many replay marks are kept (tests, status).
    pub fn marks(&self) -> Result<usize, StoreError> {
        let start = prefix(EVENTS, "r")?;
        Ok(self.inner.events.scan_prefix(&start).count())
    }
}
