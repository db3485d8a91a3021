//! The run-time state of one executing container, task or event handler: its identity, its
//! frame, its error count against MaximumErrorCount, the FailParentOnFailure mark its
//! children may set, the execution value its task reports, and the link to its parent that
//! errors and events travel along. It owns that state only; it must not run anything.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

use ssisd_engine::model::EventHandler;
use ssisd_engine::types::Value;

pub struct Node<'a> {
    pub parent: Option<&'a Node<'a>>,
    pub path: &'a str,
    pub name: &'a str,
    pub id: &'a str,
    pub description: &'a str,
    pub frame: usize,
    pub handlers: &'a [EventHandler],
    pub disable_event_handlers: bool,
    /// MaximumErrorCount; 0 or less means no limit.
    pub max_errors: i32,
    errors: AtomicU32,
    fail_parent: AtomicBool,
    /// The task's execution value (rows affected, exit code, …), once it reports one.
    execution_value: Mutex<Option<Value>>,
    /// For an event handler: the path of its owner and its event name.
    pub handler_of: Option<(&'a str, &'a str)>,
}

impl<'a> Node<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        parent: Option<&'a Node<'a>>,
        path: &'a str,
        name: &'a str,
        id: &'a str,
        description: &'a str,
        frame: usize,
        handlers: &'a [EventHandler],
        max_errors: i32,
    ) -> Node<'a> {
        Node {
            parent,
            path,
            name,
            id,
            description,
            frame,
            handlers,
            disable_event_handlers: false,
            max_errors,
            errors: AtomicU32::new(0),
            fail_parent: AtomicBool::new(false),
            execution_value: Mutex::new(None),
            handler_of: None,
        }
    }

    /// Counts one error here and in every ancestor.
    pub fn count_error(&self) {
        let mut at = Some(self);
        while let Some(n) = at {
            n.errors.fetch_add(1, Ordering::SeqCst);
            at = n.parent;
        }
    }

    pub fn errors(&self) -> u32 {
        self.errors.load(Ordering::SeqCst)
    }

    /// Whether the error count reached MaximumErrorCount.
    pub fn reached_max_errors(&self) -> bool {
        self.max_errors > 0 && self.errors() >= self.max_errors as u32
    }

    /// A child with FailParentOnFailure failed.
    pub fn mark_fail_parent(&self) {
        self.fail_parent.store(true, Ordering::SeqCst);
    }

    pub fn must_fail(&self) -> bool {
        self.fail_parent.load(Ordering::SeqCst)
    }

    /// Records the task's execution value (the last one reported wins).
    pub fn set_execution_value(&self, value: Value) {
        match self.execution_value.lock() {
            Ok(mut g) => *g = Some(value),
            Err(p) => *p.into_inner() = Some(value),
        }
    }

    /// The execution value the task reported, if any.
    pub fn execution_value(&self) -> Option<Value> {
        match self.execution_value.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_up_the_chain() {
        let root = Node::new(None, "\\Package", "P", "", "", 0, &[], 1);
        let seq = Node::new(Some(&root), "\\Package\\S", "S", "", "", 1, &[], 3);
        let task = Node::new(Some(&seq), "\\Package\\S\\T", "T", "", "", 2, &[], 0);
        task.count_error();
        assert!(root.reached_max_errors());
        assert!(!seq.reached_max_errors());
        assert!(!task.reached_max_errors());
        assert_eq!(seq.errors(), 1);
    }
}
