//! Precedence constraints between executables of one container. Owns the data only; the
//! `from`/`to` ends are already resolved by the loader to indexes in the container's
//! executable list. Evaluating constraints is the runtime's job.

/// DTSExecResult, as a constraint's `Value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecResult {
    #[default]
    Success,
    Failure,
    Completion,
    Canceled,
}

impl ExecResult {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => ExecResult::Success,
            1 => ExecResult::Failure,
            2 => ExecResult::Completion,
            3 => ExecResult::Canceled,
            _ => return None,
        })
    }
}

/// DTSPrecedenceEvalOp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvalOp {
    Expression,
    #[default]
    Constraint,
    ExpressionAndConstraint,
    ExpressionOrConstraint,
}

impl EvalOp {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            1 => EvalOp::Expression,
            2 => EvalOp::Constraint,
            3 => EvalOp::ExpressionAndConstraint,
            4 => EvalOp::ExpressionOrConstraint,
            _ => return None,
        })
    }

    /// Whether the constraint's expression takes part in the evaluation.
    pub fn uses_expression(self) -> bool {
        !matches!(self, EvalOp::Constraint)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrecedenceConstraint {
    pub name: String,
    /// `\Package.PrecedenceConstraints[Constraint 1]` (container path + name).
    pub path: String,
    pub dtsid: String,
    pub description: String,
    /// Index of the source executable in the owning container's `executables`.
    pub from: usize,
    /// Index of the target executable in the owning container's `executables`.
    pub to: usize,
    /// Package path of the source executable.
    pub from_path: String,
    /// Package path of the target executable.
    pub to_path: String,
    pub value: ExecResult,
    pub eval_op: EvalOp,
    /// True: all constraints into `to` must hold; false: any one.
    pub logical_and: bool,
    pub expression: String,
}
