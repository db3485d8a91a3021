//! The run-time state of one executing container, task or event handler: its identity, its
//! frame, its error count against MaximumErrorCount, the FailParentOnFailure mark its
//! children may set, the execution value its task reports, and the link to its parent that
//! errors and events travel along. An event handler's node also knows what invoked it (the
//! executable whose event it handles) and, when it runs on copied frames, where they are:
//! following invokers gives the *invocation chain* — which handlers are already running for
//! this event, whether a MaxConcurrentExecutables slot is already held. It owns that state
//! only; it must not run anything.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::variables::FrameMap;
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
    /// For an event handler: the executable whose event it runs for.
    pub invoker: Option<&'a Node<'a>>,
    /// For an event handler run on copies of its frames: original frame → copy.
    pub frame_map: Option<Arc<FrameMap>>,
    /// A task that holds a MaxConcurrentExecutables slot while it runs.
    holds_slot: AtomicBool,
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
            invoker: None,
            frame_map: None,
            holds_slot: AtomicBool::new(false),
        }
    }

    /// The next node of the invocation chain: for an event handler the executable whose
    /// event it handles (its owner is that executable or one of its containers, so nothing
    /// is skipped), for anything else its parent.
    pub fn caller(&self) -> Option<&'a Node<'a>> {
        self.invoker.or(self.parent)
    }

    /// Whether the event handler at `handler_path` is running somewhere up the invocation
    /// chain of this node (an event raised inside it must not run it again).
    pub fn in_handler(&self, handler_path: &str) -> bool {
        let mut at = Some(self);
        while let Some(n) = at {
            if n.invoker.is_some() && n.path == handler_path {
                return true;
            }
            at = n.caller();
        }
        false
    }

    /// Whether a task up the invocation chain already holds a MaxConcurrentExecutables slot
    /// (a task inside an event handler runs on the slot of the task whose event it handles).
    pub fn chain_holds_slot(&self) -> bool {
        let mut at = Some(self);
        while let Some(n) = at {
            if n.holds_slot.load(Ordering::SeqCst) {
                return true;
            }
            at = n.caller();
        }
        false
    }

    pub fn set_holds_slot(&self, held: bool) {
        self.holds_slot.store(held, Ordering::SeqCst);
    }

    /// Where the frame `frame` of the package's layout is for this node: an executable inside
    /// an event handler that runs on copied frames uses the copies (outer copies first).
    pub fn map_frame(&self, frame: usize) -> usize {
        let frame = match self.parent {
            Some(p) => p.map_frame(frame),
            None => frame,
        };
        match &self.frame_map {
            Some(m) => m.get(&frame).copied().unwrap_or(frame),
            None => frame,
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
