//! Configuration errors. Every error names the file (or the environment), the key or element,
//! and what is wrong, so `ssisd --check-config` and a refused reload tell the user exactly what
//! to fix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist (named by --config or SSISD_CONFIG); create it or name an existing file (event 272)")]
    Missing(PathBuf),
    #[error("configuration file {path}: cannot read it: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{origin}: key `{key}`: {message}")]
    Key {
        origin: String,
        key: String,
        message: String,
    },
}

impl ConfigError {
    pub fn invalid(path: &std::path::Path, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// The SSIS event id this error corresponds to (272 missing file, 273 invalid file).
    pub fn ssis_event_code(&self) -> u32 {
        match self {
            ConfigError::Missing(_) => 272,
            _ => 273,
        }
    }
}
