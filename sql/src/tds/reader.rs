//! Reading a SQL Server result set in [`RowBatch`]es as the rows arrive (tiberius streams TDS
//! row tokens; nothing is collected whole): the first result set's columns typed from the TDS
//! metadata ([`crate::type_map::tds`]) or from exact descriptions the caller got with
//! [`describe`] (`sp_describe_first_result_set`: lengths, precision, scale), every value made
//! the column's DT_* type. It also converts single TDS values for Execute SQL. Later result
//! sets are left to the caller's client.

use std::sync::Arc;

use futures_util::TryStreamExt;
use tiberius::{ColumnData, FromSql, QueryItem, QueryStream};

use super::connect::TdsClient;
use crate::batch::{ColumnInfo, RowBatch};
use crate::error::QueryError;
use crate::type_map::{self, CharTypes, MAX_WSTR_LEN};
use ssisd_engine::types::{convert, DataType, Decimal, Value};

/// The first result set of a query, in batches.
pub struct TdsBatches<'a> {
    stream: QueryStream<'a>,
    columns: Option<Arc<[ColumnInfo]>>,
    chars: CharTypes,
    batch_rows: usize,
    done: bool,
}

impl<'a> TdsBatches<'a> {
    /// Reads `stream`, typing its columns from the TDS metadata.
    pub fn new(stream: QueryStream<'a>, chars: CharTypes, batch_rows: usize) -> TdsBatches<'a> {
        TdsBatches {
            stream,
            columns: None,
            chars,
            batch_rows: batch_rows.max(1),
            done: false,
        }
    }

    /// Reads `stream` with columns described beforehand (their count must match).
    pub fn with_columns(
        stream: QueryStream<'a>,
        columns: Vec<ColumnInfo>,
        batch_rows: usize,
    ) -> TdsBatches<'a> {
        TdsBatches {
            stream,
            columns: Some(Arc::from(columns)),
            chars: CharTypes::OLE_DB,
            batch_rows: batch_rows.max(1),
            done: false,
        }
    }

    /// The result set's columns (waiting for its metadata when needed).
    pub async fn columns(&mut self) -> Result<Arc<[ColumnInfo]>, QueryError> {
        if let Some(c) = &self.columns {
            return Ok(c.clone());
        }
        let chars = self.chars;
        let columns: Vec<ColumnInfo> = self
            .stream
            .columns()
            .await?
            .unwrap_or(&[])
            .iter()
            .map(|c| ColumnInfo {
                name: c.name().to_string(),
                source_type: type_map::tds_type_name(c.column_type()),
                data_type: type_map::tds(c.column_type(), chars),
                nullable: None,
            })
            .collect();
        let columns: Arc<[ColumnInfo]> = Arc::from(columns);
        self.columns = Some(columns.clone());
        Ok(columns)
    }

    /// The next rows of the first result set, or `None` after its last.
    pub async fn next_batch(&mut self) -> Result<Option<RowBatch>, QueryError> {
        if self.done {
            return Ok(None);
        }
        let columns = self.columns().await?;
        let mut batch = RowBatch::with_capacity(columns.clone(), self.batch_rows.min(4096));
        while batch.rows() < self.batch_rows {
            match self.stream.try_next().await? {
                Some(QueryItem::Row(row)) if row.result_index() == 0 => {
                    if row.len() != columns.len() {
                        return Err(QueryError::Database {
                            message: format!(
                                "the result set has {} columns, {} were described",
                                row.len(),
                                columns.len()
                            ),
                        });
                    }
                    for (i, data) in row.into_iter().enumerate() {
                        batch.values[i].push(value(data, &columns[i])?);
                    }
                }
                Some(QueryItem::Metadata(m)) if m.result_index() == 0 => {}
                Some(_) | None => {
                    self.done = true;
                    break;
                }
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }
}

/// Runs `sp_describe_first_result_set` (SQL Server 2012 and later) for `sql`: the exact types
/// of the columns its first result set will have, typed as `chars` says.
pub async fn describe(
    client: &mut TdsClient,
    sql: &str,
    chars: CharTypes,
) -> Result<Vec<ColumnInfo>, QueryError> {
    let rows = client
        .query(
            "EXEC sp_describe_first_result_set @tsql = @P1, @params = NULL, @browse_information_mode = 0",
            &[&sql],
        )
        .await?
        .into_first_result()
        .await?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let hidden: Option<bool> = row.try_get("is_hidden")?;
        if hidden == Some(true) {
            continue;
        }
        let name: Option<&str> = row.try_get("name")?;
        let type_name: Option<&str> = row.try_get("system_type_name")?;
        let max_length: Option<i16> = row.try_get("max_length")?;
        let precision: Option<u8> = row.try_get("precision")?;
        let scale: Option<u8> = row.try_get("scale")?;
        let nullable: Option<bool> = row.try_get("is_nullable")?;
        let type_name = type_name.unwrap_or("sql_variant");
        let data_type = type_map::sql_server(
            type_name,
            i32::from(max_length.unwrap_or(-1)),
            precision.unwrap_or(0),
            scale.unwrap_or(0),
            chars,
        )
        .unwrap_or(DataType::WStr { len: MAX_WSTR_LEN });
        columns.push(ColumnInfo {
            name: name.unwrap_or_default().to_string(),
            source_type: type_name.to_string(),
            data_type,
            nullable,
        });
    }
    Ok(columns)
}

/// A TDS value as it naturally is, or `None` for NULL.
pub fn natural_value(data: &ColumnData<'static>) -> Option<Value> {
    Some(match data {
        ColumnData::U8(v) => Value::UI1((*v)?),
        ColumnData::I16(v) => Value::I2((*v)?),
        ColumnData::I32(v) => Value::I4((*v)?),
        ColumnData::I64(v) => Value::I8((*v)?),
        ColumnData::F32(v) => Value::R4((*v)?),
        ColumnData::F64(v) => Value::R8((*v)?),
        ColumnData::Bit(v) => Value::Bool((*v)?),
        ColumnData::String(v) => Value::WStr(v.as_ref()?.to_string()),
        ColumnData::Guid(v) => Value::Guid((*v)?),
        ColumnData::Binary(v) => Value::Bytes(v.as_ref()?.to_vec()),
        ColumnData::Numeric(v) => {
            let n = (*v)?;
            Value::Numeric(Decimal::new(n.value(), n.scale()))
        }
        ColumnData::Xml(v) => Value::NText(v.as_ref()?.to_string()),
        ColumnData::DateTime(_) | ColumnData::SmallDateTime(_) => {
            Value::DbTimestamp(chrono::NaiveDateTime::from_sql(data).ok()??)
        }
        ColumnData::DateTime2(_) => {
            Value::DbTimestamp2(chrono::NaiveDateTime::from_sql(data).ok()??)
        }
        ColumnData::Date(_) => Value::DbDate(chrono::NaiveDate::from_sql(data).ok()??),
        ColumnData::Time(_) => Value::DbTime2(chrono::NaiveTime::from_sql(data).ok()??),
        ColumnData::DateTimeOffset(_) => {
            Value::DbTimestampOffset(chrono::DateTime::<chrono::FixedOffset>::from_sql(data).ok()??)
        }
    })
}

/// A TDS value as `column`'s type.
pub fn value(data: ColumnData<'static>, column: &ColumnInfo) -> Result<Value, QueryError> {
    let Some(v) = natural_value(&data) else {
        return Ok(Value::Null(column.data_type));
    };
    let target = column.data_type;
    // Same kind, other variant: no conversion needed.
    let direct = match (v, target) {
        (Value::WStr(s), DataType::Str { .. }) => Value::Str(s),
        (Value::WStr(s), DataType::Text { .. }) => Value::Text(s),
        (Value::WStr(s) | Value::NText(s), DataType::NText) => Value::NText(s),
        (Value::Bytes(b), DataType::Image) => Value::Image(b),
        (Value::R8(f), DataType::Cy) => match Decimal::from_f64(f, 4) {
            Some(d) => Value::Cy(d),
            None => {
                return Err(QueryError::Conversion {
                    column: column.name.clone(),
                    data_type: column.source_type.clone(),
                    message: format!("{f} does not fit DT_CY"),
                })
            }
        },
        (Value::DbTimestamp2(t), DataType::DbTimestamp) => Value::DbTimestamp(t),
        (v, t) if v.data_type() == t => v,
        (v @ (Value::WStr(_) | Value::Bytes(_) | Value::Numeric(_)), t)
            if std::mem::discriminant(&v.data_type()) == std::mem::discriminant(&t) =>
        {
            v
        }
        (v, t) => convert(&v, &t).map_err(|e| QueryError::Conversion {
            column: column.name.clone(),
            data_type: column.source_type.clone(),
            message: e.to_string(),
        })?,
    };
    Ok(direct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(data_type: DataType) -> ColumnInfo {
        ColumnInfo {
            name: "c".into(),
            source_type: "t".into(),
            data_type,
            nullable: None,
        }
    }

    #[test]
    fn values_take_the_column_type() {
        assert_eq!(
            value(ColumnData::I32(Some(7)), &col(DataType::I4)).unwrap(),
            Value::I4(7)
        );
        assert_eq!(
            value(ColumnData::I32(None), &col(DataType::I4)).unwrap(),
            Value::Null(DataType::I4)
        );
        assert_eq!(
            value(
                ColumnData::String(Some("é".into())),
                &col(DataType::Str {
                    len: 10,
                    code_page: 1252
                })
            )
            .unwrap(),
            Value::Str("é".into())
        );
        assert_eq!(
            value(
                ColumnData::String(Some("x".into())),
                &col(DataType::WStr { len: 0 })
            )
            .unwrap(),
            Value::WStr("x".into())
        );
        assert_eq!(
            value(ColumnData::F64(Some(12.5)), &col(DataType::Cy)).unwrap(),
            Value::Cy(Decimal::new(125_000, 4))
        );
        assert_eq!(
            value(
                ColumnData::Numeric(Some(tiberius::numeric::Numeric::new_with_scale(1234, 2))),
                &col(DataType::Numeric {
                    precision: 38,
                    scale: 0
                })
            )
            .unwrap(),
            Value::Numeric(Decimal::new(1234, 2)),
            "a decimal keeps its own scale"
        );
        assert_eq!(
            value(ColumnData::I32(Some(7)), &col(DataType::I8)).unwrap(),
            Value::I8(7),
            "a described type wins"
        );
        let e = value(ColumnData::String(Some("x".into())), &col(DataType::I4)).unwrap_err();
        assert!(matches!(e, QueryError::Conversion { .. }), "{e}");
    }
}
