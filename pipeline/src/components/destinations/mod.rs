//! Destination components (no outputs but error outputs): one directory each.

pub mod ado_net;
pub mod excel;
pub mod flat_file;
pub mod odbc;
pub mod ole_db;
pub mod raw_file;
pub mod recordset;
pub mod sql_server;
pub mod trash;
