//! SQL Server through tiberius (TDS over tokio): the settings a connection needs and how
//! connection strings give them (`settings.rs`), the TLS and address part of the tiberius
//! configuration (`config.rs`), opening a connection through the Browser for named instances
//! (`connect.rs`), and reading result sets in batches (`reader.rs`).

pub mod config;
pub mod connect;
pub mod reader;
pub mod settings;

pub use connect::{connect, resolve, TdsClient};
pub use reader::{describe, TdsBatches};
pub use settings::{Authentication, Encrypt, TdsSettings, TdsSettingsError};
