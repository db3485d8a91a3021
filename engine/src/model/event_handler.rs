//! Event handlers (`DTS:EventHandler`) of a container: a container of its own with variables,
//! executables and constraints, run when its event fires. Owns the data only.

use super::constraint::PrecedenceConstraint;
use super::executable::{ExecProperties, Executable};
use super::expression::PropertyExpression;
use super::variable::Variable;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventHandler {
    /// `OnError`, `OnPreExecute`, `OnPostExecute`, `OnTaskFailed`, …
    pub event_name: String,
    /// `\Package\Task.EventHandlers[OnError]`.
    pub path: String,
    pub dtsid: String,
    pub event_id: i64,
    pub properties: ExecProperties,
    pub variables: Vec<Variable>,
    pub property_expressions: Vec<PropertyExpression>,
    pub executables: Vec<Executable>,
    pub constraints: Vec<PrecedenceConstraint>,
    /// Handlers of the handler itself (rare, but allowed).
    pub event_handlers: Vec<EventHandler>,
}
