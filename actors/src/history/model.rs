//! What execution history holds, as the catalog names it: execution statuses (SSISDB's codes
//! 1–9), logging levels (none, basic, performance, verbose) and what each records, message
//! types (SSISDB's `message_type` codes), and the records served (executions, messages,
//! executable statistics, data-flow rows). Plain data; no SQLite, no actors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An execution's status (`catalog.executions.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "canceled")]
    Canceled,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "pending")]
    Pending,
    #[serde(rename = "ended unexpectedly")]
    EndedUnexpectedly,
    #[serde(rename = "succeeded")]
    Succeeded,
    #[serde(rename = "stopping")]
    Stopping,
    #[serde(rename = "completed")]
    Completed,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Created,
        Status::Running,
        Status::Canceled,
        Status::Failed,
        Status::Pending,
        Status::EndedUnexpectedly,
        Status::Succeeded,
        Status::Stopping,
        Status::Completed,
    ];

    /// The catalog's code.
    pub fn code(self) -> i64 {
        match self {
            Status::Created => 1,
            Status::Running => 2,
            Status::Canceled => 3,
            Status::Failed => 4,
            Status::Pending => 5,
            Status::EndedUnexpectedly => 6,
            Status::Succeeded => 7,
            Status::Stopping => 8,
            Status::Completed => 9,
        }
    }

    pub fn from_code(code: i64) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Canceled => "canceled",
            Status::Failed => "failed",
            Status::Pending => "pending",
            Status::EndedUnexpectedly => "ended unexpectedly",
            Status::Succeeded => "succeeded",
            Status::Stopping => "stopping",
            Status::Completed => "completed",
        }
    }

    /// A name as written in a query (`ended unexpectedly`, `ended_unexpectedly`, or the code).
    pub fn parse(text: &str) -> Option<Status> {
        let t = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        if let Ok(code) = t.parse::<i64>() {
            return Status::from_code(code);
        }
        Status::ALL.into_iter().find(|s| s.name() == t)
    }

    /// The status of a run that ended with the service's outcome name (`succeeded`, `failed`,
    /// `cancelled`, `lost`).
    pub fn of_outcome(outcome: &str) -> Status {
        match outcome {
            "succeeded" => Status::Succeeded,
            "failed" => Status::Failed,
            "cancelled" | "canceled" => Status::Canceled,
            _ => Status::EndedUnexpectedly,
        }
    }
}

/// How much of a run is recorded (`LOGGING_LEVEL`, server default `SERVER_LOGGING_LEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggingLevel {
    /// Only the execution's row and status.
    None,
    /// Every message, executable statistics (the catalog's default).
    #[default]
    Basic,
    /// Errors and warnings, executable statistics.
    Performance,
    /// Everything Basic records, plus rows per data-flow path.
    Verbose,
}

impl LoggingLevel {
    pub fn parse(text: &str) -> Option<LoggingLevel> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "none" | "0" => LoggingLevel::None,
            "basic" | "1" => LoggingLevel::Basic,
            "performance" | "2" => LoggingLevel::Performance,
            "verbose" | "3" => LoggingLevel::Verbose,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            LoggingLevel::None => "none",
            LoggingLevel::Basic => "basic",
            LoggingLevel::Performance => "performance",
            LoggingLevel::Verbose => "verbose",
        }
    }

    /// Whether messages of `kind` are kept.
    pub fn keeps(self, kind: MessageType) -> bool {
        match self {
            LoggingLevel::None => false,
            LoggingLevel::Basic | LoggingLevel::Verbose => true,
            LoggingLevel::Performance => matches!(
                kind,
                MessageType::Error | MessageType::Warning | MessageType::TaskFailed
            ),
        }
    }

    /// Whether executable statistics are kept.
    pub fn keeps_statistics(self) -> bool {
        self != LoggingLevel::None
    }

    /// Whether rows per data-flow path are kept: at every level but `none` (the catalog keeps
    /// them at Verbose only; one row per path is cheap, and a run's rows are what its operator
    /// asks about first).
    pub fn keeps_data_statistics(self) -> bool {
        self != LoggingLevel::None
    }
}

/// `catalog.event_messages.message_type`, for the events the runner reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    PreExecute,
    PostExecute,
    Progress,
    Information,
    VariableValueChanged,
    Warning,
    Error,
    TaskFailed,
}

impl MessageType {
    pub const ALL: [MessageType; 8] = [
        MessageType::PreExecute,
        MessageType::PostExecute,
        MessageType::Progress,
        MessageType::Information,
        MessageType::VariableValueChanged,
        MessageType::Warning,
        MessageType::Error,
        MessageType::TaskFailed,
    ];

    pub fn code(self) -> i64 {
        match self {
            MessageType::PreExecute => 30,
            MessageType::PostExecute => 40,
            MessageType::Progress => 60,
            MessageType::Information => 70,
            MessageType::VariableValueChanged => 80,
            MessageType::Warning => 110,
            MessageType::Error => 120,
            MessageType::TaskFailed => 130,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MessageType::PreExecute => "pre-execute",
            MessageType::PostExecute => "post-execute",
            MessageType::Progress => "progress",
            MessageType::Information => "information",
            MessageType::VariableValueChanged => "variable value changed",
            MessageType::Warning => "warning",
            MessageType::Error => "error",
            MessageType::TaskFailed => "task failed",
        }
    }

    pub fn name_of(code: i64) -> &'static str {
        MessageType::ALL
            .into_iter()
            .find(|m| m.code() == code)
            .map(MessageType::name)
            .unwrap_or("unknown")
    }
}

/// One execution, as listed and shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    /// The execution id.
    pub id: String,
    /// The package's path as the run names it (`\File System\Sales\Load`, or a file).
    pub package: String,
    /// The package's name and DTSID, once the run reported them.
    pub package_name: Option<String>,
    pub package_id: Option<String>,
    pub status: Status,
    pub status_code: i64,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    /// How it was started: `api`, `schedule:<name>`, `dtexec`.
    pub started_by: String,
    /// Who started it.
    pub caller: String,
    pub pid: Option<i64>,
    pub exit_code: Option<i64>,
    /// How the runner ended, as the service saw it.
    pub exit: Option<String>,
    pub logging_level: LoggingLevel,
    /// `/Set` options, sensitive values masked.
    pub sets: Vec<String>,
    pub errors: i64,
    pub warnings: i64,
}

/// One message of an execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: i64,
    pub time: DateTime<Utc>,
    pub message_type: i64,
    pub message_type_name: &'static str,
    /// The object that raised it (task name) and its package path.
    pub source: String,
    pub path: String,
    /// The HRESULT-shaped code of errors, warnings and information, when there is one.
    pub code: Option<String>,
    pub message: String,
}

/// One executable's run (`catalog.executable_statistics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistic {
    pub path: String,
    pub name: String,
    pub kind: String,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub duration_ms: Option<f64>,
    /// `success`, `failure`, `completion`, `canceled` (DTSExecResult), once ended.
    pub result: Option<String>,
    pub result_code: Option<i64>,
}

/// Rows sent down one data-flow path (`catalog.execution_data_statistics`, the final count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataStatistic {
    /// The Data Flow task's package path and name.
    pub task_path: String,
    pub task_name: String,
    pub path_id: i64,
    pub path_name: String,
    /// The component and input the path feeds.
    pub destination_component: String,
    pub input: String,
    pub rows_sent: i64,
    pub time: DateTime<Utc>,
}

/// A filter over executions, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionQuery {
    /// Only this package (its path as the run names it, or its end, ignoring case).
    pub package: Option<String>,
    pub status: Option<Status>,
    /// Only executions started at or after.
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_levels_read_as_written() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(s));
            assert_eq!(Status::parse(&s.code().to_string()), Some(s));
        }
        assert_eq!(
            Status::parse("ended_unexpectedly"),
            Some(Status::EndedUnexpectedly)
        );
        assert_eq!(Status::parse("done"), None);
        assert_eq!(Status::of_outcome("lost"), Status::EndedUnexpectedly);
        assert_eq!(LoggingLevel::parse("Verbose"), Some(LoggingLevel::Verbose));
        assert!(!LoggingLevel::Performance.keeps(MessageType::Information));
        assert!(LoggingLevel::Performance.keeps(MessageType::Error));
        assert!(!LoggingLevel::None.keeps_statistics());
        assert_eq!(MessageType::name_of(130), "task failed");
    }
}
