//! Executables as a tree: containers (Sequence, For Loop, Foreach Loop) and tasks, with the
//! properties every executable shares, their variables, constraints and event handlers. Task
//! payloads (`DTS:ObjectData`) are kept as raw XML for the task that will run them; this
//! module must not interpret them.

use std::collections::BTreeMap;

use super::constraint::PrecedenceConstraint;
use super::data_flow::DataFlow;
use super::event_handler::EventHandler;
use super::expression::PropertyExpression;
use super::task_kind::TaskKind;
use super::variable::Variable;

/// The DTS namespace URI used by every package format.
pub const DTS_NAMESPACE: &str = "www.microsoft.com/SqlServer/Dts";

/// A fragment of the package XML, exactly as in the file (entities still escaped), with any
/// sensitive values blanked. Prefixes declared on ancestors (notably `DTS:`) are not
/// redeclared; [`RawXml::document`] wraps the fragment so that it parses on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawXml(pub String);

impl RawXml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fragment inside a `<ObjectData xmlns:DTS="…">` root, ready for an XML parser.
    pub fn document(&self) -> String {
        format!(
            "<ObjectData xmlns:DTS=\"{DTS_NAMESPACE}\">{}</ObjectData>",
            self.0
        )
    }
}

/// Properties shared by every executable (and the package and event handlers).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecProperties {
    pub disabled: bool,
    pub fail_package_on_failure: bool,
    pub fail_parent_on_failure: bool,
    /// `MaxErrorCount` (SSIS calls it MaximumErrorCount).
    pub maximum_error_count: i32,
    /// DTSForcedExecResult: -1 none, 0 success, 1 failure, 2 completion.
    pub force_execution_result: i32,
    /// `ForceExecutionValue` (bool) — whether `execution_value` is forced.
    pub force_execution_value: bool,
    /// `ExecValue`, the forced execution value as text.
    pub execution_value: String,
    /// The variable data type code of the forced value (`ExecValueType` in 2012+ files, the
    /// `DataType` of the `ExecValue` property before); SSIS's default is Int32 (3).
    pub execution_value_type: i32,
    /// `ExecValueVariable`: the variable (name, or DTSID) that receives the task's execution
    /// value after it runs; empty for none.
    pub exec_value_variable: String,
    pub delay_validation: bool,
    /// DTSTransactionOption: 0 NotSupported, 1 Supported, 2 Required.
    pub transaction_option: i32,
    /// `ISOLevel` (IsolationLevel).
    pub isolation_level: i64,
    pub locale_id: i32,
    /// `LoggingOptions/LoggingMode`: 0 UseParentSetting, 1 Enabled, 2 Disabled.
    pub logging_mode: i32,
    pub disable_event_handlers: bool,
}

impl Default for ExecProperties {
    fn default() -> Self {
        ExecProperties {
            disabled: false,
            fail_package_on_failure: false,
            fail_parent_on_failure: false,
            maximum_error_count: 1,
            force_execution_result: -1,
            force_execution_value: false,
            execution_value: String::new(),
            execution_value_type: 3,
            exec_value_variable: String::new(),
            delay_validation: false,
            transaction_option: 1,
            isolation_level: 1_048_576,
            locale_id: -1,
            logging_mode: 0,
            disable_event_handlers: false,
        }
    }
}

/// For Loop expressions (each may be empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForLoop {
    pub init_expression: String,
    pub eval_expression: String,
    pub assign_expression: String,
    pub max_concurrent: i32,
}

/// A Foreach Loop's enumerator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForEachEnumerator {
    /// The enumerator kind as written (`Microsoft.ForEachFileEnumerator`,
    /// `DTS.ForEachItemEnumerator.2`, …).
    pub creation_name: String,
    pub dtsid: String,
    pub description: String,
    /// Its `DTS:ObjectData` content.
    pub config: Option<RawXml>,
    pub property_expressions: Vec<PropertyExpression>,
}

/// Maps the enumerator's value at `value_index` into a variable on each iteration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForEachVariableMapping {
    pub variable_name: String,
    pub value_index: i32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForEachLoop {
    pub enumerator: Option<ForEachEnumerator>,
    pub mappings: Vec<ForEachVariableMapping>,
    pub max_concurrent: i32,
}

/// What kind of executable this is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutableKind {
    Sequence,
    ForLoop(ForLoop),
    ForEachLoop(ForEachLoop),
    /// A package stored inside another package (2005-era files may nest them).
    Package,
    Task(TaskKind),
}

impl ExecutableKind {
    pub fn is_container(&self) -> bool {
        !matches!(self, ExecutableKind::Task(_))
    }

    pub fn task_kind(&self) -> Option<&TaskKind> {
        match self {
            ExecutableKind::Task(k) => Some(k),
            _ => None,
        }
    }
}

/// One node of the control-flow tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Executable {
    pub name: String,
    /// `\Package\Seq\Task` (or `\Package\Task.EventHandlers[OnError]\Step`).
    pub path: String,
    pub dtsid: String,
    /// 2012+ `DTS:refId`.
    pub ref_id: Option<String>,
    pub description: String,
    /// `DTS:ExecutableType` as written.
    pub executable_type: String,
    pub creation_name: String,
    pub kind: ExecutableKind,
    pub properties: ExecProperties,
    pub variables: Vec<Variable>,
    pub property_expressions: Vec<PropertyExpression>,
    /// Children (containers only).
    pub executables: Vec<Executable>,
    /// Constraints between `executables`.
    pub constraints: Vec<PrecedenceConstraint>,
    pub event_handlers: Vec<EventHandler>,
    /// The task payload (`DTS:ObjectData` content), sensitive values blanked.
    pub object_data: Option<RawXml>,
    /// Data Flow tasks: the pipeline, as far as it was understood.
    pub data_flow: Option<DataFlow>,
    /// Every simple property as read (name → text), for task-specific extras.
    pub raw_properties: BTreeMap<String, String>,
}
