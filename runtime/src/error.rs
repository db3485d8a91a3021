//! Errors of the runtime that stop a run before or outside any executable (a bad plan, an
//! event stream that cannot be opened). Failures inside the package are not errors of this
//! kind: they are events and results. It must not print anything.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RunError {
    /// The event stream target could not be opened.
    #[error("cannot open the event stream \"{target}\": {reason}")]
    EventStream { target: String, reason: String },
    /// An option value is out of range.
    #[error("{0}")]
    Option(String),
}
