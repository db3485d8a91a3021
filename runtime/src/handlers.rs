//! Event handlers: when an executable raises an event (OnPreExecute, OnPostExecute, OnError,
//! OnWarning, OnInformation, OnTaskFailed, OnVariableValueChanged, OnProgress), the handler
//! for that event on the executable runs, then the one on its parent, and so on up to the
//! package, until a handler sets `System::Propagate` to false ([`Runtime::fire`] tells the
//! caller, so that a stopped error does not reach a parent package). Before each run the
//! handler's system variables are set (`System::SourceName`, `System::ErrorCode`, …).
//!
//! Two rules keep handlers from waiting on each other. A handler already running in the
//! invocation chain of an event is not run again for it: an error raised inside the
//! package's OnError handler — or inside an OnTaskFailed handler that OnError's own failing
//! task started — does not start OnError once more, it goes on up past it (this is what
//! keeps a failing OnError handler from running itself forever). And one handler fired from
//! two parallel branches runs for both at once, each run on its own frames
//! ([`Runtime::lease_handler_frames`]), so neither sees the other's `System::ErrorCode`.
//! No lock is held while a handler runs. It owns propagation and handler runs; it must not
//! decide when events are raised.

use std::time::Instant;

use chrono::Local;

use super::events::EventBody;
use super::node::Node;
use super::runtime::Runtime;
use ssisd_engine::model::{EventHandler, ExecResult};
use ssisd_engine::types::Value;

/// The values an event hands to its handlers.
#[derive(Debug, Clone, Default)]
pub struct EventArgs {
    pub code: Option<i32>,
    pub description: Option<String>,
    /// OnPostExecute / OnTaskFailed: the executable's result.
    pub task_result: Option<i32>,
    /// OnVariableValueChanged.
    pub variable: Option<(String, String, String, Value)>,
    /// OnProgress: description and percent.
    pub progress: Option<(String, i32)>,
}

impl Runtime<'_> {
    /// Fires `event` raised by `source` up the chain of containers. Returns false when a
    /// handler stopped it (`System::Propagate` false), so it must not go on to a parent
    /// package; true when it went all the way up (or the run was cancelled first).
    pub fn fire(&self, source: &Node<'_>, event: &str, args: &EventArgs) -> bool {
        let mut at = Some(source);
        while let Some(n) = at {
            if !n.disable_event_handlers {
                if let Some(h) = n.handlers.iter().find(|h| {
                    h.event_name.eq_ignore_ascii_case(event)
                        && !h.properties.disabled
                        && !source.in_handler(&h.path)
                }) {
                    match self.run_handler(n, h, source, args) {
                        Some(true) => {}
                        Some(false) => return false,
                        // Cancelled: no more handlers, but none stopped the event.
                        None => return true,
                    }
                }
            }
            at = n.parent;
        }
        true
    }

    /// Runs one handler; returns the value of `System::Propagate` afterwards, `None` when
    /// the run is cancelled and the handler does not run.
    fn run_handler(
        &self,
        owner: &Node<'_>,
        h: &EventHandler,
        source: &Node<'_>,
        args: &EventArgs,
    ) -> Option<bool> {
        if self.cancelled() {
            return None;
        }
        let lease = self.lease_handler_frames(self.frame_in(owner, &h.path));
        let frame = lease.frame();
        let now = Value::Date(Local::now().naive_local());
        self.set_system(frame, "SourceName", Value::WStr(source.name.to_string()));
        self.set_system(frame, "SourceID", Value::WStr(source.id.to_string()));
        self.set_system(
            frame,
            "SourceDescription",
            Value::WStr(source.description.to_string()),
        );
        let parent_id = source.parent.map(|p| p.id).unwrap_or("");
        self.set_system(
            frame,
            "SourceParentGUID",
            Value::WStr(parent_id.to_string()),
        );
        self.set_system(frame, "EventHandlerStartTime", now.clone());
        self.set_system(frame, "ContainerStartTime", now);
        self.set_system(frame, "Propagate", Value::Bool(true));
        self.set_system(frame, "Cancel", Value::Bool(false));
        if let Some(c) = args.code {
            self.set_system(frame, "ErrorCode", Value::I4(c));
        }
        if let Some(d) = &args.description {
            self.set_system(frame, "ErrorDescription", Value::WStr(d.clone()));
        }
        if let Some(r) = args.task_result {
            self.set_system(frame, "TaskResult", Value::I4(r));
        }
        if let Some((name, id, description, value)) = &args.variable {
            self.set_system(frame, "VariableName", Value::WStr(name.clone()));
            self.set_system(frame, "VariableID", Value::WStr(id.clone()));
            self.set_system(
                frame,
                "VariableDescription",
                Value::WStr(description.clone()),
            );
            self.set_system(frame, "VariableValue", value.clone());
        }
        if let Some((d, pct)) = &args.progress {
            self.set_system(frame, "ProgressDescription", Value::WStr(d.clone()));
            self.set_system(frame, "ProgressPercentComplete", Value::I4(*pct));
        }
        let mut node = Node::new(
            Some(owner),
            &h.path,
            &h.event_name,
            &h.dtsid,
            "",
            frame,
            &h.event_handlers,
            h.properties.maximum_error_count,
        );
        node.invoker = Some(source);
        node.frame_map = lease.copy.clone();
        let started = Instant::now();
        self.emit(EventBody::ExecutableStarted {
            path: h.path.clone(),
            name: h.event_name.clone(),
            id: h.dtsid.clone(),
            kind: "EventHandler",
        });
        let mut result = self.run_children(&h.executables, &h.constraints, &node);
        if result == ExecResult::Success && (node.reached_max_errors() || node.must_fail()) {
            result = ExecResult::Failure;
        }
        self.emit(EventBody::ExecutableFinished {
            path: h.path.clone(),
            name: h.event_name.clone(),
            id: h.dtsid.clone(),
            result,
            duration: started.elapsed(),
        });
        Some(
            match self.vars.resolve(frame, Some("System"), "Propagate") {
                Ok(slot) => !matches!(self.vars.get(slot), Value::Bool(false)),
                Err(_) => true,
            },
        )
    }
}
