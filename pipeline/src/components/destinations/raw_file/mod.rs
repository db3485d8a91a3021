//! The Raw File destination: writes its input columns, under their output aliases (the
//! external column names) or their upstream names, to a raw file of ssisd's format
//! (`raw_file/`; SSIS's own raw layout is private and not written). WriteOption: 0 create
//! always, 1 create once (fails if the file exists), 2 append and 3 truncate and append (both
//! need an existing file with the same columns). Rows go to a temporary file that replaces the
//! target only when the data flow succeeds, so a failed or cancelled run leaves the old file
//! (or none) and never a partial one. BLOB columns cannot be written, as in SSIS. It must not
//! convert values.

use std::path::PathBuf;

use arrow_array::RecordBatch;

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::prop_int;
use crate::components::raw_file_name::{configured, FileName};
use crate::error::{PipelineError, Problems};
use crate::raw_file::writer::{RawWriter, WriteMode};
use crate::raw_file::{FileKind, RawColumn, RawFileError};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Raw File Destination",
    class_ids: &["DTSAdapter.RawDestination", "Microsoft.RawDestination"],
    create,
};

struct RawFileDestination {
    name: String,
    task_path: String,
    file_name: FileName,
    mode: WriteMode,
    columns: Vec<RawColumn>,
    buffer_index: Vec<usize>,
    path: PathBuf,
    writer: Option<RawWriter>,
    rows: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let file_name = match configured(spec, &c.properties) {
        Ok(f) => Some(f),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    let option = prop_int(&c.properties, "WriteOption").unwrap_or(0);
    let mode = WriteMode::from_option(option);
    if mode.is_none() {
        problems.push(spec.error(format!("its WriteOption is {option}; it must be 0 (create always), 1 (create once), 2 (append) or 3 (truncate and append)")));
    }
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut columns: Vec<RawColumn> = Vec::new();
    let mut buffer_index = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let lc = &layout.columns[idx];
        let name = input
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| lc.name.clone());
        if lc.data_type.is_blob() {
            problems.push(spec.error(format!(
                "the input column \"{}\" is {}; a raw file cannot hold DT_TEXT, DT_NTEXT or DT_IMAGE columns (convert it to DT_STR, DT_WSTR or DT_BYTES first)",
                lc.name,
                lc.data_type.static_name()
            )));
            continue;
        }
        if columns.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            problems.push(spec.error(format!(
                "two input columns are written as \"{name}\"; give one of them another output alias"
            )));
            continue;
        }
        columns.push(RawColumn::new(&name, lc.data_type));
        buffer_index.push(idx);
    }
    if columns.is_empty() && problems.is_empty() {
        problems.push(spec.error("it writes no columns; select the input columns to write"));
    }
    problems.into_result()?;
    Ok(Box::new(RawFileDestination {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        file_name: file_name.expect("checked"),
        mode: mode.expect("checked"),
        columns,
        buffer_index,
        path: PathBuf::new(),
        writer: None,
        rows: 0,
    }))
}

impl RawFileDestination {
    fn write_error(&self, e: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            codes::FILE_WRITE_ERROR,
            self.name.clone(),
            format!(
                "{}: component \"{}\" could not write the raw file \"{}\": {e}",
                self.task_path,
                self.name,
                self.path.display()
            ),
        )
    }
}

impl Component for RawFileDestination {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.path = PathBuf::from(self.file_name.resolve(ctx)?);
        let w = RawWriter::create(&self.path, FileKind::Raw, &self.columns, self.mode).map_err(
            |e| {
                ctx.error(
                    codes::CANNOT_OPEN_FILE,
                    format!("cannot write the raw file \"{}\": {e}", self.path.display()),
                )
            },
        )?;
        self.writer = Some(w);
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let Some(w) = self.writer.as_mut() else {
            return Ok(Routing::all());
        };
        let arrays = self
            .buffer_index
            .iter()
            .map(|&i| buffer.column(i).clone())
            .collect();
        let written = RecordBatch::try_new(w.schema().clone(), arrays)
            .map_err(RawFileError::from)
            .and_then(|b| w.write(&b));
        if let Err(e) = written {
            return Err(self.write_error(e));
        }
        self.rows += buffer.rows() as u64;
        Ok(Routing::all())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        if let Some(w) = self.writer.take() {
            w.finish().map_err(|e| self.write_error(e))?;
        }
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {} rows.", self.name, self.rows),
        );
        Ok(())
    }

    fn abort(&mut self) {
        if let Some(mut w) = self.writer.take() {
            w.abort();
        }
    }
}
