//! Builds the model's tree from the DOM: the package, containers and tasks, event handlers
//! and precedence constraints (resolved to the executables they join), recursing with a
//! depth limit. Format differences are delegated to `format2008`/`format2012`, simple items
//! to `items`, Data Flow pipelines to `pipeline`. It must not decode bytes or check the
//! protection level (that is done before, in `mod.rs`).

use roxmltree::Node;

use super::error::LoadError;
use super::items::{self, object_name};
use super::xml::{dts_attr, dts_child, dts_children, items as collection, Ctx, Props};
use super::{format2008, format2012, pipeline};
use crate::model::task_kind::classify;
use crate::model::{
    path, EvalOp, EventHandler, ExecProperties, ExecResult, Executable, ExecutableClass,
    ExecutableKind, ForEachEnumerator, ForEachLoop, ForEachVariableMapping, ForLoop, Package,
    PackageProperties, PrecedenceConstraint, PropertyExpression, ProtectionLevel, TaskKind,
    Variable,
};

/// What every container-like scope holds.
struct Parts {
    variables: Vec<Variable>,
    property_expressions: Vec<PropertyExpression>,
    executables: Vec<Executable>,
    constraints: Vec<PrecedenceConstraint>,
    event_handlers: Vec<EventHandler>,
}

fn note_blanked(ctx: &mut Ctx, p: &Props) {
    for b in &p.blanked {
        ctx.note_unreadable(&p.path, b);
    }
}

fn parts(ctx: &mut Ctx, node: Node, scope: &str, depth: usize) -> Result<Parts, LoadError> {
    let variables = items::variables(ctx, node, scope)?;
    let property_expressions = items::property_expressions(node, scope);
    let mut executables = Vec::new();
    for e in collection(node, "Executables", "Executable") {
        executables.push(executable(ctx, e, scope, depth + 1)?);
    }
    let constraints = constraints(ctx, node, scope, &executables)?;
    let mut event_handlers = Vec::new();
    for h in collection(node, "EventHandlers", "EventHandler") {
        event_handlers.push(event_handler(ctx, h, scope, depth + 1)?);
    }
    Ok(Parts {
        variables,
        property_expressions,
        executables,
        constraints,
        event_handlers,
    })
}

fn exec_properties(ctx: &Ctx, node: Node, p: &Props) -> Result<ExecProperties, LoadError> {
    let d = ExecProperties::default();
    let logging_mode = match dts_child(node, "LoggingOptions") {
        Some(lo) => {
            let mut lp = Props::of(ctx, lo);
            lp.path.clone_from(&p.path);
            lp.i32("LoggingMode", 0)?
        }
        None => 0,
    };
    let max_errors = if p.get("MaxErrorCount").is_some() {
        p.i32("MaxErrorCount", d.maximum_error_count)?
    } else {
        p.i32("MaximumErrorCount", d.maximum_error_count)?
    };
    let force_value = if p.get("ForceExecutionValue").is_some() {
        p.bool("ForceExecutionValue", false)?
    } else {
        p.bool("ForceExecValue", false)?
    };
    // 2012+: `DTS:ExecValueType`; before: the `DTS:DataType` of the `ExecValue` property.
    let value_type = match p.get("ExecValueType") {
        Some(_) => p.i32("ExecValueType", d.execution_value_type)?,
        None => dts_children(node, "Property")
            .find(|c| dts_attr(*c, "Name") == Some("ExecValue"))
            .and_then(|c| dts_attr(c, "DataType"))
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(d.execution_value_type),
    };
    Ok(ExecProperties {
        disabled: p.bool("Disabled", d.disabled)?,
        fail_package_on_failure: p.bool("FailPackageOnFailure", d.fail_package_on_failure)?,
        fail_parent_on_failure: p.bool("FailParentOnFailure", d.fail_parent_on_failure)?,
        maximum_error_count: max_errors,
        force_execution_result: p.i32("ForceExecutionResult", d.force_execution_result)?,
        force_execution_value: force_value,
        execution_value: p.string("ExecValue"),
        execution_value_type: value_type,
        exec_value_variable: p.string("ExecValueVariable").trim().to_string(),
        delay_validation: p.bool("DelayValidation", d.delay_validation)?,
        transaction_option: p.i32("TransactionOption", d.transaction_option)?,
        isolation_level: p.int("ISOLevel", d.isolation_level)?,
        locale_id: p.i32("LocaleID", d.locale_id)?,
        logging_mode,
        disable_event_handlers: p.bool("DisableEventHandlers", false)?,
    })
}

fn for_each(ctx: &mut Ctx, node: Node, p: &Props) -> Result<ForEachLoop, LoadError> {
    let enumerator = match dts_child(node, "ForEachEnumerator") {
        Some(en) => {
            let owner = format!("{}.ForEachEnumerator", p.path);
            let mut ep = Props::of(ctx, en);
            ep.path.clone_from(&owner);
            note_blanked(ctx, &ep);
            let config = dts_child(en, "ObjectData").map(|od| ctx.raw_inner(od, &owner));
            Some(ForEachEnumerator {
                creation_name: ep.string("CreationName"),
                dtsid: ep.string("DTSID"),
                description: ep.string("Description"),
                config,
                property_expressions: items::property_expressions(en, &owner),
            })
        }
        None => None,
    };
    let mut mappings = Vec::new();
    for m in collection(node, "ForEachVariableMappings", "ForEachVariableMapping") {
        let mut mp = Props::of(ctx, m);
        mp.path.clone_from(&p.path);
        mappings.push(ForEachVariableMapping {
            variable_name: mp.string("VariableName"),
            value_index: mp.i32("ValueIndex", 0)?,
        });
    }
    Ok(ForEachLoop {
        enumerator,
        mappings,
        max_concurrent: p.i32("MaxConcurrent", 1)?,
    })
}

fn executable(
    ctx: &mut Ctx,
    node: Node,
    parent: &str,
    depth: usize,
) -> Result<Executable, LoadError> {
    let mut p = Props::of(ctx, node);
    let name = object_name(&p);
    let exec_path = path::child(parent, &name);
    p.path.clone_from(&exec_path);
    if depth > ctx.opts.max_depth {
        return Err(LoadError::TooDeep {
            path: exec_path,
            limit: ctx.opts.max_depth,
        });
    }
    note_blanked(ctx, &p);
    let executable_type = p.string("ExecutableType");
    let creation_name = p.string("CreationName");
    let type_for_class = if executable_type.trim().is_empty() {
        &creation_name
    } else {
        &executable_type
    };
    if type_for_class.trim().is_empty() {
        return Err(ctx.invalid(
            node,
            &exec_path,
            "the executable has no ExecutableType or CreationName; the package is damaged",
        ));
    }
    let kind = match classify(type_for_class) {
        ExecutableClass::Package => ExecutableKind::Package,
        ExecutableClass::Sequence => ExecutableKind::Sequence,
        ExecutableClass::ForLoop => ExecutableKind::ForLoop(ForLoop {
            init_expression: p.string("InitExpression"),
            eval_expression: p.string("EvalExpression"),
            assign_expression: p.string("AssignExpression"),
            max_concurrent: p.i32("MaxConcurrent", 1)?,
        }),
        ExecutableClass::ForEachLoop => ExecutableKind::ForEachLoop(for_each(ctx, node, &p)?),
        ExecutableClass::Task(k) => ExecutableKind::Task(k),
    };
    let mut object_data = None;
    let mut data_flow = None;
    if let Some(od) = dts_child(node, "ObjectData") {
        object_data = Some(ctx.raw_inner(od, &exec_path));
        if kind == ExecutableKind::Task(TaskKind::DataFlow) {
            data_flow = pipeline::read(od);
        }
    }
    let properties = exec_properties(ctx, node, &p)?;
    let parts = parts(ctx, node, &exec_path, depth)?;
    Ok(Executable {
        name,
        dtsid: p.string("DTSID"),
        ref_id: p.get("refId").map(str::to_string),
        description: p.string("Description"),
        executable_type,
        creation_name,
        kind,
        properties,
        variables: parts.variables,
        property_expressions: parts.property_expressions,
        executables: parts.executables,
        constraints: parts.constraints,
        event_handlers: parts.event_handlers,
        object_data,
        data_flow,
        raw_properties: p.into_map(),
        path: exec_path,
    })
}

fn event_handler(
    ctx: &mut Ctx,
    node: Node,
    owner: &str,
    depth: usize,
) -> Result<EventHandler, LoadError> {
    let mut p = Props::of(ctx, node);
    let event_name = match p.get("EventName").filter(|s| !s.is_empty()) {
        Some(n) => n.to_string(),
        None => p.string("CreationName"),
    };
    let handler_path = path::item(owner, "EventHandlers", &event_name);
    p.path.clone_from(&handler_path);
    if depth > ctx.opts.max_depth {
        return Err(LoadError::TooDeep {
            path: handler_path,
            limit: ctx.opts.max_depth,
        });
    }
    let properties = exec_properties(ctx, node, &p)?;
    let parts = parts(ctx, node, &handler_path, depth)?;
    Ok(EventHandler {
        event_name,
        dtsid: p.string("DTSID"),
        event_id: p.int("EventID", 0)?,
        properties,
        variables: parts.variables,
        property_expressions: parts.property_expressions,
        executables: parts.executables,
        constraints: parts.constraints,
        event_handlers: parts.event_handlers,
        path: handler_path,
    })
}

/// Finds the executable a constraint end names, by refId/name (2012+) or DTSID (2005/2008).
fn resolve(reference: &str, by_ref_id: bool, executables: &[Executable]) -> Option<usize> {
    let by_dtsid = executables
        .iter()
        .position(|e| format2008::same_dtsid(reference, &e.dtsid));
    if by_ref_id {
        executables
            .iter()
            .position(|e| format2012::ref_matches(reference, e.ref_id.as_deref(), &e.name))
            .or(by_dtsid)
    } else {
        by_dtsid
    }
}

fn constraints(
    ctx: &mut Ctx,
    node: Node,
    owner: &str,
    executables: &[Executable],
) -> Result<Vec<PrecedenceConstraint>, LoadError> {
    let mut out = Vec::new();
    for c in collection(node, "PrecedenceConstraints", "PrecedenceConstraint") {
        let mut p = Props::of(ctx, c);
        let name = object_name(&p);
        p.path = path::item(owner, "PrecedenceConstraints", &name);
        let (ends, by_ref_id) = match format2012::constraint_ends(&p) {
            (Some(f), Some(t)) => ((Some(f), Some(t)), true),
            _ => (format2008::constraint_ends(c), false),
        };
        let mut resolved = [0usize; 2];
        for (i, (end, label)) in [(&ends.0, "from"), (&ends.1, "to")].into_iter().enumerate() {
            let Some(reference) = end else {
                return Err(ctx.invalid(
                    c,
                    &p.path,
                    format!(
                        "the precedence constraint has no '{label}' executable; the package is \
                         damaged — re-create the constraint in the designer"
                    ),
                ));
            };
            resolved[i] = resolve(reference, by_ref_id, executables).ok_or_else(|| {
                ctx.invalid(
                    c,
                    &p.path,
                    format!(
                        "the precedence constraint's '{label}' end {reference} is not an \
                         executable of {owner}; the package is damaged — re-create the \
                         constraint in the designer"
                    ),
                )
            })?;
        }
        let value_code = p.int("Value", 0)?;
        let value = ExecResult::from_code(value_code).ok_or_else(|| {
            ctx.invalid(c, &p.path, format!("unknown constraint Value {value_code}"))
        })?;
        let op_code = p.int("EvalOp", 2)?;
        let eval_op = EvalOp::from_code(op_code)
            .ok_or_else(|| ctx.invalid(c, &p.path, format!("unknown EvalOp {op_code}")))?;
        let [from, to] = resolved;
        out.push(PrecedenceConstraint {
            name,
            dtsid: p.string("DTSID"),
            description: p.string("Description"),
            from,
            to,
            from_path: executables[from].path.clone(),
            to_path: executables[to].path.clone(),
            value,
            eval_op,
            logical_and: p.bool("LogicalAnd", true)?,
            expression: p.string("Expression"),
            path: p.path,
        });
    }
    Ok(out)
}

/// Builds the whole package from its root element (already checked to be `DTS:Executable`).
pub(crate) fn build_package(
    ctx: &mut Ctx,
    root: Node,
    p: Props,
    protection_level: ProtectionLevel,
) -> Result<Package, LoadError> {
    let root_path = path::PACKAGE_ROOT;
    let executable_type = p.string("ExecutableType");
    let format_version = match p.get("PackageFormatVersion").map(str::trim) {
        Some(v) if !v.is_empty() => v.parse::<u32>().map_err(|_| {
            ctx.invalid(
                root,
                root_path,
                format!("PackageFormatVersion {v:?} is not a number"),
            )
        })?,
        _ => format2008::infer_format_version(&executable_type),
    };
    note_blanked(ctx, &p);
    let properties = PackageProperties {
        name: p.string("ObjectName"),
        dtsid: p.string("DTSID"),
        description: p.string("Description"),
        creator_name: p.string("CreatorName"),
        creator_computer_name: p.string("CreatorComputerName"),
        creation_date: p.string("CreationDate"),
        version_major: p.i32("VersionMajor", 1)?,
        version_minor: p.i32("VersionMinor", 0)?,
        version_build: p.i32("VersionBuild", 0)?,
        version_guid: p.string("VersionGUID"),
        version_comments: p.string("VersionComments"),
        last_modified_product_version: p.string("LastModifiedProductVersion"),
        protection_level,
        package_type: p.i32("PackageType", 0)?,
        max_concurrent_executables: p.i32("MaxConcurrentExecutables", -1)?,
        package_priority_class: p.i32("PackagePriorityClass", 0)?,
        enable_config: p.bool("EnableConfig", false)?,
        suppress_configuration_warnings: p.bool("SuppressConfigurationWarnings", false)?,
        checkpoint_file_name: p.string("CheckpointFileName"),
        save_checkpoints: p.bool("SaveCheckpoints", false)?,
        checkpoint_usage: p.i32("CheckpointUsage", 0)?,
        offline_mode: p.bool("OfflineMode", false)?,
        common: exec_properties(ctx, root, &p)?,
    };
    let connections = items::connections(ctx, root)?;
    let configurations = items::configurations(ctx, root)?;
    let log_providers = items::log_providers(ctx, root);
    let parameters = format2012::parameters(ctx, root)?;
    let parts = parts(ctx, root, root_path, 0)?;
    Ok(Package {
        format_version,
        executable_type,
        properties,
        variables: parts.variables,
        parameters,
        connections,
        configurations,
        log_providers,
        property_expressions: parts.property_expressions,
        executables: parts.executables,
        constraints: parts.constraints,
        event_handlers: parts.event_handlers,
        unreadable_sensitive_values: std::mem::take(&mut ctx.unreadable),
        raw_properties: p.into_map(),
        project: None,
    })
}
