//! The Excel Source: reads a sheet, a cell range or a named range of the workbook its Excel
//! connection manager names — by table name (AccessMode 0, `OpenRowset`; 1, the name in
//! `OpenRowsetVariable`) or by a simple SELECT (2, `SqlCommand`; 3, the command in
//! `SqlCommandVariable`) — with the provider's HDR and IMEX rules (`excel::workbook`). Each
//! output column reads the sheet column of its external column's name; a value that does not
//! convert to the output column's type or does not fit follows the column's error or
//! truncation disposition (ErrorCode 0xC0209072 / 0xC0209073 on the error output, which also
//! carries the row's values). It must not know where its rows go.

use std::path::PathBuf;

use arrow_array::{ArrayRef, BooleanArray};
use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{DataType, Value};

use crate::buffer::redirected::{redirected_arrays, ErrorColumn};
use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, Emitter, FailureKind, Handling, PrepareContext,
};
use crate::components::{prop, prop_int};
use crate::database::source::{fit, variable_text};
use crate::error::{PipelineError, Problems};
use crate::excel::connection::ExcelConnection;
use crate::excel::query::{parse_select, parse_table, Query};
use crate::excel::workbook::{Table, Workbook};
use crate::metadata::identification;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Excel Source",
    class_ids: &[
        "{A4B1E1C8-17F3-46C8-AAD0-34F0C6FE42DE}",
        "{8C084929-27D1-479F-9641-ABB7CDADF1AC}",
        "DTSAdapter.ExcelSource",
        "Microsoft.ExcelSource",
    ],
    create,
};

/// What the component's properties say to read.
enum Access {
    Table(String),
    TableVariable(String),
    Sql(String),
    SqlVariable(String),
}

struct OutColumn {
    lineage: i64,
    name: String,
    identification: String,
    ty: DataType,
    external_ty: Option<DataType>,
    dispositions: Dispositions,
    /// The sheet column it reads (by name).
    external: String,
    /// Its index among the table's columns, set at pre-execute.
    source: usize,
}

struct ExcelSource {
    name: String,
    task_path: String,
    access: Access,
    main: usize,
    error: Option<usize>,
    /// Special flags, type and name of each error-output column.
    error_columns: Vec<ErrorColumn>,
    columns: Vec<OutColumn>,
    path: PathBuf,
    /// What is read, for messages (`sheet "Sheet1" of "/data/book.xlsx"`).
    object: String,
    table: Option<Table>,
    rows: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let props = &c.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").trim().to_string();
    let mut problems = Problems::default();
    let access = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => Access::Table(text("OpenRowset")),
        1 => Access::TableVariable(text("OpenRowsetVariable")),
        2 => Access::Sql(text("SqlCommand")),
        3 => Access::SqlVariable(text("SqlCommandVariable")),
        other => {
            return Err(spec
                .error(format!("its AccessMode {other} is not one of 0 (table or view), 1 (table name from a variable), 2 (SQL command), 3 (SQL command from a variable)"))
                .into())
        }
    };
    match &access {
        Access::Table(t) if t.is_empty() => problems.push(spec.error(
            "its access mode is \"Table or view\" but OpenRowset names no sheet; set it to a sheet such as Sheet1$ or a named range",
        )),
        Access::Table(t) => {
            if let Err(e) = parse_table(t) {
                problems.push(spec.error(format!("its OpenRowset: {e}")));
            }
        }
        Access::Sql(s) if s.is_empty() => problems.push(spec.error(
            "its access mode is \"SQL command\" but its SqlCommand is empty",
        )),
        Access::Sql(s) => {
            if let Err(e) = parse_select(s) {
                problems.push(spec.error(e.to_string()));
            }
        }
        Access::TableVariable(v) | Access::SqlVariable(v) if v.is_empty() => {
            problems.push(spec.error("its access mode reads a variable, but it names no variable"))
        }
        _ => {}
    }
    if !text("ParameterMapping").is_empty() {
        problems.push(spec.error(
            "its ParameterMapping maps ? parameters, which a workbook read directly cannot take; remove the parameters and filter with a Conditional Split",
        ));
    }
    let Some(main) = spec.main_output() else {
        problems.push(spec.error("it has no output; an Excel Source needs its output"));
        return Err(problems);
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
            external_ty: external.and_then(|e| e.data_type),
            dispositions: col.dispositions.clone(),
            external: external
                .map(|e| e.name.clone())
                .unwrap_or_else(|| col.name.clone()),
            source: 0,
        });
    }
    if c.connections.is_empty() {
        problems.push(spec.error(
            "it has no connection manager; assign an Excel connection manager to its OleDbConnection slot",
        ));
    }
    problems.into_result()?;
    let error = spec.error_output();
    let error_columns = spec.error_output_columns();
    Ok(Box::new(ExcelSource {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        access,
        main,
        error,
        error_columns,
        columns,
        path: PathBuf::new(),
        object: String::new(),
        table: None,
        rows: 0,
    }))
}

/// The Excel connection of a component's `OleDbConnection` slot: the parsed connection string
/// and the workbook's path as this machine sees it. Shared with the Excel Destination.
pub(crate) fn excel_connection(
    ctx: &PrepareContext<'_>,
) -> Result<(String, ExcelConnection, PathBuf), PipelineError> {
    let conn = ctx.connection("")?;
    if !conn.creation_name.trim().eq_ignore_ascii_case("EXCEL") {
        return Err(ctx.error(
            codes::INDIVIDUAL_VALIDATION_FAILED,
            format!(
                "its connection manager \"{}\" is a {} connection, not an Excel connection manager",
                conn.name, conn.creation_name
            ),
        ));
    }
    let excel = ExcelConnection::parse(&conn.connection_string).map_err(|e| {
        ctx.error(
            codes::INDIVIDUAL_VALIDATION_FAILED,
            format!("the Excel connection manager \"{}\": {e}", conn.name),
        )
    })?;
    let path = PathBuf::from(ctx.host.file_path(&excel.data_source));
    Ok((conn.name, excel, path))
}

impl ExcelSource {
    /// Sends the rows `[from, to)` of the table as one buffer (and their failures to the
    /// error output).
    fn emit(&mut self, from: usize, to: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let n = to - from;
        let table = self.table.as_ref().expect("prepared");
        let mut keep = vec![true; n];
        let mut redirected: Vec<(usize, u32, i64)> = Vec::new();
        let mut fitted: Vec<Vec<Value>> = Vec::with_capacity(self.columns.len());
        for col in &self.columns {
            let mut column = Vec::with_capacity(n);
            for (r, kept) in keep.iter_mut().enumerate() {
                match fit(table.value(from + r, col.source), &col.ty) {
                    Ok(v) => column.push(v),
                    Err((kind, status, detail, cut)) => match handling(&col.dispositions, kind) {
                        Handling::Ignore => column.push(if kind == FailureKind::Truncation {
                            cut
                        } else {
                            Value::Null(col.ty)
                        }),
                        Handling::Redirect => {
                            column.push(Value::Null(col.ty));
                            if *kept {
                                *kept = false;
                                redirected.push((r, status, col.lineage));
                            }
                        }
                        Handling::Fail => {
                            return Err(failure(
                                &self.task_path,
                                &self.name,
                                &col.identification,
                                (from + r + 1) as u64,
                                status,
                                kind,
                                &format!("{detail} (read from the {})", self.object),
                            ))
                        }
                    },
                }
            }
            fitted.push(column);
        }
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .zip(&fitted)
            .map(|(col, values)| {
                let mut b = ColumnBuilder::new(&col.ty, n);
                for v in values {
                    b.append_value(v);
                }
                b.finish()
            })
            .collect();
        let mut buffer = Buffer::new(out.layout(self.main), arrays, n);
        if !redirected.is_empty() {
            buffer = buffer.filter(&BooleanArray::from(keep));
        }
        if buffer.rows() > 0 {
            out.send(self.main, buffer)?;
        }
        let Some(e) = self.error else {
            return Ok(());
        };
        if redirected.is_empty() || !out.attached(e) {
            return Ok(());
        }
        // The raw cell, converted to the error column's type.
        let arrays = redirected_arrays(&self.error_columns, &redirected, |name, r| {
            let ci = self.columns.iter().position(|c| c.name == name)?;
            Some(table.value(from + r, self.columns[ci].source))
        });
        let k = redirected.len();
        out.send(e, Buffer::new(out.layout(e), arrays, k))
    }
}

impl Component for ExcelSource {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let (manager, excel, path) = excel_connection(ctx)?;
        let invalid = |e: String| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e);
        let query = match &self.access {
            Access::Table(t) => Query {
                table: parse_table(t).map_err(|e| invalid(format!("its OpenRowset: {e}")))?,
                columns: None,
                top: None,
            },
            Access::TableVariable(v) => {
                let t = variable_text(ctx, v)?;
                Query {
                    table: parse_table(&t)
                        .map_err(|e| invalid(format!("the variable \"{v}\": {e}")))?,
                    columns: None,
                    top: None,
                }
            }
            Access::Sql(s) => parse_select(s).map_err(|e| invalid(e.to_string()))?,
            Access::SqlVariable(v) => {
                let s = variable_text(ctx, v)?;
                parse_select(&s).map_err(|e| invalid(format!("the variable \"{v}\": {e}")))?
            }
        };
        let mut workbook = Workbook::open(&path).map_err(|e| {
            ctx.error(
                codes::CANNOT_OPEN_FILE,
                format!(
                    "the Excel connection manager \"{manager}\": {e}. Point its Data Source (ExcelFilePath) at an existing workbook, for example with /Conn"
                ),
            )
        })?;
        let table = workbook
            .read(&query, excel.header, excel.import_mixed_as_text)
            .map_err(|e| {
                invalid(format!(
                    "the Excel connection manager \"{manager}\" (\"{}\"): {e}",
                    path.display()
                ))
            })?;
        self.object = format!("{} of \"{}\"", query.table, path.display());
        for col in &mut self.columns {
            let Some(i) = table
                .columns
                .iter()
                .position(|t| t.name.eq_ignore_ascii_case(&col.external))
            else {
                return Err(invalid(format!(
                    "the output column \"{}\" reads the column \"{}\", which the {} does not have (its columns: {}). Refresh the component's columns or fix HDR in the connection manager",
                    col.identification,
                    col.external,
                    self.object,
                    table.column_names().join(", ")
                )));
            };
            col.source = i;
            let provider = table.columns[i].data_type;
            let expected = col.external_ty.unwrap_or(col.ty);
            if std::mem::discriminant(&provider) != std::mem::discriminant(&expected) {
                ctx.warning(
                    codes::EXTERNAL_METADATA_OUT_OF_SYNC,
                    format!(
                        "{}: component \"{}\": the {} types the column \"{}\" as {provider}, the package's external metadata as {expected}; values are converted to the output column's {}",
                        ctx.task_path, self.name, self.object, col.external, col.ty
                    ),
                );
            }
        }
        self.path = path;
        self.table = Some(table);
        Ok(())
    }

    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let total = self.table.as_ref().map(|t| t.rows).unwrap_or(0);
        let per = out.rows_per_buffer(self.main).max(1);
        let mut from = 0;
        while from < total {
            if out.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            let to = (from + per).min(total);
            self.emit(from, to, out)?;
            self.rows += (to - from) as u64;
            from = to;
        }
        Ok(())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        ctx.information(
            codes::TOTAL_DATA_ROWS_FOR_FILE,
            format!(
                "\"{}\" read {} rows from the {}.",
                self.name, self.rows, self.object
            ),
        );
        self.table = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.table = None;
    }
}
