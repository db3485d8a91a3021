//! Type-checks every expression of a package in the scope where it runs: property
//! expressions (package, containers, tasks, event handlers, connection managers, Foreach
//! enumerators, variables), variable expressions, precedence-constraint expressions and For
//! Loop init/eval/assign expressions. Each failure names the package path of the expression
//! and the column of the bad token. It must not change the package nor evaluate anything.

use super::diagnostic::{codes, ValidationReport};
use super::scope::{variable_type, ScopeStack};
use crate::expr::Expression;
use crate::model::path;
use crate::model::{
    EventHandler, Executable, ExecutableKind, Package, PrecedenceConstraint, PropertyExpression,
    Variable,
};
use crate::types::{can_cast, DataType};

/// What an expression's result must be.
#[derive(Clone, Copy)]
enum Want {
    Anything,
    Boolean,
    Assignable(DataType),
}

struct Checker<'r> {
    scope: ScopeStack,
    report: &'r mut ValidationReport,
}

/// Checks every expression of `package`, adding errors and warnings to `report`.
pub fn check_expressions(package: &Package, report: &mut ValidationReport) {
    let mut c = Checker {
        scope: ScopeStack::for_package(package),
        report,
    };
    for cm in &package.connections {
        c.property_expressions(&cm.property_expressions);
    }
    c.container_body(
        &package.variables,
        &package.property_expressions,
        &package.constraints,
        &package.executables,
        &package.event_handlers,
    );
}

/// Whether `path` is a property that holds a secret (`….Properties[Password]`,
/// `ServerPassword`, …): the only kind of property an expression may give a sensitive value.
fn is_sensitive_property(path: &str) -> bool {
    path.rsplit_once(".Properties[")
        .and_then(|(_, rest)| rest.strip_suffix(']'))
        .is_some_and(|name| name.to_ascii_lowercase().ends_with("password"))
}

impl Checker<'_> {
    fn check(&mut self, path: &str, text: &str, want: Want) {
        if text.trim().is_empty() {
            return;
        }
        self.scope.take_project_reference();
        let result = Expression::compile(text, &self.scope);
        let project = self.scope.take_project_reference();
        let compiled = match result {
            Ok(e) => e,
            // The run would stop on it as well: say so now, and how to run it.
            Err(e) if project => {
                self.report.error(
                    codes::EXPRESSION_INVALID,
                    path,
                    format!(
                        "The expression \"{text}\" on \"{path}\" reads project parameters, which a \
                         package run from a file does not have (column {}: {}); run it with its \
                         project: dtexec /Project <project folder or .ispac> /Package <name>.dtsx.",
                        e.column, e.message
                    ),
                );
                return;
            }
            Err(e) => {
                self.report.error(
                    codes::EXPRESSION_INVALID,
                    path,
                    format!(
                        "The expression \"{text}\" on \"{path}\" is not valid: column {}: {}.",
                        e.column, e.message
                    ),
                );
                return;
            }
        };
        let sensitive = compiled
            .variables()
            .iter()
            .find_map(|v| self.scope.sensitive_parameter(*v));
        if let Some(parameter) = sensitive.filter(|_| !is_sensitive_property(path)) {
            self.report.error(
                codes::SENSITIVE_PARAMETER_IN_EXPRESSION,
                path,
                format!(
                    "The expression \"{text}\" on \"{path}\" will not be evaluated: it reads the \
                     sensitive parameter \"{parameter}\", and a sensitive value may only be \
                     given to a sensitive property (such as a connection manager's Password); \
                     set that property from the parameter instead, or clear Sensitive on the \
                     parameter."
                ),
            );
            return;
        }
        for w in compiled.warnings() {
            self.report.warning(
                codes::EXPRESSION_WARNING,
                path,
                format!("The expression \"{text}\" on \"{path}\": {w}"),
            );
        }
        let ty = *compiled.result_type();
        let bad = match want {
            Want::Anything => None,
            Want::Boolean if ty != DataType::Bool && ty != DataType::Null => {
                Some("a Boolean (DT_BOOL)".to_string())
            }
            Want::Assignable(target) if !can_cast(&ty, &target) => Some(format!(
                "convertible to the variable's type {}",
                target.name()
            )),
            _ => None,
        };
        if let Some(expected) = bad {
            self.report.error(
                codes::EXPRESSION_INVALID,
                path,
                format!(
                    "The expression \"{text}\" on \"{path}\" is not valid: column 1: its result \
                     is {}, but it must be {expected}.",
                    ty.name()
                ),
            );
        }
    }

    fn property_expressions(&mut self, list: &[PropertyExpression]) {
        for pe in list {
            self.check(&pe.path, &pe.expression, Want::Anything);
        }
    }

    fn variables(&mut self, vars: &[Variable]) {
        for v in vars {
            if v.evaluate_as_expression {
                let want = match variable_type(v.data_type) {
                    DataType::Object => Want::Anything,
                    t => Want::Assignable(t),
                };
                self.check(&v.path, &v.expression, want);
            }
            self.property_expressions(&v.property_expressions);
        }
    }

    fn constraints(&mut self, list: &[PrecedenceConstraint]) {
        for c in list {
            if c.eval_op.uses_expression() {
                self.check(&c.path, &c.expression, Want::Boolean);
            }
        }
    }

    /// The body of a container whose own variables are already on the scope stack.
    fn container_body(
        &mut self,
        vars: &[Variable],
        pes: &[PropertyExpression],
        constraints: &[PrecedenceConstraint],
        executables: &[Executable],
        handlers: &[EventHandler],
    ) {
        self.variables(vars);
        self.property_expressions(pes);
        self.constraints(constraints);
        for e in executables {
            self.executable(e);
        }
        for h in handlers {
            self.event_handler(h);
        }
    }

    fn executable(&mut self, e: &Executable) {
        let mark = self.scope.mark();
        self.scope.add_variables(&e.variables);
        match &e.kind {
            ExecutableKind::ForLoop(l) => {
                for (prop, text, want) in [
                    ("InitExpression", &l.init_expression, Want::Anything),
                    ("EvalExpression", &l.eval_expression, Want::Boolean),
                    ("AssignExpression", &l.assign_expression, Want::Anything),
                ] {
                    self.check(&path::property(&e.path, prop), text, want);
                }
            }
            ExecutableKind::ForEachLoop(l) => {
                if let Some(en) = &l.enumerator {
                    self.property_expressions(&en.property_expressions);
                }
            }
            _ => {}
        }
        self.container_body(
            &e.variables,
            &e.property_expressions,
            &e.constraints,
            &e.executables,
            &e.event_handlers,
        );
        self.scope.truncate(mark);
    }

    fn event_handler(&mut self, h: &EventHandler) {
        let mark = self.scope.mark();
        self.scope.add_event_handler_system(&h.event_name);
        self.scope.add_variables(&h.variables);
        self.container_body(
            &h.variables,
            &h.property_expressions,
            &h.constraints,
            &h.executables,
            &h.event_handlers,
        );
        self.scope.truncate(mark);
    }
}
