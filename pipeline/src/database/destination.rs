//! The database destination behind the OLE DB, ODBC and ADO.NET Destination components: loads
//! its input rows into a table or view (named in a property or a variable) through the
//! connection manager's driver — ODBC with array-bound parameterised INSERTs
//! (`odbc_insert.rs`), SQL Server with TDS bulk load for fast load and parameterised INSERTs
//! otherwise (`tds_load.rs`).
//!
//! Transactions, and what a failure half-way leaves behind ([`Commit`]):
//! - `AtEnd`: one transaction for the whole load, committed after the data flow succeeded
//!   (OLE DB fast load with FastLoadMaxInsertCommitSize 0); a failure or cancel rolls it
//!   back: the table is left as it was.
//! - `Every(n)`: a commit after every `n` rows and, for OLE DB fast load, at the end of every
//!   buffer (SSIS commits the smaller of the two); a failure rolls back the rows since the last
//!   commit: the table keeps the committed ones.
//! - `PerBatch`: every executed batch commits (ODBC Destination with TransactionSize 0, ADO.NET
//!   Destination, row-by-row OLE DB access modes).
//!
//! Rows the database rejects follow the input's error disposition: Fail Component stops the
//! data flow naming the rows, the table, the connection manager and the server; Redirect Row
//! (and Ignore Failure) make every batch commit on its own, and a batch the database refuses
//! is rolled back and replayed row by row, so exactly the rejected rows go to the error output
//! (ErrorCode from the SQLSTATE class: 0xC020907D integrity, 0xC0209078 truncation,
//! 0xC020907A overflow, 0xC0209077 conversion, 0xC020907C permission, else 0xC020907B) and
//! the others are loaded. The row-by-row access modes replay the same way, so rows before a
//! failing row are committed, as SSIS's row-by-row inserts leave them. The components'
//! directories read their own properties into a [`DestinationConfig`]; this file must not
//! know property names.

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;

use super::connection::{connect_error, open, Session, Target};
use super::names::{ObjectName, Quoting};
use super::odbc_insert::OdbcLoader;
use super::tds_load::TdsLoader;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RowError, RunContext};
use crate::error::{PipelineError, Problems};

/// The table a destination loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableRef {
    Name(String),
    /// A variable holding the name.
    Variable(String),
}

/// How rows are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One row per statement (OLE DB table access modes, ODBC InsertMethod 0): sent in arrays,
    /// replayed row by row when the database refuses one.
    RowByRow,
    /// Arrays of parameter rows per statement.
    Batch,
    /// OLE DB fast load: TDS bulk load on SQL Server, arrays over ODBC.
    FastLoad,
}

/// When rows are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    AtEnd,
    Every(u64),
    PerBatch,
}

/// Fast-load options (`FastLoadOptions`, `FastLoadKeepIdentity`, `FastLoadKeepNulls`; the SQL
/// Server Destination's `BulkInsert*` properties and `Timeout`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FastLoadOptions {
    pub keep_identity: bool,
    pub keep_nulls: bool,
    pub table_lock: bool,
    pub check_constraints: bool,
    pub fire_triggers: bool,
    pub rows_per_batch: Option<u64>,
    /// Seconds one bulk batch may take (0: no limit).
    pub timeout_secs: u32,
}

impl FastLoadOptions {
    /// Reads `TABLOCK,CHECK_CONSTRAINTS,ROWS_PER_BATCH = 1000,…` (unknown hints are kept out).
    pub fn parse(text: &str, keep_identity: bool, keep_nulls: bool) -> FastLoadOptions {
        let mut o = FastLoadOptions {
            keep_identity,
            keep_nulls,
            ..FastLoadOptions::default()
        };
        for item in text.split(',') {
            let item = item.trim();
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item, None),
            };
            match key.to_ascii_uppercase().as_str() {
                "TABLOCK" => o.table_lock = true,
                "CHECK_CONSTRAINTS" => o.check_constraints = true,
                "FIRE_TRIGGERS" => o.fire_triggers = true,
                "ROWS_PER_BATCH" => o.rows_per_batch = value.and_then(|v| v.parse().ok()),
                _ => {}
            }
        }
        o
    }
}

/// A destination's configuration, read from its component's properties.
#[derive(Debug, Clone)]
pub struct DestinationConfig {
    pub kind: &'static str,
    pub slot: &'static str,
    pub table: TableRef,
    pub mode: Mode,
    /// Rows per executed statement (0: the whole buffer).
    pub batch_rows: usize,
    pub commit: Commit,
    /// Also commit at the end of every buffer (OLE DB fast load with a commit size).
    pub commit_each_buffer: bool,
    /// Only a SQL Server connection will do (the SQL Server Destination's bulk load).
    pub sql_server_only: bool,
    pub fast: FastLoadOptions,
}

/// One input column and the table column it fills.
#[derive(Debug, Clone)]
pub struct InColumn {
    pub buffer_index: usize,
    pub ty: DataType,
    /// The table column (the external column's name).
    pub target: String,
    /// The input column's name, for messages.
    pub name: String,
}

/// A batch the database refused.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub message: String,
    /// The SQLSTATE (ODBC) when known.
    pub state: Option<String>,
}

impl Rejection {
    /// The ErrorCode of a row the database refused.
    pub fn status(&self) -> u32 {
        use codes::db_status as s;
        match self.state.as_deref().unwrap_or("") {
            st if st.starts_with("23") => s::DEST_INTEGRITY,
            "22001" => s::DEST_TRUNCATED,
            "22003" => s::DEST_OVERFLOW,
            st if st.starts_with("22") => s::DEST_CANT_CONVERT,
            st if st.starts_with("42501") || st.starts_with("28") => s::DEST_PERMISSION,
            _ if self.message.contains("SQL Server error 2627")
                || self.message.contains("SQL Server error 2601")
                || self.message.contains("SQL Server error 547")
                || self.message.contains("SQL Server error 515") =>
            {
                s::DEST_INTEGRITY
            }
            _ => s::DEST_NO_STATUS,
        }
    }
}

/// A driver's failure: the ODBC diagnostics as ssisd-sql words them, or a query error.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{}", ssisd_sql::error::odbc_message(.0))]
    Odbc(#[from] odbc_api::Error),
    #[error(transparent)]
    Query(#[from] ssisd_sql::QueryError),
}

/// Why a loader cannot start on its table.
#[derive(Debug, thiserror::Error)]
pub enum LoaderSetupError {
    #[error("the table cannot be read (does it exist, and may this login insert into it?): {0}")]
    Unreadable(#[source] DriverError),
    #[error("the table returns no columns")]
    NoColumns,
    #[error("cannot describe the table's columns: {0}")]
    Describe(#[source] ssisd_sql::QueryError),
    #[error("cannot list the table's columns: {0}")]
    ListColumns(#[source] ssisd_sql::QueryError),
    /// A mapped column the table lacks; `has` lists the table's columns.
    #[error("the input column \"{input}\" is mapped to the column \"{target}\", which the table does not have (it has {has}); refresh the component's external columns")]
    NoSuchColumn {
        input: String,
        target: String,
        has: String,
    },
    /// An input whose values the target column's type cannot take.
    #[error("the input column \"{input}\" ({input_type}) cannot be loaded into the column \"{target}\" ({source_type}, {target_type}); convert it first (Data Conversion)")]
    Incompatible {
        input: String,
        input_type: DataType,
        target: String,
        source_type: String,
        target_type: DataType,
    },
    /// FastLoadKeepIdentity with an identity column mapped (TDS bulk load).
    #[error("FastLoadKeepIdentity is set and the input column \"{input}\" is mapped to the identity column \"{target}\": the TDS bulk load of this build (tiberius) leaves identity columns to the server and cannot keep their values; clear FastLoadKeepIdentity or use the table access mode with SET IDENTITY_INSERT")]
    KeepIdentity { input: String, target: String },
    #[error("cannot start a transaction: {0}")]
    Transaction(#[source] DriverError),
}

/// What a loader does for the destination.
pub trait Loader: Send {
    /// Sends rows `rows` of `buffer` in one statement (or bulk batch).
    fn send(&mut self, buffer: &Buffer, rows: std::ops::Range<usize>) -> Result<(), Rejection>;
    fn commit(&mut self) -> Result<(), Rejection>;
    fn rollback(&mut self);
    /// Options the loader cannot honour, for the component to warn about.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

struct DatabaseDestination {
    config: DestinationConfig,
    name: String,
    task_path: String,
    disposition: RowDisposition,
    columns: Vec<InColumn>,
    target: Option<Target>,
    object: String,
    loader: Option<Box<dyn Loader>>,
    rows: u64,
    committed: u64,
    since_commit: u64,
    rejected: u64,
}

/// Builds a destination from its spec and configuration (no I/O).
pub fn create(
    spec: &ComponentSpec<'_>,
    mut config: DestinationConfig,
) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let layout = &spec.input_layouts[0];
    let mut columns = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let external = input.external_of(col);
        let Some(external) = external else {
            // SSIS leaves input columns without an external column unmapped (not loaded).
            continue;
        };
        columns.push(InColumn {
            buffer_index: idx,
            ty: layout.columns[idx].data_type,
            target: external.name.clone(),
            name: layout.columns[idx].name.clone(),
        });
    }
    let mut problems = Problems::default();
    if columns.is_empty() {
        problems.push(spec.error(
            "none of its input columns is mapped to a column of the table (each input column needs an external column); map the columns",
        ));
    }
    if c.connections.is_empty() {
        problems.push(spec.error(format!(
            "it has no connection manager; assign one to its {} slot",
            config.slot
        )));
    }
    match &config.table {
        TableRef::Name(t) if t.trim().is_empty() => {
            problems.push(spec.error("it names no table or view to load"))
        }
        TableRef::Variable(v) if v.trim().is_empty() => problems.push(spec.error(
            "its access mode reads the table name from a variable, but it names no variable",
        )),
        _ => {}
    }
    problems.into_result()?;
    let disposition = input.dispositions.error;
    if disposition != RowDisposition::FailComponent && disposition != RowDisposition::NotUsed
        || config.mode == Mode::RowByRow
    {
        // Rows are replayed one by one when a batch fails: each batch must commit alone.
        config.commit = Commit::PerBatch;
        config.commit_each_buffer = false;
    }
    Ok(Box::new(DatabaseDestination {
        config,
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        disposition,
        columns,
        target: None,
        object: String::new(),
        loader: None,
        rows: 0,
        committed: 0,
        since_commit: 0,
        rejected: 0,
    }))
}

impl DatabaseDestination {
    fn where_(&self) -> String {
        format!(
            "{} through {}",
            self.object,
            self.target
                .as_ref()
                .map(Target::describe)
                .unwrap_or_default()
        )
    }

    fn left_behind(&self) -> String {
        match self.config.commit {
            Commit::AtEnd => "The load runs in one transaction, which is rolled back: the table is left as it was".to_string(),
            _ if self.committed == 0 => "No rows of this load were committed".to_string(),
            _ => format!(
                "The {} rows committed before stay in the table; the rows since the last commit are rolled back",
                self.committed
            ),
        }
    }

    fn load_error(&self, first: u64, last: u64, r: &Rejection) -> PipelineError {
        let rows = if first == last {
            format!("row {first}")
        } else {
            format!("rows {first} to {last}")
        };
        PipelineError::new(
            codes::DATABASE_ERROR,
            self.name.clone(),
            format!(
                "{}: component \"{}\" failed to insert {rows} of its input into {}: {} ({}). {}. To send rejected rows to the error output instead, set the input's error disposition to Redirect Row",
                self.task_path,
                self.name,
                self.where_(),
                r.message,
                codes::hex(codes::DATABASE_ERROR),
                self.left_behind()
            ),
        )
    }

    fn commit(&mut self) -> Result<(), PipelineError> {
        if self.since_commit == 0 {
            return Ok(());
        }
        let loader = self.loader.as_mut().expect("prepared");
        if let Err(r) = loader.commit() {
            return Err(PipelineError::new(
                codes::DATABASE_ERROR,
                self.name.clone(),
                format!(
                    "{}: component \"{}\" could not commit its rows in {}: {}. {}",
                    self.task_path,
                    self.name,
                    self.where_(),
                    r.message,
                    self.left_behind()
                ),
            ));
        }
        self.committed += self.since_commit;
        self.since_commit = 0;
        Ok(())
    }

    /// Replays rows one by one after a refused batch; returns the rejected rows.
    fn replay(
        &mut self,
        buffer: &Buffer,
        rows: std::ops::Range<usize>,
        before: u64,
        errors: &mut Vec<RowError>,
    ) -> Result<(), PipelineError> {
        for r in rows {
            let outcome = self
                .loader
                .as_mut()
                .expect("prepared")
                .send(buffer, r..r + 1);
            match outcome {
                Ok(()) => {
                    self.rows += 1;
                    self.since_commit += 1;
                    self.commit()?;
                }
                Err(rejection) => {
                    self.loader.as_mut().expect("prepared").rollback();
                    match self.disposition {
                        RowDisposition::RedirectRow => {
                            self.rejected += 1;
                            errors.push(RowError {
                                row: r,
                                code: rejection.status(),
                                column: 0,
                            })
                        }
                        RowDisposition::IgnoreFailure => self.rejected += 1,
                        _ => {
                            let n = before + r as u64 + 1;
                            return Err(self.load_error(n, n, &rejection));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Component for DatabaseDestination {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let target = Target::resolve(ctx, self.config.slot)?;
        let text = match &self.config.table {
            TableRef::Name(t) => t.clone(),
            TableRef::Variable(v) => {
                let value = ctx.host.variable(v).map_err(|e| {
                    ctx.error(
                        codes::VARIABLE_INVALID,
                        format!("the variable \"{v}\" that names its table cannot be read: {e}"),
                    )
                })?;
                value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_display_string())
            }
        };
        let name = ObjectName::parse(&text)
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))?;
        let quoting = if target.is_tds() {
            Quoting::Brackets
        } else {
            Quoting::Ansi
        };
        let table = name.render(quoting);
        self.object = format!("the table {table}");
        if self.config.mode == Mode::FastLoad
            && self.config.commit == Commit::AtEnd
            && self.disposition == RowDisposition::FailComponent
        {
            ctx.information(
                codes::ZERO_MAX_COMMIT_SIZE,
                format!(
                    "\"{}\": the maximum insert commit size is 0, so the whole load is committed once, at the end.",
                    self.name
                ),
            );
        }
        if self.config.sql_server_only && !target.is_tds() {
            return Err(ctx.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!(
                    "the {} bulk-loads into SQL Server only, and its {} runs through ODBC; point the connection manager at SQL Server (Provider=MSOLEDBSQL or SQLNCLI11) or load other databases with an OLE DB or ODBC Destination",
                    self.config.kind,
                    target.describe()
                ),
            ));
        }
        let session = open(&target).map_err(|e| connect_error(ctx, &target, &e))?;
        self.target = Some(target);
        let loader: Box<dyn Loader> = match session {
            Session::Odbc(conn) => {
                Box::new(OdbcLoader::new(conn, &table, &self.columns).map_err(|e| {
                    ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!("{}: {e}", self.where_()),
                    )
                })?)
            }
            Session::Tds(s) => Box::new(
                TdsLoader::new(
                    *s,
                    &table,
                    &self.columns,
                    self.config.mode == Mode::FastLoad,
                    self.config.fast,
                )
                .map_err(|e| {
                    ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!("{}: {e}", self.where_()),
                    )
                })?,
            ),
        };
        for w in loader.warnings() {
            ctx.warning(
                codes::EXTERNAL_METADATA_OUT_OF_SYNC,
                format!("\"{}\": {w}", self.name),
            );
        }
        self.loader = Some(loader);
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let mut errors = Vec::new();
        let mut cap = if self.config.batch_rows == 0 {
            n
        } else {
            self.config.batch_rows
        };
        if let Commit::Every(k) = self.config.commit {
            cap = cap.min(usize::try_from(k).unwrap_or(usize::MAX));
        }
        let cap = cap.max(1);
        let mut start = 0;
        while start < n {
            if ctx.stopping() {
                return Err(PipelineError::new(
                    codes::THREAD_CANCELLED,
                    self.name.clone(),
                    "stopped",
                ));
            }
            let end = (start + cap).min(n);
            let outcome = self
                .loader
                .as_mut()
                .expect("prepared")
                .send(buffer, start..end);
            match outcome {
                Ok(()) => {
                    let k = (end - start) as u64;
                    self.rows += k;
                    self.since_commit += k;
                    match self.config.commit {
                        Commit::PerBatch => self.commit()?,
                        Commit::Every(limit) if self.since_commit >= limit => self.commit()?,
                        _ => {}
                    }
                }
                Err(rejection) => {
                    let replays = self.config.mode == Mode::RowByRow
                        || matches!(
                            self.disposition,
                            RowDisposition::RedirectRow | RowDisposition::IgnoreFailure
                        );
                    if !replays {
                        return Err(self.load_error(
                            ctx.rows_before + start as u64 + 1,
                            ctx.rows_before + end as u64,
                            &rejection,
                        ));
                    }
                    self.loader.as_mut().expect("prepared").rollback();
                    self.replay(buffer, start..end, ctx.rows_before, &mut errors)?;
                }
            }
            start = end;
        }
        if self.config.commit_each_buffer {
            self.commit()?;
        }
        Ok(Routing {
            per_row: None,
            errors,
        })
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        self.commit()?;
        self.loader = None;
        let mut text = format!("\"{}\" wrote {} rows.", self.name, self.rows);
        if self.rejected > 0 {
            text.push_str(&format!(
                " {} rows were rejected by the database.",
                self.rejected
            ));
        }
        ctx.information(codes::ROWS_WRITTEN, text);
        Ok(())
    }

    fn abort(&mut self) {
        if let Some(mut l) = self.loader.take() {
            l.rollback();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_load_options_read_as_ssis_writes_them() {
        let o = FastLoadOptions::parse(
            "TABLOCK,CHECK_CONSTRAINTS,ROWS_PER_BATCH = 5000",
            true,
            false,
        );
        assert!(o.table_lock && o.check_constraints && o.keep_identity && !o.keep_nulls);
        assert_eq!(o.rows_per_batch, Some(5000));
        assert_eq!(
            FastLoadOptions::parse("", false, false),
            FastLoadOptions::default()
        );
    }

    #[test]
    fn rejections_are_classified_by_sqlstate() {
        let r = |s: &str| Rejection {
            message: String::new(),
            state: Some(s.into()),
        };
        assert_eq!(r("23505").status(), codes::db_status::DEST_INTEGRITY);
        assert_eq!(r("22001").status(), codes::db_status::DEST_TRUNCATED);
        assert_eq!(r("22003").status(), codes::db_status::DEST_OVERFLOW);
        assert_eq!(r("22P02").status(), codes::db_status::DEST_CANT_CONVERT);
        assert_eq!(r("HY000").status(), codes::db_status::DEST_NO_STATUS);
    }
}
