//! The SSIS expression language: compile an expression's text once against a variable scope
//! (lex, parse, type-check, fold constants), then evaluate it many times against variable values.
//! This file owns the public API (`Expression` and the re-exports); the work is done by the
//! submodules, one concern each. Decimal values use 128-bit mantissas (38 digits, like DT_NUMERIC).

mod ast;
mod check;
mod error;
mod eval;
mod functions;
mod ir;
mod lexer;
mod parser;
mod scope;

#[cfg(test)]
mod tests;

pub use crate::types::{can_cast, convert, DataType, Decimal, Value};
pub use error::{EvalError, ExprError};
pub use scope::{
    ColumnRef, NoVariables, ScopeError, VarRef, VariableScope, VariableTable, VariableValues,
};

/// A variable name as written in an expression: optional namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableName {
    pub namespace: Option<String>,
    pub name: String,
}

/// What a syntax check without a scope learns: the variables read and the assignment target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxInfo {
    pub variables: Vec<VariableName>,
    pub assignment_target: Option<VariableName>,
}

/// A compiled expression: parsed, type-checked, variables resolved, constants folded.
#[derive(Debug, Clone)]
pub struct Expression {
    root: ir::Node,
    vars: Vec<VarRef>,
    target: Option<(VarRef, DataType)>,
    warnings: Vec<String>,
}

impl Expression {
    /// Compiles `text`, resolving variables through `scope`. A leading `@var = …` (Expression
    /// task, For Loop) makes an assignment: the result is converted to the variable's type and the
    /// target is available from `assignment_target`.
    pub fn compile(text: &str, scope: &dyn VariableScope) -> Result<Expression, ExprError> {
        let parsed = parser::parse(text)?;
        let checked = check::check(&parsed, scope)?;
        Ok(Expression {
            root: checked.root,
            vars: checked.vars,
            target: checked.target,
            warnings: checked.warnings,
        })
    }

    /// Checks the syntax only (no types, no variables needed); lists the variables named.
    pub fn parse_only(text: &str) -> Result<SyntaxInfo, ExprError> {
        let parsed = parser::parse(text)?;
        let mut variables = Vec::new();
        collect_vars(&parsed.expr, &mut variables);
        Ok(SyntaxInfo {
            variables,
            assignment_target: parsed
                .target
                .map(|(namespace, name, _)| VariableName { namespace, name }),
        })
    }

    /// The type of the value `evaluate` returns.
    pub fn result_type(&self) -> &DataType {
        &self.root.ty
    }

    /// The variables the expression reads, each once.
    pub fn variables(&self) -> &[VarRef] {
        &self.vars
    }

    /// For `@var = expr`: the variable to assign and its type.
    pub fn assignment_target(&self) -> Option<(VarRef, DataType)> {
        self.target
    }

    /// Validation warnings, such as casts that may truncate strings.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// True when the expression folded to a constant.
    pub fn is_constant(&self) -> bool {
        self.root.is_const()
    }

    /// Evaluates with the current variable values.
    pub fn evaluate(&self, vars: &dyn VariableValues) -> Result<Value, EvalError> {
        eval::eval(&self.root, vars)
    }
}

fn collect_vars(ast: &ast::Ast, out: &mut Vec<VariableName>) {
    use ast::Ast;
    match ast {
        Ast::Var {
            namespace, name, ..
        } => {
            let v = VariableName {
                namespace: namespace.clone(),
                name: name.clone(),
            };
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ast::Unary(_, x, _) | Ast::Cast(_, x, _) => collect_vars(x, out),
        Ast::Binary(_, a, b, _) => {
            collect_vars(a, out);
            collect_vars(b, out);
        }
        Ast::Cond(c, a, b, _) => {
            collect_vars(c, out);
            collect_vars(a, out);
            collect_vars(b, out);
        }
        Ast::Call { args, .. } => args.iter().for_each(|a| collect_vars(a, out)),
        Ast::Num(..)
        | Ast::Str(..)
        | Ast::Bool(..)
        | Ast::Column { .. }
        | Ast::Lineage(..)
        | Ast::LineageRef(..)
        | Ast::NullOf(..) => {}
    }
}
