//! The assembly a Script Task or a Script Component runs: C# recompiled from the package's sources against the script
//! host's stand-ins with `mcs`, or, when no source compiles (and always for Visual Basic, which
//! Debian's Mono cannot compile), the precompiled assembly the package stores. Both are cached
//! by content hash — a compiled script under the hash of its sources and of the host it was
//! built against, a failed compile as its diagnostics (so a package that falls back to its
//! binary does not pay for the compiler twice), a stored binary under the hash of its bytes —
//! so a second run costs no compile. It owns that choice and the compiler's diagnostics; it
//! runs nothing.

use std::path::{Path, PathBuf};

use ssisd_pipeline::script::{Language, ScriptKind, ScriptSources};

use super::cache::{self, ScriptCacheError};
use super::host_build::{self, COMPONENT_REFERENCES, SCRIPT_REFERENCES};
use super::mono::Mono;
use crate::cancel::CancelToken;
use crate::process::ProcessRegistry;

/// SSIS's error for a Script Task whose script was never built.
pub const NO_BINARY: &str = "The binary code for the script is not found. Please open the \
     script in the designer by clicking Edit Script button and make sure it builds successfully";

/// The framework assemblies a script is compiled against (the Debian packages of
/// `mono::DEBIAN_PACKAGES` bring them).
const FRAMEWORK: &[&str] = &[
    "System.dll",
    "System.Core.dll",
    "System.Data.dll",
    "System.Xml.dll",
    "Microsoft.CSharp.dll",
];

/// The assembly to run, and what to tell the run about how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub assembly: PathBuf,
    /// Information for the run (the stored binary runs because the source did not compile).
    pub notes: Vec<String>,
}

/// Why a script has no assembly to run.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// Neither sources nor a precompiled assembly.
    #[error("{NO_BINARY}")]
    NoBinary,
    #[error(transparent)]
    Cache(#[from] ScriptCacheError),
    /// The C# does not compile (the compiler's errors) and no assembly is stored.
    #[error(
        "The script does not compile and the package stores no precompiled assembly to run \
         instead:\n{0}"
    )]
    DoesNotCompile(String),
    /// The language (named) cannot be compiled here and no assembly is stored.
    #[error(
        "{NO_BINARY} (the script is {language}, which Mono here cannot compile, and the package \
         stores no precompiled assembly)"
    )]
    CannotCompile { language: &'static str },
}

/// Where the tools and the host are.
pub struct Toolchain<'a> {
    pub mono: &'a Mono,
    pub host_dir: &'a Path,
    pub cancel: &'a CancelToken,
    pub registry: &'a ProcessRegistry,
}

/// The compiler's errors, with the package's item names in place of the work files.
fn diagnostics(text: &str, names: &[(String, String)]) -> String {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.contains("error"))
        .filter(|l| !l.starts_with("Compilation failed"))
        .take(10)
        .map(|l| {
            let mut l = l.to_string();
            for (work, item) in names {
                l = l.replace(work, item);
            }
            l
        })
        .collect();
    if lines.is_empty() {
        text.trim().to_string()
    } else {
        lines.join("\n")
    }
}

/// The file name of a stored source, without its directories.
fn file_name(name: &str) -> &str {
    name.rsplit(['\\', '/']).next().unwrap_or(name)
}

/// Compiles the C# sources; the cached result when there is one.
fn compile(project: &ScriptSources, tools: &Toolchain<'_>, root: &Path) -> Result<PathBuf, String> {
    let sources = &project.sources;
    let mut parts: Vec<Vec<u8>> = vec![
        tools.host_dir.display().to_string().into_bytes(),
        format!("{:?}", project.kind).into_bytes(),
    ];
    for (name, text) in sources {
        parts.push(name.as_bytes().to_vec());
        parts.push(text.as_bytes().to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    let key = cache::digest(&refs);
    let dir = root.join("scripts");
    let dll = dir.join(format!("{key}.dll"));
    let failed = dir.join(format!("{key}.errors"));
    if dll.is_file() {
        return Ok(dll);
    }
    if let Ok(text) = std::fs::read_to_string(&failed) {
        return Err(text);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let work = cache::work_dir(&dir).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    let mut args = vec![
        "-nologo".to_string(),
        "-target:library".to_string(),
        "-optimize+".to_string(),
        "-out:script.dll".to_string(),
    ];
    for r in FRAMEWORK {
        args.push(format!("-r:{r}"));
    }
    let references = match project.kind {
        ScriptKind::Task => SCRIPT_REFERENCES,
        ScriptKind::Component => COMPONENT_REFERENCES,
    };
    for r in references {
        args.push(format!("-r:{}", tools.host_dir.join(r).display()));
    }
    for (i, (name, text)) in sources.iter().enumerate() {
        let rel = format!("src/{i}/{}", file_name(name));
        let path = work.path().join(&rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        names.push((rel.clone(), name.trim_start_matches('\\').to_string()));
        args.push(rel);
    }
    match host_build::mcs(tools.mono, work.path(), &args, tools.cancel, tools.registry) {
        Ok(()) => {
            let bytes = std::fs::read(work.path().join("script.dll"))
                .map_err(|e| format!("the compiled script cannot be read: {e}"))?;
            cache::publish_file(&dll, &bytes).map_err(|e| e.to_string())?;
            Ok(dll)
        }
        Err(e) if tools.cancel.is_cancelled() => Err(e.to_string()),
        Err(e) => {
            let text = diagnostics(&e.to_string(), &names);
            cache::publish_file(&failed, text.as_bytes()).map_err(|e| e.to_string())?;
            Err(text)
        }
    }
}

/// The package's precompiled assembly, as a cached file.
fn binary(project: &ScriptSources, root: &Path) -> Result<Option<PathBuf>, ScriptCacheError> {
    let Some((_, bytes)) = project.binaries.first() else {
        return Ok(None);
    };
    let path = root
        .join("binaries")
        .join(format!("{}.dll", cache::digest(&[bytes])));
    if !path.is_file() {
        cache::publish_file(&path, bytes)?;
    }
    Ok(Some(path))
}

/// Chooses (building or caching as needed) the assembly `project` runs as.
pub fn prepare(project: &ScriptSources, tools: &Toolchain<'_>) -> Result<Prepared, PrepareError> {
    if project.sources.is_empty() && project.binaries.is_empty() {
        return Err(PrepareError::NoBinary);
    }
    let root = cache::root()?;
    let mut notes = Vec::new();
    let compile_errors = match project.language {
        Language::CSharp if !project.sources.is_empty() => match compile(project, tools, &root) {
            Ok(dll) => {
                return Ok(Prepared {
                    assembly: dll,
                    notes,
                })
            }
            Err(e) => Some(e),
        },
        _ => None,
    };
    match (binary(project, &root)?, compile_errors) {
        (Some(path), errors) => {
            match (project.language, errors) {
                (Language::CSharp, Some(e)) => notes.push(format!(
                    "The script's C# source does not compile here, so the precompiled assembly \
                     stored in the package runs instead. The compiler said: {}",
                    e.lines().next().unwrap_or_default()
                )),
                (Language::VisualBasic, _) => notes.push(
                    "The script is Visual Basic .NET, which Mono here cannot compile: the \
                     precompiled assembly stored in the package runs."
                        .to_string(),
                ),
                _ => {}
            }
            Ok(Prepared {
                assembly: path,
                notes,
            })
        }
        (None, Some(errors)) => Err(PrepareError::DoesNotCompile(errors)),
        (None, None) => Err(PrepareError::CannotCompile {
            language: project.language.name(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_ssis_words() {
        assert_eq!(PrepareError::NoBinary.to_string(), NO_BINARY);
        assert_eq!(
            PrepareError::CannotCompile {
                language: "Visual Basic .NET"
            }
            .to_string(),
            format!(
                "{NO_BINARY} (the script is Visual Basic .NET, which Mono here cannot compile, \
                 and the package stores no precompiled assembly)"
            )
        );
    }

    #[test]
    fn diagnostics_name_the_package_items() {
        let out = "src/0/ScriptMain.cs(12,9): error CS0103: The name `x' does not exist in the current context\n\
                   src/0/ScriptMain.cs(3,1): warning CS0105: duplicate using\n\
                   Compilation failed: 1 error(s), 1 warnings\n";
        let d = diagnostics(
            out,
            &[("src/0/ScriptMain.cs".into(), "ScriptMain.cs".into())],
        );
        assert_eq!(
            d,
            "ScriptMain.cs(12,9): error CS0103: The name `x' does not exist in the current context"
        );
    }
}
