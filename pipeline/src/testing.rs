//! Helpers for component tests: a [`TestHost`] with connection managers, variables (recordsets
//! in Object variables too) and a record of events; builders for small pipeline models ([`FlowBuilder`]) so a test states components,
//! columns and paths in a few lines; and [`buffer_of`] / [`rows_of`] to build and read buffers
//! as rows of [`Value`]s. They are part of the crate (not `cfg(test)`) so that components in
//! other crates can be tested the same way. They must not be used by production code.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use ssisd_engine::model::{
    Component, ComponentConnection, CustomProperty, DataFlow, DataFlowPath, Dispositions, Input,
    InputColumn, ObjectId, Output, OutputColumn, RawXml, Reference, RowDisposition, UsageType,
};
use ssisd_engine::types::{DataType, Value};

use crate::buffer::values::ColumnBuilder;
use crate::buffer::{Buffer, Layout, LayoutColumn};
use crate::cache::CacheStore;
use crate::host::{ConnectionSpec, Host, HostError, PipelineEvent, Recordset};

/// A host for tests: connections by name, variables, recorded events, a cancel switch, and the
/// caches of one package run (shared by every data flow run with this host).
#[derive(Default)]
pub struct TestHost {
    pub connections: HashMap<String, ConnectionSpec>,
    pub variables: RefCell<HashMap<String, Value>>,
    pub events: RefCell<Vec<PipelineEvent>>,
    pub cancel: std::sync::atomic::AtomicBool,
    pub caches: Arc<CacheStore>,
    /// Recordsets stored in Object variables (those in `variables` holding `Value::Object`).
    pub recordsets: RefCell<HashMap<String, Recordset>>,
}

impl TestHost {
    /// Adds a FLATFILE connection named `name` for `path` with the manager XML `format`.
    pub fn flat_file(&mut self, name: &str, path: &str, format: &str) {
        self.connections.insert(
            name.to_string(),
            ConnectionSpec {
                name: name.to_string(),
                creation_name: "FLATFILE".into(),
                connection_string: path.to_string(),
                file_path: path.to_string(),
                object_data: Some(RawXml(format.to_string())),
            },
        );
    }

    /// Adds a CACHE connection named `name` with the manager XML `object_data` (its
    /// `DTS:CacheColumns`) and cache file `path` (used when the XML says UseFile).
    pub fn cache(&mut self, name: &str, path: &str, object_data: &str) {
        self.connections.insert(
            name.to_string(),
            ConnectionSpec {
                name: name.to_string(),
                creation_name: "CACHE".into(),
                connection_string: path.to_string(),
                file_path: path.to_string(),
                object_data: Some(RawXml(object_data.to_string())),
            },
        );
    }

    /// The information and error texts recorded.
    pub fn messages(&self) -> Vec<String> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                PipelineEvent::Message { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Host for TestHost {
    fn connection(&self, key: &str) -> Result<ConnectionSpec, HostError> {
        let k = key
            .strip_prefix("Package.ConnectionManagers[")
            .and_then(|k| k.strip_suffix(']'))
            .unwrap_or(key);
        self.connections
            .get(k)
            .cloned()
            .ok_or_else(|| HostError::NoConnection(key.to_string()))
    }

    fn variable(&self, name: &str) -> Result<Value, HostError> {
        let short = name.rsplit("::").next().unwrap_or(name);
        self.variables
            .borrow()
            .iter()
            .find(|(k, _)| k.as_str() == name || k.rsplit("::").next() == Some(short))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| HostError::NoVariable(name.to_string()))
    }

    fn set_variable(&self, name: &str, value: Value) -> Result<(), HostError> {
        self.variables.borrow_mut().insert(name.to_string(), value);
        Ok(())
    }

    fn set_recordset(&self, name: &str, recordset: Recordset) -> Result<(), HostError> {
        if self.variable(name)? != Value::Object {
            return Err(HostError::NotObject(name.to_string()));
        }
        self.recordsets
            .borrow_mut()
            .insert(name.to_string(), recordset);
        Ok(())
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn event(&self, event: PipelineEvent) {
        self.events.borrow_mut().push(event);
    }

    fn caches(&self) -> Option<Arc<CacheStore>> {
        Some(self.caches.clone())
    }
}

/// Builds a buffer from rows of values (each already of its column's type).
pub fn buffer_of(columns: &[(i64, &str, DataType)], rows: &[Vec<Value>]) -> Buffer {
    let layout = Arc::new(Layout::new(
        columns
            .iter()
            .map(|(l, n, t)| LayoutColumn::new(*l, n, *t))
            .collect(),
    ));
    let arrays = columns
        .iter()
        .enumerate()
        .map(|(i, (_, _, t))| {
            let mut b = ColumnBuilder::new(t, rows.len());
            for r in rows {
                b.append_value(&r[i]);
            }
            b.finish()
        })
        .collect();
    Buffer::new(layout, arrays, rows.len())
}

/// Reads a buffer back as rows of values.
pub fn rows_of(buffer: &Buffer) -> Vec<Vec<Value>> {
    (0..buffer.rows())
        .map(|r| {
            (0..buffer.columns().len())
                .map(|c| buffer.value(c, r))
                .collect()
        })
        .collect()
}

/// Builds a pipeline model in the 2008 numbering (one number space), in a few lines.
#[derive(Default)]
pub struct FlowBuilder {
    next: i64,
    pub flow: DataFlow,
}

/// A custom property.
pub fn property(name: &str, value: &str) -> CustomProperty {
    CustomProperty {
        name: name.to_string(),
        value: value.to_string(),
        ..Default::default()
    }
}

impl FlowBuilder {
    pub fn new() -> FlowBuilder {
        FlowBuilder {
            next: 1,
            flow: DataFlow::default(),
        }
    }

    fn id(&mut self) -> ObjectId {
        let n = self.next;
        self.next += 1;
        ObjectId {
            number: n,
            ref_id: None,
        }
    }

    /// Adds a component; returns its index.
    pub fn component(
        &mut self,
        name: &str,
        class_id: &str,
        properties: Vec<CustomProperty>,
    ) -> usize {
        let id = self.id();
        self.flow.components.push(Component {
            id,
            name: name.to_string(),
            class_id: class_id.to_string(),
            properties,
            ..Default::default()
        });
        self.flow.components.len() - 1
    }

    /// Gives component `c` a connection to the manager `manager`.
    pub fn connection(&mut self, c: usize, slot: &str, manager: &str) {
        let id = self.id();
        self.flow.components[c]
            .connections
            .push(ComponentConnection {
                id,
                name: slot.to_string(),
                connection_manager_id: manager.to_string(),
                ..Default::default()
            });
    }

    /// Adds an input; returns its index in the component.
    pub fn input(&mut self, c: usize, name: &str) -> usize {
        let id = self.id();
        self.flow.components[c].inputs.push(Input {
            id,
            name: name.to_string(),
            ..Default::default()
        });
        self.flow.components[c].inputs.len() - 1
    }

    /// Adds an output; `sync` names the input it is synchronous with.
    pub fn output(
        &mut self,
        c: usize,
        name: &str,
        sync: Option<usize>,
        error: bool,
        group: i32,
    ) -> usize {
        let id = self.id();
        let synchronous_input = match sync {
            Some(i) => {
                let n = self.flow.components[c].inputs[i].id.number;
                Reference {
                    text: n.to_string(),
                    number: n,
                }
            }
            None => Reference::default(),
        };
        self.flow.components[c].outputs.push(Output {
            id,
            name: name.to_string(),
            synchronous_input,
            is_error_output: error,
            exclusion_group: group,
            ..Default::default()
        });
        self.flow.components[c].outputs.len() - 1
    }

    /// Adds an output column (one disposition for errors and truncations); returns its lineage.
    pub fn output_column(
        &mut self,
        c: usize,
        o: usize,
        name: &str,
        ty: DataType,
        properties: Vec<CustomProperty>,
        disposition: RowDisposition,
    ) -> i64 {
        let id = self.id();
        let lineage = id.number;
        self.flow.components[c].outputs[o]
            .columns
            .push(OutputColumn {
                id,
                name: name.to_string(),
                lineage_id: lineage,
                type_name: String::new(),
                data_type: Some(ty),
                dispositions: Dispositions {
                    operation: String::new(),
                    error: disposition,
                    truncation: disposition,
                },
                properties,
                ..Default::default()
            });
        lineage
    }

    /// Adds the ErrorCode and ErrorColumn columns of an error output.
    pub fn error_columns(&mut self, c: usize, o: usize) {
        for (name, flag) in [("ErrorCode", 1), ("ErrorColumn", 2)] {
            let id = self.id();
            let lineage = id.number;
            self.flow.components[c].outputs[o]
                .columns
                .push(OutputColumn {
                    id,
                    name: name.to_string(),
                    lineage_id: lineage,
                    data_type: Some(DataType::I4),
                    special_flags: flag,
                    ..Default::default()
                });
        }
    }

    /// Adds an input column reading `lineage`.
    pub fn input_column(
        &mut self,
        c: usize,
        i: usize,
        lineage: i64,
        read_write: bool,
        properties: Vec<CustomProperty>,
        error: RowDisposition,
    ) {
        let id = self.id();
        self.flow.components[c].inputs[i].columns.push(InputColumn {
            id,
            lineage: Reference {
                text: lineage.to_string(),
                number: lineage,
            },
            usage: if read_write {
                UsageType::ReadWrite
            } else {
                UsageType::ReadOnly
            },
            dispositions: Dispositions {
                operation: String::new(),
                error,
                truncation: error,
            },
            properties,
            ..Default::default()
        });
    }

    /// Adds a path from output `o` of `from` to input `i` of `to`.
    pub fn path(&mut self, from: usize, o: usize, to: usize, i: usize) {
        let id = self.id();
        let start = self.flow.components[from].outputs[o].id.number;
        let end = self.flow.components[to].inputs[i].id.number;
        let name = self.flow.components[from].outputs[o].name.clone();
        self.flow.paths.push(DataFlowPath {
            id,
            name,
            start: Reference {
                text: start.to_string(),
                number: start,
            },
            end: Reference {
                text: end.to_string(),
                number: end,
            },
            ..Default::default()
        });
    }
}

/// A delimited UTF-8 FLATFILE manager over `columns` (no qualifier, names row, LF rows).
pub fn csv_manager(columns: &[(&str, DataType)]) -> String {
    let mut s = String::from(
        r#"<DTS:ConnectionManager DTS:Format="Delimited" DTS:CodePage="65001" DTS:ColumnNamesInFirstDataRow="True" DTS:TextQualifier="_x003C_none_x003E_"><DTS:FlatFileColumns>"#,
    );
    for (i, (n, t)) in columns.iter().enumerate() {
        let d = if i + 1 == columns.len() {
            "_x000A_"
        } else {
            "_x002C_"
        };
        let (p, sc) = t.as_numeric_shape().unwrap_or((0, 0));
        let w = match t {
            DataType::Str { len, .. } | DataType::WStr { len } => *len,
            _ => 0,
        };
        s.push_str(&format!(
            r#"<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="{d}" DTS:MaximumWidth="{w}" DTS:DataType="{}" DTS:DataPrecision="{p}" DTS:DataScale="{sc}" DTS:ObjectName="{n}"/>"#,
            t.metadata_code()
        ));
    }
    s + "</DTS:FlatFileColumns></DTS:ConnectionManager>"
}

/// A small data flow over CSV text for component tests: sources read text written to a
/// temporary directory, destinations write files read back as text; the component under test
/// goes in between through [`CsvFlow::b`].
pub struct CsvFlow {
    pub b: FlowBuilder,
    pub host: TestHost,
    pub dir: tempfile::TempDir,
}

impl Default for CsvFlow {
    fn default() -> Self {
        CsvFlow::new()
    }
}

impl CsvFlow {
    pub fn new() -> CsvFlow {
        CsvFlow {
            b: FlowBuilder::new(),
            host: TestHost::default(),
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}")),
        }
    }

    /// A Flat File source named `name` reading `text` (a names row, then rows; LF); returns
    /// (component, output, lineage of each column).
    pub fn source(
        &mut self,
        name: &str,
        columns: &[(&str, DataType)],
        text: &str,
    ) -> (usize, usize, Vec<i64>) {
        let path = self.dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.host.flat_file(
            name,
            path.to_str().unwrap_or_default(),
            &csv_manager(columns),
        );
        let c = self.b.component(
            name,
            "Microsoft.FlatFileSource",
            vec![property("RetainNulls", "true")],
        );
        self.b.connection(c, "FlatFileConnection", name);
        let o = self.b.output(c, "Flat File Source Output", None, false, 0);
        let lineages = columns
            .iter()
            .map(|(n, t)| {
                self.b
                    .output_column(c, o, n, *t, vec![], RowDisposition::FailComponent)
            })
            .collect();
        (c, o, lineages)
    }

    /// A Flat File destination named `name` fed by output `output` of `from`, writing the
    /// output columns with lineages `columns` under their own names; returns its component.
    pub fn destination(&mut self, name: &str, from: (usize, usize), columns: &[i64]) -> usize {
        let path = self.dir.path().join(format!("{name}.csv"));
        let spec: Vec<(String, DataType)> = columns
            .iter()
            .map(|l| {
                self.b
                    .flow
                    .components
                    .iter()
                    .flat_map(|c| c.outputs.iter().flat_map(|o| o.columns.iter()))
                    .find(|c| c.lineage_id == *l)
                    .map(|c| (c.name.clone(), c.data_type.unwrap_or(DataType::Null)))
                    .unwrap_or_else(|| panic!("no output column has the lineage {l}"))
            })
            .collect();
        let spec: Vec<(&str, DataType)> = spec.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        self.host
            .flat_file(name, path.to_str().unwrap_or_default(), &csv_manager(&spec));
        let c = self.b.component(
            name,
            "Microsoft.FlatFileDestination",
            vec![property("Overwrite", "true")],
        );
        self.b.connection(c, "FlatFileConnection", name);
        let i = self.b.input(c, &format!("{name} Input"));
        for l in columns {
            self.b
                .input_column(c, i, *l, false, vec![], RowDisposition::NotUsed);
        }
        self.b.path(from.0, from.1, c, i);
        c
    }

    /// The text a destination wrote (`None` when it wrote nothing).
    pub fn output(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.csv"))).ok()
    }

    /// Runs the flow with `settings`.
    pub fn run_with(&self, settings: &crate::RunSettings) -> crate::Outcome {
        crate::run(
            &self.b.flow,
            &self.host,
            "\\Package\\Data Flow Task",
            settings,
        )
    }

    /// Runs the flow with the default settings.
    pub fn run(&self) -> crate::Outcome {
        self.run_with(&crate::RunSettings::default())
    }

    /// Runs the flow, which must succeed, and returns the text of destination `name`.
    pub fn run_ok(&self, name: &str) -> String {
        match self.run() {
            crate::Outcome::Success(_) => self.output(name).unwrap_or_default(),
            other => panic!("the data flow failed: {other:?}"),
        }
    }

    /// Validation problems of the flow, as one text.
    pub fn validation(&self) -> String {
        crate::validate(&self.b.flow, "\\Package\\Data Flow Task").to_string()
    }
}
