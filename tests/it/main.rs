//! Integration tests (being wired).
