//! Lookup in full-cache mode: joins each input row to the reference rows on the join columns
//! (input columns with JoinToReferenceColumn) and copies reference columns into new columns of
//! the match output (output columns with CopyFromReferenceColumn) or over input columns
//! (read-write input columns with CopyFromReferenceColumn). The reference rows come from a Cache
//! connection manager (ConnectionType 1): filled by a Cache Transform earlier in the run, or
//! read from its cache file; they are matched through `reference/`'s hash index, so a reference
//! table from any other source plugs into the same matching. Comparison is SSIS's full-cache
//! comparison: exact, case-sensitive, NULL equal to NULL; the first reference row of a key wins.
//! A row without a match goes to the no-match output (NoMatchBehavior 1) or is a lookup failure
//! (0xC020901E) handled by the match output's error disposition: Ignore Failure sends it on with
//! NULL reference columns, Redirect Row to the error output (ErrorColumn 0), Fail Component
//! stops the data flow naming the row and key. The reference rows' memory is reserved against
//! the data flow's budget while it runs. A Lookup that reads through an OLE DB connection
//! (ConnectionType 0) needs the database components and is refused by name until they exist.
//! It must not fill caches.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray};
use ssisd_engine::model::{RowDisposition, UsageType};
use ssisd_engine::types::DataType;

use crate::buffer::{Buffer, Layout};
use crate::cache::load::load_file;
use crate::cache::{parse_cache_manager, CachedReference};
use crate::codes;
use crate::component::{
    failure, Component, ComponentSpec, FailureKind, Handling, PrepareContext, Routing, RowError,
    RunContext,
};
use crate::components::{prop, prop_int};
use crate::error::{PipelineError, Problems};
use crate::memory::Reservation;
use crate::reference::index::{join_compatible, joinable};
use crate::reference::table::reserve;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Lookup",
    class_ids: &[
        "{27648839-180F-45E6-838D-AFF53DF682D2}",
        "{671046B0-AA63-4C9F-90E4-C06E0B710CE3}",
        "DTSTransform.Lookup",
        "Microsoft.Lookup",
    ],
    create,
};

struct JoinColumn {
    name: String,
    identification: String,
    buffer_index: usize,
    ty: DataType,
    reference: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A new column of the match output (appended in layout order).
    Add,
    /// An input column overwritten on match (its buffer index).
    Replace(usize),
}

struct CopyColumn {
    name: String,
    target: Target,
    ty: DataType,
    reference: String,
}

/// What happens to a row without a match.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NoMatch {
    /// NoMatchBehavior 1.
    ToNoMatchOutput,
    /// NoMatchBehavior 0, with the match output's error disposition.
    Failure(Handling),
}

struct Prepared {
    cache: CachedReference,
    /// For each key position of the index, the join column giving it.
    key_joins: Vec<usize>,
    /// For each copy, the reference column it copies.
    copy_sources: Vec<usize>,
    _reserved: Vec<Reservation>,
}

struct Lookup {
    name: String,
    task_path: String,
    joins: Vec<JoinColumn>,
    copies: Vec<CopyColumn>,
    match_output: usize,
    no_match_output: Option<usize>,
    no_match: NoMatch,
    warn_no_match_unused: bool,
    /// The layout of the match output (input columns, then the added ones).
    out_layout: Arc<Layout>,
    prepared: Option<Prepared>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let connection_type = prop_int(&c.properties, "ConnectionType").unwrap_or(0);
    if connection_type != 1 {
        return Err(PipelineError::new(
            codes::COMPONENT_NOT_SUPPORTED,
            c.name.clone(),
            format!(
                "{}: component \"{}\" (Lookup) cannot run: it reads its reference rows through an OLE DB connection (ConnectionType {connection_type}), which needs ssisd's database components, not built yet; only Lookups on a Cache connection manager (ConnectionType 1) run",
                spec.task_path, c.name
            ),
        )
        .into());
    }
    let cache_type = prop_int(&c.properties, "CacheType").unwrap_or(0);
    if cache_type != 0 {
        problems.push(spec.error(format!(
            "its CacheType is {cache_type}; a Lookup on a Cache connection manager works in full cache mode (CacheType 0) only"
        )));
    }
    let behaviour = prop_int(&c.properties, "NoMatchBehavior").unwrap_or(0);
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let in_layout = spec.input_layouts.first().cloned().unwrap_or_default();
    // Outputs: match, no match, error.
    let regular: Vec<usize> = (0..c.outputs.len())
        .filter(|&i| !c.outputs[i].is_error_output)
        .collect();
    let no_match_output = regular
        .iter()
        .copied()
        .find(|&i| c.outputs[i].name.to_ascii_lowercase().contains("no match"))
        .or_else(|| regular.get(1).copied());
    let Some(match_output) = regular
        .iter()
        .copied()
        .find(|&i| Some(i) != no_match_output)
    else {
        return Err(spec.error("it has no match output").into());
    };
    let no_match = match behaviour {
        1 => {
            if no_match_output.is_none() {
                problems.push(spec.error(
                    "its NoMatchBehavior sends rows to the no-match output, which it does not have",
                ));
            }
            NoMatch::ToNoMatchOutput
        }
        0 => NoMatch::Failure(match c.outputs[match_output].dispositions.error {
            RowDisposition::IgnoreFailure => Handling::Ignore,
            RowDisposition::RedirectRow => Handling::Redirect,
            RowDisposition::FailComponent | RowDisposition::NotUsed => Handling::Fail,
        }),
        other => {
            problems.push(spec.error(format!(
                "its NoMatchBehavior is {other}; it must be 0 (treat rows with no match as errors) or 1 (send them to the no-match output)"
            )));
            NoMatch::ToNoMatchOutput
        }
    };
    if no_match == NoMatch::Failure(Handling::Redirect) && spec.error_output().is_none() {
        problems.push(spec.error(
            "its match output redirects rows with no match to the error output, which it does not have",
        ));
    }
    let mut joins = Vec::new();
    let mut copies = Vec::new();
    for col in &input.columns {
        let Some(idx) = in_layout.index_of(col.lineage.number) else {
            continue;
        };
        let lc = &in_layout.columns[idx];
        let identification = format!("{}.Inputs[{}].Columns[{}]", c.name, input.name, lc.name);
        if let Some(r) =
            prop(&col.properties, "JoinToReferenceColumn").filter(|r| !r.trim().is_empty())
        {
            if !joinable(&lc.data_type) {
                problems.push(spec.error(format!(
                    "the join column \"{}\" is {}; a Lookup cannot join on DT_R4, DT_R8, DT_TEXT, DT_NTEXT or DT_IMAGE columns",
                    lc.name,
                    lc.data_type.static_name()
                )));
            }
            joins.push(JoinColumn {
                name: lc.name.clone(),
                identification: identification.clone(),
                buffer_index: idx,
                ty: lc.data_type,
                reference: r.trim().to_string(),
            });
        }
        if let Some(r) =
            prop(&col.properties, "CopyFromReferenceColumn").filter(|r| !r.trim().is_empty())
        {
            if col.usage != UsageType::ReadWrite {
                problems.push(spec.error(format!(
                    "the input column \"{}\" copies the reference column \"{}\" but is read-only; make it read-write to replace its value",
                    lc.name, r
                )));
                continue;
            }
            copies.push(CopyColumn {
                name: identification,
                target: Target::Replace(idx),
                ty: lc.data_type,
                reference: r.trim().to_string(),
            });
        }
    }
    if joins.is_empty() {
        problems.push(spec.error(
            "no input column is joined to a reference column; set JoinToReferenceColumn on the join columns",
        ));
    }
    let out_layout = spec
        .output_layouts
        .get(match_output)
        .cloned()
        .unwrap_or_default();
    for lc in &out_layout.columns[in_layout.len().min(out_layout.len())..] {
        let model = c
            .outputs
            .iter()
            .flat_map(|o| o.columns.iter())
            .find(|oc| oc.lineage_id == lc.lineage);
        let reference = model
            .and_then(|oc| prop(&oc.properties, "CopyFromReferenceColumn"))
            .unwrap_or("")
            .trim()
            .to_string();
        if reference.is_empty() {
            problems.push(spec.error(format!(
                "the output column \"{}\" has no CopyFromReferenceColumn; name the reference column it copies",
                lc.name
            )));
            continue;
        }
        copies.push(CopyColumn {
            name: lc.identification.clone(),
            target: Target::Add,
            ty: lc.data_type,
            reference,
        });
    }
    problems.into_result()?;
    let warn_no_match_unused = behaviour == 0
        && no_match_output.is_some_and(|o| spec.attached_outputs.get(o).copied().unwrap_or(false));
    Ok(Box::new(Lookup {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        joins,
        copies,
        match_output,
        no_match_output,
        no_match,
        warn_no_match_unused,
        out_layout,
        prepared: None,
    }))
}

/// Whether a reference column of type `reference` may be copied into a column of type
/// `target`: the same type, with a string at least as long.
fn copy_fits(reference: &DataType, target: &DataType) -> bool {
    match (reference, target) {
        (DataType::Str { len: a, .. }, DataType::Str { len: b, .. })
        | (DataType::WStr { len: a }, DataType::WStr { len: b })
        | (DataType::Bytes { len: a }, DataType::Bytes { len: b }) => *b == 0 || a <= b,
        _ => reference == target,
    }
}

impl Lookup {
    /// Matches the joins and copies to the reference columns of `cache`.
    fn bind(
        &self,
        cache: &CachedReference,
        cache_name: &str,
    ) -> Result<(Vec<usize>, Vec<usize>), String> {
        let table = &cache.table;
        let mut join_refs = Vec::with_capacity(self.joins.len());
        for j in &self.joins {
            let Some(r) = table.column(&j.reference) else {
                return Err(format!(
                    "the join column \"{}\" is joined to \"{}\", which the cache \"{cache_name}\" does not have",
                    j.name, j.reference
                ));
            };
            let rt = table.columns[r].data_type;
            if !join_compatible(&j.ty, &rt) {
                return Err(format!(
                    "the join column \"{}\" is {} but the reference column \"{}\" is {}; a join needs the same data type on both sides (convert one with a Data Conversion)",
                    j.name, j.ty, table.columns[r].name, rt
                ));
            }
            join_refs.push(r);
        }
        let mut key_joins = Vec::with_capacity(cache.key_columns.len());
        for &k in &cache.key_columns {
            let joined: Vec<usize> = (0..join_refs.len())
                .filter(|&j| join_refs[j] == k)
                .collect();
            match joined.as_slice() {
                [j] => key_joins.push(*j),
                [] => {
                    return Err(format!(
                        "the index column \"{}\" of the cache \"{cache_name}\" is not joined; a Lookup on a cache must join every index column ({})",
                        table.columns[k].name,
                        codes::hex(codes::LOOKUP_JOIN_INVALID)
                    ))
                }
                _ => {
                    return Err(format!(
                        "the index column \"{}\" of the cache \"{cache_name}\" is joined more than once",
                        table.columns[k].name
                    ))
                }
            }
        }
        if let Some(j) = (0..join_refs.len()).find(|j| !cache.key_columns.contains(&join_refs[*j]))
        {
            return Err(format!(
                "the join column \"{}\" is joined to \"{}\", which is not an index column of the cache \"{cache_name}\"; only index columns can be joined ({})",
                self.joins[j].name,
                table.columns[join_refs[j]].name,
                codes::hex(codes::LOOKUP_JOIN_INVALID)
            ));
        }
        let mut copy_sources = Vec::with_capacity(self.copies.len());
        for c in &self.copies {
            let Some(r) = table.column(&c.reference) else {
                return Err(format!(
                    "\"{}\" copies the reference column \"{}\", which the cache \"{cache_name}\" does not have",
                    c.name, c.reference
                ));
            };
            let rt = table.columns[r].data_type;
            if !copy_fits(&rt, &c.ty) {
                return Err(format!(
                    "\"{}\" is {} but the reference column \"{}\" it copies is {}; make the types match",
                    c.name, c.ty, table.columns[r].name, rt
                ));
            }
            copy_sources.push(r);
        }
        Ok((key_joins, copy_sources))
    }

    fn key_text(&self, buffer: &Buffer, row: usize) -> String {
        self.joins
            .iter()
            .map(|j| {
                format!(
                    "{} = {}",
                    j.name,
                    buffer.value(j.buffer_index, row).to_display_string()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Component for Lookup {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let has_cache_slot = ctx
            .component
            .connections
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case("CacheConnection"));
        let conn = ctx.connection(if has_cache_slot {
            "CacheConnection"
        } else {
            ""
        })?;
        let spec = parse_cache_manager(&conn).map_err(|e| {
            ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("its connection manager \"{}\": {e}", conn.name),
            )
        })?;
        let store = ctx.host.caches();
        let mut reserved = Vec::new();
        let mut duplicates = 0;
        let cache = match store.as_ref().and_then(|s| s.get(&spec.name)) {
            Some(c) => c,
            None if spec.use_file => {
                let loaded = load_file(&spec, &ctx.budget).map_err(|e| {
                    let code = if e.contains("memory budget") {
                        codes::OUT_OF_MEMORY
                    } else if e.starts_with("cannot open") {
                        codes::CANNOT_OPEN_FILE
                    } else {
                        codes::BAD_FILE
                    };
                    ctx.error(
                        code,
                        format!(
                            "cannot load the cache \"{}\" from its file \"{}\": {e}",
                            spec.name, spec.file_path
                        ),
                    )
                })?;
                reserved = loaded.reserved;
                duplicates = loaded.duplicates;
                if let Some(s) = &store {
                    s.publish(&spec.name, loaded.cache.clone());
                }
                loaded.cache
            }
            None => {
                return Err(ctx.error(
                    codes::INDIVIDUAL_VALIDATION_FAILED,
                    format!(
                        "the cache \"{}\" holds no rows in this run: fill it with a Cache Transform in a data flow that runs before this one, or give the connection manager a cache file (UseFile)",
                        spec.name
                    ),
                ))
            }
        };
        if reserved.is_empty() {
            let r = reserve(&ctx.budget, cache.memory_size(), 0).map_err(|e| {
                ctx.error(
                    codes::OUT_OF_MEMORY,
                    format!("cannot hold the rows of the cache \"{}\": {e}", spec.name),
                )
            })?;
            reserved.push(r);
        }
        let (key_joins, copy_sources) = self
            .bind(&cache, &spec.name)
            .map_err(|e| ctx.error(codes::LOOKUP_JOIN_INVALID, e))?;
        if duplicates > 0 {
            ctx.warning(
                codes::LOOKUP_DUPLICATE_KEYS,
                format!(
                    "\"{}\": the cache file of \"{}\" holds {duplicates} rows whose key an earlier row already had; the first row of each key is used.",
                    self.name, spec.name
                ),
            );
        }
        if self.warn_no_match_unused {
            ctx.warning(
                codes::NO_MATCH_OUTPUT_GETS_NO_ROWS,
                format!(
                    "\"{}\": the no-match output is attached but rows with no match are treated as errors (NoMatchBehavior 0), so it receives no rows.",
                    self.name
                ),
            );
        }
        ctx.information(
            codes::LOOKUP_CACHED_TOTAL,
            format!(
                "\"{}\" has cached a total of {} rows.",
                self.name, cache.table.rows
            ),
        );
        self.prepared = Some(Prepared {
            cache,
            key_joins,
            copy_sources,
            _reserved: reserved,
        });
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let Some(p) = self.prepared.as_ref() else {
            return Ok(Routing::all());
        };
        let n = buffer.rows();
        let keys: Vec<ArrayRef> = p
            .key_joins
            .iter()
            .map(|&j| buffer.column(self.joins[j].buffer_index).clone())
            .collect();
        let found =
            p.cache.index.probe(&keys).map_err(|e| {
                PipelineError::new(codes::PROCESS_INPUT_FAILED, self.name.clone(), e)
            })?;
        let missed = found.null_count();
        let mut per_row = vec![self.match_output as u16; n];
        let mut errors = Vec::new();
        if missed > 0 {
            for (row, slot) in per_row.iter_mut().enumerate() {
                if found.is_valid(row) {
                    continue;
                }
                match self.no_match {
                    NoMatch::ToNoMatchOutput => {
                        *slot = self
                            .no_match_output
                            .map(|o| o as u16)
                            .unwrap_or(Routing::DROP)
                    }
                    NoMatch::Failure(Handling::Ignore) => {}
                    NoMatch::Failure(Handling::Redirect) => errors.push(RowError {
                        row,
                        code: codes::LOOKUP_NO_MATCH,
                        column: 0,
                    }),
                    NoMatch::Failure(Handling::Fail) => {
                        let columns: Vec<&str> = self
                            .joins
                            .iter()
                            .map(|j| j.identification.as_str())
                            .collect();
                        return Err(failure(
                            &self.task_path,
                            &self.name,
                            &columns.join("\", \""),
                            ctx.rows_before + row as u64 + 1,
                            codes::LOOKUP_NO_MATCH,
                            FailureKind::Error,
                            &format!(
                                "the row yielded no match during lookup (key: {})",
                                self.key_text(buffer, row)
                            ),
                        ));
                    }
                }
            }
        }
        let mut added = Vec::new();
        let matched_mask = (missed > 0)
            .then(|| BooleanArray::from((0..n).map(|r| found.is_valid(r)).collect::<Vec<bool>>()));
        for (c, &src) in self.copies.iter().zip(&p.copy_sources) {
            let taken = arrow_select::take::take(p.cache.table.arrays[src].as_ref(), &found, None)
                .map_err(|e| {
                    PipelineError::new(
                        codes::PROCESS_INPUT_FAILED,
                        self.name.clone(),
                        format!(
                            "{}: component \"{}\": copying \"{}\": {e}",
                            self.task_path, self.name, c.name
                        ),
                    )
                })?;
            match c.target {
                Target::Add => added.push(taken),
                Target::Replace(idx) => {
                    let value = match &matched_mask {
                        None => taken,
                        Some(mask) => arrow_select::zip::zip(mask, &taken, buffer.column(idx))
                            .map_err(|e| {
                                PipelineError::new(
                                    codes::PROCESS_INPUT_FAILED,
                                    self.name.clone(),
                                    format!(
                                        "{}: component \"{}\": replacing \"{}\": {e}",
                                        self.task_path, self.name, c.name
                                    ),
                                )
                            })?,
                    };
                    buffer.replace(idx, value);
                }
            }
        }
        if !added.is_empty() {
            buffer.append(self.out_layout.clone(), added);
        }
        Ok(Routing {
            per_row: Some(per_row),
            errors,
        })
    }

    fn post_execute(&mut self, _ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.prepared = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.prepared = None;
    }
}
