//! Expressions inside a data flow (Derived Column, Conditional Split): the column scope that
//! resolves `[Column]`, `Column`, `#lineage` and `#{refId}` against the buffer an input
//! receives, plus the package's variables; compiled once per component, then evaluated over
//! whole buffers. Evaluation runs the engine's evaluator row by row over the buffer's columns
//! (the same semantics as control-flow expressions); variables are read once, when the
//! component is prepared, as SSIS locks them for the data flow. It must not decide what a
//! failure does to the row (components apply dispositions).

use std::borrow::Cow;
use std::cell::RefCell;

use ssisd_engine::expr::{
    ColumnRef, EvalError, ExprError, Expression, ScopeError, VarRef, VariableScope, VariableValues,
};
use ssisd_engine::types::{DataType, Value};

use crate::buffer::{Buffer, Layout};
use crate::host::Host;

/// Handles at or above this number are buffer columns; below, variables.
const COLUMN_BASE: usize = 1 << 24;

/// Where variables come from while compiling.
pub enum Variables<'a> {
    /// Validation without a package: any variable stops the check (it is checked again when
    /// the component is prepared).
    Unknown,
    /// The host's variables (their current values fix their types).
    Host(&'a dyn Host),
}

/// Marker message for [`Variables::Unknown`].
/// The scope of one input's buffer.
pub struct ColumnScope<'a> {
    layout: &'a Layout,
    variables: Variables<'a>,
    /// Variables resolved so far: name as written, value read.
    resolved: RefCell<Vec<(String, Value)>>,
}

impl<'a> ColumnScope<'a> {
    pub fn new(layout: &'a Layout, variables: Variables<'a>) -> Self {
        ColumnScope {
            layout,
            variables,
            resolved: RefCell::new(Vec::new()),
        }
    }

    fn by_lineage(&self, lineage: i64) -> Result<(VarRef, DataType), ScopeError> {
        match self.layout.index_of(lineage) {
            Some(i) => Ok((VarRef(COLUMN_BASE + i), self.layout.columns[i].data_type)),
            None => Err(ScopeError::NoLineage(lineage)),
        }
    }
}

impl VariableScope for ColumnScope<'_> {
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        let full = match namespace {
            Some(ns) => format!("{ns}::{name}"),
            None => name.to_string(),
        };
        let host = match &self.variables {
            Variables::Unknown => return Err(ScopeError::VariablesNotKnown),
            Variables::Host(h) => *h,
        };
        let mut resolved = self.resolved.borrow_mut();
        if let Some(i) = resolved.iter().position(|(n, _)| *n == full) {
            return Ok((VarRef(i), resolved[i].1.data_type()));
        }
        let value = host
            .variable(&full)
            .map_err(|e| ScopeError::Other(Box::new(e)))?;
        let ty = value.data_type();
        let ty = match ty {
            DataType::WStr { .. } => DataType::WStr { len: 0 },
            t => t,
        };
        resolved.push((full, value));
        Ok((VarRef(resolved.len() - 1), ty))
    }

    fn resolve_column(&self, column: ColumnRef<'_>) -> Result<(VarRef, DataType), ScopeError> {
        match column {
            ColumnRef::Lineage(l) => self.by_lineage(l),
            ColumnRef::RefId(r) => match self
                .layout
                .columns
                .iter()
                .find(|c| c.ref_id.as_deref() == Some(r))
            {
                Some(c) => self.by_lineage(c.lineage),
                None => Err(ScopeError::NoRefId(r.to_string())),
            },
            ColumnRef::Name(name) => {
                // `[Source].[Column]` names the column; the qualifier may pick among equals.
                let (qualifier, short) = match name.rsplit_once('.') {
                    Some((q, s)) if self.layout.columns.iter().any(|c| c.name == s) => (Some(q), s),
                    _ => (None, name),
                };
                let matches: Vec<usize> = self
                    .layout
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.name.eq_ignore_ascii_case(short))
                    .filter(|(_, c)| qualifier.is_none_or(|q| c.component.eq_ignore_ascii_case(q)))
                    .map(|(i, _)| i)
                    .collect();
                match matches.as_slice() {
                    [i] => Ok((VarRef(COLUMN_BASE + i), self.layout.columns[*i].data_type)),
                    [] => Err(ScopeError::NoColumn {
                        name: name.to_string(),
                        columns: self
                            .layout
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }),
                    _ => Err(ScopeError::AmbiguousColumn(name.to_string())),
                }
            }
        }
    }
}

/// An expression compiled against one input's layout.
#[derive(Debug, Clone)]
pub struct BufferExpression {
    expr: Expression,
    variables: Vec<Value>,
    text: String,
}

/// Why compiling failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CompileFailure {
    /// The expression reads variables and none are known yet (validation without a package).
    NeedsVariables,
    Invalid(ExprError),
}

impl BufferExpression {
    /// Compiles `text` against `layout`.
    pub fn compile(
        text: &str,
        layout: &Layout,
        variables: Variables<'_>,
    ) -> Result<BufferExpression, CompileFailure> {
        let scope = ColumnScope::new(layout, variables);
        match Expression::compile(text, &scope) {
            Ok(expr) => Ok(BufferExpression {
                expr,
                variables: scope
                    .resolved
                    .into_inner()
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
                text: text.to_string(),
            }),
            Err(e) if e.message == ScopeError::VariablesNotKnown.to_string() => {
                Err(CompileFailure::NeedsVariables)
            }
            Err(e) => Err(CompileFailure::Invalid(e)),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn result_type(&self) -> &DataType {
        self.expr.result_type()
    }

    /// The buffer columns the expression reads.
    pub fn columns(&self) -> Vec<usize> {
        self.expr
            .variables()
            .iter()
            .filter(|v| v.0 >= COLUMN_BASE)
            .map(|v| v.0 - COLUMN_BASE)
            .collect()
    }

    /// Evaluates the expression for every row of `buffer`, calling `each(row, result)`.
    pub fn evaluate_each(
        &self,
        buffer: &Buffer,
        mut each: impl FnMut(usize, Result<Value, EvalError>),
    ) {
        let mut row = RowValues {
            buffer,
            row: 0,
            variables: &self.variables,
        };
        for r in 0..buffer.rows() {
            row.row = r;
            each(r, self.expr.evaluate(&row));
        }
    }
}

struct RowValues<'a> {
    buffer: &'a Buffer,
    row: usize,
    variables: &'a [Value],
}

impl VariableValues for RowValues<'_> {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        if var.0 >= COLUMN_BASE {
            Cow::Owned(self.buffer.value(var.0 - COLUMN_BASE, self.row))
        } else {
            match self.variables.get(var.0) {
                Some(v) => Cow::Borrowed(v),
                None => Cow::Owned(Value::Empty),
            }
        }
    }
}
