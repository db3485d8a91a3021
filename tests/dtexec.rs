//! End-to-end tests of the `dtexec` binary: exit codes and console output for valid and
//! invalid packages, bad command lines and refused options, `/Validate` naming every
//! connection manager, variable and expression a task or loop refers to that does not
//! resolve, plus a run of `/Validate` over every corpus package with a summary of why packages
//! do not validate.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dtexec(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("dtexec starts");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn pkg(name: &str) -> String {
    format!("tests/packages/{name}")
}

#[test]
fn valid_package_validates() {
    let (code, out) = dtexec(&["/F", &pkg("valid.dtsx"), "/Va"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("DTExec: The package validation returned DTSER_SUCCESS (0)."),
        "{out}"
    );
    assert!(out.contains("Started:") && out.contains("Finished:") && out.contains("Elapsed:"));
}

#[test]
fn valid_package_runs_without_validate() {
    let (code, out) = dtexec(&["/F", &pkg("valid.dtsx")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("DTExec: The package execution returned DTSER_SUCCESS (0)."),
        "{out}"
    );
}

#[test]
fn script_task_fails_validation_by_name() {
    let (code, out) = dtexec(&["/F", &pkg("script_task.dtsx"), "/Va"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Source: \\Package\\Done"), "{out}");
    // Its object data is not a script project.
    assert!(
        out.contains("the Script task data has no ScriptProject element"),
        "{out}"
    );
    assert!(out.contains("DTSER_FAILURE (1)"), "{out}");
}

#[test]
fn validate_reports_every_reference_the_run_would_fail_on() {
    let (code, out) = dtexec(&["/F", &pkg("references.dtsx"), "/Va"]);
    assert_eq!(code, 1, "{out}");
    for (source, text) in [
        (
            "Missing Connection",
            "\"{44444444-0000-4000-8000-0000000000FF}\" (Connection) is not found",
        ),
        (
            "Missing Variables",
            "\"User::NoStatement\" (SqlStatementSource)",
        ),
        (
            "Missing Variables",
            "\"User::NoParameter\" (ParameterBindings)",
        ),
        ("Wrong Kind", "not a File connection manager"),
        (
            "Process Output",
            "\"User::NoOutput\" (StandardOutputVariable)",
        ),
        ("Bad Expression", "User::NoTarget"),
        ("Loop", "\"User::NoItem\" (VariableMappings)"),
        (
            "Windows Login",
            "Windows authentication (Integrated Security) is not available",
        ),
        // A data-flow component's database connection is checked as a task's is.
        (
            "Windows Source",
            "\"Windows\" (Connection) cannot be used: Windows authentication",
        ),
        ("Windows Mail", "uses Windows Authentication"),
        (
            "Project Parameter",
            "\"$Project::ServerName\" (ParameterBindings) cannot be used",
        ),
    ] {
        let block = format!("Source: \\Package\\{source}\n   Description: ");
        let found = out
            .split("End Error")
            .any(|b| b.contains(&block) && b.contains(text));
        assert!(found, "no error on {source} with {text}:\n{out}");
    }
    assert!(!out.contains("Source: \\Package\\Fine"), "{out}");
    assert!(!out.contains("Source: \\Package\\Set at run time"), "{out}");
    assert!(
        out.contains("Run it with its project: dtexec /Project"),
        "{out}"
    );
    assert_eq!(out.matches("End Error").count(), 11, "{out}");
}

#[test]
fn the_corpus_negative_test_package_fails_validation() {
    let Some(dir) = support::corpus("dtsx") else {
        return;
    };
    let file = dir.join("johnwelch__ssisUnit__BadPackage.dtsx");
    let (code, out) = dtexec(&["/F", &file.display().to_string(), "/Va"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Code: 0xC001000E"), "{out}");
    assert!(out.contains("Source: \\Package\\Select Count"), "{out}");
    assert!(out.contains("DTSER_FAILURE (1)"), "{out}");
}

#[test]
fn bad_expression_names_path_and_column() {
    let (code, out) = dtexec(&["/F", &pkg("bad_expression.dtsx"), "/Va"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Code: 0xC0019010"), "{out}");
    assert!(out.contains("\\Package.Properties[Description]"), "{out}");
    assert!(out.contains("column 13"), "{out}");
}

#[test]
fn missing_and_garbage_files() {
    let (code, out) = dtexec(&["/F", &pkg("no_such_package.dtsx"), "/Va"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("was not found"), "{out}");
    let (code, out) = dtexec(&["/F", &pkg("garbage.dtsx"), "/Va"]);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("Could not load package"), "{out}");
}

#[test]
fn command_line_errors_and_refusals() {
    let (code, out) = dtexec(&["/F", &pkg("valid.dtsx"), "/NoSuchOption"]);
    assert_eq!(code, 6, "{out}");
    let (code, out) = dtexec(&["/F"]);
    assert_eq!(code, 6, "{out}");
    let (code, out) = dtexec(&["/ISServer", "\\SSISDB\\f\\p\\x.dtsx", "/Ser", "s"]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("/ISServer"), "{out}");
    let (code, out) = dtexec(&["/?"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("Usage: dtexec"), "{out}");
}

#[test]
fn set_of_unknown_variable_is_an_error() {
    let (code, out) = dtexec(&[
        "/F",
        &pkg("valid.dtsx"),
        "/Va",
        "/Set",
        "\\Package.Variables[User::Nope].Value;1",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\\Package.Variables[User::Nope]"), "{out}");
    assert!(out.contains("does not exist"), "{out}");
    let (code, out) = dtexec(&[
        "/F",
        &pkg("valid.dtsx"),
        "/Va",
        "/Set",
        "\\Package\\Loop.Variables[User::Label].Value;12",
        "/Par",
        "BatchSize;250",
        "/Conn",
        "Out file;/tmp/x.txt",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn reporting_and_warn_as_error() {
    let (code, out) = dtexec(&["/F", &pkg("script_task.dtsx"), "/Va", "/Rep", "N"]);
    assert_eq!(code, 1);
    assert!(!out.contains("Error:"), "{out}");
    let (code, out) = dtexec(&[
        "/F",
        &pkg("valid.dtsx"),
        "/Va",
        "/W",
        "/Par",
        "$ServerOption::SYNCHRONIZED(Boolean);True",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("server options"), "{out}");
}

/// The first diagnostic's description of a failed run, shortened to a reason.
fn reason(out: &str) -> String {
    let desc = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Description: "))
        .unwrap_or("no description");
    // Load failures name the file first; the reason follows it.
    let desc = match desc.split_once("\": ") {
        Some((head, rest)) if head.starts_with("Could not load package") => rest,
        _ => desc,
    };
    let short: String = desc
        .split(['(', ':', ';'])
        .next()
        .unwrap_or(desc)
        .chars()
        .take(70)
        .collect();
    short.trim().to_string()
}

#[test]
fn corpus_packages_validate_or_fail_cleanly() {
    let Some(files) = support::corpus_files("dtsx", ".dtsx") else {
        return;
    };
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut bad = Vec::new();
    for f in &files {
        let path: PathBuf = Path::new(f).to_path_buf();
        let (code, out) = dtexec(&["/F", &path.to_string_lossy(), "/Va"]);
        *counts.entry(code).or_default() += 1;
        match code {
            0 => {}
            1 | 5 => {
                // Count every error's reason, not only the first.
                let mut seen = false;
                for block in out.split("Error: ").skip(1) {
                    *reasons.entry(reason(block)).or_default() += 1;
                    seen = true;
                }
                if !seen {
                    *reasons.entry(reason(&out)).or_default() += 1;
                }
            }
            _ => bad.push(format!("{}: exit {code}\n{out}", path.display())),
        }
    }
    println!(
        "corpus: {} packages; validate fully: {}; invalid (1): {}; cannot load (5): {}",
        files.len(),
        counts.get(&0).copied().unwrap_or(0),
        counts.get(&1).copied().unwrap_or(0),
        counts.get(&5).copied().unwrap_or(0)
    );
    let mut top: Vec<(String, usize)> = reasons.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (r, n) in top.iter().take(12) {
        println!("  {n:4}  {r}");
    }
    assert!(bad.is_empty(), "unexpected exit codes:\n{}", bad.join("\n"));
}
