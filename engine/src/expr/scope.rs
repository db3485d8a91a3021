//! The boundary between expressions and the variables of a package: `VarRef` handles, the
//! `VariableScope` trait used once when compiling and the `VariableValues` trait used at every
//! evaluation, plus `VariableTable`, a small ready-made implementation of both (for tests, tools
//! and simple callers). It must not evaluate expressions.

use std::borrow::Cow;

use crate::types::DataType;
use crate::types::Value;

/// A resolved variable handle; its meaning is the scope's (e.g. an index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarRef(pub usize);

/// A column reference as written in a data-flow expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRef<'a> {
    /// `[Col]`, `Col`, `[Source].[Col]` (the name with any qualifier joined by `.`).
    Name(&'a str),
    /// `#12`: a lineage number.
    Lineage(i64),
    /// `#{Package\Task\Source.Outputs[Out].Columns[Col]}`: a 2012+ column refId.
    RefId(&'a str),
}

impl std::fmt::Display for ColumnRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(n) => write!(f, "[{n}]"),
            ColumnRef::Lineage(n) => write!(f, "#{n}"),
            ColumnRef::RefId(r) => write!(f, "#{{{r}}}"),
        }
    }
}

/// Why a name in an expression resolves to nothing (or to more than one thing) in its scope.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("the project parameter \"$Project::{name}\" is not available: a package run from a file has no project")]
    NoProject { name: String },
    #[error("the project parameter \"$Project::{name}\" does not exist (the project parameters are {known})")]
    NoSuchParameter { name: String, known: String },
    #[error("the variable name \"{name}\" is ambiguous: it exists in the namespaces \"{first}\" and \"{second}\"; write @[Namespace::{name}]")]
    Ambiguous {
        name: String,
        first: String,
        second: String,
    },
    /// `name` as written, qualified when it was.
    #[error("the variable \"{0}\" was not found in this scope")]
    NotInScope(String),
    #[error("the variable \"{0}\" was not found")]
    NotFound(String),
    #[error("the column reference \"{0}\" cannot be used here: column references need a data-flow context")]
    NoColumns(String),
    #[error(
        "the column #{0} is not in this component's input (it names no column that reaches it)"
    )]
    NoLineage(i64),
    #[error("the column #{{{0}}} is not in this component's input")]
    NoRefId(String),
    #[error("the column [{name}] is not in this component's input (columns: {columns})")]
    NoColumn { name: String, columns: String },
    #[error("the column name [{0}] is ambiguous in this input; qualify it as [Component].[{0}] or use its lineage id")]
    AmbiguousColumn(String),
    /// A data flow's expression compiled before its variables are known (compiled again later).
    #[error("\u{1}variables are not known at this stage")]
    VariablesNotKnown,
    /// The error of a scope kept by another crate (the runtime's variables), in its own words.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl ScopeError {
    /// `name` as the messages show it: `ns::name` when a namespace was written.
    pub fn written(namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) => format!("{ns}::{name}"),
            None => name.to_string(),
        }
    }
}

/// Resolves variable names (and, inside a data flow, column references) when an expression is
/// compiled. Columns resolve to handles like variables do, so one evaluator serves both: the
/// data flow's `VariableValues` answers a column handle with the value of the current row.
pub trait VariableScope {
    /// Resolve `@[ns::name]` (namespace `Some`) or `@name` / `@[name]` (`None`).
    /// An error if unknown or ambiguous.
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError>;

    /// Resolve a column reference. Outside a data flow there are no columns.
    fn resolve_column(&self, column: ColumnRef<'_>) -> Result<(VarRef, DataType), ScopeError> {
        Err(ScopeError::NoColumns(column.to_string()))
    }
}

/// Supplies variable values when an expression is evaluated.
pub trait VariableValues {
    fn value(&self, var: VarRef) -> Cow<'_, Value>;
}

/// Values indexed by `VarRef.0`; a missing index reads as an empty value.
impl VariableValues for [Value] {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        match self.get(var.0) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(Value::Empty),
        }
    }
}

impl VariableValues for Vec<Value> {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        self.as_slice().value(var)
    }
}

/// No variables at all (constant expressions).
pub struct NoVariables;

impl VariableValues for NoVariables {
    fn value(&self, _var: VarRef) -> Cow<'_, Value> {
        Cow::Owned(Value::Empty)
    }
}

impl VariableScope for NoVariables {
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        Err(ScopeError::NotFound(ScopeError::written(namespace, name)))
    }
}

/// A simple variable store: namespace, name, type, value. `VarRef` is the index.
#[derive(Debug, Clone, Default)]
pub struct VariableTable {
    entries: Vec<(String, String, DataType, Value)>,
}

impl VariableTable {
    pub fn new() -> VariableTable {
        VariableTable::default()
    }

    /// Adds (or replaces) a variable and returns its handle.
    pub fn set(&mut self, namespace: &str, name: &str, ty: DataType, value: Value) -> VarRef {
        if let Some(i) = self
            .entries
            .iter()
            .position(|e| e.0 == namespace && e.1 == name)
        {
            self.entries[i].2 = ty;
            self.entries[i].3 = value;
            return VarRef(i);
        }
        self.entries
            .push((namespace.to_string(), name.to_string(), ty, value));
        VarRef(self.entries.len() - 1)
    }

    /// Replaces the value of an existing variable.
    pub fn set_value(&mut self, var: VarRef, value: Value) {
        if let Some(e) = self.entries.get_mut(var.0) {
            e.3 = value;
        }
    }

    pub fn get(&self, var: VarRef) -> Option<&Value> {
        self.entries.get(var.0).map(|e| &e.3)
    }
}

impl VariableScope for VariableTable {
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        let mut found = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.1 == name && namespace.is_none_or(|ns| e.0 == ns));
        let first = found.next();
        let second = found.next();
        match (first, second) {
            (Some((i, e)), None) => Ok((VarRef(i), e.2)),
            (Some((_, a)), Some((_, b))) => Err(ScopeError::Ambiguous {
                name: name.to_string(),
                first: a.0.clone(),
                second: b.0.clone(),
            }),
            (None, _) => NoVariables.resolve(namespace, name),
        }
    }
}

impl VariableValues for VariableTable {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        match self.entries.get(var.0) {
            Some(e) => Cow::Borrowed(&e.3),
            None => Cow::Owned(Value::Empty),
        }
    }
}
