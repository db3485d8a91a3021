//! Benchmark of `/VALIDATE`: loading and validating every corpus package (per-package p50,
//! p90 and max, and the largest package's time; target under 20 ms), and `dtexec /Validate`
//! of a small package run end to end as a process (p50 over 200 runs; target under 5 ms). It
//! only measures and prints a table; it must not assert anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssisd_engine::cli::DtexecOptions;
use ssisd_engine::validate::validate;

fn corpus_dir() -> PathBuf {
    std::env::var_os("SSISD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
        .join("dtsx")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Median of `runs` load+validate passes over one file's bytes.
fn load_and_validate(bytes: &[u8], runs: usize) -> Duration {
    let options = DtexecOptions::default();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            if let Ok(mut p) = ssisd_engine::load_package(bytes) {
                std::hint::black_box(validate(&mut p, &options));
            }
            t.elapsed()
        })
        .collect();
    times.sort();
    percentile(&times, 0.5)
}

fn dtexec_binary() -> Option<(PathBuf, &'static str)> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    ["release", "debug"].into_iter().find_map(|profile| {
        let p = target.join(profile).join("dtexec");
        p.is_file().then_some((p, profile))
    })
}

fn main() {
    println!("| measurement | value |");
    println!("|---|---|");
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "dtsx"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        println!(
            "| corpus | SKIPPED: corpus not found at {} |",
            dir.display()
        );
    } else {
        let mut per_package = Vec::new();
        let mut largest: Option<(u64, Duration, String, Vec<u8>)> = None;
        for f in &files {
            let Ok(bytes) = std::fs::read(f) else {
                continue;
            };
            let t = load_and_validate(&bytes, 15);
            per_package.push(t);
            let size = bytes.len() as u64;
            if largest.as_ref().is_none_or(|(s, _, _, _)| size > *s) {
                let name = f
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                largest = Some((size, t, name, bytes));
            }
        }
        per_package.sort();
        println!(
            "| corpus packages loaded + validated | {} |",
            per_package.len()
        );
        println!(
            "| load + validate p50 per package | {} |",
            ms(percentile(&per_package, 0.5))
        );
        println!(
            "| load + validate p90 per package | {} |",
            ms(percentile(&per_package, 0.9))
        );
        println!(
            "| load + validate max per package | {} |",
            ms(percentile(&per_package, 1.0))
        );
        if let Some((size, t, name, bytes)) = largest {
            println!(
                "| largest package ({name}, {} KiB) | {} (target < 20 ms) |",
                size / 1024,
                ms(t)
            );
            let mut load_only: Vec<Duration> = (0..15)
                .map(|_| {
                    let t = Instant::now();
                    let _ = std::hint::black_box(ssisd_engine::load_package(&bytes));
                    t.elapsed()
                })
                .collect();
            load_only.sort();
            println!(
                "| of which loading alone | {} |",
                ms(percentile(&load_only, 0.5))
            );
        }
    }
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packages/valid.dtsx");
    match dtexec_binary() {
        Some((bin, profile)) if small.is_file() => {
            let mut times: Vec<Duration> = (0..200)
                .map(|_| {
                    let t = Instant::now();
                    let _ = Command::new(&bin)
                        .args(["/F", &small.to_string_lossy(), "/Va"])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    t.elapsed()
                })
                .collect();
            times.sort();
            println!(
                "| dtexec /Va valid.dtsx as a process, p50 of 200 ({profile} build: {}) | {} (target < 5 ms) |",
                bin.display(),
                ms(percentile(&times, 0.5))
            );
        }
        _ => println!(
            "| dtexec process | SKIPPED: build dtexec first (cargo build --release --bin dtexec) |"
        ),
    }
}
