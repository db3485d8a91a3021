//! Running batches on SQL Server through the native TDS client (tiberius), for OLE DB and
//! ADO.NET connection managers whose provider is SQL Server: ssisd-sql read the connection
//! string and opens the connection (named instances through the SQL Server Browser, TLS, the
//! login), the client runs on a small current-thread tokio runtime inside the task, and the
//! connection is dropped — which stops
//! the statement on the server — when the run is cancelled or the TimeOut passes. A task
//! without result set runs its batches with `execute`, whose row counts are the execution
//! value. Inputs are RPC parameters (`@P1…`); output and return-value bindings are local
//! variables of the batch (`EXEC @SsisdOut1 = dbo.p @P1, @SsisdOut3 OUTPUT`), declared with
//! their variable's type before it and selected after it, the last result set giving their
//! values.

use std::time::{Duration, Instant};

use ssisd_sql::tds::{connect, TdsSettings};
use tiberius::{ColumnData, FromSql, ToSql};

use super::binding::output_variable;
use super::error::SqlError;
use super::payload::Direction;
use super::{Reply, Request};
use crate::object_value::ResultSet;
use ssisd_engine::types::{DataType, Value};

/// How often a running statement looks at the cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(50);
/// A parameter value as SQL Server gets it.
fn sql_param(v: &Value) -> Box<dyn ToSql> {
    match v {
        Value::Null(_) | Value::Empty => Box::new(Option::<String>::None),
        Value::Bool(b) => Box::new(*b),
        Value::I1(n) => Box::new(*n as i16),
        Value::I2(n) => Box::new(*n),
        Value::I4(n) => Box::new(*n),
        Value::I8(n) => Box::new(*n),
        Value::UI1(n) => Box::new(*n),
        Value::UI2(n) => Box::new(*n as i32),
        Value::UI4(n) => Box::new(*n as i64),
        Value::R4(n) => Box::new(*n),
        Value::R8(n) => Box::new(*n),
        other => Box::new(other.to_display_string()),
    }
}

/// One column value back as an engine value.
fn engine_value(data: &ColumnData<'static>) -> Value {
    match data {
        ColumnData::U8(v) => v.map_or(Value::Empty, Value::UI1),
        ColumnData::I16(v) => v.map_or(Value::Empty, Value::I2),
        ColumnData::I32(v) => v.map_or(Value::Empty, Value::I4),
        ColumnData::I64(v) => v.map_or(Value::Empty, Value::I8),
        ColumnData::F32(v) => v.map_or(Value::Empty, Value::R4),
        ColumnData::F64(v) => v.map_or(Value::Empty, Value::R8),
        ColumnData::Bit(v) => v.map_or(Value::Empty, Value::Bool),
        ColumnData::String(v) => v
            .as_ref()
            .map_or(Value::Empty, |s| Value::WStr(s.to_string())),
        ColumnData::Guid(v) => v.map_or(Value::Empty, |g| {
            Value::WStr(format!("{{{}}}", g.to_string().to_uppercase()))
        }),
        ColumnData::Numeric(v) => v.map_or(Value::Empty, |n| Value::WStr(n.to_string())),
        ColumnData::Binary(v) => v.as_ref().map_or(Value::Empty, |b| {
            Value::WStr(b.iter().map(|x| format!("{x:02X}")).collect())
        }),
        ColumnData::Xml(v) => v
            .as_ref()
            .map_or(Value::Empty, |x| Value::WStr(x.to_string())),
        other => match chrono::NaiveDateTime::from_sql(other) {
            Ok(Some(dt)) => Value::Date(dt),
            _ => Value::Empty,
        },
    }
}

/// The SQL Server type that holds a value of `value`'s type (a string when nothing closer
/// fits: SQL Server converts to it, and the variable converts back).
fn declared_type(value: &Value, size: Option<usize>) -> String {
    let ty = match value {
        Value::Null(t) => *t,
        v => v.data_type(),
    };
    let text = || match size {
        Some(n) if n <= 4000 => format!("nvarchar({n})"),
        _ => "nvarchar(max)".to_string(),
    };
    match ty {
        DataType::Bool => "bit".into(),
        DataType::I1 | DataType::I2 => "smallint".into(),
        DataType::I4 | DataType::UI2 => "int".into(),
        DataType::I8 | DataType::UI4 => "bigint".into(),
        DataType::UI1 => "tinyint".into(),
        DataType::UI8 => "decimal(20, 0)".into(),
        DataType::R4 => "real".into(),
        DataType::R8 => "float".into(),
        DataType::Cy => "money".into(),
        DataType::Decimal { scale } => format!("decimal(29, {})", scale.min(28)),
        DataType::Numeric { precision, scale } => {
            format!(
                "numeric({}, {})",
                precision.clamp(1, 38),
                scale.min(precision.clamp(1, 38))
            )
        }
        DataType::Date | DataType::DbTimestamp | DataType::DbTimestamp2 { .. } => {
            "datetime2".into()
        }
        DataType::DbDate => "date".into(),
        DataType::DbTime | DataType::DbTime2 { .. } => "time".into(),
        DataType::DbTimestampOffset { .. } => "datetimeoffset".into(),
        DataType::Guid => "uniqueidentifier".into(),
        DataType::Bytes { .. } | DataType::Image => "varbinary(max)".into(),
        _ => text(),
    }
}

/// The output and return-value bindings a batch's markers name, each once, in order, with
/// the type to declare (a return value is always `int`).
fn returned(markers: &[usize], req: &Request<'_>) -> Vec<(usize, String)> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for &i in markers {
        let p = &req.params[i];
        if p.direction == Direction::Input || found.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let ty = match p.direction {
            Direction::ReturnValue => "int".to_string(),
            _ => declared_type(&p.value, p.size),
        };
        found.push((i, ty));
    }
    found
}

/// `sql` with its output variables declared before it and selected after it.
/// The first column of the result set that carries a batch's output parameters.
const OUTPUTS_MARKER: &str = "ssisd_outputs";

fn with_outputs(sql: &str, returned: &[(usize, String)]) -> String {
    let mut text = String::new();
    for (i, ty) in returned {
        text.push_str(&format!("DECLARE {} {ty};\n", output_variable(*i)));
    }
    text.push_str(sql);
    let names: Vec<String> = returned.iter().map(|(i, _)| output_variable(*i)).collect();
    // On its own line: the batch may end inside a `--` comment. The marker column tells this
    // result set from the batch's own ones (a RETURN in the batch skips it).
    text.push_str(&format!(
        "\n;SELECT N'{OUTPUTS_MARKER}' AS [{OUTPUTS_MARKER}], {};",
        names.join(", ")
    ));
    text
}

/// What one batch gave back: its result sets, or (run without a result set) its row counts.
enum Outcome {
    Rows(Vec<Vec<tiberius::Row>>),
    Count(u64),
}

/// Runs every batch of `req` on one SQL Server connection.
pub fn run(settings: &TdsSettings, req: &Request<'_>) -> Result<Reply, SqlError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| req.connect_error(format!("cannot start the SQL Server client: {e}")))?;
    runtime.block_on(run_batches(settings, req))
}

async fn run_batches(settings: &TdsSettings, req: &Request<'_>) -> Result<Reply, SqlError> {
    // Connecting also stops at cancellation (a Browser or login that does not answer).
    let opening = connect(settings);
    tokio::pin!(opening);
    let mut client = loop {
        tokio::select! {
            r = &mut opening => break r.map_err(|e| req.connect_error(e.to_string()))?,
            _ = tokio::time::sleep(CANCEL_POLL) => {
                if req.cancel.is_cancelled() {
                    return Err(SqlError::Cancelled);
                }
            }
        }
    };
    let started = Instant::now();
    let deadline = (req.timeout > 0).then(|| started + Duration::from_secs(u64::from(req.timeout)));
    let mut rows = None;
    let mut rows_affected = None;
    let mut outputs = vec![None; req.params.len()];
    for batch in &req.batches {
        // Inputs go as RPC parameters, in marker order; outputs are the batch's own
        // variables, declared before it and selected after it.
        let values: Vec<Box<dyn ToSql>> = batch
            .markers
            .iter()
            .filter(|&&i| req.params[i].direction == Direction::Input)
            .map(|&i| sql_param(&req.params[i].value))
            .collect();
        let refs: Vec<&dyn ToSql> = values.iter().map(|b| b.as_ref()).collect();
        let returned = returned(&batch.markers, req);
        let sql = if returned.is_empty() {
            batch.sql.clone()
        } else {
            with_outputs(&batch.sql, &returned)
        };
        let work = async {
            if req.want_rows || !returned.is_empty() {
                let stream = client.query(sql.as_str(), &refs).await?;
                stream.into_results().await.map(Outcome::Rows)
            } else {
                let done = client.execute(sql.as_str(), &refs).await?;
                Ok(Outcome::Count(done.total()))
            }
        };
        tokio::pin!(work);
        let outcome = loop {
            tokio::select! {
                r = &mut work => break r.map_err(|e| req.query_error(&batch.sql, ssisd_sql::QueryError::from(e).to_string()))?,
                _ = tokio::time::sleep(CANCEL_POLL) => {
                    if req.cancel.is_cancelled() {
                        return Err(SqlError::Cancelled); // dropping the client ends the statement
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(SqlError::Timeout(req.timeout));
                    }
                }
            }
        };
        let mut results = match outcome {
            Outcome::Rows(results) => results,
            Outcome::Count(n) => {
                rows_affected =
                    Some(rows_affected.unwrap_or(0) + i64::try_from(n).unwrap_or(i64::MAX));
                continue;
            }
        };
        if !returned.is_empty() {
            // The last result set is the one the batch's closing SELECT gives — known by its
            // marker column; anything else means the batch never reached it.
            let is_outputs = |set: &Vec<tiberius::Row>| {
                set.first()
                    .and_then(|r| r.columns().first())
                    .is_some_and(|c| c.name() == OUTPUTS_MARKER)
            };
            let row = match results.last() {
                Some(set) if is_outputs(set) => results.pop().and_then(|set| set.into_iter().next()),
                _ => None,
            }
            .ok_or_else(|| req.query_error(
                &batch.sql,
                "the batch ended before its output parameters could be read (does it RETURN early?)",
            ))?;
            // Skip the marker column.
            for ((index, _), data) in returned.iter().zip(row.into_iter().skip(1)) {
                outputs[*index] = Some(engine_value(&data));
            }
        }
        if req.want_rows && rows.is_none() {
            if let Some(first) = results.into_iter().find(|set| !set.is_empty()) {
                let columns = first[0]
                    .columns()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect();
                let data = first
                    .into_iter()
                    .map(|row| row.into_iter().map(|d| engine_value(&d)).collect())
                    .collect();
                rows = Some(ResultSet {
                    columns,
                    types: Vec::new(),
                    rows: data,
                });
            }
        }
    }
    Ok(Reply {
        rows,
        outputs,
        rows_affected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_variables_are_declared_before_the_batch_and_selected_after_it() {
        let wrapped = with_outputs(
            "EXEC @SsisdOut1 = dbo.p @P1, @SsisdOut3 OUTPUT -- done",
            &[(0, "int".into()), (2, "nvarchar(50)".into())],
        );
        assert_eq!(
            wrapped,
            "DECLARE @SsisdOut1 int;\nDECLARE @SsisdOut3 nvarchar(50);\n\
             EXEC @SsisdOut1 = dbo.p @P1, @SsisdOut3 OUTPUT -- done\n\
             ;SELECT N'ssisd_outputs' AS [ssisd_outputs], @SsisdOut1, @SsisdOut3;"
        );
        assert_eq!(declared_type(&Value::I4(0), None), "int");
        assert_eq!(
            declared_type(&Value::WStr(String::new()), Some(50)),
            "nvarchar(50)"
        );
        assert_eq!(
            declared_type(&Value::WStr(String::new()), None),
            "nvarchar(max)"
        );
        assert_eq!(declared_type(&Value::Null(DataType::I8), None), "bigint");
        assert_eq!(declared_type(&Value::Bool(true), None), "bit");
        assert_eq!(declared_type(&Value::Object, None), "nvarchar(max)");
    }

    #[test]
    fn values_cross_both_ways() {
        assert_eq!(engine_value(&ColumnData::I32(Some(7))), Value::I4(7));
        assert_eq!(
            engine_value(&ColumnData::String(Some("é".into()))),
            Value::WStr("é".into())
        );
        assert_eq!(engine_value(&ColumnData::I32(None)), Value::Empty);
        let _ = sql_param(&Value::WStr("x".into()));
    }
}
