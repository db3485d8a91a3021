//! The Foreach Loop container: its enumerator (File, Item, From Variable, ADO; chosen by the
//! enumerator's creation name) produces the items up front, each a list of values; on each
//! iteration the variable mappings copy the item's value at `ValueIndex` into their
//! variables, then the body runs. The loop stops early when cancelled or when the container
//! reached its MaximumErrorCount. It owns the iteration and the mappings; each enumerator is
//! its own file.

mod ado;
mod file;
mod item;
mod variable;

use super::events::{codes, Level};
use super::node::Node;
use super::properties::{self, PropertyOverrides};
use super::runtime::Runtime;
use ssisd_engine::model::{ExecResult, Executable, ForEachEnumerator, ForEachLoop, RawXml};
use ssisd_engine::types::Value;

use super::tasks::Reference;
use super::variables::VariableError;

pub use ado::AdoEnumerator;
pub use file::{FileEnumerator, NameFormat};
pub use item::items;

/// Why a Foreach Loop's enumerator cannot enumerate.
#[derive(Debug, thiserror::Error)]
pub enum EnumeratorError {
    /// Validation: the loop's enumerator (its creation name) is not one ssisd has.
    #[error("the Foreach Loop enumerator {0} is not supported")]
    LoopNotSupported(String),
    /// Run: the enumerator (its creation name) is not one ssisd has.
    #[error("the enumerator {0} is not supported")]
    NotSupported(String),
    /// The Foreach Item enumerator's items do not parse.
    #[error("bad item list: {0}")]
    ItemList(#[source] roxmltree::Error),
    #[error("the Foreach From Variable enumerator names no variable")]
    FromVariableUnnamed,
    #[error("the ADO enumerator names no variable")]
    AdoUnnamed,
    /// The ADO enumerator's variable (as named) holds no result set.
    #[error("the variable \"{0}\" holds no result set")]
    NoResultSet(String),
    /// The enumerator's variable is not in scope.
    #[error(transparent)]
    Variable(#[from] VariableError),
    /// The File enumerator's folder cannot be listed.
    #[error("cannot list the folder \"{folder}\": {source}")]
    ListFolder {
        folder: String,
        #[source]
        source: std::io::Error,
    },
}

/// What a Foreach Loop refers to outside itself, for validation: the enumerator's kind (an
/// `Err` naming it when the loop cannot enumerate it), the From Variable and ADO enumerators'
/// variables, and every variable mapping's variable.
pub fn references(l: &ForEachLoop) -> Result<Vec<Reference>, EnumeratorError> {
    let mut refs = Vec::new();
    if let Some(en) = &l.enumerator {
        let cfg = en.config.as_ref();
        let set_by_expression = |names: &[&str]| {
            en.property_expressions
                .iter()
                .any(|p| names.iter().any(|n| p.property.eq_ignore_ascii_case(n)))
        };
        match kind(&en.creation_name) {
            Some(EnumeratorKind::File) | Some(EnumeratorKind::Item) => {}
            Some(EnumeratorKind::FromVariable) => {
                if !set_by_expression(&["VariableName"]) {
                    let name = attribute(cfg, "VariableName")
                        .or_else(|| attribute(cfg, "VarName"))
                        .unwrap_or_default();
                    refs.push(Reference::variable("VariableName", &name));
                }
            }
            Some(EnumeratorKind::Ado) => {
                if !set_by_expression(&["DataObjectVariable", "VarName"]) {
                    let o = PropertyOverrides::default();
                    let ado = AdoEnumerator::from_config(cfg, &o);
                    refs.push(Reference::variable("DataObjectVariable", &ado.variable));
                }
            }
            None => return Err(EnumeratorError::LoopNotSupported(en.creation_name.clone())),
        }
    }
    for m in &l.mappings {
        refs.push(Reference::variable("VariableMappings", &m.variable_name));
    }
    Ok(refs)
}

/// Attribute `name` of the first element (at any depth) that has it.
pub(crate) fn attribute(config: Option<&RawXml>, name: &str) -> Option<String> {
    let doc = config?.document();
    let parsed = roxmltree::Document::parse(&doc).ok()?;
    let found = parsed
        .descendants()
        .find_map(|n| n.attribute(name).map(|s| s.to_string()));
    found
}

/// The enumerator kinds the runtime knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumeratorKind {
    File,
    Item,
    FromVariable,
    Ado,
}

/// Classifies an enumerator's creation name (`Microsoft.ForEachFileEnumerator`,
/// `DTS.ForEachItemEnumerator.2`, an assembly-qualified ADO enumerator, …).
pub fn kind(creation_name: &str) -> Option<EnumeratorKind> {
    let c = creation_name.to_ascii_lowercase();
    if c.contains("fileenumerator") {
        Some(EnumeratorKind::File)
    } else if c.contains("itemenumerator") {
        Some(EnumeratorKind::Item)
    } else if c.contains("fromvar") || c.contains("variableenumerator") {
        Some(EnumeratorKind::FromVariable)
    } else if c.contains("adoenumerator") && !c.contains("schema") {
        Some(EnumeratorKind::Ado)
    } else {
        None
    }
}

impl Runtime<'_> {
    fn enumerate(
        &self,
        en: &ForEachEnumerator,
        node: &Node<'_>,
        o: &PropertyOverrides,
    ) -> Result<Vec<Vec<Value>>, EnumeratorError> {
        let cfg = en.config.as_ref();
        match kind(&en.creation_name) {
            Some(EnumeratorKind::File) => FileEnumerator::from_config(cfg, o).list(),
            Some(EnumeratorKind::Item) => items(cfg),
            Some(EnumeratorKind::FromVariable) => {
                let name = o
                    .text(&["VariableName"])
                    .or_else(|| attribute(cfg, "VariableName"))
                    .or_else(|| attribute(cfg, "VarName"))
                    .ok_or(EnumeratorError::FromVariableUnnamed)?;
                Ok(variable::rows(&self.vars, node.frame, &name)?)
            }
            Some(EnumeratorKind::Ado) => {
                AdoEnumerator::from_config(cfg, o).rows(&self.vars, node.frame)
            }
            None => Err(EnumeratorError::NotSupported(en.creation_name.clone())),
        }
    }

    pub fn run_foreach(&self, exe: &Executable, l: &ForEachLoop, node: &Node<'_>) -> ExecResult {
        let Some(en) = &l.enumerator else {
            self.raise(
                node,
                Level::Error,
                codes::ENUMERATOR_FAILED,
                "The Foreach Loop has no enumerator.",
            );
            return ExecResult::Failure;
        };
        let o = match properties::evaluate(&self.vars, node.frame, &en.property_expressions) {
            Ok(o) => o,
            Err((path, msg)) => {
                self.raise(
                    node,
                    Level::Error,
                    codes::PROPERTY_EXPRESSION_FAILED,
                    &format!("{path}: {msg}"),
                );
                return ExecResult::Failure;
            }
        };
        let rows = match self.enumerate(en, node, &o) {
            Ok(r) => r,
            Err(e) => {
                self.raise(
                    node,
                    Level::Error,
                    codes::ENUMERATOR_FAILED,
                    &format!("The Foreach Loop enumerator failed: {e}."),
                );
                return ExecResult::Failure;
            }
        };
        let mut targets = Vec::new();
        for m in &l.mappings {
            match self.vars.resolve_text(node.frame, &m.variable_name) {
                Ok(slot) => targets.push((slot, m.value_index.max(0) as usize)),
                Err(e) => {
                    self.raise(
                        node,
                        Level::Error,
                        codes::VARIABLE_FAILED,
                        &format!("The variable mapping to \"{}\": {e}.", m.variable_name),
                    );
                    return ExecResult::Failure;
                }
            }
        }
        for row in rows {
            if self.cancelled() {
                return ExecResult::Canceled;
            }
            for (slot, index) in &targets {
                let Some(v) = row.get(*index) else {
                    self.raise(
                        node,
                        Level::Error,
                        codes::VARIABLE_FAILED,
                        &format!(
                            "The enumerator's item has no value at index {index} ({} values).",
                            row.len()
                        ),
                    );
                    return ExecResult::Failure;
                };
                if let Err(e) = self.assign(node, *slot, v.clone()) {
                    self.raise(node, Level::Error, codes::VARIABLE_FAILED, &e.to_string());
                    return ExecResult::Failure;
                }
            }
            let r = self.run_children(&exe.executables, &exe.constraints, node);
            if r == ExecResult::Canceled {
                return r;
            }
            if node.reached_max_errors() || node.must_fail() {
                return ExecResult::Failure;
            }
        }
        ExecResult::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(
            kind("Microsoft.ForEachFileEnumerator"),
            Some(EnumeratorKind::File)
        );
        assert_eq!(
            kind("DTS.ForEachItemEnumerator.2"),
            Some(EnumeratorKind::Item)
        );
        assert_eq!(
            kind("Microsoft.SqlServer.Dts.Runtime.Enumerators.ADO.ForEachADOEnumerator, x"),
            Some(EnumeratorKind::Ado)
        );
        for ado in [
            "Microsoft.ForEachADOEnumerator",
            "DTS.ForEachADOEnumerator.1",
            "Microsoft.SqlServer.Dts.Runtime.Enumerators.ADO.ForEachADOEnumerator, Microsoft.SqlServer.ForEachADOEnumerator, Version=10.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91",
        ] {
            assert_eq!(kind(ado), Some(EnumeratorKind::Ado), "{ado}");
        }
        assert_eq!(kind("Microsoft.ForEachADOSchemaRowsetEnumerator"), None);
        assert_eq!(
            kind("Microsoft.ForEachFromVarEnumerator"),
            Some(EnumeratorKind::FromVariable)
        );
        assert_eq!(kind("Microsoft.ForEachSMOEnumerator"), None);
    }
}
