//! The columns of a raw or cache file and the Arrow schema that stores them: each field is
//! named after its column, holds the Arrow storage of its SSIS type (`buffer/types.rs`) and
//! carries the type itself in its metadata (`ssis.type` = the data-flow type code, then
//! `ssis.length`, `ssis.precision`, `ssis.scale`, `ssis.code_page`, `ssis.index_position`);
//! the schema carries the format, version and kind. Reading checks every mark and refuses what
//! is not a file of this format and version. It must not open files.

use std::collections::HashMap;

use arrow_schema::{Field, Schema};
use ssisd_engine::types::{ColumnShape, DataType};

use super::{FileKind, RawColumn, RawFileError, FORMAT, VERSION};
use crate::buffer::types::arrow_type;

pub(super) const KEY_FORMAT: &str = "ssisd.format";
const KEY_VERSION: &str = "ssisd.version";
const KEY_KIND: &str = "ssisd.kind";
const KEY_TYPE: &str = "ssis.type";
const KEY_LENGTH: &str = "ssis.length";
const KEY_PRECISION: &str = "ssis.precision";
const KEY_SCALE: &str = "ssis.scale";
const KEY_CODE_PAGE: &str = "ssis.code_page";
const KEY_INDEX: &str = "ssis.index_position";

/// The shape (length, precision, scale, code page) a type declares.
pub fn shape_of(ty: &DataType) -> ColumnShape {
    let mut s = ColumnShape::default();
    match ty {
        DataType::Str { len, code_page } => {
            s.length = *len;
            s.code_page = *code_page;
        }
        DataType::WStr { len } | DataType::Bytes { len } => s.length = *len,
        DataType::Text { code_page } => s.code_page = *code_page,
        DataType::Numeric { precision, scale } => {
            s.precision = *precision;
            s.scale = *scale;
        }
        DataType::Decimal { scale }
        | DataType::DbTime2 { scale }
        | DataType::DbTimestamp2 { scale }
        | DataType::DbTimestampOffset { scale } => s.scale = *scale,
        _ => {}
    }
    s
}

/// The schema of a file of `kind` holding `columns`.
pub fn to_schema(kind: FileKind, columns: &[RawColumn]) -> Schema {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| {
            let s = shape_of(&c.data_type);
            let mut m = HashMap::new();
            m.insert(
                KEY_TYPE.to_string(),
                c.data_type.metadata_code().to_string(),
            );
            m.insert(KEY_LENGTH.to_string(), s.length.to_string());
            m.insert(KEY_PRECISION.to_string(), s.precision.to_string());
            m.insert(KEY_SCALE.to_string(), s.scale.to_string());
            m.insert(KEY_CODE_PAGE.to_string(), s.code_page.to_string());
            if kind == FileKind::Cache {
                m.insert(KEY_INDEX.to_string(), c.index_position.to_string());
            }
            Field::new(&c.name, arrow_type(&c.data_type), true).with_metadata(m)
        })
        .collect();
    let mut meta = HashMap::new();
    meta.insert(KEY_FORMAT.to_string(), FORMAT.to_string());
    meta.insert(KEY_VERSION.to_string(), VERSION.to_string());
    meta.insert(KEY_KIND.to_string(), kind.as_str().to_string());
    Schema::new_with_metadata(fields, meta)
}

fn number<T: std::str::FromStr + Default>(m: &HashMap<String, String>, key: &str) -> T {
    m.get(key)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

/// The kind and columns of a file whose schema is `schema`, or why it is not a file of this
/// format.
pub fn from_schema(schema: &Schema) -> Result<(FileKind, Vec<RawColumn>), RawFileError> {
    let m = schema.metadata();
    if m.get(KEY_FORMAT).map(String::as_str) != Some(FORMAT) {
        return Err(RawFileError::NotSsisd);
    }
    let version: u32 = number(m, KEY_VERSION);
    if version != VERSION {
        return Err(RawFileError::Version(version));
    }
    let kind = match m.get(KEY_KIND).map(String::as_str) {
        Some("raw") => FileKind::Raw,
        Some("cache") => FileKind::Cache,
        other => return Err(RawFileError::Kind(other.unwrap_or("").to_string())),
    };
    let mut columns = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let fm = f.metadata();
        let code: i32 = fm
            .get(KEY_TYPE)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| RawFileError::NoType(f.name().clone()))?;
        let shape = ColumnShape {
            length: number(fm, KEY_LENGTH),
            precision: number(fm, KEY_PRECISION),
            scale: number(fm, KEY_SCALE),
            code_page: number(fm, KEY_CODE_PAGE),
        };
        let ty = DataType::from_metadata_code_shaped(code, shape).ok_or_else(|| {
            RawFileError::UnknownType {
                column: f.name().clone(),
                code,
            }
        })?;
        if &arrow_type(&ty) != f.data_type() {
            return Err(RawFileError::StoredAs {
                column: f.name().clone(),
                declared: ty,
                stored: f.data_type().clone(),
            });
        }
        columns.push(RawColumn {
            name: f.name().clone(),
            data_type: ty,
            index_position: number(fm, KEY_INDEX),
        });
    }
    Ok((kind, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_through_the_schema() {
        let cols = vec![
            RawColumn {
                name: "Name".into(),
                data_type: DataType::Str {
                    len: 40,
                    code_page: 1251,
                },
                index_position: 1,
            },
            RawColumn::new(
                "Amount",
                DataType::Numeric {
                    precision: 12,
                    scale: 2,
                },
            ),
            RawColumn::new("When", DataType::DbTimestamp2 { scale: 3 }),
            RawColumn::new("Id", DataType::Guid),
        ];
        let schema = to_schema(FileKind::Cache, &cols);
        let (kind, back) = from_schema(&schema).expect("reads");
        assert_eq!(kind, FileKind::Cache);
        assert_eq!(back, cols);
    }

    #[test]
    fn foreign_or_newer_files_are_refused() {
        let plain = Schema::new(vec![Field::new("a", arrow_schema::DataType::Int32, true)]);
        assert!(from_schema(&plain)
            .unwrap_err()
            .to_string()
            .contains("not one ssisd wrote"));
        let mut s = to_schema(FileKind::Raw, &[RawColumn::new("a", DataType::I4)]);
        let mut m = s.metadata().clone();
        m.insert(KEY_VERSION.into(), "9".into());
        s = s.with_metadata(m);
        assert!(from_schema(&s)
            .unwrap_err()
            .to_string()
            .contains("version 9"));
    }
}
