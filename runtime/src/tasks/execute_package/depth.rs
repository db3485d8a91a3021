//! How deeply Execute Package tasks are nested, so that a package executing itself ends with a
//! clear error instead of exhausting the machine. An in-process child run is known by the
//! address of the `RunOptions` its task made for it (alive exactly as long as the child
//! runs); out-of-process children inherit the depth through [`DEPTH_ENV`]. It owns that
//! bookkeeping only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::RunOptions;

/// The most packages one chain may nest (the top-level package is depth 0).
pub const MAX_DEPTH: usize = 16;

/// Tells an out-of-process child `dtexec` the depth of the package it runs.
pub const DEPTH_ENV: &str = "SSISD_EXECUTE_PACKAGE_DEPTH";

/// What is known about one running child: its depth and the chain of package files above it.
#[derive(Debug, Clone, Default)]
struct Entry {
    depth: usize,
    chain: Vec<PathBuf>,
}

static RUNS: Mutex<BTreeMap<usize, Entry>> = Mutex::new(BTreeMap::new());

fn key(options: &RunOptions) -> usize {
    std::ptr::from_ref(options) as usize
}

fn lookup(options: &RunOptions) -> Option<Entry> {
    let g = match RUNS.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    g.get(&key(options)).cloned()
}

/// The depth and package chain of the run `options` belongs to.
pub fn current(options: &RunOptions) -> (usize, Vec<PathBuf>) {
    match lookup(options) {
        Some(e) => (e.depth, e.chain),
        None => {
            let base = std::env::var(DEPTH_ENV)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            (base, options.package_file.iter().cloned().collect())
        }
    }
}

/// Registers a child run for as long as the guard lives.
pub struct Registration {
    key: usize,
}

impl Registration {
    pub fn new(child: &RunOptions, depth: usize, chain: Vec<PathBuf>) -> Registration {
        let key = key(child);
        let mut g = match RUNS.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.insert(key, Entry { depth, chain });
        Registration { key }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut g = match RUNS.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.remove(&self.key);
    }
}

/// The error when a child at `depth` would be too deep.
pub fn refusal(depth: usize, chain: &[PathBuf], child: &std::path::Path) -> Option<String> {
    if depth <= MAX_DEPTH {
        return None;
    }
    let recursive = chain.iter().any(|p| same_file(p, child));
    Some(format!(
        "Execute Package tasks are nested more than {MAX_DEPTH} packages deep{}; the child \
         package \"{}\" is not run.",
        if recursive {
            " — the package executes itself (directly or through its children) without end"
        } else {
            ""
        },
        child.display()
    ))
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_runs_are_found_until_dropped() {
        let child = RunOptions::default();
        assert_eq!(current(&child).0, 0);
        {
            let _g = Registration::new(&child, 3, vec![PathBuf::from("a.dtsx")]);
            let (d, chain) = current(&child);
            assert_eq!(d, 3);
            assert_eq!(chain, vec![PathBuf::from("a.dtsx")]);
        }
        assert_eq!(current(&child).0, 0);
    }

    #[test]
    fn too_deep_names_the_recursion() {
        let p = PathBuf::from("/nonexistent/self.dtsx");
        assert!(refusal(MAX_DEPTH, std::slice::from_ref(&p), &p).is_none());
        let msg = refusal(MAX_DEPTH + 1, std::slice::from_ref(&p), &p).expect("refused");
        assert!(msg.contains("executes itself"), "{msg}");
    }
}
