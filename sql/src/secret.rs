//! Passwords and where they come from: a [`Secret`] prints as `<redacted>` in every `Debug`
//! and message, and a [`PasswordSource`] says where a password is (a file, an environment
//! variable, or inline from a connection string) and reads it when a login needs it, so a
//! changed file is seen on the next attempt. Nothing here logs in.

use std::fmt;
use std::path::PathBuf;

/// A password kept out of logs and printed configurations.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The password itself, for the login only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the password comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PasswordSource {
    #[default]
    None,
    /// A file whose content (without a trailing newline) is the password.
    File(PathBuf),
    /// An environment variable of the process.
    Env(String),
    /// Given inline in a connection string or on a command line (never from a configuration
    /// file).
    Inline(Secret),
}

/// Why a password cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("no password is configured for login \"{0}\": set password_file or password_env")]
    Missing(String),
    #[error("cannot read the password file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("the environment variable {0} holding the password is not set")]
    Env(String),
}

impl PasswordSource {
    /// Reads the password now (files and variables can change between attempts).
    pub fn read(&self, user: &str) -> Result<Secret, PasswordError> {
        match self {
            PasswordSource::None => Err(PasswordError::Missing(user.into())),
            PasswordSource::File(path) => std::fs::read_to_string(path)
                .map(|t| Secret(t.trim_end_matches(['\r', '\n']).to_string()))
                .map_err(|e| PasswordError::File {
                    path: path.clone(),
                    message: e.to_string(),
                }),
            PasswordSource::Env(name) => std::env::var(name)
                .map(Secret)
                .map_err(|_| PasswordError::Env(name.clone())),
            PasswordSource::Inline(s) => Ok(s.clone()),
        }
    }

    /// How the source is shown: the file or variable, never a password.
    pub fn describe(&self) -> String {
        match self {
            PasswordSource::None => "none".into(),
            PasswordSource::File(p) => format!("file {}", p.display()),
            PasswordSource::Env(n) => format!("environment variable {n}"),
            PasswordSource::Inline(_) => "<redacted>".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_sources_are_read_at_use() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "from-file\n").unwrap();
        assert_eq!(
            PasswordSource::File(f.clone()).read("u").unwrap().expose(),
            "from-file"
        );
        assert!(PasswordSource::File(dir.path().join("none"))
            .read("u")
            .unwrap_err()
            .to_string()
            .contains("none"));
        let e = PasswordSource::Env("SSISD_TEST_SURELY_UNSET_VAR".into())
            .read("u")
            .unwrap_err();
        assert!(e.to_string().contains("SSISD_TEST_SURELY_UNSET_VAR"));
        assert!(PasswordSource::None
            .read("sa")
            .unwrap_err()
            .to_string()
            .contains("\"sa\""));
    }

    #[test]
    fn secrets_never_print() {
        let s = PasswordSource::Inline(Secret::new("Sup3r"));
        assert!(!format!("{s:?}").contains("Sup3r"));
        assert!(!s.describe().contains("Sup3r"));
    }
}
