//! The errors of the type layer: a conversion between SSIS types (the value shown as SSIS shows
//! it, the target type and why it does not fit), a `DT_` type that cannot be built from its name
//! and parameters, and a variable's stored text that does not read as its type. Expressions wrap
//! them in their own errors; columns and bindings report them with their own context. It must not
//! decide when conversions happen.

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

/// A `DT_` name and parameters that do not make a data type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TypeBuildError {
    /// A parameter (length, code page, precision, scale) outside its allowed range.
    #[error(
        "the {what} {value} of \"{type_name}\" is out of range (it must be between {min} and {max})"
    )]
    OutOfRange {
        what: &'static str,
        value: i64,
        type_name: String,
        min: i64,
        max: i64,
    },
    /// A name that is no `DT_` type.
    #[error("\"{0}\" is not a data type")]
    UnknownType(String),
}

/// A variable's stored text (`DTS:VariableValue`) that does not read as its data type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VariableTextError {
    /// The `DTS:DataType` code names no variable type.
    #[error("unknown variable data type code {0}")]
    UnknownTypeCode(i32),
    /// The text is not a value of the type.
    #[error("\"{text}\" is not a valid {type_name} value")]
    InvalidValue {
        text: String,
        type_name: &'static str,
    },
}
