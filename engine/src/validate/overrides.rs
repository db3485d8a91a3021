//! Applies the command line's overrides to a loaded package and reports what failed:
//! `/Set` (unknown target = error), `/Conn` (connection by name or DTSID; unknown = error) and
//! `/Par` (package parameters and `CM.<connection>.<property>`; unknown = error). The lookup
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
                codes::CONNECTION_NOT_FOUND,
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
            ParameterScope::Project => report.error(
                codes::PARAMETER_NOT_FOUND,
                &source,
                format!(
                    "/Parameter: the project parameter \"{}\" does not exist: a package run \
                     from a file has no project.",
                    p.name
                ),
            ),
            ParameterScope::Package => {
                if let Some(rest) = p.name.strip_prefix("CM.") {
                    connection_parameter(package, rest, &p.value, &source, report);
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

fn known_parameters(package: &Package) -> String {
    if package.parameters.is_empty() {
        return " (it has none)".to_string();
    }
    let names: Vec<&str> = package.parameters.iter().map(|p| p.name.as_str()).collect();
    format!("; it has {}", names.join(", "))
}

/// `CM.<connection>.<property>`: a connection manager property given as a parameter.
fn connection_parameter(
    package: &mut Package,
    rest: &str,
    value: &str,
    source: &str,
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
    match target::find_connection(package, conn) {
        Some(cm) => match target::set_connection_property(cm, prop, value) {
            Ok(applied) => note_applied(report, source, applied),
            Err(reason) => report.error(
                codes::VALUE_REJECTED,
                source,
                format!("/Parameter: {reason}."),
            ),
        },
        None => report.error(
            codes::CONNECTION_NOT_FOUND,
            source,
            format!("/Parameter: the package has no connection manager named \"{conn}\"."),
        ),
    }
}
