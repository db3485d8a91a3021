//! The event sink a child package reports through — in process as the child run's sink, out of
//! process fed with the records of the child dtexec's own event stream: every child path is
//! placed under the Execute Package task's path (`\Package\Run Child` + `\Package\Write` →
//! `\Package\Run Child\Package\Write`), the child's own run start and end are left out (the
//! task's executable events frame it), and errors, warnings and information that the child's
//! own handlers let propagate (`System::Propagate` left true) go through the task
//! ([`TaskContext::relay`]) so that they count against its MaximumErrorCount and fire its
//! handlers, as SSIS propagates a child's events to its parent; those the child's handlers
//! stopped are only shown. It owns that rewriting only.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::events::{EventBody, EventSink, Level, RunEvent};
use crate::tasks::TaskContext;

pub struct ChildSink<'a> {
    ctx: &'a TaskContext<'a>,
    /// The Execute Package task's path.
    prefix: String,
    errors: AtomicU64,
}

impl<'a> ChildSink<'a> {
    pub fn new(ctx: &'a TaskContext<'a>) -> ChildSink<'a> {
        ChildSink {
            ctx,
            prefix: ctx.path().to_string(),
            errors: AtomicU64::new(0),
        }
    }

    /// Errors the child has passed on so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// `body` with its paths under `prefix`; `None` for the records a child's run does not pass
/// on (its own start and end).
pub fn under(prefix: &str, body: &EventBody) -> Option<EventBody> {
    let at = |path: &str| format!("{prefix}{path}");
    Some(match body {
        EventBody::RunStarted { .. } | EventBody::RunFinished { .. } => return None,
        EventBody::ExecutableStarted {
            path,
            name,
            id,
            kind,
        } => EventBody::ExecutableStarted {
            path: at(path),
            name: name.clone(),
            id: id.clone(),
            kind,
        },
        EventBody::ExecutableFinished {
            path,
            name,
            id,
            result,
            duration,
        } => EventBody::ExecutableFinished {
            path: at(path),
            name: name.clone(),
            id: id.clone(),
            result: *result,
            duration: *duration,
        },
        EventBody::Message {
            level,
            code,
            source,
            path,
            description,
            propagate,
        } => EventBody::Message {
            level: *level,
            code: *code,
            source: source.clone(),
            path: at(path),
            description: description.clone(),
            propagate: *propagate,
        },
        EventBody::Progress {
            source,
            path,
            description,
            percent,
        } => EventBody::Progress {
            source: source.clone(),
            path: at(path),
            description: description.clone(),
            percent: *percent,
        },
        EventBody::VariableChanged {
            variable,
            value,
            path,
        } => EventBody::VariableChanged {
            variable: at(variable),
            value: value.clone(),
            path: at(path),
        },
        EventBody::PipelineRows { path, .. } | EventBody::PipelineComponentTime { path, .. } => {
            let mut b = body.clone();
            if let EventBody::PipelineRows { path: p, .. }
            | EventBody::PipelineComponentTime { path: p, .. } = &mut b
            {
                *p = at(path);
            }
            b
        }
    })
}

impl EventSink for ChildSink<'_> {
    fn emit(&self, event: &RunEvent) {
        match under(&self.prefix, &event.body) {
            None => {}
            Some(EventBody::Message {
                level,
                code,
                source,
                path,
                description,
                propagate: true,
            }) => {
                if level == Level::Error {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
                self.ctx.relay(level, code, &source, &path, &description)
            }
            Some(
                body @ EventBody::Message {
                    level,
                    propagate: false,
                    ..
                },
            ) => {
                // The child's handlers stopped it: shown, but it goes no further.
                if level == Level::Error {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
                self.ctx.sink().emit(&RunEvent {
                    time: event.time,
                    body,
                })
            }
            Some(body) => self.ctx.sink().emit(&RunEvent {
                time: event.time,
                body,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_go_under_the_task_and_run_records_are_dropped() {
        let finished = EventBody::RunFinished {
            result: ssisd_engine::model::ExecResult::Success,
            duration: std::time::Duration::ZERO,
            errors: 0,
            warnings: 0,
        };
        assert_eq!(under("\\Package\\Run", &finished), None);
        let error = EventBody::Message {
            level: Level::Error,
            code: 1,
            source: "Write".into(),
            path: "\\Package\\Write".into(),
            description: "x".into(),
            propagate: true,
        };
        assert!(matches!(under("\\Package\\Run", &error),
            Some(EventBody::Message { path, .. }) if path == "\\Package\\Run\\Package\\Write"));
        let changed = EventBody::VariableChanged {
            variable: "\\Package.Variables[User::X]".into(),
            value: "1".into(),
            path: "\\Package\\Write".into(),
        };
        assert!(matches!(under("\\Package\\Run", &changed),
            Some(EventBody::VariableChanged { variable, .. })
                if variable == "\\Package\\Run\\Package.Variables[User::X]"));
    }
}
