//! The typed tree the checker produces and the evaluator walks: every node knows its result type,
//! operands already converted to the types their operator works on, variables resolved to handles
//! and constants folded. It must not contain names to look up or anything needing re-checking.

use super::functions::Func;
use super::scope::VarRef;
use crate::types::DataType;
use crate::types::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BitOp {
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub ty: DataType,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Const(Value),
    /// A variable; its value is converted to `ty` when it arrives with another type.
    Var(VarRef),
    Neg(Box<Node>),
    Not(Box<Node>),
    BitNot(Box<Node>),
    /// Both operands have the type `ty`.
    Arith(ArithOp, Box<Node>, Box<Node>),
    /// String concatenation of all parts (each a string type).
    Concat(Vec<Node>),
    /// Both operands converted to one comparable type.
    Compare(CmpOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// Both operands have the type `ty`.
    Bit(BitOp, Box<Node>, Box<Node>),
    /// Both branches have the type `ty` (strings may differ in length only).
    Cond(Box<Node>, Box<Node>, Box<Node>),
    /// Conversion of the operand to `ty`.
    Cast(Box<Node>),
    Call(Func, Vec<Node>),
}

impl Node {
    pub fn new(ty: DataType, kind: Kind) -> Node {
        Node { ty, kind }
    }

    pub fn constant(v: Value) -> Node {
        Node {
            ty: v.data_type(),
            kind: Kind::Const(v),
        }
    }

    pub fn is_const(&self) -> bool {
        matches!(self.kind, Kind::Const(_))
    }
}
