//! The checks made just before a run, after validation: every enabled task (event handlers
//! included) must be of a kind the runtime has a task for, and its object data must parse
//! (tasks whose DelayValidation is set are parsed only when they run). Validation already
//! refuses the kinds nothing can run; this closes the gap for kinds validation accepts but
//! whose runtime task is still to come (Execute SQL, Execute Package, Send Mail). It must not
//! run anything.

use super::properties::PropertyOverrides;
use super::tasks;
use ssisd_engine::model::{EventHandler, Executable, ExecutableKind, Package};

/// One refusal: the executable's path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub reason: String,
}

fn check(e: &Executable, disabled: bool, out: &mut Vec<Refusal>) {
    let disabled = disabled || e.properties.disabled;
    if let (ExecutableKind::Task(kind), false) = (&e.kind, disabled) {
        if !tasks::is_implemented(kind) {
            out.push(Refusal {
                path: e.path.clone(),
                reason: format!("{}s cannot run yet", kind.display_name()),
            });
        } else if !e.properties.delay_validation {
            if let Err(reason) =
                tasks::create(kind, e.object_data.as_ref(), &PropertyOverrides::default())
            {
                out.push(Refusal {
                    path: e.path.clone(),
                    reason,
                });
            }
        }
    }
    for c in &e.executables {
        check(c, disabled, out);
    }
    handlers(&e.event_handlers, disabled, out);
}

fn handlers(hs: &[EventHandler], disabled: bool, out: &mut Vec<Refusal>) {
    for h in hs {
        for c in &h.executables {
            check(c, disabled || h.properties.disabled, out);
        }
        handlers(&h.event_handlers, disabled || h.properties.disabled, out);
    }
}

/// Everything in `package` that would stop the run before it starts.
pub fn preflight(package: &Package) -> Vec<Refusal> {
    let mut out = Vec::new();
    for e in &package.executables {
        check(e, false, &mut out);
    }
    handlers(&package.event_handlers, false, &mut out);
    out
}
