//! Reference data for lookups, whatever it comes from: a [`table::ReferenceTable`] holds the
//! rows (one Arrow array per column, built chunk by chunk with its memory reserved against the
//! data flow's budget) and a [`index::KeyIndex`] finds the row of a key — one hash index keyed on
//! the join columns, over Arrow's row format (`arrow-row`), so keys of any number and type
//! compare byte for byte (case-sensitive strings, NULL equal to NULL, as SSIS's full cache
//! compares). A Cache connection manager fills them through the Cache Transform or a cache file;
//! a database-backed Lookup fills the same table from its query. It must not know components or
//! connection managers.

pub mod index;
pub mod table;

pub use index::{KeyIndex, KeyIndexError};
pub use table::{GatherError, ReferenceTable, TableBuilder};
