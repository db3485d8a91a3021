//! The Slowly Changing Dimension transform: for each input row it finds the dimension's
//! current row of the row's business key (input columns of ColumnType 1) by running the
//! `SqlCommand` restricted to the key and `CurrentRowWhere` through the connection manager in
//! its `LookupConnection` slot, then compares the other columns by their ColumnType — 2
//! changing, 3 historical, 4 fixed, 0 passed through — each input column against the dimension
//! column its external column names (NULL equal to NULL, strings exact). The row goes to: "New
//! Output" when the key has no current row (or fails the component with
//! FailOnLookupFailure); "Inferred Member Updates Output" when inferred members are enabled
//! and the current row's InferredMemberIndicator column is true (without an indicator column:
//! when every dimension column with a change type is NULL, the wizard's other choice); else a changed fixed column
//! fails the component (FailOnFixedAttributeChange, 0xC020803C) or sends it to "Fixed
//! Attribute Output"; else a changed changing column sends it to "Changing Attribute Updates
//! Output"; else, without any change, to "Unchanged Output". A changed historical column also
//! sends it to "Historical Attribute Inserts Output", the one output of the second exclusion
//! group. The updates and inserts themselves are the downstream components' (the wizard's OLE
//! DB Commands and Destination). It must not write to the dimension.

use ssisd_engine::types::{DataType, Value};

use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::{prop, prop_bool, prop_int};
use crate::database::connection::{connect_error, open, Target};
use crate::database::names::Quoting;
use crate::database::reference::{KeyQuery, ReadSettings};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

use super::lookup::fit;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Slowly Changing Dimension",
    class_ids: &["{25BBB0C5-369B-4303-B3DF-D0DC741DEE58}"],
    create,
};

/// How an inferred member is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inferred {
    /// The dimension's Boolean column of this name is true.
    Indicator(String),
    /// Every dimension column with a change type is NULL.
    AllNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Key,
    Changing,
    Historical,
    Fixed,
}

struct Compared {
    name: String,
    /// The dimension column.
    dimension: String,
    buffer_index: usize,
    ty: DataType,
    kind: Kind,
}

/// The outputs, by their fixed names.
#[derive(Default)]
struct Outputs {
    unchanged: Option<usize>,
    new: Option<usize>,
    fixed: Option<usize>,
    changing: Option<usize>,
    historical: Option<usize>,
    inferred: Option<usize>,
}

struct Scd {
    name: String,
    task_path: String,
    sql: String,
    current_row_where: String,
    columns: Vec<Compared>,
    outputs: Outputs,
    fail_on_fixed: bool,
    fail_on_lookup_failure: bool,
    inferred: Option<Inferred>,
    code_page: u32,
    target: String,
    query: Option<KeyQuery>,
    also: Option<Vec<u16>>,
    counts: [u64; 6],
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let props = &c.properties;
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let layout = &spec.input_layouts[0];
    let sql = prop(props, "SqlCommand").unwrap_or("").trim().to_string();
    if sql.is_empty() {
        problems.push(
            spec.error(
                "its SqlCommand is empty; give the SELECT over the dimension table's columns",
            ),
        );
    }
    if c.connections.is_empty() {
        problems.push(spec.error(
            "it has no connection manager; assign the dimension's connection manager to its LookupConnection slot",
        ));
    }
    let change_type = prop_int(props, "IncomingRowChangeType").unwrap_or(1);
    if change_type != 1 {
        problems.push(spec.error(format!(
            "its IncomingRowChangeType is {change_type}; ssisd detects the change type of each row (1) only"
        )));
    }
    let mut columns = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let kind = match prop_int(&col.properties, "ColumnType").unwrap_or(0) {
            0 => continue,
            1 => Kind::Key,
            2 => Kind::Changing,
            3 => Kind::Historical,
            4 => Kind::Fixed,
            other => {
                problems.push(spec.error(format!(
                    "the input column \"{}\" has ColumnType {other}; it must be 0 (other), 1 (business key), 2 (changing), 3 (historical) or 4 (fixed)",
                    layout.columns[idx].name
                )));
                continue;
            }
        };
        let dimension = input
            .external_of(col)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| layout.columns[idx].name.clone());
        columns.push(Compared {
            name: layout.columns[idx].name.clone(),
            dimension,
            buffer_index: idx,
            ty: layout.columns[idx].data_type,
            kind,
        });
    }
    if !columns.iter().any(|c| c.kind == Kind::Key) {
        problems.push(spec.error(
            "no input column is a business key (ColumnType 1); mark the columns that identify a dimension member (0xC020803E)",
        ));
    }
    let mut outputs = Outputs::default();
    for (i, o) in c.outputs.iter().enumerate() {
        let slot = match o.name.to_ascii_lowercase().as_str() {
            "unchanged output" => &mut outputs.unchanged,
            "new output" => &mut outputs.new,
            "fixed attribute output" => &mut outputs.fixed,
            "changing attribute updates output" => &mut outputs.changing,
            "historical attribute inserts output" => &mut outputs.historical,
            "inferred member updates output" => &mut outputs.inferred,
            _ => continue,
        };
        *slot = Some(i);
    }
    let enable_inferred = prop_bool(props, "EnableInferredMember").unwrap_or(false);
    let indicator = prop(props, "InferredMemberIndicator")
        .unwrap_or("")
        .trim()
        .to_string();
    let inferred = match (enable_inferred, indicator.is_empty()) {
        (false, _) => None,
        (true, true) => Some(Inferred::AllNull),
        (true, false) => Some(Inferred::Indicator(indicator)),
    };
    problems.into_result()?;
    Ok(Box::new(Scd {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        sql,
        current_row_where: prop(props, "CurrentRowWhere")
            .unwrap_or("")
            .trim()
            .to_string(),
        columns,
        outputs,
        fail_on_fixed: prop_bool(props, "FailOnFixedAttributeChange").unwrap_or(true),
        fail_on_lookup_failure: prop_bool(props, "FailOnLookupFailure").unwrap_or(false),
        inferred,
        code_page: prop_int(props, "DefaultCodePage")
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(1252),
        target: String::new(),
        query: None,
        also: None,
        counts: [0; 6],
    }))
}

/// `text` with `[name]` identifiers written `"name"` (outside string literals), for ODBC.
fn ansi_identifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut in_bracket = false;
    for ch in text.chars() {
        match ch {
            '\'' if !in_bracket => {
                in_string = !in_string;
                out.push(ch);
            }
            '[' if !in_string && !in_bracket => {
                in_bracket = true;
                out.push('"');
            }
            ']' if in_bracket => {
                in_bracket = false;
                out.push('"');
            }
            _ => out.push(ch),
        }
    }
    out
}

impl Scd {
    /// The per-row statement: the dimension's current row of one business key.
    fn statement(&self, quoting: Quoting) -> String {
        let (sql, filter) = match quoting {
            Quoting::Ansi => (
                ansi_identifiers(&self.sql),
                ansi_identifiers(&self.current_row_where),
            ),
            Quoting::Brackets => (self.sql.clone(), self.current_row_where.clone()),
        };
        let table = quoting.quote("dimension");
        let mut conditions: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.kind == Kind::Key)
            .map(|c| format!("{table}.{} = ?", quoting.quote(&c.dimension)))
            .collect();
        if !filter.is_empty() {
            conditions.push(format!("({filter})"));
        }
        format!(
            "select * from ({sql}) {table} where {}",
            conditions.join(" and ")
        )
    }

    fn fail(&self, code: u32, row: u64, what: String) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!(
                "{}: component \"{}\" failed on row {row}: {what} ({})",
                self.task_path,
                self.name,
                codes::hex(code)
            ),
        )
    }
}

/// Position of the column `name` among `columns` (exact spelling first, then ignoring case).
fn column_at(columns: &[ssisd_sql::ColumnInfo], name: &str) -> Option<usize> {
    columns.iter().position(|c| c.name == name).or_else(|| {
        columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    })
}

impl Component for Scd {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let target = Target::resolve(ctx, "LookupConnection")?;
        let session = open(&target).map_err(|e| connect_error(ctx, &target, &e))?;
        self.target = target.describe();
        let quoting = if target.is_tds() {
            Quoting::Brackets
        } else {
            Quoting::Ansi
        };
        let statement = self.statement(quoting);
        let settings = ReadSettings {
            batch_rows: 1,
            chars: ssisd_sql::type_map::CharTypes {
                code_page: self.code_page,
                unicode: false,
            },
        };
        self.query = Some(
            KeyQuery::prepare(session, &statement, settings).map_err(|e| {
                ctx.error(
                    codes::DATABASE_ERROR,
                    format!(
                        "cannot prepare its dimension query \"{statement}\" through {}: {e} ({})",
                        target.describe(),
                        codes::hex(codes::DATABASE_ERROR)
                    ),
                )
            })?,
        );
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut crate::buffer::Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let mut per_row = vec![Routing::DROP; n];
        let mut also = vec![Routing::DROP; n];
        let Some(mut query) = self.query.take() else {
            return Ok(Routing::all());
        };
        let outcome = (|| -> Result<(), PipelineError> {
            for r in 0..n {
                let row_number = ctx.rows_before + r as u64 + 1;
                let key: Vec<Value> = self
                    .columns
                    .iter()
                    .filter(|c| c.kind == Kind::Key)
                    .map(|c| buffer.value(c.buffer_index, r))
                    .collect();
                let found = query.run(&key).map_err(|e| {
                    self.fail(
                        codes::DATABASE_ERROR,
                        row_number,
                        format!("looking up its dimension row through {}: {e}", self.target),
                    )
                })?;
                let Some(dimension) = found.row else {
                    if self.fail_on_lookup_failure {
                        return Err(self.fail(
                            codes::SCD_LOOKUP_FAILURE,
                            row_number,
                            "the dimension has no current row for its business key and FailOnLookupFailure is true".into(),
                        ));
                    }
                    per_row[r] = self.outputs.new.map_or(Routing::DROP, |o| o as u16);
                    self.counts[1] += 1;
                    continue;
                };
                let value_of = |name: &str, ty: &DataType| -> Result<Value, PipelineError> {
                    let i = column_at(&found.columns, name).ok_or_else(|| {
                        self.fail(
                            codes::DATABASE_ERROR,
                            row_number,
                            format!(
                                "the dimension column \"{name}\" is not among the columns its SqlCommand returns ({})",
                                found
                                    .columns
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                    fit(dimension[i].clone(), ty).map_err(|e| {
                        self.fail(
                            codes::DATABASE_ERROR,
                            row_number,
                            format!("the dimension column \"{name}\" cannot be {ty}: {e}"),
                        )
                    })
                };
                let is_inferred = match &self.inferred {
                    None => false,
                    Some(Inferred::Indicator(column)) => {
                        value_of(column, &DataType::Bool)? == Value::Bool(true)
                    }
                    Some(Inferred::AllNull) => {
                        let mut all_null = true;
                        for c in self.columns.iter().filter(|c| c.kind != Kind::Key) {
                            all_null &= matches!(value_of(&c.dimension, &c.ty)?, Value::Null(_));
                        }
                        all_null
                    }
                };
                if is_inferred {
                    per_row[r] = self.outputs.inferred.map_or(Routing::DROP, |o| o as u16);
                    self.counts[5] += 1;
                    continue;
                }
                let mut changed = [false; 3];
                let mut fixed_changes = Vec::new();
                for c in self.columns.iter().filter(|c| c.kind != Kind::Key) {
                    let theirs = value_of(&c.dimension, &c.ty)?;
                    let ours = buffer.value(c.buffer_index, r);
                    let same = match (&ours, &theirs) {
                        (Value::Null(_), Value::Null(_)) => true,
                        (Value::Null(_), _) | (_, Value::Null(_)) => false,
                        (a, b) => a == b,
                    };
                    if same {
                        continue;
                    }
                    match c.kind {
                        Kind::Changing => changed[0] = true,
                        Kind::Historical => changed[1] = true,
                        Kind::Fixed => {
                            changed[2] = true;
                            fixed_changes.push(format!(
                                "{} ({} in the dimension, {} in the row)",
                                c.name,
                                theirs.to_display_string(),
                                ours.to_display_string()
                            ));
                        }
                        Kind::Key => {}
                    }
                }
                if changed[2] && self.fail_on_fixed {
                    return Err(self.fail(
                        codes::SCD_FIXED_ATTRIBUTE_CHANGE,
                        row_number,
                        format!(
                            "a fixed attribute changed: {}; set FailOnFixedAttributeChange to false to send such rows to the Fixed Attribute Output",
                            fixed_changes.join(", ")
                        ),
                    ));
                }
                let (first, counted) = if changed[2] {
                    (self.outputs.fixed, 2)
                } else if changed[0] {
                    (self.outputs.changing, 3)
                } else if changed[1] {
                    (None, 4)
                } else {
                    (self.outputs.unchanged, 0)
                };
                per_row[r] = first.map_or(Routing::DROP, |o| o as u16);
                if changed[1] {
                    also[r] = self.outputs.historical.map_or(Routing::DROP, |o| o as u16);
                    self.counts[4] += 1;
                }
                if counted != 4 {
                    self.counts[counted] += 1;
                }
            }
            Ok(())
        })();
        self.query = Some(query);
        outcome?;
        self.also = Some(also);
        Ok(Routing {
            per_row: Some(per_row),
            errors: Vec::new(),
        })
    }

    fn also_routed(&mut self) -> Option<Vec<u16>> {
        self.also.take()
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let [unchanged, new, fixed, changing, historical, inferred] = self.counts;
        ctx.information(
            codes::ROWS_WRITTEN,
            format!(
                "\"{}\" compared its rows with the dimension: {unchanged} unchanged, {new} new, {changing} with changing attributes, {historical} with historical attributes, {fixed} with fixed attributes changed, {inferred} inferred members.",
                self.name
            ),
        );
        self.query = None;
        Ok(())
    }

    fn abort(&mut self) {
        self.query = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_names_become_ansi_outside_strings() {
        assert_eq!(
            ansi_identifiers("[StartDate] IS NOT NULL AND [EndDate] IS NULL AND x <> '[y]'"),
            "\"StartDate\" IS NOT NULL AND \"EndDate\" IS NULL AND x <> '[y]'"
        );
    }
}
