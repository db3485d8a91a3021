//! The event sink an in-process child package reports through: the parent's sink, with every
//! child path placed under the Execute Package task's path (`\Package\Run Child` +
//! `\Package\Write` → `\Package\Run Child\Package\Write`) and the child's own run start and
//! end left out (the task's executable events frame it). It owns that rewriting only.

use std::sync::Arc;

use crate::run::events::{EventBody, EventSink, RunEvent};

pub struct ChildSink {
    pub parent: Arc<dyn EventSink>,
    /// The Execute Package task's path.
    pub prefix: String,
}

impl ChildSink {
    fn under(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
}

impl EventSink for ChildSink {
    fn emit(&self, event: &RunEvent) {
        let body = match &event.body {
            EventBody::RunStarted { .. } | EventBody::RunFinished { .. } => return,
            EventBody::ExecutableStarted {
                path,
                name,
                id,
                kind,
            } => EventBody::ExecutableStarted {
                path: self.under(path),
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
                path: self.under(path),
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
            } => EventBody::Message {
                level: *level,
                code: *code,
                source: source.clone(),
                path: self.under(path),
                description: description.clone(),
            },
            EventBody::Progress {
                source,
                path,
                description,
                percent,
            } => EventBody::Progress {
                source: source.clone(),
                path: self.under(path),
                description: description.clone(),
                percent: *percent,
            },
            EventBody::VariableChanged {
                variable,
                value,
                path,
            } => EventBody::VariableChanged {
                variable: self.under(variable),
                value: value.clone(),
                path: self.under(path),
            },
        };
        self.parent.emit(&RunEvent {
            time: event.time,
            body,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::events::{Level, Recorder};

    #[test]
    fn paths_go_under_the_task_and_run_records_are_dropped() {
        let rec = Arc::new(Recorder::default());
        let sink = ChildSink {
            parent: rec.clone(),
            prefix: "\\Package\\Run".into(),
        };
        sink.emit(&RunEvent::now(EventBody::RunFinished {
            result: crate::model::ExecResult::Success,
            duration: std::time::Duration::ZERO,
            errors: 0,
            warnings: 0,
        }));
        sink.emit(&RunEvent::now(EventBody::Message {
            level: Level::Error,
            code: 1,
            source: "Write".into(),
            path: "\\Package\\Write".into(),
            description: "x".into(),
        }));
        let events = rec.events();
        assert_eq!(events.len(), 1);
        assert!(matches!(&events[0].body,
            EventBody::Message { path, .. } if path == "\\Package\\Run\\Package\\Write"));
    }
}
