//! The OLE DB Command: runs its `SqlCommand` once per input row, the row's columns bound to the
//! command's `?` markers — each input column maps to an external column `Param_0`,
//! `Param_1`, … (its number is the marker's position) — through its OLE DB connection manager
//! (SQL Server's providers over TDS with `@P1…` markers, MSDASQL over ODBC with the statement
//! prepared once per buffer), each statement committed on its own as OLE DB's autocommit does,
//! `CommandTimeout` seconds at most. Rows pass through unchanged; a row whose statement fails
//! follows the input's error disposition (Fail Component stops the data flow naming the row,
//! the command, the connection manager and the server; Redirect Row sends it to the error
//! output with ErrorCode 0xC0209070 for a constraint, 0xC020906F for a permission, else
//! 0xC0209069; Ignore Failure lets it through). Blocking: it runs on its execution tree's
//! thread. It must not buffer rows.

use ssisd_engine::model::RowDisposition;
use ssisd_sql::error::{odbc_message, odbc_state};
use ssisd_sql::odbc::OdbcConnection;

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RowError, RunContext};
use crate::components::{prop, prop_int};
use crate::database::connection::{connect_error, open, Session, Target, TdsSession};
use crate::database::parameters::{count_markers, numbered_markers};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "OLE DB Command",
    class_ids: &[
        "{93FFEC66-CBC8-4C7F-9C6A-CB1C17A7567D}",
        "DTSTransform.OLEDBCommand",
        "Microsoft.OLEDBCommand",
    ],
    create,
};

struct Bound {
    buffer_index: usize,
}

enum Conn {
    Odbc(OdbcConnection),
    Tds(Box<TdsSession>),
}

struct OleDbCommand {
    name: String,
    task_path: String,
    sql: String,
    timeout: u32,
    disposition: RowDisposition,
    /// Parameters in marker order.
    params: Vec<Bound>,
    target: Option<Target>,
    conn: Option<Conn>,
    rows: u64,
}

/// The marker position an external column's name gives (`Param_3` → 3).
fn param_number(name: &str) -> Option<usize> {
    name.trim()
        .strip_prefix("Param_")
        .and_then(|n| n.parse().ok())
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let sql = prop(&c.properties, "SqlCommand").unwrap_or("").to_string();
    if sql.trim().is_empty() {
        return Err(spec.error("its SqlCommand is empty").into());
    }
    let layout = &spec.input_layouts[0];
    let mut mapped: Vec<(usize, Bound)> = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let Some((position, ext)) = input.external_columns.iter().enumerate().find(|(_, e)| {
            col.external_metadata_column.is_set()
                && e.id.number == col.external_metadata_column.number
        }) else {
            continue;
        };
        mapped.push((
            param_number(&ext.name).unwrap_or(position),
            Bound { buffer_index: idx },
        ));
    }
    mapped.sort_by_key(|(n, _)| *n);
    let markers = count_markers(&sql);
    if markers != mapped.len() {
        return Err(spec
            .error(format!(
                "its SqlCommand has {markers} parameter markers (?) but {} input columns are mapped to parameters; map one input column to each Param_N",
                mapped.len()
            ))
            .into());
    }
    if c.connections.is_empty() {
        return Err(spec
            .error("it has no connection manager; assign one to its OleDbConnection slot")
            .into());
    }
    Ok(Box::new(OleDbCommand {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        sql,
        timeout: prop_int(&c.properties, "CommandTimeout")
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(0),
        disposition: input.dispositions.error,
        params: mapped.into_iter().map(|(_, b)| b).collect(),
        target: None,
        conn: None,
        rows: 0,
    }))
}

/// A failed statement: its message and ErrorCode.
struct Failed {
    message: String,
    code: u32,
}

fn odbc_failure(e: odbc_api::Error) -> Failed {
    let state = odbc_state(&e).unwrap_or_default();
    Failed {
        message: odbc_message(&e),
        code: if state.starts_with("23") {
            codes::db_status::COMMAND_INTEGRITY
        } else if state.starts_with("42501") {
            codes::db_status::COMMAND_PERMISSION
        } else {
            codes::db_status::COMMAND_CANT_CONVERT
        },
    }
}

impl OleDbCommand {
    /// Runs the command for every row of `buffer`: per row, `None` or why it failed.
    fn run_rows(&mut self, buffer: &Buffer) -> Vec<Option<Failed>> {
        let n = buffer.rows();
        let values = |r: usize| -> Vec<ssisd_engine::types::Value> {
            self.params
                .iter()
                .map(|p| buffer.value(p.buffer_index, r))
                .collect()
        };
        match self.conn.as_mut() {
            Some(Conn::Odbc(conn)) => {
                let mut prepared = match conn.prepare(&self.sql) {
                    Ok(p) => p,
                    Err(e) => {
                        let f = odbc_failure(e);
                        return (0..n)
                            .map(|_| {
                                Some(Failed {
                                    message: f.message.clone(),
                                    code: f.code,
                                })
                            })
                            .collect();
                    }
                };
                let timeout = (self.timeout > 0).then_some(self.timeout as usize);
                (0..n)
                    .map(|r| {
                        let params: Vec<Box<dyn odbc_api::parameter::InputParameter>> = values(r)
                            .iter()
                            .map(ssisd_sql::odbc::parameters::input)
                            .collect();
                        // A time limit is a statement attribute: with one, each row runs as
                        // its own statement; without, the prepared one is reused.
                        let outcome = match timeout {
                            Some(_) => conn
                                .execute(&self.sql, params.as_slice(), timeout)
                                .map(|_| ()),
                            None => prepared.execute(params.as_slice()).map(|_| ()),
                        };
                        outcome.err().map(odbc_failure)
                    })
                    .collect()
            }
            Some(Conn::Tds(session)) => {
                let sql = numbered_markers(&self.sql);
                let timeout = (self.timeout > 0)
                    .then(|| std::time::Duration::from_secs(u64::from(self.timeout)));
                let TdsSession { runtime, client } = session.as_mut();
                (0..n)
                    .map(|r| {
                        let params: Vec<ssisd_sql::tds::values::Param> = values(r)
                            .iter()
                            .map(|v| {
                                ssisd_sql::tds::values::Param(ssisd_sql::tds::values::column_data(
                                    v,
                                ))
                            })
                            .collect();
                        let refs: Vec<&dyn tiberius::ToSql> =
                            params.iter().map(|p| p as &dyn tiberius::ToSql).collect();
                        let run = client.execute(sql.as_str(), &refs);
                        let outcome = match timeout {
                            Some(limit) => runtime
                                .block_on(async { tokio::time::timeout(limit, run).await })
                                .unwrap_or_else(|_| {
                                    Err(tiberius::error::Error::Io {
                                        kind: std::io::ErrorKind::TimedOut,
                                        message: format!(
                                            "the command ran longer than its CommandTimeout ({} s)",
                                            limit.as_secs()
                                        ),
                                    })
                                }),
                            None => runtime.block_on(run),
                        };
                        match outcome {
                            Ok(_) => None,
                            Err(e) => {
                                let message = ssisd_sql::QueryError::from(e).to_string();
                                let code = if ["error 2627", "error 2601", "error 547", "error 515"]
                                    .iter()
                                    .any(|k| message.contains(k))
                                {
                                    codes::db_status::COMMAND_INTEGRITY
                                } else {
                                    codes::db_status::COMMAND_CANT_CONVERT
                                };
                                Some(Failed { message, code })
                            }
                        }
                    })
                    .collect()
            }
            None => (0..n).map(|_| None).collect(),
        }
    }
}

impl Component for OleDbCommand {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let target = Target::resolve(ctx, "OleDbConnection")?;
        let session = open(&target).map_err(|e| connect_error(ctx, &target, &e))?;
        self.conn = Some(match session {
            Session::Odbc(c) => Conn::Odbc(c),
            Session::Tds(s) => Conn::Tds(s),
        });
        self.target = Some(target);
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let outcomes = self.run_rows(buffer);
        let mut errors = Vec::new();
        for (r, failed) in outcomes.into_iter().enumerate() {
            let Some(f) = failed else { continue };
            match self.disposition {
                RowDisposition::RedirectRow => errors.push(RowError {
                    row: r,
                    code: f.code,
                    column: 0,
                }),
                RowDisposition::IgnoreFailure => {}
                _ => {
                    return Err(PipelineError::new(
                        codes::DATABASE_ERROR,
                        self.name.clone(),
                        format!(
                            "{}: component \"{}\" failed running its command for row {} through {}: {} ({}). Rows before it were committed. To send failing rows to the error output instead, set the input's error disposition to Redirect Row",
                            self.task_path,
                            self.name,
                            ctx.rows_before + r as u64 + 1,
                            self.target.as_ref().map(Target::describe).unwrap_or_default(),
                            f.message,
                            codes::hex(codes::DATABASE_ERROR)
                        ),
                    ))
                }
            }
        }
        self.rows += buffer.rows() as u64;
        Ok(Routing {
            per_row: None,
            errors,
        })
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.conn = None;
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" ran its command for {} rows.", self.name, self.rows),
        );
        Ok(())
    }

    fn abort(&mut self) {
        self.conn = None;
    }
}
