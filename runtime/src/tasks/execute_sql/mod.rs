//! The Execute SQL task: takes its statement from direct input, a variable or a FILE
//! connection, splits it at `GO` lines, binds parameters (input, output, return value; by
//! position or by name; on SQL Server outputs and return values through local variables the
//! batch declares and selects) and runs it on the task's connection manager: ODBC connections
//! through the ODBC driver manager, OLE DB and ADO.NET connections to SQL Server through the
//! native TDS client; other providers are refused by name. The first result set fills the
//! single-row bindings or, whole, an Object variable (the shape the Foreach ADO enumerator
//! walks); the rows the statements affected are the task's execution value. This file owns
//! the task's flow; the payload, binding, batches and the two drivers live beside it.

mod batches;
mod binding;
mod error;
#[cfg(feature = "odbc")]
mod odbc;
mod payload;
mod sql_server;

use std::path::Path;

use super::references::{file_kind, Reference};
use super::{Task, TaskContext, TaskOutcome};
use crate::cancel::CancelToken;
use crate::connections::ConnectionInfo;
use crate::object_value::{ObjectValue, ResultSet};
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;

use binding::{bind_batch, positional_order, BoundBatch, MarkerStyle};
use error::SqlError;
use payload::{Direction, ResultType, SourceType, SqlTaskData};

/// A parameter as the drivers get it.
pub(crate) struct Param {
    pub direction: Direction,
    /// An input's value; for an output or return value, the variable's current value, whose
    /// type the SQL Server driver declares.
    pub value: Value,
    /// Bytes for an output value, when the binding sets one.
    pub size: Option<usize>,
}

/// What a driver is asked to run.
pub(crate) struct Request<'a> {
    pub connection_string: String,
    pub batches: Vec<BoundBatch>,
    /// One per parameter binding, in the binding order.
    pub params: Vec<Param>,
    pub want_rows: bool,
    /// Seconds; 0 for no limit.
    pub timeout: u32,
    pub cancel: &'a CancelToken,
}

/// What a driver brings back.
pub(crate) struct Reply {
    /// The first result set of the statement.
    pub rows: Option<ResultSet>,
    /// Per parameter binding: the value an output or return-value parameter received.
    pub outputs: Vec<Option<Value>>,
    /// Rows the statements affected, when the driver reports it (the execution value).
    pub rows_affected: Option<i64>,
}

/// The driver a connection manager is run through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Odbc,
    SqlServer,
}

fn provider(connection_string: &str) -> Option<String> {
    connection_string.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("provider")
            .then(|| v.trim().to_string())
    })
}

fn is_sql_server_provider(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    ["sqlncli", "msoledbsql", "sqloledb"]
        .iter()
        .any(|s| p.starts_with(s))
}

/// Which driver runs statements on `conn`, or why none can.
fn driver_for(conn: &ConnectionInfo) -> Result<Driver, SqlError> {
    driver_of(&conn.creation_name, &conn.connection_string)
}

/// [`driver_for`] from a manager's type and connection string (validation has no
/// `ConnectionInfo`).
fn driver_of(creation_name: &str, connection_string: &str) -> Result<Driver, SqlError> {
    let creation = creation_name.trim();
    let upper = creation.to_ascii_uppercase();
    if upper == "ODBC" {
        return Ok(Driver::Odbc);
    }
    if upper == "OLEDB" {
        let p = provider(connection_string).unwrap_or_default();
        if is_sql_server_provider(&p) {
            return Ok(Driver::SqlServer);
        }
        return Err(SqlError::Unsupported(format!(
            "Execute SQL over OLE DB provider \"{p}\" is not supported"
        )));
    }
    if let Some(rest) = upper.strip_prefix("ADO.NET:") {
        let name = creation["ADO.NET:".len()..].trim();
        if rest.starts_with("SYSTEM.DATA.SQLCLIENT")
            || rest.starts_with("MICROSOFT.DATA.SQLCLIENT")
            || rest == "SQL"
        {
            return Ok(Driver::SqlServer);
        }
        let short = name.split(',').next().unwrap_or(name).trim();
        return Err(SqlError::Unsupported(format!(
            "Execute SQL over ADO.NET provider \"{short}\" is not supported"
        )));
    }
    Err(SqlError::Unsupported(format!(
        "Execute SQL over a \"{creation}\" connection is not supported"
    )))
}

/// The configured task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteSqlTask {
    data: SqlTaskData,
}

impl ExecuteSqlTask {
    /// Parses the task data (no I/O).
    pub fn from_config(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, String> {
        let data = SqlTaskData::parse(od, o).map_err(|e| e.to_string())?;
        Ok(ExecuteSqlTask { data })
    }

    fn statement(&self, ctx: &TaskContext<'_>) -> Result<String, SqlError> {
        let source = &self.data.source;
        match self.data.source_type {
            SourceType::DirectInput => Ok(source.clone()),
            SourceType::Variable => {
                let v = ctx.variable(source.trim()).map_err(SqlError::Binding)?;
                Ok(v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_display_string()))
            }
            SourceType::FileConnection => {
                let conn = ctx.connection(source.trim()).map_err(SqlError::Binding)?;
                let path = conn.file_path();
                std::fs::read_to_string(Path::new(&path)).map_err(|e| {
                    SqlError::Binding(format!("cannot read the statement file {path}: {e}"))
                })
            }
        }
    }

    fn run(&self, ctx: &TaskContext<'_>) -> Result<(), SqlError> {
        let conn = ctx
            .connection(&self.data.connection)
            .map_err(SqlError::Binding)?;
        let driver = driver_for(&conn)?;
        let text = self.statement(ctx)?;
        let bindings = &self.data.parameters;
        let style = match driver {
            Driver::Odbc => MarkerStyle::Question,
            Driver::SqlServer => MarkerStyle::NumberedAt,
        };
        let order = positional_order(bindings);
        let mut next = 0;
        let batches = batches::split_batches(&text)
            .iter()
            .map(|b| bind_batch(b, bindings, &order, &mut next, style))
            .collect::<Result<Vec<_>, _>>()?;
        let params = bindings
            .iter()
            .map(|b| {
                // Outputs carry the variable's current value too: its type is the type the
                // SQL Server driver declares for them.
                let value = ctx
                    .variable(&b.variable)
                    .map_err(|e| SqlError::Binding(format!("parameter \"{}\": {e}", b.name)))?;
                Ok(Param {
                    direction: b.direction,
                    value,
                    size: usize::try_from(b.size).ok().filter(|&n| n > 0),
                })
            })
            .collect::<Result<Vec<_>, SqlError>>()?;
        let request = Request {
            connection_string: conn.connection_string.clone(),
            batches,
            params,
            want_rows: self.data.result_type != ResultType::None,
            timeout: self.data.timeout,
            cancel: ctx.cancel_token(),
        };
        let reply = match driver {
            Driver::Odbc => run_odbc(&request)?,
            Driver::SqlServer => sql_server::run(&request)?,
        };
        if let Some(n) = reply.rows_affected {
            ctx.set_execution_value(i32::try_from(n).map(Value::I4).unwrap_or(Value::I8(n)));
        }
        for (b, out) in bindings.iter().zip(reply.outputs) {
            if let Some(v) = out {
                ctx.set_variable(&b.variable, v).map_err(|e| {
                    SqlError::Binding(format!("parameter \"{}\" into {}: {e}", b.name, b.variable))
                })?;
            }
        }
        self.bind_results(ctx, reply.rows)
    }

    fn bind_results(&self, ctx: &TaskContext<'_>, rows: Option<ResultSet>) -> Result<(), SqlError> {
        match self.data.result_type {
            ResultType::None | ResultType::Xml => Ok(()),
            ResultType::Rowset => {
                let set = rows.unwrap_or_default();
                for r in &self.data.results {
                    ctx.set_object_variable(&r.variable, ObjectValue::ResultSet(set.clone()))
                        .map_err(SqlError::Binding)?;
                }
                Ok(())
            }
            ResultType::SingleRow => {
                let set = rows.unwrap_or_default();
                let Some(row) = set.rows.first() else {
                    return Err(SqlError::Binding(
                        "Single Row result set is specified, but no rows were returned".into(),
                    ));
                };
                for r in &self.data.results {
                    let name = r.name.trim();
                    let index = match name.parse::<usize>() {
                        Ok(n) => Some(n),
                        Err(_) => set
                            .columns
                            .iter()
                            .position(|c| c.eq_ignore_ascii_case(name)),
                    };
                    let Some(value) = index.and_then(|i| row.get(i)) else {
                        return Err(SqlError::Binding(format!(
                            "the result set has no column \"{name}\" (columns: {})",
                            set.columns.join(", ")
                        )));
                    };
                    ctx.set_variable(&r.variable, value.clone()).map_err(|e| {
                        SqlError::Binding(format!("result \"{name}\" into {}: {e}", r.variable))
                    })?;
                }
                Ok(())
            }
        }
    }
}

impl Task for ExecuteSqlTask {
    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        match self.run(ctx) {
            Ok(()) => TaskOutcome::Success,
            Err(SqlError::Cancelled) => TaskOutcome::Canceled,
            Err(e) => ctx.fail(&e.to_string()),
        }
    }

    fn references(&self) -> Vec<Reference> {
        let d = &self.data;
        let mut refs = vec![Reference::connection(
            "Connection",
            &d.connection,
            |kind, text| {
                match driver_of(kind, text) {
                    Ok(Driver::SqlServer) => sql_server::check(text),
                    Ok(Driver::Odbc) => Ok(()),
                    Err(e) => Err(e),
                }
                .map_err(|e| e.to_string())
            },
        )];
        match d.source_type {
            SourceType::DirectInput => {}
            SourceType::Variable => refs.push(Reference::variable("SqlStatementSource", &d.source)),
            SourceType::FileConnection => refs.push(Reference::connection(
                "SqlStatementSource",
                &d.source,
                file_kind,
            )),
        }
        for p in &d.parameters {
            refs.push(Reference::variable("ParameterBindings", &p.variable));
        }
        for r in &d.results {
            refs.push(Reference::variable("ResultSetBindings", &r.variable));
        }
        refs
    }
}

/// Runs the batches over ODBC.
#[cfg(feature = "odbc")]
fn run_odbc(request: &Request<'_>) -> Result<Reply, SqlError> {
    odbc::run(request)
}

/// This build has no ODBC support: say so, and how to get it.
#[cfg(not(feature = "odbc"))]
fn run_odbc(_: &Request<'_>) -> Result<Reply, SqlError> {
    Err(SqlError::Unsupported(
        "Execute SQL over ODBC is not compiled into this dtexec: install unixODBC (Debian: unixodbc-dev) and build with `cargo build --features odbc` (scripts/test does both)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::model::ConnectionManager;

    fn conn(creation: &str, cs: &str) -> ConnectionInfo {
        ConnectionInfo {
            name: "C".into(),
            dtsid: "{1}".into(),
            creation_name: creation.into(),
            connection_string: cs.into(),
            file_usage: None,
            manager: ConnectionManager::default(),
        }
    }

    #[test]
    fn drivers_by_connection_kind() {
        assert_eq!(
            driver_for(&conn("ODBC", "Driver={SQLite3}")),
            Ok(Driver::Odbc)
        );
        assert_eq!(
            driver_for(&conn("OLEDB", "Data Source=.;Provider=SQLNCLI11.1;")),
            Ok(Driver::SqlServer)
        );
        assert_eq!(
            driver_for(&conn("OLEDB", "Provider=MSOLEDBSQL;Server=x")),
            Ok(Driver::SqlServer)
        );
        assert_eq!(
            driver_for(&conn(
                "ADO.NET:System.Data.SqlClient.SqlConnection, System.Data, Version=4.0.0.0",
                "Data Source=x"
            )),
            Ok(Driver::SqlServer)
        );
        assert_eq!(
            driver_for(&conn(
                "OLEDB",
                "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=a.mdb"
            ))
            .unwrap_err()
            .to_string(),
            "Execute SQL over OLE DB provider \"Microsoft.Jet.OLEDB.4.0\" is not supported"
        );
        assert!(driver_for(&conn("ADO.NET:Oracle.DataAccess.Client, x", ""))
            .unwrap_err()
            .to_string()
            .contains("\"Oracle.DataAccess.Client\""));
        assert!(driver_for(&conn("EXCEL", "")).is_err());
    }
}
