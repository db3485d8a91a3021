//! End-to-end tests of Lookup, Cache Transform and the Raw File adapters with the real `dtexec`
//! binary, on the packages of `tests/packages/data_flow/` (2008 and 2016+ layouts, written by
//! `make_packages.py`): the first data flow of `lookup_cache` fills a cache (in memory and in its
//! cache file) from a flat file and the second looks orders up against it; `raw_files` writes a
//! raw file named by a variable and reads it back. Outputs are checked row by row. Bad input (a
//! cache file or raw file that cannot be written, an unreadable raw file) fails with exit code 1
//! naming component and file. The corpus package that uses a Cache connection manager validates
//! as far as these components go.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{exit_and_text, read_text as read, temp_dir as temp};

const FORMATS: [&str; 2] = ["2008", "2016"];

fn package(stem: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/packages/data_flow/{stem}_{format}.dtsx"))
}

fn dtexec(pkg: &Path, args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(pkg)
        .args(args)
        .output()
        .expect("dtexec starts");
    exit_and_text(&out)
}

fn conn(name: &str, path: &Path) -> [String; 2] {
    ["/Conn".to_string(), format!("{name};{}", path.display())]
}

fn lookup_args(d: &Path, cache: &Path) -> Vec<String> {
    std::fs::write(
        d.join("codes.csv"),
        "A,Alpha,1\nB,Bravo,2\n,Nothing,0\nA,Again,9\n",
    )
    .expect("codes");
    std::fs::write(d.join("orders.csv"), "1,A\n2,b\n3,B\n4,\n5,Z\n").expect("orders");
    let mut args = Vec::new();
    for (m, f) in [
        ("Codes", d.join("codes.csv")),
        ("Code cache", cache.to_path_buf()),
        ("Orders", d.join("orders.csv")),
        ("Matched", d.join("matched.csv")),
        ("Unmatched", d.join("unmatched.csv")),
    ] {
        args.extend(conn(m, &f));
    }
    args
}

#[test]
fn a_cache_filled_by_one_data_flow_serves_the_lookup_in_the_next() {
    for format in FORMATS {
        let d = temp();
        let cache = d.path().join("codes.caw");
        let mut args = lookup_args(d.path(), &cache);
        args.extend(["/Rep".to_string(), "EWI".to_string()]);
        let (code, out) = dtexec(&package("lookup_cache", format), &args);
        assert_eq!(code, 0, "{format}: {out}");
        // Case-sensitive keys, the first row of a key wins, NULL matches the NULL key.
        assert_eq!(
            read(d.path().join("matched.csv")),
            "1,A,Alpha,1\n3,B,Bravo,2\n4,,Nothing,0\n",
            "{format}"
        );
        assert_eq!(
            read(d.path().join("unmatched.csv")),
            "2,b\n5,Z\n",
            "{format}"
        );
        assert!(cache.exists(), "{format}: the cache file is written");
        assert!(out.contains("0x802090E4"), "{format}: {out}");
        assert!(
            out.contains("1 rows were not written to the cache \"Code cache\""),
            "{format}: {out}"
        );
        assert!(out.contains("\"Fill\" wrote 3 rows."), "{format}: {out}");
        assert!(
            out.contains("\"Find code\" has cached a total of 3 rows."),
            "{format}: {out}"
        );
    }
}

#[test]
fn a_cache_file_that_cannot_be_written_fails_the_run_naming_it() {
    for format in FORMATS {
        let d = temp();
        let cache = d.path().join("missing-folder").join("codes.caw");
        let args = lookup_args(d.path(), &cache);
        let (code, out) = dtexec(&package("lookup_cache", format), &args);
        assert_eq!(code, 1, "{format}: {out}");
        assert!(out.contains("component \"Fill\""), "{format}: {out}");
        assert!(
            out.contains("could not write the cache file") && out.contains("codes.caw"),
            "{format}: {out}"
        );
        assert!(!d.path().join("matched.csv").exists(), "{format}");
    }
}

fn raw_args(d: &Path, raw: &Path) -> Vec<String> {
    std::fs::write(d.join("orders.csv"), "1,A\n2,\n3,C\n").expect("orders");
    let mut args = Vec::new();
    args.extend(conn("Orders", &d.join("orders.csv")));
    args.extend(conn("Copy", &d.join("copy.csv")));
    args.push("/Set".into());
    args.push(format!(
        "\\Package.Variables[User::RawFile].Properties[Value];{}",
        raw.display()
    ));
    args
}

#[test]
fn a_raw_file_is_written_and_read_back() {
    for format in FORMATS {
        let d = temp();
        let raw = d.path().join("orders.raw");
        let (code, out) = dtexec(&package("raw_files", format), &raw_args(d.path(), &raw));
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(
            read(d.path().join("copy.csv")),
            "1,A\n2,\n3,C\n",
            "{format}"
        );
        // The file is an Arrow IPC file ("ARROW1" at both ends).
        let bytes = std::fs::read(&raw).expect("raw");
        assert!(
            bytes.starts_with(b"ARROW1") && bytes.ends_with(b"ARROW1"),
            "{format}"
        );
    }
}

#[test]
fn raw_files_that_cannot_be_written_or_read_fail_naming_component_and_file() {
    for format in FORMATS {
        let d = temp();
        let raw = d.path().join("no-such-folder").join("orders.raw");
        let (code, out) = dtexec(&package("raw_files", format), &raw_args(d.path(), &raw));
        assert_eq!(code, 1, "{format}: {out}");
        assert!(
            out.contains("component \"Keep\": cannot write the raw file")
                && out.contains("orders.raw"),
            "{format}: {out}"
        );
        assert!(!d.path().join("copy.csv").exists(), "{format}");
    }
}

#[test]
fn validation_accepts_these_packages_and_the_corpus_cache_lookup() {
    for format in FORMATS {
        for stem in ["lookup_cache", "raw_files"] {
            let (code, out) = dtexec(&package(stem, format), &["/VALIDATE".to_string()]);
            assert_eq!(code, 0, "{stem} {format}: {out}");
        }
    }
    let Some(dir) = support::corpus("dtsx") else {
        println!("SKIPPED: no corpus");
        return;
    };
    let pkg = dir
        .join("PacktPublishing__SQL-Server-2017-Integration-Services-Cookbook__LookupCache.dtsx");
    if !pkg.exists() {
        println!("SKIPPED: corpus package not present");
        return;
    }
    let (_, out) = dtexec(&pkg, &["/VALIDATE".to_string()]);
    // Neither Lookup (on the database, on the cache) nor the Cache Transform is refused;
    // what stops the package is its Windows-authenticated SQL Server connection.
    assert!(!out.contains("\"Company Lookup\""), "{out}");
    assert!(
        out.contains("\"cmgr_Reference\" (Connection) cannot be used: Windows authentication"),
        "{out}"
    );
    assert!(!out.contains("\"Person Lookup\""), "{out}");
    assert!(!out.contains("\"Person Cache\""), "{out}");
}
