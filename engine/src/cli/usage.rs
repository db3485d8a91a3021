//! The text of dtexec's help (`/?`, `/H[elp] [option]`): the option list generated from the
//! option table, in dtexec's bracket notation, marking what ssisd does not carry out yet. It
//! must not parse anything or write to a stream; `console.rs` prints it.

use super::option_table::{Arity, OptionName, Support, OPTIONS};

fn synopsis(arity: Arity) -> String {
    match arity {
        Arity::None => String::new(),
        Arity::Required(what) => format!(" <{what}>"),
        Arity::Optional(what) => format!(" [{what}]"),
    }
}

fn status(support: Support) -> &'static str {
    match support {
        Support::Implemented => "",
        Support::Ignored(_) => " (ignored)",
        Support::Later(_) => " (not supported yet)",
    }
}

/// The full option list.
pub fn usage() -> String {
    let mut out = String::from(
        "Usage: dtexec /option [value] [/option [value]] ...\n\
         Options start with '/' or '-', in any case; the part in brackets may be left out.\n\
         Several values of one option are separated by ';' (quote or escape it in the shell).\n\n",
    );
    out.push_str("  /?  [an option name]\n");
    for spec in OPTIONS {
        out.push_str(&format!(
            "  {}{}\n        {}{}\n",
            spec.bracketed(),
            synopsis(spec.arity),
            spec.summary,
            status(spec.support)
        ));
    }
    out
}

/// The description of one option.
pub fn option_help(name: OptionName) -> String {
    let spec = name.spec();
    let mut out = format!(
        "{}{}\n    {}.\n",
        spec.bracketed(),
        synopsis(spec.arity),
        spec.summary
    );
    match spec.support {
        Support::Implemented => {}
        Support::Ignored(why) => out.push_str(&format!("    Ignored: {why}.\n")),
        Support::Later(hint) => out.push_str(&format!("    Not supported yet: {hint}.\n")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_lists_every_option() {
        let text = usage();
        for spec in OPTIONS {
            assert!(text.contains(&spec.bracketed()), "{}", spec.long);
        }
        assert!(text.contains("/SQ[L] <a package path in msdb>"));
        assert!(text.contains("(not supported yet)"));
    }

    #[test]
    fn one_option() {
        assert_eq!(
            option_help(OptionName::File),
            "/F[ile] <a package file>\n    load the package from a file.\n"
        );
        assert!(option_help(OptionName::X86).contains("Ignored:"));
        assert!(option_help(OptionName::IsServer)
            .contains("Not supported yet: load the package with /F[ile], /SQL, /DTS or /Proj[ect] and /Pack[age]."));
    }
}
