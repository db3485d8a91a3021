//! The Script Task: runs the package's own C# or Visual Basic .NET out of process, on Mono, in
//! the script host (`runtime/script-host/`, built on first use): `project.rs` reads the stored
//! script project, `mono.rs` finds Mono, `host_build.rs` builds the host, `compile.rs` chooses
//! the assembly (C# recompiled from source, else the stored binary; both cached),
//! `session.rs` runs it and turns its frames into the run's events and variables, over the
//! wire format of `protocol.rs` and the value mapping of `ssisd_pipeline::script::values`. This file owns the order
//! of those steps and the validation-time check. `component_host.rs` lends the same machinery
//! to the data flow's Script Components.

mod cache;
mod compile;
pub mod component_host;
mod host_build;
mod mono;
mod project;
mod protocol;
mod session;

use self::compile::Toolchain;
use self::project::ScriptProject;
use super::{CheckError, Reference, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::cancel::CancelToken;
use crate::process::ProcessRegistry;
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTask {
    project: ScriptProject,
}

impl ScriptTask {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        Ok(ScriptTask {
            project: ScriptProject::parse(od, o)?,
        })
    }
}

impl Task for ScriptTask {
    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let mono = match mono::find() {
            Ok(m) => m,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let host_dir = match host_build::ensure(&mono, ctx.cancel_token(), ctx.processes()) {
            Ok(d) => d,
            Err(_) if ctx.is_cancelled() => return TaskOutcome::Canceled,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let tools = Toolchain {
            mono: &mono,
            host_dir: &host_dir,
            cancel: ctx.cancel_token(),
            registry: ctx.processes(),
        };
        let prepared = match compile::prepare(&self.project.to_sources(), &tools) {
            Ok(p) => p,
            Err(_) if ctx.is_cancelled() => return TaskOutcome::Canceled,
            Err(e) => return ctx.fail(&e.to_string()),
        };
        for note in &prepared.notes {
            ctx.information(0, note);
        }
        let request = match session::request(ctx, &self.project, &prepared.assembly) {
            Ok(r) => r,
            Err(e) => return ctx.fail(&e.to_string()),
        };
        session::run(ctx, &mono, &host_dir, &request)
    }

    /// The variables of ReadOnlyVariables and ReadWriteVariables must be visible to the task.
    fn references(&self) -> Vec<Reference> {
        let listed = |property: &'static str, names: &[String]| {
            names
                .iter()
                .map(|n| Reference::variable(property, n))
                .collect::<Vec<_>>()
        };
        let mut refs = listed("ReadOnlyVariables", &self.project.read_only);
        refs.extend(listed("ReadWriteVariables", &self.project.read_write));
        refs
    }

    /// Mono is installed, the host builds, and the script compiles or the package carries a
    /// precompiled assembly (the work is cached for the run).
    fn check(&self) -> Result<(), CheckError> {
        let mono = mono::find().map_err(CheckError::new)?;
        let cancel = CancelToken::new();
        let registry = ProcessRegistry::default();
        let host_dir = host_build::ensure(&mono, &cancel, &registry).map_err(CheckError::new)?;
        compile::prepare(
            &self.project.to_sources(),
            &Toolchain {
                mono: &mono,
                host_dir: &host_dir,
                cancel: &cancel,
                registry: &registry,
            },
        )
        .map(|_| ())
        .map_err(CheckError::new)
    }
}
