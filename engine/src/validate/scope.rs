//! The variables an expression can see at one place in a package: system variables, project
//! parameters (`$Project::Name`, when the package was loaded from a project), package
//! parameters (`$Package::Name`), package variables, then the variables of each container and
//! event handler on the way down, an inner variable shadowing an outer one of the same
//! qualified name. It also knows which of them are sensitive parameters. It implements `expr::VariableScope` for the type checker and must not
//! evaluate anything or know about package paths.

use std::cell::Cell;

use super::system_variables;
use crate::expr::{ScopeError, VarRef, VariableScope};
use crate::model::{Package, Parameter, Variable};
use crate::types::DataType;

#[derive(Debug, Clone)]
struct Entry {
    namespace: String,
    name: String,
    ty: DataType,
    /// A sensitive parameter.
    sensitive: bool,
}

/// A stack of visible variables; later entries are inner scopes.
#[derive(Debug, Default)]
pub struct ScopeStack {
    entries: Vec<Entry>,
    project_reference: Cell<bool>,
    /// Whether the package was loaded from a project (so `$Project::` names resolve).
    in_project: bool,
    /// The project's parameter names, for messages.
    project_names: String,
}

/// The type of a variable from its `DTS:DataType` code; unknown codes read as objects.
pub fn variable_type(code: u16) -> DataType {
    DataType::from_variable_code(i32::from(code)).unwrap_or(DataType::Object)
}

impl ScopeStack {
    /// The scope at the package level: system variables, package parameters and variables.
    pub fn for_package(package: &Package) -> ScopeStack {
        let mut s = ScopeStack::default();
        for (name, ty) in system_variables::CONTAINER {
            s.add("System", name, *ty);
        }
        if let Some(project) = &package.project {
            s.in_project = true;
            s.project_names = project.parameter_names();
            s.add_parameters_of("$Project", &project.parameters);
        }
        s.add_parameters(&package.parameters);
        s.add_variables(&package.variables);
        s
    }

    /// A mark to return to with [`ScopeStack::truncate`] when leaving a container.
    pub fn mark(&self) -> usize {
        self.entries.len()
    }

    pub fn truncate(&mut self, mark: usize) {
        self.entries.truncate(mark);
    }

    pub fn add(&mut self, namespace: &str, name: &str, ty: DataType) {
        self.entries.push(Entry {
            namespace: namespace.to_string(),
            name: name.to_string(),
            ty,
            sensitive: false,
        });
    }

    pub fn add_variables(&mut self, vars: &[Variable]) {
        for v in vars {
            self.add(&v.namespace, &v.name, variable_type(v.data_type));
        }
    }

    pub fn add_parameters(&mut self, params: &[Parameter]) {
        self.add_parameters_of("$Package", params);
    }

    fn add_parameters_of(&mut self, namespace: &str, params: &[Parameter]) {
        for p in params {
            self.entries.push(Entry {
                namespace: namespace.to_string(),
                name: p.name.clone(),
                ty: variable_type(p.data_type),
                sensitive: p.sensitive,
            });
        }
    }

    /// The qualified name (`$Project::Password`) of `var` when it is a sensitive parameter of a
    /// package run in its project (where SSIS guards them; a package run from a file keeps
    /// ssisd's earlier behaviour and reads them anywhere).
    pub fn sensitive_parameter(&self, var: VarRef) -> Option<String> {
        self.entries
            .get(var.0)
            .filter(|e| e.sensitive && self.in_project)
            .map(|e| format!("{}::{}", e.namespace, e.name))
    }

    /// Enters an event handler for `event` (`OnError`, …): adds its system variables.
    pub fn add_event_handler_system(&mut self, event: &str) {
        for (name, ty) in system_variables::EVENT_HANDLER
            .iter()
            .chain(system_variables::for_event(event))
        {
            self.add("System", name, *ty);
        }
    }

    /// Whether a resolution asked for a `$Project::` parameter since the last call.
    pub fn take_project_reference(&self) -> bool {
        self.project_reference.replace(false)
    }
}

impl VariableScope for ScopeStack {
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        if !self.in_project && namespace.is_some_and(|ns| ns.eq_ignore_ascii_case("$Project")) {
            self.project_reference.set(true);
            return Err(ScopeError::NoProject {
                name: name.to_string(),
            });
        }
        let mut found: Option<(usize, &Entry)> = None;
        for (i, e) in self.entries.iter().enumerate().rev() {
            if e.name != name || namespace.is_some_and(|ns| ns != e.namespace) {
                continue;
            }
            // Project parameters are only ever named with their namespace.
            if namespace.is_none() && e.namespace == "$Project" {
                continue;
            }
            match found {
                None => found = Some((i, e)),
                // An outer variable with the same qualified name is shadowed.
                Some((_, f)) if f.namespace == e.namespace => {}
                Some((_, f)) => {
                    return Err(ScopeError::Ambiguous {
                        name: name.to_string(),
                        first: e.namespace.clone(),
                        second: f.namespace.clone(),
                    })
                }
            }
        }
        match found {
            Some((i, e)) => Ok((VarRef(i), e.ty)),
            None => Err(match namespace {
                Some("$Project") => ScopeError::NoSuchParameter {
                    name: name.to_string(),
                    known: self.project_names.to_string(),
                },
                _ => ScopeError::NotInScope(ScopeError::written(namespace, name)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(ns: &str, name: &str, code: u16) -> Variable {
        Variable {
            namespace: ns.into(),
            name: name.into(),
            data_type: code,
            ..Variable::default()
        }
    }

    #[test]
    fn system_parameters_and_shadowing() {
        let p = Package {
            variables: vec![var("User", "X", 3)],
            parameters: vec![Parameter {
                name: "Folder".into(),
                data_type: 8,
                ..Parameter::default()
            }],
            ..Package::default()
        };
        let mut s = ScopeStack::for_package(&p);
        assert_eq!(s.resolve(Some("User"), "X").unwrap().1, DataType::I4);
        assert_eq!(
            s.resolve(Some("System"), "PackageName").unwrap().1,
            DataType::WStr { len: 0 }
        );
        assert_eq!(
            s.resolve(Some("$Package"), "Folder").unwrap().1,
            DataType::WStr { len: 0 }
        );
        let mark = s.mark();
        s.add_variables(&[var("User", "X", 8)]);
        // The container's X shadows the package's, qualified or not.
        assert_eq!(
            s.resolve(Some("User"), "X").unwrap().1,
            DataType::WStr { len: 0 }
        );
        assert_eq!(s.resolve(None, "X").unwrap().1, DataType::WStr { len: 0 });
        s.truncate(mark);
        assert_eq!(s.resolve(None, "X").unwrap().1, DataType::I4);
        assert!(s.resolve(None, "ErrorCode").is_err());
    }

    #[test]
    fn ambiguity_event_handlers_and_projects() {
        let p = Package {
            variables: vec![var("User", "N", 3), var("Custom", "N", 3)],
            ..Package::default()
        };
        let mut s = ScopeStack::for_package(&p);
        assert!(s
            .resolve(None, "N")
            .unwrap_err()
            .to_string()
            .contains("ambiguous"));
        assert!(s.resolve(Some("Custom"), "N").is_ok());
        s.add_event_handler_system("OnError");
        assert_eq!(s.resolve(None, "ErrorCode").unwrap().1, DataType::I4);
        assert_eq!(s.resolve(None, "Propagate").unwrap().1, DataType::Bool);
        assert!(!s.take_project_reference());
        assert!(s.resolve(Some("$Project"), "P").is_err());
        assert!(s.take_project_reference());
        assert!(s
            .resolve(None, "Missing")
            .unwrap_err()
            .to_string()
            .contains("not found"));
    }
}
