//! The run's variables: every variable of every scope (package, containers, tasks, event
//! handlers, plus system variables, `$Project::` and `$Package::` parameters) as a slot in one table, and
//! the frames that say which slots each scope sees. An inner variable shadows an outer one
//! with the same qualified name; an unqualified name found in two namespaces is ambiguous
//! (the same rules as `validate::scope`). Variables with EvaluateAsExpression are
//! re-evaluated on every read; read-only variables refuse writes. It owns values, lookup and
//! typing of written values; it must not raise events (callers report changes).

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard};

use super::object_value::ObjectValue;
use ssisd_engine::expr::{ExprError, Expression, VarRef, VariableScope};
use ssisd_engine::types::{convert, DataType, Value};

/// Static facts about one slot.
#[derive(Debug, Clone)]
pub struct SlotInfo {
    pub namespace: String,
    pub name: String,
    /// `\Package.Variables[User::X]`.
    pub path: String,
    pub frame: usize,
    pub ty: DataType,
    pub read_only: bool,
    pub raise_changed_event: bool,
    pub dtsid: String,
    pub description: String,
    /// The expression text when the variable is evaluated as an expression.
    pub expression: Option<String>,
}

impl SlotInfo {
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone)]
struct SlotState {
    value: Value,
    object: Option<Arc<ObjectValue>>,
}

/// One scope: the slots it declares and the scope around it.
#[derive(Debug, Clone)]
pub struct Frame {
    pub parent: Option<usize>,
    pub path: String,
    pub slots: Vec<usize>,
}

/// Collects frames and slots before the run; [`VariablesBuilder::finish`] compiles the
/// variable expressions.
#[derive(Debug, Default)]
pub struct VariablesBuilder {
    infos: Vec<SlotInfo>,
    states: Vec<SlotState>,
    frames: Vec<Frame>,
}

impl VariablesBuilder {
    pub fn frame(&mut self, parent: Option<usize>, path: &str) -> usize {
        self.frames.push(Frame {
            parent,
            path: path.to_string(),
            slots: Vec::new(),
        });
        self.frames.len() - 1
    }

    /// Adds a slot to `info.frame`, replacing a slot of the same qualified name in that
    /// frame (a declared `System::Propagate` replaces the built-in one).
    pub fn add(&mut self, info: SlotInfo, value: Value) -> usize {
        let frame = info.frame;
        let existing = self.frames.get(frame).and_then(|f| {
            f.slots.iter().copied().find(|&s| {
                self.infos[s].namespace == info.namespace && self.infos[s].name == info.name
            })
        });
        let state = SlotState {
            value,
            object: None,
        };
        if let Some(s) = existing {
            self.infos[s] = info;
            self.states[s] = state;
            return s;
        }
        self.infos.push(info);
        self.states.push(state);
        let slot = self.infos.len() - 1;
        if let Some(f) = self.frames.get_mut(frame) {
            f.slots.push(slot);
        }
        slot
    }

    /// Freezes the table and compiles every variable expression in its own scope; returns
    /// the failures as (variable path, message).
    pub fn finish(self) -> (Variables, Vec<(String, String)>) {
        let mut vars = Variables {
            infos: self.infos,
            frames: self.frames,
            exprs: Vec::new(),
            state: Mutex::new(self.states),
        };
        let mut errors = Vec::new();
        let mut exprs = Vec::with_capacity(vars.infos.len());
        for info in &vars.infos {
            let compiled = info.expression.as_deref().and_then(|text| {
                match Expression::compile(text, &vars.scope(info.frame)) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        errors.push((info.path.clone(), describe(text, &e)));
                        None
                    }
                }
            });
            exprs.push(compiled);
        }
        vars.exprs = exprs;
        (vars, errors)
    }
}

/// `The expression "…" is not valid: column n: message`.
pub fn describe(text: &str, e: &ExprError) -> String {
    format!(
        "The expression \"{text}\" is not valid: column {}: {}",
        e.column, e.message
    )
}

/// The variable table of a run, shared by every thread.
#[derive(Debug)]
pub struct Variables {
    infos: Vec<SlotInfo>,
    frames: Vec<Frame>,
    exprs: Vec<Option<Expression>>,
    state: Mutex<Vec<SlotState>>,
}

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// How deep variable expressions may read other variable expressions.
const MAX_DEPTH: u32 = 64;

/// A failed read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    #[error("{0}")]
    NotFound(String),
    #[error("the variable \"{0}\" is read-only")]
    ReadOnly(String),
    #[error("the value cannot be assigned to the variable \"{name}\": {reason}")]
    Rejected { name: String, reason: String },
}

impl Variables {
    fn lock(&self) -> MutexGuard<'_, Vec<SlotState>> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn info(&self, slot: usize) -> Option<&SlotInfo> {
        self.infos.get(slot)
    }

    pub fn frame(&self, frame: usize) -> Option<&Frame> {
        self.frames.get(frame)
    }

    /// The compile-time view of `frame`.
    pub fn scope(&self, frame: usize) -> FrameScope<'_> {
        FrameScope { vars: self, frame }
    }

    /// Compiles `text` in the scope of `frame`.
    pub fn compile(&self, frame: usize, text: &str) -> Result<Expression, ExprError> {
        Expression::compile(text, &self.scope(frame))
    }

    /// Finds `ns::name` (or `name`) as seen from `frame`.
    pub fn resolve(
        &self,
        frame: usize,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<usize, String> {
        let mut found: Option<usize> = None;
        let mut at = Some(frame);
        while let Some(f) = at.and_then(|i| self.frames.get(i)) {
            for &s in f.slots.iter().rev() {
                let info = &self.infos[s];
                if info.name != name || namespace.is_some_and(|ns| ns != info.namespace) {
                    continue;
                }
                // Project parameters are only ever named with their namespace.
                if namespace.is_none() && info.namespace == "$Project" {
                    continue;
                }
                match found {
                    None => found = Some(s),
                    Some(first) if self.infos[first].namespace == info.namespace => {}
                    Some(first) => {
                        return Err(format!(
                            "the variable name \"{name}\" is ambiguous: it exists in the \
                             namespaces \"{}\" and \"{}\"; write @[Namespace::{name}]",
                            info.namespace, self.infos[first].namespace
                        ))
                    }
                }
            }
            at = f.parent;
        }
        found.ok_or_else(|| match namespace {
            Some(ns) => format!("the variable \"{ns}::{name}\" was not found in this scope"),
            None => format!("the variable \"{name}\" was not found in this scope"),
        })
    }

    /// Finds a variable by its DTSID (`{…}`, any case) among those visible from `frame`.
    pub fn resolve_id(&self, frame: usize, dtsid: &str) -> Result<usize, String> {
        let id = dtsid.trim();
        let mut at = Some(frame);
        while let Some(f) = at.and_then(|i| self.frames.get(i)) {
            if let Some(&s) = f
                .slots
                .iter()
                .find(|&&s| self.infos[s].dtsid.eq_ignore_ascii_case(id))
            {
                return Ok(s);
            }
            at = f.parent;
        }
        Err(format!(
            "no variable with the id \"{id}\" is visible in this scope"
        ))
    }

    /// Finds a name written as `User::X`, `[User::X]`, `@[User::X]` or `X`.
    pub fn resolve_text(&self, frame: usize, text: &str) -> Result<usize, String> {
        let t = text.trim().trim_start_matches('@');
        let t = t
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(t);
        match t.split_once("::") {
            Some((ns, name)) => self.resolve(frame, Some(ns), name),
            None => self.resolve(frame, None, t),
        }
    }

    /// The current value (a variable expression is evaluated now).
    pub fn get(&self, slot: usize) -> Value {
        if let Some(Some(expr)) = self.exprs.get(slot) {
            let depth = DEPTH.with(|d| d.get());
            if depth >= MAX_DEPTH {
                return Value::Null(self.infos[slot].ty);
            }
            DEPTH.with(|d| d.set(depth + 1));
            let v = expr.evaluate(self);
            DEPTH.with(|d| d.set(depth));
            return match v {
                Ok(v) => convert(&v, &self.infos[slot].ty).unwrap_or(v),
                Err(_) => Value::Null(self.infos[slot].ty),
            };
        }
        self.lock()
            .get(slot)
            .map(|s| s.value.clone())
            .unwrap_or(Value::Empty)
    }

    /// The object held by an Object variable, if any.
    pub fn object(&self, slot: usize) -> Option<Arc<ObjectValue>> {
        self.lock().get(slot).and_then(|s| s.object.clone())
    }

    /// The variable at `slot`, when it exists and is not read-only.
    fn writable(&self, slot: usize) -> Result<&SlotInfo, VariableError> {
        let info = self
            .infos
            .get(slot)
            .ok_or_else(|| VariableError::NotFound(format!("no variable with handle {slot}")))?;
        if info.read_only {
            return Err(VariableError::ReadOnly(info.qualified_name()));
        }
        Ok(info)
    }

    /// Writes `value` (converted to the variable's type). Returns whether the value changed.
    pub fn set(&self, slot: usize, value: Value) -> Result<bool, VariableError> {
        self.writable(slot)?;
        self.store(slot, value)
    }

    /// Writes bypassing read-only (system variables set by the runtime).
    pub fn set_system(&self, slot: usize, value: Value) {
        let _ = self.store(slot, value);
    }

    fn store(&self, slot: usize, value: Value) -> Result<bool, VariableError> {
        let info = &self.infos[slot];
        let value = match (&info.ty, &value) {
            (DataType::Object, _) => value,
            (ty, v) if v.data_type() == *ty => value,
            (ty, v) => convert(v, ty).map_err(|e| VariableError::Rejected {
                name: info.qualified_name(),
                reason: e.to_string(),
            })?,
        };
        let mut g = self.lock();
        let Some(s) = g.get_mut(slot) else {
            return Ok(false);
        };
        let changed = s.value != value;
        s.value = value;
        if info.ty != DataType::Object {
            s.object = None;
        }
        Ok(changed)
    }

    /// Stores an object (result set, list) in an Object variable.
    pub fn set_object(&self, slot: usize, object: ObjectValue) -> Result<(), VariableError> {
        let info = self.writable(slot)?;
        if info.ty != DataType::Object {
            return Err(VariableError::Rejected {
                name: info.qualified_name(),
                reason: "only Object variables hold result sets and lists".into(),
            });
        }
        if let Some(s) = self.lock().get_mut(slot) {
            s.value = Value::Object;
            s.object = Some(Arc::new(object));
        }
        Ok(())
    }
}

impl ssisd_engine::expr::VariableValues for Variables {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        Cow::Owned(self.get(var.0))
    }
}

/// The variables visible from one frame, for compiling expressions.
pub struct FrameScope<'a> {
    vars: &'a Variables,
    frame: usize,
}

impl VariableScope for FrameScope<'_> {
    fn resolve(&self, namespace: Option<&str>, name: &str) -> Result<(VarRef, DataType), String> {
        let no_project = !self.vars.infos.iter().any(|i| i.namespace == "$Project");
        if no_project && namespace.is_some_and(|ns| ns.eq_ignore_ascii_case("$Project")) {
            return Err(format!(
                "the project parameter \"$Project::{name}\" is not available: a package run \
                 from a file has no project"
            ));
        }
        let slot = self.vars.resolve(self.frame, namespace, name)?;
        Ok((VarRef(slot), self.vars.infos[slot].ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(frame: usize, ns: &str, name: &str, ty: DataType) -> SlotInfo {
        SlotInfo {
            namespace: ns.into(),
            name: name.into(),
            path: format!("p[{ns}::{name}]"),
            frame,
            ty,
            read_only: false,
            raise_changed_event: false,
            dtsid: String::new(),
            description: String::new(),
            expression: None,
        }
    }

    #[test]
    fn shadowing_read_only_and_expressions() {
        let mut b = VariablesBuilder::default();
        let pkg = b.frame(None, "\\Package");
        let seq = b.frame(Some(pkg), "\\Package\\Seq");
        let outer = b.add(info(pkg, "User", "X", DataType::I4), Value::I4(1));
        let inner = b.add(info(seq, "User", "X", DataType::I4), Value::I4(2));
        let mut ro = info(pkg, "User", "R", DataType::I4);
        ro.read_only = true;
        let r = b.add(ro, Value::I4(5));
        let mut ex = info(seq, "User", "E", DataType::I4);
        ex.expression = Some("@X * 10".into());
        let e = b.add(ex, Value::I4(0));
        let (vars, errors) = b.finish();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(vars.resolve(seq, None, "X"), Ok(inner));
        assert_eq!(vars.resolve(pkg, Some("User"), "X"), Ok(outer));
        assert_eq!(vars.resolve_text(seq, "@[User::X]"), Ok(inner));
        assert!(matches!(
            vars.set(r, Value::I4(1)),
            Err(VariableError::ReadOnly(_))
        ));
        assert_eq!(vars.get(e), Value::I4(20));
        assert_eq!(vars.set(inner, Value::WStr("7".into())), Ok(true));
        assert_eq!(vars.get(inner), Value::I4(7));
        assert_eq!(vars.get(e), Value::I4(70));
        assert_eq!(vars.get(outer), Value::I4(1));
        assert!(vars.set(inner, Value::WStr("x".into())).is_err());
    }

    #[test]
    fn self_referencing_expression_terminates() {
        let mut b = VariablesBuilder::default();
        let pkg = b.frame(None, "\\Package");
        let mut ex = info(pkg, "User", "Loop", DataType::I4);
        ex.expression = Some("@Loop + 1".into());
        let s = b.add(ex, Value::I4(0));
        let (vars, _) = b.finish();
        let _ = vars.get(s);
    }
}
