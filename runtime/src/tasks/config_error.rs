//! [`TaskConfigError`]: why a task's configuration — its object data and the property values
//! its expressions set — cannot make a task, for every task's `from_config` and for
//! [`super::create`]. It owns the wording of those refusals; it must not parse anything.

use super::execute_sql::SqlError;

/// Why a task cannot be built from its configuration; the text is what validation and the
/// run report.
#[derive(Debug, thiserror::Error)]
pub enum TaskConfigError {
    /// The object data does not parse.
    #[error("the task data is not valid XML: {0}")]
    InvalidXml(#[source] roxmltree::Error),
    /// The kind has no entry in the task list; the refusal names it.
    #[error("{0}")]
    NotRunnable(String),
    /// A numeric property (Execute Process) holds text that is not a number.
    #[error("{property} \"{text}\" is not a number")]
    NotANumber { property: String, text: String },
    /// The File System task's operation is not one SSIS has.
    #[error("unknown File System operation \"{0}\"")]
    UnknownFileOperation(String),
    /// An Execute Package parameter assignment without its parameter's name.
    #[error("a ParameterAssignment has no ParameterName")]
    UnnamedParameter,
    /// An Execute Package parameter assignment of this parameter without a source.
    #[error("the parameter assignment of \"{0}\" names no variable or parameter")]
    UnboundParameter(String),
    /// The Send Mail task's MessageSourceType, as written.
    #[error("MessageSourceType \"{0}\" is not DirectInput, FileConnection or Variable")]
    MessageSourceType(String),
    /// The Send Mail task's Priority, as written.
    #[error("Priority \"{0}\" is not High, Normal or Low")]
    Priority(String),
    /// The Execute SQL task's payload.
    #[error(transparent)]
    ExecuteSql(#[from] SqlError),
    /// A Script task without object data.
    #[error("the Script task has no script project in its data")]
    NoScriptProject,
    /// A Script task whose object data does not parse.
    #[error("the Script task data is not valid XML: {0}")]
    InvalidScriptXml(#[source] roxmltree::Error),
    /// A Script task whose object data holds no `<ScriptProject>`.
    #[error("the Script task data has no ScriptProject element")]
    NoScriptProjectElement,
    /// The script project's language, as written.
    #[error("the script language \"{0}\" is not known")]
    ScriptLanguage(String),
    /// A precompiled assembly of the script project that does not decode.
    #[error("the precompiled script \"{name}\" is not valid base64: {source}")]
    ScriptBinary {
        name: String,
        #[source]
        source: base64::DecodeError,
    },
    /// A Data Flow task without a pipeline.
    #[error("the Data Flow task has no pipeline in its object data")]
    NoPipeline,
    /// The pipeline's validation problems, each as the pipeline words it.
    #[error("{}", .0.join("; "))]
    InvalidPipeline(Vec<String>),
}
