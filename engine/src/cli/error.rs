//! The one error type of dtexec's command line, [`OptionError`]. It owns the wording of every
//! complaint about a bad command line (each message names the option at fault and says what is
//! wrong) and the fact that all of them end the run with exit code 6. It must not decide *when*
//! an argument is wrong — the parsers do that — nor print anything.

use super::exit_code::ExitCode;

/// A syntactic or semantic error on the dtexec command line. Every variant ends the run with
/// [`ExitCode::BadCommandLine`] (6); the `Display` text is what dtexec shows the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The token starts with `/` or `-` but names no dtexec option.
    #[error("Option \"{token}\" is not valid: no dtexec option has that name.")]
    UnknownOption { token: String },

    /// The token is a prefix of one option but shorter than that option's abbreviation.
    #[error("Option \"{token}\" is too short: write at least {shortest} (as in {bracketed}).")]
    TooShort {
        token: String,
        shortest: String,
        bracketed: String,
    },

    /// The token is a prefix of several options and identifies none of them.
    #[error("Option \"{token}\" is ambiguous: it could be any of {candidates}.")]
    AmbiguousOption { token: String, candidates: String },

    /// The token was written as `/Option:value`; dtexec separates arguments with white space.
    #[error(
        "Option \"{token}\" is not valid: separate the argument of {option} from the option by a space, not by ':'."
    )]
    ColonForm { token: String, option: String },

    /// A word that is neither an option nor the argument of the preceding option.
    #[error("Argument \"{token}\" is not valid here: it follows no option that takes an argument (options start with '/' or '-').")]
    StrayArgument { token: String },

    /// An option that needs an argument came last on the command line.
    #[error("Option \"{option}\" requires an argument: {expected}.")]
    MissingArgument {
        option: String,
        expected: &'static str,
    },

    /// The argument of an option is malformed.
    #[error("The argument \"{value}\" of option \"{option}\" is not valid: {reason}.")]
    InvalidArgument {
        option: String,
        value: String,
        reason: String,
    },

    /// Two options that exclude each other were both given.
    #[error("Options \"{option}\" and \"{other}\" cannot be used together: {reason}.")]
    Conflict {
        option: String,
        other: String,
        reason: &'static str,
    },

    /// An option was given without another one it depends on.
    #[error("Option \"{option}\" requires {requirement}.")]
    Requires {
        option: String,
        requirement: &'static str,
    },

    /// None of the package-source options was given.
    #[error(
        "No package to run: give exactly one of /F[ile], /SQ[L], /D[TS], /IS[Server], or /Proj[ect] with /Pack[age]."
    )]
    NoPackageSource,

    /// The option is understood but ssisd does not carry it out yet.
    #[error("Option \"{option}\" is not supported yet: {hint}.")]
    NotSupportedYet { option: String, hint: &'static str },
}

impl OptionError {
    /// The exit code dtexec ends with after this error: always 6.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::BadCommandLine
    }

    /// The option (or token) the message is about, as the user wrote it or in its long form.
    pub fn option(&self) -> Option<&str> {
        match self {
            OptionError::UnknownOption { token }
            | OptionError::TooShort { token, .. }
            | OptionError::AmbiguousOption { token, .. }
            | OptionError::ColonForm { token, .. }
            | OptionError::StrayArgument { token } => Some(token),
            OptionError::MissingArgument { option, .. }
            | OptionError::InvalidArgument { option, .. }
            | OptionError::Conflict { option, .. }
            | OptionError::Requires { option, .. }
            | OptionError::NotSupportedYet { option, .. } => Some(option),
            OptionError::NoPackageSource => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_exits_with_six() {
        let e = OptionError::NoPackageSource;
        assert_eq!(e.exit_code(), ExitCode::BadCommandLine);
        assert_eq!(e.exit_code() as i32, 6);
    }

    #[test]
    fn messages_name_the_option() {
        let e = OptionError::MissingArgument {
            option: "/File".into(),
            expected: "a package file",
        };
        assert_eq!(
            e.to_string(),
            "Option \"/File\" requires an argument: a package file."
        );
        assert_eq!(e.option(), Some("/File"));
        let e = OptionError::NotSupportedYet {
            option: "/SQL".into(),
            hint: "load the package with /F[ile]",
        };
        assert_eq!(
            e.to_string(),
            "Option \"/SQL\" is not supported yet: load the package with /F[ile]."
        );
    }
}
