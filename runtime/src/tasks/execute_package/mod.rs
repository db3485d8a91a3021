//! The Execute Package task: runs a child package found by project reference (the package of
//! the run's project, or a sibling `.dtsx` of the parent's file), through a FILE connection, or
//! in SQL Server through an OLE DB connection (fetched by the run's `PackageResolver`) — a
//! child file not where its reference says is looked up in the run's package path — bound to the parent through
//! `ParameterAssignment`s and the child's parent-variable configurations — in process by
//! default (`run::run_package` with the parent's sink, child paths under the task's, and the
//! same cancel token), or as its own `dtexec` with `ExecuteOutOfProcess`. The child's failure
//! fails the task, its cancellation cancels it, and nesting deeper than
//! [`depth::MAX_DEPTH`] is refused. This file owns the order of those steps; each is its own
//! file.

mod child;
mod config;
mod depth;
mod out_of_process;
mod sink;

use std::sync::Arc;

use self::config::ExecutePackageConfig;
use super::references::UnusableManager;
use super::{Reference, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::properties::PropertyOverrides;
use crate::{run_package, RunOptions};
use ssisd_engine::model::{ExecResult, RawXml};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutePackage {
    pub config: ExecutePackageConfig,
}

impl ExecutePackage {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        Ok(ExecutePackage {
            config: ExecutePackageConfig::parse(od, o)?,
        })
    }

    fn in_process(
        &self,
        ctx: &TaskContext<'_>,
        child: &child::ChildRef,
        depth: usize,
        chain: Vec<std::path::PathBuf>,
    ) -> TaskOutcome {
        let file = &child.path;
        let prepared = match child::prepare(child, &self.config, ctx) {
            Ok(p) => p,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        for w in &prepared.warnings {
            ctx.warning(crate::events::codes::TASK_WARNING, w);
        }
        let options = RunOptions {
            max_concurrent: ctx.run_options().max_concurrent,
            package_file: Some(file.to_path_buf()),
            kill_grace: ctx.run_options().kill_grace,
            cancel: ctx.cancel_token().clone(),
            package_resolver: ctx.run_options().package_resolver.clone(),
            project: ctx.run_options().project.clone(),
            package_path: ctx.run_options().package_path.clone(),
        };
        let _registered = depth::Registration::new(&options, depth, chain);
        let sink = Arc::new(sink::ChildSink::new(ctx));
        let outcome = run_package(&prepared.package, &options, sink);
        match outcome.result {
            ExecResult::Success | ExecResult::Completion => TaskOutcome::Success,
            ExecResult::Canceled => TaskOutcome::Canceled,
            ExecResult::Failure => ctx.fail(&format!(
                "The child package \"{}\" failed ({} error{}).",
                file.display(),
                outcome.errors,
                if outcome.errors == 1 { "" } else { "s" }
            )),
        }
    }

    fn out_of_process(
        &self,
        ctx: &TaskContext<'_>,
        child: &child::ChildRef,
        depth: usize,
    ) -> TaskOutcome {
        // The child is loaded here only to learn its parent-variable configurations.
        let sets = match child::load(child, &self.config, ctx) {
            Ok(p) => {
                let (values, warnings) = child::parent_variable_values(&p, ctx);
                for w in &warnings {
                    ctx.warning(crate::events::codes::TASK_WARNING, w);
                }
                values
            }
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let parameters = match child::parameter_values(&self.config, ctx) {
            Ok(p) => p,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let source = match (&child.in_project, &ctx.run_options().project) {
            (Some(file), Some(project)) => out_of_process::Source::Project {
                project: project.location().to_path_buf(),
                package: file.clone(),
                parameters: out_of_process::project_values(ctx.package(), project),
            },
            _ => out_of_process::Source::File(child.path.clone()),
        };
        let command =
            out_of_process::command(&source, &parameters, &sets, &ctx.run_options().package_path);
        // A project's package opens with the project's password (dtexec's), a file with the
        // task's.
        let password = match (&child.in_project, &ctx.run_options().project) {
            (Some(_), Some(project)) => project.password(),
            _ => self.config.password.as_ref(),
        };
        out_of_process::run(ctx, command, depth, password)
    }
}

impl Task for ExecutePackage {
    fn references(&self) -> Vec<Reference> {
        let c = &self.config;
        let mut refs = Vec::new();
        if !c.use_project_reference {
            refs.push(Reference::connection(
                "Connection",
                &c.connection,
                |kind, _| {
                    let k = kind.trim();
                    if k.eq_ignore_ascii_case("FILE") || k.eq_ignore_ascii_case("OLEDB") {
                        Ok(())
                    } else {
                        Err(UnusableManager::NotPackageSource(k.to_string()))
                    }
                },
            ));
        }
        for b in &c.bindings {
            // Project parameters belong to the project, which validation does not see here.
            if !b.source.trim().starts_with("$Project::") {
                refs.push(Reference::variable("ParameterAssignment", &b.source));
            }
        }
        refs
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let child = match child::resolve(&self.config, ctx) {
            Ok(f) => f,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let (parent_depth, mut chain) = depth::current(ctx.run_options());
        let depth = parent_depth + 1;
        if let Some(msg) = depth::refusal(depth, &chain, &child.path) {
            return ctx.fail(&msg);
        }
        if ctx.is_cancelled() {
            return TaskOutcome::Canceled;
        }
        if self.config.execute_out_of_process {
            return self.out_of_process(ctx, &child, depth);
        }
        chain.push(child.path.clone());
        self.in_process(ctx, &child, depth, chain)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    use crate::events::{EventBody, Level, Recorder};
    use crate::{run_package, PackageResolver, ResolveError, RunOptions, StoredPackageRequest};
    use ssisd_engine::model::ExecResult;

    const CHILD: &str = r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{44444444-0000-4000-8000-000000000001}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="Child" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Variables><DTS:Variable DTS:CreationName="" DTS:DTSID="{44444444-0000-4000-8000-000000000002}" DTS:Namespace="User" DTS:ObjectName="N"><DTS:VariableValue DTS:DataType="3">1</DTS:VariableValue></DTS:Variable></DTS:Variables>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Step" DTS:CreationName="Microsoft.ExpressionTask" DTS:DTSID="{44444444-0000-4000-8000-000000000003}" DTS:ExecutableType="Microsoft.ExpressionTask" DTS:ObjectName="Step"><DTS:Variables /><DTS:ObjectData><ExpressionTask Expression="@[User::N] = 2" /></DTS:ObjectData></DTS:Executable></DTS:Executables>
</DTS:Executable>"#;

    fn parent(package_name: &str) -> ssisd_engine::model::Package {
        let xml = format!(
            r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{44444444-0000-4000-8000-000000000010}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="Parent" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:ConnectionManagers><DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[Msdb]" DTS:CreationName="OLEDB" DTS:DTSID="{{44444444-0000-4000-8000-000000000011}}" DTS:ObjectName="Msdb"><DTS:ObjectData><DTS:ConnectionManager DTS:ConnectionString="Data Source=db1;User ID=etl;Initial Catalog=msdb;Provider=SQLNCLI11.1;" /></DTS:ObjectData></DTS:ConnectionManager></DTS:ConnectionManagers>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Run" DTS:CreationName="Microsoft.ExecutePackageTask" DTS:DTSID="{{44444444-0000-4000-8000-000000000012}}" DTS:ExecutableType="Microsoft.ExecutePackageTask" DTS:ObjectName="Run"><DTS:Variables /><DTS:ObjectData><ExecutePackageTask><PackageName>{package_name}</PackageName><Connection>{{44444444-0000-4000-8000-000000000011}}</Connection></ExecutePackageTask></DTS:ObjectData></DTS:Executable></DTS:Executables>
</DTS:Executable>"#
        );
        ssisd_engine::load_package(xml.as_bytes()).expect("parent loads")
    }

    /// Serves packages from a directory: `\Folder\Name` is `<dir>/Name.dtsx`.
    struct Directory {
        dir: PathBuf,
        asked: Mutex<Vec<StoredPackageRequest>>,
    }

    impl PackageResolver for Directory {
        fn fetch_msdb(&self, request: &StoredPackageRequest) -> Result<PathBuf, ResolveError> {
            if let Ok(mut g) = self.asked.lock() {
                g.push(request.clone());
            }
            let name = request.package_path.rsplit('\\').next().unwrap_or_default();
            let file = self.dir.join(format!("{name}.dtsx"));
            if file.is_file() {
                Ok(file)
            } else {
                Err(ResolveError::Store(
                    format!("no package named \"{name}\" in msdb").into(),
                ))
            }
        }
    }

    fn run(
        p: &ssisd_engine::model::Package,
        resolver: Option<Arc<dyn PackageResolver>>,
    ) -> (ExecResult, Vec<EventBody>) {
        let rec = Arc::new(Recorder::default());
        let options = RunOptions {
            package_resolver: resolver,
            ..RunOptions::default()
        };
        let out = run_package(p, &options, rec.clone());
        (
            out.result,
            rec.events().into_iter().map(|e| e.body).collect(),
        )
    }

    fn errors(events: &[EventBody]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                EventBody::Message {
                    level: Level::Error,
                    description,
                    ..
                } => Some(description.clone()),
                _ => None,
            })
            .collect()
    }

    fn directory(dir: &Path) -> Arc<Directory> {
        Arc::new(Directory {
            dir: dir.to_path_buf(),
            asked: Mutex::new(Vec::new()),
        })
    }

    #[test]
    fn a_stored_child_is_fetched_through_the_resolver_and_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("Child.dtsx"), CHILD).expect("write");
        let resolver = directory(dir.path());
        let (result, events) = run(&parent("\\Sales\\Child"), Some(resolver.clone()));
        assert_eq!(result, ExecResult::Success, "{:?}", errors(&events));
        assert!(events.iter().any(|e| matches!(e,
            EventBody::ExecutableFinished { path, result: ExecResult::Success, .. }
                if path == "\\Package\\Run\\Package\\Step")));
        let asked = resolver.asked.lock().expect("lock").clone();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].package_path, "\\Sales\\Child");
        assert_eq!(asked[0].connection, "Msdb");
        assert!(asked[0].connection_string.contains("Data Source=db1"));
    }

    #[test]
    fn a_resolver_failure_fails_the_task_with_its_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (result, events) = run(&parent("\\Sales\\Missing"), Some(directory(dir.path())));
        assert_eq!(result, ExecResult::Failure);
        let e = errors(&events).join("\n");
        assert!(e.contains("\\Sales\\Missing"), "{e}");
        assert!(e.contains("no package named \"Missing\" in msdb"), "{e}");
    }

    #[test]
    fn without_a_resolver_stored_children_are_refused() {
        let (result, events) = run(&parent("\\Sales\\Child"), None);
        assert_eq!(result, ExecResult::Failure);
        let e = errors(&events).join("\n");
        assert!(e.contains("stored in SQL Server (msdb)"), "{e}");
        assert!(e.contains("\"Msdb\""), "{e}");
    }
}
