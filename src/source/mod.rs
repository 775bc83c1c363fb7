//! The `Source` trait every system of record implements, and its error type.
//!
//! A source returns the people of one property, normalised to `PersonRecord`, and says how many
//! it meant to return so the completeness gate can tell a short read from a real change.

pub mod csv;
pub mod events;
pub mod officernd;
pub mod yardi;

use crate::model::SourceSnapshot;
use crate::net::NetError;
use async_trait::async_trait;

/// Builds the connector a config entry names. The store is read by push sources (`events`).
pub fn build(
    name: &str,
    cfg: &crate::config::SourceConfig,
    _metrics: &std::sync::Arc<crate::metrics::Metrics>,
    store: &crate::store::Store,
) -> Result<std::sync::Arc<dyn Source>, String> {
    use crate::config::SourceConfig;
    Ok(match cfg {
        SourceConfig::YardiVoyager(c) => {
            std::sync::Arc::new(yardi::YardiVoyager::new(name, c, None)?)
        }
        SourceConfig::Csv(c) => std::sync::Arc::new(csv::CsvSource::new(name, c)),
        SourceConfig::Events(_) => {
            std::sync::Arc::new(events::EventsSource::new(name, store.clone()))
        }
        SourceConfig::Officernd(c) => std::sync::Arc::new(officernd::Officernd::new(name, c)?),
    })
}

#[async_trait]
pub trait Source: Send + Sync {
    /// The connector's `type` in config (`yardi_voyager`, …).
    fn kind(&self) -> &'static str;

    /// Fetches every person of one property (the source's own property id). Fails rather than
    /// return a partial list.
    async fn fetch(&self, property: &str) -> Result<SourceSnapshot, SourceError>;
}

/// Why a fetch failed. Any of these skips the property's cycle: no revocation from missing data.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{source_name}: property {property}: malformed payload: {detail}")]
    Payload {
        source_name: String,
        property: String,
        detail: String,
    },
    #[error("{source_name}: property {property}: incomplete feed: {detail}")]
    Incomplete {
        source_name: String,
        property: String,
        detail: String,
    },
    #[error("{source_name}: property {property}: the source reports a fault: {detail}")]
    Fault {
        source_name: String,
        property: String,
        detail: String,
    },
}

impl SourceError {
    /// Bounded label for `lockstep_source_errors_total{kind}`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Net(e) => e.kind(),
            SourceError::Payload { .. } => "payload",
            SourceError::Incomplete { .. } => "incomplete",
            SourceError::Fault { .. } => "fault",
        }
    }
}
