//! Tests of `parse_dtexec_args`: every option with its abbreviations, prefixes, case, missing
//! and bad arguments, conflicts, repeats, and random argument vectors that must never panic.

use super::*;
use crate::cli::exit_code::ExitCode;
use crate::cli::option_table::OPTIONS;
use crate::cli::property_path::CollectionKind;
use crate::cli::reporting::ReportingLevel;

fn parse(args: &[&str]) -> Result<DtexecOptions, OptionError> {
    parse_dtexec_args(args.iter().map(|s| s.to_string()))
}

fn ok(args: &[&str]) -> DtexecOptions {
    parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn err(args: &[&str]) -> OptionError {
    match parse(args) {
        Ok(o) => panic!("{args:?} should fail, got {o:?}"),
        Err(e) => e,
    }
}

/// `/F p.dtsx` followed by the given words.
fn with_file(rest: &[&str]) -> DtexecOptions {
    let mut args = vec!["/F", "p.dtsx"];
    args.extend_from_slice(rest);
    ok(&args)
}

#[test]
fn file_in_every_spelling() {
    for opt in [
        "/F", "/Fi", "/Fil", "/File", "/f", "/FILE", "-F", "-file", "-fIlE",
    ] {
        let o = ok(&[opt, "/home/me/pkg.dtsx"]);
        assert_eq!(
            o.source,
            Some(PackageSource::File("/home/me/pkg.dtsx".into())),
            "{opt}"
        );
        assert_eq!(o.given, vec![OptionName::File]);
    }
}

#[test]
fn every_option_in_every_spelling_and_prefix_char() {
    // A plausible argument for each option, and a partner needed to satisfy its checks.
    fn sample(name: OptionName) -> (Vec<&'static str>, Vec<&'static str>) {
        match name {
            OptionName::File => (vec!["p.dtsx"], vec![]),
            OptionName::Sql => (vec!["\\p"], vec![]),
            OptionName::Dts => (vec!["\\File System\\p"], vec![]),
            OptionName::IsServer => (vec!["\\SSISDB\\f\\pr\\p.dtsx"], vec!["/Ser", "s"]),
            OptionName::Project => (vec!["x.ispac"], vec!["/Pack", "p.dtsx"]),
            OptionName::Package => (vec!["p.dtsx"], vec!["/Proj", "x.ispac"]),
            OptionName::Server => (vec!["srv"], vec!["/SQL", "\\p"]),
            OptionName::User => (vec!["sa"], vec!["/SQL", "\\p"]),
            OptionName::Password => (vec!["pw"], vec!["/SQL", "\\p", "/U", "sa"]),
            OptionName::EnvReference => (
                vec!["12"],
                vec!["/IS", "\\SSISDB\\f\\pr\\p.dtsx", "/Ser", "s"],
            ),
            _ => {
                let arg = match name {
                    OptionName::Set => vec!["\\Package.Properties[X];1"],
                    OptionName::Connection => vec!["C;x=1"],
                    OptionName::ConfigFile => vec!["c.dtsConfig"],
                    OptionName::Parameter => vec!["P;1"],
                    OptionName::Reporting => vec!["EW"],
                    OptionName::MaxConcurrent => vec!["-1"],
                    OptionName::Decrypt => vec!["pw"],
                    OptionName::CheckFile => vec!["c.chk"],
                    OptionName::CheckPointing => vec!["off"],
                    OptionName::Restart => vec!["deny"],
                    OptionName::CommandFile => vec!["opts.txt"],
                    OptionName::PackagePath => vec!["/srv/etl"],
                    OptionName::Logger => vec!["DTS.LogProviderTextFile;log.txt"],
                    OptionName::VLog => vec!["v.log"],
                    OptionName::ConsoleLog => vec!["NM"],
                    OptionName::Dump => vec!["0xC020801C"],
                    OptionName::VerifyBuild => vec!["1;2;3"],
                    OptionName::VerifyPackageId | OptionName::VerifyVersionId => {
                        vec!["{0A1B2C3D-0000-4000-8000-000000000001}"]
                    }
                    OptionName::Rem => vec!["comment"],
                    _ => vec![],
                };
                (arg, vec!["/F", "p.dtsx"])
            }
        }
    }
    for spec in OPTIONS.iter().filter(|s| s.name != OptionName::Help) {
        let (arg, partner) = sample(spec.name);
        for len in spec.min_len..=spec.long.len() {
            for prefix in ["/", "-"] {
                for word in [
                    spec.long[..len].to_string(),
                    spec.long[..len].to_ascii_lowercase(),
                    spec.long[..len].to_ascii_uppercase(),
                ] {
                    let token = format!("{prefix}{word}");
                    let mut args: Vec<&str> = vec![&token];
                    args.extend(arg.iter().copied());
                    args.extend(partner.iter().copied());
                    let o = ok(&args);
                    assert_eq!(o.given.first(), Some(&spec.name), "{args:?}");
                }
            }
        }
        if spec.min_len > 1 {
            let token = format!("/{}", &spec.long[..spec.min_len - 1]);
            let mut args: Vec<&str> = vec![&token];
            args.extend(arg.iter().copied());
            args.extend(partner.iter().copied());
            let names_it = parse(&args).is_ok_and(|o| o.given.first() == Some(&spec.name));
            assert!(!names_it, "{args:?} is too short");
        }
    }
}

#[test]
fn too_short_and_ambiguous_prefixes() {
    assert!(matches!(err(&["/Pro", "x"]), OptionError::TooShort { .. }));
    assert!(matches!(
        err(&["/Co", "x"]),
        OptionError::AmbiguousOption { .. }
    ));
    assert!(matches!(
        err(&["/S", "x"]),
        OptionError::AmbiguousOption { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/V"]),
        OptionError::AmbiguousOption { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Bogus"]),
        OptionError::UnknownOption { .. }
    ));
    assert!(matches!(err(&["/F:p.dtsx"]), OptionError::ColonForm { .. }));
    assert!(matches!(err(&["/"]), OptionError::UnknownOption { .. }));
    assert!(matches!(err(&["-"]), OptionError::UnknownOption { .. }));
    let e = err(&["/F", "p", "/Fx"]);
    assert_eq!(
        e.to_string(),
        "Option \"/Fx\" is not valid: no dtexec option has that name."
    );
}

#[test]
fn stray_arguments() {
    let e = err(&["p.dtsx"]);
    assert!(matches!(e, OptionError::StrayArgument { .. }));
    assert!(e.to_string().contains("\"p.dtsx\""));
    assert!(matches!(
        err(&["/F", "p", "extra"]),
        OptionError::StrayArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Va", "yes"]),
        OptionError::StrayArgument { .. }
    ));
    assert!(matches!(err(&[""]), OptionError::StrayArgument { .. }));
}

#[test]
fn missing_arguments_name_the_option() {
    for (args, option) in [
        (&["/F"][..], "/File"),
        (&["/F", "p", "/Set"][..], "/Set"),
        (&["/F", "p", "/Conn"][..], "/Connection"),
        (&["/F", "p", "/Conf"][..], "/ConfigFile"),
        (&["/F", "p", "/Par"][..], "/Parameter"),
        (&["/F", "p", "/Rep"][..], "/Reporting"),
        (&["/F", "p", "/M"][..], "/MaxConcurrent"),
        (&["/SQL"][..], "/SQL"),
        (&["/F", "p", "/L"][..], "/Logger"),
    ] {
        let e = err(args);
        assert!(
            matches!(e, OptionError::MissingArgument { .. }),
            "{args:?}: {e}"
        );
        assert_eq!(e.option(), Some(option));
        assert_eq!(e.exit_code(), ExitCode::BadCommandLine);
    }
}

#[test]
fn required_arguments_may_start_with_a_slash_or_dash() {
    let o = ok(&["/F", "/F"]);
    assert_eq!(o.source, Some(PackageSource::File("/F".into())));
    let o = with_file(&["/M", "-1"]);
    assert_eq!(o.max_concurrent, Some(-1));
    let o = with_file(&["/Conf", "/etc/ssis/c.dtsConfig"]);
    assert_eq!(o.config_files, vec!["/etc/ssis/c.dtsConfig"]);
}

#[test]
fn empty_arguments_are_refused() {
    assert!(matches!(
        err(&["/F", ""]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "\"\""]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Conf", " "]),
        OptionError::InvalidArgument { .. }
    ));
}

#[test]
fn no_source_is_an_error() {
    assert_eq!(err(&[]), OptionError::NoPackageSource);
    assert_eq!(err(&["/Rep", "E"]), OptionError::NoPackageSource);
    assert_eq!(err(&["/Rem", "nothing"]), OptionError::NoPackageSource);
}

#[test]
fn sources_are_mutually_exclusive() {
    for args in [
        &["/F", "a", "/SQL", "b"][..],
        &["/SQL", "b", "/F", "a"][..],
        &["/F", "a", "/DTS", "b"][..],
        &["/DTS", "a", "/IS", "b", "/Ser", "s"][..],
        &["/F", "a", "/Proj", "x.ispac", "/Pack", "p"][..],
    ] {
        let e = err(args);
        assert!(matches!(e, OptionError::Conflict { .. }), "{args:?}: {e}");
    }
    let e = err(&["/F", "a", "/SQ", "b"]);
    assert_eq!(
        e.to_string(),
        "Options \"/File\" and \"/SQL\" cannot be used together: a package comes from exactly one of /F[ile], /SQ[L], /D[TS] and /IS[Server]."
    );
}

#[test]
fn source_kinds() {
    assert_eq!(
        ok(&["/SQL", "\\Folder\\P"]).source,
        Some(PackageSource::Sql("\\Folder\\P".into()))
    );
    assert_eq!(
        ok(&["/D", "\\File System\\MyPackage"]).source,
        Some(PackageSource::Dts("\\File System\\MyPackage".into()))
    );
    let o = ok(&["/IS", "\\SSISDB\\f\\p\\x.dtsx", "/Ser", "srv\\inst"]);
    assert_eq!(
        o.source,
        Some(PackageSource::IsServer("\\SSISDB\\f\\p\\x.dtsx".into()))
    );
    assert_eq!(o.server.as_deref(), Some("srv\\inst"));
    let o = ok(&["/Pack", "p.dtsx", "/Proj", "x.ispac"]);
    assert_eq!(
        o.source,
        Some(PackageSource::Project {
            project: "x.ispac".into(),
            package: "p.dtsx".into()
        })
    );
    assert_eq!(o.source.map(|s| s.option()), Some(OptionName::Project));
}

#[test]
fn package_path_lists_folders_in_order() {
    let o = ok(&[
        "/F",
        "p.dtsx",
        "/PackageP",
        "/srv/etl;\"/srv/my children\"",
        "/PackagePath",
        "/opt/shared",
    ]);
    assert_eq!(
        o.package_path,
        vec!["/srv/etl", "/srv/my children", "/opt/shared"]
    );
    assert!(matches!(
        err(&["/F", "p.dtsx", "/PackagePath", "/a;;/b"]),
        OptionError::InvalidArgument { .. }
    ));
}

#[test]
fn dependent_options() {
    assert!(matches!(
        err(&["/F", "p", "/Ser", "s"]),
        OptionError::Conflict { .. }
    ));
    assert!(matches!(
        err(&["/IS", "\\a\\b\\c\\d"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/U", "sa"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(
        err(&["/DTS", "p", "/U", "sa"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(
        err(&["/SQL", "p", "/P", "pw"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Env", "3"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(
        err(&["/Proj", "x.ispac"]),
        OptionError::Requires { .. }
    ));
    assert!(matches!(err(&["/Pack", "p"]), OptionError::Requires { .. }));
    let o = ok(&["/SQL", "p", "/Ser", "s", "/U", "sa", "/P", "Secret"]);
    assert_eq!(o.user.as_deref(), Some("sa"));
    assert_eq!(o.password.as_deref(), Some("Secret"));
    let o = ok(&["/SQL", "p", "/U", "sa", "/P", ""]);
    assert_eq!(o.password.as_deref(), Some(""));
}

#[test]
fn repeated_options_last_wins() {
    let o = ok(&[
        "/F", "a.dtsx", "/F", "b.dtsx", "/Rep", "E", "/Rep", "W", "/M", "2", "/M", "3",
    ]);
    assert_eq!(o.source, Some(PackageSource::File("b.dtsx".into())));
    assert_eq!(o.reporting.level, ReportingLevel::WARNINGS);
    assert_eq!(o.max_concurrent, Some(3));
    assert_eq!(o.given.len(), 6);
}

#[test]
fn list_options_accumulate_in_order() {
    let o = with_file(&[
        "/Set",
        "\\Package.Variables[User::A].Value;1",
        "/Conf",
        "one.dtsConfig",
        "/Set",
        "\\Package.Variables[User::A].Value;2",
        "/Conf",
        "two.dtsConfig",
        "/Conn",
        "A;x=1",
        "/Conn",
        "B;\"y=2;z=3\";C;c:\\f.csv",
        "/Par",
        "P1;1",
        "/Par",
        "$Project::P2(Int32);2",
    ]);
    let values: Vec<&str> = o.sets.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(values, vec!["1", "2"]);
    assert_eq!(o.config_files, vec!["one.dtsConfig", "two.dtsConfig"]);
    let conns: Vec<(&str, &str)> = o
        .connections
        .iter()
        .map(|c| (c.target.as_str(), c.connection_string.as_str()))
        .collect();
    assert_eq!(
        conns,
        vec![("A", "x=1"), ("B", "y=2;z=3"), ("C", "c:\\f.csv")]
    );
    assert_eq!(o.parameters.len(), 2);
    assert_eq!(
        o.parameters[1].data_type,
        Some(crate::cli::ParameterDataType::Int32)
    );
}

#[test]
fn set_paths_through_the_command_line() {
    let o = with_file(&[
        "/SET",
        "\\Package\\Load Sales.Variables[User::Table].Properties[Value];dbo.\"Sales\";x",
        "-set",
        "$Sensitive::\\Package.Connections[Db].Properties[Password];\"p;w\"",
    ]);
    assert_eq!(o.sets[0].value, "dbo.\"Sales\";x");
    assert_eq!(o.sets[0].path.steps.len(), 2);
    assert!(o.sets[1].sensitive);
    assert_eq!(o.sets[1].value, "p;w");
    assert_eq!(
        o.sets[1].path.collection.as_ref().map(|c| c.kind),
        Some(CollectionKind::Connections)
    );
    let e = err(&["/F", "p", "/Set", "\\Package.Variables[User::A].Value"]);
    assert!(matches!(e, OptionError::InvalidArgument { .. }));
    assert_eq!(e.option(), Some("/Set"));
    assert!(e.to_string().contains("value is missing"), "{e}");
    assert!(matches!(
        err(&["/F", "p", "/Set", "\\Nope;1"]),
        OptionError::InvalidArgument { .. }
    ));
}

#[test]
fn bad_parameters_and_connections() {
    assert!(matches!(
        err(&["/F", "p", "/Par", "N(Int32);abc"]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Par", "N"]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Conn", "OnlyName"]),
        OptionError::InvalidArgument { .. }
    ));
}

#[test]
fn reporting_option() {
    assert_eq!(with_file(&[]).reporting.level, ReportingLevel::DEFAULT);
    let o = with_file(&["/Rep", "ewi;OnProgress"]);
    assert_eq!(
        o.reporting.level,
        ReportingLevel::ERRORS | ReportingLevel::WARNINGS | ReportingLevel::INFORMATION
    );
    assert_eq!(o.reporting.exceptions, vec!["OnProgress"]);
    assert_eq!(
        with_file(&["/Rep", "N"]).reporting.level,
        ReportingLevel::NONE
    );
    assert_eq!(
        with_file(&["/Reporting", "V"]).reporting.level,
        ReportingLevel::VERBOSE
    );
    assert!(matches!(
        err(&["/F", "p", "/Rep", "NE"]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/Rep", "Q"]),
        OptionError::InvalidArgument { .. }
    ));
}

#[test]
fn switches() {
    let o = with_file(&["/Va", "/W", "/Su", "/VerifyS", "/DumpOnErr"]);
    assert!(o.validate_only && o.warn_as_error && o.sum && o.verify_signed && o.dump_on_error);
    let o = with_file(&[]);
    assert!(!o.validate_only && !o.warn_as_error && !o.sum);
}

#[test]
fn max_concurrent_values() {
    assert_eq!(with_file(&["/M", "0"]).max_concurrent, Some(0));
    assert_eq!(
        with_file(&["/MaxConcurrent", "16"]).max_concurrent,
        Some(16)
    );
    for bad in ["-2", "x", "1.5", "99999999999"] {
        let e = err(&["/F", "p", "/M", bad]);
        assert!(matches!(e, OptionError::InvalidArgument { .. }), "{bad}");
        assert_eq!(e.option(), Some("/MaxConcurrent"));
    }
}

#[test]
fn optional_arguments() {
    // /De without a value prompts; with one it warns about shell history.
    let o = with_file(&["/De"]);
    assert_eq!(o.decrypt, Some(DecryptPassword::Prompt));
    assert!(o.warnings.is_empty());
    let o = with_file(&["/De", "Secret", "/Va"]);
    assert_eq!(o.decrypt, Some(DecryptPassword::Given("Secret".into())));
    assert!(o.validate_only);
    assert_eq!(o.warnings.len(), 1);
    let o = ok(&["/De", "/F", "p"]);
    assert_eq!(o.decrypt, Some(DecryptPassword::Prompt));
    // /CheckP defaults to on; /Res to force; /CheckF to an empty name; /VLog to no file.
    assert_eq!(
        with_file(&["/CheckP"]).checkpointing,
        Some(Checkpointing::On)
    );
    assert_eq!(
        with_file(&["/CheckP", "OFF"]).checkpointing,
        Some(Checkpointing::Off)
    );
    assert!(matches!(
        err(&["/F", "p", "/CheckP", "maybe"]),
        OptionError::InvalidArgument { .. }
    ));
    assert_eq!(with_file(&["/Res"]).restart, Some(RestartMode::Force));
    assert_eq!(
        with_file(&["/Res", "deny"]).restart,
        Some(RestartMode::Deny)
    );
    assert_eq!(
        with_file(&["/Res", "IFPOSSIBLE"]).restart,
        Some(RestartMode::IfPossible)
    );
    assert!(matches!(
        err(&["/F", "p", "/Res", "later"]),
        OptionError::InvalidArgument { .. }
    ));
    assert_eq!(with_file(&["/CheckF"]).checkpoint_file.as_deref(), Some(""));
    assert_eq!(
        with_file(&["/CheckF", "/tmp/c.chk"])
            .checkpoint_file
            .as_deref(),
        Some("/tmp/c.chk")
    );
    assert_eq!(with_file(&["/VLog"]).vlog, Some(None));
    assert_eq!(
        with_file(&["/VLog", "/tmp/v.log"]).vlog,
        Some(Some("/tmp/v.log".into()))
    );
    assert_eq!(with_file(&["/VLog", "/Va"]).vlog, Some(None));
    // /Rem drops its comment.
    let o = with_file(&["/Rem", "nightly run", "/Va"]);
    assert!(o.validate_only);
    let o = with_file(&["/Rem"]);
    assert_eq!(o.given, vec![OptionName::File, OptionName::Rem]);
    // /ConsoleLog with and without arguments.
    let o = with_file(&["/Cons", "NM;I;OnError", "/Cons"]);
    assert_eq!(o.console_log.specs.len(), 2);
    assert!(o.console_log.shows(&["OnError"]));
    assert!(!o.console_log.shows(&["OnWarning"]));
}

#[test]
fn later_options_parse_their_arguments() {
    let o = with_file(&["/L", "DTS.LogProviderTextFile;\"c:\\log.txt\"", "/L", "X;"]);
    assert_eq!(
        o.loggers[0],
        LoggerSpec {
            provider: "DTS.LogProviderTextFile".into(),
            config: "c:\\log.txt".into()
        }
    );
    assert_eq!(o.loggers[1].config, "");
    assert!(matches!(
        err(&["/F", "p", "/L", "NoConfig"]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/L", ";cfg"]),
        OptionError::InvalidArgument { .. }
    ));
    let o = with_file(&["/Dump", "0xC020801C;0x80004005;-2147467259"]);
    assert_eq!(o.dump_codes, vec![0xC020801C, 0x80004005, 0x80004005]);
    assert!(matches!(
        err(&["/F", "p", "/Dump", "oops"]),
        OptionError::InvalidArgument { .. }
    ));
    let o = with_file(&["/VerifyB", "15;0;4063"]);
    assert_eq!(
        o.verify_build,
        Some(VerifyBuild {
            major: 15,
            minor: Some(0),
            build: Some(4063)
        })
    );
    assert_eq!(
        with_file(&["/VerifyBuild", "3"])
            .verify_build
            .map(|b| b.minor),
        Some(None)
    );
    assert!(matches!(
        err(&["/F", "p", "/VerifyB", "1;2;3;4"]),
        OptionError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["/F", "p", "/VerifyB", "a"]),
        OptionError::InvalidArgument { .. }
    ));
    let o = with_file(&["/VerifyP", "0a1b2c3d-0000-4000-8000-000000000001"]);
    assert!(o.verify_package_id.is_some());
    assert!(matches!(
        err(&["/F", "p", "/VerifyV", "nope"]),
        OptionError::InvalidArgument { .. }
    ));
    assert_eq!(
        with_file(&["/Com", "a.txt", "/Com", "b.txt"]).command_files,
        vec!["a.txt", "b.txt"]
    );
    let o = with_file(&["/Ca", "/X86"]);
    assert!(o.caller_info && o.x86);
    assert_eq!(o.warnings.len(), 2);
}

#[test]
fn help_ends_the_parse() {
    let o = ok(&["/?"]);
    assert_eq!(
        o.help,
        Some(HelpRequest {
            topic: None,
            option: None
        })
    );
    let o = ok(&["/H", "Set"]);
    assert_eq!(
        o.help,
        Some(HelpRequest {
            topic: Some("Set".into()),
            option: Some(OptionName::Set)
        })
    );
    let o = ok(&["-help", "/conn"]);
    assert_eq!(o.help.and_then(|h| h.option), Some(OptionName::Connection));
    let o = ok(&["/?", "Bogus", "/whatever", "x"]);
    assert_eq!(
        o.help.as_ref().and_then(|h| h.topic.as_deref()),
        Some("Bogus")
    );
    assert_eq!(o.help.and_then(|h| h.option), None);
    // Options before /? are still checked; the source is not required.
    assert!(ok(&["/Rep", "E", "/?"]).help.is_some());
    assert!(parse(&["/Bogus", "/?"]).is_err());
}

#[test]
fn was_given() {
    let o = with_file(&["/Va"]);
    assert!(o.was_given(OptionName::Validate));
    assert!(!o.was_given(OptionName::Sum));
}

/// A small deterministic generator, so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn random_argument_vectors_never_panic() {
    let pieces = [
        "/",
        "-",
        "F",
        "Set",
        "Conn",
        "Par",
        "Rep",
        "M",
        "?",
        "H",
        "De",
        "Cons",
        "L",
        "Dump",
        "VerifyB",
        "VerifyP",
        "CheckP",
        "Res",
        "VLog",
        "Com",
        "SQL",
        "IS",
        "Ser",
        "Proj",
        "Pack",
        "\\Package",
        ".Variables[",
        "User::x",
        "]",
        ".Properties[",
        ".Value",
        ".EventHandlers[",
        "\\",
        ";",
        "\"",
        "\"\"",
        "\\\"",
        "[",
        "]",
        "(",
        ")",
        "Int32",
        "$Package::",
        "$Sensitive::",
        "::",
        "=",
        ":",
        "x",
        "1",
        "-1",
        "0x",
        "E",
        "N",
        "V",
        "I",
        "é",
        "ß",
        "\u{0}",
        " ",
        "",
        "on",
        "off",
        "{",
        "}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let n = (rng.next() % 7) as usize;
        let args: Vec<String> = (0..n)
            .map(|_| {
                let k = 1 + (rng.next() % 6) as usize;
                (0..k).map(|_| rng.pick(&pieces)).collect::<String>()
            })
            .collect();
        let result = parse_dtexec_args(args.clone());
        if let Ok(o) = &result {
            let _ = crate::cli::refuse_unimplemented(o);
        }
        if let Err(e) = &result {
            assert!(!e.to_string().is_empty(), "{args:?}");
        }
    }
}

#[test]
fn random_set_paths_never_panic() {
    let pieces = [
        "\\",
        "Package",
        ".",
        "Variables",
        "Properties",
        "Connections",
        "EventHandlers",
        "LogProviders",
        "ForEachEnumerator",
        "Value",
        "[",
        "]",
        "User::",
        "x",
        ";",
        "\"",
        "é",
        " ",
    ];
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let k = (rng.next() % 12) as usize;
        let s: String = (0..k).map(|_| rng.pick(&pieces)).collect();
        let _ = crate::cli::SetOption::parse(&s);
        let _ = crate::cli::PropertyPath::parse(&s);
        let _ = crate::cli::ParameterOption::parse(&s);
        let _ = crate::cli::ConnectionOption::parse_list(&s);
        let _ = crate::cli::Reporting::parse(&s);
        let _ = crate::cli::ConsoleLogSpec::parse(Some(&s));
    }
}
