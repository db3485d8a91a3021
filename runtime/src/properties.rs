//! Property expressions, applied before each executable runs: each expression is evaluated
//! in the executable's scope, the common properties (Disable, FailPackageOnFailure,
//! MaximumErrorCount, ForceExecutionResult, …) are applied to a copy of its properties, and
//! the rest are handed to the container or task as [`PropertyOverrides`] to read by name. It
//! owns evaluation and the common properties; task-specific names are the task's business.

use ssisd_engine::model::{ExecProperties, PropertyExpression};
use ssisd_engine::types::{convert, DataType, Value};

use super::variables::{describe, Variables};

/// Property values set by expressions, by property name (matched ignoring case).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertyOverrides(pub Vec<(String, Value)>);

impl PropertyOverrides {
    /// The value set for any of `names`.
    pub fn get(&self, names: &[&str]) -> Option<&Value> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| names.iter().any(|w| n.eq_ignore_ascii_case(w)))
            .map(|(_, v)| v)
    }

    /// The value as text (SSIS's display form).
    pub fn text(&self, names: &[&str]) -> Option<String> {
        self.get(names).map(|v| match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_display_string(),
        })
    }

    pub fn bool(&self, names: &[&str]) -> Option<bool> {
        self.get(names)
            .and_then(|v| match convert(v, &DataType::Bool) {
                Ok(Value::Bool(b)) => Some(b),
                _ => None,
            })
    }

    pub fn int(&self, names: &[&str]) -> Option<i64> {
        self.get(names)
            .and_then(|v| match convert(v, &DataType::I8) {
                Ok(Value::I8(n)) => Some(n),
                _ => None,
            })
    }
}

/// Evaluates `exprs` in `frame`; the first failure is returned as (path, message).
pub fn evaluate(
    vars: &Variables,
    frame: usize,
    exprs: &[PropertyExpression],
) -> Result<PropertyOverrides, (String, String)> {
    let mut out = PropertyOverrides::default();
    for pe in exprs {
        if pe.expression.trim().is_empty() {
            continue;
        }
        let compiled = vars
            .compile(frame, &pe.expression)
            .map_err(|e| (pe.path.clone(), describe(&pe.expression, &e)))?;
        let value = compiled.evaluate(vars).map_err(|e| {
            (
                pe.path.clone(),
                format!(
                    "The expression \"{}\" for the property \"{}\" failed: {e}",
                    pe.expression, pe.property
                ),
            )
        })?;
        out.0.push((pe.property.clone(), value));
    }
    Ok(out)
}

/// Applies the properties every executable shares.
pub fn apply_common(props: &mut ExecProperties, o: &PropertyOverrides) {
    if let Some(b) = o.bool(&["Disable", "Disabled"]) {
        props.disabled = b;
    }
    if let Some(b) = o.bool(&["FailPackageOnFailure"]) {
        props.fail_package_on_failure = b;
    }
    if let Some(b) = o.bool(&["FailParentOnFailure"]) {
        props.fail_parent_on_failure = b;
    }
    if let Some(n) = o.int(&["MaximumErrorCount", "MaxErrorCount"]) {
        props.maximum_error_count = n.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    }
    if let Some(n) = o.int(&["ForceExecutionResult"]) {
        props.force_execution_result = n.clamp(-1, 3) as i32;
    }
    if let Some(b) = o.bool(&["ForceExecutionValue"]) {
        props.force_execution_value = b;
    }
    if let Some(v) = o.text(&["ExecValue", "ExecutionValue", "ForcedExecutionValue"]) {
        props.execution_value = v;
    }
    if let Some(t) = o.text(&["ExecValueType", "ForcedExecutionValueType"]) {
        if let Ok(n) = ssisd_engine::validate::target::parse_value_type(&t) {
            props.execution_value_type = n;
        }
    }
    if let Some(v) = o.text(&["ExecValueVariable"]) {
        props.exec_value_variable = v.trim().to_string();
    }
    if let Some(b) = o.bool(&["DelayValidation"]) {
        props.delay_validation = b;
    }
    if let Some(b) = o.bool(&["DisableEventHandlers"]) {
        props.disable_event_handlers = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_properties() {
        let o = PropertyOverrides(vec![
            ("Disable".into(), Value::Bool(true)),
            ("MaximumErrorCount".into(), Value::I4(5)),
            ("Executable".into(), Value::WStr("/bin/true".into())),
        ]);
        let mut p = ExecProperties::default();
        apply_common(&mut p, &o);
        assert!(p.disabled);
        assert_eq!(p.maximum_error_count, 5);
        assert_eq!(o.text(&["executable"]).as_deref(), Some("/bin/true"));
    }
}
