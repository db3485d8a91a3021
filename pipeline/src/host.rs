//! What the pipeline needs from whoever runs it (the runtime's Data Flow task, or a test): the
//! package's connection managers, its variables, the run's in-memory caches, what runs scripts,
//! cancellation, and a place to send events. The
//! executor calls the host from the thread that started the data flow only, so a host need not
//! be thread-safe; worker threads send their events to that thread. It owns this contract; it
//! must not implement it.

use std::sync::Arc;

use ssisd_engine::model::RawXml;
use ssisd_engine::types::{DataType, Value};

use crate::cache::CacheStore;
use crate::script::ScriptHost;

/// A connection manager as a component sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionSpec {
    pub name: String,
    /// `FLATFILE`, `OLEDB`, `CACHE`, …
    pub creation_name: String,
    /// The effective connection string (after /Conn, /Set, configurations, expressions).
    pub connection_string: String,
    /// For file connections: the path as this machine sees it (Windows paths mapped).
    pub file_path: String,
    /// The manager's inner `DTS:ObjectData` (format, columns).
    pub object_data: Option<RawXml>,
}

/// A column of a [`Recordset`]: its name and SSIS type.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsetColumn {
    pub name: String,
    pub data_type: DataType,
}

/// The rows a Recordset Destination hands to an Object variable: columns and rows of the same
/// width, in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recordset {
    pub columns: Vec<RecordsetColumn>,
    pub rows: Vec<Vec<Value>>,
}

/// The severity of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Information,
    Warning,
    Error,
}

/// What the pipeline reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineEvent {
    /// An error, warning or information message (`code` an SSIS HRESULT).
    Message {
        level: Level,
        code: u32,
        /// The component it concerns (empty: the pipeline).
        component: String,
        text: String,
    },
    /// Rows that went down a path so far (OnPipelineRowsSent); sent while running and once
    /// at the end with the totals.
    RowsSent {
        path_id: i64,
        path_name: String,
        /// The component and input at the end of the path.
        component: String,
        input: String,
        rows: u64,
        buffers: u64,
        /// True for the final count.
        done: bool,
    },
    /// Time a component spent in its work (PipelineComponentTime), at the end.
    ComponentTime {
        component: String,
        component_id: i64,
        /// `PrimeOutput` (sources, asynchronous outputs) or `ProcessInput`.
        phase: &'static str,
        millis: f64,
    },
}

/// Why a host could not give a data flow what it asked for. A host's own error (a type of the
/// runtime, which this crate does not know) is kept whole and shown in its own words.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Host(Box<dyn std::error::Error + Send + Sync>),
    #[error("no connection manager \"{0}\"")]
    NoConnection(String),
    #[error("the variable \"{0}\" was not found")]
    NoVariable(String),
    #[error("\"{0}\" is not an Object variable")]
    NotObject(String),
    #[error("this host keeps no recordsets, so \"{0}\" cannot receive one")]
    NoRecordsets(String),
    #[error("this host runs no scripts")]
    NoScripts,
}

impl HostError {
    /// Wraps the host's own error.
    pub fn host(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Host(Box::new(e))
    }
}

/// The environment of a data flow.
pub trait Host {
    /// The connection manager with this name, DTSID or refId.
    fn connection(&self, key: &str) -> Result<ConnectionSpec, HostError>;
    /// A variable's value (`User::X`, `X`, `System::…`).
    fn variable(&self, name: &str) -> Result<Value, HostError>;
    /// Writes a variable (converted to its type by the host).
    fn set_variable(&self, name: &str, value: Value) -> Result<(), HostError>;
    /// Stores a recordset in an Object variable (the Recordset Destination, once the data flow
    /// has succeeded). A host without Object variables refuses.
    fn set_recordset(&self, name: &str, recordset: Recordset) -> Result<(), HostError> {
        let _ = recordset;
        Err(HostError::NoRecordsets(name.to_string()))
    }
    /// True once the run is being stopped.
    fn is_cancelled(&self) -> bool;
    /// Receives an event.
    fn event(&self, event: PipelineEvent);
    /// A file path written in the package (a component property or variable), as this machine
    /// sees it (the runtime maps Windows paths the way it maps file connections).
    fn file_path(&self, written: &str) -> String {
        written.trim().to_string()
    }
    /// The in-memory caches of the package run (Cache connection managers), shared by all its
    /// data flows; `None` when the host keeps none (then Cache Transforms and Lookups on a
    /// cache filled in memory refuse to run).
    fn caches(&self) -> Option<Arc<CacheStore>> {
        None
    }
    /// What runs the package's scripts (Script Components), or why nothing can here (no Mono).
    fn scripts(&self) -> Result<Arc<dyn ScriptHost>, HostError> {
        Err(HostError::NoScripts)
    }
}
