//! The database source behind the OLE DB, ODBC and ADO.NET Source components: what to read (a
//! table or view, its name from a variable, an SQL command, the command from a variable, with
//! `?` parameters mapped to variables), reading it through the connection manager's driver
//! (ODBC: a cursor fetched in arrays on the source's thread; SQL Server: tiberius streaming
//! the rows), and turning each batch into a pipeline buffer of the output's columns. The
//! package's external metadata drives the output: each output column reads the result column
//! of its external column's name; a column the database does not return is an error naming
//! it, a column the database types otherwise than the package is a warning
//! (0x80202066) and its values are converted to the output column's type, a value that does
//! not convert or does not fit following the column's error or truncation disposition
//! (status 0xC0209072 / 0xC0209073 in ErrorCode). Rows arrive batch by batch and leave as
//! buffers; the result is never held whole. The components' directories read their own
//! properties into a [`SourceConfig`]; this file must not know property names.

use arrow_array::{ArrayRef, BooleanArray};
use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{convert, DataType, Value};
use ssisd_sql::odbc::{OdbcBatches, OdbcConnection, ReadOptions};
use ssisd_sql::type_map::CharTypes;
use ssisd_sql::{ColumnInfo, QueryError, RowBatch};

use super::connection::{connect_error, open, Session, Target, TdsSession};
use super::names::{ObjectName, Quoting};
use super::parameters::{count_markers, numbered_markers, Parameter};
use crate::buffer::redirected::{redirected_arrays, ErrorColumn};
use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, Emitter, FailureKind, Handling, PrepareContext,
};
use crate::error::{PipelineError, Problems};
use crate::host::Level;
use crate::metadata::identification;

/// What a source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A table or view (every column).
    Table(String),
    /// A table or view whose name a variable holds.
    TableVariable(String),
    /// An SQL command.
    Sql(String),
    /// An SQL command a variable holds.
    SqlVariable(String),
}

/// A source's configuration, read from its component's properties.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The component kind, for messages ("OLE DB Source").
    pub kind: &'static str,
    /// The connection slot (`OleDbConnection`, `ODBCConnection`, `IDbConnection`).
    pub slot: &'static str,
    pub query: Query,
    /// `?` markers in order, each mapped to a variable.
    pub parameters: Vec<Parameter>,
    /// Seconds a statement may run (0: no limit).
    pub timeout_secs: u32,
    /// How character columns are typed when the database describes them.
    pub chars: CharTypes,
}

struct OutColumn {
    lineage: i64,
    name: String,
    identification: String,
    ty: DataType,
    dispositions: Dispositions,
    /// The result column it reads (by name), and the type the package expects there.
    external: String,
    external_ty: Option<DataType>,
    /// Index in the result set, set once the result's columns are known.
    source: usize,
}

enum Reader {
    Cursor(Box<OdbcBatches<odbc_api::OwnedCursor<OdbcConnection>>>),
    Tds(Box<TdsSession>),
}

struct DatabaseSource {
    config: SourceConfig,
    name: String,
    task_path: String,
    main: usize,
    error: Option<usize>,
    error_columns: Vec<ErrorColumn>,
    columns: Vec<OutColumn>,
    target: Option<Target>,
    object: String,
    sql: String,
    values: Vec<Value>,
    reader: Option<Reader>,
    rows: u64,
}

/// Builds a source from its spec and configuration (no I/O).
pub fn create(
    spec: &ComponentSpec<'_>,
    config: SourceConfig,
) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let Some(main) = spec.main_output() else {
        return Err(spec
            .error(format!(
                "it has no output; an {} needs its output",
                config.kind
            ))
            .into());
    };
    let out = &c.outputs[main];
    let mut columns = Vec::new();
    for col in &out.columns {
        let Some(ty) = col.data_type else {
            problems.push(spec.error(format!(
                "the output column \"{}\" has the unknown data type \"{}\"",
                col.name, col.type_name
            )));
            continue;
        };
        let external = out.external_of(col);
        columns.push(OutColumn {
            lineage: col.lineage_id,
            name: col.name.clone(),
            identification: identification(c, out, col),
            ty,
            dispositions: col.dispositions.clone(),
            external: external
                .map(|e| e.name.clone())
                .unwrap_or_else(|| col.name.clone()),
            external_ty: external.and_then(|e| e.data_type),
            source: 0,
        });
    }
    if c.connections.is_empty() {
        problems.push(spec.error(format!(
            "it has no connection manager; assign one to its {} slot",
            config.slot
        )));
    }
    match &config.query {
        Query::Table(t) if t.trim().is_empty() => problems.push(spec.error(
            "its access mode is \"Table or view\" but it names no table (OpenRowset / TableName is empty)",
        )),
        Query::Sql(s) if s.trim().is_empty() => problems.push(spec.error(
            "its access mode is \"SQL command\" but its SqlCommand is empty",
        )),
        Query::TableVariable(v) | Query::SqlVariable(v) if v.trim().is_empty() => problems.push(
            spec.error("its access mode reads a variable, but it names no variable"),
        ),
        Query::Sql(s) if count_markers(s) != config.parameters.len() && !config.parameters.is_empty() => {
            problems.push(spec.error(format!(
                "its SqlCommand has {} parameter markers (?) but ParameterMapping maps {}",
                count_markers(s),
                config.parameters.len()
            )))
        }
        _ => {}
    }
    problems.into_result()?;
    let error = spec.error_output();
    let error_columns = spec.error_output_columns();
    Ok(Box::new(DatabaseSource {
        config,
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        main,
        error,
        error_columns,
        columns,
        target: None,
        object: String::new(),
        sql: String::new(),
        values: Vec::new(),
        reader: None,
        rows: 0,
    }))
}

/// The text of a variable that holds a name or a command.
pub(crate) fn variable_text(ctx: &PrepareContext<'_>, name: &str) -> Result<String, PipelineError> {
    let v = ctx.host.variable(name).map_err(|e| {
        ctx.error(
            codes::VARIABLE_INVALID,
            format!("the variable \"{name}\" cannot be read: {e}"),
        )
    })?;
    let text = v
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_display_string());
    if text.trim().is_empty() {
        return Err(ctx.error(
            codes::VARIABLE_INVALID,
            format!(
                "the variable \"{name}\" is empty; it must hold a table name or an SQL command"
            ),
        ));
    }
    Ok(text)
}

/// A value read from the database as the output column's type: `Err` with the kind of
/// failure, the status code, what went wrong and, for a truncation, the cut value.
pub(crate) fn fit(v: Value, ty: &DataType) -> Result<Value, (FailureKind, u32, String, Value)> {
    if matches!(v, Value::Null(_) | Value::Empty) {
        return Ok(Value::Null(*ty));
    }
    let v = if std::mem::discriminant(&v.data_type()) == std::mem::discriminant(ty) {
        v
    } else {
        match convert(&v, ty) {
            Ok(c) => c,
            Err(e) => {
                return Err((
                    FailureKind::Error,
                    codes::db_status::SOURCE_CANT_CONVERT,
                    e.to_string(),
                    Value::Null(*ty),
                ))
            }
        }
    };
    let limit = ty.string_len() as usize;
    if limit > 0 {
        let over = match &v {
            Value::Str(s) | Value::WStr(s) => s.chars().nth(limit).map(|_| {
                let cut: String = s.chars().take(limit).collect();
                if matches!(v, Value::Str(_)) {
                    Value::Str(cut)
                } else {
                    Value::WStr(cut)
                }
            }),
            Value::Bytes(b) if b.len() > limit => Some(Value::Bytes(b[..limit].to_vec())),
            _ => None,
        };
        if let Some(cut) = over {
            return Err((
                FailureKind::Truncation,
                codes::db_status::SOURCE_TRUNCATED,
                format!("the value is longer than the column's {limit}"),
                cut,
            ));
        }
    }
    Ok(v)
}

impl DatabaseSource {
    fn run_error(&self, what: &str, e: impl std::fmt::Display) -> PipelineError {
        let target = self
            .target
            .as_ref()
            .map(Target::describe)
            .unwrap_or_default();
        PipelineError::new(
            codes::DATABASE_ERROR,
            self.name.clone(),
            format!(
                "{}: component \"{}\" failed {what} {} through {target}: {e} ({})",
                self.task_path,
                self.name,
                self.object,
                codes::hex(codes::DATABASE_ERROR)
            ),
        )
    }

    /// Matches the output columns to the result's columns by name; warns about types that
    /// differ from the external metadata.
    fn map_columns(&mut self, result: &[ColumnInfo]) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        for col in &mut self.columns {
            let Some(i) = result
                .iter()
                .position(|r| r.name.eq_ignore_ascii_case(&col.external))
            else {
                let have: Vec<&str> = result.iter().map(|r| r.name.as_str()).collect();
                return Err(format!(
                    "the output column \"{}\" reads the column \"{}\", which {} does not return (it returns {}). Refresh the component's columns or fix the query",
                    col.identification,
                    col.external,
                    self.object,
                    if have.is_empty() { "no columns".to_string() } else { have.join(", ") }
                ));
            };
            col.source = i;
            let described = result[i].data_type;
            let expected = col.external_ty.unwrap_or(col.ty);
            if described != expected {
                warnings.push(format!(
                    "the database describes the column \"{}\" as {} ({}), the package's external metadata as {}; values are converted to the output column's {}",
                    col.external, result[i].source_type, described, expected, col.ty
                ));
            }
        }
        Ok(warnings)
    }

    /// Turns one batch into buffers for the main and error outputs.
    fn emit(&mut self, batch: RowBatch, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let n = batch.rows();
        if n == 0 {
            return Ok(());
        }
        let layout = out.layout(self.main);
        let error_attached = self.error.is_some_and(|e| out.attached(e));
        let mut values = batch.values;
        let mut builders: Vec<ColumnBuilder> = self
            .columns
            .iter()
            .map(|c| ColumnBuilder::new(&c.ty, n))
            .collect();
        // Rows redirected: (row, code, lineage).
        let mut redirected: Vec<(usize, u32, i64)> = Vec::new();
        let mut keep = vec![true; n];
        // Per column, its values fitted to the output type.
        let mut fitted: Vec<Vec<Value>> = Vec::with_capacity(self.columns.len());
        for col in &self.columns {
            let raw = std::mem::take(&mut values[col.source]);
            let mut column = Vec::with_capacity(n);
            for (r, v) in raw.into_iter().enumerate() {
                match fit(v, &col.ty) {
                    Ok(v) => column.push(v),
                    Err((kind, status, detail, cut)) => match handling(&col.dispositions, kind) {
                        Handling::Ignore => column.push(if kind == FailureKind::Truncation {
                            cut
                        } else {
                            Value::Null(col.ty)
                        }),
                        Handling::Redirect => {
                            column.push(Value::Null(col.ty));
                            if keep[r] {
                                keep[r] = false;
                                redirected.push((r, status, col.lineage));
                            }
                        }
                        Handling::Fail => {
                            return Err(failure(
                                &self.task_path,
                                &self.name,
                                &col.identification,
                                self.rows + r as u64 + 1,
                                status,
                                kind,
                                &format!("{detail} (read from {})", self.object),
                            ))
                        }
                    },
                }
            }
            fitted.push(column);
        }
        for (ci, column) in fitted.iter().enumerate() {
            for v in column {
                builders[ci].append_value(v);
            }
        }
        self.rows += n as u64;
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| b.finish()).collect();
        let mut buffer = Buffer::new(layout, arrays, n);
        if !redirected.is_empty() {
            buffer = buffer.filter(&BooleanArray::from(keep));
        }
        if buffer.rows() > 0 {
            out.send(self.main, buffer)?;
        }
        if let (Some(e), true, false) = (self.error, error_attached, redirected.is_empty()) {
            let arrays = redirected_arrays(&self.error_columns, &redirected, |name, r| {
                let ci = self.columns.iter().position(|c| c.name == name)?;
                Some(fitted[ci][r].clone())
            });
            let k = redirected.len();
            out.send(e, Buffer::new(out.layout(e), arrays, k))?;
        }
        Ok(())
    }

    fn produce_odbc(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let Some(Reader::Cursor(mut batches)) = self.reader.take() else {
            return Ok(());
        };
        loop {
            if out.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            match batches.next_batch() {
                Ok(Some(batch)) => self.emit(batch, out)?,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.run_error("reading", query_error(e))),
            }
        }
    }

    fn produce_tds(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let Some(Reader::Tds(session)) = self.reader.take() else {
            return Ok(());
        };
        let TdsSession {
            runtime,
            mut client,
        } = *session;
        let rows = out.rows_per_buffer(self.main);
        let sql = numbered_markers(&self.sql);
        let params: Vec<ssisd_sql::tds::values::Param> = self
            .values
            .iter()
            .map(|v| ssisd_sql::tds::values::Param(ssisd_sql::tds::values::column_data(v)))
            .collect();
        let refs: Vec<&dyn tiberius::ToSql> =
            params.iter().map(|p| p as &dyn tiberius::ToSql).collect();
        let chars = self.config.chars;
        let mut batches = runtime
            .block_on(async {
                let stream = client.query(sql.as_str(), &refs).await?;
                Ok::<_, tiberius::error::Error>(ssisd_sql::tds::TdsBatches::new(
                    stream, chars, rows,
                ))
            })
            .map_err(|e| self.run_error("running its command on", QueryError::from(e)))?;
        let columns = runtime
            .block_on(batches.columns())
            .map_err(|e| self.run_error("reading", e))?;
        let warnings = self
            .map_columns(&columns)
            .map_err(|e| self.run_error("reading", e))?;
        for w in warnings {
            out.context()
                .message(Level::Warning, codes::EXTERNAL_METADATA_OUT_OF_SYNC, w);
        }
        loop {
            if out.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            match runtime.block_on(batches.next_batch()) {
                Ok(Some(batch)) => self.emit(batch, out)?,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.run_error("reading", e)),
            }
        }
    }
}

fn query_error(e: QueryError) -> String {
    e.to_string()
}

impl Component for DatabaseSource {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let target = Target::resolve(ctx, self.config.slot)?;
        let quoting = if target.is_tds() {
            Quoting::Brackets
        } else {
            Quoting::Ansi
        };
        let table = |text: &str| -> Result<String, PipelineError> {
            let name = ObjectName::parse(text)
                .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))?;
            Ok(name.render(quoting))
        };
        let (sql, object) = match &self.config.query {
            Query::Table(t) => {
                let n = table(t)?;
                (
                    format!("SELECT * FROM {n}"),
                    format!("the table or view {n}"),
                )
            }
            Query::TableVariable(v) => {
                let n = table(&variable_text(ctx, v)?)?;
                (
                    format!("SELECT * FROM {n}"),
                    format!("the table or view {n}"),
                )
            }
            Query::Sql(s) => (s.clone(), "its SQL command".to_string()),
            Query::SqlVariable(v) => (
                variable_text(ctx, v)?,
                format!("the SQL command in the variable \"{v}\""),
            ),
        };
        let markers = count_markers(&sql);
        if markers != self.config.parameters.len() {
            return Err(ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!(
                    "its SQL command has {markers} parameter markers (?) but ParameterMapping maps {} variables; map one variable to each marker",
                    self.config.parameters.len()
                ),
            ));
        }
        let mut values = Vec::new();
        for p in &self.config.parameters {
            let v = ctx.host.variable(&p.variable).map_err(|e| {
                ctx.error(
                    codes::VARIABLE_INVALID,
                    format!(
                        "the parameter \"{}\" is mapped to the variable \"{}\", which cannot be read: {e}",
                        p.name, p.variable
                    ),
                )
            })?;
            values.push(v);
        }
        self.sql = sql;
        self.object = object;
        self.values = values;
        let session = open(&target).map_err(|e| connect_error(ctx, &target, &e))?;
        self.target = Some(target);
        match session {
            Session::Odbc(conn) => {
                let params: Vec<Box<dyn odbc_api::parameter::InputParameter>> = self
                    .values
                    .iter()
                    .map(ssisd_sql::odbc::parameters::input)
                    .collect();
                let timeout =
                    (self.config.timeout_secs > 0).then_some(self.config.timeout_secs as usize);
                let cursor = match conn.into_cursor(&self.sql, params.as_slice(), timeout) {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        return Err(self.run_error(
                            "running",
                            "the command returns no result set; a source needs a SELECT (or a procedure that returns rows)",
                        ))
                    }
                    Err(e) => return Err(self.run_error("running", odbc_error(e.error))),
                };
                let rows = ctx.sizing.max_rows.max(1);
                let batches = OdbcBatches::new(
                    cursor,
                    ReadOptions {
                        batch_rows: rows,
                        chars: self.config.chars,
                        ..ReadOptions::default()
                    },
                )
                .map_err(|e| self.run_error("describing", e))?;
                let result: Vec<ColumnInfo> = batches.columns().to_vec();
                let warnings = self
                    .map_columns(&result)
                    .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e))?;
                for w in warnings {
                    ctx.warning(codes::EXTERNAL_METADATA_OUT_OF_SYNC, w);
                }
                self.reader = Some(Reader::Cursor(Box::new(batches)));
            }
            Session::Tds(s) => self.reader = Some(Reader::Tds(s)),
        }
        Ok(())
    }

    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        match self.reader {
            Some(Reader::Tds(_)) => self.produce_tds(out),
            _ => self.produce_odbc(out),
        }
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        ctx.information(
            codes::ROWS_WRITTEN,
            format!(
                "\"{}\" read {} rows from {}.",
                self.name, self.rows, self.object
            ),
        );
        self.reader = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.reader = None;
    }
}

/// An ODBC error as one line.
pub fn odbc_error(e: odbc_api::Error) -> String {
    ssisd_sql::error::odbc_message(&e)
}
