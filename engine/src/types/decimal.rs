//! Fixed-point decimal numbers for DT_NUMERIC, DT_DECIMAL and DT_CY: an `i128` mantissa scaled by
//! a power of ten, which covers SSIS's 38 digits of precision. It owns parsing, formatting,
//! rescaling (rounding half away from zero) and checked arithmetic; it must not know about SSIS
//! types or values.

use std::cmp::Ordering;
use std::fmt;

/// `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u8,
}

/// Largest scale handled (10^38 still fits an i128).
pub const MAX_SCALE: u8 = 38;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Divides rounding half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        if (n < 0) != (d < 0) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    pub fn new(mantissa: i128, scale: u8) -> Decimal {
        Decimal {
            mantissa,
            scale: scale.min(MAX_SCALE),
        }
    }

    pub fn from_i128(v: i128) -> Decimal {
        Decimal {
            mantissa: v,
            scale: 0,
        }
    }

    pub fn mantissa(&self) -> i128 {
        self.mantissa
    }

    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// Number of decimal digits in the mantissa (at least 1).
    pub fn digits(&self) -> u32 {
        let mut m = self.mantissa.unsigned_abs();
        let mut d = 1;
        while m >= 10 {
            m /= 10;
            d += 1;
        }
        d
    }

    /// Digits before the decimal point (0 for a pure fraction).
    pub fn integer_digits(&self) -> u32 {
        let d = self.digits();
        d.saturating_sub(self.scale as u32)
    }

    /// True when the value fits `precision` digits at its current scale.
    pub fn fits(&self, precision: u8) -> bool {
        self.mantissa == 0 || self.digits() <= precision as u32
    }

    /// The same value at another scale, rounding half away from zero when digits are dropped.
    /// `None` on overflow.
    pub fn rescale(&self, scale: u8) -> Option<Decimal> {
        let scale = scale.min(MAX_SCALE);
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(*self),
            Ordering::Greater => {
                let f = pow10((scale - self.scale) as u32)?;
                Some(Decimal {
                    mantissa: self.mantissa.checked_mul(f)?,
                    scale,
                })
            }
            Ordering::Less => {
                let diff = (self.scale - scale) as u32;
                let mantissa = match pow10(diff) {
                    Some(f) => div_round(self.mantissa, f),
                    None => 0,
                };
                Some(Decimal { mantissa, scale })
            }
        }
    }

    /// Drops digits beyond `scale` without rounding.
    pub fn truncate_to(&self, scale: u8) -> Decimal {
        if scale >= self.scale {
            return *self;
        }
        let f = pow10((self.scale - scale) as u32).unwrap_or(i128::MAX);
        Decimal {
            mantissa: self.mantissa / f,
            scale,
        }
    }

    /// Rounds to `places` decimals but keeps the scale (`137.1575` → 3 → `137.1580`).
    pub fn round_keep_scale(&self, places: u32) -> Decimal {
        if places >= self.scale as u32 {
            return *self;
        }
        let drop = self.scale as u32 - places;
        match pow10(drop) {
            Some(f) => Decimal {
                mantissa: div_round(self.mantissa, f) * f,
                scale: self.scale,
            },
            None => Decimal {
                mantissa: 0,
                scale: self.scale,
            },
        }
    }

    pub fn floor(&self) -> Decimal {
        let f = pow10(self.scale as u32).unwrap_or(1);
        let q = self.mantissa.div_euclid(f);
        Decimal {
            mantissa: q * f,
            scale: self.scale,
        }
    }

    pub fn ceil(&self) -> Decimal {
        let f = pow10(self.scale as u32).unwrap_or(1);
        let q = self.mantissa.div_euclid(f);
        let q = if self.mantissa.rem_euclid(f) != 0 {
            q + 1
        } else {
            q
        };
        Decimal {
            mantissa: q * f,
            scale: self.scale,
        }
    }

    pub fn abs(&self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }

    pub fn neg(&self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    pub fn signum(&self) -> i32 {
        self.mantissa.signum() as i32
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Integer value rounded half away from zero.
    pub fn round_to_integer(&self) -> i128 {
        match pow10(self.scale as u32) {
            Some(f) => div_round(self.mantissa, f),
            None => 0,
        }
    }

    pub fn to_f64(&self) -> f64 {
        if self.scale == 0 {
            return self.mantissa as f64;
        }
        // Going through the text form keeps values such as 0.1 exact to the nearest double.
        self.to_string().parse::<f64>().unwrap_or(f64::NAN)
    }

    /// The nearest decimal with `scale` digits; `None` for NaN, infinities or overflow.
    pub fn from_f64(v: f64, scale: u8) -> Option<Decimal> {
        if !v.is_finite() {
            return None;
        }
        // The shortest text that reads back as `v`, then rounding half away from zero.
        let text = format!("{v}");
        Decimal::parse(&text)?.rescale(scale)
    }

    /// Parses `[+-]digits[.digits]` or exponent forms (`1.5E3`). Surrounding spaces allowed.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (t, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
            None => (t, 0),
        };
        let (neg, body) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (int_part, frac_part) = match body.find('.') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut mantissa: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            mantissa = mantissa.checked_mul(10)?.checked_add((b - b'0') as i128)?;
        }
        let mut scale = frac_part.len() as i32 - exp;
        if scale < 0 {
            mantissa = mantissa.checked_mul(pow10((-scale) as u32)?)?;
            scale = 0;
        }
        if scale > MAX_SCALE as i32 {
            let d = Decimal { mantissa, scale: 0 };
            let extra = (scale - MAX_SCALE as i32) as u32;
            let mantissa = match pow10(extra) {
                Some(f) => div_round(d.mantissa, f),
                None => 0,
            };
            return Some(Decimal {
                mantissa: if neg { -mantissa } else { mantissa },
                scale: MAX_SCALE,
            });
        }
        Some(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            scale: scale as u8,
        })
    }

    fn align(a: &Decimal, b: &Decimal) -> Option<(i128, i128, u8)> {
        let s = a.scale.max(b.scale);
        Some((a.rescale(s)?.mantissa, b.rescale(s)?.mantissa, s))
    }

    pub fn checked_add(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::align(self, other)?;
        Some(Decimal {
            mantissa: a.checked_add(b)?,
            scale: s,
        })
    }

    pub fn checked_sub(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::align(self, other)?;
        Some(Decimal {
            mantissa: a.checked_sub(b)?,
            scale: s,
        })
    }

    /// Product at scale `scale` (rounded). Operand digits beyond what an i128 can multiply are
    /// rounded away first.
    pub fn checked_mul(&self, other: &Decimal, scale: u8) -> Option<Decimal> {
        let (mut a, mut b) = (*self, *other);
        loop {
            if let Some(m) = a.mantissa.checked_mul(b.mantissa) {
                return Decimal {
                    mantissa: m,
                    scale: a.scale + b.scale,
                }
                .rescale(scale);
            }
            // Drop one fractional digit from the operand with the larger scale.
            if a.scale == 0 && b.scale == 0 {
                return None;
            }
            if a.scale >= b.scale {
                a = a.rescale(a.scale - 1)?;
            } else {
                b = b.rescale(b.scale - 1)?;
            }
        }
    }

    /// Quotient at scale `scale` (rounded). `None` on division by zero or overflow.
    pub fn checked_div(&self, other: &Decimal, scale: u8) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        // q = a/10^sa / (b/10^sb) * 10^scale = a * 10^(scale + sb - sa) / b; one extra digit
        // for rounding.
        let shift = scale as i32 + other.scale as i32 - self.scale as i32 + 1;
        let (num, den) = if shift >= 0 {
            match pow10(shift as u32).and_then(|f| self.mantissa.checked_mul(f)) {
                Some(n) => (n, other.mantissa),
                None => return Decimal::div_long(self, other, scale),
            }
        } else {
            match pow10((-shift) as u32).and_then(|f| other.mantissa.checked_mul(f)) {
                Some(d) => (self.mantissa, d),
                None => return Some(Decimal { mantissa: 0, scale }),
            }
        };
        let q10 = num / den;
        Some(Decimal {
            mantissa: div_round(q10, 10),
            scale,
        })
    }

    /// Long division used when the direct form overflows.
    fn div_long(a: &Decimal, b: &Decimal, scale: u8) -> Option<Decimal> {
        let neg = (a.mantissa < 0) != (b.mantissa < 0);
        let num = a.mantissa.unsigned_abs();
        let den = b.mantissa.unsigned_abs();
        // Integer quotient of the mantissas, then one digit at a time.
        let mut q: u128 = num / den;
        let mut r: u128 = num % den;
        // value = q.r at scale (a.scale - b.scale); bring it to `scale`.
        let mut cur_scale: i32 = a.scale as i32 - b.scale as i32;
        while cur_scale < scale as i32 + 1 {
            let r10 = r.checked_mul(10)?;
            q = q.checked_mul(10)?.checked_add(r10 / den)?;
            r = r10 % den;
            cur_scale += 1;
        }
        let mut m = i128::try_from(q).ok()?;
        if neg {
            m = -m;
        }
        // cur_scale = scale + 1 unless it started higher.
        Decimal {
            mantissa: m,
            scale: cur_scale.clamp(0, MAX_SCALE as i32) as u8,
        }
        .rescale(scale)
    }

    /// Remainder with the sign of the dividend.
    pub fn checked_rem(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::align(self, other)?;
        if b == 0 {
            return None;
        }
        Some(Decimal {
            mantissa: a % b,
            scale: s,
        })
    }

    pub fn compare(&self, other: &Decimal) -> Ordering {
        match Decimal::align(self, other) {
            Some((a, b, _)) => a.cmp(&b),
            None => {
                // One side is huge at a large scale; compare signs, then integer parts.
                let sa = self.mantissa.signum().cmp(&other.mantissa.signum());
                if sa != Ordering::Equal {
                    return sa;
                }
                self.to_f64()
                    .partial_cmp(&other.to_f64())
                    .unwrap_or(Ordering::Equal)
            }
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let neg = self.mantissa < 0;
        let scale = self.scale as usize;
        let mut out = String::with_capacity(digits.len() + 3);
        if neg {
            out.push('-');
        }
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            out.push_str(&digits[..digits.len() - scale]);
            out.push('.');
            out.push_str(&digits[digits.len() - scale..]);
        } else {
            out.push_str("0.");
            for _ in 0..scale - digits.len() {
                out.push('0');
            }
            out.push_str(&digits);
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).expect("valid decimal")
    }

    #[test]
    fn parse_and_display() {
        for (input, shown) in [
            ("1.5", "1.5"),
            ("-0.25", "-0.25"),
            (".9", "0.9"),
            ("6.", "6"),
            ("8.0", "8.0"),
            ("0.001", "0.001"),
            ("1.5E3", "1500"),
            (
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345678",
            ),
        ] {
            assert_eq!(d(input).to_string(), shown, "{input}");
        }
        for bad in [
            "",
            ".",
            "abc",
            "1.2.3",
            "--1",
            "1e",
            "123456789012345678901234567890123456789012",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rescale_rounds_half_away() {
        assert_eq!(d("2.5").rescale(0).unwrap().to_string(), "3");
        assert_eq!(d("-2.5").rescale(0).unwrap().to_string(), "-3");
        assert_eq!(d("2.45").rescale(1).unwrap().to_string(), "2.5");
        assert_eq!(d("2.44").rescale(1).unwrap().to_string(), "2.4");
        assert_eq!(d("2").rescale(3).unwrap().to_string(), "2.000");
        assert_eq!(d("137.1575").round_keep_scale(3).to_string(), "137.1580");
        assert_eq!(d("1.99").truncate_to(1).to_string(), "1.9");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(
            d("1.5").checked_add(&d("2.25")).unwrap().to_string(),
            "3.75"
        );
        assert_eq!(
            d("1.5").checked_sub(&d("2.25")).unwrap().to_string(),
            "-0.75"
        );
        assert_eq!(
            d("1.5").checked_mul(&d("2.25"), 3).unwrap().to_string(),
            "3.375"
        );
        assert_eq!(
            d("1").checked_div(&d("3"), 6).unwrap().to_string(),
            "0.333333"
        );
        assert_eq!(d("2").checked_div(&d("3"), 2).unwrap().to_string(), "0.67");
        assert_eq!(
            d("-2").checked_div(&d("3"), 2).unwrap().to_string(),
            "-0.67"
        );
        assert!(d("1").checked_div(&d("0"), 2).is_none());
        assert_eq!(d("7.5").checked_rem(&d("2")).unwrap().to_string(), "1.5");
        assert_eq!(d("1.25").floor().to_string(), "1.00");
        assert_eq!(d("-1.25").floor().to_string(), "-2.00");
        assert_eq!(d("1.25").ceil().to_string(), "2.00");
        assert_eq!(d("-1.25").ceil().to_string(), "-1.00");
        assert_eq!(d("1.50").compare(&d("1.5")), Ordering::Equal);
        assert_eq!(d("-1").compare(&d("0.5")), Ordering::Less);
        assert_eq!(d("123.45").digits(), 5);
        assert_eq!(d("123.45").integer_digits(), 3);
        assert!(d("123.45").fits(5));
        assert!(!d("123.45").fits(4));
    }

    #[test]
    fn big_products_and_quotients() {
        let big = d("0.12345678901234567890123456789");
        let p = big.checked_mul(&big, 20).unwrap();
        assert_eq!(p.to_string(), "0.01524157875323883675");
        let q = d("10000000000000000000000000000000000").checked_div(&d("0.00001"), 0);
        assert!(
            q.is_none() || q.unwrap().to_string() == "1000000000000000000000000000000000000000"
        );
        assert_eq!(d("1.5").to_f64(), 1.5);
        assert_eq!(Decimal::from_f64(2.345, 2).unwrap().to_string(), "2.35");
    }
}
