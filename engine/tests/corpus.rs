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
    let mut runnable = 0usize;
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
                if pkg.can_run() {
                    runnable += 1;
                }
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
    println!("  {runnable} of the loaded packages have nothing the model itself refuses (runtime checks: ssisd-runtime's corpus_walk)");
    for (reason, files) in &refused {
        println!("  refused ({}): {reason}", files.len());
        for f in files {
            println!("    {f}");
        }
    }
    let mut top: Vec<_> = issue_reasons.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("top unsupported-element reasons:");
    for (reason, n) in top.iter().take(25) {
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

/// A small deterministic generator, so that failures can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Loads `bytes`, turning a panic into a test failure that names the variant.
fn load_without_panic(bytes: &[u8], what: &str) -> Result<(), String> {
    match std::panic::catch_unwind(|| load_package(bytes).map(|_| ()).map_err(|e| e.to_string())) {
        Ok(r) => r,
        Err(_) => panic!("loading {what} panicked"),
    }
}

#[test]
fn damaged_corpus_variants_are_refused_without_panicking() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    }
    let mut rng = Lcg(0x5eed);
    let mut refused = 0usize;
    let mut loaded = 0usize;
    let mut files = files_with_ext(&dir, "dtsx");
    files.extend(files_with_ext(&dir, "dtsConfig"));
    for path in &files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(path).expect("corpus file readable");
        let is_config = name.ends_with(".dtsConfig");
        // Truncations strictly before the last tag: never well-formed.
        let last_tag = bytes.iter().rposition(|b| *b == b'<').unwrap_or(0);
        let mut cuts: Vec<usize> = vec![0, 1, 2, 3, last_tag / 2, last_tag.saturating_sub(1)];
        for _ in 0..6 {
            cuts.push(rng.next(last_tag));
        }
        for cut in cuts {
            let variant = &bytes[..cut.min(bytes.len())];
            let what = format!("{name} truncated to {cut} bytes");
            let result = if is_config {
                std::panic::catch_unwind(|| {
                    load_dtsconfig(variant)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .unwrap_or_else(|_| panic!("loading {what} panicked"))
            } else {
                load_without_panic(variant, &what)
            };
            assert!(result.is_err(), "{what} loaded");
            refused += 1;
        }
        // Breaking a closing `</DTS:` tag (`</` → `<<`): never well-formed (such tags do
        // not occur inside the CDATA sections packages carry).
        let closers: Vec<usize> = bytes
            .windows(6)
            .enumerate()
            .filter(|(_, w)| w == b"</DTS:")
            .map(|(i, _)| i)
            .collect();
        for _ in 0..3 {
            if closers.is_empty() {
                break;
            }
            let at = closers[rng.next(closers.len())];
            let mut variant = bytes.clone();
            variant[at + 1] = b'<';
            let what = format!("{name} with the closing tag at byte {at} broken");
            if !is_config {
                assert!(
                    load_without_panic(&variant, &what).is_err(),
                    "{what} loaded"
                );
                refused += 1;
            }
        }
        // Random byte damage: may or may not stay loadable, but must never panic.
        if !is_config {
            for _ in 0..4 {
                let mut variant = bytes.clone();
                for _ in 0..1 + rng.next(8) {
                    let at = rng.next(variant.len());
                    variant[at] = [b'<', b'>', b'"', b'&', 0xFF, 0x00, b'x', 0xC3][rng.next(8)];
                }
                match load_without_panic(&variant, &format!("{name} with damaged bytes")) {
                    Ok(()) => loaded += 1,
                    Err(_) => refused += 1,
                }
            }
        }
    }
    println!("damaged variants: {refused} refused, {loaded} still loadable (no panics)");
}

/// Every data flow of every corpus package loads into the full pipeline model: each path end,
/// each input column's lineage, each synchronous input and each external-metadata link resolves
/// to an object of the same pipeline, and every column type name is known.
#[test]
fn every_corpus_data_flow_loads_into_the_pipeline_model() {
    use std::collections::HashSet;
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {}", dir.display());
        return;
    }
    let (mut pipelines, mut components, mut paths, mut columns) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for path in files_with_ext(&dir, "dtsx") {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let Ok(pkg) = load_package(&std::fs::read(&path).expect("readable")) else {
            continue;
        };
        for exe in pkg.all_executables() {
            let Some(df) = &exe.data_flow else { continue };
            pipelines += 1;
            components += df.components.len();
            paths += df.paths.len();
            let mut outputs = HashSet::new();
            let mut inputs = HashSet::new();
            let mut lineages = HashSet::new();
            for c in &df.components {
                for o in &c.outputs {
                    outputs.insert(o.id.number);
                    for col in &o.columns {
                        lineages.insert(col.lineage_id);
                    }
                }
                for i in &c.inputs {
                    inputs.insert(i.id.number);
                }
            }
            for p in &df.paths {
                if !outputs.contains(&p.start.number) || !inputs.contains(&p.end.number) {
                    problems.push(format!(
                        "{name}: {} path {} does not resolve",
                        exe.path, p.name
                    ));
                }
            }
            for c in &df.components {
                let externals: HashSet<i64> = c
                    .inputs
                    .iter()
                    .flat_map(|i| i.external_columns.iter())
                    .chain(c.outputs.iter().flat_map(|o| o.external_columns.iter()))
                    .map(|e| e.id.number)
                    .collect();
                for i in &c.inputs {
                    for col in &i.columns {
                        columns += 1;
                        if !lineages.contains(&col.lineage.number) {
                            problems.push(format!(
                                "{name}: {} [{}] input column {} has lineage {} that names no output column",
                                exe.path, c.name, col.name, col.lineage.text
                            ));
                        }
                        if col.external_metadata_column.is_set()
                            && !externals.contains(&col.external_metadata_column.number)
                        {
                            problems.push(format!(
                                "{name}: {} [{}] input column {} names a missing external column",
                                exe.path, c.name, col.name
                            ));
                        }
                    }
                }
                for o in &c.outputs {
                    if o.is_synchronous()
                        && !c
                            .inputs
                            .iter()
                            .any(|i| i.id.number == o.synchronous_input.number)
                    {
                        problems.push(format!(
                            "{name}: {} [{}] output {} is synchronous with an unknown input",
                            exe.path, c.name, o.name
                        ));
                    }
                    for col in &o.columns {
                        columns += 1;
                        if col.data_type.is_none() {
                            problems.push(format!(
                                "{name}: {} [{}] column {} has the unknown type {:?}",
                                exe.path, c.name, col.name, col.type_name
                            ));
                        }
                    }
                }
            }
        }
    }
    println!(
        "corpus data flows: {pipelines} pipelines, {components} components, {paths} paths, {columns} columns"
    );
    for p in &problems {
        println!("  {p}");
    }
    assert!(problems.is_empty(), "{} problems", problems.len());
}
