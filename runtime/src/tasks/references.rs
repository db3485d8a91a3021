//! What a configured task refers to outside itself — connection managers, variables, an
//! expression — as [`Reference`]s each task lists through `Task::references`, so that
//! `/VALIDATE` (`crate::validate`) can check them against the package before anything runs,
//! the same way for every task. Each reference names the SSIS property it comes from: a
//! property that a property expression sets is only known at run time and is not checked. It
//! owns the shape of a reference; the checking is `crate::validate`'s.

/// One thing a task needs from the package.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A connection manager, by name, DTSID or refId; an empty `key` means none is set.
    Connection {
        /// The task property that names it (`Connection`, `Source`, `SMTPConnection`, …).
        property: &'static str,
        key: String,
        /// Whether a manager of this type (`CreationName`) with this connection string can
        /// serve the task; the error says why not.
        accepts: Accepts,
    },
    /// A variable (`User::X`, `X`, `@[User::X]`, `$Package::P`); an empty `name` means none is
    /// set and is an error only when `required`.
    Variable {
        property: &'static str,
        name: String,
        required: bool,
    },
    /// An expression to compile in the task's scope; an empty one is an error.
    Expression {
        property: &'static str,
        text: String,
    },
}

impl Reference {
    /// The task property the reference comes from.
    pub fn property(&self) -> &'static str {
        match self {
            Reference::Connection { property, .. }
            | Reference::Variable { property, .. }
            | Reference::Expression { property, .. } => property,
        }
    }

    /// A connection manager that must be set.
    pub fn connection(property: &'static str, key: &str, accepts: Accepts) -> Reference {
        Reference::Connection {
            property,
            key: key.trim().to_string(),
            accepts,
        }
    }

    /// A variable that must exist when it is named (an empty name is allowed).
    pub fn optional_variable(property: &'static str, name: &str) -> Reference {
        Reference::Variable {
            property,
            name: name.trim().to_string(),
            required: false,
        }
    }

    /// A variable that must be named and exist.
    pub fn variable(property: &'static str, name: &str) -> Reference {
        Reference::Variable {
            property,
            name: name.trim().to_string(),
            required: true,
        }
    }
}

/// Whether a connection manager (its `CreationName` and effective connection string) fits.
pub type Accepts = fn(&str, &str) -> Result<(), UnusableManager>;

/// Why a connection manager cannot serve the task or component that names it; validation
/// puts the manager's name and property in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnusableManager {
    /// A File connection manager is needed; it holds the `CreationName` found.
    #[error("it is a \"{0}\" connection manager, not a File connection manager")]
    NotFile(String),
    /// An Execute Package task names its child by a File or OLE DB manager; it holds the
    /// `CreationName` found.
    #[error("it is a \"{0}\" connection manager; a child package is named by a File connection manager (a .dtsx file) or an OLE DB one (msdb)")]
    NotPackageSource(String),
    /// A Send Mail task needs an SMTP connection manager; it holds the `CreationName` found.
    #[error("it is a \"{0}\" connection manager, not an SMTP connection manager")]
    NotSmtp(String),
    /// The SMTP manager's connection string is one the run would refuse.
    #[error("{0}")]
    SmtpSettings(String),
    /// A manager of another kind is needed: the `CreationName` found and what is needed.
    #[error("it is a {creation_name} connection; {needs}")]
    WrongKind {
        creation_name: String,
        needs: &'static str,
    },
    /// ssisd-sql cannot route the database manager (provider, connection string, login);
    /// the reason as routing gives it, without the manager's name.
    #[error("{0}")]
    Unroutable(String),
    /// The ODBC driver or data source the manager names is not installed.
    #[error("{0}")]
    NotInstalled(String),
    /// A SQL Server Destination's manager runs through ODBC (the route described).
    #[error("the SQL Server Destination bulk-loads into SQL Server only, and this connection manager runs through ODBC ({0}); use Provider=MSOLEDBSQL (or SQLNCLI11) with a SQL Server, or an OLE DB or ODBC Destination for other databases")]
    SqlServerOverOdbc(String),
    /// An Excel manager's connection string cannot be read.
    #[error("{0}")]
    ExcelConnection(String),
    /// An Excel Source's workbook does not open; the reason as the reader gives it.
    #[error("{0}; point its Data Source (ExcelFilePath) at an existing workbook, for example with /Conn")]
    WorkbookUnreadable(String),
    /// An Excel Destination names an .xls workbook.
    #[error("\"{}\" is an Excel 97-2003 (.xls) workbook; ssisd writes .xlsx workbooks only", .0.display())]
    Xls(std::path::PathBuf),
    /// An Excel Destination's workbook is in a folder that does not exist.
    #[error("the folder \"{}\" of the workbook \"{}\" does not exist", .folder.display(), .workbook.display())]
    NoFolder {
        folder: std::path::PathBuf,
        workbook: std::path::PathBuf,
    },
}

/// A File connection manager (a file or folder path).
pub fn file_kind(creation_name: &str, _: &str) -> Result<(), UnusableManager> {
    if creation_name.trim().eq_ignore_ascii_case("FILE") {
        Ok(())
    } else {
        Err(UnusableManager::NotFile(creation_name.trim().to_string()))
    }
}

/// A connection manager a database task or component can run on, checked without connecting:
/// ssisd-sql routes it (provider, connection string, login kind, server name) and, for ODBC,
/// its driver or data source is installed. The same decision the run makes when it connects.
pub fn database_kind(creation_name: &str, text: &str) -> Result<(), UnusableManager> {
    match ssisd_sql::route("", creation_name, text) {
        Ok(ssisd_sql::Route::Odbc(t)) => ssisd_sql::odbc::check_installed(&t)
            .map_err(|e| UnusableManager::NotInstalled(e.to_string())),
        Ok(ssisd_sql::Route::Tds(_)) => Ok(()),
        Err(e) => Err(UnusableManager::Unroutable(strip_manager(&e.to_string()))),
    }
}

/// For a slot that takes managers of several kinds (a data-flow component's): a database
/// manager (OLE DB, ADO, ADO.NET, ODBC) must be one that can run, as [`database_kind`] says;
/// any other kind is the component's own to check.
pub fn database_if_database(creation_name: &str, text: &str) -> Result<(), UnusableManager> {
    let upper = creation_name.trim().to_ascii_uppercase();
    if matches!(upper.as_str(), "OLEDB" | "ADO" | "ODBC") || upper.starts_with("ADO.NET:") {
        database_kind(creation_name, text)
    } else {
        Ok(())
    }
}

/// A route error's text without its `connection manager "": ` lead (validation names the
/// manager itself).
fn strip_manager(text: &str) -> String {
    text.strip_prefix("connection manager \"\": ")
        .unwrap_or(text)
        .replace("dtexec /Conn \";", "dtexec /Conn \"NAME;")
}
