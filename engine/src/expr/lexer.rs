//! Turns expression text into tokens, each with its 1-based column: numeric literals typed by
//! their suffixes, string literals with escapes decoded, identifiers, bracketed names, variables,
//! lineage references and operators. It must not know about precedence, types or variables'
//! existence.

use super::error::ExprError;
use crate::types::Decimal;

/// Type given to a numeric literal by its form and suffix.
#[derive(Debug, Clone, PartialEq)]
pub enum NumLit {
    I4(i64),
    UI4(u64),
    I8(i64),
    UI8(u64),
    R4(f64),
    R8(f64),
    /// DT_NUMERIC with precision and scale from the digits.
    Numeric {
        value: Decimal,
        precision: u8,
        scale: u8,
    },
    /// Integer text too large for 64 bits.
    TooLarge(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(NumLit),
    Str(String),
    /// A regular identifier (also TRUE, FALSE, function and type names).
    Ident(String),
    /// `[name]`.
    Bracketed(String),
    /// `@name`, `@[name]`, `@[ns::name]`.
    Var {
        namespace: Option<String>,
        name: String,
    },
    /// `#123`.
    Lineage(i64),
    /// `#{Package\Task\Component.Outputs[Out].Columns[Col]}` (2012+ stored expressions).
    LineageRef(String),
    LParen,
    RParen,
    Comma,
    Dot,
    Question,
    Colon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    Amp,
    AmpAmp,
    Pipe,
    PipePipe,
    Caret,
    Tilde,
    Bang,
    /// A single `=` (assignment).
    Assign,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// 1-based column of the first character.
    pub col: usize,
}

/// Splits `text` into tokens, ending with `Tok::End`.
pub fn tokenize(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut lx = Lexer {
        chars: &chars,
        pos: 0,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    chars: &'a [char],
    pos: usize,
    out: Vec<Token>,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '@' | '$' | '#')
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.out.push(Token {
            tok,
            col: start + 1,
        });
    }

    fn run(&mut self) -> Result<(), ExprError> {
        while let Some(c) = self.peek(0) {
            let start = self.pos;
            if c.is_whitespace() {
                self.pos += 1;
                continue;
            }
            if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
            {
                let n = self.number()?;
                self.push(Tok::Num(n), start);
                continue;
            }
            if is_ident_start(c) {
                let name = self.ident_run();
                self.push(Tok::Ident(name), start);
                continue;
            }
            match c {
                '"' => {
                    let s = self.string()?;
                    self.push(Tok::Str(s), start);
                }
                '[' => {
                    let s = self.bracketed()?;
                    self.push(Tok::Bracketed(s), start);
                }
                '@' => {
                    self.pos += 1;
                    let (namespace, name) = self.variable(start)?;
                    self.push(Tok::Var { namespace, name }, start);
                }
                '#' if self.peek(1) == Some('{') => {
                    self.pos += 2;
                    let text_start = self.pos;
                    while self.peek(0).is_some_and(|d| d != '}') {
                        self.pos += 1;
                    }
                    if self.peek(0) != Some('}') {
                        return Err(ExprError::new(
                            start + 1,
                            "\"#{\" starts a column reference that is never closed with \"}\"",
                        ));
                    }
                    let text: String = self.chars[text_start..self.pos].iter().collect();
                    self.pos += 1;
                    self.push(Tok::LineageRef(text), start);
                }
                '#' => {
                    self.pos += 1;
                    let digits_start = self.pos;
                    while self.peek(0).is_some_and(|d| d.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    let digits: String = self.chars[digits_start..self.pos].iter().collect();
                    let id = digits.parse::<i64>().map_err(|_| {
                        ExprError::new(start + 1, "\"#\" must be followed by a lineage number")
                    })?;
                    self.push(Tok::Lineage(id), start);
                }
                _ => {
                    let (tok, len) = self.operator(c).ok_or_else(|| {
                        ExprError::new(start + 1, format!("unexpected character '{c}'"))
                    })?;
                    self.pos += len;
                    self.push(tok, start);
                }
            }
        }
        self.push(Tok::End, self.pos);
        Ok(())
    }

    fn operator(&self, c: char) -> Option<(Tok, usize)> {
        let next = self.peek(1);
        Some(match (c, next) {
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            ('.', _) => (Tok::Dot, 1),
            ('?', _) => (Tok::Question, 1),
            (':', _) => (Tok::Colon, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('%', _) => (Tok::Percent, 1),
            ('<', Some('=')) => (Tok::Le, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('>', _) => (Tok::Gt, 1),
            ('=', Some('=')) => (Tok::EqEq, 2),
            ('=', _) => (Tok::Assign, 1),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('!', _) => (Tok::Bang, 1),
            ('&', Some('&')) => (Tok::AmpAmp, 2),
            ('&', _) => (Tok::Amp, 1),
            ('|', Some('|')) => (Tok::PipePipe, 2),
            ('|', _) => (Tok::Pipe, 1),
            ('^', _) => (Tok::Caret, 1),
            ('~', _) => (Tok::Tilde, 1),
            _ => return None,
        })
    }

    fn ident_run(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        while self.peek(0).is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `[` … `]`; the name may contain anything but brackets.
    fn bracketed(&mut self) -> Result<String, ExprError> {
        let start = self.pos;
        self.pos += 1;
        let name_start = self.pos;
        while let Some(c) = self.peek(0) {
            if c == ']' {
                let name: String = self.chars[name_start..self.pos].iter().collect();
                self.pos += 1;
                if name.is_empty() {
                    return Err(ExprError::new(start + 1, "empty name in brackets"));
                }
                return Ok(name);
            }
            if c == '[' {
                break;
            }
            self.pos += 1;
        }
        Err(ExprError::new(
            start + 1,
            "the bracket \"[\" is not closed by \"]\"",
        ))
    }

    /// After `@`: `name` or `[name]` or `[ns::name]`.
    fn variable(&mut self, start: usize) -> Result<(Option<String>, String), ExprError> {
        match self.peek(0) {
            Some('[') => {
                let inner = self.bracketed()?;
                match inner.split_once("::") {
                    Some((ns, name)) => {
                        if ns.is_empty() || name.is_empty() {
                            return Err(ExprError::new(
                                start + 1,
                                format!("\"@[{inner}]\" is not a valid variable name"),
                            ));
                        }
                        Ok((Some(ns.to_string()), name.to_string()))
                    }
                    None => Ok((None, inner)),
                }
            }
            Some(c) if is_ident_start(c) => Ok((None, self.ident_run())),
            _ => Err(ExprError::new(
                start + 1,
                "\"@\" must be followed by a variable name such as @Name or @[User::Name]",
            )),
        }
    }

    fn string(&mut self) -> Result<String, ExprError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(ExprError::new(
                    start + 1,
                    "the string literal is not closed by '\"'",
                ));
            };
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let esc_col = self.pos;
                    let Some(e) = self.peek(0) else {
                        return Err(ExprError::new(
                            start + 1,
                            "the string literal is not closed by '\"'",
                        ));
                    };
                    self.pos += 1;
                    match e {
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'v' => out.push('\u{b}'),
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'x' | 'X' => {
                            let hex: String = (0..4).filter_map(|i| self.peek(i)).collect();
                            let valid =
                                hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit());
                            let code = if valid {
                                u32::from_str_radix(&hex, 16).ok()
                            } else {
                                None
                            };
                            match code.and_then(char::from_u32) {
                                Some(ch) if ch != '\0' => {
                                    out.push(ch);
                                    self.pos += 4;
                                }
                                _ => {
                                    return Err(ExprError::new(
                                        esc_col,
                                        "\"\\x\" must be followed by four hexadecimal digits of a valid, non-zero character",
                                    ))
                                }
                            }
                        }
                        other => {
                            return Err(ExprError::new(
                                esc_col,
                                format!("\"\\{other}\" is not a valid escape sequence"),
                            ))
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<NumLit, ExprError> {
        let start = self.pos;
        let col = start + 1;
        // Hexadecimal.
        if self.peek(0) == Some('0') && matches!(self.peek(1), Some('x' | 'X')) {
            self.pos += 2;
            let hs = self.pos;
            while self.peek(0).is_some_and(|c| c.is_ascii_hexdigit()) {
                self.pos += 1;
            }
            let hex: String = self.chars[hs..self.pos].iter().collect();
            if hex.is_empty() {
                return Err(ExprError::new(
                    col,
                    "\"0x\" must be followed by hexadecimal digits",
                ));
            }
            let unsigned = matches!(self.peek(0), Some('u' | 'U'));
            let long = matches!(self.peek(0), Some('l' | 'L'));
            if unsigned || long {
                self.pos += 1;
            }
            self.no_trailing_ident(col)?;
            let v = u64::from_str_radix(&hex, 16)
                .map_err(|_| ExprError::new(col, "the hexadecimal literal is too large"))?;
            return Ok(match (unsigned, long) {
                (true, _) => {
                    if v <= u32::MAX as u64 {
                        NumLit::UI4(v)
                    } else {
                        NumLit::UI8(v)
                    }
                }
                (false, true) => NumLit::I8(v as i64),
                (false, false) => {
                    if v <= u32::MAX as u64 {
                        // 0xFFFFFFFF is the bit pattern of -1 as DT_I4.
                        NumLit::I4(v as u32 as i32 as i64)
                    } else {
                        NumLit::I8(v as i64)
                    }
                }
            });
        }
        let digits = |lx: &mut Self| {
            let s = lx.pos;
            while lx.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                lx.pos += 1;
            }
            lx.chars[s..lx.pos].iter().collect::<String>()
        };
        let int_part = digits(self);
        let mut frac_part: Option<String> = None;
        if self.peek(0) == Some('.') {
            self.pos += 1;
            frac_part = Some(digits(self));
        }
        let mut exponent: Option<String> = None;
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign_ok = matches!(self.peek(1), Some('+' | '-'))
                && self.peek(2).is_some_and(|c| c.is_ascii_digit());
            if sign_ok || self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
                let mut e = String::new();
                if sign_ok {
                    e.push(self.chars[self.pos]);
                    self.pos += 1;
                }
                e.push_str(&digits(self));
                exponent = Some(e);
            } else {
                return Err(ExprError::new(
                    col,
                    "the exponent of the numeric literal has no digits",
                ));
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if frac_part.is_some() || exponent.is_some() {
            let suffix = self.peek(0);
            let float_kind = match suffix {
                Some('f' | 'F') => Some(false),
                Some('l' | 'L') => Some(true),
                _ => None,
            };
            if float_kind.is_some() {
                self.pos += 1;
            }
            self.no_trailing_ident(col)?;
            let as_float = || {
                text.parse::<f64>()
                    .map_err(|_| ExprError::new(col, format!("\"{text}\" is not a valid number")))
            };
            return match float_kind {
                Some(false) => Ok(NumLit::R4(as_float()?)),
                Some(true) => Ok(NumLit::R8(as_float()?)),
                None if exponent.is_some() => Ok(NumLit::R8(as_float()?)),
                None => {
                    let frac = frac_part.unwrap_or_default();
                    let value = Decimal::parse(&text).ok_or_else(|| {
                        ExprError::new(col, format!("\"{text}\" has more than 38 digits"))
                    })?;
                    let int_digits = int_part.trim_start_matches('0').len();
                    let scale = frac.len();
                    let precision = (int_digits + scale).max(1);
                    if precision > 38 {
                        return Err(ExprError::new(
                            col,
                            format!("\"{text}\" has more than 38 digits"),
                        ));
                    }
                    Ok(NumLit::Numeric {
                        value,
                        precision: precision as u8,
                        scale: scale as u8,
                    })
                }
            };
        }
        // Integer suffixes: L, U, UL, LU in any case.
        let mut long = false;
        let mut unsigned = false;
        for _ in 0..2 {
            match self.peek(0) {
                Some('l' | 'L') if !long => {
                    long = true;
                    self.pos += 1;
                }
                Some('u' | 'U') if !unsigned => {
                    unsigned = true;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        self.no_trailing_ident(col)?;
        let Ok(v) = int_part.parse::<u64>() else {
            return Ok(NumLit::TooLarge(text));
        };
        Ok(match (long, unsigned) {
            (false, false) => NumLit::I4(v.min(i64::MAX as u64) as i64),
            (false, true) => NumLit::UI4(v),
            (true, false) => {
                if v > i64::MAX as u64 {
                    NumLit::TooLarge(text)
                } else {
                    NumLit::I8(v as i64)
                }
            }
            (true, true) => NumLit::UI8(v),
        })
    }

    /// A literal must not run into letters (`12abc`).
    fn no_trailing_ident(&self, col: usize) -> Result<(), ExprError> {
        match self.peek(0) {
            Some(c) if is_ident_continue(c) => Err(ExprError::new(
                col,
                format!("the numeric literal is followed by the unexpected character '{c}'"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(toks("457")[0], Tok::Num(NumLit::I4(457)));
        assert_eq!(toks("785u")[0], Tok::Num(NumLit::UI4(785)));
        assert_eq!(toks("986L")[0], Tok::Num(NumLit::I8(986)));
        assert_eq!(toks("7945ul")[0], Tok::Num(NumLit::UI8(7945)));
        assert_eq!(toks("7945LU")[0], Tok::Num(NumLit::UI8(7945)));
        assert_eq!(toks("4E8l")[0], Tok::Num(NumLit::R8(4e8)));
        assert_eq!(toks("13e-2f")[0], Tok::Num(NumLit::R4(0.13)));
        assert_eq!(toks("6.45E3f")[0], Tok::Num(NumLit::R4(6450.0)));
        assert_eq!(toks(".89E-2l")[0], Tok::Num(NumLit::R8(0.0089)));
        assert_eq!(toks("1.E-4f")[0], Tok::Num(NumLit::R4(1e-4)));
        assert_eq!(toks("1e5")[0], Tok::Num(NumLit::R8(1e5)));
        assert_eq!(toks("0xFF0A")[0], Tok::Num(NumLit::I4(0xFF0A)));
        assert_eq!(toks("0X000010000U")[0], Tok::Num(NumLit::UI4(0x10000)));
        assert_eq!(toks("#123")[0], Tok::Lineage(123));
        match &toks("5.80")[0] {
            Tok::Num(NumLit::Numeric {
                precision, scale, ..
            }) => assert_eq!((*precision, *scale), (3, 2)),
            other => panic!("{other:?}"),
        }
        match &toks(".9")[0] {
            Tok::Num(NumLit::Numeric {
                precision, scale, ..
            }) => assert_eq!((*precision, *scale), (1, 1)),
            other => panic!("{other:?}"),
        }
        match &toks("6.")[0] {
            Tok::Num(NumLit::Numeric {
                precision, scale, ..
            }) => assert_eq!((*precision, *scale), (1, 0)),
            other => panic!("{other:?}"),
        }
        assert!(tokenize("12abc").is_err());
        assert!(tokenize("1e").is_err());
        assert!(tokenize("0x").is_err());
        assert_eq!(
            toks("99999999999999999999999")[0],
            Tok::Num(NumLit::TooLarge("99999999999999999999999".into()))
        );
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            toks(r#""a\nb\t\"\\\x0041""#)[0],
            Tok::Str("a\nb\t\"\\A".into())
        );
        assert_eq!(
            toks(r#""\a\b\f\r\v""#)[0],
            Tok::Str("\u{7}\u{8}\u{c}\r\u{b}".into())
        );
        let e = tokenize(r#"  "abc"#).unwrap_err();
        assert_eq!(e.column, 3);
        let e = tokenize(r#""a\q""#).unwrap_err();
        assert_eq!(e.column, 3);
        assert!(tokenize(r#""\x00""#).is_err());
        assert!(tokenize(r#""\x0000""#).is_err());
    }

    #[test]
    fn variables_and_operators() {
        assert_eq!(
            toks("@[User::Count]")[0],
            Tok::Var {
                namespace: Some("User".into()),
                name: "Count".into()
            }
        );
        assert_eq!(
            toks("@Count")[0],
            Tok::Var {
                namespace: None,
                name: "Count".into()
            }
        );
        assert_eq!(
            toks("@[My Var]")[0],
            Tok::Var {
                namespace: None,
                name: "My Var".into()
            }
        );
        assert_eq!(
            toks("@[$Project::Path]")[0],
            Tok::Var {
                namespace: Some("$Project".into()),
                name: "Path".into()
            }
        );
        assert!(tokenize("@ x").is_err());
        assert!(tokenize("@[::x]").is_err());
        assert_eq!(
            toks("a<=b>=c==d!=e&&f||g&h|i^~!j=k"),
            vec![
                Tok::Ident("a".into()),
                Tok::Le,
                Tok::Ident("b".into()),
                Tok::Ge,
                Tok::Ident("c".into()),
                Tok::EqEq,
                Tok::Ident("d".into()),
                Tok::Ne,
                Tok::Ident("e".into()),
                Tok::AmpAmp,
                Tok::Ident("f".into()),
                Tok::PipePipe,
                Tok::Ident("g".into()),
                Tok::Amp,
                Tok::Ident("h".into()),
                Tok::Pipe,
                Tok::Ident("i".into()),
                Tok::Caret,
                Tok::Tilde,
                Tok::Bang,
                Tok::Ident("j".into()),
                Tok::Assign,
                Tok::Ident("k".into()),
                Tok::End
            ]
        );
        let t = tokenize("a  +  [b c]").unwrap();
        assert_eq!(
            t.iter().map(|t| t.col).collect::<Vec<_>>(),
            vec![1, 4, 7, 12]
        );
        assert!(tokenize("a $ b").is_err());
        assert!(tokenize("[abc").is_err());
    }
}
