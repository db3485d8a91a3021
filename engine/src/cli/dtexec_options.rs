//! dtexec's command line: [`parse_dtexec_args`] turns argv (without the program name) into a
//! [`DtexecOptions`]. It owns walking the words in order, deciding which word is an option and
//! which its argument, "last one wins" for repeated options, and the checks between options
//! (exactly one package source, `/Ser[ver]` only with server sources, …). It delegates option
//! names to `option_table`, and each argument's own syntax to the files named after it. It must
//! not touch the file system, load packages, or print anything; refusing options that are not
//! implemented yet is `support.rs`'s job, done after parsing.

use uuid::Uuid;

use super::connection_option::ConnectionOption;
use super::console_log::{ConsoleLogFilter, ConsoleLogSpec};
use super::error::OptionError;
use super::option_table::{resolve, Arity, OptionName};
use super::parameter_option::ParameterOption;
use super::property_path::SetOption;
use super::quoting::{split_first_top_level, split_top_level, unquote};
use super::reporting::Reporting;

/// Where the package comes from: exactly one per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSource {
    /// `/F[ile] filespec`: a `.dtsx` file.
    File(String),
    /// `/SQ[L] package_path`: msdb on `/Ser[ver]`.
    Sql(String),
    /// `/D[TS] package_path`: the package store, e.g. `\File System\MyPackage`.
    Dts(String),
    /// `/IS[Server] \catalog\folder\project\package.dtsx`: the SSIS catalog on `/Ser[ver]`.
    IsServer(String),
    /// `/Proj[ect] <folder | .dtproj | .ispac> /Pack[age] name`: a package of a project.
    Project { project: String, package: String },
}

impl PackageSource {
    /// The option that named this source.
    pub fn option(&self) -> OptionName {
        match self {
            PackageSource::File(_) => OptionName::File,
            PackageSource::Sql(_) => OptionName::Sql,
            PackageSource::Dts(_) => OptionName::Dts,
            PackageSource::IsServer(_) => OptionName::IsServer,
            PackageSource::Project { .. } => OptionName::Project,
        }
    }
}

/// `/De[crypt]`: the package password, or a request to prompt for it (Linux dtexec prompts
/// when `/De` has no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptPassword {
    Prompt,
    Given(String),
}

/// `/CheckP[ointing] [on|off]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpointing {
    /// SaveCheckpoints True and CheckpointUsage Always (the default when no value is given).
    On,
    Off,
}

/// `/Res[tart] {deny|force|ifPossible}`: the CheckpointUsage to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartMode {
    /// DTSCU_NEVER.
    Deny,
    /// DTSCU_ALWAYS (the default when no value is given).
    Force,
    /// DTSCU_IFEXISTS.
    IfPossible,
}

/// `/L[ogger] classid_or_progid;configstring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerSpec {
    /// The log provider's class id or ProgID, e.g. `DTS.LogProviderTextFile`.
    pub provider: String,
    /// Its configuration string (e.g. a file connection or path).
    pub config: String,
}

/// `/VerifyB[uild] major[;minor[;build]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyBuild {
    pub major: i64,
    pub minor: Option<i64>,
    pub build: Option<i64>,
}

/// `/?` or `/H[elp] [option_name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRequest {
    /// The word after `/?`, as written (without a leading `/` or `-`).
    pub topic: Option<String>,
    /// The option that word names, when it names one.
    pub option: Option<OptionName>,
}

/// Everything a dtexec command line says. Options that were not given keep the package's own
/// values (`None`, empty, or `false`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DtexecOptions {
    /// `/?` or `/H[elp]`: show help and do nothing else. When set, the other fields hold what
    /// was read before it and no check between options was made.
    pub help: Option<HelpRequest>,
    /// The package source; always `Some` when `help` is `None`.
    pub source: Option<PackageSource>,
    /// `/Ser[ver]`.
    pub server: Option<String>,
    /// `/U[ser]`.
    pub user: Option<String>,
    /// `/P[assword]` (case kept).
    pub password: Option<String>,
    /// `/Env[Reference]`.
    pub env_reference: Option<i64>,
    /// `/De[crypt]`.
    pub decrypt: Option<DecryptPassword>,
    /// `/Set`, in command-line order.
    pub sets: Vec<SetOption>,
    /// `/Conn[ection]`, in command-line order.
    pub connections: Vec<ConnectionOption>,
    /// `/Conf[igFile]`, in command-line order.
    pub config_files: Vec<String>,
    /// `/Par[ameter]`, in command-line order. dtexec takes `/Par` only with `/IS[Server]`;
    /// ssisd also accepts it with the other sources and applies it to the package's and
    /// project's parameters.
    pub parameters: Vec<ParameterOption>,
    /// `/Rep[orting]` (the last one), or the default E, W, P.
    pub reporting: Reporting,
    /// Every `/Cons[oleLog]`.
    pub console_log: ConsoleLogFilter,
    /// `/Va[lidate]`: validate only.
    pub validate_only: bool,
    /// `/M[axConcurrent]`: -1 or more.
    pub max_concurrent: Option<i32>,
    /// `/W[arnAsError]`.
    pub warn_as_error: bool,
    /// `/Su[m]`.
    pub sum: bool,
    /// `/CheckP[ointing]`.
    pub checkpointing: Option<Checkpointing>,
    /// `/CheckF[ile]`; an empty string when given without a value.
    pub checkpoint_file: Option<String>,
    /// `/Res[tart]`.
    pub restart: Option<RestartMode>,
    /// `/L[ogger]`, in command-line order.
    pub loggers: Vec<LoggerSpec>,
    /// `/VLog [filespec]`: `Some(None)` without a file.
    pub vlog: Option<Option<String>>,
    /// `/Dump` event codes.
    pub dump_codes: Vec<u32>,
    /// `/DumpOnErr[or]`.
    pub dump_on_error: bool,
    /// `/VerifyB[uild]`.
    pub verify_build: Option<VerifyBuild>,
    /// `/VerifyP[ackageID]`.
    pub verify_package_id: Option<Uuid>,
    /// `/VerifyS[igned]`.
    pub verify_signed: bool,
    /// `/VerifyV[ersionID]`.
    pub verify_version_id: Option<Uuid>,
    /// `/PackageP[ath]` (ssisd's own), in command-line order: folders where Execute Package
    /// looks for a child package that is not where its reference says.
    pub package_path: Vec<String>,
    /// `/Com[mandFile]` files, in order (not read: the option is not implemented yet).
    pub command_files: Vec<String>,
    /// `/Ca[llerInfo]` was given (ignored).
    pub caller_info: bool,
    /// `/X86` was given (ignored).
    pub x86: bool,
    /// Every option given, in command-line order, repeats included.
    pub given: Vec<OptionName>,
    /// Warnings to show before running (ignored options, passwords on the command line).
    pub warnings: Vec<String>,
}

impl DtexecOptions {
    /// Whether the option was given at least once.
    pub fn was_given(&self, name: OptionName) -> bool {
        self.given.contains(&name)
    }
}

/// Parses dtexec's arguments (argv without the program name). Options start with `/` or `-`,
/// in any case, spelled in full or abbreviated as `option_table` allows. An option that needs an
/// argument always takes the next word (so `/F /home/me/p.dtsx` and `/M -1` work); an optional
/// argument is taken unless the next word is itself an option. `/?` and `/H[elp]` end the
/// parse: the word after them, if any, is the help topic and the rest is not read.
///
/// dtexec documents no `/Option:value` form, so none is accepted; such a word is refused with
/// a hint to put a space instead. Since argv arrives already split by the shell, quotes left in
/// an argument are the user's: enclosing quotes are removed, `""` inside them and `\"` stand
/// for one quote, and a `;` inside quotes or brackets separates nothing.
pub fn parse_dtexec_args<I: IntoIterator<Item = String>>(
    args: I,
) -> Result<DtexecOptions, OptionError> {
    let args: Vec<String> = args.into_iter().collect();
    let mut state = State::default();
    let mut i = 0;
    while i < args.len() {
        let token = &args[i];
        i += 1;
        let name = option_word(token)
            .ok_or_else(|| OptionError::StrayArgument {
                token: token.clone(),
            })
            .and_then(|word| resolve(word, token))?;
        state.opts.given.push(name);
        if name == OptionName::Help {
            let topic = args.get(i).map(|t| option_word(t).unwrap_or(t).to_string());
            let option = topic.as_deref().and_then(|t| resolve(t, t).ok());
            state.opts.help = Some(HelpRequest { topic, option });
            return Ok(state.opts);
        }
        let arg = match name.spec().arity {
            Arity::None => None,
            Arity::Required(expected) => {
                let arg = args.get(i).ok_or_else(|| OptionError::MissingArgument {
                    option: name.to_string(),
                    expected,
                })?;
                i += 1;
                Some(arg.as_str())
            }
            Arity::Optional(_) => match args.get(i) {
                Some(next) if !is_option(next) => {
                    i += 1;
                    Some(next.as_str())
                }
                _ => None,
            },
        };
        state.apply(name, arg)?;
    }
    state.finish()
}

/// The word after a leading `/` or `-`, if the token has one.
fn option_word(token: &str) -> Option<&str> {
    token.strip_prefix('/').or_else(|| token.strip_prefix('-'))
}

/// Whether a token is an option (as opposed to an optional argument such as `/tmp/log.txt`).
fn is_option(token: &str) -> bool {
    option_word(token).is_some_and(|word| resolve(word, token).is_ok())
}

fn invalid(name: OptionName, value: &str, reason: impl std::fmt::Display) -> OptionError {
    OptionError::InvalidArgument {
        option: name.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// A required argument that must not be empty, unquoted.
fn non_empty(name: OptionName, arg: &str) -> Result<String, OptionError> {
    let value = unquote(arg);
    if value.trim().is_empty() {
        Err(invalid(name, arg, "it is empty"))
    } else {
        Ok(value)
    }
}

#[derive(Default)]
struct State {
    opts: DtexecOptions,
    /// The single-source option given (`/F`, `/SQL`, `/DTS`, `/ISServer`).
    source_option: Option<OptionName>,
    project: Option<String>,
    package: Option<String>,
}

impl State {
    fn set_source(&mut self, name: OptionName, source: PackageSource) -> Result<(), OptionError> {
        if let Some(other) = self.source_option.filter(|&o| o != name) {
            return Err(OptionError::Conflict {
                option: other.to_string(),
                other: name.to_string(),
                reason:
                    "a package comes from exactly one of /F[ile], /SQ[L], /D[TS] and /IS[Server]",
            });
        }
        self.source_option = Some(name);
        self.opts.source = Some(source);
        Ok(())
    }

    fn apply(&mut self, name: OptionName, arg: Option<&str>) -> Result<(), OptionError> {
        let a = arg.unwrap_or("");
        let o = &mut self.opts;
        match name {
            OptionName::Help => {}
            OptionName::File => {
                let path = non_empty(name, a)?;
                return self.set_source(name, PackageSource::File(path));
            }
            OptionName::Sql => {
                let path = non_empty(name, a)?;
                return self.set_source(name, PackageSource::Sql(path));
            }
            OptionName::Dts => {
                let path = non_empty(name, a)?;
                return self.set_source(name, PackageSource::Dts(path));
            }
            OptionName::IsServer => {
                let path = non_empty(name, a)?;
                return self.set_source(name, PackageSource::IsServer(path));
            }
            OptionName::Project => self.project = Some(non_empty(name, a)?),
            OptionName::Package => self.package = Some(non_empty(name, a)?),
            OptionName::PackagePath => {
                for part in split_top_level(a) {
                    let dir = unquote(part);
                    if dir.trim().is_empty() {
                        return Err(invalid(name, a, "a folder in the list is empty"));
                    }
                    o.package_path.push(dir);
                }
            }
            OptionName::Set => o
                .sets
                .push(SetOption::parse(a).map_err(|r| invalid(name, a, r))?),
            OptionName::Connection => o
                .connections
                .extend(ConnectionOption::parse_list(a).map_err(|r| invalid(name, a, r))?),
            OptionName::ConfigFile => o.config_files.push(non_empty(name, a)?),
            OptionName::Parameter => o
                .parameters
                .push(ParameterOption::parse(a).map_err(|r| invalid(name, a, r))?),
            OptionName::Reporting => {
                o.reporting = Reporting::parse(a).map_err(|r| invalid(name, a, r))?
            }
            OptionName::ConsoleLog => o
                .console_log
                .specs
                .push(ConsoleLogSpec::parse(arg).map_err(|r| invalid(name, a, r))?),
            OptionName::Validate => o.validate_only = true,
            OptionName::WarnAsError => o.warn_as_error = true,
            OptionName::Sum => o.sum = true,
            OptionName::MaxConcurrent => {
                let n: i32 = a
                    .trim()
                    .parse()
                    .map_err(|_| invalid(name, a, "it is not a whole number"))?;
                if n < -1 {
                    return Err(invalid(name, a, "it must be -1 (processors + 2) or more"));
                }
                o.max_concurrent = Some(n);
            }
            OptionName::Decrypt => match arg {
                Some(pw) => {
                    o.decrypt = Some(DecryptPassword::Given(pw.to_string()));
                    o.warnings.push(
                        "A password given with /De[crypt] may be kept in the shell history; \
                         set SSIS_PACKAGE_DECRYPT or give /De without a value to be prompted."
                            .to_string(),
                    );
                }
                None => o.decrypt = Some(DecryptPassword::Prompt),
            },
            OptionName::Server => o.server = Some(non_empty(name, a)?),
            OptionName::User => o.user = Some(non_empty(name, a)?),
            OptionName::Password => o.password = Some(a.to_string()),
            OptionName::EnvReference => {
                o.env_reference = Some(
                    a.trim()
                        .parse()
                        .map_err(|_| invalid(name, a, "it is not a whole number"))?,
                )
            }
            OptionName::CheckFile => o.checkpoint_file = Some(unquote(a)),
            OptionName::CheckPointing => {
                o.checkpointing = Some(match arg {
                    None => Checkpointing::On,
                    Some(v) if v.eq_ignore_ascii_case("on") => Checkpointing::On,
                    Some(v) if v.eq_ignore_ascii_case("off") => Checkpointing::Off,
                    Some(v) => return Err(invalid(name, v, "use on or off")),
                })
            }
            OptionName::Restart => {
                o.restart = Some(match arg {
                    None => RestartMode::Force,
                    Some(v) if v.eq_ignore_ascii_case("deny") => RestartMode::Deny,
                    Some(v) if v.eq_ignore_ascii_case("force") => RestartMode::Force,
                    Some(v) if v.eq_ignore_ascii_case("ifPossible") => RestartMode::IfPossible,
                    Some(v) => return Err(invalid(name, v, "use deny, force or ifPossible")),
                })
            }
            OptionName::CommandFile => o.command_files.push(non_empty(name, a)?),
            OptionName::Logger => {
                let (provider, config) = split_first_top_level(a)
                    .ok_or_else(|| invalid(name, a, "write classid_or_progid;configstring"))?;
                let provider = unquote(provider);
                if provider.trim().is_empty() {
                    return Err(invalid(name, a, "the log provider is missing"));
                }
                o.loggers.push(LoggerSpec {
                    provider,
                    config: unquote(config),
                });
            }
            OptionName::VLog => o.vlog = Some(arg.map(unquote)),
            OptionName::Dump => {
                for part in split_top_level(a) {
                    o.dump_codes.push(parse_event_code(part).ok_or_else(|| {
                        invalid(
                            name,
                            a,
                            format!("\"{part}\" is not an event code such as 0xC020801C"),
                        )
                    })?);
                }
            }
            OptionName::DumpOnError => o.dump_on_error = true,
            OptionName::VerifyBuild => {
                o.verify_build = Some(parse_build(a).map_err(|r| invalid(name, a, r))?)
            }
            OptionName::VerifyPackageId => o.verify_package_id = Some(parse_guid(name, a)?),
            OptionName::VerifyVersionId => o.verify_version_id = Some(parse_guid(name, a)?),
            OptionName::VerifySigned => o.verify_signed = true,
            OptionName::Rem => {}
            OptionName::CallerInfo => {
                o.caller_info = true;
                o.warnings.push(
                    "Option /Ca[llerInfo] is set by SQL Server Agent and is ignored.".to_string(),
                );
            }
            OptionName::X86 => {
                o.x86 = true;
                o.warnings.push(
                    "Option /X86 is ignored: ssisd runs every package in its 64-bit runtime."
                        .to_string(),
                );
            }
        }
        Ok(())
    }

    /// The checks between options, once every option is read.
    fn finish(mut self) -> Result<DtexecOptions, OptionError> {
        match (self.project.take(), self.package.take()) {
            (Some(project), Some(package)) => {
                if let Some(other) = self.source_option {
                    return Err(OptionError::Conflict {
                        option: other.to_string(),
                        other: OptionName::Project.to_string(),
                        reason: "a package comes from exactly one source",
                    });
                }
                self.opts.source = Some(PackageSource::Project { project, package });
            }
            (Some(_), None) => {
                return Err(OptionError::Requires {
                    option: OptionName::Project.to_string(),
                    requirement: "/Pack[age] naming the package inside the project",
                })
            }
            (None, Some(_)) => {
                return Err(OptionError::Requires {
                    option: OptionName::Package.to_string(),
                    requirement: "/Proj[ect] naming the project file",
                })
            }
            (None, None) => {}
        }
        let o = self.opts;
        let source = o.source.as_ref().ok_or(OptionError::NoPackageSource)?;
        let from_server = matches!(
            source,
            PackageSource::Sql(_) | PackageSource::Dts(_) | PackageSource::IsServer(_)
        );
        if o.server.is_some() && !from_server {
            return Err(OptionError::Conflict {
                option: OptionName::Server.to_string(),
                other: source.option().to_string(),
                reason: "/Ser[ver] only applies to /SQ[L], /D[TS] and /IS[Server]",
            });
        }
        if matches!(source, PackageSource::IsServer(_)) && o.server.is_none() {
            return Err(OptionError::Requires {
                option: OptionName::IsServer.to_string(),
                requirement: "/Ser[ver] naming the server of the catalog",
            });
        }
        if o.user.is_some() && !matches!(source, PackageSource::Sql(_)) {
            return Err(OptionError::Requires {
                option: OptionName::User.to_string(),
                requirement: "/SQ[L]: a SQL Server login only applies to packages in msdb",
            });
        }
        if o.password.is_some() && o.user.is_none() {
            return Err(OptionError::Requires {
                option: OptionName::Password.to_string(),
                requirement: "/U[ser]",
            });
        }
        if o.env_reference.is_some() && !matches!(source, PackageSource::IsServer(_)) {
            return Err(OptionError::Requires {
                option: OptionName::EnvReference.to_string(),
                requirement: "/IS[Server] with /Ser[ver]",
            });
        }
        Ok(o)
    }
}

/// An event code: `0x` and hexadecimal digits, or a decimal number (negative ones as HRESULTs).
fn parse_event_code(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    let n: i64 = t.parse().ok()?;
    if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&n) {
        // Negative decimals are HRESULTs: keep their bit pattern.
        Some(n as u32)
    } else {
        None
    }
}

fn parse_build(text: &str) -> Result<VerifyBuild, String> {
    let parts = split_top_level(text);
    if parts.len() > 3 {
        return Err("write major[;minor[;build]]".to_string());
    }
    let mut nums = Vec::new();
    for part in parts {
        nums.push(
            part.trim()
                .parse::<i64>()
                .map_err(|_| format!("\"{part}\" is not a whole number"))?,
        );
    }
    Ok(VerifyBuild {
        major: nums.first().copied().unwrap_or_default(),
        minor: nums.get(1).copied(),
        build: nums.get(2).copied(),
    })
}

fn parse_guid(name: OptionName, text: &str) -> Result<Uuid, OptionError> {
    Uuid::parse_str(unquote(text).trim()).map_err(|_| invalid(name, text, "it is not a GUID"))
}

#[cfg(test)]
#[path = "dtexec_options_tests.rs"]
mod tests;
