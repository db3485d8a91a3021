//! Reads a Data Flow task's `pipeline` element into `model::DataFlow`, for both layouts: the
//! 2005/2008 one where every object has a numeric `id` and references are numbers, and the
//! 2012+ one where objects have `refId`s and references repeat them. For 2012+ files it first
//! numbers every object that has a refId in document order, so references resolve to numbers
//! in both eras. It reads what the file says (attributes, custom properties, columns with their
//! types); it must not decide whether a component, a type or a reference is valid.

use std::collections::HashMap;

use roxmltree::Node;

use crate::model::{
    Component, ComponentConnection, CustomProperty, DataFlow, DataFlowPath as Path, Dispositions,
    ExternalColumn, Input, InputColumn, ObjectId, Output, OutputColumn, PipelineSettings,
    Reference, RowDisposition, UsageType,
};
use crate::types::{ColumnShape, DataType};

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

fn flag(node: Node, name: &str, default: bool) -> bool {
    match node.attribute(name) {
        Some(v) => matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "-1" | "1"),
        None => default,
    }
}

fn int<T: std::str::FromStr + Default>(node: Node, name: &str) -> T {
    node.attribute(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

/// Numbers of the objects of one pipeline, by refId (2012+ only).
struct Ids {
    ref_ids: bool,
    by_ref: HashMap<String, i64>,
}

impl Ids {
    fn new(pipeline: Node) -> Ids {
        let ref_ids = pipeline.descendants().any(|n| {
            n.is_element() && n.tag_name().name() == "component" && n.has_attribute("refId")
        });
        let mut by_ref = HashMap::new();
        if ref_ids {
            let mut next = 1i64;
            for n in pipeline.descendants().filter(|n| n.is_element()) {
                if let Some(r) = n.attribute("refId") {
                    by_ref.entry(r.to_string()).or_insert_with(|| {
                        let v = next;
                        next += 1;
                        v
                    });
                }
            }
        }
        Ids { ref_ids, by_ref }
    }

    fn id(&self, node: Node) -> ObjectId {
        match node.attribute("refId") {
            Some(r) => ObjectId {
                number: self.by_ref.get(r).copied().unwrap_or(0),
                ref_id: Some(r.to_string()),
            },
            None => ObjectId {
                number: int(node, "id"),
                ref_id: None,
            },
        }
    }

    fn reference(&self, node: Node, name: &str) -> Reference {
        let text = attr(node, name);
        let number = if self.ref_ids {
            self.by_ref
                .get(&text)
                .copied()
                .or_else(|| text.trim().parse().ok())
                .unwrap_or(0)
        } else {
            text.trim().parse().unwrap_or(0)
        };
        Reference { text, number }
    }
}

fn shape(node: Node, prefix: &str) -> ColumnShape {
    let key = |n: &str| {
        if prefix.is_empty() {
            n.to_string()
        } else {
            let mut cs = n.chars();
            let first = cs
                .next()
                .map(|c| c.to_ascii_uppercase())
                .unwrap_or_default();
            format!("{prefix}{first}{}", cs.as_str())
        }
    };
    let code_page_key = if prefix.is_empty() {
        "codePage".to_string()
    } else {
        format!("{prefix}Codepage")
    };
    ColumnShape {
        length: int(node, &key("length")),
        precision: int(node, &key("precision")),
        scale: int(node, &key("scale")),
        code_page: node
            .attribute(code_page_key.as_str())
            .or_else(|| node.attribute(key("codePage").as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    }
}

fn column_type(node: Node) -> (String, Option<DataType>) {
    let name = attr(node, "dataType");
    let ty = DataType::from_pipeline_name(&name, shape(node, ""));
    (name, ty)
}

fn dispositions(node: Node) -> Dispositions {
    Dispositions {
        operation: attr(node, "errorOrTruncationOperation"),
        error: RowDisposition::parse(&attr(node, "errorRowDisposition")),
        truncation: RowDisposition::parse(&attr(node, "truncationRowDisposition")),
    }
}

fn properties(node: Node) -> Vec<CustomProperty> {
    children(node, "properties", "property")
        .into_iter()
        .map(|p| {
            let elements: Vec<String> = child(p, "arrayElements")
                .map(|a| {
                    a.children()
                        .filter(|c| c.is_element())
                        .map(|c| c.text().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default();
            let value = if elements.is_empty() {
                p.children()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect::<String>()
            } else {
                String::new()
            };
            CustomProperty {
                name: attr(p, "name"),
                data_type: attr(p, "dataType"),
                value,
                type_converter: attr(p, "typeConverter"),
                contains_id: flag(p, "containsID", false),
                expression_enabled: attr(p, "expressionType").eq_ignore_ascii_case("notify"),
                elements,
            }
        })
        .collect()
}

fn external_columns(ids: &Ids, node: Node) -> (bool, Vec<ExternalColumn>) {
    let used = child(node, "externalMetadataColumns")
        .map(|e| flag(e, "isUsed", true))
        .unwrap_or(false);
    let cols = children(node, "externalMetadataColumns", "externalMetadataColumn")
        .into_iter()
        .map(|c| {
            let (type_name, data_type) = column_type(c);
            ExternalColumn {
                id: ids.id(c),
                name: attr(c, "name"),
                description: attr(c, "description"),
                type_name,
                data_type,
                properties: properties(c),
            }
        })
        .collect();
    (used, cols)
}

fn input(ids: &Ids, node: Node) -> Input {
    let (external_metadata_used, external_columns) = external_columns(ids, node);
    Input {
        id: ids.id(node),
        name: attr(node, "name"),
        description: attr(node, "description"),
        has_side_effects: flag(node, "hasSideEffects", false),
        dangling: flag(node, "dangling", false),
        dispositions: dispositions(node),
        columns: children(node, "inputColumns", "inputColumn")
            .into_iter()
            .map(|c| {
                let cached_name = attr(c, "cachedName");
                let cached_type = c
                    .attribute("cachedDataType")
                    .and_then(|n| DataType::from_pipeline_name(n, shape(c, "cached")));
                InputColumn {
                    id: ids.id(c),
                    name: if cached_name.is_empty() {
                        attr(c, "name")
                    } else {
                        cached_name
                    },
                    description: attr(c, "description"),
                    lineage: ids.reference(c, "lineageId"),
                    usage: if attr(c, "usageType").eq_ignore_ascii_case("readWrite") {
                        UsageType::ReadWrite
                    } else {
                        UsageType::ReadOnly
                    },
                    dispositions: dispositions(c),
                    external_metadata_column: ids.reference(c, "externalMetadataColumnId"),
                    cached_type,
                    cached_sort_key_position: int(c, "cachedSortKeyPosition"),
                    properties: properties(c),
                }
            })
            .collect(),
        external_metadata_used,
        external_columns,
        properties: properties(node),
    }
}

fn output(ids: &Ids, node: Node) -> Output {
    let (external_metadata_used, external_columns) = external_columns(ids, node);
    Output {
        id: ids.id(node),
        name: attr(node, "name"),
        description: attr(node, "description"),
        synchronous_input: ids.reference(node, "synchronousInputId"),
        exclusion_group: int(node, "exclusionGroup"),
        is_error_output: flag(node, "isErrorOut", false),
        is_sorted: flag(node, "isSorted", false),
        dangling: flag(node, "dangling", false),
        delete_output_on_path_detached: flag(node, "deleteOutputOnPathDetached", false),
        has_side_effects: flag(node, "hasSideEffects", false),
        dispositions: dispositions(node),
        columns: children(node, "outputColumns", "outputColumn")
            .into_iter()
            .map(|c| {
                let (type_name, data_type) = column_type(c);
                let id = ids.id(c);
                let lineage_id = if ids.ref_ids {
                    id.number
                } else {
                    c.attribute("lineageId")
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(id.number)
                };
                OutputColumn {
                    id,
                    name: attr(c, "name"),
                    description: attr(c, "description"),
                    lineage_id,
                    type_name,
                    data_type,
                    sort_key_position: int(c, "sortKeyPosition"),
                    comparison_flags: int(c, "comparisonFlags"),
                    special_flags: int(c, "specialFlags"),
                    dispositions: dispositions(c),
                    external_metadata_column: ids.reference(c, "externalMetadataColumnId"),
                    properties: properties(c),
                }
            })
            .collect(),
        external_metadata_used,
        external_columns,
        properties: properties(node),
    }
}

fn component(ids: &Ids, c: Node) -> Component {
    Component {
        id: ids.id(c),
        name: attr(c, "name"),
        description: attr(c, "description"),
        class_id: attr(c, "componentClassID"),
        contact_info: attr(c, "contactInfo"),
        version: int(c, "version"),
        uses_dispositions: flag(c, "usesDispositions", false),
        locale_id: c
            .attribute("localeId")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(-1),
        validate_external_metadata: flag(c, "validateExternalMetadata", true),
        properties: properties(c),
        connections: children(c, "connections", "connection")
            .into_iter()
            .map(|k| ComponentConnection {
                id: ids.id(k),
                name: attr(k, "name"),
                description: attr(k, "description"),
                connection_manager_id: attr(k, "connectionManagerID"),
                connection_manager_ref_id: attr(k, "connectionManagerRefId"),
            })
            .collect(),
        inputs: children(c, "inputs", "input")
            .into_iter()
            .map(|i| input(ids, i))
            .collect(),
        outputs: children(c, "outputs", "output")
            .into_iter()
            .map(|o| output(ids, o))
            .collect(),
    }
}

fn settings(p: Node) -> PipelineSettings {
    let opt_num = |name: &str| p.attribute(name).and_then(|v| v.trim().parse().ok());
    let opt_flag = |name: &str| {
        p.attribute(name)
            .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "-1" | "1"))
    };
    PipelineSettings {
        default_buffer_max_rows: opt_num("defaultBufferMaxRows"),
        default_buffer_size: p
            .attribute("defaultBufferSize")
            .and_then(|v| v.trim().parse().ok()),
        engine_threads: opt_num("engineThreads"),
        buffer_temp_storage_path: attr(p, "bufferTempStoragePath"),
        blob_temp_storage_path: attr(p, "BLOBTempStoragePath"),
        run_in_optimized_mode: opt_flag("runInOptimizedMode"),
        auto_adjust_buffer_size: opt_flag("autoAdjustBufferSize"),
    }
}

/// Reads the `pipeline` element below a Data Flow task's `DTS:ObjectData`, if any.
pub(crate) fn read(object_data: Node) -> Option<DataFlow> {
    let pipeline = child(object_data, "pipeline")?;
    let ids = Ids::new(pipeline);
    let components = children(pipeline, "components", "component")
        .into_iter()
        .map(|c| component(&ids, c))
        .collect();
    let paths = children(pipeline, "paths", "path")
        .into_iter()
        .map(|p| Path {
            id: ids.id(p),
            name: attr(p, "name"),
            description: attr(p, "description"),
            start: ids.reference(p, "startId"),
            end: ids.reference(p, "endId"),
        })
        .collect();
    Some(DataFlow {
        uses_ref_ids: ids.ref_ids,
        settings: settings(pipeline),
        components,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(xml: &str) -> DataFlow {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        read(doc.root_element()).expect("pipeline")
    }

    #[test]
    fn numeric_layout_keeps_ids_and_lineage() {
        let df = load(
            r#"<ObjectData><pipeline id="0" defaultBufferMaxRows="500" engineThreads="5" defaultBufferSize="1048576" runInOptimizedMode="true">
<components>
<component id="1" name="Src" componentClassID="{5ACD952A-F16A-41D8-A681-713640837664}" version="1" usesDispositions="true" localeId="1049">
 <properties><property id="2" name="RetainNulls" dataType="System.Boolean">true</property></properties>
 <connections><connection id="3" name="FlatFileConnection" connectionManagerID="{ABC}"/></connections>
 <outputs><output id="4" name="Out" synchronousInputId="0" isErrorOut="false">
   <outputColumns><outputColumn id="5" name="Amount" lineageId="5" dataType="numeric" precision="12" scale="2" codePage="0" errorRowDisposition="RedirectRow" truncationRowDisposition="FailComponent" errorOrTruncationOperation="Conversion" externalMetadataColumnId="6"/></outputColumns>
   <externalMetadataColumns isUsed="True"><externalMetadataColumn id="6" name="Amount" dataType="str" length="20" codePage="1251"/></externalMetadataColumns>
 </output>
 <output id="7" name="Err" isErrorOut="true" synchronousInputId="0"/></outputs>
</component>
<component id="10" name="Dst" componentClassID="{D658C424-8CF0-441C-B3C4-955E183B7FBA}">
 <inputs><input id="11" name="In" hasSideEffects="true"><inputColumns><inputColumn id="12" lineageId="5" usageType="readWrite"/></inputColumns></input></inputs>
</component></components>
<paths><path id="20" name="Out" startId="4" endId="11"/></paths></pipeline></ObjectData>"#,
        );
        assert!(!df.uses_ref_ids);
        assert_eq!(df.settings.default_buffer_max_rows, Some(500));
        assert_eq!(df.settings.engine_threads, Some(5));
        let src = &df.components[0];
        assert_eq!(src.id.number, 1);
        assert_eq!(src.locale_id, 1049);
        assert_eq!(src.property_text("RetainNulls"), Some("true"));
        let col = &src.outputs[0].columns[0];
        assert_eq!(col.lineage_id, 5);
        assert_eq!(
            col.data_type,
            Some(DataType::Numeric {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(col.dispositions.error, RowDisposition::RedirectRow);
        assert_eq!(col.external_metadata_column.number, 6);
        assert_eq!(
            src.outputs[0].external_columns[0].data_type,
            Some(DataType::Str {
                len: 20,
                code_page: 1251
            })
        );
        assert!(!src.outputs[0].is_synchronous());
        assert!(src.outputs[1].is_error_output);
        let ic = &df.components[1].inputs[0].columns[0];
        assert_eq!(ic.lineage.number, 5);
        assert_eq!(ic.usage, UsageType::ReadWrite);
        assert_eq!((df.paths[0].start.number, df.paths[0].end.number), (4, 11));
    }

    #[test]
    fn ref_id_layout_is_numbered_and_resolved() {
        let df = load(
            r#"<ObjectData><pipeline version="1"><components>
<component refId="Package\T\Src" name="Src" componentClassID="Microsoft.FlatFileSource">
 <outputs><output refId="Package\T\Src.Outputs[O]" name="O">
  <outputColumns><outputColumn refId="Package\T\Src.Outputs[O].Columns[A]" name="A" lineageId="Package\T\Src.Outputs[O].Columns[A]" dataType="wstr" length="10"/></outputColumns></output></outputs>
</component>
<component refId="Package\T\Split" name="Split" componentClassID="Microsoft.ConditionalSplit">
 <inputs><input refId="Package\T\Split.Inputs[I]" name="I"><inputColumns>
  <inputColumn refId="Package\T\Split.Inputs[I].Columns[A]" cachedName="A" cachedDataType="wstr" cachedLength="10" lineageId="Package\T\Src.Outputs[O].Columns[A]"/></inputColumns></input></inputs>
 <outputs><output refId="Package\T\Split.Outputs[Yes]" name="Yes" exclusionGroup="1" synchronousInputId="Package\T\Split.Inputs[I]">
  <properties><property name="Expression" containsID="true" dataType="System.String">#{Package\T\Src.Outputs[O].Columns[A]} == "x"</property>
  <property name="FriendlyExpression" expressionType="Notify" containsID="true" dataType="System.String">A == "x"</property></properties></output></outputs>
</component></components>
<paths><path refId="Package\T.Paths[O]" name="O" startId="Package\T\Src.Outputs[O]" endId="Package\T\Split.Inputs[I]"/></paths></pipeline></ObjectData>"#,
        );
        assert!(df.uses_ref_ids);
        let col = &df.components[0].outputs[0].columns[0];
        assert!(col.lineage_id > 0);
        let split = &df.components[1];
        let ic = &split.inputs[0].columns[0];
        assert_eq!(ic.lineage.number, col.lineage_id);
        assert_eq!(ic.name, "A");
        assert_eq!(ic.cached_type, Some(DataType::WStr { len: 10 }));
        let out = &split.outputs[0];
        assert_eq!(out.synchronous_input.number, split.inputs[0].id.number);
        assert_eq!(out.exclusion_group, 1);
        assert!(out.properties[0].contains_id);
        assert!(out.properties[1].expression_enabled);
        let path = &df.paths[0];
        assert_eq!(path.start.number, df.components[0].outputs[0].id.number);
        assert_eq!(path.end.number, split.inputs[0].id.number);
    }
}
