//! `dtutil`: manages stored packages the way SSIS users script it — copy, move, delete, test
//! and re-identify a package in a file, in an msdb database (`/SQL`) or in the service's store
//! (`/DTS`), and create, delete, rename, list and test msdb and store folders — with the real
//! command line and exit codes (0 success, 1 failure, 4 not found, 5 cannot load, 6 bad command
//! line). Parsing is in [`options`], the places in [`place`], package passwords (`/Decrypt`,
//! `/Encrypt`) in `protect`; this module sequences an action.

pub mod options;
pub mod place;
mod protect;

use std::io::{BufRead, Write};

use serde_json::Value;
use ssisd_stores::{ItemName, PackageStore, StoreError};

use options::{Action, Kind, Options};
use place::{file_destination, open_msdb, source_name, sql_folder, Failure, Place, SqlLogin};

use crate::client::Client;
use crate::import_protection::ImportProtection;
use ssisd_engine::protection::{PackagePassword, Target};

const DONE: &str = "The operation completed successfully.";

fn banner() {
    println!("ssisd Package Utilities");
    println!("Version {} for 64-bit", env!("CARGO_PKG_VERSION"));
    println!("Copyright (C) the ssisd contributors. Licensed under MIT or Apache-2.0.");
    println!();
}

/// Runs dtutil with `args` (without the program name); returns the exit code.
pub fn run(args: &[String]) -> u8 {
    banner();
    let o = match options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            println!("Option error: {e}.");
            println!("Use /? to list the options.");
            return 6;
        }
    };
    if let Some(Action::Help(_)) = o.actions.first() {
        print!("{}", options::usage());
        return 0;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            println!("Error: cannot start: {e}");
            return 1;
        }
    };
    match runtime.block_on(execute(&o)) {
        Ok(message) => {
            if let Some(m) = message {
                println!("{m}");
            }
            println!("{DONE}");
            0
        }
        Err(f) => {
            println!("Error: {}", f.message);
            f.code
        }
    }
}

fn source_login(o: &Options) -> SqlLogin {
    SqlLogin {
        server: o.source_server.clone(),
        user: o.source_user.clone(),
        password: o.source_password.clone(),
    }
}

fn dest_login(o: &Options) -> SqlLogin {
    SqlLogin {
        server: o.dest_server.clone(),
        user: o.dest_user.clone().or_else(|| o.source_user.clone()),
        password: o
            .dest_password
            .clone()
            .or_else(|| o.source_password.clone()),
    }
}

async fn source(o: &Options) -> Result<Place, Failure> {
    let (kind, text) = o
        .source
        .clone()
        .ok_or_else(|| Failure::new(6, "name the package with /SQL, /FILE or /DTS"))?;
    Place::open(
        kind,
        &text,
        &source_login(o),
        o.source_server.as_deref().filter(|_| kind == Kind::Dts),
    )
    .await
}

/// Asks before replacing, as dtutil does; no answer (no terminal) means no.
fn confirm_overwrite(what: &str) -> bool {
    print!("The destination {what} already exists. Overwrite it? (Y/N) ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(n) if n > 0 => line.trim().eq_ignore_ascii_case("y"),
        _ => {
            println!();
            false
        }
    }
}

async fn execute(o: &Options) -> Result<Option<String>, Failure> {
    let action = o
        .actions
        .first()
        .cloned()
        .ok_or_else(|| Failure::new(6, "no action"))?;
    match action {
        Action::Help(_) => Ok(None),
        Action::Copy { to, path } | Action::Move { to, path } => {
            let moving = matches!(o.actions[0], Action::Move { .. });
            let from = source(o).await?;
            let bytes = from.read().await?;
            ssisd_engine::header::read_package_header(&bytes).map_err(|e| {
                Failure::new(
                    5,
                    format!(
                        "{} cannot be loaded: it is not an SSIS package ({e})",
                        from.describe()
                    ),
                )
            })?;
            let password = protect::decrypt_password(o.decrypt.as_ref());
            protect::check_opens(&from, &bytes, password.as_ref())?;
            let target = destination(o, to, &path, &from).await?;
            let replace = may_replace(o, &target).await?;
            target.write(bytes, replace).await?;
            if moving {
                from.delete().await?;
            }
            Ok(Some(format!(
                "{} {} to {}.",
                if moving { "Moved" } else { "Copied" },
                from.describe(),
                target.describe()
            )))
        }
        Action::Encrypt {
            to,
            path,
            level,
            password,
        } => {
            let from = source(o).await?;
            let bytes = from.read().await?;
            let decrypt = protect::decrypt_password(o.decrypt.as_ref());
            let new_password = password.map(PackagePassword::new);
            let target_level = Target::parse(&level, new_password.clone())
                .map_err(|e| Failure::new(6, e.to_string()))?;
            if target_level == Target::ServerStorage && to == Kind::File {
                return Err(Failure::new(
                    6,
                    "ServerStorage (5) is only for packages saved to SQL Server (/Encrypt SQL;…): \
                     a file has no roles to guard its sensitive values",
                ));
            }
            // Transformed in memory before the destination is touched: a wrong password
            // writes nothing.
            let (payload, protection) = if to == Kind::Dts {
                // The service opens and re-protects it (and refuses ServerStorage outside msdb).
                protect::check_opens(&from, &bytes, decrypt.as_ref())?;
                let protection = ImportProtection {
                    password: decrypt,
                    level: Some(level.clone()),
                    new_password,
                };
                (bytes, protection)
            } else {
                let sealed = protect::encrypt(&from, &bytes, decrypt.as_ref(), &target_level)?;
                for d in &sealed.dropped {
                    println!(
                        "Warning: the sensitive value {d} is encrypted with a Windows user key \
                         and cannot be kept; it was left out."
                    );
                }
                (sealed.text.as_bytes().to_vec(), ImportProtection::default())
            };
            let target = destination(o, to, &path, &from).await?;
            let replace = may_replace(o, &target).await?;
            target.write_with(payload, replace, &protection).await?;
            Ok(Some(format!(
                "Saved {} to {} with protection level {} ({}).",
                from.describe(),
                target.describe(),
                target_level.level(),
                target_level.name()
            )))
        }
        Action::Delete => {
            let p = source(o).await?;
            if !p.exists().await? {
                return Err(Failure::new(
                    4,
                    format!("the package {} cannot be found", p.describe()),
                ));
            }
            p.delete().await?;
            Ok(None)
        }
        Action::Exists => {
            let p = source(o).await?;
            if p.exists().await? {
                Ok(Some(format!(
                    "The specified package exists: {}.",
                    p.describe()
                )))
            } else {
                Err(Failure::new(
                    1,
                    format!("The specified package does not exist: {}.", p.describe()),
                ))
            }
        }
        Action::IdRegenerate => {
            let p = source(o).await?;
            let bytes = p.read().await?;
            let password = protect::decrypt_password(o.decrypt.as_ref());
            let (fresh, old) = protect::regenerate(&p, &bytes, password.as_ref())?;
            p.write(fresh, true).await?;
            Ok(Some(format!(
                "The package ID {old} was replaced by a new one."
            )))
        }
        Action::FCreate { kind, parent, name } => {
            folder_op(o, kind, &parent, FolderOp::Create(name)).await
        }
        Action::FDelete { kind, parent, name } => {
            folder_op(o, kind, &parent, FolderOp::Delete(name)).await
        }
        Action::FRename {
            kind,
            parent,
            old,
            new,
        } => folder_op(o, kind, &parent, FolderOp::Rename(old, new)).await,
        Action::FExists { kind, path } => folder_op(o, kind, &path, FolderOp::Exists).await,
        Action::FDirectory {
            kind,
            path,
            recursive,
        } => folder_op(o, kind, &path, FolderOp::List(recursive)).await,
    }
}

/// The place a package is copied, moved or saved to.
async fn destination(o: &Options, to: Kind, path: &str, from: &Place) -> Result<Place, Failure> {
    Ok(match to {
        Kind::File => Place::File(file_destination(path, &source_name(from))),
        Kind::Sql => Place::open(Kind::Sql, path, &dest_login(o), None).await?,
        Kind::Dts => {
            Place::open(
                Kind::Dts,
                path,
                &SqlLogin::default(),
                o.dest_server.as_deref(),
            )
            .await?
        }
    })
}

/// Whether an existing destination may be replaced: `/Quiet`, or the user said yes; no is
/// the end of the command, with nothing changed.
async fn may_replace(o: &Options, target: &Place) -> Result<bool, Failure> {
    if !target.exists().await? {
        return Ok(false);
    }
    if o.quiet || confirm_overwrite(&format!("package {}", target.describe())) {
        Ok(true)
    } else {
        Err(Failure::new(
            1,
            format!(
                "{} was not overwritten; nothing was changed",
                target.describe()
            ),
        ))
    }
}

enum FolderOp {
    Create(String),
    Delete(String),
    Rename(String, String),
    Exists,
    List(bool),
}

fn item(name: &str) -> Result<ItemName, Failure> {
    ItemName::new(name).map_err(|e| Failure::new(6, e.to_string()))
}

async fn folder_op(
    o: &Options,
    kind: Kind,
    path: &str,
    op: FolderOp,
) -> Result<Option<String>, Failure> {
    match kind {
        Kind::Sql => {
            let store = open_msdb(&source_login(o)).await?;
            let folder = sql_folder(path)?;
            match op {
                FolderOp::Create(n) => store.create_folder(&folder.join(&item(&n)?)).await?,
                FolderOp::Delete(n) => store.delete_folder(&folder.join(&item(&n)?), false).await?,
                FolderOp::Rename(old, new) => {
                    store
                        .rename_folder(&folder.join(&item(&old)?), &item(&new)?)
                        .await?
                }
                FolderOp::Exists => {
                    return match store.list(&folder).await {
                        Ok(_) => Ok(Some(format!("The folder {folder} exists."))),
                        Err(StoreError::FolderNotFound(_)) => Err(Failure::new(
                            1,
                            format!("The folder {folder} does not exist."),
                        )),
                        Err(e) => Err(e.into()),
                    }
                }
                FolderOp::List(recursive) => {
                    let mut out = String::new();
                    let mut stack = vec![folder];
                    while let Some(f) = stack.pop() {
                        let listing = store.list(&f).await?;
                        out.push_str(&format!("Folder {f}\n"));
                        for sub in listing.folders.iter().rev() {
                            out.push_str(&format!("  <folder> {}\n", sub.name));
                            if recursive {
                                stack.push(f.join(&item(&sub.name)?));
                            }
                        }
                        for p in &listing.packages {
                            out.push_str(&format!("  {}\n", p.info.name));
                        }
                    }
                    return Ok(Some(out.trim_end().to_string()));
                }
            }
            Ok(None)
        }
        _ => {
            let client = Client::connect(o.source_server.as_deref())?;
            let base = client.item_path(path).map_err(|e| match e {
                crate::client::ClientError::Api {
                    status: 400,
                    message,
                } => Failure::new(6, message),
                other => other.into(),
            })?;
            let with = |n: &str| {
                let mut p = base.clone();
                p.0.push(n.to_string());
                p
            };
            match op {
                FolderOp::Create(n) => {
                    client.request("POST", &format!("folders/{}", with(&n).encoded()), None)?;
                }
                FolderOp::Delete(n) => {
                    client.request("DELETE", &format!("folders/{}", with(&n).encoded()), None)?;
                }
                FolderOp::Rename(old, new) => {
                    let body = serde_json::json!({ "name": new }).to_string();
                    client.request(
                        "PATCH",
                        &format!("folders/{}", with(&old).encoded()),
                        Some(body.as_bytes()),
                    )?;
                }
                FolderOp::Exists => {
                    let a = client.raw(
                        "GET",
                        &format!("folders/{}", base.encoded()),
                        None,
                        std::time::Duration::from_secs(60),
                    )?;
                    return if a.status == 200 {
                        Ok(Some(format!("The folder {} exists.", base.display())))
                    } else {
                        Err(Failure::new(
                            1,
                            format!("The folder {} does not exist.", base.display()),
                        ))
                    };
                }
                FolderOp::List(recursive) => {
                    let mut out = String::new();
                    let mut stack = vec![base.clone()];
                    while let Some(f) = stack.pop() {
                        let v: Value = client
                            .request("GET", &format!("folders/{}", f.encoded()), None)?
                            .json()?;
                        out.push_str(&format!("Folder {}\n", f.display()));
                        for sub in v["folders"].as_array().into_iter().flatten().rev() {
                            let n = sub["name"].as_str().unwrap_or_default();
                            out.push_str(&format!("  <folder> {n}\n"));
                            if recursive {
                                let mut c = f.clone();
                                c.0.push(n.to_string());
                                stack.push(c);
                            }
                        }
                        for p in v["packages"].as_array().into_iter().flatten() {
                            out.push_str(&format!(
                                "  {}\n",
                                p["name"].as_str().unwrap_or_default()
                            ));
                        }
                    }
                    return Ok(Some(out.trim_end().to_string()));
                }
            }
            Ok(None)
        }
    }
}

/// Why a package's id cannot be regenerated.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateError {
    #[error("not an SSIS package: {0}")]
    NotAPackage(String),
    #[error("the package is encrypted as a whole: its ID cannot be changed without decrypting it")]
    Encrypted,
    #[error("the package has no DTSID")]
    NoId,
    #[error("only UTF-8 packages can be re-identified")]
    NotUtf8,
}

/// Gives a package a new DTSID: every occurrence of its current id (braced, any case) is
/// replaced, so references to the package stay consistent. Returns the new bytes and the old id.
pub fn regenerate_id(bytes: &[u8]) -> Result<(Vec<u8>, String), RegenerateError> {
    let header = ssisd_engine::header::read_package_header(bytes)
        .map_err(|e| RegenerateError::NotAPackage(e.to_string()))?;
    if header.encrypted {
        return Err(RegenerateError::Encrypted);
    }
    let old = header.id.ok_or(RegenerateError::NoId)?;
    let text = std::str::from_utf8(bytes).map_err(|_| RegenerateError::NotUtf8)?;
    let (bom, body) = text
        .strip_prefix('\u{feff}')
        .map_or(("", text), |b| ("\u{feff}", b));
    let fresh = format!("{{{}}}", uuid::Uuid::new_v4().to_string().to_uppercase());
    let lower = body.to_ascii_lowercase();
    let needle = old.to_ascii_lowercase();
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    while let Some(i) = lower[at..].find(&needle) {
        out.push_str(&body[at..at + i]);
        out.push_str(&fresh);
        at += i + needle.len();
    }
    out.push_str(&body[at..]);
    Ok((format!("{bom}{out}").into_bytes(), old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regenerated_ids_replace_every_reference() {
        let pkg = "<?xml version=\"1.0\"?><DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:ExecutableType=\"Microsoft.Package\" DTS:DTSID=\"{AAAA0000-0000-0000-0000-000000000001}\" DTS:ObjectName=\"P\"><DTS:Property DTS:Name=\"PackageFormatVersion\">8</DTS:Property><X ref=\"{aaaa0000-0000-0000-0000-000000000001}\"/></DTS:Executable>";
        let (fresh, old) = regenerate_id(pkg.as_bytes()).unwrap();
        assert_eq!(old, "{AAAA0000-0000-0000-0000-000000000001}");
        let text = String::from_utf8(fresh.clone()).unwrap();
        assert!(!text.to_ascii_lowercase().contains("aaaa0000"), "{text}");
        let h = ssisd_engine::header::read_package_header(&fresh).unwrap();
        assert_ne!(h.id.unwrap(), old);
    }
}
