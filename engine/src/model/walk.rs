//! Traversal of a loaded package: every executable (event-handler executables included),
//! every event handler, variable, property expression and expression text, each with its
//! package path. It must not change the package; `/VALIDATE` and the validation report are
//! built on these iterators.

use super::constraint::PrecedenceConstraint;
use super::event_handler::EventHandler;
use super::executable::{Executable, ExecutableKind};
use super::expression::{ExpressionKind, ExpressionSite, PropertyExpression};
use super::package::Package;
use super::variable::Variable;

/// One container-like scope: the package, an executable or an event handler.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Package(&'a Package),
    Executable(&'a Executable),
    EventHandler(&'a EventHandler),
}

impl<'a> Scope<'a> {
    pub fn path(&self) -> &'a str {
        match self {
            Scope::Package(p) => p.path(),
            Scope::Executable(e) => &e.path,
            Scope::EventHandler(h) => &h.path,
        }
    }

    pub fn variables(&self) -> &'a [Variable] {
        match self {
            Scope::Package(p) => &p.variables,
            Scope::Executable(e) => &e.variables,
            Scope::EventHandler(h) => &h.variables,
        }
    }

    pub fn property_expressions(&self) -> &'a [PropertyExpression] {
        match self {
            Scope::Package(p) => &p.property_expressions,
            Scope::Executable(e) => &e.property_expressions,
            Scope::EventHandler(h) => &h.property_expressions,
        }
    }

    pub fn executables(&self) -> &'a [Executable] {
        match self {
            Scope::Package(p) => &p.executables,
            Scope::Executable(e) => &e.executables,
            Scope::EventHandler(h) => &h.executables,
        }
    }

    pub fn constraints(&self) -> &'a [PrecedenceConstraint] {
        match self {
            Scope::Package(p) => &p.constraints,
            Scope::Executable(e) => &e.constraints,
            Scope::EventHandler(h) => &h.constraints,
        }
    }

    pub fn event_handlers(&self) -> &'a [EventHandler] {
        match self {
            Scope::Package(p) => &p.event_handlers,
            Scope::Executable(e) => &e.event_handlers,
            Scope::EventHandler(h) => &h.event_handlers,
        }
    }
}

fn visit<'a>(scope: Scope<'a>, f: &mut dyn FnMut(Scope<'a>)) {
    f(scope);
    for e in scope.executables() {
        visit(Scope::Executable(e), f);
    }
    for h in scope.event_handlers() {
        visit(Scope::EventHandler(h), f);
    }
}

impl Package {
    /// Calls `f` for the package, then depth-first for every executable and event handler
    /// (an executable's children before its event handlers).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(Scope<'a>)) {
        visit(Scope::Package(self), f);
    }

    /// Every executable of the package, event-handler executables included, depth-first.
    pub fn all_executables(&self) -> Vec<&Executable> {
        let mut out = Vec::new();
        self.walk(&mut |s| {
            if let Scope::Executable(e) = s {
                out.push(e);
            }
        });
        out
    }

    /// Every event handler, at any depth.
    pub fn all_event_handlers(&self) -> Vec<&EventHandler> {
        let mut out = Vec::new();
        self.walk(&mut |s| {
            if let Scope::EventHandler(h) = s {
                out.push(h);
            }
        });
        out
    }

    /// Every variable in every scope.
    pub fn all_variables(&self) -> Vec<&Variable> {
        let mut out = Vec::new();
        self.walk(&mut |s| out.extend(s.variables()));
        out
    }

    /// Every property expression: on the package, containers, tasks, event handlers,
    /// Foreach enumerators and connection managers.
    pub fn all_property_expressions(&self) -> Vec<&PropertyExpression> {
        let mut out: Vec<&PropertyExpression> = Vec::new();
        for c in &self.connections {
            out.extend(&c.property_expressions);
        }
        self.walk(&mut |s| {
            out.extend(s.property_expressions());
            for v in s.variables() {
                out.extend(&v.property_expressions);
            }
            if let Scope::Executable(Executable {
                kind: ExecutableKind::ForEachLoop(l),
                ..
            }) = s
            {
                if let Some(en) = &l.enumerator {
                    out.extend(&en.property_expressions);
                }
            }
        });
        out
    }

    /// Every expression text in the package with the path of its owner: variable
    /// expressions (when evaluated as expressions), property expressions, constraint
    /// expressions (when the EvalOp uses them) and For Loop expressions (when not empty).
    pub fn expressions(&self) -> Vec<ExpressionSite<'_>> {
        let mut out = Vec::new();
        for pe in self.all_property_expressions() {
            out.push(ExpressionSite {
                path: pe.path.clone(),
                kind: ExpressionKind::Property,
                text: &pe.expression,
            });
        }
        self.walk(&mut |s| {
            for v in s.variables() {
                if v.evaluate_as_expression {
                    out.push(ExpressionSite {
                        path: v.path.clone(),
                        kind: ExpressionKind::Variable,
                        text: &v.expression,
                    });
                }
            }
            for c in s.constraints() {
                if c.eval_op.uses_expression() {
                    out.push(ExpressionSite {
                        path: c.path.clone(),
                        kind: ExpressionKind::Constraint,
                        text: &c.expression,
                    });
                }
            }
            if let Scope::Executable(Executable {
                kind: ExecutableKind::ForLoop(l),
                path,
                ..
            }) = s
            {
                for (kind, text, prop) in [
                    (
                        ExpressionKind::ForLoopInit,
                        &l.init_expression,
                        "InitExpression",
                    ),
                    (
                        ExpressionKind::ForLoopEval,
                        &l.eval_expression,
                        "EvalExpression",
                    ),
                    (
                        ExpressionKind::ForLoopAssign,
                        &l.assign_expression,
                        "AssignExpression",
                    ),
                ] {
                    if !text.trim().is_empty() {
                        out.push(ExpressionSite {
                            path: super::path::property(path, prop),
                            kind,
                            text,
                        });
                    }
                }
            }
        });
        out
    }

    /// The executable at `path` (e.g. `\Package\Seq\Task`), event handlers included.
    pub fn find_executable(&self, path: &str) -> Option<&Executable> {
        self.all_executables().into_iter().find(|e| e.path == path)
    }
}
