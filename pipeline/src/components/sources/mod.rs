//! Source components (no inputs): one directory each.

pub mod ado_net;
pub mod excel;
pub mod flat_file;
pub mod odbc;
pub mod ole_db;
pub mod raw_file;
