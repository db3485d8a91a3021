//! End-to-end tests of the Script Task with the real `dtexec` and Mono: C# scripts recompiled
//! from their source (variables of several types read and written, the VariableDispenser,
//! every event kind, Dts.Log, MessageBox, ExecutionValue, connection managers), failures
//! (failure result, exceptions with their stack trace, a variable outside the lists, a
//! read-only write, a type change, an API Mono lacks, a crashed process, a hung script stopped
//! by cancellation) each followed by the package's own precedence constraints, a Visual Basic
//! script run from its stored assembly over the host's Visual Basic runtime, compile errors at
//! /VALIDATE, the stored-binary fallback, the refusal without Mono, a second run that compiles
//! nothing, and corpus packages whose scripts need only files and variables. The packages live
//! in `tests/packages/script/`. Without Mono installed the tests print SKIPPED.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    exit_and_text, group_gone, have_mono, read_text as read, sigterm_and_wait, temp_dir as temp,
    wait_for_file,
};

/// The script cache the tests share (the host is built once for all of them).
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("script-cache")
}

fn command(package: &Path, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SSISD_SCRIPT_CACHE", cache())
        .arg("/F")
        .arg(package)
        .args(extra);
    let has_dir = package.starts_with("tests/packages/script")
        && std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(package))
            .is_ok_and(|t| t.contains("DTS:ObjectName=\"Dir\""));
    if has_dir {
        c.arg("/Set").arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ));
    }
    c
}

/// Runs `tests/packages/script/<name>` with `User::Dir` set to `dir`.
fn dtexec(name: &str, dir: &Path, extra: &[&str]) -> (i32, String) {
    let p = PathBuf::from(format!("tests/packages/script/{name}"));
    let out = command(&p, dir, extra).output().expect("dtexec starts");
    exit_and_text(&out)
}

#[test]
fn variables_events_dispenser_and_execution_value() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let (code, out) = dtexec("csharp_variables.dtsx", d.path(), &["/Rep", "EWIP"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        read(d.path().join("result.txt")),
        "Hello, world at 2024-01-02 03:04:05 from Script|42|24.5000000000|True|seen by the dispenser|42|2024-1-3"
    );
    for expected in [
        "Code: 0x00000007",
        "Greeter: said hello to world",
        "Greeter: this is only a warning",
        "Greeter: halfway there: 50% complete",
        "Greeter: custom event Tally: counted 21",
        "ScriptTaskLogEntry: a line for the log",
        "MessageBox \"Greeter\": Nobody is watching (answered OK: the run is unattended)",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
}

#[test]
fn failures_fail_the_task_and_the_package_goes_on_by_its_constraints() {
    if !have_mono() {
        return;
    }
    for (mode, expected) in [
        ("failure", "The script returned a failure result."),
        (
            "throw",
            "System.InvalidOperationException: boom: thrown by the script",
        ),
        (
            "unlisted",
            "The element cannot be found in a collection. This error happens when you try to retrieve an element from a collection on a container during execution of the package and the element is not there. (The element asked for: \"User::Hidden\".)",
        ),
        (
            "readonly",
            "Error trying to write to a read-only variable, \"User::Mode\".",
        ),
        (
            "type",
            "The type of the value being assigned to variable \"User::Number\" differs from the current variable type.",
        ),
        ("unsupported", "System.NotImplementedException: OleDb is not implemented."),
        ("crash", "System.ApplicationException: a worker thread died"),
    ] {
        let d = temp();
        let (code, out) = dtexec(
            "csharp_failures.dtsx",
            d.path(),
            &[
                "/Set",
                &format!("\\Package.Variables[User::Mode].Properties[Value];{mode}"),
            ],
        );
        assert_eq!(code, 1, "{mode}: {out}");
        assert!(out.contains(expected), "{mode}: {out}");
        assert!(out.contains("Source: Misbehave"), "{mode}: {out}");
        assert!(d.path().join("failed").exists(), "{mode}: failure path");
        assert!(!d.path().join("succeeded").exists(), "{mode}: success path");
    }
    // The exception comes with its stack trace.
    let d = temp();
    let (_, out) = dtexec(
        "csharp_failures.dtsx",
        d.path(),
        &[
            "/Set",
            "\\Package.Variables[User::Mode].Properties[Value];throw",
        ],
    );
    assert!(
        out.contains("ScriptMain.Explode") && out.contains("ScriptMain.Main"),
        "{out}"
    );
}

#[test]
fn a_hung_script_is_stopped_by_the_runs_cancellation() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let p = PathBuf::from("tests/packages/script/csharp_failures.dtsx");
    let mut child = command(
        &p,
        d.path(),
        &[
            "/Set",
            "\\Package.Variables[User::Mode].Properties[Value];hang",
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("dtexec starts");
    let pid_file = d.path().join("pid");
    wait_for_file(
        &pid_file,
        Duration::from_secs(120),
        "the script never started",
    );
    let pid: i32 = read(&pid_file).trim().parse().expect("pid");
    let (status, out) = sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    // The script's process led its own group.
    assert!(
        group_gone(pid, Duration::from_secs(5)),
        "the script survived"
    );
    assert!(!d.path().join("succeeded").exists());
}

#[test]
fn connections_give_a_path_an_open_ado_net_connection_and_refuse_ole_db() {
    if !have_mono() {
        return;
    }
    let listed = Command::new("odbcinst")
        .args(["-q", "-d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("[SQLite3]"))
        .unwrap_or(false);
    if !listed {
        println!("SKIPPED: the SQLite3 ODBC driver is not installed (apt-get install unixodbc libsqliteodbc)");
        return;
    }
    let d = temp();
    let (code, out) = dtexec("csharp_connections.dtsx", d.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        read(d.path().join("out.txt")),
        "written through the FILE connection manager"
    );
    let result = read(d.path().join("result.txt"));
    assert!(
        result.starts_with("3|Data Source=db1;Initial Catalog=Sales;Provider=SQLNCLI11.1;"),
        "{result}"
    );
    assert!(
        result.contains("managed script code cannot use; read its ConnectionString"),
        "{result}"
    );
}

#[test]
fn visual_basic_runs_from_its_stored_assembly_on_the_hosts_vb_runtime() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let (code, out) = dtexec("vb_runtime.dtsx", d.path(), &["/Rep", "EWI"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("result.txt")), "report|10|same");
    assert!(out.contains("Mono here cannot compile"), "{out}");
    assert!(
        out.contains("VB: refused: Error trying to write to a rea"),
        "{out}"
    );
    assert!(out.contains("MessageBox \"VB\": done with report"), "{out}");
}

#[test]
fn the_visual_basic_runtime_subset_behaves_as_the_language_reference_says() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let (code, out) = dtexec("vb_runtime_subset.dtsx", d.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("report.txt")).trim(), "ok");
}

#[test]
fn source_that_does_not_compile_is_reported_with_file_and_line_or_replaced_by_the_binary() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let (code, out) = dtexec("csharp_compile_error.dtsx", d.path(), &["/Va"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ScriptMain.cs(11,51): error CS0103: The name `Workbook' does not exist"),
        "{out}"
    );
    assert!(out.contains("Source: \\Package\\Script"), "{out}");

    let stream = d.path().join("events.jsonl");
    let out = command(
        Path::new("tests/packages/script/csharp_binary_fallback.dtsx"),
        d.path(),
        &["/Rep", "EWI"],
    )
    .env("SSISD_EVENT_STREAM", &stream)
    .env("SSISD_EVENT_STREAM_VARIABLES", "1")
    .output()
    .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "does not compile here, so the precompiled assembly stored in the package runs instead"
        ),
        "{out}"
    );
    let events = read(&stream);
    assert!(
        events.contains("\"value\":\"the stored binary\""),
        "{events}"
    );
}

#[test]
fn without_mono_validation_names_the_debian_packages() {
    let d = temp();
    let out = command(
        Path::new("tests/packages/script/trivial.dtsx"),
        d.path(),
        &["/Va"],
    )
    .env("PATH", "/nonexistent")
    .env_remove("SSISD_MONO")
    .env_remove("SSISD_MCS")
    .output()
    .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Script tasks run on Mono, which is not installed here"),
        "{out}"
    );
    assert!(
        out.contains("apt-get install mono-runtime mono-mcs libmono-system-data4.0-cil"),
        "{out}"
    );
}

/// Every file under `dir`, with its size.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(m) = e.metadata() {
                out.push((p, m.len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_second_run_compiles_nothing() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let own = d.path().join("cache");
    let run = || {
        let out = command(
            Path::new("tests/packages/script/trivial.dtsx"),
            d.path(),
            &[],
        )
        .env("SSISD_SCRIPT_CACHE", &own)
        .output()
        .expect("dtexec starts");
        exit_and_text(&out)
    };
    let (code, out) = run();
    assert_eq!(code, 0, "{out}");
    let before = listing(&own);
    assert!(
        before
            .iter()
            .any(|(p, _)| p.extension().is_some_and(|e| e == "dll")
                && p.parent().is_some_and(|d| d.ends_with("scripts"))),
        "{before:?}"
    );
    let (code, out) = run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(listing(&own), before, "the second run built something");
}

#[test]
fn corpus_scripts_that_need_only_files_and_variables_run() {
    if !have_mono() {
        return;
    }
    let Some(corpus) = support::corpus("dtsx") else {
        return;
    };
    let d = temp();
    // 2012, Visual Basic from its stored assembly: path arithmetic with the VB runtime,
    // variables and package parameters, File.Exists, MsgBox and FireInformation.
    let source = d.path().join("randomdata.csv");
    std::fs::write(&source, "a,b\n").expect("write");
    let archive =
        corpus.join("Apress__sql-server-2012-intg-services-design-patterns__ArchiveFile.dtsx");
    let out = command(
        &archive,
        d.path(),
        &[
            "/Par",
            &format!("$Package::SourceFilePath;{}", source.display()),
            "/Rep",
            "EWI",
        ],
    )
    .output()
    .expect("dtexec starts");
    let (_, out) = exit_and_text(&out);
    let stem = source.with_extension("");
    assert!(out.contains("OkToProceed: True"), "{out}");
    assert!(
        out.contains(&format!("FormattedFileName: {}_", stem.display())),
        "{out}"
    );
    assert!(!out.contains("The script threw"), "{out}");
    assert!(!out.contains("The script could not be run"), "{out}");

    // 2014 C#: progress and information events in a loop.
    let out = command(
        &corpus.join("DavidStevensonVtex__SQLServer2014IntegrationServices__RaiseSomeEvents.dtsx"),
        d.path(),
        &[],
    )
    .output()
    .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Loop in iteratoin 9: 90% complete"), "{out}");

    // 2008 Visual Basic (VSTA 2) and 2014 C#/VB: variables and message boxes.
    for name in [
        "lucmilot__SSIS_2014_Book__ConfigFiles.dtsx",
        "lucmilot__SSIS_2014_Book__Package__testSSISPackage.dtsx",
    ] {
        let out = command(&corpus.join(name), d.path(), &["/Rep", "EWI"])
            .output()
            .expect("dtexec starts");
        let (code, out) = exit_and_text(&out);
        assert_eq!(code, 0, "{name}: {out}");
        assert!(out.contains("DTSER_SUCCESS (0)"), "{name}: {out}");
    }
}

#[test]
fn scripts_work_in_the_runs_directory() {
    if !have_mono() {
        return;
    }
    let d = temp();
    // A relative path in a script is taken from the directory dtexec runs in.
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .current_dir(d.path())
        .env("SSISD_SCRIPT_CACHE", cache())
        .arg("/F")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/packages/script/csharp_failures.dtsx"),
        )
        .args([
            "/Set",
            "\\Package.Variables[User::Mode].Properties[Value];touch",
            "/Set",
            "\\Package.Variables[User::Dir].Properties[Value];.",
        ])
        .output()
        .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("touched")), "by the script");
}

#[test]
fn a_listed_variable_that_does_not_exist_fails_validation() {
    let d = temp();
    let text = read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/script/csharp_failures.dtsx"),
    )
    .replace(
        "ReadOnlyVariables=\"User::Mode,User::Dir\"",
        "ReadOnlyVariables=\"User::Mode,User::Dir,User::Missing\"",
    );
    let copy = d.path().join("missing.dtsx");
    std::fs::write(&copy, text).expect("write");
    let out = command(&copy, d.path(), &["/Va"])
        .output()
        .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("The variable \"User::Missing\" (ReadOnlyVariables) cannot be used"),
        "{out}"
    );
}
