//! The validation report: every element of a loaded package that this engine cannot run,
//! each with its package path and a reason, plus warnings about values the loader had to
//! leave empty. It only reads the model; it must not decide how things run.

use std::fmt;

use super::executable::{Executable, ExecutableKind};
use super::package::Package;
use super::task_kind::TaskKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The package runs, but something is missing or will be skipped.
    Warning,
    /// The element cannot run.
    Error,
}

/// One finding of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    /// Package path of the element.
    pub path: String,
    /// The element's type as written (without assembly qualification), if it has one.
    pub type_name: Option<String>,
    pub reason: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.type_name {
            Some(t) => write!(f, "{} ({}): {}", self.path, t, self.reason),
            None => write!(f, "{}: {}", self.path, self.reason),
        }
    }
}

/// Why a task kind cannot run, or `None` when the engine runs it.
pub fn task_refusal(kind: &TaskKind) -> Option<String> {
    Some(match kind {
        TaskKind::ExecuteSql
        | TaskKind::ExecuteProcess
        | TaskKind::ExecutePackage
        | TaskKind::FileSystem
        | TaskKind::Expression
        | TaskKind::SendMail => return None,
        TaskKind::DataFlow => "Data Flow tasks cannot run yet".to_string(),
        TaskKind::Script => "Script tasks are not supported".to_string(),
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

fn short_type(e: &Executable) -> String {
    let t = if e.executable_type.is_empty() {
        &e.creation_name
    } else {
        &e.executable_type
    };
    t.split(',').next().unwrap_or("").trim().to_string()
}

fn check_executable(e: &Executable, inherited_disabled: bool, out: &mut Vec<Issue>) {
    let disabled = inherited_disabled || e.properties.disabled;
    let refusal = match &e.kind {
        ExecutableKind::Task(k) => task_refusal(k),
        ExecutableKind::Package => {
            Some("packages nested inside a package are not supported".into())
        }
        ExecutableKind::ForEachLoop(l) if l.enumerator.is_none() => {
            Some("the Foreach Loop has no enumerator".into())
        }
        _ => None,
    };
    if let Some(reason) = refusal {
        let (severity, reason) = if disabled {
            (
                Severity::Warning,
                format!("{reason} (disabled, so it will not run)"),
            )
        } else {
            (Severity::Error, reason)
        };
        out.push(Issue {
            severity,
            path: e.path.clone(),
            type_name: Some(short_type(e)),
            reason,
        });
    }
    for child in &e.executables {
        check_executable(child, disabled, out);
    }
    for h in &e.event_handlers {
        for child in &h.executables {
            check_executable(child, disabled || h.properties.disabled, out);
        }
    }
}

/// Lists every element of `package` the engine cannot run (severity `Error`), and the
/// warnings about disabled unsupported elements, unreadable sensitive values and
/// unsupported log providers. An empty list means the whole package can run.
pub fn unsupported(package: &Package) -> Vec<Issue> {
    let mut out = Vec::new();
    for e in &package.executables {
        check_executable(e, false, &mut out);
    }
    for h in &package.event_handlers {
        for e in &h.executables {
            check_executable(e, h.properties.disabled, &mut out);
        }
    }
    for s in &package.unreadable_sensitive_values {
        out.push(Issue {
            severity: Severity::Warning,
            path: s.owner.clone(),
            type_name: None,
            reason: format!(
                "the sensitive value {} is encrypted with a Windows user key ({}), which \
                 cannot be decrypted on Linux; it was left empty — set it with /SET or a \
                 configuration, or re-save the package with DontSaveSensitive",
                s.name, package.properties.protection_level
            ),
        });
    }
    for lp in &package.log_providers {
        if lp.creation_name.to_ascii_lowercase().contains("eventlog") {
            out.push(Issue {
                severity: Severity::Warning,
                path: lp.path.clone(),
                type_name: Some(lp.creation_name.clone()),
                reason: "the Windows Event Log provider is not available on Linux; its \
                         entries are dropped"
                    .into(),
            });
        }
    }
    out
}

impl Package {
    /// Shorthand for [`unsupported`].
    pub fn unsupported(&self) -> Vec<Issue> {
        unsupported(self)
    }

    /// Whether any executable anywhere is of a kind the engine cannot run (ignoring disabled
    /// ones).
    pub fn can_run(&self) -> bool {
        !unsupported(self)
            .iter()
            .any(|i| i.severity == Severity::Error)
    }
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
        ] {
            assert_eq!(task_refusal(&k), None, "{k:?}");
        }
        assert_eq!(
            task_refusal(&TaskKind::DataFlow).as_deref(),
            Some("Data Flow tasks cannot run yet")
        );
        assert_eq!(
            task_refusal(&TaskKind::WebService).as_deref(),
            Some("Web Service tasks are not supported")
        );
        let issue = Issue {
            severity: Severity::Error,
            path: "\\Package\\Load Customers".into(),
            type_name: Some("Microsoft.ScriptTask".into()),
            reason: task_refusal(&TaskKind::Script).unwrap_or_default(),
        };
        assert_eq!(
            issue.to_string(),
            "\\Package\\Load Customers (Microsoft.ScriptTask): Script tasks are not supported"
        );
    }

    #[test]
    fn empty_package_can_run() {
        let p = Package::default();
        assert!(unsupported(&p).is_empty());
        assert!(p.can_run());
    }
}
