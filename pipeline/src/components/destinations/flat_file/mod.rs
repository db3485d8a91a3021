//! The Flat File destination: writes its input rows to the file of its FLATFILE connection
//! manager, in the manager's format (delimiters, qualifier, widths, code page), after the
//! Header property's text and, with ColumnNamesInFirstDataRow, a row of column names. With
//! Overwrite it writes a temporary file beside the target and renames it into place only when
//! the data flow succeeds, so a failed or cancelled run never leaves a half-written file under
//! the target's name; appending writes to the file itself and cuts it back to its old length if
//! the run fails. It must not convert types beyond their text form.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ssisd_engine::types::DataType;

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::{prop, prop_bool};
use crate::error::{PipelineError, Problems};
use crate::flat_file::format::parse_format;
use crate::flat_file::text::write_text;
use crate::flat_file::writer::RowWriter;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Flat File Destination",
    class_ids: &[
        "{A1DF9F6D-8EE4-4EF0-BB2E-D526130D7A7B}",
        "{D658C424-8CF0-441C-B3C4-955E183B7FBA}",
        "DTSAdapter.FlatFileDestination",
        "Microsoft.FlatFileDestination",
    ],
    create,
};

struct InColumn {
    buffer_index: usize,
    ty: DataType,
    external: String,
}

struct FlatFileDestination {
    name: String,
    task_path: String,
    overwrite: bool,
    header: String,
    escape: bool,
    inputs: Vec<InColumn>,
    /// For each file column, the input column written there.
    mapping: Vec<Option<usize>>,
    target: PathBuf,
    temp: Option<PathBuf>,
    append_from: Option<u64>,
    file: Option<BufWriter<File>>,
    writer: Option<RowWriter>,
    rows: u64,
    scratch: String,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let layout = &spec.input_layouts[0];
    let mut inputs = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let external = input
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| layout.columns[idx].name.clone());
        inputs.push(InColumn {
            buffer_index: idx,
            ty: layout.columns[idx].data_type,
            external,
        });
    }
    if c.connections.is_empty() {
        return Err(spec
            .error("it has no connection manager; set its FlatFileConnection")
            .into());
    }
    Ok(Box::new(FlatFileDestination {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        overwrite: prop_bool(&c.properties, "Overwrite").unwrap_or(true),
        header: prop(&c.properties, "Header").unwrap_or("").to_string(),
        escape: prop_bool(&c.properties, "EscapeQualifier").unwrap_or(false),
        inputs,
        mapping: Vec::new(),
        target: PathBuf::new(),
        temp: None,
        append_from: None,
        file: None,
        writer: None,
        rows: 0,
        scratch: String::new(),
    }))
}

/// A temporary name beside `target` that no other writer uses.
fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "output".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    target.with_file_name(format!(
        ".{name}.ssisd-{}-{nanos}.partial",
        std::process::id()
    ))
}

impl FlatFileDestination {
    fn write_error(&self, e: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            codes::FILE_WRITE_ERROR,
            self.name.clone(),
            format!(
                "{}: component \"{}\" could not write the file \"{}\": {e}",
                self.task_path,
                self.name,
                self.target.display()
            ),
        )
    }

    fn flush(&mut self) -> Result<(), PipelineError> {
        let (Some(w), Some(f)) = (self.writer.as_mut(), self.file.as_mut()) else {
            return Ok(());
        };
        if let Err(e) = w.flush_to(f) {
            return Err(self.write_error(e));
        }
        Ok(())
    }
}

impl Component for FlatFileDestination {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let conn = ctx.connection("FlatFileConnection")?;
        if !conn.creation_name.eq_ignore_ascii_case("FLATFILE") {
            return Err(ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!(
                    "its connection manager \"{}\" is a {} connection, not a Flat File connection",
                    conn.name, conn.creation_name
                ),
            ));
        }
        let format = parse_format(&conn.object_data.clone().unwrap_or_default()).map_err(|e| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("the connection manager \"{}\": {e}", conn.name),
            )
        })?;
        self.mapping = format
            .columns
            .iter()
            .map(|f| {
                self.inputs
                    .iter()
                    .position(|i| i.external.eq_ignore_ascii_case(&f.name))
            })
            .collect();
        for i in &self.inputs {
            if !format
                .columns
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&i.external))
            {
                return Err(ctx.error(
                    codes::INDIVIDUAL_VALIDATION_FAILED,
                    format!("the input column for \"{}\" has no column of that name in the connection manager \"{}\"", i.external, conn.name),
                ));
            }
        }
        let mut writer = RowWriter::new(&format, self.escape)
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))?;
        self.target = PathBuf::from(&conn.file_path);
        let open = if self.overwrite {
            let temp = temp_name(&self.target);
            let f = File::create(&temp);
            self.temp = Some(temp);
            f
        } else {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.target);
            if let Ok(file) = &f {
                self.append_from = Some(file.metadata().map(|m| m.len()).unwrap_or(0));
            }
            f
        };
        let mut file = open.map(|f| BufWriter::with_capacity(1 << 20, f)).map_err(|e| {
            ctx.error(
                codes::CANNOT_OPEN_FILE,
                format!("cannot create the file \"{}\" of the connection manager \"{}\": {e}. Check that its folder exists and is writable", self.target.display(), conn.name),
            )
        })?;
        let fresh = self.append_from.unwrap_or(0) == 0;
        if fresh {
            file.write_all(writer.bom())
                .map_err(|e| self.write_error(e))?;
        }
        let row_delimiter = format.effective_row_delimiter();
        if !self.header.is_empty() {
            writer.raw_line(&self.header, &row_delimiter);
        }
        if format.column_names_in_first_data_row && fresh {
            for (i, c) in format.columns.iter().enumerate() {
                writer.field(i, &c.name, true);
            }
        }
        self.file = Some(file);
        self.writer = Some(writer);
        self.flush()
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(Routing::all());
        };
        for row in 0..buffer.rows() {
            for (fi, m) in self.mapping.iter().enumerate() {
                match m {
                    Some(ii) => {
                        let col = &self.inputs[*ii];
                        self.scratch.clear();
                        write_text(
                            &mut self.scratch,
                            buffer.column(col.buffer_index).as_ref(),
                            &col.ty,
                            row,
                        );
                        writer.field(fi, &self.scratch, true);
                    }
                    None => writer.field(fi, "", true),
                }
            }
        }
        self.rows += buffer.rows() as u64;
        if writer.pending() >= 1 << 20 {
            self.flush()?;
        }
        Ok(Routing::all())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.flush()?;
        if let Some(f) = self.file.take() {
            let file = f.into_inner().map_err(|e| self.write_error(e.error()))?;
            file.sync_all().map_err(|e| self.write_error(e))?;
        }
        if let Some(temp) = self.temp.take() {
            std::fs::rename(&temp, &self.target).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                self.write_error(e)
            })?;
        }
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {} rows.", self.name, self.rows),
        );
        Ok(())
    }

    fn abort(&mut self) {
        self.file = None;
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
        if let Some(len) = self.append_from.take() {
            if let Ok(f) = OpenOptions::new().write(true).open(&self.target) {
                let _ = f.set_len(len);
            }
        }
    }
}
