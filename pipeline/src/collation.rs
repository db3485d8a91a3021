//! How the pipeline orders and compares key columns — the one comparison that Sort, Merge,
//! Merge Join and Aggregate (group by, count distinct) share, so that what a Sort produced is
//! what a Merge Join expects. Keys become Arrow's row format (`arrow-row`'s `RowConverter`):
//! one byte string per row whose byte order is the key order, ascending or descending per
//! column, NULL before every value in ascending order (after in descending), as SSIS sorts.
//!
//! Strings compare by Unicode code point after the column's comparison flags are applied
//! (SSIS's NLS flags): ignore case (0x1) folds to lower case, ignore nonspacing characters
//! (0x2) drops combining marks after canonical decomposition, ignore symbols (0x4) drops
//! characters that are neither letters, digits, marks nor spaces, ignore kana type (0x10000)
//! maps katakana to hiragana, ignore character width (0x20000) maps full-width and half-width
//! forms to their ordinary width. Sort punctuation as symbols (0x1000) is what code-point order
//! does anyway. Windows' linguistic collation (where "a" < "B" < "b") is not reproduced: the
//! order within equal flags is code-point order, stated in docs/data-flow.md. It must not know
//! components.

use std::borrow::Cow;

use arrow_array::{Array, ArrayRef, StringArray};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::{ArrowError, SortOptions};
use ssisd_engine::types::DataType;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::buffer::types::arrow_type;

/// NORM_IGNORECASE.
pub const IGNORE_CASE: u32 = 0x1;
/// NORM_IGNORENONSPACE.
pub const IGNORE_NONSPACE: u32 = 0x2;
/// NORM_IGNORESYMBOLS.
pub const IGNORE_SYMBOLS: u32 = 0x4;
/// SORT_STRINGSORT (punctuation sorts as symbols).
pub const SORT_STRINGSORT: u32 = 0x1000;
/// NORM_IGNOREKANATYPE.
pub const IGNORE_KANA: u32 = 0x10000;
/// NORM_IGNOREWIDTH.
pub const IGNORE_WIDTH: u32 = 0x20000;
/// Every flag this module understands.
pub const KNOWN_FLAGS: u32 =
    IGNORE_CASE | IGNORE_NONSPACE | IGNORE_SYMBOLS | SORT_STRINGSORT | IGNORE_KANA | IGNORE_WIDTH;

/// Key columns that cannot be compared, or key rows that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum CollationError {
    /// Comparison flags on a column that is not a string.
    #[error("comparison flags 0x{flags:X} apply to strings only, and the column is {ty}")]
    FlagsOnNonString { flags: u32, ty: DataType },
    /// Flag bits SSIS does not define (only the unknown bits).
    #[error("the comparison flags 0x{0:X} are not ones SSIS defines (ignore case 0x1, ignore nonspacing 0x2, ignore symbols 0x4, punctuation as symbols 0x1000, ignore kana 0x10000, ignore width 0x20000)")]
    UnknownFlags(u32),
    /// A BLOB or other type with no order.
    #[error("values of type {0} cannot be compared")]
    NotComparable(DataType),
    /// Arrow's row converter refused the columns.
    #[error("{0}")]
    Rows(#[from] ArrowError),
}

/// One key column.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyColumn {
    /// Index of the column in the buffers the keys are read from.
    pub column: usize,
    pub data_type: DataType,
    pub descending: bool,
    /// Comparison flags (strings only).
    pub flags: u32,
}

/// Whether values of `ty` can be compared at all (BLOBs cannot be keys).
pub fn comparable(ty: &DataType) -> bool {
    !matches!(
        ty,
        DataType::Text { .. }
            | DataType::NText
            | DataType::Image
            | DataType::Object
            | DataType::Empty
            | DataType::Null
    )
}

/// Why `flags` cannot apply to a column of `ty`, if they cannot.
pub fn check_flags(ty: &DataType, flags: u32) -> Result<(), CollationError> {
    if flags == 0 {
        return Ok(());
    }
    if !ty.is_string() {
        return Err(CollationError::FlagsOnNonString { flags, ty: *ty });
    }
    if flags & !KNOWN_FLAGS != 0 {
        return Err(CollationError::UnknownFlags(flags & !KNOWN_FLAGS));
    }
    Ok(())
}

/// The text a string compares as under `flags`.
pub fn fold(s: &str, flags: u32) -> Cow<'_, str> {
    let flags = flags & !SORT_STRINGSORT;
    if flags == 0 {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let push = |c: char, out: &mut String| {
        let c = if flags & IGNORE_WIDTH != 0 {
            narrow(c)
        } else {
            c
        };
        let c = if flags & IGNORE_KANA != 0 {
            to_hiragana(c)
        } else {
            c
        };
        if flags & IGNORE_SYMBOLS != 0
            && !(c.is_alphanumeric() || c.is_whitespace() || is_combining_mark(c))
        {
            return;
        }
        if flags & IGNORE_CASE != 0 {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    };
    if flags & IGNORE_NONSPACE != 0 {
        for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
            push(c, &mut out);
        }
        Cow::Owned(out.nfc().collect())
    } else {
        for c in s.chars() {
            push(c, &mut out);
        }
        Cow::Owned(out)
    }
}

/// Full-width ASCII and the ideographic space as their ordinary forms; half-width katakana as
/// full-width (compatibility decomposition of that one character).
fn narrow(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        0xFF61..=0xFF9F => c.to_string().nfkc().next().unwrap_or(c),
        _ => c,
    }
}

/// Katakana letters as the matching hiragana.
pub fn to_hiragana(c: char) -> char {
    match c as u32 {
        0x30A1..=0x30F6 | 0x30FD | 0x30FE => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Hiragana letters as the matching katakana.
pub fn to_katakana(c: char) -> char {
    match c as u32 {
        0x3041..=0x3096 | 0x309D | 0x309E => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Turns key columns of buffers into comparable rows.
#[derive(Debug)]
pub struct KeyEncoder {
    keys: Vec<KeyColumn>,
    converter: RowConverter,
}

impl KeyEncoder {
    /// An encoder for `keys`; refuses types that cannot be compared and flags that do not apply.
    pub fn new(keys: Vec<KeyColumn>) -> Result<KeyEncoder, CollationError> {
        let mut fields = Vec::with_capacity(keys.len());
        for k in &keys {
            if !comparable(&k.data_type) {
                return Err(CollationError::NotComparable(k.data_type));
            }
            check_flags(&k.data_type, k.flags)?;
            fields.push(SortField::new_with_options(
                arrow_type(&k.data_type),
                SortOptions {
                    descending: k.descending,
                    nulls_first: !k.descending,
                },
            ));
        }
        let converter = RowConverter::new(fields)?;
        Ok(KeyEncoder { keys, converter })
    }

    pub fn keys(&self) -> &[KeyColumn] {
        &self.keys
    }

    /// The key rows of a buffer's `columns`.
    pub fn rows(&self, columns: &[ArrayRef]) -> Result<Rows, CollationError> {
        let arrays: Vec<ArrayRef> = self
            .keys
            .iter()
            .map(|k| {
                let a = &columns[k.column];
                if k.flags & !SORT_STRINGSORT != 0 {
                    fold_array(a, k.flags)
                } else {
                    a.clone()
                }
            })
            .collect();
        Ok(self.converter.convert_columns(&arrays)?)
    }

    /// An empty row set of this encoder (to collect rows from several buffers).
    pub fn empty(&self) -> Rows {
        self.converter.empty_rows(0, 0)
    }
}

/// A string column with every value folded under `flags`.
fn fold_array(a: &ArrayRef, flags: u32) -> ArrayRef {
    let Some(s) = a.as_any().downcast_ref::<StringArray>() else {
        return a.clone();
    };
    let folded: StringArray = s.iter().map(|v| v.map(|v| fold(v, flags))).collect();
    std::sync::Arc::new(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::Int32Array;

    #[test]
    fn flags_fold_as_their_names_say() {
        assert_eq!(fold("ÀbC", IGNORE_CASE), "àbc");
        assert_eq!(fold("Crème Brûlée", IGNORE_NONSPACE), "Creme Brulee");
        assert_eq!(fold("a-b.c d", IGNORE_SYMBOLS), "abc d");
        assert_eq!(fold("カタカナ", IGNORE_KANA), "かたかな");
        assert_eq!(fold("ＡＢＣ１　x", IGNORE_WIDTH), "ABC1 x");
        assert_eq!(fold("ｶﾀｶﾅ", IGNORE_WIDTH | IGNORE_KANA), "かたかな");
        assert_eq!(fold("Same", SORT_STRINGSORT), "Same");
        assert!(check_flags(&DataType::I4, IGNORE_CASE).is_err());
        assert!(check_flags(&DataType::WStr { len: 5 }, 0x8).is_err());
    }

    #[test]
    fn rows_order_nulls_first_ascending_and_last_descending() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(3), None, Some(1)]));
        let enc = KeyEncoder::new(vec![KeyColumn {
            column: 0,
            data_type: DataType::I4,
            descending: false,
            flags: 0,
        }])
        .expect("encoder");
        let r = enc.rows(std::slice::from_ref(&a)).expect("rows");
        assert!(r.row(1) < r.row(2) && r.row(2) < r.row(0));
        let enc = KeyEncoder::new(vec![KeyColumn {
            column: 0,
            data_type: DataType::I4,
            descending: true,
            flags: 0,
        }])
        .expect("encoder");
        let r = enc.rows(&[a]).expect("rows");
        assert!(r.row(0) < r.row(2) && r.row(2) < r.row(1));
        assert!(KeyEncoder::new(vec![KeyColumn {
            column: 0,
            data_type: DataType::Image,
            descending: false,
            flags: 0
        }])
        .is_err());
    }

    #[test]
    fn ignore_case_makes_keys_equal() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["Apple", "aPPLE", "banana"]));
        let enc = KeyEncoder::new(vec![KeyColumn {
            column: 0,
            data_type: DataType::WStr { len: 10 },
            descending: false,
            flags: IGNORE_CASE,
        }])
        .expect("encoder");
        let r = enc.rows(&[a]).expect("rows");
        assert_eq!(r.row(0), r.row(1));
        assert!(r.row(1) < r.row(2));
    }
}
