//! The `/Sum` tally: counts, from a run's events as the console thread sees them, the
//! containers and tasks that ran and how each ended, and the event handler runs (the package
//! itself, a child package's own root included, is not counted). It counts only; the block is
//! written by `Console::summary` and the error and warning totals come from the run's outcome.

use std::collections::HashMap;

use ssisd_engine::cli::RunSummary;
use ssisd_engine::model::ExecResult;
use ssisd_runtime::{EventBody, RunEvent};

#[derive(Default)]
pub struct Tally {
    /// The kind of each executable that started, by path.
    kinds: HashMap<String, &'static str>,
    summary: RunSummary,
}

impl Tally {
    pub fn add(&mut self, event: &RunEvent) {
        match &event.body {
            EventBody::ExecutableStarted { path, kind, .. } => {
                self.kinds.insert(path.clone(), kind);
            }
            EventBody::ExecutableFinished { path, result, .. } => {
                match self.kinds.get(path).copied() {
                    Some("Package") => {}
                    Some("EventHandler") => self.summary.handlers += 1,
                    _ => {
                        let s = &mut self.summary;
                        s.executables += 1;
                        match result {
                            ExecResult::Success => s.succeeded += 1,
                            ExecResult::Failure => s.failed += 1,
                            ExecResult::Completion => s.completed += 1,
                            ExecResult::Canceled => s.canceled += 1,
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The summary, with the run's error and warning totals.
    pub fn finish(&self, errors: u64, warnings: u64) -> RunSummary {
        RunSummary {
            errors,
            warnings,
            ..self.summary
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn started(path: &str, kind: &'static str) -> RunEvent {
        RunEvent::now(EventBody::ExecutableStarted {
            path: path.into(),
            name: String::new(),
            id: String::new(),
            kind,
        })
    }

    fn finished(path: &str, result: ExecResult) -> RunEvent {
        RunEvent::now(EventBody::ExecutableFinished {
            path: path.into(),
            name: String::new(),
            id: String::new(),
            result,
            duration: Duration::ZERO,
        })
    }

    #[test]
    fn executables_and_handlers_are_counted_apart_and_packages_not_at_all() {
        let mut t = Tally::default();
        for e in [
            started("\\Package", "Package"),
            started("\\Package\\A", "Task"),
            finished("\\Package\\A", ExecResult::Failure),
            started("\\Package.EventHandlers[OnError]", "EventHandler"),
            finished("\\Package.EventHandlers[OnError]", ExecResult::Success),
            started("\\Package\\Run\\Package", "Package"),
            finished("\\Package\\Run\\Package", ExecResult::Success),
            started("\\Package\\Run", "Task"),
            finished("\\Package\\Run", ExecResult::Success),
            finished("\\Package", ExecResult::Failure),
        ] {
            t.add(&e);
        }
        let s = t.finish(1, 2);
        assert_eq!(
            (s.executables, s.succeeded, s.failed, s.handlers),
            (2, 1, 1, 1)
        );
        assert_eq!((s.errors, s.warnings), (1, 2));
    }
}
