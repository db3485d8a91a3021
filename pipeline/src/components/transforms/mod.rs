//! Transform components: one directory each (the Script Component, which is also a source
//! and a destination, lives here).

pub mod aggregate;
pub mod audit;
pub mod cache_transform;
pub mod character_map;
pub mod conditional_split;
pub mod copy_column;
pub mod data_conversion;
pub mod derived_column;
pub mod lookup;
pub mod merge;
pub mod merge_join;
pub mod multicast;
pub mod ole_db_command;
pub mod percentage_sampling;
pub mod row_count;
pub mod row_sampling;
pub mod script_component;
pub mod slowly_changing_dimension;
pub mod sort;
pub mod union_all;
