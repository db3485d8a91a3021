//! The Data Flow task: a thin adapter between the control flow and `ssisd-pipeline`. It reads
//! the task's pipeline, applies the property expressions that target components
//! (`[Component].[Property]`) and the task's own buffer settings, validates it (the same checks
//! /VALIDATE makes), and runs it with a host that gives the pipeline the package's connection
//! managers and variables, turns its messages into the task's events (errors, warnings,
//! "wrote N rows" information), passes rows per path and component times to the event stream,
//! stores a Recordset Destination's rows in its Object variable,
//! maps Windows paths in component properties, hands over the run's caches (Cache connection
//! managers live as long as the package run), and relays cancellation. The memory budget per data flow is 256 MiB unless
//! `SSISD_DATA_FLOW_MEMORY_MB` says otherwise. It must not hold pipeline logic.

use ssisd_engine::model::{DataFlow, RawXml};
use ssisd_engine::types::Value;
use ssisd_pipeline::{
    ConnectionSpec, Host, Level as PipelineLevel, Outcome, PipelineEvent, Recordset, RunSettings,
};

use ssisd_pipeline::excel::connection::ExcelConnection;
use ssisd_pipeline::excel::workbook::{is_xls, Workbook};
use ssisd_pipeline::host::HostError;

use super::references::{database_if_database, Reference, UnusableManager};
use super::{CheckError, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::events::{codes, EventBody};
use crate::object_value::{ObjectValue, ResultSet};
use crate::properties::PropertyOverrides;

/// A Data Flow task, configured.
#[derive(Debug, Clone)]
pub struct DataFlowTask {
    flow: DataFlow,
}

/// Validation messages carry the task's path as the diagnostic's source; the pipeline
/// writes them with an empty task path.
fn without_task(message: &str) -> &str {
    message.strip_prefix(": ").unwrap_or(message)
}

impl DataFlowTask {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        let mut flow = od
            .and_then(ssisd_engine::load::read_pipeline)
            .ok_or(TaskConfigError::NoPipeline)?;
        apply_overrides(&mut flow, o);
        let problems = ssisd_pipeline::validate(&flow, "");
        if !problems.is_empty() {
            return Err(TaskConfigError::InvalidPipeline(
                problems
                    .0
                    .iter()
                    .map(|p| without_task(&p.message).to_string())
                    .collect(),
            ));
        }
        Ok(DataFlowTask { flow })
    }

    /// The components of the task's pipeline that ssisd does not have, named, or `None`.
    pub fn missing_components(od: Option<&RawXml>) -> Option<String> {
        let flow = od.and_then(ssisd_engine::load::read_pipeline)?;
        let missing: Vec<String> = flow
            .components
            .iter()
            .filter(|c| ssisd_pipeline::registry::lookup(c).is_none())
            .map(|c| without_task(&ssisd_pipeline::registry::refusal(c, "").message).to_string())
            .collect();
        (!missing.is_empty()).then(|| missing.join("; "))
    }
}

/// Property expressions of the task: `[Component].[Property]` sets a component's custom
/// property; DefaultBufferMaxRows, DefaultBufferSize and EngineThreads set the pipeline's.
fn apply_overrides(flow: &mut DataFlow, o: &PropertyOverrides) {
    for (name, value) in &o.0 {
        let text = match value.as_str() {
            Some(s) => s.to_string(),
            None => value.to_display_string(),
        };
        if let Some((component, property)) = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .and_then(|n| n.split_once("].["))
        {
            if let Some(c) = flow.components.iter_mut().find(|c| c.name == component) {
                match c
                    .properties
                    .iter_mut()
                    .find(|p| p.name.eq_ignore_ascii_case(property))
                {
                    Some(p) => p.value = text,
                    None => c.properties.push(ssisd_engine::model::CustomProperty {
                        name: property.to_string(),
                        value: text,
                        ..Default::default()
                    }),
                }
            }
            continue;
        }
        let s = &mut flow.settings;
        match name.to_ascii_lowercase().as_str() {
            "defaultbuffermaxrows" => s.default_buffer_max_rows = text.trim().parse().ok(),
            "defaultbuffersize" => s.default_buffer_size = text.trim().parse().ok(),
            "enginethreads" => s.engine_threads = text.trim().parse().ok(),
            "buffertempstoragepath" => s.buffer_temp_storage_path = text,
            _ => {}
        }
    }
}

/// The memory budget of one data flow.
fn memory_budget() -> usize {
    std::env::var("SSISD_DATA_FLOW_MEMORY_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|mb| *mb > 0)
        .map(|mb| mb * 1024 * 1024)
        .unwrap_or(ssisd_pipeline::memory::DEFAULT_BUDGET)
}

struct TaskHost<'c, 'a> {
    ctx: &'c TaskContext<'a>,
}

impl Host for TaskHost<'_, '_> {
    fn connection(&self, key: &str) -> Result<ConnectionSpec, HostError> {
        let info = self.ctx.connection(key).map_err(HostError::host)?;
        Ok(ConnectionSpec {
            name: info.name.clone(),
            creation_name: info.creation_name.clone(),
            connection_string: info.connection_string.clone(),
            file_path: info.file_path(),
            object_data: info.manager.object_data.clone(),
        })
    }

    fn variable(&self, name: &str) -> Result<Value, HostError> {
        self.ctx.variable(name).map_err(HostError::host)
    }

    fn set_variable(&self, name: &str, value: Value) -> Result<(), HostError> {
        self.ctx.set_variable(name, value).map_err(HostError::host)
    }

    fn is_cancelled(&self) -> bool {
        self.ctx.is_cancelled()
    }

    fn set_recordset(&self, name: &str, recordset: Recordset) -> Result<(), HostError> {
        let (columns, types) = recordset
            .columns
            .into_iter()
            .map(|c| (c.name, c.data_type))
            .unzip();
        self.ctx
            .set_object_variable(
                name,
                ObjectValue::ResultSet(ResultSet {
                    columns,
                    types,
                    rows: recordset.rows,
                }),
            )
            .map_err(HostError::host)
    }

    fn file_path(&self, written: &str) -> String {
        crate::paths::map_path(written)
    }

    fn caches(&self) -> Option<std::sync::Arc<ssisd_pipeline::cache::CacheStore>> {
        Some(self.ctx.data_flow_caches())
    }

    fn scripts(&self) -> Result<std::sync::Arc<dyn ssisd_pipeline::script::ScriptHost>, HostError> {
        super::script::component_host::for_task(self.ctx).map_err(HostError::host)
    }

    fn event(&self, event: PipelineEvent) {
        match event {
            PipelineEvent::Message {
                level, code, text, ..
            } => match level {
                PipelineLevel::Information => self.ctx.information(code, &text),
                PipelineLevel::Warning => self.ctx.warning(code, &text),
                PipelineLevel::Error => self.ctx.error(code, &text),
            },
            PipelineEvent::RowsSent {
                path_id,
                path_name,
                component,
                input,
                rows,
                buffers,
                done,
            } => self.ctx.emit(EventBody::PipelineRows {
                source: self.ctx.name().to_string(),
                path: self.ctx.path().to_string(),
                path_id,
                path_name,
                component,
                input,
                rows,
                buffers,
                done,
            }),
            PipelineEvent::ComponentTime {
                component,
                phase,
                millis,
                ..
            } => self.ctx.emit(EventBody::PipelineComponentTime {
                source: self.ctx.name().to_string(),
                path: self.ctx.path().to_string(),
                component,
                phase: phase.to_string(),
                millis,
            }),
        }
    }
}

/// Flat File adapters need a Flat File connection manager.
fn flat_file(creation_name: &str, _: &str) -> Result<(), UnusableManager> {
    if creation_name.eq_ignore_ascii_case("FLATFILE") {
        Ok(())
    } else {
        Err(UnusableManager::WrongKind {
            creation_name: creation_name.to_string(),
            needs: "the Flat File adapters need a Flat File connection manager",
        })
    }
}

/// Cache Transforms and Lookups on a cache need a Cache connection manager.
fn cache(creation_name: &str, _: &str) -> Result<(), UnusableManager> {
    if creation_name.eq_ignore_ascii_case("CACHE") {
        Ok(())
    } else {
        Err(UnusableManager::WrongKind {
            creation_name: creation_name.to_string(),
            needs: "the CacheConnection of a Cache Transform or Lookup needs a Cache connection manager",
        })
    }
}

/// The Excel connection manager an Excel adapter's slot names, read: its provider and
/// connection string, and the workbook's path as this machine sees it.
fn excel_manager(
    creation_name: &str,
    text: &str,
) -> Result<(ExcelConnection, std::path::PathBuf), UnusableManager> {
    if !creation_name.trim().eq_ignore_ascii_case("EXCEL") {
        return Err(UnusableManager::WrongKind {
            creation_name: creation_name.to_string(),
            needs: "the Excel adapters need an Excel connection manager",
        });
    }
    let c = ExcelConnection::parse(text)
        .map_err(|e| UnusableManager::ExcelConnection(e.to_string()))?;
    let path = std::path::PathBuf::from(crate::paths::map_path(&c.data_source));
    Ok((c, path))
}

/// An Excel Source needs an Excel connection manager whose workbook exists and opens.
fn excel_source(creation_name: &str, text: &str) -> Result<(), UnusableManager> {
    let (_, path) = excel_manager(creation_name, text)?;
    Workbook::open(&path)
        .map(|_| ())
        .map_err(|e| UnusableManager::WorkbookUnreadable(e.to_string()))
}

/// An Excel Destination needs an Excel connection manager naming an .xlsx workbook in an
/// existing folder (the workbook itself is created when missing).
fn excel_destination(creation_name: &str, text: &str) -> Result<(), UnusableManager> {
    let (_, path) = excel_manager(creation_name, text)?;
    if is_xls(&path) {
        return Err(UnusableManager::Xls(path));
    }
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(UnusableManager::NoFolder {
            folder: dir.to_path_buf(),
            workbook: path.clone(),
        }),
        _ => Ok(()),
    }
}

/// The SQL Server Destination bulk-loads into SQL Server: its manager must reach SQL Server
/// over TDS (SQL Server's OLE DB providers), not through ODBC.
fn sql_server(creation_name: &str, text: &str) -> Result<(), UnusableManager> {
    match ssisd_sql::route("", creation_name, text) {
        Ok(ssisd_sql::Route::Tds(_)) => Ok(()),
        Ok(ssisd_sql::Route::Odbc(t)) => Err(UnusableManager::SqlServerOverOdbc(t.describe())),
        Err(_) => super::references::database_kind(creation_name, text),
    }
}

impl Task for DataFlowTask {
    /// The connection managers of the components' connection slots, the variables Row Count
    /// writes, the file-name variables of the Raw File adapters and the variables Script
    /// Components list.
    fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        for c in &self.flow.components {
            for k in &c.connections {
                let key = k.manager_key();
                let key = key.strip_suffix(":external").unwrap_or(key);
                let kind = ssisd_pipeline::registry::lookup(c).map(|e| e.name);
                let accepts = if kind == Some("Excel Source") {
                    excel_source
                } else if kind == Some("Excel Destination") {
                    excel_destination
                } else if kind == Some("SQL Server Destination") {
                    sql_server
                } else if k.name.eq_ignore_ascii_case("FlatFileConnection") {
                    flat_file
                } else if k.name.eq_ignore_ascii_case("CacheConnection") {
                    cache
                } else {
                    database_if_database
                };
                refs.push(Reference::connection("Connection", key, accepts));
            }
            let kind = ssisd_pipeline::registry::lookup(c).map(|e| e.name);
            if matches!(kind, Some("Row Count" | "Recordset Destination")) {
                refs.push(Reference::variable(
                    "VariableName",
                    c.property_text("VariableName").unwrap_or(""),
                ));
            }
            if kind == Some("Script Component") {
                for list in ["ReadOnlyVariables", "ReadWriteVariables"] {
                    let names = c.property_text(list).unwrap_or("");
                    for n in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        refs.push(Reference::variable(list, n));
                    }
                }
            }
            if matches!(kind, Some("Raw File Source" | "Raw File Destination"))
                && c.property_text("AccessMode").map(str::trim) == Some("1")
            {
                refs.push(Reference::variable(
                    "FileNameVariable",
                    c.property_text("FileNameVariable").unwrap_or(""),
                ));
            }
        }
        refs
    }

    /// A data flow with Script Components needs Mono.
    fn check(&self) -> Result<(), CheckError> {
        let scripts = self.flow.components.iter().any(|c| {
            ssisd_pipeline::registry::lookup(c).map(|e| e.name) == Some("Script Component")
        });
        if scripts {
            super::script::component_host::check().map_err(CheckError::new)?;
        }
        Ok(())
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let mut settings = RunSettings::from_flow(&self.flow);
        settings.memory_budget = memory_budget();
        let host = TaskHost { ctx };
        match ssisd_pipeline::run(&self.flow, &host, ctx.path(), &settings) {
            Outcome::Success(_) => TaskOutcome::Success,
            Outcome::Cancelled => TaskOutcome::Canceled,
            Outcome::Failed(problems) => {
                for p in &problems.0 {
                    ctx.error(p.code, &p.message);
                }
                if problems.is_empty() {
                    ctx.error(codes::TASK_FAILED, "The data flow failed.");
                }
                TaskOutcome::Failure
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_property_expressions_reach_the_component() {
        let mut flow = DataFlow::default();
        flow.components.push(ssisd_engine::model::Component {
            name: "Count".into(),
            ..Default::default()
        });
        let o = PropertyOverrides(vec![
            (
                "[Count].[VariableName]".into(),
                Value::WStr("User::N".into()),
            ),
            ("DefaultBufferMaxRows".into(), Value::I4(500)),
        ]);
        apply_overrides(&mut flow, &o);
        assert_eq!(
            flow.components[0].property_text("VariableName"),
            Some("User::N")
        );
        assert_eq!(flow.settings.default_buffer_max_rows, Some(500));
    }
}
