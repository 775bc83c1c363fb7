//! Connector (placeholder, being written).
