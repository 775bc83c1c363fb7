//! Vendor simulators (placeholder, being written).
