//! Connector tests against the OfficeRnD simulator.
