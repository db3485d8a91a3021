//! Builds a run's variable table from a package: one frame per scope (package, each
//! executable, each event handler), the system variables of each scope with their values,
//! `$Project::` and `$Package::` parameters (read-only) and the declared variables with their typed initial values. It
//! owns the initial state only; it must not run anything.
#![allow(unsafe_code)] // getuid(2) for the UserName system variable; std has no call for it.

use std::collections::HashMap;

use chrono::{DateTime, Local};

use super::variables::{SlotInfo, Variables, VariablesBuilder};
use ssisd_engine::model::{path, EventHandler, Executable, Package, Variable};
use ssisd_engine::types::{DataType, Value};
use ssisd_engine::validate::scope::variable_type;
use ssisd_engine::validate::system_variables;

/// The variable table and where each scope's frame is.
pub struct Layout {
    pub vars: Variables,
    /// Frame of each executable and event handler, by package path; `\Package` is frame 0.
    pub frames: HashMap<String, usize>,
    /// Variable expressions that did not compile: (variable path, message).
    pub errors: Vec<(String, String)>,
    /// Initial values that could not be read: (variable path, message).
    pub warnings: Vec<(String, String)>,
}

/// Facts about the run that system variables report.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub execution_id: String,
    pub start: DateTime<Local>,
    pub machine: String,
    pub user: String,
}

impl RunIdentity {
    pub fn new() -> RunIdentity {
        RunIdentity {
            execution_id: format!("{{{}}}", uuid::Uuid::new_v4().to_string().to_uppercase()),
            start: Local::now(),
            machine: machine_name(),
            user: user_name(),
        }
    }
}

impl Default for RunIdentity {
    fn default() -> Self {
        RunIdentity::new()
    }
}

fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| {
            // SAFETY: getuid has no preconditions.
            format!("uid {}", unsafe { libc::getuid() })
        })
}

struct Builder<'a> {
    b: VariablesBuilder,
    frames: HashMap<String, usize>,
    warnings: Vec<(String, String)>,
    id: &'a RunIdentity,
}

fn system_info(frame: usize, owner: &str, name: &str, ty: DataType, writable: bool) -> SlotInfo {
    SlotInfo {
        namespace: "System".into(),
        name: name.into(),
        path: path::variable(owner, "System", name),
        frame,
        ty,
        read_only: !writable,
        raise_changed_event: false,
        dtsid: String::new(),
        description: String::new(),
        expression: None,
    }
}

fn wstr(s: &str) -> Value {
    Value::WStr(s.to_string())
}

fn initial(ty: DataType) -> Value {
    match ty {
        DataType::WStr { .. } => Value::WStr(String::new()),
        DataType::Bool => Value::Bool(false),
        DataType::I4 => Value::I4(0),
        DataType::I8 => Value::I8(0),
        DataType::Object => Value::Object,
        other => Value::Null(other),
    }
}

impl Builder<'_> {
    fn declared(&mut self, frame: usize, vars: &[Variable]) {
        for v in vars {
            let ty = variable_type(v.data_type);
            let value = match Value::from_variable_text(i32::from(v.data_type), &v.value) {
                Ok(val) => val,
                Err(e) => {
                    if !v.evaluate_as_expression {
                        self.warnings.push((v.path.clone(), e.to_string()));
                    }
                    initial(ty)
                }
            };
            let writable_system =
                v.namespace == "System" && matches!(v.name.as_str(), "Propagate" | "Cancel");
            self.b.add(
                SlotInfo {
                    namespace: v.namespace.clone(),
                    name: v.name.clone(),
                    path: v.path.clone(),
                    frame,
                    ty,
                    read_only: v.read_only && !writable_system,
                    raise_changed_event: v.raise_changed_event,
                    dtsid: v.dtsid.clone(),
                    description: v.description.clone(),
                    expression: v
                        .evaluate_as_expression
                        .then(|| v.expression.clone())
                        .filter(|e| !e.trim().is_empty()),
                },
                value,
            );
        }
    }

    /// The system variables that differ per container.
    fn container_system(&mut self, frame: usize, owner: &str, name: &str, id: &str, parent: &str) {
        for (n, v) in [
            ("TaskName", wstr(name)),
            ("TaskID", wstr(id)),
            ("ParentContainerGUID", wstr(parent)),
            (
                "ContainerStartTime",
                Value::Date(self.id.start.naive_local()),
            ),
        ] {
            let ty = v.data_type();
            let ty = if ty.is_string() {
                DataType::WStr { len: 0 }
            } else {
                ty
            };
            self.b.add(system_info(frame, owner, n, ty, false), v);
        }
    }

    fn executable(&mut self, parent_frame: usize, parent_id: &str, e: &Executable) {
        let frame = self.b.frame(Some(parent_frame), &e.path);
        self.frames.insert(e.path.clone(), frame);
        self.container_system(frame, &e.path, &e.name, &e.dtsid, parent_id);
        self.declared(frame, &e.variables);
        for child in &e.executables {
            self.executable(frame, &e.dtsid, child);
        }
        for h in &e.event_handlers {
            self.handler(frame, &e.dtsid, h);
        }
    }

    fn handler(&mut self, parent_frame: usize, parent_id: &str, h: &EventHandler) {
        let frame = self.b.frame(Some(parent_frame), &h.path);
        self.frames.insert(h.path.clone(), frame);
        self.container_system(frame, &h.path, &h.event_name, &h.dtsid, parent_id);
        for (name, ty) in system_variables::EVENT_HANDLER
            .iter()
            .chain(system_variables::for_event(&h.event_name))
        {
            let writable = matches!(*name, "Propagate" | "Cancel");
            self.b.add(
                system_info(frame, &h.path, name, *ty, writable),
                initial(*ty),
            );
        }
        self.declared(frame, &h.variables);
        for child in &h.executables {
            self.executable(frame, &h.dtsid, child);
        }
        for inner in &h.event_handlers {
            self.handler(frame, &h.dtsid, inner);
        }
    }
}

/// Builds the variable table of `package` for a run identified by `id`.
pub fn layout(package: &Package, id: &RunIdentity) -> Layout {
    let mut b = Builder {
        b: VariablesBuilder::default(),
        frames: HashMap::new(),
        warnings: Vec::new(),
        id,
    };
    let root = package.path();
    let pkg = b.b.frame(None, root);
    b.frames.insert(root.to_string(), pkg);
    let p = &package.properties;
    let start = Value::Date(id.start.naive_local());
    for (name, ty) in system_variables::CONTAINER {
        let v = match *name {
            "CancelEvent" => Value::I4(0),
            "ContainerStartTime" | "StartTime" => start.clone(),
            "CreatorComputerName" => wstr(&p.creator_computer_name),
            "CreatorName" => wstr(&p.creator_name),
            "ExecutionInstanceGUID" => wstr(&id.execution_id),
            "InteractiveMode" => Value::Bool(false),
            "LocaleID" => Value::I4(p.common.locale_id),
            "MachineName" => wstr(&id.machine),
            "OfflineMode" => Value::Bool(p.offline_mode),
            "PackageID" | "TaskID" => wstr(&p.dtsid),
            "PackageName" | "TaskName" => wstr(&p.name),
            "ParentContainerGUID" => wstr(""),
            "ProductVersion" => wstr(env!("CARGO_PKG_VERSION")),
            "ServerExecutionID" => Value::I8(0),
            "TaskTransactionOption" => Value::I4(p.common.transaction_option),
            "UserName" => wstr(&id.user),
            "VersionBuild" => Value::I4(p.version_build),
            "VersionComments" => wstr(&p.version_comments),
            "VersionGUID" => wstr(&p.version_guid),
            "VersionMajor" => Value::I4(p.version_major),
            "VersionMinor" => Value::I4(p.version_minor),
            "LastModifiedProductVersion" => wstr(&p.last_modified_product_version),
            _ => initial(*ty),
        };
        b.b.add(system_info(pkg, root, name, *ty, false), v);
    }
    let project = package.project.iter().flat_map(|p| &p.parameters);
    let params = project
        .map(|p| ("$Project", p))
        .chain(package.parameters.iter().map(|p| ("$Package", p)));
    for (namespace, prm) in params {
        let ty = variable_type(prm.data_type);
        let value = Value::from_variable_text(i32::from(prm.data_type), &prm.value)
            .unwrap_or_else(|_| initial(ty));
        b.b.add(
            SlotInfo {
                namespace: namespace.into(),
                name: prm.name.clone(),
                path: if namespace == "$Project" {
                    path::variable(root, namespace, &prm.name)
                } else {
                    prm.path.clone()
                },
                frame: pkg,
                ty,
                read_only: true,
                raise_changed_event: false,
                dtsid: prm.dtsid.clone(),
                description: prm.description.clone(),
                expression: None,
            },
            value,
        );
    }
    b.declared(pkg, &package.variables);
    for e in &package.executables {
        b.executable(pkg, &p.dtsid, e);
    }
    for h in &package.event_handlers {
        b.handler(pkg, &p.dtsid, h);
    }
    let Builder {
        b: builder,
        frames,
        warnings,
        ..
    } = b;
    let (vars, errors) = builder.finish();
    Layout {
        vars,
        frames,
        errors,
        warnings,
    }
}
