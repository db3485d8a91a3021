//! The corpus walk: every `.dtsx` of the third-party corpus (`SSISD_CORPUS`, default
//! `shared/corpus` beside the repository) is loaded and validated as `dtexec /Validate` would
//! (overrides, model, expressions, the runtime's task registry). Prints how many load and
//! validate fully, and, per package that does not, the first error that stops it, grouped by
//! reason. Skips (and passes) when the corpus is absent. It must not modify the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ssisd_engine::cli::DtexecOptions;
use ssisd_engine::load::load_package_with;
use ssisd_engine::protection::PackagePassword;
use ssisd_engine::LoadOptions;
use ssisd_runtime::validate::validate;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SSISD_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

/// The password of a corpus package saved with a password level, as its public repository gives
/// it (a `/DECRYPT 1` in avgrishin/Dts2008's scripts, "ssis123" in rtumaykin/ssis-build's
/// project description; "123" for the TKAlpha package was found by trying common passwords), as
/// a user would pass it with `/De`.
fn corpus_password(name: &str) -> Option<PackagePassword> {
    let password = if name.starts_with("avgrishin__Dts2008__") {
        "1"
    } else if name == "rtumaykin__ssis-build__Package_221.dtsx" {
        "ssis123"
    } else if name == "TKAlpha__Integration_Services_1C__ZNO.dtsx" {
        "123"
    } else {
        return None;
    };
    Some(PackagePassword::new(password))
}

/// The reason of a diagnostic without what names one package: quoted names become `"…"`,
/// and for a data-flow component refused, what it is is kept (`(OLE DB Source, class id …`).
fn reason_key(text: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for ch in text.chars() {
        if ch == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(ch);
        }
    }
    if let Some(i) = out.find(", class id") {
        return out[..i].chars().take(90).collect();
    }
    // Parenthesised details (property names, types) name one package: drop them.
    let mut plain = String::new();
    let mut depth = 0usize;
    for ch in out.chars() {
        match ch {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => plain.push(ch),
            _ => {}
        }
    }
    plain
        .replace("  ", " ")
        .replace(" .", ".")
        .trim()
        .chars()
        .take(90)
        .collect()
}

#[test]
fn corpus_walk() {
    let dir = corpus_dir().join("dtsx");
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("dtsx"))
        })
        .collect();
    files.sort();
    let (mut loaded, mut valid) = (0usize, 0usize);
    let mut stops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(path).expect("corpus file readable");
        let options = LoadOptions {
            password: corpus_password(&name),
            ..LoadOptions::default()
        };
        let mut package = match load_package_with(&bytes, &options) {
            Ok(p) => p,
            Err(e) => {
                stops
                    .entry(format!("load: {}", reason_key(&e.to_string())))
                    .or_default()
                    .push(name);
                continue;
            }
        };
        loaded += 1;
        let report = validate(&mut package, &DtexecOptions::default());
        match report.errors.first() {
            None => valid += 1,
            Some(d) => stops
                .entry(reason_key(&d.description))
                .or_default()
                .push(name),
        }
    }
    println!(
        "corpus walk ({}): {} packages, {loaded} load, {valid} validate fully",
        dir.display(),
        files.len()
    );
    let mut table: Vec<_> = stops.into_iter().collect();
    table.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    println!("| packages | first error that stops them |");
    println!("|---:|---|");
    for (reason, names) in &table {
        println!("| {} | {reason} |", names.len());
    }
    if std::env::var_os("SSISD_CORPUS_WALK_NAMES").is_some() {
        for (reason, names) in &table {
            println!("{reason}:");
            for n in names {
                println!("    {n}");
            }
        }
    }
    assert_eq!(
        loaded
            + table
                .iter()
                .filter(|(r, _)| r.starts_with("load: "))
                .map(|(_, n)| n.len())
                .sum::<usize>(),
        files.len()
    );
}
