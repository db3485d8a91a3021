//! The two error types of the expression language: `ExprError` for text that does not lex, parse
//! or type-check (with the 1-based column of the offending token), and `EvalError` for failures
//! while evaluating. It must not decide when errors happen.

use thiserror::Error;

/// A compile-time error: syntax, unknown variable or function, incompatible types, constant
/// folding failures. `column` is 1-based, counted in characters from the start of the text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("column {column}: {message}")]
pub struct ExprError {
    pub column: usize,
    pub message: String,
}

impl ExprError {
    pub fn new(column: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            column,
            message: message.into(),
        }
    }
}

/// A run-time error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    #[error("division by zero in the operator \"{0}\"")]
    DivideByZero(&'static str),
    #[error("the result of the operator \"{op}\" does not fit the data type \"{ty}\"")]
    Overflow { op: &'static str, ty: &'static str },
    #[error(transparent)]
    Conversion(#[from] crate::types::ConversionError),
    #[error("the function \"{function}\": {message}")]
    Function {
        function: &'static str,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

impl EvalError {
    pub(crate) fn func(function: &'static str, message: impl Into<String>) -> EvalError {
        EvalError::Function {
            function,
            message: message.into(),
        }
    }
}
