//! Which DT_* type SSIS gives a database column: from SQL Server's type names (as
//! `sp_describe_first_result_set` and the catalog give them, with length, precision and scale),
//! from the TDS column types a result set announces, and from ODBC SQL types (as
//! `SQLDescribeCol` gives them). SQL Server follows SSIS's mapping for the OLE DB providers
//! (bit→DT_BOOL, tinyint→DT_UI1, money→DT_CY, datetime→DT_DBTIMESTAMP, datetime2→
//! DT_DBTIMESTAMP2, char/varchar→DT_STR, nvarchar→DT_WSTR, the `max` and legacy LOB types→
//! DT_TEXT/DT_NTEXT/DT_IMAGE…), with SqlClient's Unicode strings for ADO.NET; ODBC follows
//! the ODBC Source (signedness from `SQL_DESC_UNSIGNED`, timestamps with more than three
//! fractional digits → DT_DBTIMESTAMP2, character columns as DT_STR unless exposed as Unicode,
//! lengths over the DT_STR/DT_WSTR/DT_BYTES limits → the LOB types). A type with no mapping
//! is `None`; sources then fall back to DT_WSTR as SSIS does (0x8020400D). Pure functions; no
//! values are converted here.

use ssisd_engine::types::DataType;

/// Longest DT_STR and DT_BYTES (bytes).
pub const MAX_STR_LEN: u32 = 8000;
/// Longest DT_WSTR (characters).
pub const MAX_WSTR_LEN: u32 = 4000;

/// How character columns are typed: DT_STR in `code_page`, or Unicode (DT_WSTR/DT_NTEXT) —
/// ADO.NET and an ODBC Source with `ExposeCharColumnsAsUnicode` expose them as Unicode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharTypes {
    pub code_page: u32,
    pub unicode: bool,
}

impl CharTypes {
    /// OLE DB sources: DT_STR in the default code page (1252 unless the component says).
    pub const OLE_DB: CharTypes = CharTypes {
        code_page: 1252,
        unicode: false,
    };
    /// ADO.NET sources: every string is Unicode.
    pub const ADO_NET: CharTypes = CharTypes {
        code_page: 1252,
        unicode: true,
    };
    /// ODBC sources (`ExposeCharColumnsAsUnicode` false): DT_STR in the default code page.
    pub const ODBC: CharTypes = CharTypes {
        code_page: 1252,
        unicode: false,
    };

    fn chars(self, len: Option<u32>) -> DataType {
        match (self.unicode, len) {
            (false, Some(n)) if n <= MAX_STR_LEN => DataType::Str {
                len: n,
                code_page: self.code_page,
            },
            (false, _) => DataType::Text {
                code_page: self.code_page,
            },
            (true, Some(n)) if n <= MAX_WSTR_LEN => DataType::WStr { len: n },
            (true, _) => DataType::NText,
        }
    }
}

fn wide(len: Option<u32>) -> DataType {
    match len {
        Some(n) if n <= MAX_WSTR_LEN => DataType::WStr { len: n },
        _ => DataType::NText,
    }
}

fn bytes(len: Option<u32>) -> DataType {
    match len {
        Some(n) if n <= MAX_STR_LEN => DataType::Bytes { len: n },
        _ => DataType::Image,
    }
}

fn numeric(precision: i64, scale: i64) -> DataType {
    let precision = precision.clamp(1, 38) as u8;
    let scale = scale.clamp(0, i64::from(precision)) as u8;
    DataType::Numeric { precision, scale }
}

/// A SQL Server column by its type name (`nvarchar`, or `nvarchar(50)` as
/// `sp_describe_first_result_set` writes it), its `max_length` in bytes (`-1` for `max`),
/// precision and scale.
pub fn sql_server(
    type_name: &str,
    max_length: i32,
    precision: u8,
    scale: u8,
    chars: CharTypes,
) -> Option<DataType> {
    let base = type_name
        .split('(')
        .next()
        .unwrap_or(type_name)
        .trim()
        .to_ascii_lowercase();
    let len = (max_length >= 0).then_some(max_length as u32);
    Some(match base.as_str() {
        "bit" => DataType::Bool,
        "tinyint" => DataType::UI1,
        "smallint" => DataType::I2,
        "int" => DataType::I4,
        "bigint" => DataType::I8,
        "real" => DataType::R4,
        "float" if precision > 0 && precision <= 24 => DataType::R4,
        "float" => DataType::R8,
        "money" | "smallmoney" => DataType::Cy,
        "decimal" | "numeric" => numeric(i64::from(precision), i64::from(scale)),
        "date" => DataType::DbDate,
        "time" => DataType::DbTime2 {
            scale: scale.min(7),
        },
        "datetime" | "smalldatetime" => DataType::DbTimestamp,
        "datetime2" => DataType::DbTimestamp2 {
            scale: scale.min(7),
        },
        "datetimeoffset" => DataType::DbTimestampOffset {
            scale: scale.min(7),
        },
        "uniqueidentifier" => DataType::Guid,
        "char" | "varchar" => chars.chars(len),
        "text" => chars.chars(None),
        "nchar" | "nvarchar" => wide(len.map(|b| b / 2)),
        "sysname" => DataType::WStr { len: 128 },
        "ntext" => DataType::NText,
        // An unbounded xml value cannot be a DT_WSTR (at most 4000 characters).
        "xml" => DataType::NText,
        "sql_variant" => DataType::WStr { len: MAX_WSTR_LEN },
        "binary" | "varbinary" => bytes(len),
        "timestamp" | "rowversion" => DataType::Bytes { len: 8 },
        "image" => DataType::Image,
        // CLR types travel as their serialized bytes.
        "hierarchyid" | "geometry" | "geography" => DataType::Image,
        _ => return None,
    })
}

/// A column of a TDS result set by the type its metadata announces. TDS metadata gives no
/// lengths, precisions or scales to tiberius' callers: strings and bytes get length 0
/// ("not known"), decimals DT_NUMERIC(38, 0) with each value keeping its own scale, times
/// the largest scale. [`crate::tds::describe`] gives the exact types.
pub fn tds(column_type: tiberius::ColumnType, chars: CharTypes) -> DataType {
    use tiberius::ColumnType as C;
    match column_type {
        C::Null => DataType::Null,
        C::Bit | C::Bitn => DataType::Bool,
        C::Int1 => DataType::UI1,
        C::Int2 => DataType::I2,
        C::Int4 | C::Intn => DataType::I4,
        C::Int8 => DataType::I8,
        C::Float4 => DataType::R4,
        C::Float8 | C::Floatn => DataType::R8,
        C::Money | C::Money4 => DataType::Cy,
        C::Datetime4 | C::Datetime | C::Datetimen => DataType::DbTimestamp,
        C::Daten => DataType::DbDate,
        C::Timen => DataType::DbTime2 { scale: 7 },
        C::Datetime2 => DataType::DbTimestamp2 { scale: 7 },
        C::DatetimeOffsetn => DataType::DbTimestampOffset { scale: 7 },
        C::Guid => DataType::Guid,
        C::Decimaln | C::Numericn => DataType::Numeric {
            precision: 38,
            scale: 0,
        },
        C::BigVarChar | C::BigChar => chars.chars(Some(0)),
        C::Text => chars.chars(None),
        C::NVarchar | C::NChar => DataType::WStr { len: 0 },
        C::NText | C::Xml => DataType::NText,
        C::BigVarBin | C::BigBinary => DataType::Bytes { len: 0 },
        C::Image | C::Udt => DataType::Image,
        C::SSVariant => DataType::WStr { len: MAX_WSTR_LEN },
    }
}

/// The readable name of a TDS column type.
pub fn tds_type_name(column_type: tiberius::ColumnType) -> String {
    format!("{column_type:?}")
}

/// An ODBC column by its SQL type and `SQL_DESC_UNSIGNED`.
pub fn odbc(data_type: odbc_api::DataType, unsigned: bool, chars: CharTypes) -> Option<DataType> {
    use odbc_api::DataType as D;
    let len =
        |l: Option<std::num::NonZeroUsize>| l.map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX));
    Some(match data_type {
        D::Bit => DataType::Bool,
        D::TinyInt if unsigned => DataType::UI1,
        D::TinyInt => DataType::I1,
        D::SmallInt if unsigned => DataType::UI2,
        D::SmallInt => DataType::I2,
        D::Integer if unsigned => DataType::UI4,
        D::Integer => DataType::I4,
        D::BigInt if unsigned => DataType::UI8,
        D::BigInt => DataType::I8,
        D::Real => DataType::R4,
        D::Float { precision } if precision > 0 && precision <= 24 => DataType::R4,
        D::Float { .. } | D::Double => DataType::R8,
        D::Numeric { precision, scale } | D::Decimal { precision, scale } => {
            numeric(precision as i64, i64::from(scale))
        }
        D::Date => DataType::DbDate,
        D::Time { precision } if precision > 0 => DataType::DbTime2 {
            scale: precision.clamp(0, 7) as u8,
        },
        D::Time { .. } => DataType::DbTime,
        D::Timestamp { precision } if precision <= 3 => DataType::DbTimestamp,
        D::Timestamp { precision } => DataType::DbTimestamp2 {
            scale: precision.clamp(0, 7) as u8,
        },
        D::Char { length } | D::Varchar { length } => chars.chars(len(length)),
        D::LongVarchar { .. } => chars.chars(None),
        D::WChar { length } | D::WVarchar { length } => wide(len(length)),
        D::WLongVarchar { .. } => DataType::NText,
        D::Binary { length } | D::Varbinary { length } => bytes(len(length)),
        D::LongVarbinary { .. } => DataType::Image,
        D::Other {
            data_type,
            column_size,
            decimal_digits,
        } => match data_type.0 {
            // SQL_GUID
            -11 => DataType::Guid,
            // SQL_SS_TIME2 and SQL_SS_TIMESTAMPOFFSET (SQL Server's ODBC driver)
            -154 => DataType::DbTime2 {
                scale: decimal_digits.clamp(0, 7) as u8,
            },
            -155 => DataType::DbTimestampOffset {
                scale: decimal_digits.clamp(0, 7) as u8,
            },
            // SQL_SS_XML
            -152 => DataType::NText,
            // SQL_INTERVAL_* (101–113): their text form.
            101..=113 => DataType::WStr {
                len: len(column_size).unwrap_or(64).min(MAX_WSTR_LEN),
            },
            _ => return None,
        },
        D::Unknown => return None,
    })
}

/// The readable name of an ODBC SQL type (`SQL_WVARCHAR(50)`).
pub fn odbc_type_name(data_type: odbc_api::DataType) -> String {
    use odbc_api::DataType as D;
    let sized = |name: &str, l: Option<std::num::NonZeroUsize>| match l {
        Some(n) => format!("{name}({n})"),
        None => name.to_string(),
    };
    match data_type {
        D::Unknown => "SQL_UNKNOWN_TYPE".into(),
        D::Char { length } => sized("SQL_CHAR", length),
        D::WChar { length } => sized("SQL_WCHAR", length),
        D::Varchar { length } => sized("SQL_VARCHAR", length),
        D::WVarchar { length } => sized("SQL_WVARCHAR", length),
        D::LongVarchar { length } => sized("SQL_LONGVARCHAR", length),
        D::WLongVarchar { length } => sized("SQL_WLONGVARCHAR", length),
        D::Binary { length } => sized("SQL_BINARY", length),
        D::Varbinary { length } => sized("SQL_VARBINARY", length),
        D::LongVarbinary { length } => sized("SQL_LONGVARBINARY", length),
        D::Numeric { precision, scale } => format!("SQL_NUMERIC({precision},{scale})"),
        D::Decimal { precision, scale } => format!("SQL_DECIMAL({precision},{scale})"),
        D::Integer => "SQL_INTEGER".into(),
        D::SmallInt => "SQL_SMALLINT".into(),
        D::TinyInt => "SQL_TINYINT".into(),
        D::BigInt => "SQL_BIGINT".into(),
        D::Float { precision } => format!("SQL_FLOAT({precision})"),
        D::Real => "SQL_REAL".into(),
        D::Double => "SQL_DOUBLE".into(),
        D::Bit => "SQL_BIT".into(),
        D::Date => "SQL_TYPE_DATE".into(),
        D::Time { precision } => format!("SQL_TYPE_TIME({precision})"),
        D::Timestamp { precision } => format!("SQL_TYPE_TIMESTAMP({precision})"),
        D::Other { data_type, .. } => format!("SQL type {}", data_type.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;

    fn ss(name: &str, len: i32, p: u8, s: u8) -> Option<DataType> {
        sql_server(name, len, p, s, CharTypes::OLE_DB)
    }

    #[test]
    fn sql_server_types_as_the_ole_db_source_types_them() {
        assert_eq!(ss("bit", 1, 1, 0), Some(DataType::Bool));
        assert_eq!(ss("tinyint", 1, 3, 0), Some(DataType::UI1));
        assert_eq!(ss("smallint", 2, 5, 0), Some(DataType::I2));
        assert_eq!(ss("int", 4, 10, 0), Some(DataType::I4));
        assert_eq!(ss("bigint", 8, 19, 0), Some(DataType::I8));
        assert_eq!(ss("real", 4, 24, 0), Some(DataType::R4));
        assert_eq!(ss("float", 8, 53, 0), Some(DataType::R8));
        assert_eq!(ss("money", 8, 19, 4), Some(DataType::Cy));
        assert_eq!(ss("smallmoney", 4, 10, 4), Some(DataType::Cy));
        assert_eq!(
            ss("decimal(18,2)", 9, 18, 2),
            Some(DataType::Numeric {
                precision: 18,
                scale: 2
            })
        );
        assert_eq!(ss("date", 3, 10, 0), Some(DataType::DbDate));
        assert_eq!(
            ss("time(3)", 4, 12, 3),
            Some(DataType::DbTime2 { scale: 3 })
        );
        assert_eq!(ss("datetime", 8, 23, 3), Some(DataType::DbTimestamp));
        assert_eq!(ss("smalldatetime", 4, 16, 0), Some(DataType::DbTimestamp));
        assert_eq!(
            ss("datetime2(7)", 8, 27, 7),
            Some(DataType::DbTimestamp2 { scale: 7 })
        );
        assert_eq!(
            ss("datetimeoffset(2)", 10, 26, 2),
            Some(DataType::DbTimestampOffset { scale: 2 })
        );
        assert_eq!(ss("uniqueidentifier", 16, 0, 0), Some(DataType::Guid));
        assert_eq!(
            ss("varchar(20)", 20, 0, 0),
            Some(DataType::Str {
                len: 20,
                code_page: 1252
            })
        );
        assert_eq!(
            ss("varchar(max)", -1, 0, 0),
            Some(DataType::Text { code_page: 1252 })
        );
        assert_eq!(
            ss("text", 16, 0, 0),
            Some(DataType::Text { code_page: 1252 })
        );
        assert_eq!(
            ss("nvarchar(50)", 100, 0, 0),
            Some(DataType::WStr { len: 50 })
        );
        assert_eq!(
            ss("nchar(4000)", 8000, 0, 0),
            Some(DataType::WStr { len: 4000 })
        );
        assert_eq!(ss("nvarchar(max)", -1, 0, 0), Some(DataType::NText));
        assert_eq!(ss("ntext", 16, 0, 0), Some(DataType::NText));
        assert_eq!(ss("xml", -1, 0, 0), Some(DataType::NText));
        assert_eq!(
            ss("varbinary(16)", 16, 0, 0),
            Some(DataType::Bytes { len: 16 })
        );
        assert_eq!(ss("varbinary(max)", -1, 0, 0), Some(DataType::Image));
        assert_eq!(ss("timestamp", 8, 0, 0), Some(DataType::Bytes { len: 8 }));
        assert_eq!(ss("image", 16, 0, 0), Some(DataType::Image));
        assert_eq!(ss("sysname", 256, 0, 0), Some(DataType::WStr { len: 128 }));
        assert_eq!(ss("cursor", 0, 0, 0), None);
    }

    #[test]
    fn ado_net_reads_every_string_as_unicode() {
        let ado = |n, l| sql_server(n, l, 0, 0, CharTypes::ADO_NET);
        assert_eq!(ado("varchar(20)", 20), Some(DataType::WStr { len: 20 }));
        assert_eq!(ado("text", 16), Some(DataType::NText));
        assert_eq!(ado("nvarchar(10)", 20), Some(DataType::WStr { len: 10 }));
    }

    #[test]
    fn tds_column_types() {
        use tiberius::ColumnType as C;
        let t = |c| tds(c, CharTypes::OLE_DB);
        assert_eq!(t(C::Int4), DataType::I4);
        assert_eq!(t(C::Intn), DataType::I4);
        assert_eq!(t(C::Int1), DataType::UI1);
        assert_eq!(t(C::Bitn), DataType::Bool);
        assert_eq!(t(C::Money4), DataType::Cy);
        assert_eq!(t(C::Datetime2), DataType::DbTimestamp2 { scale: 7 });
        assert_eq!(t(C::NVarchar), DataType::WStr { len: 0 });
        assert_eq!(
            t(C::BigVarChar),
            DataType::Str {
                len: 0,
                code_page: 1252
            }
        );
        assert_eq!(
            tds(C::BigVarChar, CharTypes::ADO_NET),
            DataType::WStr { len: 0 }
        );
        assert_eq!(t(C::Xml), DataType::NText);
        assert_eq!(t(C::Image), DataType::Image);
        assert_eq!(tds_type_name(C::NVarchar), "NVarchar");
    }

    #[test]
    fn odbc_types_as_the_odbc_source_types_them() {
        use odbc_api::DataType as D;
        let n = |v: usize| NonZeroUsize::new(v);
        let o = |d, unsigned| odbc(d, unsigned, CharTypes::ODBC);
        assert_eq!(o(D::Integer, false), Some(DataType::I4));
        assert_eq!(o(D::Integer, true), Some(DataType::UI4));
        assert_eq!(o(D::TinyInt, true), Some(DataType::UI1));
        assert_eq!(o(D::TinyInt, false), Some(DataType::I1));
        assert_eq!(o(D::SmallInt, false), Some(DataType::I2));
        assert_eq!(o(D::BigInt, false), Some(DataType::I8));
        assert_eq!(o(D::BigInt, true), Some(DataType::UI8));
        assert_eq!(o(D::Bit, false), Some(DataType::Bool));
        assert_eq!(o(D::Real, false), Some(DataType::R4));
        assert_eq!(o(D::Float { precision: 53 }, false), Some(DataType::R8));
        assert_eq!(o(D::Double, false), Some(DataType::R8));
        assert_eq!(
            o(
                D::Numeric {
                    precision: 10,
                    scale: 2
                },
                false
            ),
            Some(DataType::Numeric {
                precision: 10,
                scale: 2
            })
        );
        assert_eq!(
            o(
                D::Numeric {
                    precision: 1000,
                    scale: 6
                },
                false
            ),
            Some(DataType::Numeric {
                precision: 38,
                scale: 6
            }),
            "a precision beyond DT_NUMERIC's is capped"
        );
        assert_eq!(o(D::Date, false), Some(DataType::DbDate));
        assert_eq!(o(D::Time { precision: 0 }, false), Some(DataType::DbTime));
        assert_eq!(
            o(D::Time { precision: 6 }, false),
            Some(DataType::DbTime2 { scale: 6 })
        );
        assert_eq!(
            o(D::Timestamp { precision: 3 }, false),
            Some(DataType::DbTimestamp)
        );
        assert_eq!(
            o(D::Timestamp { precision: 6 }, false),
            Some(DataType::DbTimestamp2 { scale: 6 })
        );
        assert_eq!(
            o(D::Varchar { length: n(30) }, false),
            Some(DataType::Str {
                len: 30,
                code_page: 1252
            })
        );
        assert_eq!(
            odbc(
                D::Varchar { length: n(30) },
                false,
                CharTypes {
                    code_page: 1252,
                    unicode: true
                }
            ),
            Some(DataType::WStr { len: 30 })
        );
        assert_eq!(
            o(D::Varchar { length: n(9000) }, false),
            Some(DataType::Text { code_page: 1252 })
        );
        assert_eq!(
            o(D::LongVarchar { length: n(8190) }, false),
            Some(DataType::Text { code_page: 1252 })
        );
        assert_eq!(
            o(D::WVarchar { length: n(40) }, false),
            Some(DataType::WStr { len: 40 })
        );
        assert_eq!(
            o(D::WVarchar { length: None }, false),
            Some(DataType::NText)
        );
        assert_eq!(
            o(D::WLongVarchar { length: None }, false),
            Some(DataType::NText)
        );
        assert_eq!(
            o(D::Varbinary { length: n(16) }, false),
            Some(DataType::Bytes { len: 16 })
        );
        assert_eq!(
            o(D::LongVarbinary { length: None }, false),
            Some(DataType::Image)
        );
        let other = |code: i16, digits: i16| D::Other {
            data_type: odbc_api::sys::SqlDataType(code),
            column_size: n(16),
            decimal_digits: digits,
        };
        assert_eq!(o(other(-11, 0), false), Some(DataType::Guid));
        assert_eq!(
            o(other(-154, 7), false),
            Some(DataType::DbTime2 { scale: 7 })
        );
        assert_eq!(
            o(other(-155, 3), false),
            Some(DataType::DbTimestampOffset { scale: 3 })
        );
        assert_eq!(o(other(103, 0), false), Some(DataType::WStr { len: 16 }));
        assert_eq!(o(other(-999, 0), false), None);
        assert_eq!(o(D::Unknown, false), None);
        assert_eq!(
            odbc_type_name(D::WVarchar { length: n(50) }),
            "SQL_WVARCHAR(50)"
        );
    }
}
