//! The Cache Transform: writes its input rows into a Cache connection manager for Lookups in
//! later data flows of the run, and, when the manager has UseFile, into its cache file. Each
//! input column names its cache column (CacheColumnName); every cache column must be fed, types
//! must match (a string may be shorter than its cache column). Only unique rows are kept, as in
//! SSIS: a row whose index key an earlier row already had is left out and counted (a warning),
//! or fails the component when TreatDuplicateKeysAsError is set. The rows are held in memory
//! against the data flow's budget (a refusal fails the component with the reason) and indexed
//! as they arrive; the cache is published, and its file written (temporary name, then rename),
//! only when the data flow succeeds. Rows pass through to the output unchanged. As in SSIS only
//! one Cache Transform may write a given cache in a run. It must not look rows up.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use ssisd_engine::types::DataType;

use crate::buffer::Buffer;
use crate::cache::{parse_cache_manager, CacheSpec, CacheStore, CachedReference};
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::{prop, prop_bool};
use crate::error::{PipelineError, Problems};
use crate::memory::{MemoryBudget, Reservation};
use crate::raw_file::writer::{RawWriter, WriteMode};
use crate::raw_file::FileKind;
use crate::reference::table::reserve;
use crate::reference::{KeyIndex, TableBuilder};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Cache Transform",
    class_ids: &["DTSTransform.Cache", "Microsoft.Cache"],
    create,
};

struct InColumn {
    name: String,
    ty: DataType,
    buffer_index: usize,
    cache_column: String,
}

struct Filling {
    spec: CacheSpec,
    store: Arc<CacheStore>,
    /// For each cache column, the input column feeding it.
    sources: Vec<usize>,
    key_columns: Vec<usize>,
    index: KeyIndex,
    builder: TableBuilder,
    index_reserved: Vec<Reservation>,
    budget: Arc<MemoryBudget>,
}

struct CacheTransform {
    name: String,
    task_path: String,
    writer_id: String,
    duplicates_are_errors: bool,
    inputs: Vec<InColumn>,
    filling: Option<Filling>,
    duplicates: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    if c.connections.is_empty() {
        problems.push(spec.error(
            "it has no connection manager; set its CacheConnection to a Cache connection manager",
        ));
    }
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut inputs = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let lc = &layout.columns[idx];
        let cache_column = prop(&col.properties, "CacheColumnName")
            .unwrap_or("")
            .trim()
            .to_string();
        if cache_column.is_empty() {
            problems.push(spec.error(format!(
                "the input column \"{}\" has no CacheColumnName; map every input column to a cache column",
                lc.name
            )));
            continue;
        }
        inputs.push(InColumn {
            name: lc.name.clone(),
            ty: lc.data_type,
            buffer_index: idx,
            cache_column,
        });
    }
    problems.into_result()?;
    Ok(Box::new(CacheTransform {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        writer_id: format!("{}\\{}", spec.task_path, c.name),
        duplicates_are_errors: prop_bool(&c.properties, "TreatDuplicateKeysAsError")
            .unwrap_or(false),
        inputs,
        filling: None,
        duplicates: 0,
    }))
}

/// Whether a value of type `input` may be stored in a cache column of type `cache`.
fn fits(input: &DataType, cache: &DataType) -> bool {
    match (input, cache) {
        (DataType::Str { len: a, .. }, DataType::Str { len: b, .. })
        | (DataType::WStr { len: a }, DataType::WStr { len: b })
        | (DataType::Bytes { len: a }, DataType::Bytes { len: b }) => *b == 0 || a <= b,
        _ => input == cache,
    }
}

impl CacheTransform {
    fn error(&self, code: u32, message: String) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!("{}: component \"{}\": {message}", self.task_path, self.name),
        )
    }
}

impl Component for CacheTransform {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let conn = ctx.connection("CacheConnection")?;
        let spec = parse_cache_manager(&conn).map_err(|e| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("its connection manager \"{}\": {e}", conn.name),
            )
        })?;
        let mut sources = Vec::with_capacity(spec.columns.len());
        for cc in &spec.columns {
            let feeding: Vec<usize> = (0..self.inputs.len())
                .filter(|&i| self.inputs[i].cache_column.eq_ignore_ascii_case(&cc.name))
                .collect();
            match feeding.as_slice() {
                [] => {
                    return Err(ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!("no input column feeds the column \"{}\" of the cache \"{}\"; map an input column to it (CacheColumnName)", cc.name, spec.name),
                    ))
                }
                [i] => {
                    let ic = &self.inputs[*i];
                    if !fits(&ic.ty, &cc.data_type) {
                        return Err(ctx.error(
                            codes::INDIVIDUAL_VALIDATION_FAILED,
                            format!("the input column \"{}\" is {} but the column \"{}\" of the cache \"{}\" is {}; the types must match", ic.name, ic.ty, cc.name, spec.name, cc.data_type),
                        ));
                    }
                    sources.push(*i);
                }
                many => {
                    return Err(ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!(
                            "the input columns {} all feed the column \"{}\" of the cache \"{}\"; map each cache column once",
                            many.iter().map(|i| format!("\"{}\"", self.inputs[*i].name)).collect::<Vec<_>>().join(", "),
                            cc.name, spec.name
                        ),
                    ))
                }
            }
        }
        if let Some(ic) = self
            .inputs
            .iter()
            .find(|ic| spec.column(&ic.cache_column).is_none())
        {
            return Err(ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!(
                    "the input column \"{}\" is mapped to \"{}\", which the cache \"{}\" does not have",
                    ic.name, ic.cache_column, spec.name
                ),
            ));
        }
        let store = ctx.host.caches().ok_or_else(|| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                "this host keeps no caches for the run, so a Cache Transform cannot run here",
            )
        })?;
        store.claim(&spec.name, &self.writer_id).map_err(|other| {
            ctx.error(
                codes::CACHE_WRITER_CONFLICT,
                format!(
                    "the cache \"{}\" was already written by \"{}\" in this run; only one Cache Transform may write a cache",
                    spec.name, other.writer
                ),
            )
        })?;
        let key_columns = spec.index_columns();
        let types: Vec<DataType> = key_columns
            .iter()
            .map(|&i| spec.columns[i].data_type)
            .collect();
        let index = KeyIndex::new(&types).map_err(|e| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("the index columns of the cache \"{}\": {e}", spec.name),
            )
        })?;
        self.filling = Some(Filling {
            builder: TableBuilder::new(spec.columns.clone()),
            spec,
            store,
            sources,
            key_columns,
            index,
            index_reserved: Vec::new(),
            budget: ctx.budget.clone(),
        });
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let Some(f) = self.filling.as_mut() else {
            return Ok(Routing::all());
        };
        let arrays: Vec<ArrayRef> = f
            .sources
            .iter()
            .map(|&i| buffer.column(self.inputs[i].buffer_index).clone())
            .collect();
        let keys: Vec<ArrayRef> = f.key_columns.iter().map(|&k| arrays[k].clone()).collect();
        let index_before = f.index.memory_size();
        let fresh = f.index.insert(&keys, f.builder.rows()).map_err(|e| {
            PipelineError::new(
                codes::PROCESS_INPUT_FAILED,
                self.name.clone(),
                e.to_string(),
            )
        })?;
        let dups = fresh.iter().filter(|x| !**x).count();
        if dups > 0 && self.duplicates_are_errors {
            let row = fresh.iter().position(|x| !*x).unwrap_or(0);
            let key: Vec<String> = f
                .key_columns
                .iter()
                .map(|&k| {
                    format!(
                        "{} = {}",
                        f.spec.columns[k].name,
                        buffer
                            .value(self.inputs[f.sources[k]].buffer_index, row)
                            .to_display_string()
                    )
                })
                .collect();
            return Err(PipelineError::new(
                codes::INDUCED_FAILURE_ON_ERROR,
                self.name.clone(),
                format!(
                    "{}: component \"{}\" failed on row {}: the cache \"{}\" already holds the key ({}) and TreatDuplicateKeysAsError is set ({})",
                    self.task_path,
                    self.name,
                    ctx.rows_before + row as u64 + 1,
                    f.spec.name,
                    key.join(", "),
                    codes::hex(codes::LOOKUP_DUPLICATE_KEYS)
                ),
            ));
        }
        self.duplicates += dups as u64;
        let kept = if dups == 0 {
            arrays
        } else {
            let mask = BooleanArray::from(fresh);
            arrays
                .iter()
                .map(|a| {
                    arrow_select::filter::filter(a.as_ref(), &mask).unwrap_or_else(|_| a.clone())
                })
                .collect()
        };
        let rows_so_far = f.builder.rows();
        let cache_name = f.spec.name.clone();
        let refused = |e: crate::reference::table::MemoryRefused| {
            PipelineError::new(
                codes::OUT_OF_MEMORY,
                self.name.clone(),
                format!(
                    "{}: component \"{}\" cannot hold more rows of the cache \"{}\" after {} rows: {e}",
                    self.task_path,
                    self.name,
                    cache_name,
                    rows_so_far
                ),
            )
        };
        let grown = f.index.memory_size().saturating_sub(index_before);
        if grown > 0 {
            let held = f.builder.reserved();
            f.index_reserved
                .push(reserve(&f.budget, grown, held).map_err(refused)?);
        }
        f.builder.push(kept, &f.budget).map_err(refused)?;
        Ok(Routing::all())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let Some(f) = self.filling.take() else {
            return Ok(());
        };
        let name = f.spec.name.clone();
        let (table, _reserved) = f.builder.finish().map_err(|e| {
            self.error(
                codes::PROCESS_INPUT_FAILED,
                format!("the cache \"{name}\": {e}"),
            )
        })?;
        let rows = table.rows;
        if f.spec.use_file {
            let path = Path::new(&f.spec.file_path);
            let write = || -> Result<u64, String> {
                let mut w = RawWriter::create(
                    path,
                    FileKind::Cache,
                    &table.columns,
                    WriteMode::CreateAlways,
                )
                .map_err(|e| e.to_string())?;
                if rows > 0 {
                    let batch = RecordBatch::try_new(w.schema().clone(), table.arrays.clone())
                        .map_err(|e| e.to_string())?;
                    w.write(&batch).map_err(|e| e.to_string())?;
                }
                w.finish().map_err(|e| e.to_string())
            };
            write().map_err(|e| {
                self.error(
                    codes::FILE_WRITE_ERROR,
                    format!(
                        "could not write the cache file \"{}\" of the cache \"{name}\": {e}",
                        f.spec.file_path
                    ),
                )
            })?;
        }
        if self.duplicates > 0 {
            ctx.warning(
                codes::LOOKUP_DUPLICATE_KEYS,
                format!(
                    "\"{}\": {} rows were not written to the cache \"{name}\" because an earlier row had the same index key; the first row of each key is kept.",
                    self.name, self.duplicates
                ),
            );
        }
        f.store.publish(
            &name,
            CachedReference {
                table: Arc::new(table),
                index: Arc::new(f.index),
                key_columns: f.key_columns,
            },
        );
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {rows} rows.", self.name),
        );
        Ok(())
    }

    fn abort(&mut self) {
        self.filling = None;
    }
}
