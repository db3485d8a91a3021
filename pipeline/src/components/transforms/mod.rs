//! Transform components: one directory each.

pub mod aggregate;
pub mod conditional_split;
pub mod data_conversion;
pub mod derived_column;
pub mod merge;
pub mod merge_join;
pub mod multicast;
pub mod row_count;
pub mod sort;
pub mod union_all;
