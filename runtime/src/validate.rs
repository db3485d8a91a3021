//! `/VALIDATE` as far as running is concerned: the engine's checks (overrides applied, the model,
//! every expression) plus what only the runtime knows — every enabled task, event handlers
//! included, is of a kind in the task registry, its object data parses, and everything it
//! refers to resolves where it runs ([`Task::references`](crate::tasks::Task::references)):
//! its connection managers exist and are of a kind it can use, its variables are visible in
//! its scope, its expression compiles; Foreach Loops likewise for their enumerator and
//! variable mappings. A reference whose property a property expression sets is decided at run
//! time and not checked. Then the task's own check of the machine
//! ([`Task::check`](crate::tasks::Task::check): the Script Task's Mono and compiled script).
//! Tasks whose DelayValidation is set are checked only when they run. A disabled task of a
//! kind that cannot run, or holding a part that cannot (a data flow component ssisd does not
//! have), is a warning. dtexec validates with this before it runs anything, so a
//! run never meets a refusal that validation did not report. It must not run anything nor
//! print anything.

use ssisd_engine::cli::DtexecOptions;
use ssisd_engine::expr::{Expression, VariableScope};
use ssisd_engine::model::{EventHandler, Executable, ExecutableKind, Package, PropertyExpression};
use ssisd_engine::validate::{codes, validate_with, RuntimeChecks, ScopeStack, ValidationReport};

use crate::connections;
use crate::foreach;
use crate::properties::PropertyOverrides;
use crate::tasks::{self, registry, Reference};

/// The runtime's checks, for [`validate_with`].
pub struct TaskChecks;

impl RuntimeChecks for TaskChecks {
    fn check(&self, package: &Package, report: &mut ValidationReport) {
        let mut w = Walk {
            package,
            scope: ScopeStack::for_package(package),
            report,
        };
        for e in &package.executables {
            w.executable(e, false);
        }
        w.handlers(&package.event_handlers, false);
    }
}

/// Applies the options' overrides to `package`, then checks everything a run needs.
pub fn validate(package: &mut Package, options: &DtexecOptions) -> ValidationReport {
    validate_with(package, options, &TaskChecks)
}

fn short_type(e: &Executable) -> String {
    let t = if e.executable_type.is_empty() {
        &e.creation_name
    } else {
        &e.executable_type
    };
    t.split(',').next().unwrap_or("").trim().to_string()
}

/// The walk over the package with the variables visible at each point.
struct Walk<'a> {
    package: &'a Package,
    scope: ScopeStack,
    report: &'a mut ValidationReport,
}

/// Whether a property expression in `list` sets `property`.
fn set_by_expression(list: &[PropertyExpression], property: &str) -> bool {
    list.iter()
        .any(|p| p.property.eq_ignore_ascii_case(property))
}

/// `User::X`, `[User::X]`, `@[User::X]` or `X` as (namespace, name).
fn variable_name(text: &str) -> (Option<&str>, &str) {
    let t = text.trim().trim_start_matches('@');
    let t = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(t);
    match t.split_once("::") {
        Some((ns, name)) => (Some(ns), name),
        None => (None, t),
    }
}

impl Walk<'_> {
    fn executable(&mut self, e: &Executable, disabled: bool) {
        let disabled = disabled || e.properties.disabled;
        let mark = self.scope.mark();
        self.scope.add_variables(&e.variables);
        match &e.kind {
            ExecutableKind::Task(kind) => self.task(e, kind, disabled),
            ExecutableKind::ForEachLoop(l) if !disabled && !e.properties.delay_validation => {
                match foreach::references(l) {
                    Ok(refs) => self.references(e, &refs),
                    Err(reason) => self.report.error(
                        codes::UNSUPPORTED_ELEMENT,
                        e.path.clone(),
                        format!("{reason}."),
                    ),
                }
            }
            _ => {}
        }
        for c in &e.executables {
            self.executable(c, disabled);
        }
        self.handlers(&e.event_handlers, disabled);
        self.scope.truncate(mark);
    }

    fn task(&mut self, e: &Executable, kind: &ssisd_engine::model::TaskKind, disabled: bool) {
        if let Some(reason) = registry::refusal(kind) {
            if disabled {
                self.report.warning(
                    codes::UNSUPPORTED_WARNING,
                    e.path.clone(),
                    format!(
                        "{reason} (disabled, so it will not run) ({}).",
                        short_type(e)
                    ),
                );
            } else {
                self.report.error(
                    codes::UNSUPPORTED_ELEMENT,
                    e.path.clone(),
                    format!("{reason} ({}).", short_type(e)),
                );
            }
            return;
        }
        if disabled {
            // What a disabled task holds that ssisd cannot run (a data flow component it does
            // not have) is said, as a warning; nothing else of it is checked.
            if let Some(reason) = registry::missing_parts(kind, e.object_data.as_ref()) {
                self.report.warning(
                    codes::UNSUPPORTED_WARNING,
                    e.path.clone(),
                    format!(
                        "{} (disabled, so it will not run).",
                        reason.trim_end_matches('.')
                    ),
                );
            }
            return;
        }
        if e.properties.delay_validation {
            return;
        }
        match tasks::create(kind, e.object_data.as_ref(), &PropertyOverrides::default()) {
            Ok(task) => {
                self.references(e, &task.references());
                if let Err(reason) = task.check() {
                    self.report.error(
                        codes::TASK_CONFIGURATION_INVALID,
                        e.path.clone(),
                        format!("{}.", reason.to_string().trim_end_matches('.')),
                    );
                }
            }
            Err(reason) => self.report.error(
                codes::TASK_CONFIGURATION_INVALID,
                e.path.clone(),
                format!("{reason}."),
            ),
        }
    }

    /// Checks what `e` refers to, in the current scope.
    fn references(&mut self, e: &Executable, refs: &[Reference]) {
        for r in refs {
            if set_by_expression(&e.property_expressions, r.property()) {
                continue;
            }
            if let Err((code, text)) = self.resolve(r) {
                self.report.error(code, e.path.clone(), text);
            }
        }
    }

    fn resolve(&self, r: &Reference) -> Result<(), (u32, String)> {
        match r {
            Reference::Connection {
                property,
                key,
                accepts,
            } => {
                if key.is_empty() {
                    return Err((
                        codes::TASK_CONFIGURATION_INVALID,
                        format!("No connection manager is specified ({property})."),
                    ));
                }
                let Some(cm) = connections::lookup(self.package, key) else {
                    let whose = match &self.package.project {
                        Some(p) => format!(
                            "neither the package nor its project \"{}\" has a connection \
                             manager with that name or ID",
                            p.name
                        ),
                        None if key.starts_with('{') => "the package has no connection manager \
                             with that name or ID (a project connection manager is not available \
                             to a package run on its own: run it with /Proj[ect] and /Pack[age])"
                            .to_string(),
                        None => {
                            "the package has no connection manager with that name or ID".to_string()
                        }
                    };
                    return Err((
                        codes::CONNECTION_MANAGER_NOT_FOUND,
                        format!(
                            "The connection manager \"{key}\" ({property}) is not found: {whose}."
                        ),
                    ));
                };
                // A connection string an expression sets is known only at run time.
                // An Excel manager's workbook path may be set by ExcelFilePath or ServerName.
                let excel_path_set = cm.creation_name.trim().eq_ignore_ascii_case("EXCEL")
                    && ["ExcelFilePath", "ServerName"]
                        .iter()
                        .any(|p| set_by_expression(&cm.property_expressions, p));
                let text = if excel_path_set
                    || set_by_expression(&cm.property_expressions, "ConnectionString")
                {
                    None
                } else {
                    Some(cm.connection_string.as_str())
                };
                match text.map(|t| accepts(&cm.creation_name, t)) {
                    Some(Err(why)) => Err((
                        codes::TASK_CONFIGURATION_INVALID,
                        format!(
                            "The connection manager \"{}\" ({property}) cannot be used: {why}.",
                            cm.name
                        ),
                    )),
                    _ => Ok(()),
                }
            }
            Reference::Variable {
                property,
                name,
                required,
            } => {
                if name.is_empty() {
                    return if *required {
                        Err((
                            codes::TASK_CONFIGURATION_INVALID,
                            format!("No variable is specified ({property})."),
                        ))
                    } else {
                        Ok(())
                    };
                }
                let (ns, bare) = variable_name(name);
                // `$Project::` names resolve against the project the package was loaded with;
                // without one the scope says the run would not find them either.
                self.scope.take_project_reference();
                self.scope.resolve(ns, bare).map(|_| ()).map_err(|why| {
                    let how = if self.scope.take_project_reference() {
                        " Run it with its project: dtexec /Project <project folder or .ispac> \
                         /Package <name>.dtsx."
                    } else {
                        ""
                    };
                    (
                        codes::VARIABLE_NOT_FOUND,
                        format!("The variable \"{name}\" ({property}) cannot be used: {why}.{how}"),
                    )
                })
            }
            Reference::Expression { property, text } => {
                if text.trim().is_empty() {
                    return Err((
                        codes::TASK_CONFIGURATION_INVALID,
                        format!("The task has no expression ({property})."),
                    ));
                }
                self.scope.take_project_reference();
                let compiled = Expression::compile(text, &self.scope);
                if self.scope.take_project_reference() {
                    return Ok(());
                }
                compiled.map(|_| ()).map_err(|e| {
                    (
                        codes::EXPRESSION_INVALID,
                        format!(
                            "The expression \"{text}\" ({property}) is not valid: column {}: {}.",
                            e.column, e.message
                        ),
                    )
                })
            }
        }
    }

    fn handlers(&mut self, hs: &[EventHandler], disabled: bool) {
        for h in hs {
            let disabled = disabled || h.properties.disabled;
            let mark = self.scope.mark();
            self.scope.add_event_handler_system(&h.event_name);
            self.scope.add_variables(&h.variables);
            for c in &h.executables {
                self.executable(c, disabled);
            }
            self.handlers(&h.event_handlers, disabled);
            self.scope.truncate(mark);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::cli::parse_dtexec_args;

    /// The fixture with its data flow's source made a component ssisd does not have (an Oracle
    /// Source).
    fn fixture_with_unbuilt_component() -> Package {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../engine/tests/packages/format8_control_flow.dtsx"
        );
        let text = std::fs::read_to_string(path)
            .expect("fixture")
            .replace("Microsoft.OLEDBSource", "Microsoft.SSISOracleSrc");
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join("fixture.dtsx");
        std::fs::write(&copy, text).expect("copy");
        ssisd_engine::load_package_file(&copy).expect("fixture loads")
    }

    fn options(extra: &[&str]) -> DtexecOptions {
        let mut args = vec!["/F".to_string(), "x.dtsx".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        parse_dtexec_args(args).expect("options")
    }

    #[test]
    fn tasks_and_components_without_an_entry_are_refused_by_name_and_warn_when_disabled() {
        let r = validate(&mut fixture_with_unbuilt_component(), &options(&[]));
        assert!(
            r.errors.iter().any(|d| d.code == codes::TASK_CONFIGURATION_INVALID
                && d.source == "\\Package\\Load Customers"
                && d.description.contains("component \"Source\" (Oracle Source, class id Microsoft.SSISOracleSrc) cannot run")),
            "{:#?}",
            r.errors
        );
        // The disabled Script task is of a kind that runs: nothing to say about it.
        assert!(
            !r.warnings
                .iter()
                .chain(r.errors.iter())
                .any(|d| d.source == "\\Package\\Each file\\Parse file"),
            "{:#?} {:#?}",
            r.warnings,
            r.errors
        );
        let disable = [
            "/Set",
            "\\Package\\Load Customers.Properties[Disabled];True",
        ];
        let r = validate(&mut fixture_with_unbuilt_component(), &options(&disable));
        assert!(
            r.warnings
                .iter()
                .any(|d| d.code == codes::UNSUPPORTED_WARNING
                    && d.source == "\\Package\\Load Customers"),
            "{:#?}",
            r.warnings
        );
        let warnings = r.warnings.len();
        let r = validate(
            &mut fixture_with_unbuilt_component(),
            &options(&[disable[0], disable[1], "/WarnAsError"]),
        );
        assert!(r.warnings.is_empty());
        assert!(r.errors.len() >= warnings);
    }
}
