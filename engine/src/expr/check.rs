//! The type checker: turns the syntax tree into the typed tree of `ir.rs`. It resolves variables
//! through the `VariableScope`, applies SSIS's type rules (promotion, string-only concatenation,
//! Boolean-only logic, date comparison rules, DT_STR only at the root), inserts the conversions
//! operators need, folds constant sub-expressions (so constant errors such as division by zero
//! are reported at compile time) and collects truncation warnings. It must not evaluate anything
//! but constants, and must not parse text.

use super::ast::{Ast, BinaryOp, Parsed, TypeSpec, UnaryOp};
use super::error::ExprError;
use super::eval::eval;
use super::functions::{self, ArgInfo};
use super::ir::{ArithOp, BitOp, CmpOp, Kind, Node};
use super::lexer::NumLit;
use super::scope::{ColumnRef, NoVariables, VarRef, VariableScope};
use crate::types::can_cast;
use crate::types::Value;
use crate::types::{build_type, DataType, MAX_NUMERIC_PRECISION};

pub(crate) struct Checked {
    pub root: Node,
    pub vars: Vec<VarRef>,
    pub target: Option<(VarRef, DataType)>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy)]
struct Ctx {
    root: bool,
    under_cast: bool,
}

const INNER: Ctx = Ctx {
    root: false,
    under_cast: false,
};

pub(crate) fn check(parsed: &Parsed, scope: &dyn VariableScope) -> Result<Checked, ExprError> {
    let mut c = Checker {
        scope,
        vars: Vec::new(),
        warnings: Vec::new(),
    };
    let target = match &parsed.target {
        Some((ns, name, col)) => {
            let (r, ty) = c.resolve(ns.as_deref(), name, *col)?;
            Some((r, ty, *col))
        }
        None => None,
    };
    let mut root = c.expr(
        &parsed.expr,
        Ctx {
            root: true,
            under_cast: false,
        },
    )?;
    if let Some((_, ty, col)) = target {
        if !can_cast(&root.ty, &ty) {
            return Err(ExprError::new(
                col,
                format!(
                    "the result type \"{}\" cannot be assigned to a variable of type \"{}\"",
                    root.ty.static_name(),
                    ty.static_name()
                ),
            ));
        }
        root = coerce(root, ty, col)?;
    }
    Ok(Checked {
        root,
        vars: c.vars,
        target: target.map(|(r, ty, _)| (r, ty)),
        warnings: c.warnings,
    })
}

struct Checker<'a> {
    scope: &'a dyn VariableScope,
    vars: Vec<VarRef>,
    warnings: Vec<String>,
}

fn incompatible(op: &str, a: &DataType, b: &DataType, col: usize) -> ExprError {
    ExprError::new(
        col,
        format!(
            "the data types \"{}\" and \"{}\" are incompatible for the operator \"{op}\"",
            a.static_name(),
            b.static_name()
        ),
    )
}

/// A DT_NUMERIC type, with the precision capped at 38 (giving up scale first, down to 6).
fn numeric(p: u32, s: u32) -> DataType {
    let max = MAX_NUMERIC_PRECISION as u32;
    let (p, s) = if p > max {
        let excess = p - max;
        (max, s.saturating_sub(excess).max(s.min(6)))
    } else {
        (p.max(1), s)
    };
    DataType::Numeric {
        precision: p as u8,
        scale: s.min(p) as u8,
    }
}

/// The common type of two numeric operands; `None` when SSIS needs an explicit cast.
pub(crate) fn promote(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    if !a.is_numeric() || !b.is_numeric() {
        return None;
    }
    if a == b {
        return Some(a);
    }
    if a.is_float() || b.is_float() {
        if a == R8 || b == R8 {
            return Some(R8);
        }
        let other = if a == R4 { b } else { a };
        return Some(if other.int_size().is_some_and(|s| s <= 2) {
            R4
        } else {
            R8
        });
    }
    if a.is_integer() && b.is_integer() {
        let (sa, sb) = (a.int_size()?, b.int_size()?);
        if a.is_signed_int() == b.is_signed_int() {
            return Some(if sa >= sb { a } else { b });
        }
        let (s, u) = if a.is_signed_int() {
            (sa, sb)
        } else {
            (sb, sa)
        };
        if u == 8 {
            return None;
        }
        return Some(DataType::signed_of_size(s.max(u * 2)));
    }
    if (a == Cy && b.is_integer() && b != UI8) || (b == Cy && a.is_integer() && a != UI8) {
        return Some(Cy);
    }
    let (p1, s1) = a.as_numeric_shape()?;
    let (p2, s2) = b.as_numeric_shape()?;
    let s = s1.max(s2) as u32;
    let int = (p1 - s1).max(p2 - s2) as u32;
    Some(numeric(int + s, s))
}

fn arith_type(op: ArithOp, a: DataType, b: DataType) -> Option<DataType> {
    let common = promote(a, b)?;
    if !matches!(common, DataType::Numeric { .. } | DataType::Decimal { .. }) {
        return Some(common);
    }
    let (p1, s1) = a.as_numeric_shape()?;
    let (p2, s2) = b.as_numeric_shape()?;
    let (p1, s1, p2, s2) = (p1 as u32, s1 as u32, p2 as u32, s2 as u32);
    Some(match op {
        ArithOp::Add | ArithOp::Sub => {
            let s = s1.max(s2);
            numeric((p1 - s1).max(p2 - s2) + s + 1, s)
        }
        ArithOp::Mul => numeric(p1 + p2 + 1, s1 + s2),
        ArithOp::Div => {
            let s = (s1 + p2 + 1).max(6);
            numeric(p1 - s1 + s2 + s, s)
        }
        ArithOp::Mod => common,
    })
}

/// The type two date operands are compared in.
fn date_common(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    if a == b {
        return Some(a);
    }
    if a.is_time_only() != b.is_time_only() {
        return None;
    }
    let either = |f: fn(&DataType) -> bool| f(&a) || f(&b);
    Some(if either(|t| matches!(t, DbTimestampOffset { .. })) {
        DbTimestampOffset { scale: 7 }
    } else if either(|t| matches!(t, DbTimestamp2 { .. })) {
        DbTimestamp2 { scale: 7 }
    } else if either(|t| matches!(t, DbTime2 { .. })) {
        DbTime2 { scale: 7 }
    } else if a.is_time_only() {
        DbTime
    } else {
        DbTimestamp
    })
}

fn merged_len(a: &DataType, b: &DataType) -> u32 {
    if a.string_len() == 0 || b.string_len() == 0 {
        0
    } else {
        a.string_len().max(b.string_len())
    }
}

/// The type both branches of `?:` take.
fn branch_type(a: DataType, b: DataType) -> Option<DataType> {
    if a == b {
        return Some(a);
    }
    if a.is_numeric() && b.is_numeric() {
        return promote(a, b);
    }
    if a.is_string() && b.is_string() {
        return Some(DataType::WStr {
            len: merged_len(&a, &b),
        });
    }
    if a.is_date() && b.is_date() {
        return date_common(a, b);
    }
    if let (DataType::Bytes { .. }, DataType::Bytes { .. }) = (a, b) {
        return Some(DataType::Bytes {
            len: merged_len(&a, &b),
        });
    }
    None
}

fn needs_cast(from: &DataType, to: &DataType) -> bool {
    !(from == to || (from.is_string() && to.is_string()))
}

/// Wraps `node` in a conversion to `to` when needed, folding constants.
fn coerce(node: Node, to: DataType, col: usize) -> Result<Node, ExprError> {
    if !needs_cast(&node.ty, &to) {
        return Ok(node);
    }
    fold(Node::new(to, Kind::Cast(Box::new(node))), col)
}

fn children_const(kind: &Kind) -> bool {
    match kind {
        Kind::Const(_) | Kind::Var(_) => false,
        Kind::Neg(a) | Kind::Not(a) | Kind::BitNot(a) | Kind::Cast(a) => a.is_const(),
        Kind::Arith(_, a, b)
        | Kind::Compare(_, a, b)
        | Kind::And(a, b)
        | Kind::Or(a, b)
        | Kind::Bit(_, a, b) => a.is_const() && b.is_const(),
        Kind::Cond(c, a, b) => c.is_const() && a.is_const() && b.is_const(),
        Kind::Concat(parts) => parts.iter().all(Node::is_const),
        Kind::Call(f, args) => !f.is_volatile() && args.iter().all(Node::is_const),
    }
}

/// Evaluates a node whose operands are all constant.
fn fold(node: Node, col: usize) -> Result<Node, ExprError> {
    if !children_const(&node.kind) {
        return Ok(node);
    }
    match eval(&node, &NoVariables) {
        Ok(v) => Ok(Node::new(node.ty, Kind::Const(v))),
        Err(e) => Err(ExprError::new(col, e.to_string())),
    }
}

impl Checker<'_> {
    fn resolve(
        &mut self,
        ns: Option<&str>,
        name: &str,
        col: usize,
    ) -> Result<(VarRef, DataType), ExprError> {
        let (r, ty) = self
            .scope
            .resolve(ns, name)
            .map_err(|m| ExprError::new(col, m.to_string()))?;
        if !self.vars.contains(&r) {
            self.vars.push(r);
        }
        let ty = match ty {
            DataType::Str { len, .. } => DataType::WStr { len },
            t => t,
        };
        Ok((r, ty))
    }

    /// A column resolves like a variable: a handle read at evaluation, DT_STR read as DT_WSTR
    /// (as variables are) so that the operators' rules stay those of control-flow expressions.
    fn column(&mut self, column: ColumnRef<'_>, col: usize) -> Result<Node, ExprError> {
        let (r, ty) = self
            .scope
            .resolve_column(column)
            .map_err(|m| ExprError::new(col, m.to_string()))?;
        if !self.vars.contains(&r) {
            self.vars.push(r);
        }
        let ty = match ty {
            DataType::Str { len, .. } => DataType::WStr { len },
            t => t,
        };
        Ok(Node::new(ty, Kind::Var(r)))
    }

    fn type_of_spec(&self, spec: &TypeSpec) -> Result<DataType, ExprError> {
        build_type(&spec.name, &spec.params).map_err(|e| ExprError::new(spec.col, e.to_string()))
    }

    fn expr(&mut self, ast: &Ast, ctx: Ctx) -> Result<Node, ExprError> {
        match ast {
            Ast::Num(n, col) => literal(n, *col),
            Ast::Str(s, _) => Ok(Node::new(
                DataType::WStr {
                    len: s.chars().count() as u32,
                },
                Kind::Const(Value::WStr(s.clone())),
            )),
            Ast::Bool(b, _) => Ok(Node::constant(Value::Bool(*b))),
            Ast::Var {
                namespace,
                name,
                col,
            } => {
                let (r, ty) = self.resolve(namespace.as_deref(), name, *col)?;
                Ok(Node::new(ty, Kind::Var(r)))
            }
            Ast::Column { name, col } => self.column(ColumnRef::Name(name), *col),
            Ast::Lineage(id, col) => self.column(ColumnRef::Lineage(*id), *col),
            Ast::LineageRef(r, col) => self.column(ColumnRef::RefId(r), *col),
            Ast::Unary(op, operand, col) => {
                let x = self.expr(operand, INNER)?;
                self.unary(*op, x, *col)
            }
            Ast::Binary(op, l, r, col) => {
                let a = self.expr(l, INNER)?;
                let b = self.expr(r, INNER)?;
                self.binary(*op, a, b, *col)
            }
            Ast::Cond(c, a, b, col) => {
                let cond = self.expr(c, INNER)?;
                let x = self.expr(a, INNER)?;
                let y = self.expr(b, INNER)?;
                if cond.ty != DataType::Bool {
                    return Err(ExprError::new(
                        c.col(),
                        format!(
                            "the condition of \"? :\" must be a Boolean (DT_BOOL) but is \"{}\"",
                            cond.ty.static_name()
                        ),
                    ));
                }
                let ty = branch_type(x.ty, y.ty).ok_or_else(|| {
                    ExprError::new(
                        *col,
                        format!(
                            "the data types \"{}\" and \"{}\" of the branches of \"? :\" are incompatible; cast one of them",
                            x.ty.static_name(),
                            y.ty.static_name()
                        ),
                    )
                })?;
                let x = coerce(x, ty, *col)?;
                let y = coerce(y, ty, *col)?;
                if let Kind::Const(Value::Bool(b)) = cond.kind {
                    let mut chosen = if b { x } else { y };
                    chosen.ty = ty;
                    return Ok(chosen);
                }
                if let Kind::Const(Value::Null(_)) = cond.kind {
                    return Ok(Node::new(ty, Kind::Const(Value::Null(ty))));
                }
                Ok(Node::new(
                    ty,
                    Kind::Cond(Box::new(cond), Box::new(x), Box::new(y)),
                ))
            }
            Ast::Cast(spec, operand, col) => {
                let x = self.expr(
                    operand,
                    Ctx {
                        root: false,
                        under_cast: true,
                    },
                )?;
                let mut to = self.type_of_spec(spec)?;
                if let DataType::Str { len, .. } = to {
                    if !ctx.root {
                        to = DataType::WStr { len };
                    }
                }
                if !can_cast(&x.ty, &to) {
                    return Err(ExprError::new(
                        *col,
                        format!(
                            "the data type \"{}\" cannot be cast to \"{}\"",
                            x.ty.static_name(),
                            to.static_name()
                        ),
                    ));
                }
                let target_len = match to {
                    DataType::Str { len, .. } | DataType::WStr { len } => len,
                    _ => 0,
                };
                if target_len > 0 && x.ty.is_string() && x.ty.string_len() > target_len {
                    self.warnings.push(format!(
                        "column {col}: the cast to \"{}\" may truncate a string of length {}",
                        to,
                        x.ty.string_len()
                    ));
                }
                fold(Node::new(to, Kind::Cast(Box::new(x))), *col)
            }
            Ast::NullOf(spec, col) => {
                let mut ty = self.type_of_spec(spec)?;
                if let DataType::Str { len, .. } = ty {
                    if !ctx.root {
                        if !ctx.under_cast {
                            return Err(ExprError::new(
                                *col,
                                "NULL(DT_STR, …) may only be the whole expression; use NULL(DT_WSTR, …) inside an expression",
                            ));
                        }
                        ty = DataType::WStr { len };
                    }
                }
                Ok(Node::new(ty, Kind::Const(Value::Null(ty))))
            }
            Ast::Call { name, args, col } => self.call(name, args, *col),
        }
    }

    fn unary(&mut self, op: UnaryOp, x: Node, col: usize) -> Result<Node, ExprError> {
        let t = x.ty;
        let (ok, sym) = match op {
            UnaryOp::Neg => (t.is_signed_int() || t.is_float() || t.is_fixed(), "-"),
            UnaryOp::Not => (t == DataType::Bool, "!"),
            UnaryOp::BitNot => (t.is_integer(), "~"),
        };
        if !ok {
            return Err(ExprError::new(
                col,
                format!(
                    "the operator \"{sym}\" cannot be applied to the data type \"{}\"",
                    t.static_name()
                ),
            ));
        }
        let kind = match op {
            UnaryOp::Neg => Kind::Neg(Box::new(x)),
            UnaryOp::Not => Kind::Not(Box::new(x)),
            UnaryOp::BitNot => Kind::BitNot(Box::new(x)),
        };
        fold(Node::new(t, kind), col)
    }

    fn binary(&mut self, op: BinaryOp, a: Node, b: Node, col: usize) -> Result<Node, ExprError> {
        let sym = op.symbol();
        let (ta, tb) = (a.ty, b.ty);
        let arith = match op {
            BinaryOp::Add => Some(ArithOp::Add),
            BinaryOp::Sub => Some(ArithOp::Sub),
            BinaryOp::Mul => Some(ArithOp::Mul),
            BinaryOp::Div => Some(ArithOp::Div),
            BinaryOp::Mod => Some(ArithOp::Mod),
            _ => None,
        };
        if op == BinaryOp::Add && (ta.is_string() || tb.is_string()) {
            if !(ta.is_string() && tb.is_string()) {
                return Err(incompatible(sym, &ta, &tb, col));
            }
            return concat(a, b, col);
        }
        if let Some(aop) = arith {
            if aop == ArithOp::Mod && !(ta.is_integer() && tb.is_integer()) {
                return Err(ExprError::new(
                    col,
                    format!(
                        "the operator \"%\" needs integer operands but got \"{}\" and \"{}\"",
                        ta.static_name(),
                        tb.static_name()
                    ),
                ));
            }
            let ty = arith_type(aop, ta, tb).ok_or_else(|| incompatible(sym, &ta, &tb, col))?;
            let a = coerce(a, ty, col)?;
            let b = coerce(b, ty, col)?;
            return fold(
                Node::new(ty, Kind::Arith(aop, Box::new(a), Box::new(b))),
                col,
            );
        }
        match op {
            BinaryOp::And | BinaryOp::Or => {
                if ta != DataType::Bool || tb != DataType::Bool {
                    return Err(incompatible(sym, &ta, &tb, col));
                }
                let kind = if op == BinaryOp::And {
                    Kind::And(Box::new(a), Box::new(b))
                } else {
                    Kind::Or(Box::new(a), Box::new(b))
                };
                fold(Node::new(DataType::Bool, kind), col)
            }
            BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
                let same_sign = (ta.is_signed_int() && tb.is_signed_int())
                    || (ta.is_unsigned_int() && tb.is_unsigned_int());
                if !same_sign {
                    return Err(incompatible(sym, &ta, &tb, col));
                }
                let ty = promote(ta, tb).ok_or_else(|| incompatible(sym, &ta, &tb, col))?;
                let a = coerce(a, ty, col)?;
                let b = coerce(b, ty, col)?;
                let bop = match op {
                    BinaryOp::BitAnd => BitOp::And,
                    BinaryOp::BitOr => BitOp::Or,
                    _ => BitOp::Xor,
                };
                fold(Node::new(ty, Kind::Bit(bop, Box::new(a), Box::new(b))), col)
            }
            _ => {
                let cop = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Gt => CmpOp::Gt,
                    BinaryOp::Le => CmpOp::Le,
                    _ => CmpOp::Ge,
                };
                let equality = matches!(cop, CmpOp::Eq | CmpOp::Ne);
                let common = if ta.is_numeric() && tb.is_numeric() {
                    promote(ta, tb)
                } else if ta.is_string() && tb.is_string() {
                    Some(DataType::WStr { len: 0 })
                } else if ta == DataType::Bool && tb == DataType::Bool {
                    Some(DataType::Bool)
                } else if ta.is_date() && tb.is_date() {
                    date_common(ta, tb)
                } else if ta == DataType::Guid && tb == DataType::Guid && equality {
                    Some(DataType::Guid)
                } else if let (DataType::Bytes { .. }, DataType::Bytes { .. }) = (ta, tb) {
                    Some(DataType::Bytes { len: 0 })
                } else if ta.is_blob() && ta == tb && equality {
                    Some(ta)
                } else {
                    None
                };
                let common = common.ok_or_else(|| incompatible(sym, &ta, &tb, col))?;
                let (a, b) = if common.is_string() || matches!(common, DataType::Bytes { .. }) {
                    (a, b)
                } else {
                    (coerce(a, common, col)?, coerce(b, common, col)?)
                };
                fold(
                    Node::new(DataType::Bool, Kind::Compare(cop, Box::new(a), Box::new(b))),
                    col,
                )
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Ast], col: usize) -> Result<Node, ExprError> {
        let (func, count) = functions::lookup(name)
            .ok_or_else(|| ExprError::new(col, format!("\"{name}\" is not a known function")))?;
        if args.len() != count {
            return Err(ExprError::new(
                col,
                format!(
                    "the function \"{}\" takes {count} argument{} but {} {} given",
                    func.name(),
                    if count == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            ));
        }
        let mut nodes = Vec::with_capacity(args.len());
        for a in args {
            nodes.push(self.expr(a, INNER)?);
        }
        let infos: Vec<ArgInfo<'_>> = nodes
            .iter()
            .map(|n| ArgInfo {
                ty: n.ty,
                constant: match &n.kind {
                    Kind::Const(v) => Some(v),
                    _ => None,
                },
            })
            .collect();
        let sig = functions::check(func, &infos).map_err(|f| {
            let at = f.arg.and_then(|i| args.get(i)).map(Ast::col).unwrap_or(col);
            ExprError::new(at, f.message)
        })?;
        drop(infos);
        let mut converted = Vec::with_capacity(nodes.len());
        for (i, (n, cast)) in nodes.into_iter().zip(sig.arg_casts).enumerate() {
            let acol = args.get(i).map(Ast::col).unwrap_or(col);
            converted.push(match cast {
                Some(t) => coerce(n, t, acol)?,
                None => n,
            });
        }
        fold(Node::new(sig.result, Kind::Call(func, converted)), col)
    }
}

fn concat(a: Node, b: Node, col: usize) -> Result<Node, ExprError> {
    let len = if a.ty.string_len() == 0 || b.ty.string_len() == 0 {
        0
    } else {
        a.ty.string_len().saturating_add(b.ty.string_len())
    };
    let ty = DataType::WStr { len };
    let mut parts = Vec::new();
    for n in [a, b] {
        match n.kind {
            Kind::Concat(inner) => parts.extend(inner),
            _ => parts.push(n),
        }
    }
    // Merge neighbouring constant strings.
    let mut merged: Vec<Node> = Vec::with_capacity(parts.len());
    for p in parts {
        if let (Some(last), Kind::Const(Value::WStr(s))) = (merged.last_mut(), &p.kind) {
            if let Kind::Const(Value::WStr(prev)) = &mut last.kind {
                prev.push_str(s);
                last.ty = DataType::WStr {
                    len: prev.chars().count() as u32,
                };
                continue;
            }
        }
        merged.push(p);
    }
    if merged.len() == 1 {
        if let Some(mut only) = merged.pop() {
            if only.is_const() {
                only.ty = ty;
                return Ok(only);
            }
            merged.push(only);
        }
    }
    fold(Node::new(ty, Kind::Concat(merged)), col)
}

fn literal(n: &NumLit, col: usize) -> Result<Node, ExprError> {
    let too_big = |what: &str, hint: &str| {
        Err(ExprError::new(
            col,
            format!("the literal {what} is too large for its data type{hint}"),
        ))
    };
    Ok(match n {
        NumLit::I4(v) => match i32::try_from(*v) {
            Ok(x) => Node::constant(Value::I4(x)),
            Err(_) => return too_big(&format!("{v} (DT_I4)"), "; add the suffix L for DT_I8"),
        },
        NumLit::UI4(v) => match u32::try_from(*v) {
            Ok(x) => Node::constant(Value::UI4(x)),
            Err(_) => return too_big(&format!("{v}U (DT_UI4)"), "; add the suffix UL for DT_UI8"),
        },
        NumLit::I8(v) => Node::constant(Value::I8(*v)),
        NumLit::UI8(v) => Node::constant(Value::UI8(*v)),
        NumLit::R4(v) => {
            if v.is_finite() && v.abs() > f32::MAX as f64 {
                return too_big(&v.to_string(), " (DT_R4)");
            }
            Node::constant(Value::R4(*v as f32))
        }
        NumLit::R8(v) => {
            if !v.is_finite() {
                return too_big(&v.to_string(), " (DT_R8)");
            }
            Node::constant(Value::R8(*v))
        }
        NumLit::Numeric {
            value,
            precision,
            scale,
        } => Node::new(
            DataType::Numeric {
                precision: *precision,
                scale: *scale,
            },
            Kind::Const(Value::Numeric(*value)),
        ),
        NumLit::TooLarge(text) => return too_big(text, ""),
    })
}
