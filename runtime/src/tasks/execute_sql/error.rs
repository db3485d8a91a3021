//! What can go wrong in an Execute SQL task, as one error type: configuration that cannot be
//! run, a connection manager the task cannot use, a connection that cannot be opened (the
//! manager and the server named), and the database's own failures with the driver's message
//! and SQLSTATE or error number, the statement, and the connection it ran on. It owns the
//! wording of those messages.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SqlError {
    /// The task data cannot be run as written.
    #[error("Execute SQL task: {0}")]
    Config(String),
    /// The connection manager is of a kind the task does not drive.
    #[error("{0}")]
    Unsupported(String),
    /// Binding parameters or results to variables failed.
    #[error("{0}")]
    Binding(String),
    /// A variable the task reads or writes is missing or refuses the value.
    #[error(transparent)]
    Variable(#[from] crate::variables::VariableError),
    /// A connection manager the task names is missing or its expressions fail.
    #[error(transparent)]
    Connection(#[from] crate::tasks::ConnectionError),
    /// Connecting failed: the connection manager and why (the reason names the server).
    #[error("Failed to acquire connection \"{connection}\": {message}")]
    Connect { connection: String, message: String },
    /// The database refused or failed the statement.
    #[error("Executing the query \"{query}\" failed with the following error: \"{message}\". Connection \"{connection}\": {target}")]
    Query {
        query: String,
        message: String,
        connection: String,
        target: String,
    },
    /// The statement ran longer than the task's TimeOut.
    #[error("The query timed out after {0} seconds")]
    Timeout(u32),
    /// The run was cancelled while the statement ran.
    #[error("the statement was cancelled")]
    Cancelled,
}
