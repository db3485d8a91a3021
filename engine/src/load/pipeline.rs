//! Reads a Data Flow task's `pipeline` element (both the 2005/2008 numeric-id layout and the
//! 2012+ refId layout) into the descriptive `model::DataFlow`: components, connections,
//! inputs/outputs with column counts, and paths. It must not interpret component properties
//! or column metadata.

use roxmltree::Node;

use crate::model::{ComponentConnection, DataFlow, DataFlowComponent, DataFlowPath, DataFlowPort};

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(node: Node<'a, 'i>, list: &str, item: &'a str) -> Vec<Node<'a, 'i>> {
    child(node, list)
        .map(|l| {
            l.children()
                .filter(|c| c.is_element() && c.tag_name().name() == item)
                .collect()
        })
        .unwrap_or_default()
}

fn attr(node: Node, name: &str) -> String {
    node.attribute(name).unwrap_or("").to_string()
}

/// `refId` (2012+) or `id` (2005/2008).
fn id_of(node: Node) -> String {
    node.attribute("refId")
        .or_else(|| node.attribute("id"))
        .unwrap_or("")
        .to_string()
}

fn port(node: Node, columns: &str, column: &str) -> DataFlowPort {
    DataFlowPort {
        name: attr(node, "name"),
        id: id_of(node),
        column_count: children(node, columns, column).len(),
        external_column_count: children(node, "externalMetadataColumns", "externalMetadataColumn")
            .len(),
        is_error_output: node
            .attribute("isErrorOut")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }
}

/// Reads the `pipeline` element below a Data Flow task's `DTS:ObjectData`, if any.
pub(crate) fn read(object_data: Node) -> Option<DataFlow> {
    let pipeline = child(object_data, "pipeline")?;
    let components = children(pipeline, "components", "component")
        .into_iter()
        .map(|c| DataFlowComponent {
            name: attr(c, "name"),
            id: id_of(c),
            class_id: attr(c, "componentClassID"),
            description: attr(c, "description"),
            connections: children(c, "connections", "connection")
                .into_iter()
                .map(|k| ComponentConnection {
                    name: attr(k, "name"),
                    connection_manager_id: k
                        .attribute("connectionManagerRefId")
                        .or_else(|| k.attribute("connectionManagerID"))
                        .unwrap_or("")
                        .to_string(),
                })
                .collect(),
            inputs: children(c, "inputs", "input")
                .into_iter()
                .map(|i| port(i, "inputColumns", "inputColumn"))
                .collect(),
            outputs: children(c, "outputs", "output")
                .into_iter()
                .map(|o| port(o, "outputColumns", "outputColumn"))
                .collect(),
        })
        .collect();
    let paths = children(pipeline, "paths", "path")
        .into_iter()
        .map(|p| DataFlowPath {
            name: attr(p, "name"),
            id: id_of(p),
            start_id: attr(p, "startId"),
            end_id: attr(p, "endId"),
        })
        .collect();
    Some(DataFlow { components, paths })
}
