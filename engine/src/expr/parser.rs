//! Recursive-descent parser from tokens to the syntax tree, implementing SSIS operator precedence
//! and associativity (reference §2), casts `(DT_…, params)`, function calls, `NULL(DT_…)` and a
//! top-level assignment `@var = expr`. It must not check types or look variables up.

use super::ast::{Ast, BinaryOp, Parsed, TypeSpec, UnaryOp};
use super::error::ExprError;
use super::lexer::{tokenize, NumLit, Tok, Token};
use crate::types::{param_count, type_name_params};

/// Nesting limit, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 256;

/// Parses a whole expression text.
pub fn parse(text: &str) -> Result<Parsed, ExprError> {
    let tokens = tokenize(text)?;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
    };
    if matches!(p.peek(), Tok::End) {
        return Err(ExprError::new(1, "the expression is empty"));
    }
    let mut target = None;
    if let (Tok::Var { namespace, name }, Tok::Assign) = (p.peek(), p.peek_at(1)) {
        target = Some((namespace.clone(), name.clone(), p.col()));
        p.pos += 2;
    }
    let expr = p.conditional()?;
    if !matches!(p.peek(), Tok::End) {
        return Err(p.unexpected("the end of the expression or an operator"));
    }
    Ok(Parsed { target, expr })
}

/// A binary operator token and its level (higher binds tighter).
fn binary_op(t: &Tok) -> Option<(BinaryOp, u8)> {
    Some(match t {
        Tok::PipePipe => (BinaryOp::Or, 0),
        Tok::AmpAmp => (BinaryOp::And, 1),
        Tok::Pipe => (BinaryOp::BitOr, 2),
        Tok::Caret => (BinaryOp::BitXor, 3),
        Tok::Amp => (BinaryOp::BitAnd, 4),
        Tok::EqEq => (BinaryOp::Eq, 5),
        Tok::Ne => (BinaryOp::Ne, 5),
        Tok::Lt => (BinaryOp::Lt, 6),
        Tok::Gt => (BinaryOp::Gt, 6),
        Tok::Le => (BinaryOp::Le, 6),
        Tok::Ge => (BinaryOp::Ge, 6),
        Tok::Plus => (BinaryOp::Add, 7),
        Tok::Minus => (BinaryOp::Sub, 7),
        Tok::Star => (BinaryOp::Mul, 8),
        Tok::Slash => (BinaryOp::Div, 8),
        Tok::Percent => (BinaryOp::Mod, 8),
        _ => return None,
    })
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(NumLit::TooLarge(s)) => format!("the number {s}"),
        Tok::Num(_) => "a number".into(),
        Tok::Str(s) => format!("the string \"{s}\""),
        Tok::Ident(s) => format!("\"{s}\""),
        Tok::Bracketed(s) => format!("\"[{s}]\""),
        Tok::Var {
            namespace: Some(ns),
            name,
        } => format!("\"@[{ns}::{name}]\""),
        Tok::Var {
            namespace: None,
            name,
        } => format!("\"@{name}\""),
        Tok::Lineage(n) => format!("\"#{n}\""),
        Tok::LineageRef(r) => format!("\"#{{{r}}}\""),
        Tok::End => "the end of the expression".into(),
        Tok::Assign => "\"=\" (use \"==\" to compare)".into(),
        other => format!("\"{}\"", symbol(other)),
    }
}

fn symbol(t: &Tok) -> &'static str {
    match t {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::Comma => ",",
        Tok::Dot => ".",
        Tok::Question => "?",
        Tok::Colon => ":",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        Tok::Lt => "<",
        Tok::Gt => ">",
        Tok::Le => "<=",
        Tok::Ge => ">=",
        Tok::EqEq => "==",
        Tok::Ne => "!=",
        Tok::Amp => "&",
        Tok::AmpAmp => "&&",
        Tok::Pipe => "|",
        Tok::PipePipe => "||",
        Tok::Caret => "^",
        Tok::Tilde => "~",
        Tok::Bang => "!",
        Tok::Assign => "=",
        _ => "?",
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.tokens
            .get(self.pos + n)
            .or_else(|| self.tokens.last())
            .map(|t| &t.tok)
            .unwrap_or(&Tok::End)
    }

    fn col(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .map(|t| t.col)
            .unwrap_or(1)
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn unexpected(&self, wanted: &str) -> ExprError {
        ExprError::new(
            self.col(),
            format!("expected {wanted} but found {}", describe(self.peek())),
        )
    }

    fn expect(&mut self, tok: Tok, wanted: &str) -> Result<(), ExprError> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                self.col(),
                "the expression is nested too deeply",
            ));
        }
        Ok(())
    }

    /// Level 13: `cond ? a : b`, right-associative.
    fn conditional(&mut self) -> Result<Ast, ExprError> {
        self.enter()?;
        let cond = self.binary(0)?;
        let result = if *self.peek() == Tok::Question {
            let col = self.col();
            self.bump();
            let a = self.conditional()?;
            self.expect(Tok::Colon, "\":\" of the conditional operator")?;
            let b = self.conditional()?;
            Ast::Cond(Box::new(cond), Box::new(a), Box::new(b), col)
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    /// Binary operators by precedence climbing; `min` is the lowest level accepted (0 = `||`,
    /// 8 = `*` `/` `%`). All binary operators are left-associative.
    fn binary(&mut self, min: u8) -> Result<Ast, ExprError> {
        let mut left = self.unary()?;
        let mut chain = 0;
        while let Some((op, level)) = binary_op(self.peek()) {
            if level < min {
                break;
            }
            let col = self.col();
            self.bump();
            // Each operator deepens the (left-nested) tree; count it against the limit.
            self.enter()?;
            chain += 1;
            let right = self.binary(level + 1)?;
            left = Ast::Binary(op, Box::new(left), Box::new(right), col);
        }
        self.depth -= chain;
        Ok(left)
    }

    /// Levels 2 and 3: unary `-` `!` `~` and casts, right-associative.
    fn unary(&mut self) -> Result<Ast, ExprError> {
        self.enter()?;
        let col = self.col();
        let op = match self.peek() {
            Tok::Minus => Some(UnaryOp::Neg),
            Tok::Bang => Some(UnaryOp::Not),
            Tok::Tilde => Some(UnaryOp::BitNot),
            _ => None,
        };
        let result = if let Some(op) = op {
            self.bump();
            let operand = self.unary()?;
            Ast::Unary(op, Box::new(operand), col)
        } else if *self.peek() == Tok::LParen && self.is_type_name(self.peek_at(1)) {
            self.bump();
            let spec = self.type_spec_body()?;
            self.expect(Tok::RParen, "\")\" closing the cast")?;
            let operand = self.unary()?;
            Ast::Cast(spec, Box::new(operand), col)
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(result)
    }

    fn is_type_name(&self, t: &Tok) -> bool {
        match t {
            Tok::Ident(s) => s.len() > 3 && s[..3].eq_ignore_ascii_case("DT_"),
            _ => false,
        }
    }

    /// `DT_xxx [, n [, n]]` (the parentheses are the caller's).
    fn type_spec_body(&mut self) -> Result<TypeSpec, ExprError> {
        let col = self.col();
        let name = match self.peek() {
            Tok::Ident(s) => s.clone(),
            _ => return Err(self.unexpected("a data type such as DT_I4")),
        };
        let Some(layout) = type_name_params(&name) else {
            return Err(ExprError::new(
                col,
                format!("\"{name}\" is not a valid data type"),
            ));
        };
        self.bump();
        let mut params = Vec::new();
        while *self.peek() == Tok::Comma {
            self.bump();
            let pcol = self.col();
            let negative = if *self.peek() == Tok::Minus {
                self.bump();
                true
            } else {
                false
            };
            let v = match self.peek() {
                Tok::Num(NumLit::I4(v)) | Tok::Num(NumLit::I8(v)) => *v,
                Tok::Num(NumLit::UI4(v)) | Tok::Num(NumLit::UI8(v)) => {
                    (*v).min(i64::MAX as u64) as i64
                }
                _ => {
                    return Err(ExprError::new(
                        pcol,
                        format!("the parameters of \"{name}\" must be integer literals"),
                    ))
                }
            };
            self.bump();
            params.push(if negative { -v } else { v });
        }
        let wanted = param_count(layout);
        if params.len() != wanted {
            return Err(ExprError::new(
                col,
                format!(
                    "the data type \"{}\" takes {wanted} parameter{} but {} {} given",
                    name.to_ascii_uppercase(),
                    if wanted == 1 { "" } else { "s" },
                    params.len(),
                    if params.len() == 1 { "was" } else { "were" }
                ),
            ));
        }
        Ok(TypeSpec { name, params, col })
    }

    fn primary(&mut self) -> Result<Ast, ExprError> {
        let col = self.col();
        let tok = self.peek().clone();
        match tok {
            Tok::Num(n) => {
                self.bump();
                Ok(Ast::Num(n, col))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Ast::Str(s, col))
            }
            Tok::Var { namespace, name } => {
                self.bump();
                Ok(Ast::Var {
                    namespace,
                    name,
                    col,
                })
            }
            Tok::Lineage(n) => {
                self.bump();
                Ok(Ast::Lineage(n, col))
            }
            Tok::LineageRef(r) => {
                self.bump();
                Ok(Ast::LineageRef(r, col))
            }
            Tok::LParen => {
                self.bump();
                let inner = self.conditional()?;
                self.expect(Tok::RParen, "\")\"")?;
                Ok(inner)
            }
            Tok::Ident(name) | Tok::Bracketed(name) => {
                let bracketed = matches!(self.peek(), Tok::Bracketed(_));
                self.bump();
                if *self.peek() == Tok::LParen {
                    return self.call(name, col);
                }
                if !bracketed {
                    if name.eq_ignore_ascii_case("TRUE") {
                        return Ok(Ast::Bool(true, col));
                    }
                    if name.eq_ignore_ascii_case("FALSE") {
                        return Ok(Ast::Bool(false, col));
                    }
                }
                // Column, possibly source-qualified: A.B, [A].[B].
                let mut full = name;
                while *self.peek() == Tok::Dot {
                    self.bump();
                    match self.peek().clone() {
                        Tok::Ident(n) | Tok::Bracketed(n) => {
                            full.push('.');
                            full.push_str(&n);
                            self.bump();
                        }
                        Tok::Lineage(n) => {
                            full.push_str(&format!(".#{n}"));
                            self.bump();
                        }
                        _ => return Err(self.unexpected("a column name after \".\"")),
                    }
                }
                Ok(Ast::Column { name: full, col })
            }
            _ => Err(self.unexpected("a value, a variable, a function or \"(\"")),
        }
    }

    fn call(&mut self, name: String, col: usize) -> Result<Ast, ExprError> {
        self.bump(); // (
        if name.eq_ignore_ascii_case("NULL") {
            let spec = self.type_spec_body()?;
            self.expect(Tok::RParen, "\")\" closing NULL(…)")?;
            return Ok(Ast::NullOf(spec, col));
        }
        let mut args = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                args.push(self.conditional()?);
                if *self.peek() == Tok::Comma {
                    self.bump();
                    continue;
                }
                break;
            }
        }
        self.expect(Tok::RParen, "\",\" or \")\" in the argument list")?;
        Ok(Ast::Call { name, args, col })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(a: &Ast) -> String {
        match a {
            Ast::Num(NumLit::I4(v), _) => v.to_string(),
            Ast::Num(n, _) => format!("{n:?}"),
            Ast::Str(s, _) => format!("{s:?}"),
            Ast::Bool(b, _) => b.to_string(),
            Ast::Var {
                namespace, name, ..
            } => format!(
                "@{}{name}",
                namespace
                    .as_deref()
                    .map(|n| format!("{n}::"))
                    .unwrap_or_default()
            ),
            Ast::Column { name, .. } => format!("[{name}]"),
            Ast::Lineage(n, _) => format!("#{n}"),
            Ast::LineageRef(r, _) => format!("#{{{r}}}"),
            Ast::Unary(op, x, _) => format!("({op:?} {})", shape(x)),
            Ast::Binary(op, l, r, _) => format!("({} {} {})", shape(l), op.symbol(), shape(r)),
            Ast::Cond(c, a, b, _) => format!("({} ? {} : {})", shape(c), shape(a), shape(b)),
            Ast::Cast(t, x, _) => format!("(({}{:?}) {})", t.name, t.params, shape(x)),
            Ast::Call { name, args, .. } => {
                format!(
                    "{name}({})",
                    args.iter().map(shape).collect::<Vec<_>>().join(", ")
                )
            }
            Ast::NullOf(t, _) => format!("NULL({}{:?})", t.name, t.params),
        }
    }

    fn p(s: &str) -> String {
        shape(&parse(s).unwrap().expr)
    }

    #[test]
    fn precedence() {
        assert_eq!(p("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(p("1 - 2 - 3"), "((1 - 2) - 3)");
        assert_eq!(p("8 / 4 / 2"), "((8 / 4) / 2)");
        assert_eq!(p("1 + 2 < 4 == TRUE"), "(((1 + 2) < 4) == true)");
        assert_eq!(p("1 & 2 ^ 3 | 4"), "(((1 & 2) ^ 3) | 4)");
        assert_eq!(p("a || b && c"), "([a] || ([b] && [c]))");
        assert_eq!(p("1 == 2 & 3"), "((1 == 2) & 3)");
        assert_eq!(p("-1 * 2"), "((Neg 1) * 2)");
        assert_eq!(p("!!TRUE"), "(Not (Not true))");
        assert_eq!(p("~-1"), "(BitNot (Neg 1))");
        assert_eq!(p("(DT_I4)1.5 * 2"), "(((DT_I4[]) Numeric { value: Decimal { mantissa: 15, scale: 1 }, precision: 2, scale: 1 }) * 2)");
        assert_eq!(
            p("(DT_STR, 4, 1252) 5 + \"x\""),
            "(((DT_STR[4, 1252]) 5) + \"x\")"
        );
        assert_eq!(
            p("(DT_WSTR,2)-(DT_I4)3"),
            "((DT_WSTR[2]) (Neg ((DT_I4[]) 3)))"
        );
        assert_eq!(
            p("TRUE ? 1 : FALSE ? 2 : 3"),
            "(true ? 1 : (false ? 2 : 3))"
        );
        assert_eq!(p("a ? b ? 1 : 2 : 3"), "([a] ? ([b] ? 1 : 2) : 3)");
        assert_eq!(p("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(p("1 > 2 ? 3 : 4"), "((1 > 2) ? 3 : 4)");
    }

    #[test]
    fn calls_variables_columns() {
        assert_eq!(p("LEN(\"ab\")"), "LEN(\"ab\")");
        assert_eq!(p("getdate()"), "getdate()");
        assert_eq!(p("[SUBSTRING](@x, 1, 2)"), "SUBSTRING(@x, 1, 2)");
        assert_eq!(p("NULL(DT_WSTR, 10)"), "NULL(DT_WSTR[10])");
        assert_eq!(p("null(dt_numeric,10,3)"), "NULL(dt_numeric[10, 3])");
        assert_eq!(p("@[User::A] + @B"), "(@User::A + @B)");
        assert_eq!(
            p("[My Source].Age + Src.[#Age] + #12"),
            "(([My Source.Age] + [Src.#Age]) + #12)"
        );
        assert_eq!(p("[TRUE]"), "[TRUE]");
        let parsed = parse("@[User::X] = 1 + 2").unwrap();
        assert_eq!(parsed.target.map(|t| t.1), Some("X".to_string()));
    }

    #[test]
    fn syntax_errors_have_columns() {
        for (text, col) in [
            ("1 +", 4),
            ("(1 + 2", 7),
            ("1 2", 3),
            ("LEN(\"a\" \"b\")", 9),
            ("TRUE ? 1", 9),
            ("(DT_FOO)1", 2),
            ("(DT_WSTR)1", 2),
            ("(DT_WSTR, x)1", 11),
            ("NULL(1)", 6),
            ("", 1),
            ("   ", 1),
            ("1 = 2", 3),
            (")", 1),
            ("!> 1", 2),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.column, col, "{text}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "(".repeat(5000) + "1" + &")".repeat(5000);
        assert!(parse(&text).is_err());
        let text = "-".repeat(5000) + "1";
        assert!(parse(&text).is_err());
    }
}
