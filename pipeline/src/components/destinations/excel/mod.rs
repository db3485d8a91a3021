//! The Excel Destination: writes its input rows into the sheet its `OpenRowset` names
//! (AccessMode 0 and 3; 1 and 4 take the name from `OpenRowsetVariable`; `Sheet1$` and
//! `Sheet1` both name the sheet "Sheet1") of the .xlsx workbook its Excel connection manager
//! names, below a header row of the external column names (HDR=YES) — creating the workbook
//! or the sheet when missing, appending below the rows already there otherwise
//! (`excel::sheet_writer`). Numbers, Booleans, dates and text become cells of their kind; a
//! value a cell cannot hold (text over 32,767 characters, a date before 1900, a number that is
//! not finite) follows the input's error or truncation disposition (ErrorCode 0xC0209077 /
//! 0xC0209078 on the error output). The workbook is written when the data flow succeeds and
//! renamed into place, so a failed run leaves it untouched. AccessMode 2 (an SQL command) and
//! .xls targets are refused. It must not read workbooks itself.

use std::path::PathBuf;

use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{DataType, Value};

use crate::buffer::values::value_at;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, FailureKind, Handling, PrepareContext, Routing,
    RowError, RunContext,
};
use crate::components::sources::excel::excel_connection;
use crate::components::{prop, prop_int};
use crate::database::source::variable_text;
use crate::error::{PipelineError, Problems};
use crate::excel::query::{parse_table, TableRef};
use crate::excel::sheet_writer::{Cell, SheetWriter, MAX_TEXT};
use crate::excel::workbook::is_xls;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Excel Destination",
    class_ids: &[
        "{C9269E28-EBDE-4DED-91EB-0BF42842F9F4}",
        "{1F5D5712-2FBA-4CB9-A95A-86C1F336E1DA}",
        "DTSAdapter.ExcelDestination",
        "Microsoft.ExcelDestination",
    ],
    create,
};

struct InColumn {
    buffer_index: usize,
    lineage: i64,
    ty: DataType,
    /// The sheet column (external metadata column) it is written to.
    external: String,
    identification: String,
}

struct ExcelDestination {
    name: String,
    task_path: String,
    /// The sheet name, or the variable holding it.
    table: String,
    table_variable: bool,
    dispositions: Dispositions,
    columns: Vec<InColumn>,
    path: PathBuf,
    writer: Option<SheetWriter>,
    rows_before: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let props = &c.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").trim().to_string();
    let mut problems = Problems::default();
    let (table, table_variable) = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 | 3 => (text("OpenRowset"), false),
        1 | 4 => (text("OpenRowsetVariable"), true),
        2 => {
            return Err(spec
                .error("its AccessMode 2 (rows defined by an SQL command) is not supported by ssisd; name the sheet in OpenRowset instead (AccessMode 0)")
                .into())
        }
        other => {
            return Err(spec
                .error(format!("its AccessMode {other} is not one of 0, 1, 3 and 4"))
                .into())
        }
    };
    if table.is_empty() {
        problems.push(spec.error(if table_variable {
            "its access mode reads the sheet name from a variable, but OpenRowsetVariable names none"
        } else {
            "OpenRowset names no sheet; set it to the sheet to write, such as Sheet1$"
        }));
    } else if !table_variable {
        if let Err(e) = sheet_of(&table) {
            problems.push(spec.error(format!("its OpenRowset: {e}")));
        }
    }
    let Some(input) = c.inputs.first() else {
        problems.push(spec.error("it has no input"));
        return Err(problems);
    };
    let layout = &spec.input_layouts[0];
    let mut columns = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let ty = layout.columns[idx].data_type;
        let external = input
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| layout.columns[idx].name.clone());
        if matches!(ty, DataType::Bytes { .. } | DataType::Image) {
            problems.push(spec.error(format!(
                "the input column \"{}\" is {ty}; an Excel cell cannot hold binary data. Convert it or leave it unmapped",
                layout.columns[idx].name
            )));
        }
        columns.push(InColumn {
            buffer_index: idx,
            lineage: col.lineage.number,
            ty,
            identification: format!(
                "{}.Inputs[{}].Columns[{}]",
                c.name, input.name, layout.columns[idx].name
            ),
            external,
        });
    }
    if c.connections.is_empty() {
        problems.push(spec.error(
            "it has no connection manager; assign an Excel connection manager to its OleDbConnection slot",
        ));
    }
    problems.into_result()?;
    Ok(Box::new(ExcelDestination {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        table,
        table_variable,
        dispositions: input.dispositions.clone(),
        columns,
        path: PathBuf::new(),
        writer: None,
        rows_before: 0,
    }))
}

/// The sheet a destination's table name writes to.
fn sheet_of(table: &str) -> Result<String, String> {
    match parse_table(table).map_err(|e| e.to_string())? {
        TableRef::Sheet(s) | TableRef::Named(s) => Ok(s),
        TableRef::Range { .. } => Err(format!(
            "\"{table}\" names a cell range; an Excel Destination writes a whole sheet, such as Sheet1$"
        )),
    }
}

/// Why a value cannot be a cell: the failure kind, status and what went wrong.
type CellFailure = (FailureKind, u32, String);

/// A value as a cell.
fn cell_of(v: &Value) -> Result<Cell<'_>, CellFailure> {
    let cant = |what: String| {
        Err((
            FailureKind::Error,
            codes::db_status::DEST_CANT_CONVERT,
            what,
        ))
    };
    let min_date = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
    let number = |x: f64| {
        if x.is_finite() {
            Ok(Cell::Number(x))
        } else {
            cant(format!("the number {x} cannot be stored in a cell"))
        }
    };
    let date_ok = |d: chrono::NaiveDate| d >= min_date;
    match v {
        Value::Null(_) | Value::Empty => Ok(Cell::Empty),
        Value::Bool(b) => Ok(Cell::Bool(*b)),
        Value::I1(x) => number(*x as f64),
        Value::I2(x) => number(*x as f64),
        Value::I4(x) => number(*x as f64),
        Value::I8(x) => number(*x as f64),
        Value::UI1(x) => number(*x as f64),
        Value::UI2(x) => number(*x as f64),
        Value::UI4(x) => number(*x as f64),
        Value::UI8(x) => number(*x as f64),
        Value::R4(x) => number(*x as f64),
        Value::R8(x) => number(*x),
        Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => {
            match d.to_string().parse::<f64>() {
                Ok(x) => number(x),
                Err(_) => cant(format!("the decimal {d} is not a number a cell holds")),
            }
        }
        Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => {
            if s.chars().nth(MAX_TEXT).is_some() {
                Err((
                    FailureKind::Truncation,
                    codes::db_status::DEST_TRUNCATED,
                    format!(
                        "the text of {} characters is longer than the {MAX_TEXT} an Excel cell holds",
                        s.chars().count()
                    ),
                ))
            } else {
                Ok(Cell::Text(s))
            }
        }
        Value::Date(d) | Value::DbTimestamp(d) | Value::DbTimestamp2(d) | Value::FileTime(d) => {
            if date_ok(d.date()) {
                Ok(Cell::DateTime(*d))
            } else {
                cant(format!(
                    "the date {d} is before 1900-01-01, the first date Excel stores"
                ))
            }
        }
        Value::DbDate(d) => {
            if date_ok(*d) {
                Ok(Cell::Date(*d))
            } else {
                cant(format!(
                    "the date {d} is before 1900-01-01, the first date Excel stores"
                ))
            }
        }
        Value::DbTime(t) | Value::DbTime2(t) => Ok(Cell::Time(*t)),
        Value::DbTimestampOffset(_) | Value::Guid(_) => cant(String::new()),
        Value::Bytes(_) | Value::Image(_) | Value::Object => {
            cant("binary data cannot be stored in a cell".into())
        }
    }
}

impl Component for ExcelDestination {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let (manager, excel, path) = excel_connection(ctx)?;
        let invalid = |e: String| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e);
        let table = if self.table_variable {
            variable_text(ctx, &self.table)?
        } else {
            self.table.clone()
        };
        let sheet = sheet_of(&table).map_err(|e| invalid(format!("the sheet name: {e}")))?;
        if is_xls(&path) {
            return Err(invalid(format!(
                "the Excel connection manager \"{manager}\" names \"{}\", an Excel 97-2003 (.xls) workbook; ssisd writes .xlsx workbooks only. Point it at a .xlsx file with Extended Properties \"Excel 12.0 XML;HDR=YES\"",
                path.display()
            )));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(ctx.error(
                    codes::CANNOT_OPEN_FILE,
                    format!(
                        "the folder \"{}\" of the workbook \"{}\" (Excel connection manager \"{manager}\") does not exist; create it or point the connection manager elsewhere",
                        dir.display(),
                        path.display()
                    ),
                ));
            }
        }
        let names: Vec<String> = self.columns.iter().map(|c| c.external.clone()).collect();
        let writer = SheetWriter::open(&path, &sheet, &names, excel.header).map_err(|e| {
            ctx.error(
                codes::CANNOT_OPEN_FILE,
                format!(
                    "the Excel connection manager \"{manager}\" (\"{}\"): {e}",
                    path.display()
                ),
            )
        })?;
        if writer.rewrote_existing {
            ctx.warning(
                codes::EXTERNAL_METADATA_OUT_OF_SYNC,
                format!(
                    "{}: component \"{}\": the workbook \"{}\" exists and will be rewritten with the new rows: its cell values, formulas and named ranges are kept, its cell formatting, charts and pictures are not",
                    ctx.task_path, self.name, path.display()
                ),
            );
        }
        self.path = path;
        self.writer = Some(writer);
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let mut routing = Routing::all();
        let Some(writer) = self.writer.as_mut() else {
            return Ok(routing);
        };
        for row in 0..buffer.rows() {
            let row_number = self.rows_before + row as u64 + 1;
            let values: Vec<Value> = self
                .columns
                .iter()
                .map(|c| value_at(buffer.column(c.buffer_index).as_ref(), &c.ty, row))
                .collect();
            let mut cells = Vec::with_capacity(values.len());
            let mut redirect: Option<RowError> = None;
            for (col, v) in self.columns.iter().zip(&values) {
                match cell_of(v) {
                    Ok(cell) => cells.push(cell),
                    Err((kind, status, detail)) => {
                        let detail = if detail.is_empty() {
                            format!("a {} value cannot be stored in a cell", col.ty)
                        } else {
                            detail
                        };
                        match handling(&self.dispositions, kind) {
                            Handling::Ignore => cells.push(match (kind, v) {
                                (
                                    FailureKind::Truncation,
                                    Value::Str(s)
                                    | Value::WStr(s)
                                    | Value::Text(s)
                                    | Value::NText(s),
                                ) => Cell::Text(
                                    &s[..s
                                        .char_indices()
                                        .nth(MAX_TEXT)
                                        .map(|(i, _)| i)
                                        .unwrap_or(s.len())],
                                ),
                                _ => Cell::Empty,
                            }),
                            Handling::Redirect => {
                                cells.push(Cell::Empty);
                                redirect.get_or_insert(RowError {
                                    row,
                                    code: status,
                                    column: col.lineage,
                                });
                            }
                            Handling::Fail => {
                                return Err(failure(
                                    &self.task_path,
                                    &self.name,
                                    &col.identification,
                                    row_number,
                                    status,
                                    kind,
                                    &format!("{detail} (sheet column \"{}\")", col.external),
                                ))
                            }
                        }
                    }
                }
            }
            if let Some(e) = redirect {
                routing.errors.push(e);
                continue;
            }
            if writer.room() == 0 {
                return Err(PipelineError::new(
                    codes::FILE_WRITE_ERROR,
                    self.name.clone(),
                    format!(
                        "{}: component \"{}\" failed on row {row_number}: the sheet of \"{}\" is full (an Excel sheet holds 1,048,576 rows); split the rows over several sheets or workbooks",
                        self.task_path,
                        self.name,
                        self.path.display()
                    ),
                ));
            }
            for (i, cell) in cells.into_iter().enumerate() {
                writer.write(i, cell).map_err(|e| {
                    PipelineError::new(
                        codes::FILE_WRITE_ERROR,
                        self.name.clone(),
                        format!("{}: component \"{}\": {e}", self.task_path, self.name),
                    )
                })?;
            }
            writer.end_row();
        }
        self.rows_before += buffer.rows() as u64;
        Ok(routing)
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        let rows = writer.rows_written();
        writer.save(&self.path).map_err(|e| {
            ctx.error(
                codes::FILE_WRITE_ERROR,
                format!(
                    "could not write the workbook \"{}\": {e}",
                    self.path.display()
                ),
            )
        })?;
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {rows} rows.", self.name),
        );
        Ok(())
    }

    fn abort(&mut self) {
        self.writer = None;
    }
}
