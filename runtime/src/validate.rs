//! `/VALIDATE` as far as running is concerned: the engine's checks (overrides applied, the model,
//! every expression) plus what only the runtime knows — every enabled task, event handlers
//! included, is of a kind in the task registry, and its object data parses (tasks whose
//! DelayValidation is set are parsed only when they run). A disabled task of a kind that cannot
//! run is a warning. dtexec validates with this before it runs anything, so a run never meets a
//! refusal that validation did not report. It must not run anything nor print anything.

use ssisd_engine::cli::DtexecOptions;
use ssisd_engine::model::{EventHandler, Executable, ExecutableKind, Package};
use ssisd_engine::validate::{codes, validate_with, RuntimeChecks, ValidationReport};

use crate::properties::PropertyOverrides;
use crate::tasks::{self, registry};

/// The runtime's checks, for [`validate_with`].
pub struct TaskChecks;

impl RuntimeChecks for TaskChecks {
    fn check(&self, package: &Package, report: &mut ValidationReport) {
        for e in &package.executables {
            check(e, false, report);
        }
        handlers(&package.event_handlers, false, report);
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

fn check(e: &Executable, disabled: bool, report: &mut ValidationReport) {
    let disabled = disabled || e.properties.disabled;
    if let ExecutableKind::Task(kind) = &e.kind {
        if let Some(reason) = registry::refusal(kind) {
            let text = format!("{reason} ({}).", short_type(e));
            if disabled {
                report.warning(
                    codes::UNSUPPORTED_WARNING,
                    e.path.clone(),
                    format!(
                        "{reason} (disabled, so it will not run) ({}).",
                        short_type(e)
                    ),
                );
            } else {
                report.error(codes::UNSUPPORTED_ELEMENT, e.path.clone(), text);
            }
        } else if !disabled && !e.properties.delay_validation {
            if let Err(reason) =
                tasks::create(kind, e.object_data.as_ref(), &PropertyOverrides::default())
            {
                report.error(
                    codes::TASK_CONFIGURATION_INVALID,
                    e.path.clone(),
                    format!("{reason}."),
                );
            }
        }
    }
    for c in &e.executables {
        check(c, disabled, report);
    }
    handlers(&e.event_handlers, disabled, report);
}

fn handlers(hs: &[EventHandler], disabled: bool, report: &mut ValidationReport) {
    for h in hs {
        let disabled = disabled || h.properties.disabled;
        for c in &h.executables {
            check(c, disabled, report);
        }
        handlers(&h.event_handlers, disabled, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::cli::parse_dtexec_args;

    fn fixture() -> Package {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../engine/tests/packages/format8_control_flow.dtsx"
        );
        ssisd_engine::load_package_file(std::path::Path::new(path)).expect("fixture loads")
    }

    fn options(extra: &[&str]) -> DtexecOptions {
        let mut args = vec!["/F".to_string(), "x.dtsx".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        parse_dtexec_args(args).expect("options")
    }

    #[test]
    fn tasks_and_components_without_an_entry_are_refused_by_name_and_warn_when_disabled() {
        let r = validate(&mut fixture(), &options(&[]));
        assert!(
            r.errors.iter().any(|d| d.code == codes::TASK_CONFIGURATION_INVALID
                && d.source == "\\Package\\Load Customers"
                && d.description.contains("component \"Source\" (OLE DB Source, class id Microsoft.OLEDBSource) cannot run")),
            "{:#?}",
            r.errors
        );
        assert!(
            r.warnings
                .iter()
                .any(|d| d.code == codes::UNSUPPORTED_WARNING
                    && d.source == "\\Package\\Each file\\Parse file"),
            "{:#?}",
            r.warnings
        );
        let warnings = r.warnings.len();
        let r = validate(&mut fixture(), &options(&["/WarnAsError"]));
        assert!(r.warnings.is_empty());
        assert!(r.errors.len() > warnings);
    }
}
