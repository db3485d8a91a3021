//! Reference rows read from a database for a Lookup: the whole result of a query, batch by
//! batch (full cache), and the rows of a parameterised query run once per key (partial and no
//! cache), through the connection manager's driver — ODBC with the per-key statement prepared
//! once and executed with each key's values, SQL Server over TDS with `?` turned into
//! `@P1…`. Values arrive as the driver types them ([`RowBatch`], described by
//! [`ColumnInfo`]); fitting them to the Lookup's reference columns is the caller's. Blocking:
//! call it from the component's own threads. It must not read component properties or match
//! keys.

use odbc_api::handles::StatementConnection;
use odbc_api::Prepared;
use ssisd_engine::types::Value;
use ssisd_sql::odbc::{OdbcBatches, OdbcConnection, ReadOptions};
use ssisd_sql::type_map::CharTypes;
use ssisd_sql::{ColumnInfo, QueryError, RowBatch};

use super::connection::{Session, TdsSession};
use super::parameters::numbered_markers;

/// How reference rows are read.
#[derive(Debug, Clone, Copy)]
pub struct ReadSettings {
    /// Rows per batch of a full read.
    pub batch_rows: usize,
    /// How character columns are typed.
    pub chars: CharTypes,
}

/// A reference query that cannot be run or read.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceQueryError {
    /// The ODBC driver refused the statement (its diagnostics as ssisd-sql words them).
    #[error("{}", ssisd_sql::error::odbc_message(.0))]
    Odbc(#[from] odbc_api::Error),
    #[error("the query returns no result set; a Lookup needs a SELECT")]
    NoResultSet,
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A query failure as the caller's error type.
fn fail<E: From<ReferenceQueryError>>(e: impl Into<ReferenceQueryError>) -> E {
    E::from(e.into())
}

fn tds_params(values: &[Value]) -> Vec<ssisd_sql::tds::values::Param> {
    values
        .iter()
        .map(|v| ssisd_sql::tds::values::Param(ssisd_sql::tds::values::column_data(v)))
        .collect()
}

/// Runs `sql` on `session` and hands every batch of its first result set to `each`, with the
/// result's columns; the rows are never gathered here. `each`'s errors pass through; the
/// query's own become `E` by `From`.
pub fn read_all<E: From<ReferenceQueryError>>(
    session: &mut Session,
    sql: &str,
    settings: &ReadSettings,
    mut each: impl FnMut(&[ColumnInfo], RowBatch) -> Result<(), E>,
) -> Result<(), E> {
    match session {
        Session::Odbc(conn) => {
            let no_params: &[Box<dyn odbc_api::parameter::InputParameter>] = &[];
            let cursor = conn
                .execute(sql, no_params, None)
                .map_err(fail::<E>)?
                .ok_or_else(|| fail::<E>(ReferenceQueryError::NoResultSet))?;
            let mut batches = OdbcBatches::new(
                cursor,
                ReadOptions {
                    batch_rows: settings.batch_rows.max(1),
                    chars: settings.chars,
                    ..ReadOptions::default()
                },
            )
            .map_err(fail::<E>)?;
            let columns = batches.columns().clone();
            while let Some(batch) = batches.next_batch().map_err(fail::<E>)? {
                each(&columns, batch)?;
            }
            Ok(())
        }
        Session::Tds(s) => {
            let TdsSession { runtime, client } = s.as_mut();
            let sql = numbered_markers(sql);
            runtime.block_on(async {
                let stream = client
                    .query(sql.as_str(), &[])
                    .await
                    .map_err(|e| fail::<E>(QueryError::from(e)))?;
                let mut batches = ssisd_sql::tds::TdsBatches::new(
                    stream,
                    settings.chars,
                    settings.batch_rows.max(1),
                );
                let columns = batches.columns().await.map_err(fail::<E>)?;
                while let Some(batch) = batches.next_batch().await.map_err(fail::<E>)? {
                    each(&columns, batch)?;
                }
                Ok(())
            })
        }
    }
}

/// The first row of a per-key query, with the result's columns.
pub struct KeyRow {
    pub columns: Vec<ColumnInfo>,
    pub row: Option<Vec<Value>>,
}

enum Keyed {
    Odbc(Prepared<StatementConnection<OdbcConnection>>),
    Tds(Box<TdsSession>),
}

/// A parameterised query run once per key.
pub struct KeyQuery {
    keyed: Keyed,
    /// The statement as the driver gets it (`@P1…` for SQL Server).
    sql: String,
    settings: ReadSettings,
    /// Statements run.
    pub runs: u64,
}

fn first_row(batch: RowBatch) -> Option<Vec<Value>> {
    if batch.rows() == 0 {
        return None;
    }
    Some(
        batch
            .values
            .into_iter()
            .map(|mut c| c.swap_remove(0))
            .collect(),
    )
}

impl KeyQuery {
    /// Prepares `sql` (with `?` markers) on `session`.
    pub fn prepare(
        session: Session,
        sql: &str,
        settings: ReadSettings,
    ) -> Result<KeyQuery, ReferenceQueryError> {
        let (keyed, sql) = match session {
            Session::Odbc(conn) => {
                let prepared = conn.into_prepared(sql)?;
                (Keyed::Odbc(prepared), sql.to_string())
            }
            Session::Tds(s) => (Keyed::Tds(s), numbered_markers(sql)),
        };
        Ok(KeyQuery {
            keyed,
            sql,
            settings,
            runs: 0,
        })
    }

    /// Runs the query with `key` bound to its markers; the first row it returns, if any.
    pub fn run(&mut self, key: &[Value]) -> Result<KeyRow, ReferenceQueryError> {
        self.runs += 1;
        let settings = self.settings;
        match &mut self.keyed {
            Keyed::Odbc(prepared) => {
                let params: Vec<Box<dyn odbc_api::parameter::InputParameter>> =
                    key.iter().map(ssisd_sql::odbc::parameters::input).collect();
                let Some(cursor) = prepared.execute(params.as_slice())? else {
                    return Err(ReferenceQueryError::NoResultSet);
                };
                let mut batches = OdbcBatches::new(
                    cursor,
                    ReadOptions {
                        batch_rows: 1,
                        chars: settings.chars,
                        ..ReadOptions::default()
                    },
                )?;
                let columns = batches.columns().to_vec();
                let row = batches.next_batch()?.and_then(first_row);
                Ok(KeyRow { columns, row })
            }
            Keyed::Tds(s) => {
                let TdsSession { runtime, client } = s.as_mut();
                let params = tds_params(key);
                let refs: Vec<&dyn tiberius::ToSql> =
                    params.iter().map(|p| p as &dyn tiberius::ToSql).collect();
                let sql = self.sql.as_str();
                runtime.block_on(async {
                    let stream = client.query(sql, &refs).await.map_err(QueryError::from)?;
                    let mut batches = ssisd_sql::tds::TdsBatches::new(stream, settings.chars, 64);
                    let columns = batches.columns().await?.to_vec();
                    let mut row = None;
                    // The whole result is read so that the connection is free for the next key.
                    while let Some(batch) = batches.next_batch().await? {
                        if row.is_none() {
                            row = first_row(batch);
                        }
                    }
                    Ok(KeyRow { columns, row })
                })
            }
        }
    }
}
