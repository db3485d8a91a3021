//! The gate between parsing and running: [`refuse_unimplemented`] turns the first option that
//! ssisd parses but does not carry out yet into an error naming it, and [`implemented_options`]
//! lists what is carried out. The per-option status itself lives in the option table; this file
//! must not parse anything.

use super::dtexec_options::DtexecOptions;
use super::error::OptionError;
use super::option_table::{OptionName, Support, OPTIONS};

/// Refuses a command line that uses an option ssisd does not carry out yet, naming the first
/// such option in command-line order. A help request is never refused. Ignored options
/// (`/X86`, `/Ca[llerInfo]`) pass; their warnings are in `DtexecOptions::warnings`.
pub fn refuse_unimplemented(options: &DtexecOptions) -> Result<(), OptionError> {
    if options.help.is_some() {
        return Ok(());
    }
    for name in &options.given {
        if let Support::Later(hint) = name.support() {
            return Err(OptionError::NotSupportedYet {
                option: name.to_string(),
                hint,
            });
        }
    }
    Ok(())
}

/// The options ssisd carries out now.
pub fn implemented_options() -> Vec<OptionName> {
    OPTIONS
        .iter()
        .filter(|s| s.support == Support::Implemented)
        .map(|s| s.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_dtexec_args;

    fn parse(args: &[&str]) -> DtexecOptions {
        parse_dtexec_args(args.iter().map(|s| s.to_string())).expect("parses")
    }

    #[test]
    fn implemented_options_pass() {
        let o = parse(&[
            "/F",
            "p.dtsx",
            "/Set",
            "\\Package.Properties[X];1",
            "/Conn",
            "C;x=1",
            "/Conf",
            "c.dtsConfig",
            "/Par",
            "P;1",
            "/Rep",
            "EW",
            "/Va",
            "/M",
            "4",
            "/W",
            "/Su",
            "/Rem",
            "note",
        ]);
        assert_eq!(refuse_unimplemented(&o), Ok(()));
    }

    #[test]
    fn is_server_is_refused_with_a_hint() {
        let o = parse(&["/ISServer", "\\SSISDB\\f\\p\\x.dtsx", "/Ser", "s"]);
        let err = refuse_unimplemented(&o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Option \"/ISServer\" is not supported yet: load the package with /F[ile], /SQL, /DTS or /Proj[ect] and /Pack[age]."
        );
        assert_eq!(err.exit_code() as i32, 6);
    }

    #[test]
    fn stored_packages_are_accepted() {
        assert_eq!(
            refuse_unimplemented(&parse(&[
                "/SQL", "\\pkg", "/Ser", "db", "/U", "u", "/P", "p"
            ])),
            Ok(())
        );
        assert_eq!(
            refuse_unimplemented(&parse(&["/DTS", "\\File System\\P"])),
            Ok(())
        );
    }

    #[test]
    fn each_later_option_is_refused_by_name() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["/ISServer", "\\SSISDB\\f\\p\\x.dtsx", "/Ser", "s"],
                "/ISServer",
            ),
            (&["/F", "p", "/CheckP", "on"], "/CheckPointing"),
            (&["/F", "p", "/CheckF", "c.chk"], "/CheckFile"),
            (&["/F", "p", "/Res", "force"], "/Restart"),
            (
                &["/F", "p", "/L", "DTS.LogProviderTextFile;log.txt"],
                "/Logger",
            ),
            (&["/F", "p", "/VLog"], "/VLog"),
            (&["/F", "p", "/Cons", "NM"], "/ConsoleLog"),
            (&["/F", "p", "/Dump", "0xC020801C"], "/Dump"),
            (&["/F", "p", "/DumpOnError"], "/DumpOnError"),
            (&["/F", "p", "/VerifyS"], "/VerifySigned"),
            (&["/F", "p", "/VerifyB", "1;2"], "/VerifyBuild"),
            (&["/F", "p", "/Com", "opts.txt"], "/CommandFile"),
        ];
        for (args, option) in cases {
            let err = refuse_unimplemented(&parse(args)).unwrap_err();
            assert_eq!(err.option(), Some(*option), "{args:?}");
        }
    }

    #[test]
    fn x86_is_ignored_with_a_warning() {
        let o = parse(&["/F", "p.dtsx", "/X86"]);
        assert_eq!(refuse_unimplemented(&o), Ok(()));
        assert!(o.x86);
        assert!(o.warnings.iter().any(|w| w.contains("/X86")));
    }

    #[test]
    fn help_is_never_refused() {
        let o = parse(&["/SQL", "x", "/?"]);
        assert_eq!(refuse_unimplemented(&o), Ok(()));
    }

    #[test]
    fn implemented_list() {
        let list = implemented_options();
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
        ] {
            assert!(list.contains(&name), "{name}");
        }
        assert!(list.contains(&OptionName::Sql) && list.contains(&OptionName::Dts));
        assert!(!list.contains(&OptionName::IsServer));
    }
}
