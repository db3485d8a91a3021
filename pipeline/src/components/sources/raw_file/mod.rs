//! The Raw File source: reads a raw file of ssisd's format (`raw_file/`) — written by a Raw
//! File destination, or a cache file written by a Cache Transform, as SSIS's Raw File source
//! also reads cache files — and sends its rows to its output. Each output column reads the file
//! column of its external column's name (or its own name) and must have the file column's type;
//! a file that is missing, not of this format (SSIS's own raw files included), damaged, or
//! without a column the output needs fails the component naming the file and the column. It
//! must not convert values.

use std::path::PathBuf;

use arrow_array::RecordBatch;
use ssisd_engine::types::DataType;

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, Emitter, PrepareContext};
use crate::components::raw_file_name::{configured, FileName};
use crate::error::{PipelineError, Problems};
use crate::metadata::identification;
use crate::raw_file::reader::RawReader;
use crate::raw_file::RawFileError;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Raw File Source",
    class_ids: &["DTSAdapter.RawSource", "Microsoft.RawSource"],
    create,
};

struct OutColumn {
    identification: String,
    external: String,
    ty: DataType,
    file_index: usize,
}

struct RawFileSource {
    name: String,
    task_path: String,
    file_name: FileName,
    main: usize,
    columns: Vec<OutColumn>,
    path: PathBuf,
    reader: Option<RawReader>,
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
    let Some(main) = spec.main_output() else {
        return Err(spec
            .error("it has no output; a Raw File source needs its output")
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
        let external = out
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| col.name.clone());
        columns.push(OutColumn {
            identification: identification(c, out, col),
            external,
            ty,
            file_index: 0,
        });
    }
    problems.into_result()?;
    Ok(Box::new(RawFileSource {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        file_name: file_name.expect("checked"),
        main,
        columns,
        path: PathBuf::new(),
        reader: None,
        rows: 0,
    }))
}

impl RawFileSource {
    fn read_error(&self, e: &str) -> PipelineError {
        PipelineError::new(
            codes::BAD_FILE,
            self.name.clone(),
            format!(
                "{}: component \"{}\" failed reading the raw file \"{}\" after {} rows: {e}",
                self.task_path,
                self.name,
                self.path.display(),
                self.rows
            ),
        )
    }
}

impl Component for RawFileSource {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.path = PathBuf::from(self.file_name.resolve(ctx)?);
        let code_for = |e: &RawFileError| {
            if matches!(e, RawFileError::Open(_)) {
                codes::CANNOT_OPEN_FILE
            } else {
                codes::BAD_FILE
            }
        };
        let reader = RawReader::open(&self.path).map_err(|e| {
            ctx.error(
                code_for(&e),
                format!("the raw file \"{}\": {e}", self.path.display()),
            )
        })?;
        for col in &mut self.columns {
            let found = reader
                .columns()
                .iter()
                .position(|f| f.name == col.external)
                .or_else(|| {
                    reader
                        .columns()
                        .iter()
                        .position(|f| f.name.eq_ignore_ascii_case(&col.external))
                });
            let Some(i) = found else {
                return Err(ctx.error(
                    codes::COLUMN_NOT_FOUND,
                    format!(
                        "the output column \"{}\" reads the column \"{}\", which the raw file \"{}\" does not have (it has {})",
                        col.identification,
                        col.external,
                        self.path.display(),
                        reader.columns().iter().map(|c| format!("\"{}\"", c.name)).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let file_ty = reader.columns()[i].data_type;
            if file_ty != col.ty {
                return Err(ctx.error(
                    codes::INDIVIDUAL_VALIDATION_FAILED,
                    format!(
                        "the output column \"{}\" is {} but the column \"{}\" of the raw file \"{}\" is {}; make the output column's type match the file",
                        col.identification, col.ty, col.external, self.path.display(), file_ty
                    ),
                ));
            }
            col.file_index = i;
        }
        self.reader = Some(reader);
        Ok(())
    }

    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let rows_per = out.rows_per_buffer(self.main).max(1);
        let layout = out.layout(self.main);
        loop {
            if out.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            let next = self.reader.as_mut().and_then(RawReader::next_batch);
            let batch: RecordBatch = match next {
                None => break,
                Some(Ok(b)) => b,
                Some(Err(e)) => return Err(self.read_error(&e.to_string())),
            };
            let mut offset = 0;
            while offset < batch.num_rows() {
                let n = rows_per.min(batch.num_rows() - offset);
                let part = batch.slice(offset, n);
                let arrays = self
                    .columns
                    .iter()
                    .map(|c| part.column(c.file_index).clone())
                    .collect();
                out.send(self.main, Buffer::new(layout.clone(), arrays, n))?;
                self.rows += n as u64;
                offset += n;
            }
        }
        Ok(())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.reader = None;
        ctx.information(
            codes::TOTAL_DATA_ROWS_FOR_FILE,
            format!(
                "The total number of data rows processed for file \"{}\" is {}.",
                self.path.display(),
                self.rows
            ),
        );
        Ok(())
    }

    fn abort(&mut self) {
        self.reader = None;
    }
}
