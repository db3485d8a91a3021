//! The SSIS data types (`DT_…`): their parameters, their names, the codes variables, columns
//! and metadata use for them, and the classification helpers the expression type checker needs
//! (numeric, integer, string, date…). It must not hold values or convert them; that is
//! `value.rs` and `convert.rs`.

use std::fmt;

use super::error::TypeBuildError;

/// Every SSIS data type. String lengths of `0` mean "length not known" (e.g. string variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Empty,
    Null,
    Bool,
    I1,
    I2,
    I4,
    I8,
    UI1,
    UI2,
    UI4,
    UI8,
    R4,
    R8,
    Cy,
    Decimal { scale: u8 },
    Numeric { precision: u8, scale: u8 },
    Str { len: u32, code_page: u32 },
    WStr { len: u32 },
    Date,
    DbDate,
    DbTime,
    DbTime2 { scale: u8 },
    DbTimestamp,
    DbTimestamp2 { scale: u8 },
    DbTimestampOffset { scale: u8 },
    FileTime,
    Guid,
    Bytes { len: u32 },
    Image,
    Text { code_page: u32 },
    NText,
    Object,
}

/// Largest precision of DT_NUMERIC.
pub const MAX_NUMERIC_PRECISION: u8 = 38;
/// Largest scale of DT_DECIMAL (its precision is fixed at 29).
pub const MAX_DECIMAL_SCALE: u8 = 28;
/// Precision of DT_DECIMAL.
pub const DECIMAL_PRECISION: u8 = 29;
/// Scale of DT_CY.
pub const CY_SCALE: u8 = 4;

impl DataType {
    /// The type of a variable from its `DTS:DataType` code.
    pub fn from_variable_code(code: i32) -> Option<DataType> {
        Some(match code {
            2 => DataType::I2,
            3 => DataType::I4,
            4 => DataType::R4,
            5 => DataType::R8,
            6 => DataType::Cy,
            7 => DataType::Date,
            8 => DataType::WStr { len: 0 },
            11 => DataType::Bool,
            13 => DataType::Object,
            // A .NET Decimal variable; each value carries its own scale, the nominal one is 10.
            14 => DataType::Decimal { scale: 10 },
            16 => DataType::I1,
            17 => DataType::UI1,
            18 => DataType::UI2,
            19 => DataType::UI4,
            20 => DataType::I8,
            21 => DataType::UI8,
            _ => return None,
        })
    }

    /// The type from a data-flow metadata `DataType` enum value (with default parameters).
    pub fn from_metadata_code(code: i32) -> Option<DataType> {
        Some(match code {
            0 => DataType::Empty,
            1 => DataType::Null,
            64 => DataType::FileTime,
            72 => DataType::Guid,
            128 => DataType::Bytes { len: 0 },
            129 => DataType::Str {
                len: 0,
                code_page: 1252,
            },
            130 => DataType::WStr { len: 0 },
            131 => DataType::Numeric {
                precision: 18,
                scale: 0,
            },
            133 => DataType::DbDate,
            134 => DataType::DbTime,
            135 => DataType::DbTimestamp,
            145 => DataType::DbTime2 { scale: 7 },
            146 => DataType::DbTimestampOffset { scale: 7 },
            301 => DataType::Image,
            302 => DataType::Text { code_page: 1252 },
            303 => DataType::NText,
            304 => DataType::DbTimestamp2 { scale: 7 },
            14 => DataType::Decimal { scale: 0 },
            other => return DataType::from_variable_code(other),
        })
    }

    /// The SSIS name without parameters, e.g. `DT_WSTR`.
    pub fn name(&self) -> String {
        self.static_name().to_string()
    }

    /// The SSIS name without parameters, borrowed.
    pub fn static_name(&self) -> &'static str {
        match self {
            DataType::Empty => "DT_EMPTY",
            DataType::Null => "DT_NULL",
            DataType::Bool => "DT_BOOL",
            DataType::I1 => "DT_I1",
            DataType::I2 => "DT_I2",
            DataType::I4 => "DT_I4",
            DataType::I8 => "DT_I8",
            DataType::UI1 => "DT_UI1",
            DataType::UI2 => "DT_UI2",
            DataType::UI4 => "DT_UI4",
            DataType::UI8 => "DT_UI8",
            DataType::R4 => "DT_R4",
            DataType::R8 => "DT_R8",
            DataType::Cy => "DT_CY",
            DataType::Decimal { .. } => "DT_DECIMAL",
            DataType::Numeric { .. } => "DT_NUMERIC",
            DataType::Str { .. } => "DT_STR",
            DataType::WStr { .. } => "DT_WSTR",
            DataType::Date => "DT_DATE",
            DataType::DbDate => "DT_DBDATE",
            DataType::DbTime => "DT_DBTIME",
            DataType::DbTime2 { .. } => "DT_DBTIME2",
            DataType::DbTimestamp => "DT_DBTIMESTAMP",
            DataType::DbTimestamp2 { .. } => "DT_DBTIMESTAMP2",
            DataType::DbTimestampOffset { .. } => "DT_DBTIMESTAMPOFFSET",
            DataType::FileTime => "DT_FILETIME",
            DataType::Guid => "DT_GUID",
            DataType::Bytes { .. } => "DT_BYTES",
            DataType::Image => "DT_IMAGE",
            DataType::Text { .. } => "DT_TEXT",
            DataType::NText => "DT_NTEXT",
            DataType::Object => "DT_OBJECT",
        }
    }

    pub fn is_signed_int(&self) -> bool {
        matches!(
            self,
            DataType::I1 | DataType::I2 | DataType::I4 | DataType::I8
        )
    }

    pub fn is_unsigned_int(&self) -> bool {
        matches!(
            self,
            DataType::UI1 | DataType::UI2 | DataType::UI4 | DataType::UI8
        )
    }

    pub fn is_integer(&self) -> bool {
        self.is_signed_int() || self.is_unsigned_int()
    }

    pub fn is_float(&self) -> bool {
        matches!(self, DataType::R4 | DataType::R8)
    }

    /// Fixed-point types: DT_CY, DT_DECIMAL, DT_NUMERIC.
    pub fn is_fixed(&self) -> bool {
        matches!(
            self,
            DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. }
        )
    }

    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float() || self.is_fixed()
    }

    /// Types valid for string functions and concatenation.
    pub fn is_string(&self) -> bool {
        matches!(self, DataType::Str { .. } | DataType::WStr { .. })
    }

    pub fn is_date(&self) -> bool {
        matches!(
            self,
            DataType::Date
                | DataType::DbDate
                | DataType::DbTime
                | DataType::DbTime2 { .. }
                | DataType::DbTimestamp
                | DataType::DbTimestamp2 { .. }
                | DataType::DbTimestampOffset { .. }
                | DataType::FileTime
        )
    }

    /// Time-only types.
    pub fn is_time_only(&self) -> bool {
        matches!(self, DataType::DbTime | DataType::DbTime2 { .. })
    }

    pub fn is_blob(&self) -> bool {
        matches!(
            self,
            DataType::Image | DataType::Text { .. } | DataType::NText
        )
    }

    /// Byte size of an integer type.
    pub fn int_size(&self) -> Option<u8> {
        Some(match self {
            DataType::I1 | DataType::UI1 => 1,
            DataType::I2 | DataType::UI2 => 2,
            DataType::I4 | DataType::UI4 => 4,
            DataType::I8 | DataType::UI8 => 8,
            _ => return None,
        })
    }

    /// Signed integer type of a byte size.
    pub fn signed_of_size(size: u8) -> DataType {
        match size {
            1 => DataType::I1,
            2 => DataType::I2,
            4 => DataType::I4,
            _ => DataType::I8,
        }
    }

    /// Unsigned integer type of a byte size.
    pub fn unsigned_of_size(size: u8) -> DataType {
        match size {
            1 => DataType::UI1,
            2 => DataType::UI2,
            4 => DataType::UI4,
            _ => DataType::UI8,
        }
    }

    /// (precision, scale) of a fixed-point or integer type seen as DT_NUMERIC.
    pub fn as_numeric_shape(&self) -> Option<(u8, u8)> {
        Some(match self {
            DataType::I1 | DataType::UI1 => (3, 0),
            DataType::I2 | DataType::UI2 => (5, 0),
            DataType::I4 | DataType::UI4 => (10, 0),
            DataType::I8 => (19, 0),
            DataType::UI8 => (20, 0),
            DataType::Cy => (19, CY_SCALE),
            DataType::Decimal { scale } => (DECIMAL_PRECISION, *scale),
            DataType::Numeric { precision, scale } => (*precision, *scale),
            _ => return None,
        })
    }

    /// Length in characters of a string type (0 when unknown).
    pub fn string_len(&self) -> u32 {
        match self {
            DataType::Str { len, .. } | DataType::WStr { len } | DataType::Bytes { len } => *len,
            _ => 0,
        }
    }
}

impl fmt::Display for DataType {
    /// The type as written in a cast, e.g. `DT_WSTR, 20` without the parentheses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.static_name();
        match self {
            DataType::Decimal { scale } => write!(f, "{name},{scale}"),
            DataType::Numeric { precision, scale } => write!(f, "{name},{precision},{scale}"),
            DataType::Str { len, code_page } => write!(f, "{name},{len},{code_page}"),
            DataType::WStr { len } | DataType::Bytes { len } => write!(f, "{name},{len}"),
            DataType::Text { code_page } => write!(f, "{name},{code_page}"),
            DataType::DbTime2 { scale }
            | DataType::DbTimestamp2 { scale }
            | DataType::DbTimestampOffset { scale } => write!(f, "{name},{scale}"),
            _ => f.write_str(name),
        }
    }
}

/// Parameter layout of a `DT_` name written in a cast or `NULL(…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeParams {
    None,
    /// DT_STR: length, code page.
    LenCodePage,
    /// DT_WSTR, DT_BYTES: length.
    Len,
    /// DT_DECIMAL: scale.
    Scale,
    /// DT_NUMERIC: precision, scale.
    PrecisionScale,
    /// DT_TEXT: code page.
    CodePage,
    /// DT_DBTIME2, DT_DBTIMESTAMP2, DT_DBTIMESTAMPOFFSET: fractional digits.
    Fraction,
}

/// Looks up a `DT_` name (any letter case) and its parameter layout.
pub fn type_name_params(name: &str) -> Option<TypeParams> {
    let upper = name.to_ascii_uppercase();
    Some(match upper.as_str() {
        "DT_STR" => TypeParams::LenCodePage,
        "DT_WSTR" | "DT_BYTES" => TypeParams::Len,
        "DT_DECIMAL" => TypeParams::Scale,
        "DT_NUMERIC" => TypeParams::PrecisionScale,
        "DT_TEXT" => TypeParams::CodePage,
        "DT_DBTIME2" | "DT_DBTIMESTAMP2" | "DT_DBTIMESTAMPOFFSET" => TypeParams::Fraction,
        "DT_BOOL" | "DT_I1" | "DT_I2" | "DT_I4" | "DT_I8" | "DT_UI1" | "DT_UI2" | "DT_UI4"
        | "DT_UI8" | "DT_R4" | "DT_R8" | "DT_CY" | "DT_DATE" | "DT_DBDATE" | "DT_DBTIME"
        | "DT_DBTIMESTAMP" | "DT_FILETIME" | "DT_GUID" | "DT_IMAGE" | "DT_NTEXT" => {
            TypeParams::None
        }
        _ => return None,
    })
}

/// Builds the type from a `DT_` name and its already validated parameters.
/// Returns a message when a parameter is out of range.
pub fn build_type(name: &str, params: &[i64]) -> Result<DataType, TypeBuildError> {
    let upper = name.to_ascii_uppercase();
    let p = |i: usize| params.get(i).copied().unwrap_or(0);
    let ranged = |v: i64, lo: i64, hi: i64, what: &'static str| -> Result<i64, TypeBuildError> {
        if v < lo || v > hi {
            Err(TypeBuildError::OutOfRange {
                what,
                value: v,
                type_name: upper.clone(),
                min: lo,
                max: hi,
            })
        } else {
            Ok(v)
        }
    };
    Ok(match upper.as_str() {
        "DT_BOOL" => DataType::Bool,
        "DT_I1" => DataType::I1,
        "DT_I2" => DataType::I2,
        "DT_I4" => DataType::I4,
        "DT_I8" => DataType::I8,
        "DT_UI1" => DataType::UI1,
        "DT_UI2" => DataType::UI2,
        "DT_UI4" => DataType::UI4,
        "DT_UI8" => DataType::UI8,
        "DT_R4" => DataType::R4,
        "DT_R8" => DataType::R8,
        "DT_CY" => DataType::Cy,
        "DT_DATE" => DataType::Date,
        "DT_DBDATE" => DataType::DbDate,
        "DT_DBTIME" => DataType::DbTime,
        "DT_DBTIMESTAMP" => DataType::DbTimestamp,
        "DT_FILETIME" => DataType::FileTime,
        "DT_GUID" => DataType::Guid,
        "DT_IMAGE" => DataType::Image,
        "DT_NTEXT" => DataType::NText,
        "DT_STR" => DataType::Str {
            len: ranged(p(0), 1, 8000, "length")? as u32,
            code_page: ranged(p(1), 0, 65535, "code page")? as u32,
        },
        "DT_WSTR" => DataType::WStr {
            len: ranged(p(0), 1, 4000, "length")? as u32,
        },
        "DT_BYTES" => DataType::Bytes {
            len: ranged(p(0), 1, 8000, "length")? as u32,
        },
        "DT_DECIMAL" => DataType::Decimal {
            scale: ranged(p(0), 0, MAX_DECIMAL_SCALE as i64, "scale")? as u8,
        },
        "DT_NUMERIC" => {
            let precision = ranged(p(0), 1, 38, "precision")? as u8;
            let scale = ranged(p(1), 0, precision as i64, "scale")? as u8;
            DataType::Numeric { precision, scale }
        }
        "DT_TEXT" => DataType::Text {
            code_page: ranged(p(0), 0, 65535, "code page")? as u32,
        },
        "DT_DBTIME2" => DataType::DbTime2 {
            scale: ranged(p(0), 0, 7, "scale")? as u8,
        },
        "DT_DBTIMESTAMP2" => DataType::DbTimestamp2 {
            scale: ranged(p(0), 0, 7, "scale")? as u8,
        },
        "DT_DBTIMESTAMPOFFSET" => DataType::DbTimestampOffset {
            scale: ranged(p(0), 0, 7, "scale")? as u8,
        },
        _ => return Err(TypeBuildError::UnknownType(name.to_string())),
    })
}

/// Number of parameters of a layout.
pub fn param_count(params: TypeParams) -> usize {
    match params {
        TypeParams::None => 0,
        TypeParams::Len | TypeParams::Scale | TypeParams::CodePage | TypeParams::Fraction => 1,
        TypeParams::LenCodePage | TypeParams::PrecisionScale => 2,
    }
}

/// The parameters a column declares beside its type: `length`, `precision`, `scale` and
/// `codePage` attributes of pipeline columns, or `MaximumWidth`, `DataPrecision`, `DataScale` and
/// the file's code page of flat-file columns. Zero means "not written".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnShape {
    pub length: u32,
    pub precision: u8,
    pub scale: u8,
    pub code_page: u32,
}

impl DataType {
    /// The type of a pipeline column from its short `dataType` name (`str`, `wstr`, `i4`,
    /// `numeric`, `dbTimeStamp`, …; any letter case) and its shape.
    pub fn from_pipeline_name(name: &str, shape: ColumnShape) -> Option<DataType> {
        let code = match name.to_ascii_lowercase().as_str() {
            "empty" => 0,
            "null" => 1,
            "i2" => 2,
            "i4" => 3,
            "r4" => 4,
            "r8" => 5,
            "cy" => 6,
            "date" => 7,
            "bool" => 11,
            "decimal" => 14,
            "i1" => 16,
            "ui1" => 17,
            "ui2" => 18,
            "ui4" => 19,
            "i8" => 20,
            "ui8" => 21,
            "filetime" => 64,
            "guid" => 72,
            "bytes" => 128,
            "str" => 129,
            "wstr" => 130,
            "numeric" => 131,
            "dbdate" => 133,
            "dbtime" => 134,
            "dbtimestamp" => 135,
            "dbtime2" => 145,
            "dbtimestampoffset" => 146,
            "image" => 301,
            "text" => 302,
            "ntext" => 303,
            "dbtimestamp2" => 304,
            _ => return None,
        };
        DataType::from_metadata_code_shaped(code, shape)
    }

    /// The type from a data-flow `DataType` enum value (flat-file and cache columns) and the
    /// column's shape. A DT_STR or DT_TEXT without a code page gets 1252.
    pub fn from_metadata_code_shaped(code: i32, shape: ColumnShape) -> Option<DataType> {
        let cp = if shape.code_page == 0 {
            1252
        } else {
            shape.code_page
        };
        Some(match DataType::from_metadata_code(code)? {
            DataType::Str { .. } => DataType::Str {
                len: shape.length,
                code_page: cp,
            },
            DataType::Text { .. } => DataType::Text { code_page: cp },
            DataType::WStr { .. } => DataType::WStr { len: shape.length },
            DataType::Bytes { .. } => DataType::Bytes { len: shape.length },
            DataType::Numeric { .. } => DataType::Numeric {
                precision: if shape.precision == 0 {
                    18
                } else {
                    shape.precision.min(MAX_NUMERIC_PRECISION)
                },
                scale: shape.scale,
            },
            DataType::Decimal { .. } => DataType::Decimal {
                scale: shape.scale.min(MAX_DECIMAL_SCALE),
            },
            DataType::DbTime2 { .. } => DataType::DbTime2 {
                scale: shape.scale.min(7),
            },
            DataType::DbTimestamp2 { .. } => DataType::DbTimestamp2 {
                scale: shape.scale.min(7),
            },
            DataType::DbTimestampOffset { .. } => DataType::DbTimestampOffset {
                scale: shape.scale.min(7),
            },
            t => t,
        })
    }

    /// The data-flow `DataType` enum value of the type (129 for DT_STR, …).
    pub fn metadata_code(&self) -> i32 {
        match self {
            DataType::Empty => 0,
            DataType::Null => 1,
            DataType::I2 => 2,
            DataType::I4 => 3,
            DataType::R4 => 4,
            DataType::R8 => 5,
            DataType::Cy => 6,
            DataType::Date => 7,
            DataType::Bool => 11,
            DataType::Object => 13,
            DataType::Decimal { .. } => 14,
            DataType::I1 => 16,
            DataType::UI1 => 17,
            DataType::UI2 => 18,
            DataType::UI4 => 19,
            DataType::I8 => 20,
            DataType::UI8 => 21,
            DataType::FileTime => 64,
            DataType::Guid => 72,
            DataType::Bytes { .. } => 128,
            DataType::Str { .. } => 129,
            DataType::WStr { .. } => 130,
            DataType::Numeric { .. } => 131,
            DataType::DbDate => 133,
            DataType::DbTime => 134,
            DataType::DbTimestamp => 135,
            DataType::DbTime2 { .. } => 145,
            DataType::DbTimestampOffset { .. } => 146,
            DataType::Image => 301,
            DataType::Text { .. } => 302,
            DataType::NText => 303,
            DataType::DbTimestamp2 { .. } => 304,
        }
    }
}

#[cfg(test)]
mod pipeline_name_tests {
    use super::*;

    #[test]
    fn pipeline_names_carry_their_shape() {
        let shape = ColumnShape {
            length: 50,
            precision: 12,
            scale: 2,
            code_page: 1251,
        };
        assert_eq!(
            DataType::from_pipeline_name("str", shape),
            Some(DataType::Str {
                len: 50,
                code_page: 1251
            })
        );
        assert_eq!(
            DataType::from_pipeline_name("numeric", shape),
            Some(DataType::Numeric {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(
            DataType::from_pipeline_name("dbTimeStamp", shape),
            Some(DataType::DbTimestamp)
        );
        assert_eq!(
            DataType::from_pipeline_name("nText", shape),
            Some(DataType::NText)
        );
        assert_eq!(DataType::from_pipeline_name("variant", shape), None);
        for code in [
            2, 3, 4, 5, 6, 7, 11, 14, 16, 17, 18, 19, 20, 21, 72, 128, 129, 130, 131, 133, 134,
            135, 145, 146, 301, 302, 303, 304,
        ] {
            let t = DataType::from_metadata_code_shaped(code, shape).expect("known code");
            assert_eq!(t.metadata_code(), code);
        }
    }
}
