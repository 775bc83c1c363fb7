//! The embedded store under `data_dir` (placeholder, being written).
