//! Test support shared by the stores crate's integration tests.
pub mod mssql;
