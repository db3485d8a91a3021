//! Classification of an executable's type string (`DTS:ExecutableType` / `DTS:CreationName`)
//! into containers and task kinds. It owns every spelling SSIS has used: 2005 ProgIDs,
//! assembly-qualified .NET names of any version, `STOCK:` monikers, 2014+ `Microsoft.*`
//! short names and the data-flow class GUID. It must not inspect task payloads.

use std::fmt;

/// What an executable is, as far as the control flow is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutableClass {
    /// A package (the root, or a package nested in a 2005-era file).
    Package,
    Sequence,
    ForLoop,
    ForEachLoop,
    Task(TaskKind),
}

/// The kind of a task. `Unknown` keeps the type string as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskKind {
    ExecuteSql,
    ExecuteProcess,
    ExecutePackage,
    FileSystem,
    Expression,
    SendMail,
    Script,
    ActiveXScript,
    DataFlow,
    Ftp,
    WebService,
    Xml,
    BulkInsert,
    MessageQueue,
    WmiDataReader,
    WmiEventWatcher,
    DataProfiling,
    ExecuteDts2000Package,
    TransferDatabase,
    TransferLogins,
    TransferJobs,
    TransferErrorMessages,
    TransferStoredProcedures,
    TransferSqlServerObjects,
    AnalysisServicesExecuteDdl,
    AnalysisServicesProcessing,
    DataMiningQuery,
    CdcControl,
    /// A maintenance-plan task; the string is its short class name, e.g. `DbMaintenanceReindexTask`.
    MaintenancePlan(String),
    /// Anything else (third-party tasks); the type string as found.
    Unknown(String),
}

impl TaskKind {
    /// A human-readable name, as the SSIS designer's toolbox shows it.
    pub fn display_name(&self) -> String {
        let s = match self {
            TaskKind::ExecuteSql => "Execute SQL task",
            TaskKind::ExecuteProcess => "Execute Process task",
            TaskKind::ExecutePackage => "Execute Package task",
            TaskKind::FileSystem => "File System task",
            TaskKind::Expression => "Expression task",
            TaskKind::SendMail => "Send Mail task",
            TaskKind::Script => "Script task",
            TaskKind::ActiveXScript => "ActiveX Script task",
            TaskKind::DataFlow => "Data Flow task",
            TaskKind::Ftp => "FTP task",
            TaskKind::WebService => "Web Service task",
            TaskKind::Xml => "XML task",
            TaskKind::BulkInsert => "Bulk Insert task",
            TaskKind::MessageQueue => "Message Queue task",
            TaskKind::WmiDataReader => "WMI Data Reader task",
            TaskKind::WmiEventWatcher => "WMI Event Watcher task",
            TaskKind::DataProfiling => "Data Profiling task",
            TaskKind::ExecuteDts2000Package => "Execute DTS 2000 Package task",
            TaskKind::TransferDatabase => "Transfer Database task",
            TaskKind::TransferLogins => "Transfer Logins task",
            TaskKind::TransferJobs => "Transfer Jobs task",
            TaskKind::TransferErrorMessages => "Transfer Error Messages task",
            TaskKind::TransferStoredProcedures => "Transfer Master Stored Procedures task",
            TaskKind::TransferSqlServerObjects => "Transfer SQL Server Objects task",
            TaskKind::AnalysisServicesExecuteDdl => "Analysis Services Execute DDL task",
            TaskKind::AnalysisServicesProcessing => "Analysis Services Processing task",
            TaskKind::DataMiningQuery => "Data Mining Query task",
            TaskKind::CdcControl => "CDC Control task",
            TaskKind::MaintenancePlan(n) => return format!("maintenance plan task {n}"),
            TaskKind::Unknown(t) => return format!("unknown task type {t}"),
        };
        s.to_string()
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// The class ids written for the data flow instead of a ProgID: 2012 (`SSIS.Pipeline.3`) and
/// 2008 (`SSIS.Pipeline.2`).
const PIPELINE_CLASS_IDS: &[&str] = &[
    "{5918251B-2970-45A4-AB5F-01C3C588FE5A}",
    "{E3CFBEA8-1F48-40D8-91E1-2DEDC1EDDD56}",
];

/// Reduces a type string to the short token that identifies it: the type name without
/// assembly qualification, namespace, `STOCK:`/`Microsoft.` prefix or trailing version.
fn short_token(type_name: &str) -> String {
    // Assembly-qualified: `Namespace.Type, Assembly, Version=…` → `Namespace.Type`.
    let head = type_name.split(',').next().unwrap_or("").trim();
    if let Some(rest) = head
        .strip_prefix("STOCK:")
        .or_else(|| head.strip_prefix("stock:"))
    {
        return rest.to_ascii_lowercase();
    }
    let mut parts: Vec<&str> = head.split('.').collect();
    // ProgIDs end with a version number: `SSIS.Pipeline.3`, `MSDTS.Package.1`.
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        parts.pop();
    }
    parts.last().copied().unwrap_or("").to_ascii_lowercase()
}

/// Classifies an executable from its `ExecutableType` (or, failing that, `CreationName`).
pub fn classify(type_name: &str) -> ExecutableClass {
    let trimmed = type_name.trim();
    if PIPELINE_CLASS_IDS
        .iter()
        .any(|id| trimmed.eq_ignore_ascii_case(id))
    {
        return ExecutableClass::Task(TaskKind::DataFlow);
    }
    let head = trimmed.split(',').next().unwrap_or("").trim();
    if head
        .to_ascii_lowercase()
        .starts_with("microsoft.sqlserver.management.databasemaintenance.")
    {
        let short = head.rsplit('.').next().unwrap_or(head);
        return ExecutableClass::Task(TaskKind::MaintenancePlan(short.to_string()));
    }
    let token = short_token(trimmed);
    let kind = match token.as_str() {
        "package" => return ExecutableClass::Package,
        "sequence" => return ExecutableClass::Sequence,
        "forloop" => return ExecutableClass::ForLoop,
        "foreachloop" => return ExecutableClass::ForEachLoop,
        "executesqltask" | "sqltask" => TaskKind::ExecuteSql,
        "executeprocess" | "executeprocesstask" => TaskKind::ExecuteProcess,
        "executepackagetask" => TaskKind::ExecutePackage,
        "filesystemtask" => TaskKind::FileSystem,
        "expressiontask" => TaskKind::Expression,
        "sendmailtask" => TaskKind::SendMail,
        "scripttask" => TaskKind::Script,
        "activexscripttask" => TaskKind::ActiveXScript,
        "pipeline" | "pipelinetask" => TaskKind::DataFlow,
        "ftptask" => TaskKind::Ftp,
        "webservicetask" => TaskKind::WebService,
        "xmltask" => TaskKind::Xml,
        "bulkinserttask" => TaskKind::BulkInsert,
        "msmqtask" | "messagequeuetask" => TaskKind::MessageQueue,
        "wmidatareadertask" => TaskKind::WmiDataReader,
        "wmieventwatchertask" => TaskKind::WmiEventWatcher,
        "dataprofilingtask" => TaskKind::DataProfiling,
        "exec80packagetask" | "execute80packagetask" => TaskKind::ExecuteDts2000Package,
        "transferdatabasetask" => TaskKind::TransferDatabase,
        "transferloginstask" => TaskKind::TransferLogins,
        "transferjobstask" => TaskKind::TransferJobs,
        "transfererrormessagestask" => TaskKind::TransferErrorMessages,
        "transferstoredprocedurestask" => TaskKind::TransferStoredProcedures,
        "transferobjectstask" | "transfersqlserverobjectstask" => {
            TaskKind::TransferSqlServerObjects
        }
        "asexecuteddltask" => TaskKind::AnalysisServicesExecuteDdl,
        "dtsprocessingtask" | "asprocessingtask" => TaskKind::AnalysisServicesProcessing,
        "dataminingquerytask" | "dmquerytask" => TaskKind::DataMiningQuery,
        "cdccontroltask" => TaskKind::CdcControl,
        t if t.starts_with("dbmaintenance") => {
            let short = head.rsplit('.').next().unwrap_or(head);
            TaskKind::MaintenancePlan(short.to_string())
        }
        _ => TaskKind::Unknown(trimmed.to_string()),
    };
    ExecutableClass::Task(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(s: &str) -> TaskKind {
        match classify(s) {
            ExecutableClass::Task(k) => k,
            other => panic!("{s} classified as {other:?}"),
        }
    }

    #[test]
    fn every_spelling_of_execute_sql() {
        for s in [
            "Microsoft.SqlServer.Dts.Tasks.ExecuteSQLTask.ExecuteSQLTask, Microsoft.SqlServer.SQLTask, Version=9.0.242.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91",
            "Microsoft.SqlServer.Dts.Tasks.ExecuteSQLTask.ExecuteSQLTask, Microsoft.SqlServer.SQLTask, Version=13.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91",
            "Microsoft.SqlServer.Dts.Tasks.ExecuteSQLTask.ExecuteSQLTask",
            "Microsoft.ExecuteSQLTask",
            "STOCK:SQLTask",
        ] {
            assert_eq!(task(s), TaskKind::ExecuteSql, "{s}");
        }
    }

    #[test]
    fn containers_packages_and_pipelines() {
        assert_eq!(classify("STOCK:SEQUENCE"), ExecutableClass::Sequence);
        assert_eq!(classify("STOCK:FORLOOP"), ExecutableClass::ForLoop);
        assert_eq!(classify("STOCK:FOREACHLOOP"), ExecutableClass::ForEachLoop);
        for p in [
            "MSDTS.Package.1",
            "SSIS.Package.2",
            "SSIS.Package.3",
            "Microsoft.Package",
        ] {
            assert_eq!(classify(p), ExecutableClass::Package, "{p}");
        }
        for p in [
            "DTS.Pipeline.1",
            "DTS.Pipeline",
            "SSIS.Pipeline.2",
            "SSIS.Pipeline.3",
            "Microsoft.Pipeline",
            "STOCK:PipelineTask",
            "{5918251b-2970-45a4-ab5f-01c3c588fe5a}",
            "{E3CFBEA8-1F48-40D8-91E1-2DEDC1EDDD56}",
        ] {
            assert_eq!(task(p), TaskKind::DataFlow, "{p}");
        }
    }

    #[test]
    fn other_tasks() {
        assert_eq!(
            task("Microsoft.SqlServer.Dts.Tasks.ExecuteProcess.ExecuteProcess, Microsoft.SqlServer.ExecProcTask, Version=10.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"),
            TaskKind::ExecuteProcess
        );
        assert_eq!(task("Microsoft.ExecuteProcess"), TaskKind::ExecuteProcess);
        assert_eq!(task("SSIS.ExecutePackageTask.2"), TaskKind::ExecutePackage);
        assert_eq!(
            task("Microsoft.ExecutePackageTask"),
            TaskKind::ExecutePackage
        );
        assert_eq!(task("Microsoft.FileSystemTask"), TaskKind::FileSystem);
        assert_eq!(task("Microsoft.ExpressionTask"), TaskKind::Expression);
        assert_eq!(task("Microsoft.SendMailTask"), TaskKind::SendMail);
        assert_eq!(task("Microsoft.ScriptTask"), TaskKind::Script);
        assert_eq!(
            task("STOCK:TransferObjectsTask"),
            TaskKind::TransferSqlServerObjects
        );
        assert_eq!(
            task("Microsoft.ASExecuteDDLTask"),
            TaskKind::AnalysisServicesExecuteDdl
        );
        assert_eq!(
            task("Microsoft.SqlServer.Management.DatabaseMaintenance.DbMaintenanceReindexTask, Microsoft.SqlServer.MaintenancePlanTasks, Version=9.0.242.0"),
            TaskKind::MaintenancePlan("DbMaintenanceReindexTask".into())
        );
        assert_eq!(
            task("SSIS2016Cookbook.SecureFTP"),
            TaskKind::Unknown("SSIS2016Cookbook.SecureFTP".into())
        );
    }
}
