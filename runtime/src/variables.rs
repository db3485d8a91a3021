//! The run's variables: every variable of every scope (package, containers, tasks, event
//! handlers, plus system variables, `$Project::` and `$Package::` parameters) as a slot in one table, and
//! the frames that say which slots each scope sees. An inner variable shadows an outer one
//! with the same qualified name; an unqualified name found in two namespaces is ambiguous
//! (the same rules as `validate::scope`). Variables with EvaluateAsExpression are
//! re-evaluated on every read; read-only variables refuse writes. A scope's subtree can be
//! copied ([`Variables::instantiate`]) so that two runs of one event handler at the same time
//! each have their own variables. It owns values, lookup and typing of written values; it
//! must not raise events (callers report changes).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::object_value::ObjectValue;
use ssisd_engine::expr::{ExprError, Expression, ScopeError, VarRef, VariableScope};
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
        let count = self.infos.len();
        let vars = Variables {
            table: RwLock::new(Table {
                infos: self.infos.into_iter().map(Arc::new).collect(),
                frames: self.frames,
                exprs: vec![None; count],
            }),
            state: Mutex::new(self.states),
        };
        let errors = vars.compile_expressions(0..count);
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
    /// Slots and frames; only [`Variables::instantiate`] adds to it. No lock on it is held
    /// while an expression is evaluated or while `state` is locked.
    table: RwLock<Table>,
    state: Mutex<Vec<SlotState>>,
}

#[derive(Debug)]
struct Table {
    infos: Vec<Arc<SlotInfo>>,
    frames: Vec<Frame>,
    exprs: Vec<Option<Arc<Expression>>>,
}

/// Where the frames of a copied subtree went: original frame → its copy.
pub type FrameMap = HashMap<usize, usize>;

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
    /// A name without namespace matches variables of two namespaces.
    #[error("the variable name \"{name}\" is ambiguous: it exists in the namespaces \"{namespace}\" and \"{other}\"; write @[Namespace::{name}]")]
    Ambiguous {
        name: String,
        namespace: String,
        other: String,
    },
    /// No variable of that name (as written, `ns::name` or `name`) is visible.
    #[error("the variable \"{0}\" was not found in this scope")]
    NotInScope(String),
    /// No variable with that DTSID is visible.
    #[error("no variable with the id \"{0}\" is visible in this scope")]
    NoSuchId(String),
}

/// An expression that does not compile, with its text; the message is [`describe`]'s.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", describe(.text, .source))]
pub struct InvalidExpression {
    pub text: String,
    #[source]
    pub source: ExprError,
}

impl Variables {
    fn lock(&self) -> MutexGuard<'_, Vec<SlotState>> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn table(&self) -> RwLockReadGuard<'_, Table> {
        match self.table.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn table_mut(&self) -> RwLockWriteGuard<'_, Table> {
        match self.table.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn info(&self, slot: usize) -> Option<Arc<SlotInfo>> {
        self.table().infos.get(slot).cloned()
    }

    pub fn frame(&self, frame: usize) -> Option<Frame> {
        self.table().frames.get(frame).cloned()
    }

    /// Compiles the expressions of `slots`, each in its own scope; returns the failures as
    /// (variable path, message).
    fn compile_expressions(&self, slots: std::ops::Range<usize>) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut compiled = Vec::new();
        for slot in slots {
            let Some(info) = self.info(slot) else {
                continue;
            };
            let Some(text) = info.expression.as_deref() else {
                continue;
            };
            match Expression::compile(text, &self.scope(info.frame)) {
                Ok(e) => compiled.push((slot, Arc::new(e))),
                Err(e) => errors.push((info.path.clone(), describe(text, &e))),
            }
        }
        let mut t = self.table_mut();
        for (slot, e) in compiled {
            if let Some(x) = t.exprs.get_mut(slot) {
                *x = Some(e);
            }
        }
        errors
    }

    /// Copies the frame `root` and every frame below it — their slots with their current
    /// values — into new frames under `root`'s parent; returns where each frame went. The
    /// copies are independent from then on: a second run of an event handler while the first
    /// is still running uses them, so neither sees the other's system variables.
    pub fn instantiate(&self, root: usize) -> FrameMap {
        let mut map = FrameMap::new();
        let first_new_slot;
        let last_new_slot;
        {
            let mut t = self.table_mut();
            let mut st = self.lock();
            first_new_slot = t.infos.len();
            let inside = |t: &Table, mut f: usize| loop {
                if f == root {
                    return true;
                }
                match t.frames.get(f).and_then(|x| x.parent) {
                    Some(p) => f = p,
                    None => return false,
                }
            };
            // Parents come before their children in the table, so each copy's parent exists.
            for f in root..t.frames.len() {
                if !inside(&t, f) {
                    continue;
                }
                let original = t.frames[f].clone();
                let parent = if f == root {
                    original.parent
                } else {
                    original.parent.and_then(|p| map.get(&p).copied())
                };
                let copy = t.frames.len();
                t.frames.push(Frame {
                    parent,
                    path: original.path.clone(),
                    slots: Vec::with_capacity(original.slots.len()),
                });
                map.insert(f, copy);
                for s in original.slots {
                    let mut info = (*t.infos[s]).clone();
                    info.frame = copy;
                    let state = st.get(s).cloned().unwrap_or(SlotState {
                        value: Value::Null(info.ty),
                        object: None,
                    });
                    t.infos.push(Arc::new(info));
                    t.exprs.push(None);
                    st.push(state);
                    let slot = t.infos.len() - 1;
                    t.frames[copy].slots.push(slot);
                }
            }
            last_new_slot = t.infos.len();
        }
        // They compiled in the original frames, so they compile in the copies.
        let _ = self.compile_expressions(first_new_slot..last_new_slot);
        map
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
    ) -> Result<usize, VariableError> {
        let t = self.table();
        let mut found: Option<usize> = None;
        let mut at = Some(frame);
        while let Some(f) = at.and_then(|i| t.frames.get(i)) {
            for &s in f.slots.iter().rev() {
                let info = &t.infos[s];
                if info.name != name || namespace.is_some_and(|ns| ns != info.namespace) {
                    continue;
                }
                // Project parameters are only ever named with their namespace.
                if namespace.is_none() && info.namespace == "$Project" {
                    continue;
                }
                match found {
                    None => found = Some(s),
                    Some(first) if t.infos[first].namespace == info.namespace => {}
                    Some(first) => {
                        return Err(VariableError::Ambiguous {
                            name: name.to_string(),
                            namespace: info.namespace.clone(),
                            other: t.infos[first].namespace.clone(),
                        })
                    }
                }
            }
            at = f.parent;
        }
        found.ok_or_else(|| {
            VariableError::NotInScope(match namespace {
                Some(ns) => format!("{ns}::{name}"),
                None => name.to_string(),
            })
        })
    }

    /// Finds a variable by its DTSID (`{…}`, any case) among those visible from `frame`.
    pub fn resolve_id(&self, frame: usize, dtsid: &str) -> Result<usize, VariableError> {
        let id = dtsid.trim();
        let t = self.table();
        let mut at = Some(frame);
        while let Some(f) = at.and_then(|i| t.frames.get(i)) {
            if let Some(&s) = f
                .slots
                .iter()
                .find(|&&s| t.infos[s].dtsid.eq_ignore_ascii_case(id))
            {
                return Ok(s);
            }
            at = f.parent;
        }
        Err(VariableError::NoSuchId(id.to_string()))
    }

    /// Finds a name written as `User::X`, `[User::X]`, `@[User::X]` or `X`, or a DTSID
    /// `{…}` (data-flow parameter mappings name variables by id).
    pub fn resolve_text(&self, frame: usize, text: &str) -> Result<usize, VariableError> {
        let trimmed = text.trim();
        if trimmed.starts_with('{') && trimmed.ends_with('}') {
            return self.resolve_id(frame, trimmed);
        }
        let t = trimmed.trim_start_matches('@');
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
        let expr = {
            let t = self.table();
            t.exprs
                .get(slot)
                .and_then(|e| e.clone())
                .map(|e| (e, t.infos[slot].ty))
        };
        if let Some((expr, ty)) = expr {
            let depth = DEPTH.with(|d| d.get());
            if depth >= MAX_DEPTH {
                return Value::Null(ty);
            }
            DEPTH.with(|d| d.set(depth + 1));
            let v = expr.evaluate(self);
            DEPTH.with(|d| d.set(depth));
            return match v {
                Ok(v) => convert(&v, &ty).unwrap_or(v),
                Err(_) => Value::Null(ty),
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
    fn writable(&self, slot: usize) -> Result<Arc<SlotInfo>, VariableError> {
        let info = self
            .info(slot)
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
        let Some(info) = self.info(slot) else {
            return Ok(false);
        };
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
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        let project = namespace.is_some_and(|ns| ns.eq_ignore_ascii_case("$Project"));
        if project
            && !self
                .vars
                .table()
                .infos
                .iter()
                .any(|i| i.namespace == "$Project")
        {
            return Err(ScopeError::NoProject {
                name: name.to_string(),
            });
        }
        let slot = self
            .vars
            .resolve(self.frame, namespace, name)
            .map_err(|e| ScopeError::Other(Box::new(e)))?;
        let ty = self.vars.table().infos[slot].ty;
        Ok((VarRef(slot), ty))
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
        ro.dtsid = "{60BD0000-0000-4000-8000-0000000000AA}".into();
        let r = b.add(ro, Value::I4(5));
        let mut ex = info(seq, "User", "E", DataType::I4);
        ex.expression = Some("@X * 10".into());
        let e = b.add(ex, Value::I4(0));
        let (vars, errors) = b.finish();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(vars.resolve(seq, None, "X"), Ok(inner));
        assert_eq!(vars.resolve(pkg, Some("User"), "X"), Ok(outer));
        assert_eq!(vars.resolve_text(seq, "@[User::X]"), Ok(inner));
        assert_eq!(
            vars.resolve_text(seq, " {60bd0000-0000-4000-8000-0000000000aa}"),
            Ok(r)
        );
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
    fn lookup_failures_keep_their_words() {
        let mut b = VariablesBuilder::default();
        let pkg = b.frame(None, "\\Package");
        b.add(info(pkg, "User", "X", DataType::I4), Value::I4(1));
        b.add(info(pkg, "Other", "X", DataType::I4), Value::I4(2));
        let (vars, _) = b.finish();
        let text = |r: Result<usize, VariableError>| r.unwrap_err().to_string();
        assert_eq!(
            text(vars.resolve(pkg, None, "X")),
            "the variable name \"X\" is ambiguous: it exists in the namespaces \"User\" and \
             \"Other\"; write @[Namespace::X]"
        );
        assert_eq!(
            text(vars.resolve(pkg, Some("User"), "Y")),
            "the variable \"User::Y\" was not found in this scope"
        );
        assert_eq!(
            text(vars.resolve_text(pkg, "Y")),
            "the variable \"Y\" was not found in this scope"
        );
        assert_eq!(
            text(vars.resolve_text(pkg, " {AB} ")),
            "no variable with the id \"{AB}\" is visible in this scope"
        );
        let source = ExprError::new(3, "unexpected end");
        let invalid = InvalidExpression {
            text: "1 +".into(),
            source: source.clone(),
        };
        assert_eq!(invalid.to_string(), describe("1 +", &source));
    }

    #[test]
    fn copied_frames_keep_their_own_values() {
        let mut b = VariablesBuilder::default();
        let pkg = b.frame(None, "\\Package");
        let h = b.frame(Some(pkg), "\\Package.EventHandlers[OnError]");
        let t = b.frame(Some(h), "\\Package.EventHandlers[OnError]\\T");
        let outer = b.add(info(pkg, "User", "X", DataType::I4), Value::I4(1));
        let src = b.add(
            info(h, "System", "SourceName", DataType::WStr { len: 0 }),
            Value::WStr("A".into()),
        );
        let mut ex = info(t, "User", "E", DataType::WStr { len: 0 });
        ex.expression = Some("@[System::SourceName] + \"!\"".into());
        let e = b.add(ex, Value::WStr(String::new()));
        let (vars, errors) = b.finish();
        assert!(errors.is_empty(), "{errors:?}");
        let map = vars.instantiate(h);
        assert_eq!(map.len(), 2);
        let (h2, t2) = (map[&h], map[&t]);
        let src2 = vars
            .resolve(t2, Some("System"), "SourceName")
            .expect("copy");
        assert_ne!(src2, src);
        assert_eq!(vars.get(src2), Value::WStr("A".into()));
        vars.set_system(src2, Value::WStr("B".into()));
        assert_eq!(vars.get(src), Value::WStr("A".into()));
        let e2 = vars.resolve(t2, Some("User"), "E").expect("copy");
        assert_eq!(vars.get(e2), Value::WStr("B!".into()));
        assert_eq!(vars.get(e), Value::WStr("A!".into()));
        // Outside the copied subtree everything is shared.
        assert_eq!(vars.resolve(h2, Some("User"), "X"), Ok(outer));
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
