//! `RawConfig`: the YAML exactly as the operator typed it (placeholder, being written).

/// Placeholder until the raw schema lands.
#[derive(Debug, Default)]
pub struct RawConfig;
