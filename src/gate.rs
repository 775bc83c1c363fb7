//! The source-completeness gate: a feed that looks short is treated as a failed fetch, so no
//! revocation is ever derived from missing data (DESIGN §2, §5).

use crate::model::SourceSnapshot;
use crate::reconcile::{Cycle, CycleError};
use crate::source::SourceError;

fn key(property: &str, source: &str) -> String {
    format!("feed_size:{property}:{source}")
}

/// Where builds that knew one source per property kept its last good size.
fn legacy_key(property: &str) -> String {
    format!("feed_size:{property}")
}

/// Fails when the feed is not whole: fewer people than the source said it sent, or empty where
/// the last good read was not (unless an operator released the guard for this cycle).
pub fn check_complete(
    cycle: &Cycle<'_>,
    source: &str,
    source_property: &str,
    snapshot: &SourceSnapshot,
) -> Result<(), CycleError> {
    let incomplete = |detail: String| {
        CycleError::Source(SourceError::Incomplete {
            source_name: source.to_string(),
            property: source_property.to_string(),
            detail,
        })
    };
    if let Some(total) = snapshot.reported_total {
        if total != snapshot.listed() {
            return Err(incomplete(format!(
                "the source reported {total} people but sent {}",
                snapshot.listed()
            )));
        }
    }
    // A push source reads the store: its answer is whole by construction, and an empty one
    // means every person was removed by an event, not a short read.
    if matches!(
        cycle.config.sources.get(source),
        Some(crate::config::SourceConfig::Events(_))
    ) {
        return Ok(());
    }
    let meta = cycle.store.meta();
    let mut last: Option<usize> = meta.get(&key(cycle.property_id, source))?;
    if last.is_none() && cycle.property.sources.len() == 1 {
        last = meta.get(&legacy_key(cycle.property_id))?;
    }
    let last = last.unwrap_or(0);
    if snapshot.listed() == 0 && last > 0 && !cycle.guard_released {
        return Err(incomplete(format!("the feed is empty but the last good read had {last} people; release the guard to accept it")));
    }
    Ok(())
}

/// Remembers the size of a feed that passed the gate.
pub fn remember_good_feed(
    cycle: &Cycle<'_>,
    source: &str,
    snapshot: &SourceSnapshot,
) -> Result<(), CycleError> {
    cycle
        .store
        .meta()
        .put(&key(cycle.property_id, source), &snapshot.listed())?;
    Ok(())
}
