//! Runs the executables of one container (package, Sequence, loop body, event handler) in
//! precedence order: everything whose constraints hold starts, unconstrained siblings
//! concurrently on their own threads (bounded by MaxConcurrentExecutables), and the container
//! waits for the last one. A cancelled run starts nothing new. It owns ordering and threads;
//! running one executable is `host.rs`, constraint rules are `constraints.rs`.

use std::sync::mpsc;

use super::constraints::{as_bool, readiness, Readiness, State};
use super::events::{codes, Level};
use super::node::Node;
use super::runtime::Runtime;
use ssisd_engine::model::{ExecResult, Executable, PrecedenceConstraint};

impl Runtime<'_> {
    /// Runs `executables` linked by `constraints` inside `node`; returns the container's
    /// result before its own error count is considered (Canceled, or Success).
    pub fn run_children(
        &self,
        executables: &[Executable],
        constraints: &[PrecedenceConstraint],
        node: &Node<'_>,
    ) -> ExecResult {
        let n = executables.len();
        let mut incoming: Vec<Vec<&PrecedenceConstraint>> = vec![Vec::new(); n];
        for c in constraints {
            if c.to < n && c.from < n {
                incoming[c.to].push(c);
            }
        }
        let mut states = vec![State::Pending; n];
        let cap = self.limiter.capacity();
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, ExecResult)>();
            let mut running = 0usize;
            loop {
                let mut ready = Vec::new();
                if !self.cancelled() {
                    for i in 0..n {
                        if states[i] != State::Pending {
                            continue;
                        }
                        let mut eval =
                            |c: &PrecedenceConstraint| self.constraint_expression(c, node);
                        match readiness(&incoming[i], &states, &mut eval) {
                            Readiness::Ready => ready.push(i),
                            Readiness::Never => states[i] = State::Dead,
                            Readiness::Wait => {}
                        }
                    }
                }
                if ready.len() == 1 && running == 0 {
                    // Nothing else to overlap with: run it on this thread.
                    let i = ready[0];
                    states[i] = State::Running;
                    let r = self.execute(&executables[i], node);
                    states[i] = State::Done(r);
                    continue;
                }
                for i in ready.into_iter().take(cap.saturating_sub(running).max(1)) {
                    states[i] = State::Running;
                    running += 1;
                    let tx = tx.clone();
                    let exe = &executables[i];
                    let spawned = std::thread::Builder::new()
                        .name(format!("ssisd-exec-{i}"))
                        .spawn_scoped(scope, move || {
                            let r = self.execute(exe, node);
                            let _ = tx.send((i, r));
                        });
                    if spawned.is_err() {
                        // No thread available: run it here instead.
                        running -= 1;
                        states[i] = State::Done(self.execute(exe, node));
                    }
                }
                if running == 0 {
                    // Nothing running and nothing ready: the container is done.
                    break;
                }
                match rx.recv() {
                    Ok((i, r)) => {
                        running -= 1;
                        states[i] = State::Done(r);
                    }
                    Err(_) => break,
                }
            }
        });
        if self.cancelled() {
            ExecResult::Canceled
        } else {
            ExecResult::Success
        }
    }

    fn constraint_expression(&self, c: &PrecedenceConstraint, node: &Node<'_>) -> Option<bool> {
        let fail = |reason: String| {
            self.raise(
                node,
                Level::Error,
                codes::CONSTRAINT_EXPRESSION_FAILED,
                &format!("{}: {reason}", c.path),
            );
            None
        };
        let compiled = match self.vars.compile(node.frame, &c.expression) {
            Ok(e) => e,
            Err(e) => return fail(super::variables::describe(&c.expression, &e)),
        };
        match compiled.evaluate(&self.vars) {
            Ok(v) => as_bool(&v).or_else(|| {
                fail(format!(
                    "the expression \"{}\" does not evaluate to a Boolean",
                    c.expression
                ))
            }),
            Err(e) => fail(format!("the expression \"{}\" failed: {e}", c.expression)),
        }
    }
}
