//! ODBC through odbc-api and the unixODBC driver manager built into this crate: the process's
//! environment and what it has installed (`environment.rs`), opening connections with errors
//! that say what to install (`connect.rs`), reading result sets in batches (`reader.rs`), and a
//! connection on its own thread for async callers (`session.rs`).

pub mod connect;
pub mod environment;
pub mod reader;
pub mod session;

pub use connect::{check_installed, connect, OdbcConnection};
pub use environment::{defined_data_sources, environment, installed_drivers};
pub use reader::{describe, OdbcBatches, ReadOptions};
pub use session::{BatchStream, OdbcSession, SessionClosed};
