//! The one error a conversion between SSIS types raises: the value shown as SSIS shows it, the
//! target type and why it does not fit. Expressions wrap it in their run-time error; columns and
//! bindings report it with their own context. It must not decide when conversions happen.

use thiserror::Error;

/// A value that cannot be converted to a type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot convert {value} to \"{ty}\": {reason}")]
pub struct ConversionError {
    /// The value as SSIS shows it (strings quoted, others with their type).
    pub value: String,
    /// The target type's name (`DT_I4`, `DT_WSTR(10)`, …).
    pub ty: String,
    pub reason: String,
}
