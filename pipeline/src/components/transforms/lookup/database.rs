//! A Lookup whose reference rows come from a database through its connection manager
//! (ConnectionType 0: OLE DB, and the ADO.NET and ODBC managers a package is pointed at): in
//! full cache mode the `SqlCommand` is read once, its needed columns converted to the
//! reference columns' types and indexed into the same [`CachedReference`] a Cache connection
//! manager gives, so the matching is the full-cache one; in partial and no cache modes the
//! `SqlCommandParam` runs once per key not cached, its `?` markers bound to the input columns
//! `ParameterMap` names (the join columns in order when it is empty), and the database does the
//! comparing; partial cache keeps the answers in a [`PartialCache`]. The designer's generated
//! `SqlCommandParam` (`select * from (…) [refTable] where [refTable].[c] = ?`) is re-quoted for
//! ODBC targets; a hand-written one runs as written. The reference columns' types are the
//! ones `ReferenceMetadataXml` declares, else those of the columns they feed. It must not
//! route rows.

use std::sync::Arc;

use arrow_array::builder::UInt32Builder;
use arrow_array::{ArrayRef, UInt32Array};
use arrow_row::{RowConverter, SortField};
use arrow_schema::ArrowError;
use hashbrown::HashMap;
use ssisd_engine::types::{convert, ConversionError, DataType, Value};
use ssisd_sql::ColumnInfo;

use super::partial_cache::{Cached, PartialCache, Usage};
use crate::buffer::types::arrow_type;
use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::cache::CachedReference;
use crate::database::connection::Session;
use crate::database::names::Quoting;
use crate::database::reference::{read_all, KeyQuery, ReadSettings, ReferenceQueryError};
use crate::memory::{MemoryBudget, Reservation};
use crate::raw_file::RawColumn;
use crate::reference::table::{reserve, MemoryRefused};
use crate::reference::{GatherError, KeyIndex, KeyIndexError, TableBuilder};

/// A database value that does not fit its reference column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Convert(#[from] ConversionError),
    /// A string or byte value longer than the column's length (held).
    #[error("the value is longer than the column's {0}")]
    TooLong(usize),
}

/// Why a Lookup's reference rows cannot be read from the database or held.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceRowsError {
    #[error(transparent)]
    Query(#[from] ReferenceQueryError),
    /// A needed column the result lacks; `have` lists the result's columns (or `none`).
    #[error("the reference column \"{column}\" is not among the columns {object} returns ({have}); fix the query or the Lookup's columns")]
    MissingColumn {
        column: String,
        object: &'static str,
        have: String,
    },
    /// A value of a full read that does not fit (row counted from 1).
    #[error("the reference column \"{column}\" of row {row} cannot be {ty}: {source}")]
    FitRow {
        column: String,
        row: usize,
        ty: DataType,
        source: FitError,
    },
    /// A value of a per-key answer that does not fit.
    #[error("the reference column \"{column}\" cannot be {ty}: {source}")]
    Fit {
        column: String,
        ty: DataType,
        source: FitError,
    },
    #[error(transparent)]
    Index(#[from] KeyIndexError),
    /// The data flow's memory budget cannot hold the rows, their index or the partial cache.
    #[error(transparent)]
    Memory(#[from] MemoryRefused),
    #[error(transparent)]
    Gather(#[from] GatherError),
    /// Arrow's row converter refused the key columns.
    #[error(transparent)]
    Keys(#[from] ArrowError),
}

/// CacheType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    Full,
    Partial,
    None,
}

/// A reference column the Lookup reads, with the type its values are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    pub name: String,
    pub data_type: DataType,
}

/// A value from the database as a reference column's type.
pub fn fit(v: Value, ty: &DataType) -> Result<Value, FitError> {
    if matches!(v, Value::Null(_) | Value::Empty) {
        return Ok(Value::Null(*ty));
    }
    let v = if v.data_type() == *ty
        || std::mem::discriminant(&v.data_type()) == std::mem::discriminant(ty)
    {
        v
    } else {
        convert(&v, ty)?
    };
    let limit = ty.string_len() as usize;
    if limit > 0 {
        let long = match &v {
            Value::Str(s) | Value::WStr(s) => s.chars().nth(limit).is_some(),
            Value::Bytes(b) => b.len() > limit,
            _ => false,
        };
        if long {
            return Err(FitError::TooLong(limit));
        }
    }
    Ok(v)
}

/// Where each needed column is in a result, by name (exact spelling first, then ignoring case).
fn positions(
    needed: &[Needed],
    result: &[ColumnInfo],
    object: &'static str,
) -> Result<Vec<usize>, ReferenceRowsError> {
    needed
        .iter()
        .map(|n| {
            result
                .iter()
                .position(|r| r.name == n.name)
                .or_else(|| {
                    result
                        .iter()
                        .position(|r| r.name.eq_ignore_ascii_case(&n.name))
                })
                .ok_or_else(|| {
                    let have: Vec<&str> = result.iter().map(|r| r.name.as_str()).collect();
                    ReferenceRowsError::MissingColumn {
                        column: n.name.clone(),
                        object,
                        have: if have.is_empty() {
                            "none".to_string()
                        } else {
                            have.join(", ")
                        },
                    }
                })
        })
        .collect()
}

/// Warnings for result columns the database types otherwise than the package declares.
fn type_warnings(needed: &[Needed], result: &[ColumnInfo], at: &[usize]) -> Vec<String> {
    needed
        .iter()
        .zip(at)
        .filter(|(n, &i)| {
            std::mem::discriminant(&result[i].data_type) != std::mem::discriminant(&n.data_type)
        })
        .map(|(n, &i)| {
            format!(
                "the database describes the reference column \"{}\" as {} ({}), the Lookup's reference metadata as {}; its values are converted",
                n.name, result[i].source_type, result[i].data_type, n.data_type
            )
        })
        .collect()
}

/// A full cache read from the database.
pub struct LoadedFull {
    pub cache: CachedReference,
    pub reserved: Vec<Reservation>,
    pub duplicates: u64,
    pub warnings: Vec<String>,
}

/// Reads the whole reference query into an indexed table of the `needed` columns; the first
/// `keys` of them are the index (in join order).
pub fn load_full(
    session: &mut Session,
    sql: &str,
    settings: &ReadSettings,
    needed: &[Needed],
    keys: usize,
    budget: &Arc<MemoryBudget>,
) -> Result<LoadedFull, ReferenceRowsError> {
    let types: Vec<DataType> = needed[..keys].iter().map(|n| n.data_type).collect();
    let mut index = KeyIndex::new(&types)?;
    let mut builder = TableBuilder::new(
        needed
            .iter()
            .map(|n| RawColumn::new(&n.name, n.data_type))
            .collect(),
    );
    let mut at: Option<Vec<usize>> = None;
    let mut warnings = Vec::new();
    let mut duplicates = 0u64;
    let object = "the reference query";
    read_all(session, sql, settings, |columns, batch| {
        let at = match &at {
            Some(a) => a.clone(),
            None => {
                let found = positions(needed, columns, object)?;
                warnings = type_warnings(needed, columns, &found);
                at = Some(found.clone());
                found
            }
        };
        let n = batch.rows();
        let first = builder.rows();
        let mut values = batch.values;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(needed.len());
        for (c, &i) in needed.iter().zip(&at) {
            let mut b = ColumnBuilder::new(&c.data_type, n);
            for (r, v) in std::mem::take(&mut values[i]).into_iter().enumerate() {
                let v = fit(v, &c.data_type).map_err(|source| ReferenceRowsError::FitRow {
                    column: c.name.clone(),
                    row: first + r + 1,
                    ty: c.data_type,
                    source,
                })?;
                b.append_value(&v);
            }
            arrays.push(b.finish());
        }
        let fresh = index.insert(&arrays[..keys], first)?;
        duplicates += fresh.iter().filter(|f| !**f).count() as u64;
        Ok::<(), ReferenceRowsError>(builder.push(arrays, budget)?)
    })?;
    let (table, mut reserved) = builder.finish()?;
    reserved.push(reserve(budget, index.memory_size(), table.memory_size())?);
    Ok(LoadedFull {
        cache: CachedReference {
            table: Arc::new(table),
            index: Arc::new(index),
            key_columns: (0..keys).collect(),
        },
        reserved,
        duplicates,
        warnings,
    })
}

/// The statement a partial or no cache Lookup runs per key: `given` (its SqlCommandParam) as
/// written, except the designer's generated form, which is re-quoted for `quoting`; built
/// from `sql` and the `columns` when `given` is empty.
pub fn per_key_statement(given: &str, sql: &str, columns: &[String], quoting: Quoting) -> String {
    if given.trim().is_empty() {
        return generated(sql.trim(), columns, quoting);
    }
    match parse_generated(given) {
        Some((inner, cols)) if quoting == Quoting::Ansi => generated(&inner, &cols, quoting),
        _ => given.to_string(),
    }
}

fn generated(inner: &str, columns: &[String], quoting: Quoting) -> String {
    let table = quoting.quote("refTable");
    let conditions: Vec<String> = columns
        .iter()
        .map(|c| format!("{table}.{} = ?", quoting.quote(c)))
        .collect();
    format!(
        "select * from ({inner}) {table} where {}",
        conditions.join(" and ")
    )
}

/// The inner query and the compared columns of a generated `SqlCommandParam`.
fn parse_generated(text: &str) -> Option<(String, Vec<String>)> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if !lower.starts_with("select * from (") {
        return None;
    }
    let close = lower.rfind(") [reftable]")?;
    let inner = t["select * from (".len()..close].to_string();
    let rest = t[close + ") [reftable]".len()..].trim();
    let rest = rest
        .strip_prefix("where")
        .or_else(|| rest.strip_prefix("WHERE"))?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let flat = words.join(" ");
    let mut columns = Vec::new();
    for part in flat.split(" and ").flat_map(|p| p.split(" AND ")) {
        let p = part.trim();
        let c = p
            .strip_prefix("[refTable].[")
            .or_else(|| p.strip_prefix("[reftable].["))?
            .strip_suffix("] = ?")?;
        if c.contains(']') {
            return None;
        }
        columns.push(c.to_string());
    }
    (!columns.is_empty()).then_some((inner, columns))
}

/// Partial and no cache: the reference rows of each key, asked of the database.
pub struct PerKey {
    query: KeyQuery,
    cache: Option<PartialCache>,
    converter: RowConverter,
    /// Buffer columns bound to the markers, in marker order.
    params: Vec<usize>,
    /// The reference columns copied (in copy order).
    copies: Vec<Needed>,
    /// Their positions in the query's result, known after the first run.
    at: Option<Vec<usize>>,
    /// Type warnings of the first run, not yet reported.
    pub warnings: Vec<String>,
    /// Rows answered from the cache.
    pub cache_hits: u64,
    _reserved: Option<Reservation>,
}

impl PerKey {
    pub fn new(
        query: KeyQuery,
        cache: Option<(PartialCache, Reservation)>,
        params: Vec<(usize, DataType)>,
        copies: Vec<Needed>,
    ) -> Result<PerKey, ReferenceRowsError> {
        let converter = RowConverter::new(
            params
                .iter()
                .map(|(_, t)| SortField::new(arrow_type(t)))
                .collect(),
        )?;
        let (cache, reserved) = match cache {
            Some((c, r)) => (Some(c), Some(r)),
            None => (None, None),
        };
        Ok(PerKey {
            query,
            cache,
            converter,
            params: params.into_iter().map(|(i, _)| i).collect(),
            copies,
            at: None,
            warnings: Vec::new(),
            cache_hits: 0,
            _reserved: reserved,
        })
    }

    /// Statements run so far.
    pub fn queries(&self) -> u64 {
        self.query.runs
    }

    pub fn usage(&self) -> Option<Usage> {
        self.cache.as_ref().map(PartialCache::usage)
    }

    /// Asks the database for `key`.
    fn ask(&mut self, key: &[Value]) -> Result<Cached, ReferenceRowsError> {
        let answer = self.query.run(key)?;
        let at = match &self.at {
            Some(a) => a.clone(),
            None => {
                let a = positions(
                    &self.copies,
                    &answer.columns,
                    "the per-key query (SqlCommandParam)",
                )?;
                self.warnings = type_warnings(&self.copies, &answer.columns, &a);
                self.at = Some(a.clone());
                a
            }
        };
        let Some(mut row) = answer.row else {
            return Ok(Cached::Missing);
        };
        let mut values = Vec::with_capacity(self.copies.len());
        for (c, &i) in self.copies.iter().zip(&at) {
            let v = std::mem::replace(&mut row[i], Value::Empty);
            values.push(
                fit(v, &c.data_type).map_err(|source| ReferenceRowsError::Fit {
                    column: c.name.clone(),
                    ty: c.data_type,
                    source,
                })?,
            );
        }
        Ok(Cached::Found(values))
    }

    /// For each row of `buffer`, the index of its reference row in the returned columns (one
    /// array per copied column), or NULL; each distinct key is asked at most once per buffer.
    pub fn resolve(
        &mut self,
        buffer: &Buffer,
    ) -> Result<(UInt32Array, Vec<ArrayRef>), ReferenceRowsError> {
        let n = buffer.rows();
        let keys: Vec<ArrayRef> = self
            .params
            .iter()
            .map(|&i| buffer.column(i).clone())
            .collect();
        let rows = self.converter.convert_columns(&keys)?;
        let mut local: HashMap<Box<[u8]>, Option<u32>> = HashMap::new();
        let mut found = UInt32Builder::with_capacity(n);
        let mut table: Vec<Vec<Value>> = Vec::new();
        for r in 0..n {
            let bytes = rows.row(r);
            let bytes = bytes.data();
            let slot = match local.get(bytes) {
                Some(s) => *s,
                None => {
                    let cached = self.cache.as_mut().and_then(|c| c.get(bytes));
                    let answer = match cached {
                        Some(a) => {
                            self.cache_hits += 1;
                            a
                        }
                        None => {
                            let key: Vec<Value> =
                                self.params.iter().map(|&i| buffer.value(i, r)).collect();
                            let a = self.ask(&key)?;
                            if let Some(c) = self.cache.as_mut() {
                                c.put(bytes, a.clone());
                            }
                            a
                        }
                    };
                    let slot = match answer {
                        Cached::Found(values) => {
                            table.push(values);
                            Some((table.len() - 1) as u32)
                        }
                        Cached::Missing => None,
                    };
                    local.insert(bytes.into(), slot);
                    slot
                }
            };
            match slot {
                Some(i) => found.append_value(i),
                None => found.append_null(),
            }
        }
        let arrays = self
            .copies
            .iter()
            .enumerate()
            .map(|(c, needed)| {
                let mut b = ColumnBuilder::new(&needed.data_type, table.len());
                for row in &table {
                    b.append_value(&row[c]);
                }
                b.finish()
            })
            .collect();
        Ok((found.finish(), arrays))
    }
}

/// Builds the per-key reader's cache and reserves its bytes.
pub fn partial_cache(
    mode: CacheMode,
    bytes: usize,
    miss_percent: u8,
    budget: &Arc<MemoryBudget>,
) -> Result<Option<(PartialCache, Reservation)>, MemoryRefused> {
    if mode != CacheMode::Partial {
        return Ok(None);
    }
    let r = reserve(budget, bytes, 0)?;
    Ok(Some((PartialCache::new(bytes, miss_percent), r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_statement_is_requoted_for_odbc() {
        let given = "select * from (select * from [dbo].[DimSalesTerritory]) [refTable]\nwhere [refTable].[SalesTerritoryCountry] = ? and [refTable].[Sales Group] = ?";
        assert_eq!(
            per_key_statement(given, "", &[], Quoting::Ansi),
            "select * from (select * from [dbo].[DimSalesTerritory]) \"refTable\" where \"refTable\".\"SalesTerritoryCountry\" = ? and \"refTable\".\"Sales Group\" = ?"
        );
        assert_eq!(per_key_statement(given, "", &[], Quoting::Brackets), given);
        let own = "SELECT name FROM codes WHERE code = ?";
        assert_eq!(per_key_statement(own, "", &[], Quoting::Ansi), own);
        assert_eq!(
            per_key_statement("", "SELECT * FROM codes", &["code".into()], Quoting::Ansi),
            "select * from (SELECT * FROM codes) \"refTable\" where \"refTable\".\"code\" = ?"
        );
    }

    #[test]
    fn database_values_are_fitted_to_the_reference_types() {
        assert_eq!(
            fit(Value::I8(7), &DataType::I4).expect("fits"),
            Value::I4(7)
        );
        assert_eq!(
            fit(Value::Null(DataType::I8), &DataType::I4).expect("null"),
            Value::Null(DataType::I4)
        );
        assert!(
            fit(Value::WStr("abcdef".into()), &DataType::WStr { len: 3 })
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
    }
}
