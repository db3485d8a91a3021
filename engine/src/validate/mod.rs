//! `/VALIDATE`: everything that can be checked about a package without running it. Given a
//! loaded package (with its project, when it has one) and dtexec's options, [`validate`]
//! applies the package's own XML configurations, `/ConfigFile`, `/Conn`, `/Set` and `/Par`
//! (checking that required sensitive parameters got a value), then lists the elements the
//! engine cannot run and type-checks every expression in its scope, giving a
//! [`ValidationReport`] of SSIS-style [`Diagnostic`]s. This file owns only that order; each
//! step is its own file. It must not run anything nor print anything.

mod configurations;
pub mod diagnostic;
mod expressions;
mod overrides;
pub mod property_names;
pub mod scope;
pub mod system_variables;
pub mod target;

#[cfg(test)]
mod tests;

pub use diagnostic::{codes, Diagnostic, ValidationReport};
pub use expressions::check_expressions;
pub use scope::ScopeStack;

use crate::cli::DtexecOptions;
use crate::model::{Package, Severity};

/// The checks only what runs a package can make (which tasks and components exist, whether their
/// settings parse); the runtime crate supplies them, so that `/VALIDATE` reports everything a
/// run would refuse.
pub trait RuntimeChecks {
    fn check(&self, package: &Package, report: &mut ValidationReport);
}

/// No runtime checks: the package model, overrides and expressions only.
pub struct ModelOnly;

impl RuntimeChecks for ModelOnly {
    fn check(&self, _: &Package, _: &mut ValidationReport) {}
}

/// Applies the options' overrides to `package`, then checks the model and expressions (no
/// runtime checks: see [`validate_with`]). `/WarnAsError` is applied.
pub fn validate(package: &mut Package, options: &DtexecOptions) -> ValidationReport {
    validate_with(package, options, &ModelOnly)
}

/// Applies the options' overrides to `package`, then checks the model, the expressions and
/// `runtime`'s checks. `/WarnAsError` is applied.
pub fn validate_with(
    package: &mut Package,
    options: &DtexecOptions,
    runtime: &dyn RuntimeChecks,
) -> ValidationReport {
    let mut report = ValidationReport::default();
    configurations::apply_declared(package, &mut report);
    configurations::apply_config_files(package, &options.config_files, &mut report);
    overrides::apply_connections(package, &options.connections, &mut report);
    overrides::apply_sets(package, &options.sets, &mut report);
    overrides::apply_parameters(package, &options.parameters, &mut report);
    overrides::check_required_sensitive(package, &mut report);
    report.extend(check_package(package));
    runtime.check(package, &mut report);
    if options.warn_as_error {
        report.warnings_as_errors();
    }
    report
}

/// Checks a package as it is: unsupported elements, unreadable sensitive values and every
/// expression.
pub fn check_package(package: &Package) -> ValidationReport {
    let mut report = ValidationReport::default();
    for issue in package.unsupported() {
        let project_values = package
            .project
            .iter()
            .flat_map(|p| &p.unreadable_sensitive_values);
        let sensitive = issue.type_name.is_none()
            && package
                .unreadable_sensitive_values
                .iter()
                .chain(project_values)
                .any(|s| s.owner == issue.path);
        let text = match &issue.type_name {
            Some(t) if !t.is_empty() => format!("{} ({t}).", issue.reason),
            _ => format!("{}.", issue.reason),
        };
        match issue.severity {
            Severity::Error => report.error(codes::UNSUPPORTED_ELEMENT, issue.path, text),
            Severity::Warning if sensitive => {
                report.warning(codes::SENSITIVE_VALUE_UNREADABLE, issue.path, text)
            }
            Severity::Warning => report.warning(codes::UNSUPPORTED_WARNING, issue.path, text),
        }
    }
    check_expressions(package, &mut report);
    report
}
