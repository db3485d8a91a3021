//! The Lookup: joins each input row to reference rows on the join columns (input columns with
//! JoinToReferenceColumn) and copies reference columns into new columns of the match output
//! (output columns with CopyFromReferenceColumn) or over input columns (read-write input
//! columns with CopyFromReferenceColumn). The reference rows come from a Cache connection
//! manager (ConnectionType 1, full cache only: filled by a Cache Transform earlier in the run,
//! or read from its cache file), or from a database through the connection manager in its slot
//! (ConnectionType 0, `database.rs`): full cache reads the reference query once into the same
//! indexed table, partial and no cache ask the database per key. Full-cache matching goes
//! through `reference/`'s hash index: exact, case-sensitive, NULL equal to NULL, the first
//! reference row of a key wins; without a full cache the database compares. The reference
//! columns' types (`ReferenceMetadataXml`, `reference_metadata.rs`) must fit the input
//! columns: a join needs the same type on both sides (string lengths may differ), a copy the
//! same type with room for the value; mismatches are refused at validation naming both
//! columns. A row without a match goes to the no-match output (NoMatchBehavior 1) or is a
//! lookup failure (0xC020901E) handled by the match output's error disposition: Ignore Failure
//! sends it on with NULL reference columns, Redirect Row to the error output (ErrorColumn 0),
//! Fail Component stops the data flow naming the row and key. Reference memory (full and
//! partial caches) is reserved against the data flow's budget while it runs. It must not fill
//! caches.

mod database;
mod partial_cache;
mod reference_metadata;

pub use database::fit;

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, UInt32Array};
use ssisd_engine::model::{RowDisposition, UsageType};
use ssisd_engine::types::DataType;

use crate::buffer::{Buffer, Layout};
use crate::cache::load::{load_file, CacheLoadError};
use crate::cache::{parse_cache_manager, CachedReference};
use crate::codes;
use crate::component::{
    failure, Component, ComponentSpec, FailureKind, Handling, PrepareContext, Routing, RowError,
    RunContext,
};
use crate::components::{lineage_ref, prop, prop_bool, prop_int};
use crate::database::connection::{connect_error, open, Target as DatabaseTarget};
use crate::database::names::Quoting;
use crate::database::parameters::count_markers;
use crate::database::reference::{KeyQuery, ReadSettings};
use crate::error::{PipelineError, Problems};
use crate::memory::Reservation;
use crate::raw_file::RawFileError;
use crate::reference::index::{join_compatible, joinable};
use crate::reference::table::reserve;
use crate::registry::ComponentEntry;
use database::{
    load_full, partial_cache, per_key_statement, CacheMode, Needed, PerKey, ReferenceRowsError,
};
use reference_metadata::ReferenceColumn;

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

/// Where the reference rows come from.
enum Source {
    /// A Cache connection manager (ConnectionType 1).
    Cache,
    /// A database, through the connection manager in the Lookup's slot (ConnectionType 0).
    Database(Box<DatabaseConfig>),
}

struct DatabaseConfig {
    mode: CacheMode,
    sql: String,
    sql_param: String,
    /// The input columns bound to the per-key statement's markers, in order (buffer index
    /// and type).
    params: Vec<(usize, DataType)>,
    /// The reference columns read: the join columns' (in join order), then the copied ones.
    needed: Vec<Needed>,
    /// For each copy, its column in `needed`.
    copy_needed: Vec<usize>,
    /// The partial cache's bytes and the share of them for misses.
    max_bytes: usize,
    miss_percent: u8,
    code_page: u32,
    duplicates_are_errors: bool,
}

/// The reference rows while the data flow runs.
enum Running {
    Full(Prepared),
    PerKey(Box<PerKey>),
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
    source: Source,
    /// The connection manager and server, once connected (database lookups).
    target: String,
    prepared: Option<Running>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let connection_type = prop_int(&c.properties, "ConnectionType").unwrap_or(0);
    let cache_type = prop_int(&c.properties, "CacheType").unwrap_or(0);
    let mode = match cache_type {
        0 => CacheMode::Full,
        1 => CacheMode::Partial,
        2 => CacheMode::None,
        other => {
            return Err(spec
                .error(format!(
                    "its CacheType is {other}; it must be 0 (full cache), 1 (partial cache) or 2 (no cache)"
                ))
                .into())
        }
    };
    match connection_type {
        0 => {}
        1 if mode != CacheMode::Full => problems.push(spec.error(format!(
            "its CacheType is {cache_type}; a Lookup on a Cache connection manager works in full cache mode (CacheType 0) only"
        ))),
        1 => {}
        other => {
            return Err(spec
                .error(format!(
                    "its ConnectionType is {other}; it must be 0 (a database connection manager) or 1 (a Cache connection manager)"
                ))
                .into())
        }
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
    let source = if connection_type == 0 {
        match database_config(spec, mode, &joins, &copies, &in_layout) {
            Ok(config) => Source::Database(Box::new(config)),
            Err(p) => {
                problems.0.extend(p.0);
                Source::Cache
            }
        }
    } else {
        Source::Cache
    };
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
        source,
        target: String::new(),
        prepared: None,
    }))
}

/// The reference column named `name` among the declared ones (exact spelling first).
fn declared<'a>(columns: &'a [ReferenceColumn], name: &str) -> Option<&'a ReferenceColumn> {
    columns
        .iter()
        .find(|c| c.name == name)
        .or_else(|| columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
}

/// Reads and checks a database Lookup's properties: its queries, parameters, cache sizes and
/// the reference columns' types against the columns they are joined to or copied into.
fn database_config(
    spec: &ComponentSpec<'_>,
    mode: CacheMode,
    joins: &[JoinColumn],
    copies: &[CopyColumn],
    in_layout: &Layout,
) -> Result<DatabaseConfig, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let props = &c.properties;
    let sql = prop(props, "SqlCommand").unwrap_or("").to_string();
    if sql.trim().is_empty() {
        problems.push(
            spec.error("its SqlCommand is empty; give the query (or table) whose rows it looks up"),
        );
    }
    if c.connections.is_empty() {
        problems.push(
            spec.error("it has no connection manager; assign one to its OleDbConnection slot"),
        );
    }
    let metadata =
        match reference_metadata::parse(prop(props, "ReferenceMetadataXml").unwrap_or("")) {
            Ok(m) => m,
            Err(e) => {
                problems.push(spec.error(e.to_string()));
                Vec::new()
            }
        };
    // The reference columns read, each typed as declared (else as the column it feeds).
    let mut needed: Vec<Needed> = Vec::new();
    for j in joins {
        let ty = match declared(&metadata, &j.reference) {
            Some(d) => {
                if !join_compatible(&j.ty, &d.data_type) {
                    problems.push(spec.error(format!(
                        "the join column \"{}\" is {} but the reference column \"{}\" is {}; a join needs the same data type on both sides (convert one with a Data Conversion or a CAST in the query) ({})",
                        j.name, j.ty, d.name, d.data_type, codes::hex(codes::LOOKUP_JOIN_INVALID)
                    )));
                }
                if !joinable(&d.data_type) {
                    problems.push(spec.error(format!(
                        "the reference column \"{}\" is {}; a Lookup cannot join on DT_R4, DT_R8, DT_TEXT, DT_NTEXT or DT_IMAGE columns",
                        d.name, d.data_type
                    )));
                }
                d.data_type
            }
            None if !metadata.is_empty() => {
                problems.push(spec.error(format!(
                    "the join column \"{}\" is joined to \"{}\", which is not among its reference columns ({}); refresh the Lookup's columns",
                    j.name,
                    j.reference,
                    metadata.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
                j.ty
            }
            None => j.ty,
        };
        needed.push(Needed {
            name: j.reference.clone(),
            data_type: ty,
        });
    }
    let mut copy_needed = Vec::with_capacity(copies.len());
    for cp in copies {
        let ty = match declared(&metadata, &cp.reference) {
            Some(d) => {
                if !copy_fits(&d.data_type, &cp.ty) {
                    problems.push(spec.error(format!(
                        "\"{}\" is {} but the reference column \"{}\" it copies is {}; make the types match ({})",
                        cp.name, cp.ty, d.name, d.data_type, codes::hex(codes::LOOKUP_JOIN_INVALID)
                    )));
                }
                d.data_type
            }
            None if !metadata.is_empty() => {
                problems.push(spec.error(format!(
                    "\"{}\" copies the reference column \"{}\", which is not among its reference columns ({}); refresh the Lookup's columns",
                    cp.name,
                    cp.reference,
                    metadata.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
                cp.ty
            }
            None => cp.ty,
        };
        let at = match needed
            .iter()
            .position(|n| n.name == cp.reference && n.data_type == ty)
        {
            Some(i) => i,
            None => {
                needed.push(Needed {
                    name: cp.reference.clone(),
                    data_type: ty,
                });
                needed.len() - 1
            }
        };
        copy_needed.push(at);
    }
    // The per-key statement's parameters: ParameterMap, else the join columns in order (a
    // full cache runs no per-key statement and ignores them, as SSIS does).
    let map = if mode == CacheMode::Full {
        ""
    } else {
        prop(props, "ParameterMap").unwrap_or("")
    };
    let mut params = Vec::new();
    for entry in map.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let column = lineage_ref(spec.flow, entry).and_then(|l| in_layout.index_of(l));
        match column {
            Some(i) => params.push((i, in_layout.columns[i].data_type)),
            None => problems.push(spec.error(format!(
                "its ParameterMap names \"{entry}\", which is not a column of its input; map each ? of SqlCommandParam to an input column"
            ))),
        }
    }
    if map.trim().is_empty() {
        params = joins.iter().map(|j| (j.buffer_index, j.ty)).collect();
    }
    let sql_param = prop(props, "SqlCommandParam").unwrap_or("").to_string();
    if mode != CacheMode::Full {
        let references: Vec<String> = joins.iter().map(|j| j.reference.clone()).collect();
        let statement = per_key_statement(&sql_param, &sql, &references, Quoting::Ansi);
        let markers = count_markers(&statement);
        if markers != params.len() {
            problems.push(spec.error(format!(
                "its SqlCommandParam has {markers} parameter markers (?) but {} input columns are mapped to them (ParameterMap); map one input column to each marker (0xC0208234)",
                params.len()
            )));
        }
    }
    let mb = prop_int(props, "MaxMemoryUsage64")
        .or_else(|| prop_int(props, "MaxMemoryUsage"))
        .unwrap_or(25);
    if mode == CacheMode::Partial && !(1..=1_048_576).contains(&mb) {
        problems.push(spec.error(format!(
            "its MaxMemoryUsage64 is {mb}; the partial cache's size must be between 1 and 1048576 MB (0xC02090C9)"
        )));
    }
    let miss_percent = prop_int(props, "NoMatchCachePercentage").unwrap_or(0);
    if !(0..=100).contains(&miss_percent) {
        problems.push(spec.error(format!(
            "its NoMatchCachePercentage is {miss_percent}; it must be between 0 and 100"
        )));
    }
    problems.into_result()?;
    Ok(DatabaseConfig {
        mode,
        sql,
        sql_param,
        params,
        needed,
        copy_needed,
        max_bytes: (mb.max(1) as usize) << 20,
        miss_percent: miss_percent as u8,
        code_page: prop_int(props, "DefaultCodePage")
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(1252),
        duplicates_are_errors: prop_bool(props, "TreatDuplicateKeysAsError").unwrap_or(false),
    })
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

impl Lookup {
    /// Connects and loads (full cache) or prepares the per-key statement.
    fn prepare_database(
        &mut self,
        ctx: &mut PrepareContext<'_>,
        config: &DatabaseConfig,
    ) -> Result<Running, PipelineError> {
        let target = DatabaseTarget::resolve(ctx, "OleDbConnection")?;
        let mut session = open(&target).map_err(|e| connect_error(ctx, &target, &e))?;
        self.target = target.describe();
        let chars = ssisd_sql::type_map::CharTypes {
            code_page: config.code_page,
            unicode: false,
        };
        let settings = ReadSettings {
            batch_rows: ctx.sizing.max_rows.max(1),
            chars,
        };
        // The budget's refusal is SSIS's out-of-memory error; everything else the database's.
        let failed = |ctx: &PrepareContext<'_>, what: &str, e: String, out_of_memory: bool| {
            let code = if out_of_memory {
                codes::OUT_OF_MEMORY
            } else {
                codes::DATABASE_ERROR
            };
            ctx.error(
                code,
                format!(
                    "cannot {what} through {}: {e} ({})",
                    target.describe(),
                    codes::hex(code)
                ),
            )
        };
        match config.mode {
            CacheMode::Full => {
                let loaded = load_full(
                    &mut session,
                    &config.sql,
                    &settings,
                    &config.needed,
                    self.joins.len(),
                    &ctx.budget,
                )
                .map_err(|e| {
                    let out_of_memory = matches!(e, ReferenceRowsError::Memory(_));
                    failed(
                        ctx,
                        "read its reference rows (SqlCommand)",
                        e.to_string(),
                        out_of_memory,
                    )
                })?;
                for w in &loaded.warnings {
                    ctx.warning(
                        codes::EXTERNAL_METADATA_OUT_OF_SYNC,
                        format!("\"{}\": {w}.", self.name),
                    );
                }
                if loaded.duplicates > 0 {
                    let text = format!(
                        "\"{}\": the reference query returned {} rows whose key an earlier row already had",
                        self.name, loaded.duplicates
                    );
                    if config.duplicates_are_errors {
                        return Err(ctx.error(
                            codes::INDUCED_FAILURE_ON_ERROR,
                            format!(
                                "{text}, and TreatDuplicateKeysAsError is true; remove the duplicates from the query or set it to false to use the first row of each key ({})",
                                codes::hex(codes::LOOKUP_DUPLICATE_KEYS)
                            ),
                        ));
                    }
                    ctx.warning(
                        codes::LOOKUP_DUPLICATE_KEYS,
                        format!("{text}; the first row of each key is used."),
                    );
                }
                ctx.information(
                    codes::LOOKUP_CACHED_TOTAL,
                    format!(
                        "\"{}\" has cached a total of {} rows.",
                        self.name, loaded.cache.table.rows
                    ),
                );
                Ok(Running::Full(Prepared {
                    cache: loaded.cache,
                    key_joins: (0..self.joins.len()).collect(),
                    copy_sources: config.copy_needed.clone(),
                    _reserved: loaded.reserved,
                }))
            }
            CacheMode::Partial | CacheMode::None => {
                let quoting = if target.is_tds() {
                    Quoting::Brackets
                } else {
                    Quoting::Ansi
                };
                let references: Vec<String> =
                    self.joins.iter().map(|j| j.reference.clone()).collect();
                let statement =
                    per_key_statement(&config.sql_param, &config.sql, &references, quoting);
                let query = KeyQuery::prepare(session, &statement, settings).map_err(|e| {
                    failed(
                        ctx,
                        &format!("prepare its per-key query \"{statement}\""),
                        e.to_string(),
                        false,
                    )
                })?;
                let cache = partial_cache(
                    config.mode,
                    config.max_bytes,
                    config.miss_percent,
                    &ctx.budget,
                )
                .map_err(|e| {
                    ctx.error(
                        codes::OUT_OF_MEMORY,
                        format!("cannot hold its partial cache: {e}"),
                    )
                })?;
                let copies = config
                    .copy_needed
                    .iter()
                    .map(|&i| config.needed[i].clone())
                    .collect();
                let per_key = PerKey::new(query, cache, config.params.clone(), copies)
                    .map_err(|e| ctx.error(codes::LOOKUP_JOIN_INVALID, e.to_string()))?;
                Ok(Running::PerKey(Box::new(per_key)))
            }
        }
    }

    /// Loads the rows of the Cache connection manager.
    fn prepare_cache(&mut self, ctx: &mut PrepareContext<'_>) -> Result<Running, PipelineError> {
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
                    let code = match &e {
                        CacheLoadError::Memory(_) => codes::OUT_OF_MEMORY,
                        CacheLoadError::File(RawFileError::Open(_)) => codes::CANNOT_OPEN_FILE,
                        _ => codes::BAD_FILE,
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
        ctx.information(
            codes::LOOKUP_CACHED_TOTAL,
            format!(
                "\"{}\" has cached a total of {} rows.",
                self.name, cache.table.rows
            ),
        );
        Ok(Running::Full(Prepared {
            cache,
            key_joins,
            copy_sources,
            _reserved: reserved,
        }))
    }
}

impl Component for Lookup {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let source = std::mem::replace(&mut self.source, Source::Cache);
        let running = match &source {
            Source::Cache => self.prepare_cache(ctx),
            Source::Database(config) => self.prepare_database(ctx, config),
        };
        self.source = source;
        let running = running?;
        if self.warn_no_match_unused {
            ctx.warning(
                codes::NO_MATCH_OUTPUT_GETS_NO_ROWS,
                format!(
                    "\"{}\": the no-match output is attached but rows with no match are treated as errors (NoMatchBehavior 0), so it receives no rows.",
                    self.name
                ),
            );
        }
        self.prepared = Some(running);
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let (found, sources): (UInt32Array, Vec<ArrayRef>) = match self.prepared.as_mut() {
            None => return Ok(Routing::all()),
            Some(Running::Full(p)) => {
                let keys: Vec<ArrayRef> = p
                    .key_joins
                    .iter()
                    .map(|&j| buffer.column(self.joins[j].buffer_index).clone())
                    .collect();
                let found = p.cache.index.probe(&keys).map_err(|e| {
                    PipelineError::new(
                        codes::PROCESS_INPUT_FAILED,
                        self.name.clone(),
                        e.to_string(),
                    )
                })?;
                let sources = p
                    .copy_sources
                    .iter()
                    .map(|&s| p.cache.table.arrays[s].clone())
                    .collect();
                (found, sources)
            }
            Some(Running::PerKey(k)) => {
                let resolved = k.resolve(buffer).map_err(|e| {
                    PipelineError::new(
                        codes::DATABASE_ERROR,
                        self.name.clone(),
                        format!(
                            "{}: component \"{}\" failed looking up rows {} to {} through {}: {e} ({})",
                            self.task_path,
                            self.name,
                            ctx.rows_before + 1,
                            ctx.rows_before + n as u64,
                            self.target,
                            codes::hex(codes::DATABASE_ERROR)
                        ),
                    )
                })?;
                for w in std::mem::take(&mut k.warnings) {
                    ctx.message(
                        crate::host::Level::Warning,
                        codes::EXTERNAL_METADATA_OUT_OF_SYNC,
                        format!("\"{}\": {w}.", self.name),
                    );
                }
                resolved
            }
        };
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
        for (c, src) in self.copies.iter().zip(&sources) {
            let taken = arrow_select::take::take(src.as_ref(), &found, None).map_err(|e| {
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

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        if let Some(Running::PerKey(k)) = &self.prepared {
            let cache = match k.usage() {
                Some(u) => format!(
                    "; the partial cache answered {} keys and ends holding {} rows and {} keys without a match in {} bytes ({} evicted)",
                    k.cache_hits, u.rows, u.misses, u.bytes, u.evicted
                ),
                None => String::new(),
            };
            ctx.information(
                codes::LOOKUP_CACHED_TOTAL,
                format!(
                    "\"{}\" ran its per-key query {} times{cache}.",
                    self.name,
                    k.queries()
                ),
            );
        }
        self.prepared = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.prepared = None;
    }
}
