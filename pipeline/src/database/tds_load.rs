//! Loading buffers into SQL Server over TDS (tiberius), on the connection's own current-thread
//! runtime driven from the component's threads. Fast load is TDS bulk load (`INSERT BULK`,
//! tiberius's `bulk_insert`): every row carries every insertable column of the table in the
//! table's order and exact type (identity, computed and rowversion columns are the server's;
//! columns no input maps get NULL, which the server replaces by their default). Other access
//! modes send parameterised multi-row `INSERT … VALUES (@P1, …), (…)` statements. A bulk batch
//! that outlasts the options' timeout is abandoned and reported as refused. Transactions
//! are T-SQL (`BEGIN TRANSACTION` / `COMMIT` / `ROLLBACK`); the destination decides when.
//!
//! What tiberius's bulk load does not let through: it writes `INSERT BULK table (columns)`
//! without a `WITH (…)` clause, so TABLOCK, CHECK_CONSTRAINTS, KEEP_NULLS, FIRE_TRIGGERS and
//! ROWS_PER_BATCH reach the server only as their absence (no table lock, constraints not checked
//! and left untrusted, defaults for NULLs — SSIS's KeepNulls false —, insert triggers not fired,
//! no batch-size hint), and identity
//! values cannot be kept (FastLoadKeepIdentity with a mapped identity column is refused). The
//! destination warns about each option it cannot honour. It must not decide dispositions.

use std::ops::Range;

use ssisd_engine::types::DataType;
use ssisd_sql::tds::values::{for_column, Param};
use ssisd_sql::type_map::CharTypes;
use ssisd_sql::QueryError;
use tiberius::{ColumnType, ToSql, TokenRow};

use super::connection::TdsSession;
use super::destination::{
    DriverError, FastLoadOptions, InColumn, Loader, LoaderSetupError, Rejection,
};
use super::names::Quoting;

/// Most parameters SQL Server takes in one statement.
const MAX_PARAMETERS: usize = 2100;

struct TargetColumn {
    name: String,
    ty: ColumnType,
    scale: u8,
    /// The input column that fills it.
    input: Option<usize>,
}

/// Loads rows into one SQL Server table.
pub struct TdsLoader {
    session: TdsSession,
    table: String,
    fast: bool,
    columns: Vec<InColumn>,
    /// Fast load: the table's insertable columns in order.
    bulk: Vec<TargetColumn>,
    /// Other modes: each input column's target type and scale.
    targets: Vec<(ColumnType, u8)>,
    insert_head: String,
    warnings: Vec<String>,
    /// Seconds one bulk batch may take (0: no limit).
    timeout_secs: u32,
}

fn rejection(e: impl Into<QueryError>) -> Rejection {
    Rejection {
        message: e.into().to_string(),
        state: None,
    }
}

fn scale_of(ty: &DataType) -> u8 {
    match ty {
        DataType::Numeric { scale, .. } | DataType::Decimal { scale } => *scale,
        DataType::Cy => 4,
        DataType::DbTime2 { scale }
        | DataType::DbTimestamp2 { scale }
        | DataType::DbTimestampOffset { scale } => *scale,
        _ => 7,
    }
}

impl TdsLoader {
    /// Reads the table's columns, checks the mapping and opens the first transaction.
    pub fn new(
        mut session: TdsSession,
        table: &str,
        columns: &[InColumn],
        fast: bool,
        options: FastLoadOptions,
    ) -> Result<TdsLoader, LoaderSetupError> {
        let runtime = &session.runtime;
        let client = &mut session.client;
        let probe = format!("SELECT TOP 0 * FROM {table}");
        let (names, types): (Vec<String>, Vec<ColumnType>) = runtime
            .block_on(async {
                let mut stream = client.query(probe.as_str(), &[]).await?;
                let cols = stream
                    .columns()
                    .await?
                    .map(|c| {
                        c.iter()
                            .map(|c| (c.name().to_string(), c.column_type()))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                stream.into_results().await?;
                Ok::<_, tiberius::error::Error>(cols.into_iter().unzip())
            })
            .map_err(|e| LoaderSetupError::Unreadable(DriverError::Query(QueryError::from(e))))?;
        let described = runtime
            .block_on(ssisd_sql::tds::describe(
                client,
                &format!("SELECT * FROM {table}"),
                CharTypes::OLE_DB,
            ))
            .map_err(LoaderSetupError::Describe)?;
        let insertable: Vec<String> = runtime
            .block_on(async {
                let rows = client
                    .query(
                        "SELECT c.name FROM sys.columns AS c WHERE c.object_id = OBJECT_ID(@P1) AND c.is_identity = 0 AND c.is_computed = 0 AND TYPE_NAME(c.system_type_id) <> 'timestamp' ORDER BY c.column_id",
                        &[&table],
                    )
                    .await?
                    .into_first_result()
                    .await?;
                Ok::<_, tiberius::error::Error>(
                    rows.iter()
                        .filter_map(|r| r.get::<&str, _>(0).map(str::to_string))
                        .collect(),
                )
            })
            .map_err(|e| LoaderSetupError::ListColumns(QueryError::from(e)))?;
        let scale = |name: &str| {
            described
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(name))
                .map(|d| scale_of(&d.data_type))
                .unwrap_or(7)
        };
        let mut targets = Vec::new();
        for c in columns {
            let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(&c.target)) else {
                return Err(LoaderSetupError::NoSuchColumn {
                    input: c.name.clone(),
                    target: c.target.clone(),
                    has: names.join(", "),
                });
            };
            let insertable_here = insertable.iter().any(|n| n.eq_ignore_ascii_case(&c.target));
            if fast && options.keep_identity && !insertable_here {
                return Err(LoaderSetupError::KeepIdentity {
                    input: c.name.clone(),
                    target: c.target.clone(),
                });
            }
            targets.push((types[i], scale(&names[i])));
        }
        let mut warnings = Vec::new();
        if fast {
            for (on, hint) in [
                (options.table_lock, "TABLOCK"),
                (options.check_constraints, "CHECK_CONSTRAINTS"),
                (options.keep_nulls, "KEEP_NULLS (FastLoadKeepNulls)"),
                (options.rows_per_batch.is_some(), "ROWS_PER_BATCH"),
                (options.fire_triggers, "FIRE_TRIGGERS"),
            ] {
                if on {
                    warnings.push(format!(
                        "the fast-load option {hint} is not passed to SQL Server: the TDS bulk load (tiberius) sends INSERT BULK without hints, so the load runs without it"
                    ));
                }
            }
        }
        let bulk = names
            .iter()
            .enumerate()
            .filter(|(_, n)| insertable.iter().any(|i| i.eq_ignore_ascii_case(n)))
            .map(|(i, n)| TargetColumn {
                name: n.clone(),
                ty: types[i],
                scale: scale(n),
                input: columns
                    .iter()
                    .position(|c| c.target.eq_ignore_ascii_case(n)),
            })
            .collect();
        let quoted: Vec<String> = columns
            .iter()
            .map(|c| Quoting::Brackets.quote(&c.target))
            .collect();
        runtime
            .block_on(async {
                client
                    .simple_query("BEGIN TRANSACTION")
                    .await?
                    .into_results()
                    .await
            })
            .map_err(|e| LoaderSetupError::Transaction(DriverError::Query(QueryError::from(e))))?;
        Ok(TdsLoader {
            insert_head: format!("INSERT INTO {table} ({}) VALUES ", quoted.join(", ")),
            session,
            table: table.to_string(),
            fast,
            columns: columns.to_vec(),
            bulk,
            targets,
            warnings,
            timeout_secs: options.timeout_secs,
        })
    }

    fn batch(&mut self, sql: &str) -> Result<(), Rejection> {
        let TdsSession { runtime, client } = &mut self.session;
        runtime
            .block_on(async { client.simple_query(sql).await?.into_results().await })
            .map(|_| ())
            .map_err(rejection)
    }
}

impl Loader for TdsLoader {
    fn send(
        &mut self,
        buffer: &crate::buffer::Buffer,
        rows: Range<usize>,
    ) -> Result<(), Rejection> {
        let bad = |e: String| Rejection {
            message: e,
            state: Some("22018".into()),
        };
        if self.fast {
            let rows_len = rows.len();
            let mut token_rows = Vec::with_capacity(rows.len());
            for r in rows {
                let mut row = TokenRow::with_capacity(self.bulk.len());
                for t in &self.bulk {
                    let v = match t.input {
                        Some(i) => buffer.value(self.columns[i].buffer_index, r),
                        None => ssisd_engine::types::Value::Null(DataType::Null),
                    };
                    row.push(
                        for_column(&v, t.ty, t.scale)
                            .map_err(|e| bad(format!("column \"{}\": {e}", t.name)))?,
                    );
                }
                token_rows.push(row);
            }
            let TdsSession { runtime, client } = &mut self.session;
            let table = self.table.clone();
            let load = async {
                let mut req = client.bulk_insert(&table).await?;
                for row in token_rows {
                    req.send(row).await?;
                }
                req.finalize().await
            };
            let limit = self.timeout_secs;
            return runtime.block_on(async {
                if limit == 0 {
                    return load.await.map(|_| ()).map_err(rejection);
                }
                match tokio::time::timeout(std::time::Duration::from_secs(limit.into()), load).await {
                    Ok(done) => done.map(|_| ()).map_err(rejection),
                    Err(_) => Err(Rejection {
                        message: format!(
                            "the bulk load of {} rows did not finish within the {limit} seconds of its Timeout",
                            rows_len
                        ),
                        state: Some("HYT00".into()),
                    }),
                }
            });
        }
        let per_row = self.columns.len().max(1);
        let rows_per_statement = (MAX_PARAMETERS / per_row).clamp(1, 1000);
        let all: Vec<usize> = rows.collect();
        for chunk in all.chunks(rows_per_statement) {
            let mut sql = self.insert_head.clone();
            let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * per_row);
            for (k, &r) in chunk.iter().enumerate() {
                if k > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for (ci, c) in self.columns.iter().enumerate() {
                    if ci > 0 {
                        sql.push_str(", ");
                    }
                    let (ty, scale) = self.targets[ci];
                    let v = buffer.value(c.buffer_index, r);
                    params.push(Param(
                        for_column(&v, ty, scale)
                            .map_err(|e| bad(format!("column \"{}\": {e}", c.target)))?,
                    ));
                    sql.push_str(&format!("@P{}", params.len()));
                }
                sql.push(')');
            }
            let refs: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
            let TdsSession { runtime, client } = &mut self.session;
            runtime
                .block_on(client.execute(sql.as_str(), &refs))
                .map_err(rejection)?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), Rejection> {
        self.batch("COMMIT TRANSACTION; BEGIN TRANSACTION")
    }

    fn rollback(&mut self) {
        let _ = self.batch("IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION; BEGIN TRANSACTION");
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}
