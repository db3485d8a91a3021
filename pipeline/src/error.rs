//! The errors of the pipeline: what went wrong, where (component, column, row, file, byte
//! offset) and the SSIS code that goes with it. Validation problems and run-time failures share
//! one shape so that the runtime reports both the same way. It must not decide dispositions
//! (that is `dispositions.rs`) nor print anything.

use thiserror::Error;

/// A problem found while validating or running a data flow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct PipelineError {
    /// The SSIS HRESULT (`0xC0209029` …) as an unsigned number.
    pub code: u32,
    /// The component it concerns, empty for the pipeline as a whole.
    pub component: String,
    /// The full message: what, where (component, column, row, file, byte offset), what to do.
    pub message: String,
}

impl PipelineError {
    pub fn new(code: u32, component: impl Into<String>, message: impl Into<String>) -> Self {
        PipelineError {
            code,
            component: component.into(),
            message: message.into(),
        }
    }

    /// An error of the pipeline as a whole (paths, cycles, threads).
    pub fn pipeline(code: u32, message: impl Into<String>) -> Self {
        PipelineError::new(code, "", message)
    }
}

/// Several validation problems at once (validation reports them all, not the first only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<PipelineError>);

impl Problems {
    pub fn push(&mut self, e: PipelineError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when empty.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<PipelineError> for Problems {
    fn from(e: PipelineError) -> Self {
        Problems(vec![e])
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&e.message)?;
        }
        Ok(())
    }
}
