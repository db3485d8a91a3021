//! Tasks: the [`Task`] trait every task implements, and [`create`], which builds the task for
//! an executable from its `TaskKind`, its raw `ObjectData` and the property values its
//! expressions set, through the one task list in [`registry`]. One file (or folder) per task.
//! A kind without an entry cannot run; validation refuses it by name and [`create`] too.
//!
//! Adding a task:
//! 1. a file `tasks/<name>.rs` with a struct holding the parsed configuration, a
//!    `from_config(object_data, overrides) -> Result<Self, TaskConfigError>` that only parses (no I/O:
//!    it also runs when the package is validated), and `impl Task` — `execute`, and
//!    `references`, the connection managers, variables and expressions the configuration
//!    names, which `/VALIDATE` checks against the package before anything runs;
//! 2. its `mod` line here and one line in [`registry::TASKS`].
//!
//! Inside `execute`, everything comes from the [`TaskContext`]: variables (read, write,
//! Object variables holding [`ObjectValue::ResultSet`] for a full result set), expressions,
//! connection managers by name or DTSID with their effective connection string, errors,
//! warnings, information and progress events, the cancel token (long waits must watch it),
//! the child-process registry, and the run's options and event sink (Execute Package runs a
//! child package with `run::run_package` and the same token, passing the child's events on
//! with `TaskContext::relay`).
//!
//! [`ObjectValue::ResultSet`]: super::object_value::ObjectValue::ResultSet

pub mod command_line;
mod config_error;
mod context;
mod data_flow;
mod execute_package;
mod execute_process;
mod execute_sql;
mod expression;
mod file_system;
mod script;
mod send_mail;

pub use config_error::TaskConfigError;
pub use context::{ConnectionError, TaskContext, VisibleVariable};
pub use data_flow::DataFlowTask;
pub use execute_package::ExecutePackage;
pub use execute_process::ExecuteProcess;
pub use execute_sql::SqlError;
pub use expression::ExpressionTask;
pub use file_system::{FileSystemOperation, FileSystemTask};
pub use script::ScriptTask;
pub use send_mail::SendMail;

pub mod references;
pub mod registry;

pub use references::Reference;

use super::properties::PropertyOverrides;
use ssisd_engine::model::{RawXml, TaskKind};

/// How a task run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    Success,
    /// The task failed; it has reported why with `ctx.error`.
    Failure,
    /// The task stopped because the run was cancelled.
    Canceled,
}

/// A task, configured for one execution.
pub trait Task: Send {
    /// Runs the task once. Report problems through `ctx` (errors count towards
    /// MaximumErrorCount and fire OnError) and return the outcome.
    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome;

    /// Everything this configuration refers to outside the task, for validation: a run would
    /// fail on a reference that does not resolve, so `/VALIDATE` reports it first.
    fn references(&self) -> Vec<Reference>;

    /// What only the machine can tell before the run (`/VALIDATE`): a tool the task needs is
    /// installed, code it carries builds. It may do I/O; the default has nothing to check.
    fn check(&self) -> Result<(), CheckError> {
        Ok(())
    }
}

/// Why a task cannot run on this machine ([`Task::check`]): the failing step's own error.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CheckError(Box<dyn std::error::Error + Send + Sync>);

impl CheckError {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        CheckError(Box::new(e))
    }
}

/// Builds the task for `kind` from its object data and property overrides; a kind without an
/// entry in [`registry::TASKS`] is refused with the reason [`registry::refusal`] gives.
pub fn create(
    kind: &TaskKind,
    object_data: Option<&RawXml>,
    overrides: &PropertyOverrides,
) -> Result<Box<dyn Task>, TaskConfigError> {
    match registry::lookup(kind) {
        Some(entry) => (entry.create)(object_data, overrides),
        None => Err(TaskConfigError::NotRunnable(
            registry::refusal(kind).unwrap_or_default(),
        )),
    }
}

/// Reads the attributes of the first element named `element` (any namespace prefix) of a
/// task's object data, as (local name, value) pairs.
pub(crate) fn attributes(
    object_data: Option<&RawXml>,
    element: &str,
) -> Result<Vec<(String, String)>, TaskConfigError> {
    let Some(od) = object_data else {
        return Ok(Vec::new());
    };
    let doc = od.document();
    let parsed = roxmltree::Document::parse(&doc).map_err(TaskConfigError::InvalidXml)?;
    let found = parsed
        .descendants()
        .find(|n| n.tag_name().name() == element)
        .map(|n| {
            n.attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect()
        })
        .unwrap_or_default();
    Ok(found)
}

/// The attribute `name` (ignoring case) from `attrs`.
pub(crate) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A boolean attribute (`True`, `-1`, `1`).
pub(crate) fn flag(text: Option<&str>) -> Option<bool> {
    text.map(|t| matches!(t.trim().to_ascii_lowercase().as_str(), "true" | "-1" | "1"))
}
