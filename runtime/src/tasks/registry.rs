//! The one list of tasks the runtime can run: each entry says which [`TaskKind`] it serves and
//! how to build the task from the executable's object data and property values. Task creation
//! (`task_host.rs`), validation (`crate::validate`) and every refusal consult it; nothing else
//! keeps a list of tasks. Adding a task is its own file under `tasks/` plus one line in
//! [`TASKS`]. It must not hold a task's own logic.

use ssisd_engine::model::{RawXml, TaskKind};

use super::{
    data_flow::DataFlowTask, execute_package::ExecutePackage, execute_process::ExecuteProcess,
    execute_sql::ExecuteSqlTask, expression::ExpressionTask, file_system::FileSystemTask,
    script::ScriptTask, send_mail::SendMail, Task, TaskConfigError,
};
use crate::properties::PropertyOverrides;

/// Builds a configured task. It only parses (no I/O): it also runs at validation.
pub type Factory =
    fn(Option<&RawXml>, &PropertyOverrides) -> Result<Box<dyn Task>, TaskConfigError>;

/// Names what in the object data cannot run, or `None`.
pub type MissingParts = fn(Option<&RawXml>) -> Option<String>;

/// One runnable task.
pub struct TaskEntry {
    /// Whether this entry serves an executable of `kind`.
    pub serves: fn(&TaskKind) -> bool,
    pub create: Factory,
    /// What in the object data ssisd cannot run even when the kind itself runs (a data flow's
    /// components without an entry); said of disabled tasks too, as a warning.
    pub missing_parts: Option<MissingParts>,
}

/// Every task the runtime runs.
pub const TASKS: &[TaskEntry] = &[
    TaskEntry {
        serves: |k| matches!(k, TaskKind::Expression),
        create: |o, p| Ok(Box::new(ExpressionTask::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::ExecuteProcess),
        create: |o, p| Ok(Box::new(ExecuteProcess::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::FileSystem),
        create: |o, p| Ok(Box::new(FileSystemTask::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::ExecutePackage),
        create: |o, p| Ok(Box::new(ExecutePackage::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::ExecuteSql),
        create: |o, p| Ok(Box::new(ExecuteSqlTask::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::SendMail),
        create: |o, p| Ok(Box::new(SendMail::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::Script),
        create: |o, p| Ok(Box::new(ScriptTask::from_config(o, p)?)),
        missing_parts: None,
    },
    TaskEntry {
        serves: |k| matches!(k, TaskKind::DataFlow),
        create: |o, p| Ok(Box::new(DataFlowTask::from_config(o, p)?)),
        missing_parts: Some(DataFlowTask::missing_components),
    },
];

/// The entry that runs `kind`, if any.
pub fn lookup(kind: &TaskKind) -> Option<&'static TaskEntry> {
    TASKS.iter().find(|e| (e.serves)(kind))
}

/// What in `od` a task of `kind` cannot run, when its kind runs.
pub fn missing_parts(kind: &TaskKind, od: Option<&RawXml>) -> Option<String> {
    lookup(kind)
        .and_then(|e| e.missing_parts)
        .and_then(|f| f(od))
}

/// Why `kind` cannot run (it has no entry), or `None` when it can.
pub fn refusal(kind: &TaskKind) -> Option<String> {
    if lookup(kind).is_some() {
        return None;
    }
    Some(match kind {
        TaskKind::MaintenancePlan(name) => {
            format!("maintenance plan tasks ({name}) are not supported")
        }
        TaskKind::Unknown(t) => {
            let short = t.split(',').next().unwrap_or(t).trim();
            format!("unknown task type {short}; only the built-in SSIS tasks are recognised")
        }
        other => format!("{}s are not supported", other.display_name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runnable_set_and_reasons() {
        for k in [
            TaskKind::ExecuteSql,
            TaskKind::ExecuteProcess,
            TaskKind::ExecutePackage,
            TaskKind::FileSystem,
            TaskKind::Expression,
            TaskKind::SendMail,
            TaskKind::Script,
            TaskKind::DataFlow,
        ] {
            assert_eq!(refusal(&k), None, "{k:?}");
        }
        assert_eq!(
            refusal(&TaskKind::WebService).as_deref(),
            Some("Web Service tasks are not supported")
        );
    }
}
