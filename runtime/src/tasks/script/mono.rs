//! Finding Mono: the `mono` runtime and the `mcs` compiler on the PATH of the run (or named by
//! `SSISD_MONO` / `SSISD_MCS`), and the refusal that names the Debian packages to install when
//! they are missing. It owns that lookup only.

use std::path::{Path, PathBuf};

/// The Debian packages a Script Task needs.
pub const DEBIAN_PACKAGES: &str =
    "mono-runtime mono-mcs libmono-system-data4.0-cil libmono-i18n4.0-all";

/// The tools found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mono {
    pub mono: PathBuf,
    pub mcs: PathBuf,
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn tool(env: &str, program: &str) -> Option<PathBuf> {
    match std::env::var_os(env) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)).filter(|p| is_executable(p)),
        _ => on_path(program),
    }
}

/// Mono or its C# compiler is not installed: what cannot run, and which tools are missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} run on Mono, which is not installed here ({} not found on the PATH); \
     install the Debian packages {DEBIAN_PACKAGES} (apt-get install {DEBIAN_PACKAGES})",
    .missing.join(" and ")
)]
pub struct MonoMissing {
    /// `Script tasks`, `Script components`.
    pub what: String,
    /// `mono`, `mcs`, or both.
    pub missing: Vec<&'static str>,
}

/// Mono and its C# compiler, or why a Script Task cannot run here.
pub fn find() -> Result<Mono, MonoMissing> {
    find_for("Script tasks")
}

/// Mono and its C# compiler, or why `what` (`Script tasks`, `Script components`) cannot run.
pub fn find_for(what: &str) -> Result<Mono, MonoMissing> {
    let mono = tool("SSISD_MONO", "mono");
    let mcs = tool("SSISD_MCS", "mcs");
    match (mono, mcs) {
        (Some(mono), Some(mcs)) => Ok(Mono { mono, mcs }),
        (mono, mcs) => {
            let missing: Vec<&str> = [("mono", mono.is_none()), ("mcs", mcs.is_none())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(n, _)| *n)
                .collect();
            Err(MonoMissing {
                what: what.to_string(),
                missing,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_what_is_missing_and_the_packages() {
        let e = MonoMissing {
            what: "Script tasks".into(),
            missing: vec!["mono", "mcs"],
        };
        assert_eq!(
            e.to_string(),
            format!(
                "Script tasks run on Mono, which is not installed here (mono and mcs not found \
                 on the PATH); install the Debian packages {DEBIAN_PACKAGES} (apt-get install \
                 {DEBIAN_PACKAGES})"
            )
        );
    }
}
