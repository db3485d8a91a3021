//! The loader's error type. Every variant says what went wrong, where (package path or XML
//! line:column) and what the user can do. It must not carry partial packages.

use std::path::PathBuf;

use thiserror::Error;

/// Why a package or configuration file could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the file is {size} bytes, more than the limit of {limit} bytes; raise the load size \
         limit if this really is a package"
    )]
    TooLarge { size: u64, limit: u64 },

    #[error("the file is empty; a package is an XML document rooted at DTS:Executable")]
    Empty,

    #[error("the file is not valid {encoding} text ({detail}); re-save it as UTF-8")]
    Encoding {
        encoding: &'static str,
        detail: String,
    },

    #[error("XML error at line {line}, column {column}: {message}; the file is damaged or not a package")]
    Xml {
        line: u32,
        column: u32,
        message: String,
    },

    #[error(
        "not an SSIS package: the root element is <{found}> at line {line}, column {column}, \
         expected <DTS:Executable> in namespace www.microsoft.com/SqlServer/Dts"
    )]
    NotAPackage {
        found: String,
        line: u32,
        column: u32,
    },

    #[error(
        "not a connection manager: the root element is <{found}> at line {line}, column \
         {column}, expected <DTS:ConnectionManager> in namespace www.microsoft.com/SqlServer/Dts"
    )]
    NotAConnectionManager {
        found: String,
        line: u32,
        column: u32,
    },

    #[error(
        "the package is encrypted as a whole with a Windows user key (EncryptAllWithUserKey), \
         which cannot be decrypted on Linux; re-save it with DontSaveSensitive, \
         EncryptSensitiveWithPassword or EncryptAllWithPassword on Windows"
    )]
    EncryptedPackage,

    /// A password-protected package that could not be opened (no password, a wrong one, or
    /// damaged encrypted data).
    #[error("{0}")]
    Protection(#[from] crate::protection::ProtectionError),

    #[error("refused at line {line}, column {column}: {error}")]
    Shape {
        line: u32,
        column: u32,
        error: crate::xml_limits::ShapeError,
    },

    #[error(
        "the package is nested more than {limit} containers deep at {path}; the file is \
         probably damaged"
    )]
    TooDeep { path: String, limit: usize },

    #[error("{path} (line {line}, column {column}): {message}")]
    Invalid {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },

    #[error(
        "not a package configuration file: the root element is <{found}>, expected \
         <DTSConfiguration>"
    )]
    NotAConfiguration { found: String },

    #[error("configuration entry at line {line}, column {column}: {message}")]
    InvalidConfiguration {
        line: u32,
        column: u32,
        message: String,
    },
}
