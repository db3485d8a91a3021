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
pub type Accepts = fn(&str, &str) -> Result<(), String>;

/// A File connection manager (a file or folder path).
pub fn file_kind(creation_name: &str, _: &str) -> Result<(), String> {
    if creation_name.trim().eq_ignore_ascii_case("FILE") {
        Ok(())
    } else {
        Err(format!(
            "it is a \"{}\" connection manager, not a File connection manager",
            creation_name.trim()
        ))
    }
}

/// A connection manager a database task or component can run on, checked without connecting:
/// ssisd-sql routes it (provider, connection string, login kind, server name) and, for ODBC,
/// its driver or data source is installed. The same decision the run makes when it connects.
pub fn database_kind(creation_name: &str, text: &str) -> Result<(), String> {
    match ssisd_sql::route("", creation_name, text) {
        Ok(ssisd_sql::Route::Odbc(t)) => {
            ssisd_sql::odbc::check_installed(&t).map_err(|e| e.to_string())
        }
        Ok(ssisd_sql::Route::Tds(_)) => Ok(()),
        Err(e) => Err(strip_manager(&e.to_string())),
    }
}

/// For a slot that takes managers of several kinds (a data-flow component's): a database
/// manager (OLE DB, ADO, ADO.NET, ODBC) must be one that can run, as [`database_kind`] says;
/// any other kind is the component's own to check.
pub fn database_if_database(creation_name: &str, text: &str) -> Result<(), String> {
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
