//! The `/Sum` tally: counts, from a run's events as the console thread sees them, the
//! containers and tasks that ran and how each ended, the event handler runs (the package
//! itself, a child package's own root included, is not counted), and the rows that went down
//! data-flow paths (the final count of each path, per run of its Data Flow task: a task in a
//! loop adds each run's rows; a run that ends without a final count adds its last running
//! total). It counts only; the block is written by `Console::summary` and the error and
//! warning totals come from the run's outcome.

use std::collections::HashMap;

use ssisd_engine::cli::RunSummary;
use ssisd_engine::model::ExecResult;
use ssisd_runtime::{EventBody, RunEvent};

#[derive(Default)]
pub struct Tally {
    /// The kind of each executable that started, by path.
    kinds: HashMap<String, &'static str>,
    /// The running row total of each data-flow path not finished yet, by (task path, path id).
    running: HashMap<(String, i64), u64>,
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
            EventBody::PipelineRows {
                path,
                path_id,
                rows,
                done,
                ..
            } => {
                let key = (path.clone(), *path_id);
                if *done {
                    self.running.remove(&key);
                    self.summary.data_flow_rows += rows;
                    self.summary.data_flow_paths += 1;
                } else {
                    self.running.insert(key, *rows);
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
            data_flow_rows: self.summary.data_flow_rows + self.running.values().sum::<u64>(),
            data_flow_paths: self.summary.data_flow_paths + self.running.len() as u64,
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

    fn rows(path_id: i64, rows: u64, done: bool) -> RunEvent {
        RunEvent::now(EventBody::PipelineRows {
            source: "Load".into(),
            path: "\\Package\\Loop\\Load".into(),
            path_id,
            path_name: String::new(),
            component: String::new(),
            input: String::new(),
            rows,
            buffers: 1,
            done,
        })
    }

    #[test]
    fn data_flow_rows_add_up_over_paths_and_task_runs() {
        let mut t = Tally::default();
        // Two runs of a two-path flow (a loop), then a third run stopped before its final count.
        for e in [
            rows(1, 10, false),
            rows(1, 25, true),
            rows(2, 20, true),
            rows(1, 3, true),
            rows(2, 1, false),
            rows(2, 2, true),
            rows(1, 7, false),
        ] {
            t.add(&e);
        }
        let s = t.finish(0, 0);
        assert_eq!(
            (s.data_flow_rows, s.data_flow_paths),
            (25 + 20 + 3 + 2 + 7, 5)
        );
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
