//! The hash index of a reference table's keys. Key columns of any SSIS type a lookup may join
//! on are turned into Arrow's row format (`arrow-row`: one byte string per row that compares
//! equal exactly when every key value is equal, NULL equal to NULL), stored once in a `Rows`
//! buffer; a `hashbrown::HashTable` of key numbers finds them by hash. The first row of a key
//! wins; later rows with the same key are reported to the caller as duplicates and not
//! indexed. Probing converts a buffer's key columns the same way and answers, per row, the
//! matching table row. Strings compare case-sensitively and with their trailing spaces, as
//! SSIS's full cache compares. It must not hold the table's other columns.

use std::hash::BuildHasher;

use arrow_array::{Array, ArrayRef, UInt32Array};
use arrow_row::{RowConverter, Rows, SortField};
use hashbrown::{DefaultHashBuilder, HashTable};
use ssisd_engine::types::DataType;

use crate::buffer::types::arrow_type;

/// Key columns that cannot be indexed, or keys that cannot be converted.
#[derive(Debug, thiserror::Error)]
pub enum KeyIndexError {
    #[error("a lookup needs at least one key column")]
    NoKeys,
    /// A type lookups cannot join on (floating point, BLOBs); holds its DT_ name.
    #[error("a key column cannot be {0}")]
    NotJoinable(&'static str),
    /// Arrow's row converter refused the key columns.
    #[error("{0}")]
    Rows(#[from] arrow_schema::ArrowError),
}

/// A hash index over key columns.
pub struct KeyIndex {
    types: Vec<DataType>,
    converter: RowConverter,
    keys: Rows,
    /// For each indexed key, the table row it came from.
    row_of: Vec<u32>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex")
            .field("types", &self.types)
            .field("keys", &self.row_of.len())
            .finish()
    }
}

/// Whether SSIS lets a lookup join on a column of this type (not DT_R4, DT_R8 or BLOBs).
pub fn joinable(ty: &DataType) -> bool {
    !matches!(
        ty,
        DataType::R4
            | DataType::R8
            | DataType::Text { .. }
            | DataType::NText
            | DataType::Image
            | DataType::Object
            | DataType::Empty
            | DataType::Null
    )
}

/// Whether a column of type `a` can be joined to one of type `b`: the same type, except that
/// string and byte lengths (and DT_STR code pages) may differ.
pub fn join_compatible(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Str { .. }, DataType::Str { .. })
        | (DataType::WStr { .. }, DataType::WStr { .. })
        | (DataType::Bytes { .. }, DataType::Bytes { .. }) => true,
        _ => a == b,
    }
}

impl KeyIndex {
    /// An empty index over keys of these types (in key order).
    pub fn new(types: &[DataType]) -> Result<KeyIndex, KeyIndexError> {
        if types.is_empty() {
            return Err(KeyIndexError::NoKeys);
        }
        if let Some(t) = types.iter().find(|t| !joinable(t)) {
            return Err(KeyIndexError::NotJoinable(t.static_name()));
        }
        let fields = types
            .iter()
            .map(|t| SortField::new(arrow_type(t)))
            .collect();
        let converter = RowConverter::new(fields)?;
        let keys = converter.empty_rows(0, 0);
        Ok(KeyIndex {
            types: types.to_vec(),
            converter,
            keys,
            row_of: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        })
    }

    /// The key types, in key order.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// Keys indexed.
    pub fn len(&self) -> usize {
        self.row_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row_of.is_empty()
    }

    /// Bytes the index holds.
    pub fn memory_size(&self) -> usize {
        self.keys.size()
            + self.row_of.capacity() * 4
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    /// Indexes the keys of a chunk whose first row is table row `first_row`; returns, per row,
    /// whether it was new (`false`: a duplicate of an earlier key, which stays the one found).
    pub fn insert(
        &mut self,
        keys: &[ArrayRef],
        first_row: usize,
    ) -> Result<Vec<bool>, KeyIndexError> {
        let rows = self.converter.convert_columns(keys)?;
        let mut fresh = Vec::with_capacity(rows.num_rows());
        for i in 0..rows.num_rows() {
            let r = rows.row(i);
            let bytes = r.data();
            let hash = self.hasher.hash_one(bytes);
            let found = self
                .table
                .find(hash, |&k| self.keys.row(k as usize).data() == bytes)
                .is_some();
            if found {
                fresh.push(false);
                continue;
            }
            let k = self.row_of.len() as u32;
            self.keys.push(r);
            self.row_of.push((first_row + i) as u32);
            let keys_ref = &self.keys;
            let hasher = &self.hasher;
            self.table.insert_unique(hash, k, |&x| {
                hasher.hash_one(keys_ref.row(x as usize).data())
            });
            fresh.push(true);
        }
        Ok(fresh)
    }

    /// For each row of the key columns `keys` (in key order, of the index's types), the table
    /// row with that key, or NULL.
    pub fn probe(&self, keys: &[ArrayRef]) -> Result<UInt32Array, KeyIndexError> {
        let rows = self.converter.convert_columns(keys)?;
        let n = keys.first().map(|a| a.len()).unwrap_or(0);
        let mut out = arrow_array::builder::UInt32Builder::with_capacity(n);
        for i in 0..rows.num_rows() {
            let bytes = rows.row(i).data();
            let hash = self.hasher.hash_one(bytes);
            match self
                .table
                .find(hash, |&k| self.keys.row(k as usize).data() == bytes)
            {
                Some(&k) => out.append_value(self.row_of[k as usize]),
                None => out.append_null(),
            }
        }
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn composite_keys_match_exactly_and_the_first_row_wins() {
        let mut ix = KeyIndex::new(&[DataType::WStr { len: 10 }, DataType::I4]).expect("index");
        let names: ArrayRef = Arc::new(StringArray::from(vec![
            Some("Ann"),
            Some("ann"),
            Some("Ann"),
            None,
            Some("Bob "),
        ]));
        let ids: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 1, 2, 3]));
        let fresh = ix.insert(&[names, ids], 10).expect("insert");
        assert_eq!(fresh, vec![true, true, false, true, true]);
        assert_eq!(ix.len(), 4);
        let pn: ArrayRef = Arc::new(StringArray::from(vec![
            Some("Ann"),
            Some("ANN"),
            None,
            Some("Bob"),
            Some("Bob "),
            Some("ann"),
        ]));
        let pi: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 2, 3, 3, 1]));
        let got = ix.probe(&[pn, pi]).expect("probe");
        let got: Vec<Option<u32>> = got.iter().collect();
        // Case-sensitive, trailing spaces count, NULL matches NULL, first row wins.
        assert_eq!(
            got,
            vec![Some(10), None, Some(13), None, Some(14), Some(11)]
        );
    }

    #[test]
    fn floating_point_and_blob_keys_are_refused() {
        assert!(KeyIndex::new(&[DataType::R8])
            .unwrap_err()
            .to_string()
            .contains("DT_R8"));
        assert!(KeyIndex::new(&[DataType::NText]).is_err());
        assert!(join_compatible(
            &DataType::WStr { len: 10 },
            &DataType::WStr { len: 256 }
        ));
        assert!(!join_compatible(
            &DataType::Str {
                len: 10,
                code_page: 1252
            },
            &DataType::WStr { len: 10 }
        ));
    }
}
