//! Applies the command line's overrides to a loaded package and reports what failed:
//! `/Set` (unknown target = error), `/Conn` (connection by name or DTSID; unknown = error) and
//! `/Par` (`$Package::` and `$Project::` parameters and `CM.<connection>.<property>` of package
//! or project connection managers; unknown = error). The lookup
//! itself is `target.rs`; this file owns turning outcomes into diagnostics. It must not read
//! files (configurations are `configurations.rs`).

use super::diagnostic::{codes, ValidationReport};
use super::target::{self, Applied, OverrideError, ParameterError};
use crate::cli::{ConnectionOption, ParameterOption, ParameterScope, SetOption};
use crate::model::Package;

/// Reports an accepted value that will not take effect as a warning.
pub(crate) fn note_applied(report: &mut ValidationReport, source: &str, applied: Applied) {
    match applied {
        Applied::Set => {}
        Applied::ReplacedByExpression(why) | Applied::NotModelled(why) => {
            report.warning(codes::OVERRIDE_NOT_APPLIED, source, why)
        }
    }
}

fn error_code(e: &OverrideError) -> u32 {
    match e {
        OverrideError::NotFound { .. } => codes::SET_TARGET_NOT_FOUND,
        OverrideError::Rejected { .. } => codes::VALUE_REJECTED,
    }
}

/// Applies every `/Set` in order.
pub fn apply_sets(package: &mut Package, sets: &[SetOption], report: &mut ValidationReport) {
    for s in sets {
        let source = s.path.to_string();
        match target::apply(package, &s.path, &s.value) {
            Ok(applied) => note_applied(report, &source, applied),
            Err(e) => report.error(error_code(&e), &source, format!("/Set: {e}.")),
        }
    }
}

/// Applies every `/Conn` in order.
pub fn apply_connections(
    package: &mut Package,
    conns: &[ConnectionOption],
    report: &mut ValidationReport,
) {
    for c in conns {
        match target::find_connection(package, &c.target) {
            Some(cm) => cm.connection_string = c.connection_string.clone(),
            None => report.error(
                codes::CONNECTION_MANAGER_NOT_FOUND,
                format!("\\Package.Connections[{}]", c.target),
                format!(
                    "/Connection: the package has no connection manager named or with the id \
                     \"{}\".",
                    c.target
                ),
            ),
        }
    }
}

/// Applies every `/Par` in order.
pub fn apply_parameters(
    package: &mut Package,
    params: &[ParameterOption],
    report: &mut ValidationReport,
) {
    for p in params {
        let source = format!("{}{}", p.scope.prefix(), p.name);
        match p.scope {
            ParameterScope::ServerOption => report.warning(
                codes::OVERRIDE_NOT_APPLIED,
                &source,
                "/Parameter: server options apply to the SSIS catalog only; ignored.",
            ),
            ParameterScope::Project if package.project.is_none() => report.error(
                codes::PARAMETER_NOT_FOUND,
                &source,
                format!(
                    "/Parameter: the project parameter \"{}\" does not exist: a package run \
                     from a file has no project; run it with /Proj[ect] and /Pack[age].",
                    p.name
                ),
            ),
            ParameterScope::Project => {
                if let Some(rest) = p.name.strip_prefix("CM.") {
                    connection_parameter(package, rest, &p.value, &source, true, report);
                    continue;
                }
                match target::set_project_parameter(package, &p.name, &p.value) {
                    Ok(()) => {}
                    Err(ParameterError::NotFound) => report.error(
                        codes::PARAMETER_NOT_FOUND,
                        &source,
                        format!(
                            "/Parameter: the parameter \"$Project::{}\" cannot be found: the \
                             project \"{}\" has the parameters {}.",
                            p.name,
                            package.project.as_ref().map_or("", |s| s.name.as_str()),
                            package
                                .project
                                .as_ref()
                                .map_or_else(String::new, |s| s.parameter_names())
                        ),
                    ),
                    Err(ParameterError::Rejected(reason)) => report.error(
                        codes::VALUE_REJECTED,
                        &source,
                        format!("/Parameter: {reason}."),
                    ),
                }
            }
            ParameterScope::Package => {
                if let Some(rest) = p.name.strip_prefix("CM.") {
                    connection_parameter(package, rest, &p.value, &source, false, report);
                    continue;
                }
                match target::set_parameter(package, &p.name, &p.value) {
                    Ok(()) => {}
                    Err(ParameterError::NotFound) => report.error(
                        codes::PARAMETER_NOT_FOUND,
                        &source,
                        format!(
                            "/Parameter: the package has no parameter \"{}\"{}.",
                            p.name,
                            known_parameters(package)
                        ),
                    ),
                    Err(ParameterError::Rejected(reason)) => report.error(
                        codes::VALUE_REJECTED,
                        &source,
                        format!("/Parameter: {reason}."),
                    ),
                }
            }
        }
    }
}

/// A package of a project: every required sensitive parameter must have a value by now. The
/// project cannot keep one (DontSaveSensitive drops it, encryption ssisd cannot undo blanks it),
/// so it must come from `/Par` (or the service's run request).
pub fn check_required_sensitive(package: &Package, report: &mut ValidationReport) {
    let Some(project) = &package.project else {
        return;
    };
    let all = project
        .parameters
        .iter()
        .map(|p| ("$Project", p))
        .chain(package.parameters.iter().map(|p| ("$Package", p)));
    for (ns, p) in all {
        if p.required && p.sensitive && p.value.is_empty() {
            report.error(
                codes::PARAMETER_VALUE_REQUIRED,
                format!("{ns}::{}", p.name),
                format!(
                    "The parameter \"{ns}::{}\" is required and sensitive, and has no value: \
                     the project does not keep sensitive values in clear; give it with /Par \
                     \"{ns}::{}\";value.",
                    p.name, p.name
                ),
            );
        }
    }
}

fn known_parameters(package: &Package) -> String {
    if package.parameters.is_empty() {
        return " (it has none)".to_string();
    }
    let names: Vec<&str> = package.parameters.iter().map(|p| p.name.as_str()).collect();
    format!("; it has {}", names.join(", "))
}

/// `CM.<connection>.<property>`: a connection manager property given as a parameter — of a
/// project connection manager with `$Project::`, of one of the package's own otherwise.
fn connection_parameter(
    package: &mut Package,
    rest: &str,
    value: &str,
    source: &str,
    project: bool,
    report: &mut ValidationReport,
) {
    let Some((conn, prop)) = rest.rsplit_once('.') else {
        report.error(
            codes::PARAMETER_NOT_FOUND,
            source,
            "/Parameter: write CM.<connection>.<property> for a connection manager property.",
        );
        return;
    };
    let (scope, other) = if project {
        ("project", "$Package::")
    } else {
        ("package", "$Project::")
    };
    let found = target::find_connection(package, conn).map(|cm| (cm.project == project, cm));
    match found {
        Some((true, cm)) => match target::set_connection_property(cm, prop, value) {
            Ok(applied) => note_applied(report, source, applied),
            Err(reason) => report.error(
                codes::VALUE_REJECTED,
                source,
                format!("/Parameter: {reason}."),
            ),
        },
        Some((false, cm)) => report.error(
            codes::CONNECTION_MANAGER_NOT_FOUND,
            source,
            format!(
                "/Parameter: \"{}\" is not a {scope} connection manager; write \
                 {other}CM.{}.{prop}.",
                cm.name, cm.name
            ),
        ),
        None => report.error(
            codes::CONNECTION_MANAGER_NOT_FOUND,
            source,
            format!(
                "/Parameter: the connection \"{conn}\" is not found: the {scope} has no \
                 connection manager of that name."
            ),
        ),
    }
}
