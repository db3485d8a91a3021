//! No input may panic: random token soup and random characters are thrown at `compile` (and at
//! `evaluate` when they compile); deep nesting is refused with an error instead of a crash.

use super::*;

/// A small deterministic xorshift generator (no external crates needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "&&",
    "||",
    "&",
    "|",
    "^",
    "~",
    "!",
    "?",
    ":",
    "=",
    "1",
    "0",
    "2147483647",
    "2147483648",
    "-1",
    "1.5",
    ".5",
    "6.",
    "1e5",
    "1E",
    "0x",
    "0xFFu",
    "3L",
    "7UL",
    "2.5f",
    "\"a\"",
    "\"\"",
    "\"\\x0041\"",
    "\"\\q\"",
    "\"",
    "\\",
    "[",
    "]",
    "[Col]",
    "#12",
    "#",
    "@",
    "@[User::Count]",
    "@Count",
    "@[User::Dir]",
    "@[User::NullInt]",
    "@[User::When]",
    "@[User::Obj]",
    "@Dup",
    "@[",
    "@[::]",
    "TRUE",
    "FALSE",
    "NULL(DT_I4)",
    "NULL(DT_STR,5,1252)",
    "NULL(",
    "(DT_I4)",
    "(DT_WSTR,5)",
    "(DT_STR,2,1252)",
    "(DT_NUMERIC,5,2)",
    "(DT_DECIMAL,2)",
    "(DT_DBDATE)",
    "(DT_DBTIMESTAMP)",
    "(DT_DBTIMESTAMPOFFSET,3)",
    "(DT_GUID)",
    "(DT_BYTES,2)",
    "(DT_BOOL)",
    "(DT_UI1)",
    "(DT_R4)",
    "(DT_DATE)",
    "(DT_CY)",
    "(DT_",
    "DT_I4",
    "ABS(",
    "SUBSTRING(",
    "DATEADD(\"d\",",
    "DATEDIFF(",
    "DATEPART(\"wk\",",
    "FINDSTRING(",
    "REPLICATE(",
    "TOKEN(",
    "TOKENCOUNT(",
    "REPLACENULL(",
    "ISNULL(",
    "HEX(",
    "ROUND(",
    "POWER(",
    "GETDATE()",
    "LEFT(",
    "RIGHT(",
    "REPLACE(",
    "LEN(",
    "\"2024-01-01\"",
    "\"10:00:00\"",
    "\"dd\"",
    " ",
    " ",
    "é",
    "\u{0}",
    "\t",
    "\n",
];

#[test]
fn random_token_soup_never_panics() {
    let t = table();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let n = 1 + rng.below(12);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        if let Ok(e) = Expression::compile(&text, &t) {
            let _ = e.evaluate(&t);
            let _ = e.result_type().to_string();
        }
        let _ = Expression::parse_only(&text);
    }
}

#[test]
fn random_characters_never_panic() {
    let t = table();
    let mut rng = Rng(12345);
    let alphabet: Vec<char> =
        "()[]@#\"\\,.:?+-*/%<>=!&|^~0123456789abcdefxXuUlLeE_ DT€é\u{1F600}\u{0}\t"
            .chars()
            .collect();
    for _ in 0..20_000 {
        let n = rng.below(24);
        let text: String = (0..n)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        if let Ok(e) = Expression::compile(&text, &t) {
            let _ = e.evaluate(&t);
        }
    }
}

#[test]
fn valid_nesting_within_the_limit_works() {
    let t = table();
    let parens = "(".repeat(100) + "1" + &")".repeat(100);
    assert_eq!(
        Expression::compile(&parens, &t)
            .unwrap()
            .evaluate(&t)
            .unwrap(),
        Value::I4(1)
    );
    let sum = vec!["@[User::Count]"; 150].join(" + ");
    assert_eq!(
        Expression::compile(&sum, &t).unwrap().evaluate(&t).unwrap(),
        Value::I4(1050)
    );
    let cat = vec!["@[User::File]"; 150].join(" + ");
    let v = Expression::compile(&cat, &t).unwrap().evaluate(&t).unwrap();
    assert_eq!(v.to_display_string().len(), 750);
    let negs = "-".repeat(100) + "1";
    assert_eq!(
        Expression::compile(&negs, &t)
            .unwrap()
            .evaluate(&t)
            .unwrap(),
        Value::I4(1)
    );
    let conds = "TRUE ? ".repeat(100) + "1" + &" : 2".repeat(100);
    assert_eq!(
        Expression::compile(&conds, &t)
            .unwrap()
            .evaluate(&t)
            .unwrap(),
        Value::I4(1)
    );
}

#[test]
fn excessive_nesting_is_an_error() {
    let t = table();
    for text in [
        "(".repeat(10_000) + "1" + &")".repeat(10_000),
        "-".repeat(10_000) + "1",
        "!".repeat(10_000) + "TRUE",
        vec!["1"; 10_000].join("+"),
        "ABS(".repeat(5_000) + "1" + &")".repeat(5_000),
        "TRUE ? ".repeat(5_000) + "1" + &" : 2".repeat(5_000),
        "(DT_I4)".repeat(5_000) + "1",
    ] {
        let e = Expression::compile(&text, &t).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
    }
}

#[test]
fn huge_values_do_not_panic() {
    for text in [
        "REPLICATE(\"abc\", 2147483647)",
        "DATEADD(\"ms\", 9223372036854775807L, (DT_DBDATE)\"2024-01-01\")",
        "DATEADD(\"yy\", -9223372036854775807L, (DT_DBDATE)\"2024-01-01\")",
        "(DT_DATE)1E300",
        "(DT_NUMERIC, 38, 37)1E300",
        "(DT_I8)1E300",
        "(DT_NUMERIC,38,0)99999999999999999999999999999999999999.0 * 10",
        "(DT_NUMERIC,38,0)99999999999999999999999999999999999999.0 / 0.0000000000000000000000000000000000001",
        "SUBSTRING(\"abc\", 2147483647, 2147483647)",
        "LEFT(\"abc\", 9223372036854775807L)",
        "TOKEN(\"a b\", \" \", 9223372036854775807L)",
        "FINDSTRING(\"abc\", \"a\", 9223372036854775807L)",
        "ROUND(1.5E0, 2147483647)",
        "ROUND(1.5, 2147483647)",
        "POWER(1E308, 1E308)",
        "HEX(-9223372036854775807L - 1)",
        "ABS(-9223372036854775807L - 1)",
        "-(-9223372036854775807L - 1)",
        "(-9223372036854775807L - 1) / -1",
        "(-9223372036854775807L - 1) % -1",
        "DATEDIFF(\"ms\", (DT_DBDATE)\"0001-01-01\", (DT_DBDATE)\"9999-12-31\")",
    ] {
        let t = table();
        if let Ok(e) = Expression::compile(text, &t) {
            let _ = e.evaluate(&t);
        }
    }
}
