//! ssisd's Data Flow engine, between the package model (`ssisd-engine`) and the control-flow
//! runtime (`ssisd-runtime`). A data flow is configured from the model's pipeline, validated,
//! prepared, run on threads as execution trees over Apache Arrow buffers, and finished.
//!
//! Principal types: [`buffer::Buffer`] (a batch of rows with its [`buffer::Layout`]),
//! [`component::Component`] (the trait every component implements), [`registry::COMPONENTS`]
//! (the one list of components), [`graph::Plan`] (execution trees), [`execute::run`] and
//! [`execute::validate`] (the entry points), [`host::Host`] (what the caller provides),
//! [`memory::MemoryBudget`] (accounting), [`spill`] (spill files of blocking components),
//! [`collation`] (the key order Sort, Merge, Merge Join and Aggregate share). Components live one directory each
//! under `components/{sources,transforms,destinations}/`; shared flat-file code is in
//! `flat_file/`, shared database code (connections, names, parameters, the database source and
//! destination) in `database/`, Excel workbooks (the connection string, what a source may
//! name, reading with the provider's typing rules, writing a sheet) in `excel/`, ssisd's raw file format in `raw_file/`, reference rows and their
//! key index for lookups in `reference/`, the Cache connection manager and a run's caches in
//! `cache/`; `testing` has the helpers component tests use.

pub mod buffer;
pub mod cache;
pub mod codes;
pub mod collation;
pub mod component;
pub mod components;
pub mod database;
pub mod error;
pub mod excel;
pub mod execute;
pub mod expression;
pub mod flat_file;
pub mod graph;
pub mod host;
pub mod memory;
pub mod metadata;
pub mod raw_file;
pub mod reference;
pub mod registry;
pub mod script;
pub mod spill;
pub mod testing;

pub use error::{PipelineError, Problems};
pub use execute::{run, validate, Outcome, RunSettings, Summary};
pub use host::{ConnectionSpec, Host, Level, PipelineEvent, Recordset, RecordsetColumn};
