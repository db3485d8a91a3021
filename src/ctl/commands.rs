//! What each `ssisctl` command does, on top of the client library: one function per command,
//! printing through [`Output`]. Argument parsing and credentials are the binary's; HTTP and
//! connections are the client's — nothing here opens a connection itself.

use std::path::Path;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::output::{cell, Output};
use crate::client::{Client, ClientError, ItemPath};
use crate::import_protection::ImportProtection;
use crate::package_password::{self, Ask};
use ssisd_engine::protection::PackagePassword;

type Result<T = ()> = std::result::Result<T, ClientError>;

pub fn status(c: &Client, out: &Output) -> Result {
    let s = c.request("GET", "status", None)?.json()?;
    if out.json {
        out.print_json(&s);
        return Ok(());
    }
    println!(
        "{} {} on {} (pid {}, up {:.0} s)",
        out.bold("ssisd"),
        cell(&s["version"]),
        c.endpoint(),
        cell(&s["pid"]),
        s["uptime_seconds"].as_f64().unwrap_or(0.0)
    );
    println!("configuration: {}", cell(&s["configuration"]));
    println!("data directory: {}", cell(&s["data_dir"]));
    println!(
        "stop running packages on shutdown: {}",
        cell(&s["stop_executing_packages_on_shutdown"])
    );
    println!();
    print_folders(out, s["folders"].as_array().cloned().unwrap_or_default());
    Ok(())
}

/// `whoami`: who the service takes the caller for (`identity (role) via <via>`).
pub fn whoami(c: &Client, out: &Output) -> Result {
    let v = match c.request("GET", "whoami", None) {
        Err(ClientError::Api { status: 404, .. }) => {
            return Err(ClientError::Api {
                status: 404,
                message: format!(
                    "the service at {} does not answer /whoami (it predates access control); update it to ssisd {}",
                    c.endpoint(),
                    c.service_version
                ),
            })
        }
        answer => answer?.json()?,
    };
    if out.json {
        out.print_json(&v);
    } else {
        println!("{}", super::output::whoami_line(out, &v));
    }
    Ok(())
}

fn print_folders(out: &Output, folders: Vec<Value>) {
    let rows: Vec<Vec<String>> = folders
        .iter()
        .map(|f| {
            vec![
                cell(&f["name"]),
                cell(&f["kind"]),
                out.state(f["health"]["state"].as_str().unwrap_or("")),
                cell(&f["location"]),
                f["health"]["detail"].as_str().unwrap_or("").to_string(),
            ]
        })
        .collect();
    out.table(&["FOLDER", "KIND", "HEALTH", "LOCATION", "DETAIL"], &rows);
}

pub fn folders(c: &Client, out: &Output) -> Result {
    let v = c.request("GET", "folders", None)?.json()?;
    if out.json {
        out.print_json(&v);
    } else {
        print_folders(out, v["folders"].as_array().cloned().unwrap_or_default());
    }
    Ok(())
}

/// How much of each folder `ls` asks for.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// At most this many entries per folder (the answer then says where to go on).
    pub limit: Option<usize>,
    /// Where a previous `--limit` listing stopped.
    pub cursor: Option<String>,
    /// The package fields to ask for (`--json` output); tables ask for their columns only.
    pub fields: Option<String>,
}

/// The package fields the table shows.
const TABLE_FIELDS: &str =
    "size,version_major,version_minor,version_build,protection_level,encrypted";

fn list_one(c: &Client, p: &ItemPath, paging: &Paging, json_out: bool) -> Result<Value> {
    let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    let mut query = Vec::new();
    if let Some(n) = paging.limit {
        query.push(format!("limit={n}"));
    }
    if let Some(cur) = &paging.cursor {
        query.push(format!("cursor={}", enc(cur)));
    }
    match (&paging.fields, json_out) {
        (Some(f), _) => query.push(format!("fields={}", enc(f))),
        (None, false) => query.push(format!("fields={}", enc(TABLE_FIELDS))),
        (None, true) => {}
    }
    let mut url = format!("folders/{}", p.encoded());
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    c.request("GET", &url, None)?.json()
}

pub fn ls(
    c: &Client,
    out: &Output,
    target: Option<&str>,
    recursive: bool,
    paging: &Paging,
) -> Result {
    let Some(target) = target else {
        return folders(c, out);
    };
    let root = c.item_path(target)?;
    let mut stack = vec![root];
    let mut all = Vec::new();
    while let Some(p) = stack.pop() {
        // A cursor belongs to the folder it was given for; subfolders start at the top.
        let mut here = paging.clone();
        if !all.is_empty() {
            here.cursor = None;
        }
        let listing = list_one(c, &p, &here, out.json)?;
        if recursive {
            let subs = listing["folders"].as_array().cloned().unwrap_or_default();
            for f in subs.iter().rev() {
                let mut child = p.clone();
                child.0.push(cell(&f["name"]));
                stack.push(child);
            }
        }
        all.push((p, listing));
    }
    if out.json {
        out.print_json(&Value::Array(all.into_iter().map(|(_, l)| l).collect()));
        return Ok(());
    }
    for (i, (p, listing)) in all.iter().enumerate() {
        if recursive {
            if i > 0 {
                println!();
            }
            println!("{}:", out.bold(&p.display()));
        }
        let mut rows: Vec<Vec<String>> = listing["folders"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                vec![
                    out.paint("34", &format!("{}\\", cell(&f["name"]))),
                    "folder".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]
            })
            .collect();
        rows.extend(
            listing["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let version = match (
                        &p["version_major"],
                        &p["version_minor"],
                        &p["version_build"],
                    ) {
                        (Value::Null, _, _) => "-".to_string(),
                        (a, b, c) => format!("{}.{}.{}", cell(a), cell(b), cell(c)),
                    };
                    let kind = if p["encrypted"] == true {
                        "package (encrypted)".to_string()
                    } else {
                        "package".to_string()
                    };
                    vec![
                        cell(&p["name"]),
                        kind,
                        version,
                        cell(&p["protection_level"]),
                        cell(&p["size"]),
                    ]
                }),
        );
        for p in listing["projects"].as_array().into_iter().flatten() {
            let d = &p["project"];
            let packages = d["packages"].as_array().cloned().unwrap_or_default();
            let kind = if d.is_null() {
                "project (unreadable)".to_string()
            } else {
                format!("project, {} package(s)", packages.len())
            };
            rows.push(vec![
                cell(&p["name"]),
                kind,
                if d.is_null() {
                    "-".into()
                } else {
                    cell(&d["version"])
                },
                if d.is_null() {
                    "-".into()
                } else {
                    cell(&d["protection_level"])
                },
                cell(&p["size"]),
            ]);
            for pkg in &packages {
                let entry = if pkg["entry_point"] == true {
                    "package in project"
                } else {
                    "package in project (not an entry point)"
                };
                rows.push(vec![
                    format!("  {}\\{}", cell(&p["name"]), cell(&pkg["file"])),
                    entry.into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]);
            }
        }
        out.table(&["NAME", "TYPE", "VERSION", "PROTECTION", "SIZE"], &rows);
        if let Some(next) = listing["next_cursor"].as_str() {
            println!(
                "… more entries: ssisctl ls \"{}\" --limit {} --cursor '{}'",
                p.display(),
                paging.limit.unwrap_or(0),
                next.replace('\'', "'\\''")
            );
        }
    }
    Ok(())
}

fn done(out: &Output, v: Value, text: String) {
    if out.json {
        out.print_json(&v);
    } else {
        println!("{text}");
    }
}

pub fn mkdir(c: &Client, out: &Output, target: &str, parents: bool) -> Result {
    let p = c.item_path(target)?;
    if parents {
        for n in 2..=p.0.len() {
            let part = ItemPath(p.0[..n].to_vec());
            match c.request("POST", &format!("folders/{}", part.encoded()), None) {
                Ok(_) | Err(ClientError::Api { status: 409, .. }) => {}
                Err(e) => return Err(e),
            }
        }
    } else {
        c.request("POST", &format!("folders/{}", p.encoded()), None)?;
    }
    done(
        out,
        json!({"created": p.display()}),
        format!("created {}", p.display()),
    );
    Ok(())
}

pub fn rmdir(c: &Client, out: &Output, target: &str, recursive: bool) -> Result {
    let p = c.item_path(target)?;
    let q = if recursive { "?recursive=true" } else { "" };
    c.request("DELETE", &format!("folders/{}{q}", p.encoded()), None)?;
    done(
        out,
        json!({"deleted": p.display()}),
        format!("deleted {}", p.display()),
    );
    Ok(())
}

fn is_stored_project(c: &Client, p: &ItemPath) -> Result<bool> {
    Ok(c.raw(
        "HEAD",
        &format!("projects/{}", p.encoded()),
        None,
        std::time::Duration::from_secs(30),
    )?
    .status
        == 200)
}

fn is_package(c: &Client, p: &ItemPath) -> Result<bool> {
    Ok(c.raw(
        "HEAD",
        &format!("packages/{}", p.encoded()),
        None,
        std::time::Duration::from_secs(30),
    )?
    .status
        == 200)
}

pub fn rm(c: &Client, out: &Output, target: &str) -> Result {
    let p = c.item_path(target)?;
    // A project when there is no package of that name.
    match c.request("DELETE", &format!("packages/{}", p.encoded()), None) {
        Err(ClientError::Api { status: 404, .. }) if is_stored_project(c, &p)? => {
            c.request("DELETE", &format!("projects/{}", p.encoded()), None)?;
        }
        other => {
            other?;
        }
    }
    done(
        out,
        json!({"deleted": p.display()}),
        format!("deleted {}", p.display()),
    );
    Ok(())
}

/// Renames within a folder; moves a package to another folder.
pub fn mv(c: &Client, out: &Output, from: &str, to: &str, overwrite: bool) -> Result {
    let (src, dst) = (c.item_path(from)?, c.item_path(to)?);
    let same_parent = src.parent() == dst.parent();
    if is_package(c, &src)? {
        if same_parent {
            let body = json!({"name": dst.name()}).to_string();
            c.request(
                "PATCH",
                &format!("packages/{}", src.encoded()),
                Some(body.as_bytes()),
            )?;
        } else {
            let body =
                json!({"from": src.slash(), "to": dst.slash(), "overwrite": overwrite}).to_string();
            c.request("POST", "move", Some(body.as_bytes()))?;
        }
    } else if same_parent {
        let body = json!({"name": dst.name()}).to_string();
        c.request(
            "PATCH",
            &format!("folders/{}", src.encoded()),
            Some(body.as_bytes()),
        )?;
    } else {
        return Err(ClientError::Api {
            status: 400,
            message: format!(
                "{} is a folder: folders can be renamed in place, not moved to another folder",
                src.display()
            ),
        });
    }
    done(
        out,
        json!({"from": src.display(), "to": dst.display()}),
        format!("{} -> {}", src.display(), dst.display()),
    );
    Ok(())
}

pub fn cp(c: &Client, out: &Output, from: &str, to: &str, overwrite: bool) -> Result {
    let (src, dst) = (c.item_path(from)?, c.item_path(to)?);
    let body = json!({"from": src.slash(), "to": dst.slash(), "overwrite": overwrite}).to_string();
    let v = c.request("POST", "copy", Some(body.as_bytes()))?.json()?;
    done(out, v, format!("{} -> {}", src.display(), dst.display()));
    Ok(())
}

/// Whether `file` is a project to deploy: an `.ispac`, a Visual Studio project folder or its
/// `.dtproj`.
fn is_project(file: &Path) -> bool {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    file.is_dir() || ext == "ispac" || ext == "dtproj"
}

/// The environment variable holding the password of the protection level an import asks
/// for (levels 2 and 3).
pub const NEW_PASSWORD_VARIABLE: &str = "SSISD_NEW_PACKAGE_PASSWORD";

/// The protection headers of an import: the package password (`--decrypt`: from
/// SSIS_PACKAGE_DECRYPT or a prompt) and the new level with its password
/// (SSISD_NEW_PACKAGE_PASSWORD, else a prompt, else the package password).
fn import_protection(
    decrypt: bool,
    level: Option<String>,
) -> std::result::Result<ImportProtection, ClientError> {
    let password = if decrypt {
        let p = package_password::resolve(&Ask::Prompt)
            .map_err(|e| ClientError::Other(e.to_string()))?;
        Some(p.ok_or_else(|| ClientError::Other("no package password was given".into()))?)
    } else {
        None
    };
    let needs_new = level.as_deref().is_some_and(|l| {
        matches!(
            l.trim().to_ascii_lowercase().as_str(),
            "2" | "3" | "encryptsensitivewithpassword" | "encryptallwithpassword"
        )
    });
    let new_password = match std::env::var(NEW_PASSWORD_VARIABLE) {
        Ok(p) if needs_new && !p.is_empty() => Some(PackagePassword::new(p)),
        _ if needs_new && password.is_none() => Some(
            rpassword::prompt_password("Password for the stored package: ")
                .map(PackagePassword::new)
                .map_err(|e| {
                    ClientError::Other(format!(
                        "cannot prompt for the new package password ({e}); set \
                         {NEW_PASSWORD_VARIABLE}"
                    ))
                })?,
        ),
        _ => None,
    };
    Ok(ImportProtection {
        password,
        level,
        new_password,
    })
}

pub fn import(
    c: &Client,
    out: &Output,
    file: &Path,
    target: &str,
    overwrite: bool,
    decrypt: bool,
    level: Option<String>,
) -> Result {
    if is_project(file) {
        return import_project(c, out, file, target, overwrite);
    }
    let protection = import_protection(decrypt, level)?;
    let mut p = c.item_path(target)?;
    // A target naming a folder that exists receives the file under its own name.
    if !p.name().to_ascii_lowercase().ends_with(".dtsx") && is_folder(c, &p)? {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("package");
        p.0.push(stem.to_string());
    }
    let bytes = std::fs::read(file)
        .map_err(|e| ClientError::Other(format!("cannot read {}: {e}", file.display())))?;
    let q = if overwrite { "?overwrite=true" } else { "" };
    let v = c
        .request_with_headers(
            "PUT",
            &format!("packages/{}{q}", p.encoded()),
            Some(&bytes),
            &protection.headers(),
        )?
        .json()?;
    let level = v["protection_level"]
        .as_str()
        .map_or(String::new(), |l| format!(" with protection level {l}"));
    done(
        out,
        v.clone(),
        format!("imported {} as {}{level}", file.display(), p.display()),
    );
    Ok(())
}

fn is_folder(c: &Client, p: &ItemPath) -> Result<bool> {
    Ok(c.raw(
        "GET",
        &format!("folders/{}", p.encoded()),
        None,
        std::time::Duration::from_secs(30),
    )?
    .status
        == 200)
}

/// Deploys a project: an `.ispac` as it is, a project folder (or its `.dtproj`) packed into
/// one first. Into an existing folder it goes under the project's name.
fn import_project(c: &Client, out: &Output, file: &Path, target: &str, overwrite: bool) -> Result {
    let project = ssisd_engine::project::Project::open(file, &ssisd_engine::LoadOptions::default())
        .map_err(|e| ClientError::Other(e.to_string()))?;
    let bytes = match project.form() {
        ssisd_engine::project::ProjectForm::Ispac => std::fs::read(file)
            .map_err(|e| ClientError::Other(format!("cannot read {}: {e}", file.display())))?,
        ssisd_engine::project::ProjectForm::Folder => project
            .to_ispac()
            .map_err(|e| ClientError::Other(e.to_string()))?,
    };
    let mut p = c.item_path(target)?;
    if !p.name().to_ascii_lowercase().ends_with(".ispac") && is_folder(c, &p)? {
        let name = match project.form() {
            ssisd_engine::project::ProjectForm::Ispac => file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("project")
                .to_string(),
            ssisd_engine::project::ProjectForm::Folder => project.name().to_string(),
        };
        p.0.push(name);
    }
    let q = if overwrite { "?overwrite=true" } else { "" };
    let v = c
        .request("PUT", &format!("projects/{}{q}", p.encoded()), Some(&bytes))?
        .json()?;
    let packages = project.packages().len();
    done(
        out,
        v,
        format!(
            "imported the project {} ({packages} package{}) as {}",
            file.display(),
            if packages == 1 { "" } else { "s" },
            p.display()
        ),
    );
    Ok(())
}

pub fn export(c: &Client, out: &Output, source: &str, file: Option<&Path>) -> Result {
    let p = c.item_path(source)?;
    // A project (its .ispac) when there is no package of that name.
    let (bytes, ext) = match c.request("GET", &format!("packages/{}", p.encoded()), None) {
        Err(ClientError::Api { status: 404, .. }) if is_stored_project(c, &p)? => (
            c.request("GET", &format!("projects/{}", p.encoded()), None)?
                .body,
            "ispac",
        ),
        other => (other?.body, "dtsx"),
    };
    match file {
        Some(f) if f.as_os_str() != "-" => {
            let f = if f.is_dir() {
                f.join(format!("{}.{ext}", p.name()))
            } else {
                f.to_path_buf()
            };
            std::fs::write(&f, &bytes)
                .map_err(|e| ClientError::Other(format!("cannot write {}: {e}", f.display())))?;
            done(
                out,
                json!({"exported": p.display(), "file": f, "bytes": bytes.len()}),
                format!(
                    "exported {} to {} ({} bytes)",
                    p.display(),
                    f.display(),
                    bytes.len()
                ),
            );
        }
        _ => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| ClientError::Other(e.to_string()))?;
        }
    }
    Ok(())
}

pub struct EventFilter {
    pub level: Option<String>,
    pub since: Option<String>,
    pub source: Option<String>,
    pub limit: usize,
}

fn event_line(out: &Output, e: &Value) -> String {
    format!(
        "{:>6}  {}  {:<11}  {:>5}  {:<12}  {}",
        cell(&e["id"]),
        cell(&e["time"]),
        out.state(e["level"].as_str().unwrap_or("")),
        cell(&e["event_id"]),
        cell(&e["source"]),
        cell(&e["message"])
    )
}

pub fn events(c: &Client, out: &Output, f: &EventFilter, follow: bool) -> Result {
    let mut query = vec![format!("limit={}", f.limit)];
    if let Some(l) = &f.level {
        query.push(format!("level={l}"));
    }
    if let Some(s) = &f.source {
        query.push(format!("source={s}"));
    }
    if let Some(s) = &f.since {
        if s.chars().all(|c| c.is_ascii_digit()) {
            query.push(format!("since_id={s}"));
        } else {
            query.push(format!("since={s}"));
        }
    }
    let v = c
        .request("GET", &format!("events?{}", query.join("&")), None)?
        .json()?;
    let mut events = v["events"].as_array().cloned().unwrap_or_default();
    events.reverse(); // oldest first on screen
    let mut last = 0;
    for e in &events {
        last = last.max(e["id"].as_i64().unwrap_or(0));
        if out.json {
            println!("{e}");
        } else {
            println!("{}", event_line(out, e));
        }
    }
    if follow {
        query.retain(|q| !q.starts_with("limit=") && !q.starts_with("since"));
        query.push(format!("since_id={last}"));
        c.follow(&format!("events/stream?{}", query.join("&")), |data| {
            match serde_json::from_str::<Value>(data) {
                Ok(e) if !out.json => println!("{}", event_line(out, &e)),
                _ => println!("{data}"),
            }
            true
        })?;
    }
    Ok(())
}

pub fn reload(c: &Client, out: &Output) -> Result {
    let v = c.request("POST", "reload", None)?.json()?;
    let list = |k: &str| {
        v[k].as_array()
            .map(|a| a.iter().map(cell).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    done(
        out,
        v.clone(),
        format!(
            "reloaded: added [{}], removed [{}], changed [{}], retried [{}]",
            list("added"),
            list("removed"),
            list("changed"),
            list("retried")
        ),
    );
    Ok(())
}

/// `run`: starts a stored package; with `wait`, shows the executables running now and the rows
/// of each data-flow path (about once a second, then the totals) from the run's stream, and
/// returns dtexec's exit code (0 success, 1 failure, 3 cancelled).
/// What `ssisctl run` starts: a stored package, or with `project` a package of that deployed
/// project, with `/Set` and `/Par` values.
pub struct RunRequest<'a> {
    pub package: &'a str,
    pub project: Option<&'a str>,
    pub sets: &'a [String],
    pub parameters: &'a [String],
    /// The executor to run it on (`--on`); `None`: the service's default.
    pub executor: Option<&'a str>,
}

pub fn run(c: &Client, out: &Output, request: &RunRequest<'_>, wait: bool) -> Result<u8> {
    let user = std::env::var("USER").unwrap_or_else(|_| "ssisctl".into());
    let mut body = json!({
        "package": request.package,
        "set": request.sets,
        "parameters": request.parameters,
        "user": user,
    });
    if let Some(project) = request.project {
        body["project"] = json!(c.item_path(project)?.slash());
    }
    if let Some(executor) = request.executor {
        body["executor"] = json!(executor);
    }
    let body = body.to_string();
    let started = c
        .request("POST", "running", Some(body.as_bytes()))?
        .json()?;
    let id = cell(&started["id"]);
    if out.json && !wait {
        out.print_json(&started);
        return Ok(0);
    }
    if !wait {
        println!("{id}");
        return Ok(0);
    }
    eprintln!("started {} as {id}", cell(&started["package"]));
    let mut executing: Vec<String> = Vec::new();
    let mut result: Option<String> = None;
    let followed = c.follow(&format!("running/{id}/stream"), |data| {
        let Ok(r) = serde_json::from_str::<Value>(data) else {
            return true;
        };
        let path = r["path"].as_str().unwrap_or("").to_string();
        match r["event"].as_str().unwrap_or("") {
            "executable_start" => {
                executing.push(path.clone());
                eprintln!("{} {path}", out.paint("36", "started "));
            }
            "executable_end" => {
                executing.retain(|p| *p != path);
                eprintln!(
                    "{} {path}: {}",
                    out.paint("36", "finished"),
                    cell(&r["result"])
                );
            }
            "error" => eprintln!(
                "{} {}: {}",
                out.paint("31", "error   "),
                cell(&r["source"]),
                cell(&r["description"])
            ),
            "warning" => eprintln!(
                "{} {}: {}",
                out.paint("33", "warning "),
                cell(&r["source"]),
                cell(&r["description"])
            ),
            "pipeline_rows" => {
                eprintln!("{} {}", out.paint("32", "rows    "), path_rows(&r));
                return true;
            }
            "run_end" => {
                result = r["result"].as_str().map(str::to_string);
                return false;
            }
            _ => {}
        }
        if !executing.is_empty() {
            eprintln!("  running now: {}", executing.join(", "));
        }
        true
    });
    match followed {
        Ok(()) => {}
        // The run ended and left the list before its stream was asked for.
        Err(e) if e.status() == Some(404) => {}
        Err(e) => return Err(e),
    }
    if result.is_none() {
        // No run_end came through the stream: the service's outcome event says how it ended.
        if let Some(e) = outcome_event(c, &id)? {
            let fields = &e["fields"];
            for error in fields["errors"].as_array().into_iter().flatten() {
                eprintln!("{} {}", out.paint("31", "error   "), cell(error));
            }
            result = Some(
                match fields["outcome"].as_str().unwrap_or("") {
                    "succeeded" => "success",
                    "cancelled" => "canceled",
                    "failed" => "failure",
                    _ => "lost",
                }
                .to_string(),
            );
            eprintln!("{}", cell(&e["message"]));
        }
    }
    let code = match result.as_deref() {
        Some("success") | Some("completion") => 0,
        Some("canceled") => 3,
        _ => 1,
    };
    println!(
        "{id}: {}",
        result
            .as_deref()
            .unwrap_or("ended without a result (see ssisctl events)")
    );
    Ok(code)
}

/// One `pipeline_rows` record as `run --wait` shows it: `\Package\Load: "Big orders" →
/// Write big.Flat File Destination Input: 1200 rows in 2 buffers`, with `(total)` on the
/// final count.
fn path_rows(r: &Value) -> String {
    format!(
        "{}: \"{}\" → {}.{}: {} rows in {} buffers{}",
        cell(&r["path"]),
        cell(&r["path_name"]),
        cell(&r["component"]),
        cell(&r["input"]),
        r["rows"].as_u64().unwrap_or(0),
        r["buffers"].as_u64().unwrap_or(0),
        if r["final"] == true { " (total)" } else { "" }
    )
}

/// How long `run --wait` looks for a run's outcome event once its stream has ended.
const OUTCOME_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The event recording how run `id` ended (12289 succeeded, 12290 cancelled, 12291 failed,
/// 1030 lost), waiting a little for the service to record it.
fn outcome_event(c: &Client, id: &str) -> Result<Option<Value>> {
    let deadline = std::time::Instant::now() + OUTCOME_WAIT;
    loop {
        let v = c
            .request(
                "GET",
                "events?event_id=12289,12290,12291,1030&limit=500",
                None,
            )?
            .json()?;
        let found = v["events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["fields"]["execution_id"] == id)
            .cloned();
        if found.is_some() || std::time::Instant::now() >= deadline {
            return Ok(found);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `running`: the runs now.
pub fn running(c: &Client, out: &Output) -> Result {
    let v = c.request("GET", "running", None)?.json()?;
    if out.json {
        out.print_json(&v);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = v["running"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let executing: Vec<String> = r["executing"]
                .as_array()
                .into_iter()
                .flatten()
                .map(cell)
                .collect();
            vec![
                cell(&r["id"]),
                cell(&r["package"]),
                cell(&r["pid"]),
                out.state(r["state"].as_str().unwrap_or("")),
                format!("{} ({})", cell(&r["user"]), cell(&r["source"])),
                cell(&r["started_at"]),
                executing.join(", "),
                match r["external_id"].as_str() {
                    Some(job) => format!("{} (job {job})", cell(&r["executor"])),
                    None => cell(&r["executor"]),
                },
            ]
        })
        .collect();
    out.table(
        &[
            "ID",
            "PACKAGE",
            "PID",
            "STATE",
            "BY",
            "STARTED",
            "EXECUTING",
            "ON",
        ],
        &rows,
    );
    Ok(())
}

/// `stop ID`.
pub fn stop(c: &Client, out: &Output, id: &str) -> Result {
    let v = c
        .request("POST", &format!("running/{id}/stop"), None)?
        .json()?;
    if out.json {
        out.print_json(&v);
    } else {
        println!("{id}: stopping");
    }
    Ok(())
}
