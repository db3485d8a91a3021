//! Finds the object a property path names in a loaded package and sets one of its
//! properties: variables and package parameters, connection managers, log providers, the
//! Foreach enumerator, and the properties of the package, containers, tasks and event
//! handlers. `/Set`, `/Conn`, `/Par` and configurations all end here. It owns the lookup and
//! the typing of the value; it must not decide whether a failure is an error or a warning,
//! nor read files.

use thiserror::Error;

use super::property_names as names;
use crate::cli::{CollectionKind, PathStep, PropertyPath};
use crate::model::{
    ConnectionManager, EventHandler, ExecProperties, Executable, ExecutableKind, Package, Parameter,
};
use crate::types::Value;

/// What happened to a value that was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The property now has the value.
    Set,
    /// The value was stored but an expression replaces it when the package runs.
    ReplacedByExpression(String),
    /// The property exists but ssisd does not model it, so the value has no effect yet.
    NotModelled(String),
}

/// Why a value could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OverrideError {
    /// The path names something the package does not have.
    #[error("the path \"{path}\" does not exist: {missing}")]
    NotFound { path: String, missing: String },
    /// The target exists but does not take the value.
    #[error("the value for \"{path}\" was rejected: {reason}")]
    Rejected { path: String, reason: String },
}

enum Container<'a> {
    Package(&'a mut Package),
    Executable(&'a mut Executable),
    Handler(&'a mut EventHandler),
}

impl<'a> Container<'a> {
    fn into_parts(self) -> (&'a mut Vec<Executable>, &'a mut Vec<EventHandler>) {
        match self {
            Container::Package(p) => (&mut p.executables, &mut p.event_handlers),
            Container::Executable(e) => (&mut e.executables, &mut e.event_handlers),
            Container::Handler(h) => (&mut h.executables, &mut h.event_handlers),
        }
    }
}

fn not_found(path: &PropertyPath, missing: String) -> OverrideError {
    OverrideError::NotFound {
        path: path.to_string(),
        missing,
    }
}

fn rejected(path: &PropertyPath, reason: String) -> OverrideError {
    OverrideError::Rejected {
        path: path.to_string(),
        reason,
    }
}

/// Walks the container steps of `path` down from the package.
fn container<'a>(
    package: &'a mut Package,
    path: &PropertyPath,
) -> Result<Container<'a>, OverrideError> {
    match path.steps.first() {
        Some(PathStep::Container(root)) if root.eq_ignore_ascii_case("Package") => {}
        _ => {
            return Err(not_found(
                path,
                "a property path starts with \\Package".to_string(),
            ))
        }
    }
    let mut here = String::from("\\Package");
    let mut cur = Container::Package(package);
    for step in &path.steps[1..] {
        let (execs, handlers) = cur.into_parts();
        cur = match step {
            PathStep::Container(name) => {
                let found = execs.iter_mut().find(|e| e.name.eq_ignore_ascii_case(name));
                match found {
                    Some(e) => Container::Executable(e),
                    None => {
                        return Err(not_found(
                            path,
                            format!("\"{here}\" has no container or task named \"{name}\""),
                        ))
                    }
                }
            }
            PathStep::EventHandler(name) => {
                let found = handlers
                    .iter_mut()
                    .find(|h| h.event_name.eq_ignore_ascii_case(name));
                match found {
                    Some(h) => Container::Handler(h),
                    None => {
                        return Err(not_found(
                            path,
                            format!("\"{here}\" has no {name} event handler"),
                        ))
                    }
                }
            }
        };
        here = match step {
            PathStep::Container(name) => format!("{here}\\{name}"),
            PathStep::EventHandler(name) => format!("{here}.EventHandlers[{name}]"),
        };
    }
    Ok(cur)
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "-1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("\"{v}\" is not a Boolean (True or False)")),
    }
}

/// A forced execution value's type that is neither a type code nor a type name; holds the text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("\"{0}\" is not a data type (a type code such as 3, or a name such as Int32)")]
pub struct UnknownValueType(pub String);

/// A forced execution value's type: a variable type code (`3`) or its name (`Int32`).
pub fn parse_value_type(v: &str) -> Result<i32, UnknownValueType> {
    let t = v.trim();
    if let Ok(n) = t.parse::<i32>() {
        return Ok(n);
    }
    let code = match t.to_ascii_lowercase().as_str() {
        "boolean" => 11,
        "byte" => 17,
        "string" => 8,
        "datetime" => 7,
        "decimal" => 14,
        "double" => 5,
        "int16" => 2,
        "int32" => 3,
        "int64" => 20,
        "object" => 13,
        "sbyte" => 16,
        "single" => 4,
        "uint16" => 18,
        "uint32" => 19,
        "uint64" => 21,
        _ => return Err(UnknownValueType(v.to_string())),
    };
    Ok(code)
}

fn parse_int<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("\"{v}\" is not a valid integer for this property"))
}

/// Sets one of the properties every executable shares; `name` is SSIS's name from
/// [`names::CONTAINER`] or [`names::TASK_HOST`]; `None` when it is not one of them.
fn set_exec_property(p: &mut ExecProperties, name: &str, v: &str) -> Option<Result<(), String>> {
    let r = match name {
        "Disable" => parse_bool(v).map(|b| p.disabled = b),
        "FailPackageOnFailure" => parse_bool(v).map(|b| p.fail_package_on_failure = b),
        "FailParentOnFailure" => parse_bool(v).map(|b| p.fail_parent_on_failure = b),
        "MaximumErrorCount" => parse_int(v).map(|n| p.maximum_error_count = n),
        "ForceExecutionResult" => parse_int(v).map(|n| p.force_execution_result = n),
        "ForceExecutionValue" => parse_bool(v).map(|b| p.force_execution_value = b),
        "ForcedExecutionValue" => {
            p.execution_value = v.to_string();
            Ok(())
        }
        "ForcedExecutionValueType" => parse_value_type(v)
            .map(|n| p.execution_value_type = n)
            .map_err(|e| e.to_string()),
        "ExecValueVariable" => {
            p.exec_value_variable = v.trim().to_string();
            Ok(())
        }
        "DelayValidation" => parse_bool(v).map(|b| p.delay_validation = b),
        "TransactionOption" => parse_int(v).map(|n| p.transaction_option = n),
        "IsolationLevel" => parse_int(v).map(|n| p.isolation_level = n),
        "LocaleID" => parse_int(v).map(|n| p.locale_id = n),
        "LoggingMode" => parse_int(v).map(|n| p.logging_mode = n),
        "DisableEventHandlers" => parse_bool(v).map(|b| p.disable_event_handlers = b),
        _ => return None,
    };
    Some(r)
}

fn set_package_property(p: &mut Package, name: &str, v: &str) -> Option<Result<(), String>> {
    let props = &mut p.properties;
    let text = |field: &mut String| {
        *field = v.to_string();
        Ok(())
    };
    let r = match name {
        "Name" => text(&mut props.name),
        "Description" => text(&mut props.description),
        "MaxConcurrentExecutables" => parse_int(v).map(|n| props.max_concurrent_executables = n),
        "CheckpointFileName" => text(&mut props.checkpoint_file_name),
        "SaveCheckpoints" => parse_bool(v).map(|b| props.save_checkpoints = b),
        "CheckpointUsage" => parse_int(v).map(|n| props.checkpoint_usage = n),
        "OfflineMode" => parse_bool(v).map(|b| props.offline_mode = b),
        "SuppressConfigurationWarnings" => {
            parse_bool(v).map(|b| props.suppress_configuration_warnings = b)
        }
        "EnableConfigurations" => parse_bool(v).map(|b| props.enable_config = b),
        "PackagePriorityClass" => parse_int(v).map(|n| props.package_priority_class = n),
        "PackageType" => parse_int(v).map(|n| props.package_type = n),
        "VersionComments" => text(&mut props.version_comments),
        "VersionMajor" => parse_int(v).map(|n| props.version_major = n),
        "VersionMinor" => parse_int(v).map(|n| props.version_minor = n),
        "VersionBuild" => parse_int(v).map(|n| props.version_build = n),
        "CreatorName" => text(&mut props.creator_name),
        "CreatorComputerName" => text(&mut props.creator_computer_name),
        "CreationDate" => text(&mut props.creation_date),
        _ => return set_exec_property(&mut props.common, name, v),
    };
    Some(r)
}

fn set_executable_property(e: &mut Executable, name: &str, v: &str) -> Option<Result<(), String>> {
    match (&mut e.kind, name) {
        (_, "Description") => e.description = v.to_string(),
        (_, "Name") => e.name = v.to_string(),
        (ExecutableKind::ForLoop(l), "InitExpression") => l.init_expression = v.to_string(),
        (ExecutableKind::ForLoop(l), "EvalExpression") => l.eval_expression = v.to_string(),
        (ExecutableKind::ForLoop(l), "AssignExpression") => l.assign_expression = v.to_string(),
        (ExecutableKind::ForLoop(l), "MaxConcurrent") => {
            return Some(parse_int(v).map(|n| l.max_concurrent = n))
        }
        (ExecutableKind::ForEachLoop(l), "MaxConcurrent") => {
            return Some(parse_int(v).map(|n| l.max_concurrent = n))
        }
        _ => return set_exec_property(&mut e.properties, name, v),
    }
    Some(Ok(()))
}

/// The property lists that apply to an executable of `kind`.
fn executable_names(kind: &ExecutableKind) -> Vec<&'static [names::PropertyName]> {
    let mut lists = vec![names::CONTAINER];
    match kind {
        ExecutableKind::Task(_) => lists.push(names::TASK_HOST),
        ExecutableKind::ForLoop(_) => lists.push(names::FOR_LOOP),
        ExecutableKind::ForEachLoop(_) => lists.push(names::FOREACH_LOOP),
        ExecutableKind::Sequence | ExecutableKind::Package => {}
    }
    lists
}

/// What to do with a value for a property SSIS has but ssisd does not take, or `None` to set
/// it.
fn unsettable(
    p: &names::PropertyName,
    path: &PropertyPath,
    here: &str,
) -> Option<Result<Applied, OverrideError>> {
    match p.effect {
        names::Effect::Set => None,
        names::Effect::NotModelled => Some(Ok(Applied::NotModelled(format!(
            "the property {} of \"{here}\" is not modelled by ssisd; the value has no effect",
            p.name
        )))),
        names::Effect::ReadOnly => Some(Err(rejected(
            path,
            format!("the property {} of \"{here}\" is read-only", p.name),
        ))),
    }
}

/// Whether a task's payload carries an attribute named `name` (a task-specific property).
fn payload_has(e: &Executable, name: &str) -> bool {
    let Some(data) = &e.object_data else {
        return false;
    };
    let text = data.as_str().to_ascii_lowercase();
    let needle = format!("{}=\"", name.to_ascii_lowercase());
    text.match_indices(&needle).any(|(i, _)| {
        i > 0 && matches!(text.as_bytes()[i - 1], b':' | b' ' | b'\n' | b'\t' | b'\r')
    })
}

fn container_property(
    c: Container<'_>,
    path: &PropertyPath,
    value: &str,
) -> Result<Applied, OverrideError> {
    let name = path.property.as_str();
    let lists = match &c {
        Container::Package(_) => vec![names::CONTAINER, names::PACKAGE],
        Container::Executable(e) => executable_names(&e.kind),
        Container::Handler(_) => vec![names::CONTAINER],
    };
    let known = names::find(&lists, name);
    let here = match &c {
        Container::Package(_) => "\\Package".to_string(),
        Container::Executable(e) => e.path.clone(),
        Container::Handler(h) => h.path.clone(),
    };
    if let Some(p) = known {
        if let Some(r) = unsettable(p, path, &here) {
            return r;
        }
    }
    let ssis = known.map(|p| p.name).unwrap_or("");
    let (set, raw, task_prop) = match c {
        Container::Package(p) => {
            let set = set_package_property(p, ssis, value);
            (set, Some(&mut p.raw_properties), false)
        }
        Container::Executable(e) => {
            let set = set_executable_property(e, ssis, value);
            let task_prop = set.is_none() && payload_has(e, name);
            (set, Some(&mut e.raw_properties), task_prop)
        }
        Container::Handler(h) => {
            let set = match ssis {
                "Description" | "Name" => None,
                _ => set_exec_property(&mut h.properties, ssis, value),
            };
            (set, None, false)
        }
    };
    match set {
        Some(Ok(())) => return Ok(Applied::Set),
        Some(Err(reason)) => return Err(rejected(path, reason)),
        None => {}
    }
    if let Some(raw) = raw {
        if let Some(key) = raw.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned() {
            raw.insert(key, value.to_string());
            return Ok(Applied::Set);
        }
    }
    if task_prop {
        return Ok(Applied::NotModelled(format!(
            "the task property {name} of \"{here}\" is kept in the task's own data, which ssisd \
             does not rewrite yet; the value has no effect"
        )));
    }
    if let Some(p) = known {
        // A property every container has that this one keeps nowhere (an event handler's
        // name and description).
        return Ok(Applied::NotModelled(format!(
            "the property {} of \"{here}\" is not modelled by ssisd; the value has no effect",
            p.name
        )));
    }
    Err(not_found(
        path,
        format!("\"{here}\" has no property named \"{name}\""),
    ))
}

fn is_value(path: &PropertyPath) -> bool {
    path.property.eq_ignore_ascii_case("Value")
}

fn variable_property(
    c: Container<'_>,
    path: &PropertyPath,
    value: &str,
) -> Result<Applied, OverrideError> {
    let Some(var) = path.variable() else {
        return Err(not_found(path, "no variable is named".to_string()));
    };
    let (vars, here) = match c {
        Container::Package(p) => {
            if let Some(ns) = var.namespace.filter(|ns| ns.starts_with('$')) {
                return parameter_value(p, ns, var.name, value, path);
            }
            (&mut p.variables, "\\Package".to_string())
        }
        Container::Executable(e) => (&mut e.variables, e.path.clone()),
        Container::Handler(h) => (&mut h.variables, h.path.clone()),
    };
    let found = vars.iter_mut().find(|v| {
        v.name == var.name
            && var
                .namespace
                .is_none_or(|ns| ns.eq_ignore_ascii_case(&v.namespace))
    });
    let Some(v) = found else {
        let shown = match var.namespace {
            Some(ns) => format!("{ns}::{}", var.name),
            None => var.name.to_string(),
        };
        return Err(not_found(
            path,
            format!("\"{here}\" has no variable \"{shown}\""),
        ));
    };
    let prop = path.property.to_ascii_lowercase();
    match prop.as_str() {
        "value" => {
            Value::from_variable_text(i32::from(v.data_type), value)
                .map_err(|e| rejected(path, e.to_string()))?;
            v.value = value.to_string();
            if v.evaluate_as_expression {
                return Ok(Applied::ReplacedByExpression(format!(
                    "the variable {} is evaluated as an expression, which replaces the value \
                     set here",
                    v.qualified_name()
                )));
            }
        }
        "expression" => v.expression = value.to_string(),
        "evaluateasexpression" => {
            v.evaluate_as_expression = parse_bool(value).map_err(|e| rejected(path, e))?
        }
        "readonly" => v.read_only = parse_bool(value).map_err(|e| rejected(path, e))?,
        "raisechangedevent" => {
            v.raise_changed_event = parse_bool(value).map_err(|e| rejected(path, e))?
        }
        "description" => v.description = value.to_string(),
        _ => {
            return Err(not_found(
                path,
                format!(
                    "a variable has no property named \"{}\"; use Value, Expression, \
                     EvaluateAsExpression, ReadOnly, RaiseChangedEvent or Description",
                    path.property
                ),
            ))
        }
    }
    Ok(Applied::Set)
}

fn parameter_value(
    p: &mut Package,
    namespace: &str,
    name: &str,
    value: &str,
    path: &PropertyPath,
) -> Result<Applied, OverrideError> {
    let project = namespace.eq_ignore_ascii_case("$Project");
    if !project && !namespace.eq_ignore_ascii_case("$Package") {
        return Err(not_found(
            path,
            format!("there are no {namespace} parameters; use $Package:: or $Project::"),
        ));
    }
    if project && p.project.is_none() {
        return Err(not_found(
            path,
            "a package run from a file has no $Project parameters; run it with /Proj[ect] and \
             /Pack[age]"
                .to_string(),
        ));
    }
    if !is_value(path) {
        return Err(not_found(
            path,
            "only the value of a parameter can be set".to_string(),
        ));
    }
    let set = if project {
        set_project_parameter(p, name, value)
    } else {
        set_parameter(p, name, value)
    };
    set.map_err(|e| match e {
        ParameterError::NotFound if project => {
            not_found(path, format!("the project has no parameter \"{name}\""))
        }
        ParameterError::NotFound => {
            not_found(path, format!("the package has no parameter \"{name}\""))
        }
        ParameterError::Rejected(reason) => rejected(path, reason),
    })?;
    Ok(Applied::Set)
}

/// Why a parameter could not be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterError {
    NotFound,
    Rejected(String),
}

/// Sets the value of the package parameter `name` (exact name first, then ignoring case).
pub fn set_parameter(p: &mut Package, name: &str, value: &str) -> Result<(), ParameterError> {
    let idx = p
        .parameters
        .iter()
        .position(|x| x.name == name)
        .or_else(|| {
            p.parameters
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(name))
        })
        .ok_or(ParameterError::NotFound)?;
    assign_parameter(&mut p.parameters[idx], value)
}

/// Gives `param` the text `value` when it reads as the parameter's type. The refusal of a
/// sensitive parameter's value never repeats the value.
fn assign_parameter(param: &mut Parameter, value: &str) -> Result<(), ParameterError> {
    Value::from_variable_text(i32::from(param.data_type), value).map_err(|reason| {
        if param.sensitive {
            let ty = crate::validate::scope::variable_type(param.data_type);
            ParameterError::Rejected(format!(
                "the value given for the sensitive parameter \"{}\" is not a valid {} value",
                param.name,
                ty.static_name()
            ))
        } else {
            ParameterError::Rejected(reason.to_string())
        }
    })?;
    param.value = value.to_string();
    Ok(())
}

/// Sets the value of the project parameter `name` of a package loaded from a project.
pub fn set_project_parameter(
    p: &mut Package,
    name: &str,
    value: &str,
) -> Result<(), ParameterError> {
    let scope = p.project.as_mut().ok_or(ParameterError::NotFound)?;
    let idx = scope
        .parameters
        .iter()
        .position(|x| x.name == name)
        .or_else(|| {
            scope
                .parameters
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(name))
        })
        .ok_or(ParameterError::NotFound)?;
    assign_parameter(&mut scope.parameters[idx], value)
}

/// Finds a connection manager by name, DTSID, refId or `{GUID}:external` reference
/// (`model::connection::find`).
pub fn find_connection<'a>(
    p: &'a mut Package,
    name_or_id: &str,
) -> Option<&'a mut ConnectionManager> {
    let i = crate::model::connection::find(&p.connections, name_or_id)?;
    p.connections.get_mut(i)
}

/// Why a connection manager's property cannot take a value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectionPropertyError {
    /// The value does not read as the property's type; the text says why.
    #[error("{0}")]
    Value(String),
    #[error("the property {property} of the connection manager {manager} is read-only")]
    ReadOnly {
        property: &'static str,
        manager: String,
    },
}

/// Sets a property of a connection manager.
pub fn set_connection_property(
    cm: &mut ConnectionManager,
    property: &str,
    value: &str,
) -> Result<Applied, ConnectionPropertyError> {
    let known = names::find(&[names::CONNECTION_MANAGER], property);
    match known.map(|p| (p.name, p.effect)) {
        Some(("ConnectionString", _)) => cm.connection_string = value.to_string(),
        Some(("Description", _)) => cm.description = value.to_string(),
        Some(("DelayValidation", _)) => {
            cm.delay_validation = parse_bool(value).map_err(ConnectionPropertyError::Value)?
        }
        Some(("Name", _)) => cm.name = value.to_string(),
        Some((name, names::Effect::ReadOnly)) => {
            return Err(ConnectionPropertyError::ReadOnly {
                property: name,
                manager: cm.name.clone(),
            })
        }
        _ => {
            return Ok(Applied::NotModelled(format!(
                "the property {property} of the connection manager {} belongs to its \
                 connection type, which ssisd models only through ConnectionString; the value \
                 has no effect",
                cm.name
            )))
        }
    }
    Ok(Applied::Set)
}

/// Applies `value` to the property `path` names.
pub fn apply(p: &mut Package, path: &PropertyPath, value: &str) -> Result<Applied, OverrideError> {
    let kind = path.collection.as_ref().map(|c| (c.kind, c.item.clone()));
    let c = container(p, path)?;
    match kind {
        None => container_property(c, path, value),
        Some((CollectionKind::Variables, _)) => variable_property(c, path, value),
        Some((CollectionKind::Connections, item)) => {
            let item = item.unwrap_or_default();
            let Container::Package(p) = c else {
                return Err(not_found(
                    path,
                    "connection managers belong to the package: write \\Package.Connections[…]"
                        .to_string(),
                ));
            };
            let Some(cm) = find_connection(p, &item) else {
                return Err(not_found(
                    path,
                    format!("the package has no connection manager named \"{item}\""),
                ));
            };
            set_connection_property(cm, &path.property, value)
                .map_err(|e| rejected(path, e.to_string()))
        }
        Some((CollectionKind::LogProviders, item)) => {
            let item = item.unwrap_or_default();
            let Container::Package(p) = c else {
                return Err(not_found(
                    path,
                    "log providers belong to the package: write \\Package.LogProviders[…]"
                        .to_string(),
                ));
            };
            let Some(lp) = p
                .log_providers
                .iter_mut()
                .find(|l| l.name.eq_ignore_ascii_case(&item))
            else {
                return Err(not_found(
                    path,
                    format!("the package has no log provider named \"{item}\""),
                ));
            };
            match path.property.to_ascii_lowercase().as_str() {
                "configstring" => lp.config_string = value.to_string(),
                "description" => lp.description = value.to_string(),
                _ => {
                    return Err(not_found(
                        path,
                        format!("a log provider has no property named \"{}\"", path.property),
                    ))
                }
            }
            Ok(Applied::Set)
        }
        Some((CollectionKind::ForEachEnumerator, _)) => match c {
            Container::Executable(Executable {
                kind: ExecutableKind::ForEachLoop(l),
                path: here,
                ..
            }) if l.enumerator.is_some() => Ok(Applied::NotModelled(format!(
                "the enumerator properties of \"{here}\" are kept in its own data, which ssisd \
                 does not rewrite yet; the value has no effect"
            ))),
            _ => Err(not_found(
                path,
                "only a Foreach Loop with an enumerator has a ForEachEnumerator".to_string(),
            )),
        },
    }
}
