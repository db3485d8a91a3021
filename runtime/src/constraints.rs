//! Precedence constraints: whether one constraint holds given the result of its source
//! (Success, Failure, Completion) and its expression, under the four evaluation operations,
//! and whether a target may run, must wait, or will never run given all its incoming
//! constraints combined with LogicalAnd (AND) or not (OR). It owns the rules; it must not
//! start anything.

use ssisd_engine::model::{EvalOp, ExecResult, PrecedenceConstraint};
use ssisd_engine::types::Value;

/// Whether the source's result satisfies the constraint's value.
pub fn value_holds(value: ExecResult, result: ExecResult) -> bool {
    match value {
        ExecResult::Success => result == ExecResult::Success,
        ExecResult::Failure => result == ExecResult::Failure,
        ExecResult::Completion => matches!(
            result,
            ExecResult::Success | ExecResult::Failure | ExecResult::Completion
        ),
        ExecResult::Canceled => false,
    }
}

/// Combines the value test and the expression (`None` when the EvalOp does not use it or it
/// could not be evaluated — an expression that fails counts as false).
pub fn holds(c: &PrecedenceConstraint, result: ExecResult, expression: Option<bool>) -> bool {
    if result == ExecResult::Canceled {
        return false;
    }
    let v = value_holds(c.value, result);
    let e = expression.unwrap_or(false);
    match c.eval_op {
        EvalOp::Constraint => v,
        EvalOp::Expression => e,
        EvalOp::ExpressionAndConstraint => v && e,
        EvalOp::ExpressionOrConstraint => v || e,
    }
}

/// The state of an executable in its container, as constraints see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Running,
    Done(ExecResult),
    /// Will never run.
    Dead,
}

/// What the scheduler should do with a pending executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Wait,
    Never,
}

/// Decides about a target from its incoming constraints. `eval` evaluates a constraint's
/// expression (called only for constraints whose source is done and whose EvalOp uses it).
pub fn readiness(
    incoming: &[&PrecedenceConstraint],
    states: &[State],
    eval: &mut dyn FnMut(&PrecedenceConstraint) -> Option<bool>,
) -> Readiness {
    if incoming.is_empty() {
        return Readiness::Ready;
    }
    let and = incoming.iter().all(|c| c.logical_and);
    let mut waiting = false;
    let mut any = false;
    for c in incoming {
        match states.get(c.from).copied().unwrap_or(State::Dead) {
            State::Pending | State::Running => waiting = true,
            State::Dead => {
                if and {
                    return Readiness::Never;
                }
            }
            State::Done(r) => {
                let e = if c.eval_op.uses_expression() && r != ExecResult::Canceled {
                    eval(c)
                } else {
                    None
                };
                let ok = holds(c, r, e);
                if and && !ok {
                    return Readiness::Never;
                }
                any |= ok;
            }
        }
    }
    match (and, waiting, any) {
        (true, true, _) => Readiness::Wait,
        (true, false, _) => Readiness::Ready,
        (false, _, true) => Readiness::Ready,
        (false, true, false) => Readiness::Wait,
        (false, false, false) => Readiness::Never,
    }
}

/// An expression result as a constraint's boolean.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(from: usize, value: ExecResult, op: EvalOp, and: bool) -> PrecedenceConstraint {
        PrecedenceConstraint {
            from,
            to: 9,
            value,
            eval_op: op,
            logical_and: and,
            ..PrecedenceConstraint::default()
        }
    }

    #[test]
    fn operations() {
        let s = c(0, ExecResult::Success, EvalOp::Constraint, true);
        assert!(holds(&s, ExecResult::Success, None));
        assert!(!holds(&s, ExecResult::Failure, None));
        let f = c(0, ExecResult::Completion, EvalOp::Constraint, true);
        assert!(holds(&f, ExecResult::Failure, None));
        let e = c(0, ExecResult::Success, EvalOp::Expression, true);
        assert!(holds(&e, ExecResult::Failure, Some(true)));
        let ea = c(
            0,
            ExecResult::Success,
            EvalOp::ExpressionAndConstraint,
            true,
        );
        assert!(!holds(&ea, ExecResult::Success, Some(false)));
        let eo = c(0, ExecResult::Success, EvalOp::ExpressionOrConstraint, true);
        assert!(holds(&eo, ExecResult::Failure, Some(true)));
        assert!(!holds(&eo, ExecResult::Canceled, Some(true)));
    }

    #[test]
    fn and_or() {
        let a = c(0, ExecResult::Success, EvalOp::Constraint, true);
        let b = c(1, ExecResult::Success, EvalOp::Constraint, true);
        let mut no = |_: &PrecedenceConstraint| None;
        let both = [&a, &b];
        let st = [State::Done(ExecResult::Success), State::Running];
        assert_eq!(readiness(&both, &st, &mut no), Readiness::Wait);
        let st = [State::Done(ExecResult::Failure), State::Running];
        assert_eq!(readiness(&both, &st, &mut no), Readiness::Never);
        let oa = c(0, ExecResult::Success, EvalOp::Constraint, false);
        let ob = c(1, ExecResult::Success, EvalOp::Constraint, false);
        let either = [&oa, &ob];
        let st = [State::Done(ExecResult::Success), State::Running];
        assert_eq!(readiness(&either, &st, &mut no), Readiness::Ready);
        let st = [State::Done(ExecResult::Failure), State::Dead];
        assert_eq!(readiness(&either, &st, &mut no), Readiness::Never);
        assert_eq!(readiness(&[], &st, &mut no), Readiness::Ready);
    }
}
