//! Transform components: one directory each.

pub mod cache_transform;
pub mod conditional_split;
pub mod data_conversion;
pub mod derived_column;
pub mod lookup;
pub mod multicast;
pub mod ole_db_command;
pub mod row_count;
pub mod union_all;
