//! Rows crossing to the script host and back, a batch at a time: Arrow columns of a pipeline
//! buffer become the batch encoding `runtime/script-host/host/Component.cs` reads (its
//! `ComponentBatch`), and the batch the host answers with becomes Arrow columns again. A
//! batch is the row count and, per column, its kind (a `System.TypeCode` number, 100 for byte
//! arrays), Arrow's own validity bitmap (bit set: a value, least significant bit first) and its
//! values: fixed-width values little-endian one per row (Booleans one byte, decimals the four
//! Int32s of .NET's `decimal.GetBits`, dates as .NET ticks), strings (UTF-8) and byte arrays as
//! Arrow lays them out — rows + 1 Int32 offsets, then the bytes. So a column crosses with one
//! copy of Arrow's buffers each way, and the C# side needs only `BinaryReader`.
//!
//! Why not Arrow IPC itself: the IPC stream wraps those same buffers in FlatBuffers messages
//! (schema, record batch metadata), and Mono has no Arrow or FlatBuffers library; the schema is
//! already fixed by the component's metadata, which both sides know from the request, so only
//! the buffers need to travel. It owns this mapping and the types it supports.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use ssisd_engine::types::DataType;

use super::wire::{type_code, ProtocolError, Reader, Writer};
use crate::buffer::values::ColumnBuilder;

/// Days from 0001-01-01 to 1970-01-01.
const DAYS_TO_EPOCH: i64 = 719_162;
const TICKS_PER_DAY: i64 = 864_000_000_000;

/// How a column of an SSIS type reaches a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptType {
    /// The batch kind.
    pub kind: u8,
    /// The .NET type of the generated property.
    pub dotnet: &'static str,
    /// The PipelineBuffer getter the generated property calls.
    pub getter: &'static str,
}

/// The script type of `ty`, or `None` for the types a Script Component here does not carry
/// (BLOBs, GUIDs, times, offsets).
pub fn script_type(ty: &DataType) -> Option<ScriptType> {
    use type_code::*;
    let t = |kind, dotnet, getter| {
        Some(ScriptType {
            kind,
            dotnet,
            getter,
        })
    };
    match ty {
        DataType::Bool => t(BOOLEAN, "Boolean", "GetBoolean"),
        DataType::I1 => t(SBYTE, "SByte", "GetSByte"),
        DataType::UI1 => t(BYTE, "Byte", "GetByte"),
        DataType::I2 => t(INT16, "Int16", "GetInt16"),
        DataType::UI2 => t(UINT16, "UInt16", "GetUInt16"),
        DataType::I4 => t(INT32, "Int32", "GetInt32"),
        DataType::UI4 => t(UINT32, "UInt32", "GetUInt32"),
        DataType::I8 => t(INT64, "Int64", "GetInt64"),
        DataType::UI8 => t(UINT64, "UInt64", "GetUInt64"),
        DataType::R4 => t(SINGLE, "Single", "GetSingle"),
        DataType::R8 => t(DOUBLE, "Double", "GetDouble"),
        DataType::Cy => t(DECIMAL, "Decimal", "GetCurrency"),
        DataType::Decimal { .. } | DataType::Numeric { .. } => t(DECIMAL, "Decimal", "GetDecimal"),
        DataType::Str { .. } | DataType::WStr { .. } => t(STRING, "String", "GetString"),
        DataType::DbDate => t(DATETIME, "DateTime", "GetDate"),
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime => t(DATETIME, "DateTime", "GetDateTime"),
        DataType::Bytes { .. } => t(BYTES, "byte[]", "GetBytes"),
        _ => None,
    }
}

fn kind_of(ty: &DataType) -> u8 {
    script_type(ty).map(|t| t.kind).unwrap_or(0)
}

/// Appends `columns` (each with its SSIS type), `rows` rows, to `w`.
pub fn encode(w: &mut Writer, columns: &[(&ArrayRef, &DataType)], rows: usize) {
    w.i32(rows as i32);
    w.i32(columns.len() as i32);
    for (array, ty) in columns {
        encode_column(w, array.as_ref(), ty, rows);
    }
}

macro_rules! fixed {
    ($w:expr, $a:expr, $t:ty) => {
        for v in $a.as_primitive::<$t>().values().iter() {
            $w.bytes(&v.to_le_bytes());
        }
    };
}

/// The four Int32s of .NET's `decimal.GetBits` for `mantissa` at `scale` (zero when it does not
/// fit 96 bits, which a DT_NUMERIC of precision 29 to 38 may not).
fn dotnet_decimal(mantissa: i128, scale: u8) -> Option<[i32; 4]> {
    let m = mantissa.unsigned_abs();
    if m >> 96 != 0 || scale > 28 {
        return None;
    }
    let flags = ((scale as u32) << 16) | if mantissa < 0 { 0x8000_0000 } else { 0 };
    Some([
        m as u32 as i32,
        (m >> 32) as u32 as i32,
        (m >> 64) as u32 as i32,
        flags as i32,
    ])
}

fn encode_column(w: &mut Writer, a: &dyn Array, ty: &DataType, rows: usize) {
    w.u8(kind_of(ty));
    let mut bits = vec![0u8; rows.div_ceil(8)];
    for (i, b) in (0..rows)
        .filter(|&i| a.is_valid(i))
        .map(|i| (i, 1u8 << (i & 7)))
    {
        bits[i >> 3] |= b;
    }
    w.bytes(&bits);
    match ty {
        DataType::Bool => {
            let b = a.as_boolean();
            for i in 0..rows {
                w.u8(u8::from(b.value(i)));
            }
        }
        DataType::I1 => fixed!(w, a, Int8Type),
        DataType::UI1 => fixed!(w, a, UInt8Type),
        DataType::I2 => fixed!(w, a, Int16Type),
        DataType::UI2 => fixed!(w, a, UInt16Type),
        DataType::I4 => fixed!(w, a, Int32Type),
        DataType::UI4 => fixed!(w, a, UInt32Type),
        DataType::I8 => fixed!(w, a, Int64Type),
        DataType::UI8 => fixed!(w, a, UInt64Type),
        DataType::R4 => fixed!(w, a, Float32Type),
        DataType::R8 => fixed!(w, a, Float64Type),
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
            let scale = match a.data_type() {
                arrow_schema::DataType::Decimal128(_, s) => (*s).max(0) as u8,
                _ => 0,
            };
            let d = a.as_primitive::<Decimal128Type>();
            for i in 0..rows {
                let parts = if d.is_valid(i) {
                    dotnet_decimal(d.value(i), scale).unwrap_or([0; 4])
                } else {
                    [0; 4]
                };
                for p in parts {
                    w.i32(p);
                }
            }
        }
        DataType::DbDate => {
            for v in a.as_primitive::<Date32Type>().values().iter() {
                w.i64((*v as i64 + DAYS_TO_EPOCH) * TICKS_PER_DAY);
            }
        }
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime => fixed!(w, a, Int64Type),
        DataType::Str { .. } | DataType::WStr { .. } => {
            let s = a.as_string::<i32>();
            let offsets = s.value_offsets();
            let first = offsets[0];
            for o in offsets {
                w.i32(o - first);
            }
            w.bytes(&s.values()[first as usize..offsets[rows] as usize]);
        }
        DataType::Bytes { .. } => {
            let s = a.as_binary::<i32>();
            let offsets = s.value_offsets();
            let first = offsets[0];
            for o in offsets {
                w.i32(o - first);
            }
            w.bytes(&s.values()[first as usize..offsets[rows] as usize]);
        }
        _ => {}
    }
}

/// A value the script wrote that its column cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfit {
    /// Position of the column in the batch.
    pub column: usize,
    /// Row index in the batch.
    pub row: usize,
    pub why: String,
}

/// What decoding a batch can meet: a frame that cannot be read, or a value that does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Protocol(ProtocolError),
    Unfit(Unfit),
}

impl From<ProtocolError> for DecodeError {
    fn from(e: ProtocolError) -> Self {
        DecodeError::Protocol(e)
    }
}

/// Reads a batch of columns of `types` from `r`: its row count and the columns.
pub fn decode(
    r: &mut Reader<'_>,
    types: &[DataType],
) -> Result<(usize, Vec<ArrayRef>), DecodeError> {
    let rows =
        usize::try_from(r.i32()?).map_err(|_| ProtocolError("a negative row count".into()))?;
    let count =
        usize::try_from(r.i32()?).map_err(|_| ProtocolError("a negative column count".into()))?;
    if count != types.len() {
        return Err(ProtocolError(format!(
            "the batch has {count} columns where {} were expected",
            types.len()
        ))
        .into());
    }
    let mut out = Vec::with_capacity(count);
    for (c, ty) in types.iter().enumerate() {
        out.push(decode_column(r, ty, rows).map_err(|e| match e {
            DecodeError::Unfit(u) => DecodeError::Unfit(Unfit { column: c, ..u }),
            other => other,
        })?);
    }
    Ok((rows, out))
}

fn too_long(s: &str, ty: &DataType) -> bool {
    let len = match ty {
        DataType::Str { len, .. } | DataType::WStr { len } | DataType::Bytes { len } => {
            *len as usize
        }
        _ => 0,
    };
    len > 0 && s.len() > len && s.chars().count() > len
}

macro_rules! read_fixed {
    ($r:expr, $b:expr, $valid:expr, $rows:expr, $t:ty) => {{
        for i in 0..$rows {
            let v = <$t>::from_le_bytes($r.array()?);
            if $valid(i) {
                $b.append_value(v)
            } else {
                $b.append_null()
            }
        }
    }};
}

fn decode_column(r: &mut Reader<'_>, ty: &DataType, rows: usize) -> Result<ArrayRef, DecodeError> {
    let kind = r.u8()?;
    if kind != kind_of(ty) {
        return Err(ProtocolError(format!(
            "a column of kind {kind} arrived where kind {} was expected",
            kind_of(ty)
        ))
        .into());
    }
    let bits = r.take(rows.div_ceil(8))?;
    let valid = |i: usize| bits[i >> 3] & (1 << (i & 7)) != 0;
    let unfit = |row: usize, why: String| {
        DecodeError::Unfit(Unfit {
            column: 0,
            row,
            why,
        })
    };
    let mut b = ColumnBuilder::new(ty, rows);
    match &mut b {
        ColumnBuilder::Bool(x) => {
            for i in 0..rows {
                let v = r.u8()? != 0;
                if valid(i) {
                    x.append_value(v)
                } else {
                    x.append_null()
                }
            }
        }
        ColumnBuilder::I1(x) => read_fixed!(r, x, valid, rows, i8),
        ColumnBuilder::UI1(x) => read_fixed!(r, x, valid, rows, u8),
        ColumnBuilder::I2(x) => read_fixed!(r, x, valid, rows, i16),
        ColumnBuilder::UI2(x) => read_fixed!(r, x, valid, rows, u16),
        ColumnBuilder::I4(x) => read_fixed!(r, x, valid, rows, i32),
        ColumnBuilder::UI4(x) => read_fixed!(r, x, valid, rows, u32),
        ColumnBuilder::I8(x) => read_fixed!(r, x, valid, rows, i64),
        ColumnBuilder::UI8(x) => read_fixed!(r, x, valid, rows, u64),
        ColumnBuilder::R4(x) => read_fixed!(r, x, valid, rows, f32),
        ColumnBuilder::R8(x) => read_fixed!(r, x, valid, rows, f64),
        ColumnBuilder::Ticks(x) => read_fixed!(r, x, valid, rows, i64),
        ColumnBuilder::Date32(x) => {
            for i in 0..rows {
                let ticks = i64::from_le_bytes(r.array()?);
                if valid(i) {
                    x.append_value((ticks.div_euclid(TICKS_PER_DAY) - DAYS_TO_EPOCH) as i32)
                } else {
                    x.append_null()
                }
            }
        }
        ColumnBuilder::Decimal(x, precision, scale) => {
            for i in 0..rows {
                let mut parts = [0i32; 4];
                for p in parts.iter_mut() {
                    *p = r.i32()?;
                }
                if !valid(i) {
                    x.append_null();
                    continue;
                }
                let m = (parts[0] as u32 as u128)
                    | ((parts[1] as u32 as u128) << 32)
                    | ((parts[2] as u32 as u128) << 64);
                let e = ((parts[3] >> 16) & 0xff) as u8;
                let mut v = m as i128;
                if parts[3] < 0 {
                    v = -v;
                }
                let s = *scale;
                let v = if e <= s {
                    v.checked_mul(10i128.pow(u32::from(s - e)))
                } else {
                    let d = 10i128.pow(u32::from(e - s));
                    let (q, rem) = (v / d, v % d);
                    Some(if rem.abs() * 2 >= d {
                        q + v.signum()
                    } else {
                        q
                    })
                };
                match v.filter(|v| v.unsigned_abs() < 10u128.pow(u32::from(*precision))) {
                    Some(v) => x.append_value(v),
                    None => {
                        return Err(unfit(
                            i,
                            format!("the decimal does not fit precision {precision}, scale {s}"),
                        ))
                    }
                }
            }
        }
        ColumnBuilder::Str(x) => {
            let (offsets, data) = variable(r, rows)?;
            for i in 0..rows {
                if !valid(i) {
                    x.append_null();
                    continue;
                }
                let raw = &data[offsets[i]..offsets[i + 1]];
                let s = std::str::from_utf8(raw)
                    .map_err(|_| ProtocolError("a string is not UTF-8".into()))?;
                if too_long(s, ty) {
                    return Err(unfit(
                        i,
                        format!(
                            "the value is {} characters long, more than the column's length",
                            s.chars().count()
                        ),
                    ));
                }
                x.append_value(s);
            }
        }
        ColumnBuilder::Binary(x) => {
            let (offsets, data) = variable(r, rows)?;
            for i in 0..rows {
                if !valid(i) {
                    x.append_null();
                    continue;
                }
                let raw = &data[offsets[i]..offsets[i + 1]];
                if let DataType::Bytes { len } = ty {
                    if *len > 0 && raw.len() > *len as usize {
                        return Err(unfit(
                            i,
                            format!(
                                "the value is {} bytes long, more than the column's length",
                                raw.len()
                            ),
                        ));
                    }
                }
                x.append_value(raw);
            }
        }
        _ => {
            return Err(ProtocolError(format!("a column of type {ty:?} cannot cross")).into());
        }
    }
    Ok(b.finish())
}

/// Offsets (rebased, checked) and the bytes of a variable-width column.
fn variable<'a>(r: &mut Reader<'a>, rows: usize) -> Result<(Vec<usize>, &'a [u8]), ProtocolError> {
    let mut offsets = Vec::with_capacity(rows + 1);
    for _ in 0..=rows {
        offsets.push(
            usize::try_from(r.i32()?).map_err(|_| ProtocolError("a negative offset".into()))?,
        );
    }
    let first = offsets[0];
    if offsets.windows(2).any(|w| w[1] < w[0]) {
        return Err(ProtocolError("offsets that go backwards".into()));
    }
    for o in offsets.iter_mut() {
        *o -= first;
    }
    let data = r.take(offsets[rows])?;
    Ok((offsets, data))
}

/// An all-null column of `ty`, `rows` long (the columns a synchronous output adds, before the
/// script fills them).
pub fn nulls(ty: &DataType, rows: usize) -> ArrayRef {
    let mut b = ColumnBuilder::new(ty, rows);
    for _ in 0..rows {
        b.append_null();
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::values::ColumnBuilder;
    use ssisd_engine::types::Value;

    fn column(ty: &DataType, values: &[Value]) -> ArrayRef {
        let mut b = ColumnBuilder::new(ty, values.len());
        for v in values {
            b.append_value(v);
        }
        b.finish()
    }

    #[test]
    fn columns_of_every_supported_type_round_trip() {
        let dec = ssisd_engine::types::Decimal::parse("-12.345").expect("decimal");
        let date = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
        let cases: Vec<(DataType, Vec<Value>)> = vec![
            (
                DataType::Bool,
                vec![
                    Value::Bool(true),
                    Value::Null(DataType::Bool),
                    Value::Bool(false),
                ],
            ),
            (
                DataType::I4,
                vec![
                    Value::I4(-7),
                    Value::Null(DataType::I4),
                    Value::I4(i32::MAX),
                ],
            ),
            (
                DataType::UI8,
                vec![
                    Value::UI8(u64::MAX),
                    Value::Null(DataType::UI8),
                    Value::UI8(0),
                ],
            ),
            (
                DataType::R8,
                vec![Value::R8(1.5), Value::Null(DataType::R8), Value::R8(-0.25)],
            ),
            (
                DataType::Numeric {
                    precision: 10,
                    scale: 3,
                },
                vec![
                    Value::Numeric(dec),
                    Value::Null(DataType::I4),
                    Value::Numeric(dec),
                ],
            ),
            (
                DataType::WStr { len: 10 },
                vec![
                    Value::WStr("héllo".into()),
                    Value::Null(DataType::I4),
                    Value::WStr(String::new()),
                ],
            ),
            (
                DataType::DbDate,
                vec![
                    Value::DbDate(date),
                    Value::Null(DataType::I4),
                    Value::DbDate(date),
                ],
            ),
            (
                DataType::DbTimestamp,
                vec![
                    Value::DbTimestamp(date.and_hms_opt(1, 2, 3).expect("time")),
                    Value::Null(DataType::I4),
                    Value::DbTimestamp(date.and_hms_opt(0, 0, 0).expect("time")),
                ],
            ),
            (
                DataType::Bytes { len: 4 },
                vec![
                    Value::Bytes(vec![1, 2]),
                    Value::Null(DataType::I4),
                    Value::Bytes(vec![]),
                ],
            ),
        ];
        for (ty, values) in cases {
            let a = column(&ty, &values);
            // A slice checks that offsets into shared buffers are rebased.
            let sliced = a.slice(1, 2);
            for (arr, rows) in [(&a, 3usize), (&sliced, 2)] {
                let mut w = Writer::default();
                encode(&mut w, &[(arr, &ty)], rows);
                let mut r = Reader::new(&w.0);
                let (n, cols) = decode(&mut r, std::slice::from_ref(&ty)).expect("decodes");
                r.done().expect("all read");
                assert_eq!(n, rows);
                assert_eq!(cols[0].to_data(), arr.to_data(), "{ty:?}");
            }
        }
    }

    #[test]
    fn too_long_strings_and_unsupported_types_are_refused() {
        let ty = DataType::WStr { len: 2 };
        let a = column(&DataType::WStr { len: 0 }, &[Value::WStr("abc".into())]);
        let mut w = Writer::default();
        encode(&mut w, &[(&a, &ty)], 1);
        let e = decode(&mut Reader::new(&w.0), &[ty]).unwrap_err();
        assert!(
            matches!(
                e,
                DecodeError::Unfit(Unfit {
                    column: 0,
                    row: 0,
                    ..
                })
            ),
            "{e:?}"
        );
        assert!(script_type(&DataType::NText).is_none());
        assert!(script_type(&DataType::Guid).is_none());
    }
}
