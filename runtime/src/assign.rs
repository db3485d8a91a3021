//! Writing a variable on behalf of an executable: the write itself (read-only and type
//! checks in `variables.rs`), then the `variable_changed` event and the OnVariableValueChanged
//! handlers when the variable has RaiseChangedEvent set. It owns that sequence only.

use super::events::EventBody;
use super::handlers::EventArgs;
use super::node::Node;
use super::object_value::ObjectValue;
use super::runtime::Runtime;
use super::variables::VariableError;
use ssisd_engine::types::Value;

impl Runtime<'_> {
    /// Writes `value` to `slot` for `node`; the error's message is ready for an OnError.
    pub fn assign(&self, node: &Node<'_>, slot: usize, value: Value) -> Result<(), VariableError> {
        let changed = self.vars.set(slot, value)?;
        self.after_write(node, slot, changed);
        Ok(())
    }

    /// Stores an object (result set, list) in `slot` for `node`.
    pub fn assign_object(
        &self,
        node: &Node<'_>,
        slot: usize,
        object: ObjectValue,
    ) -> Result<(), VariableError> {
        self.vars.set_object(slot, object)?;
        self.after_write(node, slot, true);
        Ok(())
    }

    fn after_write(&self, node: &Node<'_>, slot: usize, changed: bool) {
        let Some(info) = self.vars.info(slot) else {
            return;
        };
        if !changed || !info.raise_changed_event {
            return;
        }
        let value = self.vars.get(slot);
        self.emit(EventBody::VariableChanged {
            variable: info.path.clone(),
            value: value.to_display_string(),
            path: node.path.to_string(),
        });
        self.fire(
            node,
            "OnVariableValueChanged",
            &EventArgs {
                variable: Some((
                    info.qualified_name(),
                    info.dtsid.clone(),
                    info.description.clone(),
                    value,
                )),
                ..Default::default()
            },
        );
    }
}
