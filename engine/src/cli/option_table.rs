//! The table of dtexec's options: every option's long name, its shortest accepted
//! abbreviation, whether it takes an argument, and whether ssisd carries it out now, ignores it,
//! or refuses it until a later version. It also owns turning an option word (without its `/` or
//! `-`) into an [`OptionName`] by those abbreviation rules. It must not parse option arguments
//! nor look at more than one token.

use std::fmt;

use super::error::OptionError;

/// Every dtexec option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionName {
    /// `/?` and `/H[elp]`.
    Help,
    CallerInfo,
    CheckFile,
    CheckPointing,
    CommandFile,
    ConfigFile,
    Connection,
    ConsoleLog,
    Dts,
    Decrypt,
    Dump,
    DumpOnError,
    EnvReference,
    File,
    IsServer,
    Logger,
    MaxConcurrent,
    Package,
    /// `/PackageP[ath]`, ssisd's own: folders where Execute Package finds child packages.
    PackagePath,
    Parameter,
    Password,
    Project,
    /// `/Rem[ark]`, a comment.
    Rem,
    Reporting,
    Restart,
    Set,
    Server,
    Sql,
    Sum,
    User,
    Validate,
    VerifyBuild,
    VerifyPackageId,
    VerifySigned,
    VerifyVersionId,
    VLog,
    WarnAsError,
    X86,
}

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// A switch without argument.
    None,
    /// The next word is always the argument, even when it starts with `/` or `-` (a Linux path
    /// such as `/home/me/p.dtsx`, or `-1`). The text says what is expected.
    Required(&'static str),
    /// The next word is the argument unless it is itself an option. The text says what may come.
    Optional(&'static str),
}

/// What ssisd does with an option today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Parsed and carried out.
    Implemented,
    /// Parsed and deliberately ignored, with a warning; the text says why.
    Ignored(&'static str),
    /// Parsed, then refused by `refuse_unimplemented` until a later version; the text is the
    /// hint shown to the user.
    Later(&'static str),
}

/// One row of the option table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: OptionName,
    /// The long spelling, e.g. `File`.
    pub long: &'static str,
    /// Length of the shortest accepted abbreviation, e.g. 1 for `/F[ile]`.
    pub min_len: usize,
    pub arity: Arity,
    pub support: Support,
    /// One line for the usage listing.
    pub summary: &'static str,
}

impl OptionSpec {
    /// The option in dtexec's help notation: `/F[ile]`, `/Set`.
    pub fn bracketed(&self) -> String {
        if self.min_len >= self.long.len() {
            format!("/{}", self.long)
        } else {
            format!(
                "/{}[{}]",
                &self.long[..self.min_len],
                &self.long[self.min_len..]
            )
        }
    }

    /// The shortest accepted spelling: `/F`.
    pub fn shortest(&self) -> String {
        format!("/{}", &self.long[..self.min_len])
    }

    /// The long spelling with its slash: `/File`.
    pub fn display(&self) -> String {
        format!("/{}", self.long)
    }
}

const SOURCE_HINT: &str = "load the package with /F[ile], /SQL, /DTS or /Proj[ect] and /Pack[age]";
const CHECKPOINT_HINT: &str = "checkpoints are not implemented yet";
const LOG_HINT: &str = "log providers and console logging are not implemented yet";
const DUMP_HINT: &str = "debug dumps are not written yet";
const VERIFY_HINT: &str = "package verification is not implemented yet";

use Arity::{None as NoArg, Optional, Required};
use Support::{Ignored, Implemented, Later};

/// The option table, in alphabetical order of the long names. The abbreviations are the ones
/// bracketed by dtexec's documentation; where dtexec's own help brackets an option differently
/// (`/DT[S]`, `/DumpOnErr[or]`, `/IS[Server]`, `/Rem[ark]`) the shorter of the two is accepted,
/// so both spellings work.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: OptionName::CallerInfo,
        long: "CallerInfo",
        min_len: 2,
        arity: NoArg,
        support: Ignored("it is set by SQL Server Agent and means nothing at a command prompt"),
        summary: "mark a run started by SQL Server Agent",
    },
    OptionSpec {
        name: OptionName::CheckFile,
        long: "CheckFile",
        min_len: 6,
        arity: Optional("a checkpoint file"),
        support: Later(CHECKPOINT_HINT),
        summary: "set the checkpoint file name",
    },
    OptionSpec {
        name: OptionName::CheckPointing,
        long: "CheckPointing",
        min_len: 6,
        arity: Optional("on or off"),
        support: Later(CHECKPOINT_HINT),
        summary: "turn checkpoints on or off",
    },
    OptionSpec {
        name: OptionName::CommandFile,
        long: "CommandFile",
        min_len: 3,
        arity: Required("a file of further options"),
        support: Later("put the options on the command line"),
        summary: "read further options from a file",
    },
    OptionSpec {
        name: OptionName::ConfigFile,
        long: "ConfigFile",
        min_len: 4,
        arity: Required("a configuration file"),
        support: Implemented,
        summary: "apply a configuration file",
    },
    OptionSpec {
        name: OptionName::Connection,
        long: "Connection",
        min_len: 4,
        arity: Required("name_or_id;connection_string"),
        support: Implemented,
        summary: "set a connection manager's connection string",
    },
    OptionSpec {
        name: OptionName::ConsoleLog,
        long: "ConsoleLog",
        min_len: 4,
        arity: Optional("display and list options"),
        support: Later(LOG_HINT),
        summary: "show log entries on the console",
    },
    OptionSpec {
        name: OptionName::Dts,
        long: "DTS",
        min_len: 1,
        arity: Required("a package path in the package store"),
        support: Implemented,
        summary: "load the package from the package store",
    },
    OptionSpec {
        name: OptionName::Decrypt,
        long: "Decrypt",
        min_len: 2,
        arity: Optional("the package password"),
        support: Implemented,
        summary: "password of an encrypted package",
    },
    OptionSpec {
        name: OptionName::Dump,
        long: "Dump",
        min_len: 4,
        arity: Required("event codes separated by ';'"),
        support: Later(DUMP_HINT),
        summary: "write debug dumps on the given event codes",
    },
    OptionSpec {
        name: OptionName::DumpOnError,
        long: "DumpOnError",
        min_len: 9,
        arity: NoArg,
        support: Later(DUMP_HINT),
        summary: "write debug dumps on any error",
    },
    OptionSpec {
        name: OptionName::EnvReference,
        long: "EnvReference",
        min_len: 3,
        arity: Required("an environment reference id"),
        support: Later(SOURCE_HINT),
        summary: "catalog environment reference (with /ISServer)",
    },
    OptionSpec {
        name: OptionName::File,
        long: "File",
        min_len: 1,
        arity: Required("a package file"),
        support: Implemented,
        summary: "load the package from a file",
    },
    OptionSpec {
        name: OptionName::Help,
        long: "Help",
        min_len: 1,
        arity: Optional("an option name"),
        support: Implemented,
        summary: "list the options, or describe one",
    },
    OptionSpec {
        name: OptionName::IsServer,
        long: "ISServer",
        min_len: 2,
        arity: Required("\\catalog\\folder\\project\\package"),
        support: Later(SOURCE_HINT),
        summary: "run a package deployed to the SSIS catalog",
    },
    OptionSpec {
        name: OptionName::Logger,
        long: "Logger",
        min_len: 1,
        arity: Required("classid_or_progid;configstring"),
        support: Later(LOG_HINT),
        summary: "attach a log provider",
    },
    OptionSpec {
        name: OptionName::MaxConcurrent,
        long: "MaxConcurrent",
        min_len: 1,
        arity: Required("a number, -1 or more"),
        support: Implemented,
        summary: "maximum concurrent executables",
    },
    OptionSpec {
        name: OptionName::Package,
        long: "Package",
        min_len: 4,
        arity: Required("a package name"),
        support: Implemented,
        summary: "package inside the /Project folder or .ispac",
    },
    OptionSpec {
        name: OptionName::PackagePath,
        long: "PackagePath",
        min_len: 8,
        arity: Required("folder[;folder…]"),
        support: Implemented,
        summary: "ssisd: folders where Execute Package looks for child packages",
    },
    OptionSpec {
        name: OptionName::Parameter,
        long: "Parameter",
        min_len: 3,
        arity: Required("[$Package::|$Project::|$ServerOption::]name[(type)];value"),
        support: Implemented,
        summary: "set a parameter value",
    },
    OptionSpec {
        name: OptionName::Password,
        long: "Password",
        min_len: 1,
        arity: Required("a password"),
        support: Implemented,
        summary: "SQL Server password (with /User)",
    },
    OptionSpec {
        name: OptionName::Project,
        long: "Project",
        min_len: 4,
        arity: Required("a project folder, .dtproj or .ispac file"),
        support: Implemented,
        summary: "project to take the package from (with /Pack[age])",
    },
    OptionSpec {
        name: OptionName::Rem,
        long: "Remark",
        min_len: 3,
        arity: Optional("a comment"),
        support: Implemented,
        summary: "a comment, discarded",
    },
    OptionSpec {
        name: OptionName::Reporting,
        long: "Reporting",
        min_len: 3,
        arity: Required("levels N, E, W, I, C, D, P or V[;event…]"),
        support: Implemented,
        summary: "what to report on the console",
    },
    OptionSpec {
        name: OptionName::Restart,
        long: "Restart",
        min_len: 3,
        arity: Optional("deny, force or ifPossible"),
        support: Later(CHECKPOINT_HINT),
        summary: "restart from a checkpoint",
    },
    OptionSpec {
        name: OptionName::Set,
        long: "Set",
        min_len: 3,
        arity: Required("[$Sensitive::]propertyPath;value"),
        support: Implemented,
        summary: "override a property, variable or parameter",
    },
    OptionSpec {
        name: OptionName::Server,
        long: "Server",
        min_len: 3,
        arity: Required("server[\\instance]"),
        support: Implemented,
        summary: "server for /SQL, /DTS and /ISServer",
    },
    OptionSpec {
        name: OptionName::Sql,
        long: "SQL",
        min_len: 2,
        arity: Required("a package path in msdb"),
        support: Implemented,
        summary: "load the package from msdb",
    },
    OptionSpec {
        name: OptionName::Sum,
        long: "Sum",
        min_len: 2,
        arity: NoArg,
        support: Implemented,
        summary: "print a summary of the run (executables, errors, warnings) at the end",
    },
    OptionSpec {
        name: OptionName::User,
        long: "User",
        min_len: 1,
        arity: Required("a SQL Server login"),
        support: Implemented,
        summary: "SQL Server login (with /SQL)",
    },
    OptionSpec {
        name: OptionName::Validate,
        long: "Validate",
        min_len: 2,
        arity: NoArg,
        support: Implemented,
        summary: "validate only, do not execute",
    },
    OptionSpec {
        name: OptionName::VerifyBuild,
        long: "VerifyBuild",
        min_len: 7,
        arity: Required("major[;minor[;build]]"),
        support: Later(VERIFY_HINT),
        summary: "require a package build number",
    },
    OptionSpec {
        name: OptionName::VerifyPackageId,
        long: "VerifyPackageID",
        min_len: 7,
        arity: Required("a package GUID"),
        support: Later(VERIFY_HINT),
        summary: "require a package GUID",
    },
    OptionSpec {
        name: OptionName::VerifySigned,
        long: "VerifySigned",
        min_len: 7,
        arity: NoArg,
        support: Later(VERIFY_HINT),
        summary: "require a valid package signature",
    },
    OptionSpec {
        name: OptionName::VerifyVersionId,
        long: "VerifyVersionID",
        min_len: 7,
        arity: Required("a version GUID"),
        support: Later(VERIFY_HINT),
        summary: "require a package version GUID",
    },
    OptionSpec {
        name: OptionName::VLog,
        long: "VLog",
        min_len: 4,
        arity: Optional("a log file"),
        support: Later(LOG_HINT),
        summary: "send events to the package's log providers",
    },
    OptionSpec {
        name: OptionName::WarnAsError,
        long: "WarnAsError",
        min_len: 1,
        arity: NoArg,
        support: Implemented,
        summary: "treat warnings as errors",
    },
    OptionSpec {
        name: OptionName::X86,
        long: "X86",
        min_len: 3,
        arity: NoArg,
        support: Ignored("ssisd always runs packages in its 64-bit runtime"),
        summary: "32-bit runtime (set by SQL Server Agent)",
    },
];

impl OptionName {
    /// This option's row of the table.
    pub fn spec(self) -> &'static OptionSpec {
        OPTIONS
            .iter()
            .find(|s| s.name == self)
            .unwrap_or(&OPTIONS[0])
    }

    /// What ssisd does with this option today.
    pub fn support(self) -> Support {
        self.spec().support
    }
}

impl fmt::Display for OptionName {
    /// The long form with its slash, e.g. `/File`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.spec().long)
    }
}

/// Whether `word` is a case-insensitive prefix of `long`.
fn is_prefix_of(word: &str, long: &str) -> bool {
    !word.is_empty()
        && word.len() <= long.len()
        && long.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

/// Resolves an option word (the token without its leading `/` or `-`) to an option.
/// `token` is the whole token as written, for messages.
///
/// An exact long name always wins; otherwise the word must be a prefix of exactly one long name
/// and at least as long as that option's abbreviation. `?` is `/Help`.
pub fn resolve(word: &str, token: &str) -> Result<OptionName, OptionError> {
    if word == "?" {
        return Ok(OptionName::Help);
    }
    if let Some(spec) = OPTIONS.iter().find(|s| s.long.eq_ignore_ascii_case(word)) {
        return Ok(spec.name);
    }
    let candidates: Vec<&OptionSpec> = OPTIONS
        .iter()
        .filter(|s| is_prefix_of(word, s.long))
        .collect();
    let accepted: Vec<&&OptionSpec> = candidates
        .iter()
        .filter(|s| word.len() >= s.min_len)
        .collect();
    match (accepted.as_slice(), candidates.as_slice()) {
        ([one], _) => Ok(one.name),
        ([], [one]) => Err(OptionError::TooShort {
            token: token.to_string(),
            shortest: one.shortest(),
            bracketed: one.bracketed(),
        }),
        ([], []) => {
            // `/F:pkg.dtsx` — say how to write it instead of only "unknown".
            if let Some((head, _)) = word.split_once(':') {
                if let Ok(name) = resolve(head, token) {
                    return Err(OptionError::ColonForm {
                        token: token.to_string(),
                        option: name.spec().bracketed(),
                    });
                }
            }
            Err(OptionError::UnknownOption {
                token: token.to_string(),
            })
        }
        (many, _) if many.len() > 1 => Err(ambiguous(token, many.iter().map(|s| **s))),
        (_, many) => Err(ambiguous(token, many.iter().copied())),
    }
}

fn ambiguous<'a>(token: &str, specs: impl Iterator<Item = &'a OptionSpec>) -> OptionError {
    OptionError::AmbiguousOption {
        token: token.to_string(),
        candidates: specs
            .map(OptionSpec::bracketed)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(word: &str) -> Result<OptionName, OptionError> {
        resolve(word, &format!("/{word}"))
    }

    #[test]
    fn table_is_consistent() {
        for spec in OPTIONS {
            assert!(
                spec.min_len >= 1 && spec.min_len <= spec.long.len(),
                "{spec:?}"
            );
            assert!(spec.long.is_ascii());
            assert_eq!(spec.name.spec().long, spec.long);
            // No option's shortest form is accepted for any other option.
            for other in OPTIONS.iter().filter(|o| o.name != spec.name) {
                assert!(
                    !(is_prefix_of(&spec.long[..spec.min_len], other.long)
                        && spec.min_len >= other.min_len),
                    "{} collides with {}",
                    spec.long,
                    other.long
                );
            }
        }
    }

    #[test]
    fn every_option_resolves_from_every_accepted_length() {
        for spec in OPTIONS {
            for len in spec.min_len..=spec.long.len() {
                let word = &spec.long[..len];
                assert_eq!(r(word), Ok(spec.name), "{word}");
                assert_eq!(r(&word.to_ascii_lowercase()), Ok(spec.name), "{word}");
                assert_eq!(r(&word.to_ascii_uppercase()), Ok(spec.name), "{word}");
            }
        }
    }

    #[test]
    fn every_option_refuses_the_length_below_its_abbreviation() {
        for spec in OPTIONS.iter().filter(|s| s.min_len > 1) {
            let word = &spec.long[..spec.min_len - 1];
            // Too short for this option; it may still be another option's abbreviation
            // (`/D` is `/D[TS]`, not `/De[crypt]`).
            assert_ne!(r(word), Ok(spec.name), "{word}");
        }
    }

    #[test]
    fn documented_abbreviations() {
        let cases = [
            ("F", OptionName::File),
            ("Conn", OptionName::Connection),
            ("Conf", OptionName::ConfigFile),
            ("Cons", OptionName::ConsoleLog),
            ("Com", OptionName::CommandFile),
            ("Rep", OptionName::Reporting),
            ("Va", OptionName::Validate),
            ("M", OptionName::MaxConcurrent),
            ("W", OptionName::WarnAsError),
            ("De", OptionName::Decrypt),
            ("Par", OptionName::Parameter),
            ("SQ", OptionName::Sql),
            ("D", OptionName::Dts),
            ("DT", OptionName::Dts),
            ("Ser", OptionName::Server),
            ("U", OptionName::User),
            ("P", OptionName::Password),
            ("CheckP", OptionName::CheckPointing),
            ("Checkp", OptionName::CheckPointing),
            ("CheckF", OptionName::CheckFile),
            ("Res", OptionName::Restart),
            ("L", OptionName::Logger),
            ("VLog", OptionName::VLog),
            ("Su", OptionName::Sum),
            ("X86", OptionName::X86),
            ("IS", OptionName::IsServer),
            ("Env", OptionName::EnvReference),
            ("Proj", OptionName::Project),
            ("Pack", OptionName::Package),
            ("PackageP", OptionName::PackagePath),
            ("packagepath", OptionName::PackagePath),
            ("Dump", OptionName::Dump),
            ("DumpOnErr", OptionName::DumpOnError),
            ("DumpOnError", OptionName::DumpOnError),
            ("VerifyB", OptionName::VerifyBuild),
            ("VerifyP", OptionName::VerifyPackageId),
            ("VerifyS", OptionName::VerifySigned),
            ("VerifyV", OptionName::VerifyVersionId),
            ("Ca", OptionName::CallerInfo),
            ("Rem", OptionName::Rem),
            ("Remark", OptionName::Rem),
            ("H", OptionName::Help),
            ("?", OptionName::Help),
            ("Set", OptionName::Set),
        ];
        for (word, name) in cases {
            assert_eq!(r(word), Ok(name), "{word}");
        }
    }

    #[test]
    fn too_short_prefixes_are_refused() {
        for word in ["Pro", "Pr", "En", "I", "X", "X8", "VL", "DumpOnE"] {
            assert!(
                matches!(r(word), Err(OptionError::TooShort { .. })),
                "{word}: {:?}",
                r(word)
            );
        }
        assert_eq!(
            r("Pro").unwrap_err().to_string(),
            "Option \"/Pro\" is too short: write at least /Proj (as in /Proj[ect])."
        );
    }

    #[test]
    fn ambiguous_prefixes_are_refused() {
        for word in [
            "C", "Co", "Con", "Ch", "Check", "S", "Se", "V", "Ver", "Verify", "R", "Re", "Pac",
        ] {
            assert!(
                matches!(r(word), Err(OptionError::AmbiguousOption { .. })),
                "{word}: {:?}",
                r(word)
            );
        }
        let msg = r("Con").unwrap_err().to_string();
        assert!(
            msg.contains("/Conf[igFile]") && msg.contains("/Conn[ection]"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_and_colon_forms() {
        assert!(matches!(r("Files"), Err(OptionError::UnknownOption { .. })));
        assert!(matches!(r("Bogus"), Err(OptionError::UnknownOption { .. })));
        assert!(matches!(r(""), Err(OptionError::UnknownOption { .. })));
        assert!(matches!(
            r("F:pkg.dtsx"),
            Err(OptionError::ColonForm { .. })
        ));
        assert!(matches!(r("ü"), Err(OptionError::UnknownOption { .. })));
    }

    #[test]
    fn bracketed_forms() {
        assert_eq!(OptionName::File.spec().bracketed(), "/F[ile]");
        assert_eq!(OptionName::Set.spec().bracketed(), "/Set");
        assert_eq!(OptionName::Dts.spec().bracketed(), "/D[TS]");
        assert_eq!(OptionName::File.to_string(), "/File");
    }

    #[test]
    fn support_status() {
        for name in [
            OptionName::File,
            OptionName::Set,
            OptionName::Connection,
            OptionName::ConfigFile,
            OptionName::Parameter,
            OptionName::Reporting,
            OptionName::Validate,
            OptionName::MaxConcurrent,
            OptionName::WarnAsError,
            OptionName::Sum,
            OptionName::Sql,
            OptionName::Dts,
            OptionName::Server,
            OptionName::User,
            OptionName::Password,
            OptionName::Decrypt,
        ] {
            assert_eq!(name.support(), Support::Implemented, "{name}");
        }
        assert!(matches!(OptionName::X86.support(), Support::Ignored(_)));
        assert!(matches!(OptionName::IsServer.support(), Support::Later(_)));
    }
}
