//! The untyped syntax tree the parser builds: literals, variables, column references, operators,
//! casts, function calls and `NULL(type)`, each with the column where it starts. It must not hold
//! types or resolved variables; the checker turns it into the typed tree of `ir.rs`.

use super::lexer::NumLit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Lt => "<",
            BinaryOp::Gt => ">",
            BinaryOp::Le => "<=",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitXor => "^",
            BinaryOp::BitOr => "|",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}

/// A `DT_` type as written, before its parameters are validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeSpec {
    pub name: String,
    pub params: Vec<i64>,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Num(NumLit, usize),
    Str(String, usize),
    Bool(bool, usize),
    Var {
        namespace: Option<String>,
        name: String,
        col: usize,
    },
    /// `[Col]`, `Col`, `Source.Col`.
    Column {
        name: String,
        col: usize,
    },
    /// `#12`.
    Lineage(i64, usize),
    /// `#{refId}`.
    LineageRef(String, usize),
    Unary(UnaryOp, Box<Ast>, usize),
    Binary(BinaryOp, Box<Ast>, Box<Ast>, usize),
    Cond(Box<Ast>, Box<Ast>, Box<Ast>, usize),
    Cast(TypeSpec, Box<Ast>, usize),
    Call {
        name: String,
        args: Vec<Ast>,
        col: usize,
    },
    NullOf(TypeSpec, usize),
}

impl Ast {
    /// Column where the node starts (for operators: the operator's column).
    pub fn col(&self) -> usize {
        match self {
            Ast::Num(_, c)
            | Ast::Str(_, c)
            | Ast::Bool(_, c)
            | Ast::Lineage(_, c)
            | Ast::LineageRef(_, c)
            | Ast::Unary(_, _, c)
            | Ast::Binary(_, _, _, c)
            | Ast::Cond(_, _, _, c)
            | Ast::Cast(_, _, c)
            | Ast::NullOf(_, c) => *c,
            Ast::Var { col, .. } | Ast::Column { col, .. } | Ast::Call { col, .. } => *col,
        }
    }
}

/// A whole expression text: an optional assignment target (`@[User::X] = …`, allowed in the
/// Expression task and For Loop expressions) and the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub target: Option<(Option<String>, String, usize)>,
    pub expr: Ast,
}
