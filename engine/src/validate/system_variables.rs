//! The system variables SSIS defines, with their types: those every container sees
//! (`System::PackageName`, `System::StartTime`, …) and those only event handlers add
//! (`System::ErrorCode`, `System::SourceName`, `System::Propagate`, …). It owns the names and
//! types only; it must not give them values (that is the runtime's job).

use crate::types::DataType;

const WSTR: DataType = DataType::WStr { len: 0 };

/// System variables of every container, package and event handler.
pub const CONTAINER: &[(&str, DataType)] = &[
    ("CancelEvent", DataType::I4),
    ("ContainerStartTime", DataType::Date),
    ("CreationDate", DataType::Date),
    ("CreatorComputerName", WSTR),
    ("CreatorName", WSTR),
    ("ExecutionInstanceGUID", WSTR),
    ("InteractiveMode", DataType::Bool),
    ("LocaleID", DataType::I4),
    ("MachineName", WSTR),
    ("OfflineMode", DataType::Bool),
    ("PackageID", WSTR),
    ("PackageName", WSTR),
    ("ParentContainerGUID", WSTR),
    ("ProductVersion", WSTR),
    ("ServerExecutionID", DataType::I8),
    ("StartTime", DataType::Date),
    ("TaskID", WSTR),
    ("TaskName", WSTR),
    ("TaskTransactionOption", DataType::I4),
    ("UserName", WSTR),
    ("VersionBuild", DataType::I4),
    ("VersionComments", WSTR),
    ("VersionGUID", WSTR),
    ("VersionMajor", DataType::I4),
    ("VersionMinor", DataType::I4),
    ("LastModifiedProductVersion", WSTR),
];

/// System variables every event handler adds, whatever its event.
pub const EVENT_HANDLER: &[(&str, DataType)] = &[
    ("Cancel", DataType::Bool),
    ("EventHandlerStartTime", DataType::Date),
    ("Propagate", DataType::Bool),
    ("SourceDescription", WSTR),
    ("SourceID", WSTR),
    ("SourceName", WSTR),
    ("SourceParentGUID", WSTR),
];

/// The system variables specific to one event (matched ignoring case).
pub fn for_event(event: &str) -> &'static [(&'static str, DataType)] {
    const ERROR: &[(&str, DataType)] = &[("ErrorCode", DataType::I4), ("ErrorDescription", WSTR)];
    const PROGRESS: &[(&str, DataType)] = &[
        ("ProgressCountHigh", DataType::I4),
        ("ProgressCountLow", DataType::I4),
        ("ProgressDescription", WSTR),
        ("ProgressPercentComplete", DataType::I4),
    ];
    const STATUS: &[(&str, DataType)] = &[("ExecutionStatus", DataType::I4)];
    const VALUE_CHANGED: &[(&str, DataType)] = &[
        ("VariableDescription", WSTR),
        ("VariableID", WSTR),
        ("VariableName", WSTR),
        ("VariableValue", DataType::Object),
    ];
    const POST_EXECUTE: &[(&str, DataType)] = &[("TaskResult", DataType::I4)];
    match event.to_ascii_lowercase().as_str() {
        "onerror" | "onwarning" | "oninformation" => ERROR,
        "onprogress" => PROGRESS,
        "onexecstatuschanged" => STATUS,
        "onvariablevaluechanged" => VALUE_CHANGED,
        "onpostexecute" | "ontaskfailed" => POST_EXECUTE,
        _ => &[],
    }
}
