//! `type: events`: a push source. Senders post signed events to `POST /api/v1/events`
//! (`http/events.rs`); each accepted event is stored and flushed before the answer
//! (`store::events`), and this source's `fetch` folds the stored events of one property into
//! people (`fold.rs`), so the usual level-triggered cycle decides what they get. It reads the
//! store, not the network: a fetch is whole by construction, and the completeness gate does not
//! hold an empty answer against it (everyone removed is a real answer).
//!
//! `wire.rs` parses request bodies (errors name the field path), `time.rs` their RFC 3339 times,
//! `sign.rs` checks signatures.

pub mod fold;
pub mod sign;
pub mod time;
pub mod wire;

use super::{Source, SourceError};
use crate::model::SourceSnapshot;
use crate::store::Store;
use async_trait::async_trait;

pub struct EventsSource {
    name: String,
    store: Store,
}

impl EventsSource {
    pub fn new(name: &str, store: Store) -> EventsSource {
        EventsSource {
            name: name.to_string(),
            store,
        }
    }
}

#[async_trait]
impl Source for EventsSource {
    fn kind(&self) -> &'static str {
        "events"
    }

    async fn fetch(&self, property: &str) -> Result<SourceSnapshot, SourceError> {
        let events = self
            .store
            .events()
            .for_property(&self.name, property)
            .map_err(|e| SourceError::Fault {
                source_name: self.name.clone(),
                property: property.to_string(),
                detail: format!("reading stored events: {e}"),
            })?;
        let people = fold::people(&events);
        Ok(SourceSnapshot {
            reported_total: Some(people.len()),
            people,
            problems: Vec::new(),
        })
    }
}
