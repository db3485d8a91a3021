//! Walks the third-party corpus (`SSISD_CORPUS`, default `shared/corpus` beside the
//! repository): every `.dtsx` must load or be refused with an error — never panic — and every
//! `.dtsConfig` must parse. Prints a summary of loads, refusals and unsupported elements.
//! Skips (and passes) when the corpus is absent. It must not modify the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ssisd_engine::model::{unsupported, Severity};
use ssisd_engine::{load_dtsconfig, load_package};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SSISD_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case(ext))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Keeps the part of a message that does not depend on the file (for grouping).
fn reason_key(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string()
}

#[test]
fn every_corpus_package_loads_or_is_refused() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    }
    let packages = files_with_ext(&dir, "dtsx");
    let mut loaded = 0usize;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut issue_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut executables = 0usize;
    for path in &packages {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(path).expect("corpus file readable");
        match load_package(&bytes) {
            Ok(pkg) => {
                loaded += 1;
                executables += pkg.all_executables().len();
                for issue in unsupported(&pkg) {
                    if issue.severity == Severity::Error {
                        *issue_reasons.entry(issue.reason.clone()).or_default() += 1;
                    } else {
                        let key =
                            format!("(warning) {}", issue.reason.split(';').next().unwrap_or(""));
                        *issue_reasons.entry(key).or_default() += 1;
                    }
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.is_empty());
                refused.entry(reason_key(&msg)).or_default().push(name);
            }
        }
    }
    let refused_count: usize = refused.values().map(Vec::len).sum();
    println!(
        "corpus {}: {} packages, {loaded} loaded ({executables} executables), {refused_count} refused",
        dir.display(),
        packages.len()
    );
    for (reason, files) in &refused {
        println!("  refused ({}): {reason}", files.len());
        for f in files {
            println!("    {f}");
        }
    }
    let mut top: Vec<_> = issue_reasons.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("top unsupported-element reasons:");
    for (reason, n) in top.iter().take(15) {
        println!("  {n:4}  {reason}");
    }
    assert_eq!(loaded + refused_count, packages.len());

    let configs = files_with_ext(&dir, "dtsConfig");
    let mut entries = 0usize;
    for path in &configs {
        let bytes = std::fs::read(path).expect("corpus file readable");
        match load_dtsconfig(&bytes) {
            Ok(e) => entries += e.len(),
            Err(e) => panic!("{} does not parse: {e}", path.display()),
        }
    }
    println!(
        "{} .dtsConfig files parsed, {entries} entries",
        configs.len()
    );
}
