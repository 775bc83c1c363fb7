//! Lockstep: keeps physical access in lockstep with the systems of record.
#![forbid(unsafe_code)]
