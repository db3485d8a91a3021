//! How each SSIS type is stored in an Arrow array, and the estimated bytes per value that
//! buffer sizing uses. One table, so every component agrees: integers, floats and Booleans map
//! to their Arrow types; DT_CY, DT_DECIMAL and DT_NUMERIC to `Decimal128` with their scale;
//! every string type to `Utf8` (DT_STR is decoded to Unicode on input and encoded to its code
//! page on output); DT_DBDATE to `Date32`; DT_DBTIME/DT_DBTIME2 to `Time64(ns)`; DT_DATE,
//! DT_DBTIMESTAMP, DT_DBTIMESTAMP2 and DT_FILETIME to `Int64` ticks of 100 ns since
//! 0001-01-01 (SSIS's full range 0001–9999 at its finest precision, which Arrow's nanosecond
//! timestamps cannot hold); DT_DBTIMESTAMPOFFSET to `Utf8` in its canonical text form; DT_GUID
//! to `FixedSizeBinary(16)`; DT_BYTES and DT_IMAGE to `Binary`. It must not convert values.

use arrow_schema::{DataType as Arrow, TimeUnit};
use ssisd_engine::types::DataType;

/// The Arrow type that holds values of `ty`.
pub fn arrow_type(ty: &DataType) -> Arrow {
    match ty {
        DataType::Bool => Arrow::Boolean,
        DataType::I1 => Arrow::Int8,
        DataType::I2 => Arrow::Int16,
        DataType::I4 => Arrow::Int32,
        DataType::I8 => Arrow::Int64,
        DataType::UI1 => Arrow::UInt8,
        DataType::UI2 => Arrow::UInt16,
        DataType::UI4 => Arrow::UInt32,
        DataType::UI8 => Arrow::UInt64,
        DataType::R4 => Arrow::Float32,
        DataType::R8 => Arrow::Float64,
        DataType::Cy => Arrow::Decimal128(19, 4),
        DataType::Decimal { scale } => Arrow::Decimal128(29, *scale as i8),
        DataType::Numeric { precision, scale } => {
            Arrow::Decimal128((*precision).max(1), *scale as i8)
        }
        DataType::Str { .. }
        | DataType::WStr { .. }
        | DataType::Text { .. }
        | DataType::NText
        | DataType::DbTimestampOffset { .. } => Arrow::Utf8,
        DataType::DbDate => Arrow::Date32,
        DataType::DbTime | DataType::DbTime2 { .. } => Arrow::Time64(TimeUnit::Nanosecond),
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime => Arrow::Int64,
        DataType::Guid => Arrow::FixedSizeBinary(16),
        DataType::Bytes { .. } | DataType::Image => Arrow::Binary,
        DataType::Empty | DataType::Null | DataType::Object => Arrow::Null,
    }
}

/// Estimated bytes one value of `ty` takes in a buffer (strings: their declared length, or 64
/// when unknown; BLOBs: 1 KiB), as SSIS estimates row sizes to size buffers.
pub fn estimated_width(ty: &DataType) -> usize {
    match ty {
        DataType::Bool | DataType::I1 | DataType::UI1 => 1,
        DataType::I2 | DataType::UI2 => 2,
        DataType::I4 | DataType::UI4 | DataType::R4 | DataType::DbDate => 4,
        DataType::I8 | DataType::UI8 | DataType::R8 => 8,
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } | DataType::Guid => 16,
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime
        | DataType::DbTime
        | DataType::DbTime2 { .. } => 8,
        DataType::DbTimestampOffset { .. } => 36,
        DataType::Str { len, .. } | DataType::WStr { len } | DataType::Bytes { len } => {
            if *len == 0 {
                64
            } else {
                (*len as usize).min(8000) + 4
            }
        }
        DataType::Text { .. } | DataType::NText | DataType::Image => 1024,
        DataType::Empty | DataType::Null | DataType::Object => 1,
    }
}
