//! The in-memory model of one SSIS package, the same for every package format (2005 through
//! 2019+). It owns the data types only — plus the package-path helpers, the walk over all
//! executables/expressions, and the validation report — and must not read XML or run
//! anything: the loader in `crate::load` fills it, the future runtime consumes it.

pub mod configuration;
pub mod connection;
pub mod constraint;
pub mod data_flow;
pub mod event_handler;
pub mod executable;
pub mod expression;
pub mod package;
pub mod path;
pub mod project;
pub mod task_kind;
pub mod validation;
pub mod variable;
pub mod walk;

pub use configuration::{LogProvider, PackageConfiguration};
pub use connection::ConnectionManager;
pub use constraint::{EvalOp, ExecResult, PrecedenceConstraint};
pub use data_flow::{
    find_property, Component, ComponentConnection, CustomProperty, DataFlow, Dispositions,
    ExternalColumn, Input, InputColumn, ObjectId, Output, OutputColumn, Path as DataFlowPath,
    PipelineSettings, Reference, RowDisposition, UsageType,
};
pub use event_handler::EventHandler;
pub use executable::{
    ExecProperties, Executable, ExecutableKind, ForEachEnumerator, ForEachLoop,
    ForEachVariableMapping, ForLoop, RawXml,
};
pub use expression::{ExpressionKind, ExpressionSite, PropertyExpression};
pub use package::{Package, PackageProperties, ProtectionLevel, SensitiveValue};
pub use project::ProjectScope;
pub use task_kind::{ExecutableClass, TaskKind};
pub use validation::{unsupported, Issue, Severity};
pub use variable::{Parameter, Variable};
