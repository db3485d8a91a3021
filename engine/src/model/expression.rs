//! Property expressions (`DTS:PropertyExpression`) and the flattened list of every expression
//! in a package with its path, for `/VALIDATE`. Expressions are kept as text; this module
//! must not parse or evaluate them.

/// An expression that sets a property of its owner before it runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertyExpression {
    /// The target property name (`DTS:Name`), e.g. `ConnectionString`.
    pub property: String,
    /// `\Owner.Properties[Property]`.
    pub path: String,
    pub expression: String,
}

/// Where an expression appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionKind {
    /// A variable's `Expression` with `EvaluateAsExpression` set.
    Variable,
    /// A property expression on the package, a container, a task or a connection manager.
    Property,
    /// A precedence constraint's expression (EvalOp uses it).
    Constraint,
    ForLoopInit,
    ForLoopEval,
    ForLoopAssign,
}

/// One expression of a package, with the path of the object it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressionSite<'a> {
    pub path: String,
    pub kind: ExpressionKind,
    pub text: &'a str,
}
