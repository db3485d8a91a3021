//! The Execute SQL task: takes its statement from direct input, a variable or a FILE
//! connection, splits it at `GO` lines, binds parameters (input, output, return value; by
//! position or by name; on SQL Server outputs and return values through local variables the
//! batch declares and selects) and runs it on the task's connection manager, routed by
//! ssisd-sql: SQL Server's OLE DB providers and SqlClient through the native TDS client (named
//! instances through the SQL Server Browser), MSDASQL, ODBC managers and System.Data.Odbc
//! through the ODBC driver manager; other providers are refused by name with the override
//! that works. The first result set fills the
//! single-row bindings or, whole, an Object variable (the shape the Foreach ADO enumerator
//! walks); the rows the statements affected are the task's execution value. This file owns
//! the task's flow; the payload, binding, batches and the two drivers live beside it.

mod batches;
mod binding;
mod error;
mod odbc;
mod payload;
mod sql_server;

use std::path::Path;

use super::references::{database_kind, file_kind, Reference};
use super::{Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::cancel::CancelToken;
use crate::object_value::{ObjectValue, ResultSet};
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;
use ssisd_sql::{route, Route};

use binding::{bind_batch, positional_order, BoundBatch, MarkerStyle};
pub use error::SqlError;
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
    /// The connection manager's name, for messages.
    pub connection: String,
    /// Where it leads (`ODBC driver "…", server …` / `SQL Server "…", database "…"`), for
    /// messages; never a password.
    pub target: String,
    pub batches: Vec<BoundBatch>,
    /// One per parameter binding, in the binding order.
    pub params: Vec<Param>,
    pub want_rows: bool,
    /// Seconds; 0 for no limit.
    pub timeout: u32,
    pub cancel: &'a CancelToken,
}

impl Request<'_> {
    /// The statement `query` failed with `message`.
    pub fn query_error(&self, query: &str, message: impl Into<String>) -> SqlError {
        SqlError::Query {
            query: query.chars().take(200).collect(),
            message: message.into(),
            connection: self.connection.clone(),
            target: self.target.clone(),
        }
    }

    /// The connection could not be opened.
    pub fn connect_error(&self, message: impl Into<String>) -> SqlError {
        SqlError::Connect {
            connection: self.connection.clone(),
            message: message.into(),
        }
    }
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

/// The configured task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteSqlTask {
    data: SqlTaskData,
}

impl ExecuteSqlTask {
    /// Parses the task data (no I/O).
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        let data = SqlTaskData::parse(od, o)?;
        Ok(ExecuteSqlTask { data })
    }

    fn statement(&self, ctx: &TaskContext<'_>) -> Result<String, SqlError> {
        let source = &self.data.source;
        match self.data.source_type {
            SourceType::DirectInput => Ok(source.clone()),
            SourceType::Variable => {
                let v = ctx.variable(source.trim())?;
                Ok(v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_display_string()))
            }
            SourceType::FileConnection => {
                let conn = ctx.connection(source.trim())?;
                let path = conn.file_path();
                std::fs::read_to_string(Path::new(&path)).map_err(|e| {
                    SqlError::Binding(format!("cannot read the statement file {path}: {e}"))
                })
            }
        }
    }

    fn run(&self, ctx: &TaskContext<'_>) -> Result<(), SqlError> {
        let conn = ctx.connection(&self.data.connection)?;
        let target = route(&conn.name, &conn.creation_name, &conn.connection_string)
            .map_err(|e| SqlError::Unsupported(e.to_string()))?;
        let text = self.statement(ctx)?;
        let bindings = &self.data.parameters;
        let style = match target {
            Route::Odbc(_) => MarkerStyle::Question,
            Route::Tds(_) => MarkerStyle::NumberedAt,
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
            connection: conn.name.clone(),
            target: target.describe(),
            batches,
            params,
            want_rows: self.data.result_type != ResultType::None,
            timeout: self.data.timeout,
            cancel: ctx.cancel_token(),
        };
        let reply = match &target {
            Route::Odbc(t) => odbc::run(t, &request)?,
            Route::Tds(settings) => sql_server::run(settings, &request)?,
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
                    ctx.set_object_variable(&r.variable, ObjectValue::ResultSet(set.clone()))?;
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
            database_kind,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_what_cannot_run() {
        assert_eq!(
            database_kind(
                "OLEDB",
                "Data Source=db1\\SALES;User ID=u;Password=p;Provider=SQLNCLI11.1;"
            ),
            Ok(()),
            "named instances are fine"
        );
        assert_eq!(
            database_kind(
                "OLEDB",
                "Data Source=db1,1500;User ID=u;Password=\"a;b\"\"c\";Provider=SQLNCLI11.1;"
            ),
            Ok(()),
            "quoted values keep their ;"
        );
        let e = database_kind(
            "OLEDB",
            "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=a.mdb",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("the OLE DB provider \"Microsoft.Jet.OLEDB.4.0\""),
            "{e}"
        );
        assert!(e.contains("dtexec /Conn \"NAME;Driver={"), "{e}");
        let e = database_kind(
            "OLEDB",
            "Data Source=h;Integrated Security=SSPI;Provider=SQLNCLI11",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("Windows authentication"), "{e}");
        let e = database_kind("ODBC", "Driver={Surely Not Installed};Server=h")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not installed"), "{e}");
        let e = database_kind("EXCEL", "").unwrap_err().to_string();
        assert!(e.contains("\"EXCEL\""), "{e}");
    }
}
