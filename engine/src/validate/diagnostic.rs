//! The result of `/VALIDATE`: [`Diagnostic`] (code, source path, description) and
//! [`ValidationReport`] (errors and warnings), plus the table of diagnostic codes ssisd uses.
//! It owns the codes and the data shape only; it must not inspect packages or print anything.

use std::fmt;

/// The diagnostic codes of validation. They follow the HRESULT shape SSIS uses (`0xC…` for
/// errors, `0x8…` for warnings): SSIS's own code where SSIS has one for the same failure,
/// otherwise a range of ssisd's own (`0x…0190xx`); all are documented in `docs/dtexec.md`.
pub mod codes {
    /// The package could not be loaded (dtexec's "could not load package" code).
    pub const LOAD_FAILED: u32 = 0xC001_4062;
    /// The package file does not exist.
    pub const PACKAGE_NOT_FOUND: u32 = 0xC001_1007;
    /// A `/Set` path names an object or property the package does not have.
    pub const SET_TARGET_NOT_FOUND: u32 = 0xC001_9001;
    /// A `/Set`, `/Par` or configuration value does not fit the target's type, or the
    /// target cannot be set.
    pub const VALUE_REJECTED: u32 = 0xC001_9002;
    /// `/Par` names a parameter the package (or its project) does not have: SSIS's
    /// DTS_E_PARAMETERNOTFOUNDINCOLL.
    pub const PARAMETER_NOT_FOUND: u32 = 0xC001_F015;
    /// A `/ConfigFile` file cannot be read.
    pub const CONFIG_FILE_UNREADABLE: u32 = 0xC001_9005;
    /// A configuration entry names a target the package does not have.
    pub const CONFIG_TARGET_NOT_FOUND: u32 = 0x8001_9006;
    /// A configuration the package declares cannot be applied here.
    pub const PACKAGE_CONFIGURATION_SKIPPED: u32 = 0x8001_9007;
    /// A value was set that the package will replace (an expression owns it) or that ssisd
    /// does not model (task-specific properties, `$ServerOption::`).
    pub const OVERRIDE_NOT_APPLIED: u32 = 0x8001_9008;
    /// An expression does not parse or type-check.
    pub const EXPRESSION_INVALID: u32 = 0xC001_9010;
    /// An expression compiles with a warning (e.g. a cast that may truncate).
    pub const EXPRESSION_WARNING: u32 = 0x8001_9011;
    /// An expression reads a sensitive parameter but is not the expression of a sensitive
    /// property (SSIS's DTS_E_EXPRSENSITIVEPARAMVALUENOTALLOWED).
    pub const SENSITIVE_PARAMETER_IN_EXPRESSION: u32 = 0xC001_7010;
    /// A required parameter has no value (a sensitive one the project could not keep).
    pub const PARAMETER_VALUE_REQUIRED: u32 = 0xC001_9013;
    /// An element the engine cannot run.
    pub const UNSUPPORTED_ELEMENT: u32 = 0xC001_9020;
    /// A task's settings (its object data) cannot be read.
    pub const TASK_CONFIGURATION_INVALID: u32 = 0xC001_9023;
    /// An unsupported element that is disabled, or another limitation that does not stop the run.
    pub const UNSUPPORTED_WARNING: u32 = 0x8001_9021;
    /// A sensitive value could not be read (Windows user-key encryption) and was left empty.
    pub const SENSITIVE_VALUE_UNREADABLE: u32 = 0x8001_9022;
    /// `/WarnAsError` turned a warning into an error; the code keeps the warning's low bits.
    pub const WARNING_AS_ERROR_MASK: u32 = 0x4000_0000;
    /// The dtexec command line is not valid (exit 6); reported in the event stream.
    pub const COMMAND_LINE_INVALID: u32 = 0xC001_9009;
    /// A task or container, `/Conn` or `/Par CM.…` names a connection manager the package (or
    /// its project) does not have (SSIS's DTS_E_CONNECTIONNOTFOUND).
    pub const CONNECTION_MANAGER_NOT_FOUND: u32 = 0xC001_000E;
    /// A task or container names a variable that is not visible where it runs (SSIS's
    /// DTS_E_VARIABLENOTFOUND).
    pub const VARIABLE_NOT_FOUND: u32 = 0xC001_0001;
    /// Executing a package is not available yet.
    pub const EXECUTION_NOT_AVAILABLE: u32 = 0xC001_9030;
}

/// One finding: an SSIS-style code, the package path it is about, and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: u32,
    /// The package path of the element (`\Package\Seq\Task.Properties[X]`), or the option
    /// (`/Set`, `/Conn`, a config file) when there is no element.
    pub source: String,
    pub description: String,
}

impl Diagnostic {
    pub fn new(code: u32, source: impl Into<String>, description: impl Into<String>) -> Self {
        Diagnostic {
            code,
            source: source.into(),
            description: description.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "0x{:08X} {}: {}",
            self.code, self.source, self.description
        )
    }
}

/// Everything validation found. The package is valid when `errors` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn error(&mut self, code: u32, source: impl Into<String>, text: impl Into<String>) {
        self.errors.push(Diagnostic::new(code, source, text));
    }

    pub fn warning(&mut self, code: u32, source: impl Into<String>, text: impl Into<String>) {
        self.warnings.push(Diagnostic::new(code, source, text));
    }

    /// `/WarnAsError`: every warning becomes an error (its code gains the error bit).
    pub fn warnings_as_errors(&mut self) {
        for mut w in self.warnings.drain(..) {
            w.code |= codes::WARNING_AS_ERROR_MASK;
            self.errors.push(w);
        }
    }

    /// Appends another report's findings.
    pub fn extend(&mut self, other: ValidationReport) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }
}
