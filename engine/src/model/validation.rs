//! The model's own findings: elements of a loaded package that no runtime could run as they
//! stand (a package nested in a package, a Foreach Loop without an enumerator), each with its
//! package path and a reason, plus warnings about values the loader had to leave empty. Which
//! tasks run is the runtime's task registry, not this file. It only reads the model; it must
//! not decide how things run.

use std::fmt;

use super::executable::{Executable, ExecutableKind};
use super::package::Package;

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

/// Lists every element of `package` the model itself refuses (severity `Error`), and the
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
            reason: if package.properties.protection_level.uses_password() {
                format!(
                    "the sensitive value {} is encrypted with the package password, which was \
                     not given (0xC001405F: the load went on without it); it was left empty — \
                     give the password with /De[crypt] or SSIS_PACKAGE_DECRYPT",
                    s.name
                )
            } else {
                format!(
                    "the sensitive value {} is encrypted with a Windows user key ({}), which \
                     cannot be decrypted on Linux; it was left empty — set it with /SET or a \
                     configuration, or re-save the package with DontSaveSensitive",
                    s.name, package.properties.protection_level
                )
            },
        });
    }
    if let Some(project) = &package.project {
        for s in &project.unreadable_sensitive_values {
            out.push(Issue {
                severity: Severity::Warning,
                path: s.owner.clone(),
                type_name: None,
                reason: format!(
                    "the sensitive value {} of the project \"{}\" is encrypted ({}), which \
                     ssisd cannot decrypt; it was left empty — give it with /Par (a project \
                     parameter: \"$Project::Name\";value, a connection manager property: \
                     \"$Project::CM.Name.Password\";value), or save the project with \
                     DontSaveSensitive",
                    s.name, project.name, project.protection_level
                ),
            });
        }
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

    /// Whether the model itself refuses nothing (ignoring disabled elements); which tasks run
    /// is the runtime's question.
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
    fn empty_package_can_run() {
        let p = Package::default();
        assert!(unsupported(&p).is_empty());
        assert!(p.can_run());
    }
}
