//! Where the command-line tools take a package password from, as SSIS on Linux does: the
//! option's value (`/De[crypt] pw`), the `SSIS_PACKAGE_DECRYPT` environment variable, or a
//! prompt on the terminal without echo (`/De` with no value, or `--password-prompt`). Shared
//! by dtexec, dtutil and ssisctl; it never prints, logs or stores the password.

use ssisd_engine::protection::{PackagePassword, PASSWORD_VARIABLE};

/// How the command line asked for the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// No password option: the environment variable, if it is set.
    Environment,
    /// The option gave it.
    Given(String),
    /// The option asked for a prompt: the environment variable if it is set, else the
    /// terminal.
    Prompt,
}

/// The terminal could not be asked for the password (there is none).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot prompt for the package password ({0}): there is no terminal; set {PASSWORD_VARIABLE} instead"
)]
pub struct PromptError(#[source] std::io::Error);

/// The password, or `None` when none was asked for and the environment has none.
pub fn resolve(ask: &Ask) -> Result<Option<PackagePassword>, PromptError> {
    let from_env = || {
        std::env::var(PASSWORD_VARIABLE)
            .ok()
            .filter(|v| !v.is_empty())
            .map(PackagePassword::new)
    };
    match ask {
        Ask::Given(p) => Ok(Some(PackagePassword::new(p.clone()))),
        Ask::Environment => Ok(from_env()),
        Ask::Prompt => match from_env() {
            Some(p) => Ok(Some(p)),
            None => rpassword::prompt_password("Enter decryption password: ")
                .map(|p| Some(PackagePassword::new(p)))
                .map_err(PromptError),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_passwords_win_and_absence_is_not_an_error() {
        assert_eq!(
            resolve(&Ask::Given("pw".into())).unwrap(),
            Some(PackagePassword::new("pw"))
        );
        if std::env::var_os(PASSWORD_VARIABLE).is_none() {
            assert_eq!(resolve(&Ask::Environment).unwrap(), None);
        }
    }
}
