//! dtutil's command line: options start with `/` or `-`, are case-insensitive and may be
//! abbreviated down to the documented prefix (`/C[opy]`, `/FC[reate]`, `/SQ[L]` …); arguments
//! follow as separate words; `;` separates the parts of multi-part arguments. Parsing and the
//! checks between options only; nothing is opened here.

use std::fmt;

/// Every option, with the shortest prefix accepted and whether it takes an argument.
const OPTIONS: &[(&str, usize, Arity)] = &[
    ("?", 1, Arity::None),
    ("Copy", 1, Arity::One),
    ("Decrypt", 3, Arity::One),
    ("Delete", 3, Arity::None),
    ("DestPassword", 5, Arity::One),
    ("DestServer", 5, Arity::One),
    ("DestUser", 5, Arity::One),
    ("Dump", 4, Arity::One),
    ("DTS", 2, Arity::One),
    ("Encrypt", 2, Arity::One),
    ("Exists", 2, Arity::None),
    ("FCreate", 2, Arity::One),
    ("FDelete", 3, Arity::One),
    ("FDirectory", 3, Arity::One),
    ("FExists", 2, Arity::One),
    ("File", 2, Arity::One),
    ("FRename", 2, Arity::One),
    ("Help", 1, Arity::Optional),
    ("IDRegenerate", 1, Arity::None),
    ("Move", 1, Arity::One),
    ("Quiet", 1, Arity::None),
    ("Remark", 1, Arity::Optional),
    ("Sign", 2, Arity::One),
    ("SourcePassword", 7, Arity::One),
    ("SourceServer", 7, Arity::One),
    ("SourceUser", 7, Arity::One),
    ("SQL", 2, Arity::One),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    None,
    One,
    Optional,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionError(pub String);

/// A store of packages as dtutil names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sql,
    File,
    Dts,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Sql => "SQL",
            Kind::File => "FILE",
            Kind::Dts => "DTS",
        })
    }
}

fn kind(text: &str, option: &str, allowed: &[Kind]) -> Result<Kind, OptionError> {
    let k = match text.trim().to_ascii_uppercase().as_str() {
        "SQL" => Kind::Sql,
        "FILE" => Kind::File,
        "DTS" => Kind::Dts,
        other => {
            return Err(OptionError(format!(
                "/{option}: \"{other}\" is not a location; use {}",
                allowed
                    .iter()
                    .map(Kind::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    if !allowed.contains(&k) {
        return Err(OptionError(format!(
            "/{option} does not accept the location {k}"
        )));
    }
    Ok(k)
}

/// What the command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Help(Option<String>),
    Copy {
        to: Kind,
        path: String,
    },
    Move {
        to: Kind,
        path: String,
    },
    Delete,
    Exists,
    IdRegenerate,
    FCreate {
        kind: Kind,
        parent: String,
        name: String,
    },
    FDelete {
        kind: Kind,
        parent: String,
        name: String,
    },
    FDirectory {
        kind: Kind,
        path: String,
        recursive: bool,
    },
    FExists {
        kind: Kind,
        path: String,
    },
    FRename {
        kind: Kind,
        parent: String,
        old: String,
        new: String,
    },
    /// `/En[crypt] {SQL|FILE|DTS};path;level[;password]`: save the package with a protection
    /// level (the level as given: a number or a name).
    Encrypt {
        to: Kind,
        path: String,
        level: String,
        password: Option<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The package the command works on: `/SQL`, `/FILE` or `/DTS`.
    pub source: Option<(Kind, String)>,
    pub source_server: Option<String>,
    pub source_user: Option<String>,
    pub source_password: Option<String>,
    pub dest_server: Option<String>,
    pub dest_user: Option<String>,
    pub dest_password: Option<String>,
    pub quiet: bool,
    /// `/Dec[rypt] password`: opens password-protected packages.
    pub decrypt: Option<String>,
    pub actions: Vec<Action>,
}

fn resolve(token: &str) -> Result<(&'static str, Arity), OptionError> {
    let word = &token[1..];
    if word.is_empty() {
        return Err(OptionError(format!("\"{token}\" names no option")));
    }
    let lower = word.to_ascii_lowercase();
    if let Some((name, _, arity)) = OPTIONS
        .iter()
        .find(|(n, _, _)| n.to_ascii_lowercase() == lower)
    {
        return Ok((name, *arity));
    }
    let matches: Vec<_> = OPTIONS
        .iter()
        .filter(|(n, min, _)| lower.len() >= *min && n.to_ascii_lowercase().starts_with(&lower))
        .collect();
    match matches.as_slice() {
        [(name, _, arity)] => Ok((name, *arity)),
        [] => {
            let starts: Vec<String> = OPTIONS
                .iter()
                .filter(|(n, _, _)| n.to_ascii_lowercase().starts_with(&lower))
                .map(|(n, _, _)| format!("/{n}"))
                .collect();
            if starts.is_empty() {
                Err(OptionError(format!("option \"{token}\" is not valid")))
            } else {
                Err(OptionError(format!(
                    "option \"{token}\" is ambiguous or too short: {}",
                    starts.join(", ")
                )))
            }
        }
        many => Err(OptionError(format!(
            "option \"{token}\" is ambiguous: {}",
            many.iter()
                .map(|(n, _, _)| format!("/{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn parts(arg: &str) -> Vec<String> {
    arg.split(';').map(|p| p.trim().to_string()).collect()
}

/// Parses the arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Options, OptionError> {
    let mut o = Options::default();
    let mut i = 0;
    let set_once = |slot: &mut Option<String>, name: &str, v: String| {
        if slot.is_some() {
            return Err(OptionError(format!("/{name} is given more than once")));
        }
        *slot = Some(v);
        Ok(())
    };
    while i < args.len() {
        let token = &args[i];
        if !(token.starts_with('/') || token.starts_with('-')) {
            return Err(OptionError(format!(
                "\"{token}\" is not an option; options start with / or -"
            )));
        }
        let (name, arity) = resolve(token)?;
        let arg = match arity {
            Arity::None => None,
            Arity::One => {
                i += 1;
                Some(
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| OptionError(format!("/{name} needs an argument")))?,
                )
            }
            Arity::Optional => match args.get(i + 1) {
                Some(next) if !next.starts_with('/') && !next.starts_with('-') => {
                    i += 1;
                    Some(next.clone())
                }
                _ => None,
            },
        };
        i += 1;
        let a = arg.clone().unwrap_or_default();
        match name {
            "?" => o.actions.push(Action::Help(None)),
            "Help" => o.actions.push(Action::Help(arg)),
            "Remark" => {}
            "SQL" | "File" | "DTS" => {
                if o.source.is_some() {
                    return Err(OptionError("only one of /SQL, /FILE and /DTS names the package".into()));
                }
                let k = match name {
                    "SQL" => Kind::Sql,
                    "File" => Kind::File,
                    _ => Kind::Dts,
                };
                o.source = Some((k, a));
            }
            "SourceServer" => set_once(&mut o.source_server, name, a)?,
            "SourceUser" => set_once(&mut o.source_user, name, a)?,
            "SourcePassword" => set_once(&mut o.source_password, name, a)?,
            "DestServer" => set_once(&mut o.dest_server, name, a)?,
            "DestUser" => set_once(&mut o.dest_user, name, a)?,
            "DestPassword" => set_once(&mut o.dest_password, name, a)?,
            "Quiet" => o.quiet = true,
            "Delete" => o.actions.push(Action::Delete),
            "Exists" => o.actions.push(Action::Exists),
            "IDRegenerate" => o.actions.push(Action::IdRegenerate),
            "Copy" | "Move" => {
                let p = parts(&a);
                if p.len() != 2 || p[1].is_empty() {
                    return Err(OptionError(format!("/{name} takes {{SQL|FILE|DTS}};destination, e.g. /{name} FILE;/srv/pk/Load.dtsx")));
                }
                let to = kind(&p[0], name, &[Kind::Sql, Kind::File, Kind::Dts])?;
                let path = p[1].clone();
                o.actions.push(if name == "Copy" { Action::Copy { to, path } } else { Action::Move { to, path } });
            }
            "FCreate" | "FDelete" => {
                let p = parts(&a);
                if p.len() != 3 || p[2].is_empty() {
                    return Err(OptionError(format!("/{name} takes {{SQL|DTS}};ParentFolderPath;FolderName")));
                }
                let k = kind(&p[0], name, &[Kind::Sql, Kind::Dts])?;
                let (parent, n) = (p[1].clone(), p[2].clone());
                o.actions.push(if name == "FCreate" {
                    Action::FCreate { kind: k, parent, name: n }
                } else {
                    Action::FDelete { kind: k, parent, name: n }
                });
            }
            "FDirectory" => {
                let p = parts(&a);
                let k = kind(&p[0], name, &[Kind::Sql, Kind::Dts])?;
                let path = p.get(1).cloned().unwrap_or_default();
                let recursive = match p.get(2).map(|s| s.to_ascii_uppercase()) {
                    None => false,
                    Some(s) if s == "S" => true,
                    Some(s) => return Err(OptionError(format!("/FDirectory: \"{s}\" is not S"))),
                };
                o.actions.push(Action::FDirectory { kind: k, path, recursive });
            }
            "FExists" => {
                let p = parts(&a);
                if p.len() != 2 {
                    return Err(OptionError("/FExists takes {SQL|DTS};FolderPath".into()));
                }
                o.actions.push(Action::FExists { kind: kind(&p[0], name, &[Kind::Sql, Kind::Dts])?, path: p[1].clone() });
            }
            "FRename" => {
                let p = parts(&a);
                if p.len() != 4 || p[2].is_empty() || p[3].is_empty() {
                    return Err(OptionError("/FRename takes {SQL|DTS};ParentFolderPath;OldFolderName;NewFolderName".into()));
                }
                o.actions.push(Action::FRename {
                    kind: kind(&p[0], name, &[Kind::Sql, Kind::Dts])?,
                    parent: p[1].clone(),
                    old: p[2].clone(),
                    new: p[3].clone(),
                });
            }
            "Decrypt" => set_once(&mut o.decrypt, name, a)?,
            "Encrypt" => o.actions.push(encrypt_action(&a)?),
            "Sign" | "Dump" => {
                return Err(OptionError(format!(
                    "option /{name} is not supported by this version (packages are copied, moved and deleted byte for byte)"
                )))
            }
            _ => return Err(OptionError(format!("option /{name} is not handled"))),
        }
    }
    check(&o)?;
    Ok(o)
}

/// `{SQL|FILE|DTS};path;level[;password]`: the password is everything after the third `;`,
/// as written (a password may hold `;` and spaces).
fn encrypt_action(arg: &str) -> Result<Action, OptionError> {
    let usage = || {
        OptionError(
            "/Encrypt takes {SQL|FILE|DTS};path;ProtectionLevel[;password], e.g. \
             /Encrypt FILE;/srv/pk/Locked.dtsx;3;Pa55word"
                .into(),
        )
    };
    let mut p = arg.splitn(4, ';');
    let (Some(kind_text), Some(path), Some(level)) = (p.next(), p.next(), p.next()) else {
        return Err(usage());
    };
    if path.trim().is_empty() || level.trim().is_empty() {
        return Err(usage());
    }
    let password = p.next().map(str::to_string);
    let to = kind(kind_text, "Encrypt", &[Kind::Sql, Kind::File, Kind::Dts])?;
    // Refuse a level that cannot be written (user keys, no password) before anything is read.
    ssisd_engine::protection::Target::parse(
        level,
        password
            .clone()
            .map(ssisd_engine::protection::PackagePassword::new),
    )
    .map_err(|e| OptionError(format!("/Encrypt: {e}")))?;
    Ok(Action::Encrypt {
        to,
        path: path.trim().to_string(),
        level: level.trim().to_string(),
        password,
    })
}

fn check(o: &Options) -> Result<(), OptionError> {
    let package_actions = o.actions.iter().filter(|a| {
        matches!(
            a,
            Action::Copy { .. }
                | Action::Encrypt { .. }
                | Action::Move { .. }
                | Action::Delete
                | Action::Exists
                | Action::IdRegenerate
        )
    });
    let count = o
        .actions
        .iter()
        .filter(|a| !matches!(a, Action::Help(_)))
        .count();
    if o.actions.iter().any(|a| matches!(a, Action::Help(_))) {
        return Ok(());
    }
    if count == 0 {
        return Err(OptionError("no action: give one of /COPY, /MOVE, /DELETE, /EXISTS, /ENCRYPT, /IDREGENERATE, /FCREATE, /FDELETE, /FDIRECTORY, /FEXISTS, /FRENAME (/? lists them)".into()));
    }
    if count > 1 {
        return Err(OptionError("give one action at a time".into()));
    }
    if package_actions.count() == 1 && o.source.is_none() {
        return Err(OptionError(
            "name the package with /SQL, /FILE or /DTS".into(),
        ));
    }
    let sql_source = matches!(o.source, Some((Kind::Sql, _)));
    if !sql_source && o.source.is_some() && (o.source_user.is_some() || o.source_password.is_some())
    {
        return Err(OptionError(
            "/SourceUser and /SourcePassword go with /SQL".into(),
        ));
    }
    if o.source_password.is_some() && o.source_user.is_none() {
        return Err(OptionError("/SourcePassword needs /SourceUser".into()));
    }
    if o.dest_password.is_some() && o.dest_user.is_none() {
        return Err(OptionError("/DestPassword needs /DestUser".into()));
    }
    let sql_destination = o.actions.iter().any(|a| {
        matches!(
            a,
            Action::Copy { to: Kind::Sql, .. }
                | Action::Move { to: Kind::Sql, .. }
                | Action::Encrypt { to: Kind::Sql, .. }
        )
    });
    if (o.dest_server.is_some() || o.dest_user.is_some()) && !sql_destination {
        return Err(OptionError(
            "/DestServer and /DestUser go with /COPY SQL;… or /MOVE SQL;…".into(),
        ));
    }
    Ok(())
}

/// The option list for `/?`.
pub fn usage() -> String {
    let mut out = String::from("Options (/ or -, any case, abbreviations as bracketed):\n");
    for (name, min, arity) in OPTIONS.iter().filter(|(n, _, _)| *n != "?") {
        let shown = if *min < name.len() {
            format!("/{}[{}]", &name[..*min], &name[*min..])
        } else {
            format!("/{name}")
        };
        let arg = match arity {
            Arity::None => "",
            Arity::One => " <argument>",
            Arity::Optional => " [argument]",
        };
        out.push_str(&format!("  {shown}{arg}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, OptionError> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn abbreviations_case_and_dashes() {
        let o = p(&["-fi", "a.dtsx", "/c", "file;b.dtsx", "/Q"]).unwrap();
        assert_eq!(o.source, Some((Kind::File, "a.dtsx".into())));
        assert_eq!(
            o.actions,
            vec![Action::Copy {
                to: Kind::File,
                path: "b.dtsx".into()
            }]
        );
        assert!(o.quiet);
        let o = p(&["/SQL", "pk", "/SOURCEUSER", "u", "/SourceP", "pw", "/DEL"]).unwrap();
        assert_eq!(o.source_user.as_deref(), Some("u"));
        assert_eq!(o.actions, vec![Action::Delete]);
        assert_eq!(
            p(&["/FDi", "SQL;Sales;S"]).unwrap().actions,
            vec![Action::FDirectory {
                kind: Kind::Sql,
                path: "Sales".into(),
                recursive: true
            }]
        );
        assert_eq!(
            p(&["/FR", "DTS;File System;Old;New"])
                .unwrap()
                .actions
                .len(),
            1
        );
    }

    #[test]
    fn encrypt_and_decrypt_options() {
        let o = p(&[
            "/Fi",
            "a.dtsx",
            "/Dec",
            "old pw",
            "/En",
            "SQL;Sales\\Locked;3;new;pw ",
        ])
        .unwrap();
        assert_eq!(o.decrypt.as_deref(), Some("old pw"));
        assert_eq!(
            o.actions,
            vec![Action::Encrypt {
                to: Kind::Sql,
                path: "Sales\\Locked".into(),
                level: "3".into(),
                password: Some("new;pw ".into())
            }]
        );
        let o = p(&[
            "/DTS",
            "File System\\a",
            "/ENCRYPT",
            "file;/tmp/b.dtsx;DontSaveSensitive",
        ])
        .unwrap();
        assert!(matches!(
            &o.actions[0],
            Action::Encrypt {
                to: Kind::File,
                password: None,
                ..
            }
        ));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        for (args, needle) in [
            (&["/F", "x"][..], "ambiguous"),
            (&["/Fi", "a", "/SQL", "b", "/Del"][..], "only one"),
            (&["/Fi", "a"][..], "no action"),
            (&["/Fi", "a", "/Del", "/Ex"][..], "one action"),
            (&["/Del"][..], "name the package"),
            (&["/Fi", "a", "/C", "FTP;x"][..], "not a location"),
            (&["/FC", "FILE;a;b"][..], "does not accept"),
            (&["/Fi", "a", "/Sign", "FILE;b;00"][..], "not supported"),
            (&["/Fi", "a", "/En", "FILE;b;3"][..], "needs a password"),
            (&["/Fi", "a", "/En", "FILE;b;1;pw"][..], "DPAPI"),
            (&["/Fi", "a", "/En", "FTP;b;0"][..], "not a location"),
            (&["/Fi", "a", "/En", "FILE;b"][..], "/Encrypt takes"),
            (
                &["/Fi", "a", "/Dec", "x", "/Dec", "y", "/Del"][..],
                "more than once",
            ),
            (
                &["/Fi", "a", "/SourceUser", "u", "/Del"][..],
                "go with /SQL",
            ),
            (
                &["/SQL", "a", "/DestServer", "s", "/Del"][..],
                "go with /COPY SQL",
            ),
            (&["nope"][..], "not an option"),
            (&["/Zap"][..], "not valid"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.0.contains(needle), "{args:?}: {e}");
        }
    }
}
