//! Readers for the simple items any scope or the package holds: variables, property
//! expressions, connection managers, package configurations and log providers. Each turns
//! one element into one model object with its package path; none of them recurse into
//! executables (that is `builder`).

use roxmltree::Node;

use super::error::LoadError;
use super::xml::{dts_attr, dts_child, dts_children, items, text_of, Ctx, Props};
use crate::model::{
    path, ConnectionManager, LogProvider, PackageConfiguration, PropertyExpression, Variable,
};

/// Records every property that `Props::of` had to blank.
fn note_blanked(ctx: &mut Ctx, p: &Props) {
    for b in &p.blanked {
        ctx.note_unreadable(&p.path, b);
    }
}

/// The object's name: `ObjectName`, else its DTSID, else a placeholder.
pub(crate) fn object_name(p: &Props) -> String {
    match p.get("ObjectName").filter(|s| !s.is_empty()) {
        Some(n) => n.to_string(),
        None => match p.get("DTSID").filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => "(unnamed)".to_string(),
        },
    }
}

/// The variables declared directly in the scope `node` whose path is `scope`.
pub(crate) fn variables(
    ctx: &mut Ctx,
    node: Node,
    scope: &str,
) -> Result<Vec<Variable>, LoadError> {
    let mut out = Vec::new();
    for v in items(node, "Variables", "Variable") {
        let mut p = Props::of(ctx, v);
        let namespace = p.get("Namespace").unwrap_or("User").to_string();
        let name = object_name(&p);
        p.path = path::variable(scope, &namespace, &name);
        note_blanked(ctx, &p);
        let mut data_type = 0u16;
        let mut data_sub_type = None;
        let mut value = String::new();
        if let Some(val) = dts_child(v, "VariableValue") {
            let code = dts_attr(val, "DataType").unwrap_or("0").trim();
            data_type = code
                .parse()
                .map_err(|_| ctx.invalid(val, &p.path, format!("unknown DataType {code:?}")))?;
            data_sub_type = dts_attr(val, "DataSubType").map(str::to_string);
            value = if val.children().any(|c| c.is_element()) {
                ctx.raw_inner(val, &p.path).0
            } else {
                text_of(val)
            };
        }
        out.push(Variable {
            namespace,
            name,
            scope: scope.to_string(),
            dtsid: p.string("DTSID"),
            description: p.string("Description"),
            data_type,
            data_sub_type,
            value,
            read_only: p.bool("ReadOnly", false)?,
            evaluate_as_expression: p.bool("EvaluateAsExpression", false)?,
            expression: p.string("Expression"),
            raise_changed_event: p.bool("RaiseChangedEvent", false)?,
            property_expressions: property_expressions(v, &p.path),
            path: p.path,
        });
    }
    Ok(out)
}

/// The `DTS:PropertyExpression` children of `node`, owned by `owner`.
pub(crate) fn property_expressions(node: Node, owner: &str) -> Vec<PropertyExpression> {
    dts_children(node, "PropertyExpression")
        .map(|pe| {
            let property = dts_attr(pe, "Name").unwrap_or("").to_string();
            PropertyExpression {
                path: path::property(owner, &property),
                property,
                expression: text_of(pe),
            }
        })
        .collect()
}

/// The connection managers of the package.
pub(crate) fn connections(ctx: &mut Ctx, root: Node) -> Result<Vec<ConnectionManager>, LoadError> {
    let mut out = Vec::new();
    for cm in items(root, "ConnectionManagers", "ConnectionManager") {
        out.push(connection(ctx, cm, path::PACKAGE_ROOT, "Connections")?);
    }
    Ok(out)
}

/// One `DTS:ConnectionManager` element, at `owner.collection[Name]`.
pub(crate) fn connection(
    ctx: &mut Ctx,
    cm: Node,
    owner: &str,
    collection: &str,
) -> Result<ConnectionManager, LoadError> {
    let mut p = Props::of(ctx, cm);
    let name = object_name(&p);
    p.path = path::item(owner, collection, &name);
    note_blanked(ctx, &p);
    let mut connection_string = p.string("ConnectionString");
    let mut object_data = None;
    if let Some(od) = dts_child(cm, "ObjectData") {
        if let Some(inner) = od.children().find(|c| c.is_element()) {
            if connection_string.is_empty() {
                let mut ip = Props::of(ctx, inner);
                ip.path = p.path.clone();
                note_blanked(ctx, &ip);
                connection_string = ip
                    .get("ConnectionString")
                    .or_else(|| inner.attribute("ConnectionString"))
                    .unwrap_or("")
                    .to_string();
            }
        }
        object_data = Some(ctx.raw_inner(od, &p.path));
    }
    Ok(ConnectionManager {
        name,
        dtsid: p.string("DTSID"),
        ref_id: p.get("refId").map(str::to_string),
        creation_name: p.string("CreationName"),
        description: p.string("Description"),
        connection_string,
        delay_validation: p.bool("DelayValidation", false)?,
        object_data,
        property_expressions: property_expressions(cm, &p.path),
        project: false,
        path: p.path,
    })
}

/// The package configurations declared by the package.
pub(crate) fn configurations(
    ctx: &mut Ctx,
    root: Node,
) -> Result<Vec<PackageConfiguration>, LoadError> {
    let mut out = Vec::new();
    for c in items(root, "Configurations", "Configuration") {
        let mut p = Props::of(ctx, c);
        let name = object_name(&p);
        p.path = path::item(path::PACKAGE_ROOT, "Configurations", &name);
        out.push(PackageConfiguration {
            name,
            dtsid: p.string("DTSID"),
            description: p.string("Description"),
            configuration_type: p.i32("ConfigurationType", 0)?,
            configuration_string: p.string("ConfigurationString"),
            configuration_variable: p.string("ConfigurationVariable"),
            path: p.path,
        });
    }
    Ok(out)
}

/// The log providers declared by the package.
pub(crate) fn log_providers(ctx: &mut Ctx, root: Node) -> Vec<LogProvider> {
    items(root, "LogProviders", "LogProvider")
        .into_iter()
        .map(|l| {
            let p = Props::of(ctx, l);
            let name = object_name(&p);
            LogProvider {
                path: path::item(path::PACKAGE_ROOT, "LogProviders", &name),
                name,
                dtsid: p.string("DTSID"),
                description: p.string("Description"),
                creation_name: p.string("CreationName"),
                config_string: p.string("ConfigString"),
            }
        })
        .collect()
}
