//! The Flat File source: reads the file of its FLATFILE connection manager in the manager's
//! format and sends typed rows to its output. Each field converts to its output column's type;
//! a value that does not convert or does not fit follows the column's error or truncation
//! disposition (Ignore Failure: NULL or the cut value; Redirect Row: the raw row, ErrorCode and
//! ErrorColumn to the error output; Fail Component: the data flow stops with the file, row and
//! byte offset). Empty fields become NULL with RetainNulls, else the type's empty value.
//! FileNameColumnName adds the file's name. Short rows and broken qualifiers always fail, as in
//! SSIS. It must not know where its rows go.

use std::fs::File;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int32Array};
use ssisd_engine::model::Dispositions;
use ssisd_engine::types::DataType;

use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, Emitter, FailureKind, Handling, PrepareContext,
};
use crate::components::{prop, prop_bool};
use crate::error::{PipelineError, Problems};
use crate::flat_file::format::{parse_format, FlatFileFormat};
use crate::flat_file::reader::{ReadError, Reader};
use crate::flat_file::text::{append_empty, append_text, append_truncated, TextError};
use crate::metadata::identification;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Flat File Source",
    class_ids: &[
        "{5ACD952A-F16A-41D8-A681-713640837664}",
        "{D23FD76B-F51D-420F-BBCB-19CBF6AC1AB4}",
        "DTSAdapter.FlatFileSource",
        "Microsoft.FlatFileSource",
    ],
    create,
};

struct OutColumn {
    lineage: i64,
    identification: String,
    ty: DataType,
    dispositions: Dispositions,
    /// The flat-file column it reads (by name), resolved at pre-execute.
    external: String,
    file_index: usize,
    is_file_name: bool,
}

struct FlatFileSource {
    name: String,
    task_path: String,
    retain_nulls: bool,
    main: usize,
    error: Option<usize>,
    /// Special flags of the error output's columns (1 ErrorCode, 2 ErrorColumn, 0 other).
    error_flags: Vec<(u32, DataType)>,
    columns: Vec<OutColumn>,
    connection: String,
    path: String,
    format: Option<FlatFileFormat>,
    reader: Option<Reader<File>>,
    rows: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let Some(main) = spec.main_output() else {
        return Err(spec
            .error("it has no output; a Flat File source needs its output")
            .into());
    };
    let out = &c.outputs[main];
    let file_name_column = prop(&c.properties, "FileNameColumnName")
        .unwrap_or("")
        .to_string();
    let mut columns = Vec::new();
    for col in &out.columns {
        let Some(ty) = col.data_type else {
            problems.push(spec.error(format!(
                "the output column \"{}\" has the unknown data type \"{}\"",
                col.name, col.type_name
            )));
            continue;
        };
        let is_file_name = !file_name_column.is_empty() && col.name == file_name_column;
        if is_file_name && !matches!(ty, DataType::WStr { .. }) {
            problems.push(spec.error(format!(
                "the file name column \"{}\" must be DT_WSTR, not {}",
                col.name,
                ty.static_name()
            )));
        }
        let external = out
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| col.name.clone());
        columns.push(OutColumn {
            lineage: col.lineage_id,
            identification: identification(c, out, col),
            ty,
            dispositions: col.dispositions.clone(),
            external,
            file_index: 0,
            is_file_name,
        });
    }
    if c.connections.is_empty() {
        problems.push(spec.error("it has no connection manager; set its FlatFileConnection"));
    }
    problems.into_result()?;
    let error = spec.error_output();
    let error_flags = error
        .map(|e| {
            c.outputs[e]
                .columns
                .iter()
                .map(|col| (col.special_flags, col.data_type.unwrap_or(DataType::NText)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Box::new(FlatFileSource {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        retain_nulls: prop_bool(&c.properties, "RetainNulls").unwrap_or(false),
        main,
        error,
        error_flags,
        columns,
        connection: String::new(),
        path: String::new(),
        format: None,
        reader: None,
        rows: 0,
    }))
}

impl FlatFileSource {
    fn read_error(&self, e: ReadError) -> PipelineError {
        let row = self.reader.as_ref().map(|r| r.rows_read + 1).unwrap_or(0);
        let col = |i: usize| {
            self.format
                .as_ref()
                .and_then(|f| f.columns.get(i))
                .map(|c| c.name.clone())
                .unwrap_or_default()
        };
        let (code, what) = match e {
            ReadError::ShortRow { column, offset } => (
                codes::COLUMN_DELIMITER_NOT_FOUND,
                format!("data row {row}, byte offset {offset}: the row ends before the delimiter of column \"{}\" (a short row)", col(column)),
            ),
            ReadError::UnterminatedQualifier { column, offset } => (
                codes::ERROR_READING_DATA_ROWS,
                format!("data row {row}, byte offset {offset}: the text qualifier that opens column \"{}\" is never closed", col(column)),
            ),
            ReadError::StrayQualifier { column, offset } => (
                codes::ERROR_READING_DATA_ROWS,
                format!("data row {row}, byte offset {offset}: the text qualifier closing column \"{}\" is not followed by the column delimiter (double a qualifier inside a value)", col(column)),
            ),
            ReadError::Encoding { column, offset } => (
                codes::ERROR_READING_DATA_ROWS,
                format!("data row {row}, byte offset {offset}: column \"{}\" is not valid text in the file's code page", col(column)),
            ),
            ReadError::Io(m) => (codes::ERROR_READING_DATA_ROWS, m),
        };
        PipelineError::new(
            code,
            self.name.clone(),
            format!(
                "{}: component \"{}\" failed reading the file \"{}\" (connection \"{}\"): {what} ({}). Fix the file or the connection manager's format.",
                self.task_path,
                self.name,
                self.path,
                self.connection,
                codes::hex(code)
            ),
        )
    }
}

impl Component for FlatFileSource {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let conn = ctx.connection("FlatFileConnection")?;
        self.connection = conn.name.clone();
        if !conn.creation_name.eq_ignore_ascii_case("FLATFILE") {
            return Err(ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!(
                    "its connection manager \"{}\" is a {} connection, not a Flat File connection",
                    conn.name, conn.creation_name
                ),
            ));
        }
        let od = conn.object_data.clone().unwrap_or_default();
        let format = parse_format(&od).map_err(|e| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("the connection manager \"{}\": {e}", conn.name),
            )
        })?;
        for col in self.columns.iter_mut().filter(|c| !c.is_file_name) {
            col.file_index = format
                .columns
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(&col.external))
                .ok_or_else(|| {
                    ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!(
                            "the output column \"{}\" reads the file column \"{}\", which the connection manager \"{}\" does not define",
                            col.identification, col.external, conn.name
                        ),
                    )
                })?;
        }
        self.path = conn.file_path.clone();
        let file = File::open(&self.path).map_err(|e| {
            ctx.error(
                codes::CANNOT_OPEN_FILE,
                format!(
                    "cannot open the data file \"{}\" of the connection manager \"{}\": {e}. Point the connection at an existing file (for example with /Conn)",
                    self.path, conn.name
                ),
            )
        })?;
        self.format = Some(format);
        let reader = Reader::new(file, self.format.as_ref().expect("set"));
        match reader {
            Ok(r) => self.reader = Some(r),
            Err(e) => return Err(self.read_error(e)),
        }
        ctx.information(
            codes::START_PROCESSING_FILE,
            format!("The processing of file \"{}\" has started.", self.path),
        );
        Ok(())
    }

    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let rows_per = out.rows_per_buffer(self.main);
        let layout = out.layout(self.main);
        let error_attached = self.error.is_some_and(|e| out.attached(e));
        let mut done = false;
        while !done {
            if out.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            let mut builders: Vec<ColumnBuilder> = self
                .columns
                .iter()
                .map(|c| ColumnBuilder::new(&c.ty, rows_per))
                .collect();
            let mut dropped: Vec<usize> = Vec::new();
            let mut errors: Vec<(String, u32, i64)> = Vec::new();
            let mut n = 0;
            while n < rows_per {
                let more = {
                    let reader = self.reader.as_mut().expect("prepared");
                    reader.next_row()
                };
                match more {
                    Ok(true) => {}
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Err(e) => return Err(self.read_error(e)),
                }
                let reader = self.reader.as_ref().expect("prepared");
                let row_number = reader.rows_read;
                let mut redirect: Option<(u32, i64)> = None;
                for (ci, col) in self.columns.iter().enumerate() {
                    let b = &mut builders[ci];
                    if col.is_file_name {
                        b.append_str(&self.path);
                        continue;
                    }
                    if col.file_index >= reader.field_count() {
                        b.append_null();
                        continue;
                    }
                    let text = match reader.field_text(col.file_index) {
                        Ok(t) => t,
                        Err(e) => return Err(self.read_error(e)),
                    };
                    if text.is_empty() {
                        if self.retain_nulls {
                            b.append_null();
                        } else {
                            append_empty(b, &col.ty);
                        }
                        continue;
                    }
                    let (kind, status, detail) = match append_text(b, &col.ty, &text) {
                        Ok(()) => continue,
                        Err(TextError::Truncated) => (
                            FailureKind::Truncation,
                            codes::status::FLAT_FILE_TRUNCATED,
                            format!(
                                "the value is longer than the column's {} characters",
                                col.ty.string_len()
                            ),
                        ),
                        Err(TextError::CantConvert(reason)) => (
                            FailureKind::Error,
                            codes::status::FLAT_FILE_CANT_CONVERT,
                            format!(
                                "the text \"{text}\" cannot be converted to {}: {reason}",
                                col.ty
                            ),
                        ),
                    };
                    match handling(&col.dispositions, kind) {
                        Handling::Ignore => {
                            if kind == FailureKind::Truncation {
                                append_truncated(b, &col.ty, &text);
                            } else {
                                b.append_null();
                            }
                        }
                        Handling::Redirect => {
                            b.append_null();
                            if redirect.is_none() {
                                redirect = Some((status, col.lineage));
                            }
                        }
                        Handling::Fail => {
                            let offset = reader.field_offset(col.file_index);
                            return Err(failure(
                                &self.task_path,
                                &self.name,
                                &col.identification,
                                row_number,
                                status,
                                kind,
                                &format!(
                                    "{detail} (file \"{}\", data row {row_number}, byte offset {offset})",
                                    self.path
                                ),
                            ));
                        }
                    }
                }
                if let Some((code, lineage)) = redirect {
                    dropped.push(n);
                    if error_attached {
                        errors.push((reader.row_text(), code, lineage));
                    }
                }
                n += 1;
            }
            self.rows += n as u64;
            if n > 0 {
                let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| b.finish()).collect();
                let mut buffer = Buffer::new(layout.clone(), arrays, n);
                if !dropped.is_empty() {
                    let mut keep = vec![true; n];
                    for d in &dropped {
                        keep[*d] = false;
                    }
                    buffer = buffer.filter(&BooleanArray::from(keep));
                }
                if buffer.rows() > 0 {
                    out.send(self.main, buffer)?;
                }
            }
            if let (Some(e), false) = (self.error, errors.is_empty()) {
                let k = errors.len();
                let arrays: Vec<ArrayRef> = self
                    .error_flags
                    .iter()
                    .map(|(flag, ty)| -> ArrayRef {
                        match flag {
                            1 => Arc::new(Int32Array::from_iter_values(
                                errors.iter().map(|x| codes::signed(x.1)),
                            )),
                            2 => Arc::new(Int32Array::from_iter_values(
                                errors.iter().map(|x| x.2 as i32),
                            )),
                            _ => {
                                let mut b = ColumnBuilder::new(ty, k);
                                for x in &errors {
                                    b.append_str(&x.0);
                                }
                                b.finish()
                            }
                        }
                    })
                    .collect();
                out.send(e, Buffer::new(out.layout(e), arrays, k))?;
            }
        }
        Ok(())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        ctx.information(
            codes::FINISH_PROCESSING_FILE,
            format!("The processing of file \"{}\" has ended.", self.path),
        );
        ctx.information(
            codes::TOTAL_DATA_ROWS_FOR_FILE,
            format!(
                "The total number of data rows processed for file \"{}\" is {}.",
                self.path, self.rows
            ),
        );
        self.reader = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.reader = None;
    }
}
