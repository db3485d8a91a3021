//! The msdb package store: folders and packages kept in a SQL Server database — the real msdb
//! of SQL Server 2008 and later through its `sp_ssis_*` procedures, a 2005 msdb through its
//! `…90` tables, or any database holding the shipped compatible schema. A library, not an
//! actor: the service's store actor, `dtexec /SQL`, `dtutil` and the Execute Package task all
//! open an [`MsdbStore`] the same way. One responsibility per file: the folder's connection
//! settings, the pool, schema detection, the catalog trait, the two schema implementations,
//! and the store that walks paths and owns transactions; server names, the SQL Server
//! Browser, logins and TLS are ssisd-sql's. Nothing here retries or logs events; callers
//! decide what an outage means.

pub mod catalog;
pub mod error;
pub mod pool;
pub mod procedures;
pub mod schema;
pub mod settings;
pub mod store;
pub mod tables2005;

pub use schema::Schema;
pub use settings::{
    parse_connection_string, redact_connection_string, Authentication, Encrypt,
    FolderSettingsError, PasswordSource, Secret, SqlServerFolder,
};
pub use ssisd_sql::server_name::{parse_server_name, ServerTarget};
pub use store::MsdbStore;
