//! End-to-end tests of the Script Component with the real `dtexec` and Mono: the package's own
//! C# recompiled against the host's pipeline stand-ins, with wrapper classes generated from the
//! component's metadata. A synchronous transform upper-cases a column that holds a NULL and adds
//! columns (2008 and 2016 layouts), a source makes rows of several types, an asynchronous
//! transform adds rows at will and one more at the end of its input, a destination writes a file
//! and a ReadWrite variable that a second data flow reads back, a script that does not compile
//! fails with the compiler's file and line, and one that throws fails the component with the
//! .NET exception and its stack; without Mono, /Validate names the Debian packages; the corpus
//! packages with a Script Component are no longer refused for it. The packages live in
//! `tests/packages/script_component/` (written by `make_packages.py` there). Without Mono
//! installed the tests that run scripts print SKIPPED.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{exit_and_text, have_mono, read_text as read, temp_dir as temp};

/// The script cache these tests share (the host is built once for all of them).
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("script-component-cache")
}

const PEOPLE: &str = "name,city\nann,paris\nbob,\ncy,rome\n";

/// Runs `tests/packages/script_component/<name>.dtsx` with `args`.
fn dtexec(name: &str, args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SSISD_SCRIPT_CACHE", cache())
        .arg("/F")
        .arg(format!("tests/packages/script_component/{name}.dtsx"))
        .args(args)
        .output()
        .expect("dtexec starts");
    exit_and_text(&out)
}

fn conn(name: &str, path: &Path) -> [String; 2] {
    ["/Conn".into(), format!("{name};{}", path.display())]
}

#[test]
fn a_synchronous_transform_upper_cases_a_column_with_a_null_in_both_layouts() {
    if !have_mono() {
        return;
    }
    for layout in ["2008", "2016"] {
        let d = temp();
        std::fs::write(d.path().join("people.csv"), PEOPLE).expect("input");
        let out = d.path().join("out.csv");
        let mut args = conn("People", &d.path().join("people.csv")).to_vec();
        args.extend(conn("Out", &out));
        args.extend(["/Rep".to_string(), "EWI".to_string()]);
        let (code, text) = dtexec(&format!("transform_{layout}"), &args);
        assert_eq!(code, 0, "{layout}: {text}");
        assert_eq!(
            read(&out),
            "ann,PARIS,5,n:ann\nbob,,,\ncy,ROME,4,n:cy\n",
            "{layout}"
        );
        assert!(
            text.contains("Code: 0x00000007") && text.contains("Upper: prefix n:"),
            "{text}"
        );
    }
}

#[test]
fn a_source_makes_rows_of_several_types() {
    if !have_mono() {
        return;
    }
    let d = temp();
    let out = d.path().join("out.csv");
    let (code, text) = dtexec("source_2016", &conn("Out", &out));
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read(&out),
        "1,row 1,1.25,2024-01-01 10:30:00.000000000\n\
         2,row 2,2.50,2024-01-02 10:30:00.000000000\n\
         3,,3.75,2024-01-03 10:30:00.000000000\n\
         4,row 4,5.00,2024-01-04 10:30:00.000000000\n\
         5,row 5,6.25,2024-01-05 10:30:00.000000000\n"
    );
    // The ReadOnly variable decides how many rows there are.
    let mut args = conn("Out", &out).to_vec();
    args.extend([
        "/Set".to_string(),
        "\\Package.Variables[User::Count].Properties[Value];2".to_string(),
    ]);
    let (code, text) = dtexec("source_2016", &args);
    assert_eq!(code, 0, "{text}");
    assert_eq!(read(&out).lines().count(), 2);
}

#[test]
fn an_asynchronous_transform_adds_rows_and_one_more_at_the_end() {
    if !have_mono() {
        return;
    }
    let d = temp();
    std::fs::write(d.path().join("people.csv"), PEOPLE).expect("input");
    let out = d.path().join("out.csv");
    let mut args = conn("People", &d.path().join("people.csv")).to_vec();
    args.extend(conn("Out", &out));
    let (code, text) = dtexec("async_2016", &args);
    assert_eq!(code, 0, "{text}");
    assert_eq!(read(&out), "a,paris\n,paris\n,paris\ncy,rome\nend,\n");
}

#[test]
fn a_destination_writes_a_file_and_its_readwrite_variable_after_post_execute() {
    if !have_mono() {
        return;
    }
    let d = temp();
    std::fs::write(d.path().join("people.csv"), PEOPLE).expect("input");
    let mut args = conn("People", &d.path().join("people.csv")).to_vec();
    args.extend(conn("Total", &d.path().join("total.csv")));
    args.extend([
        "/Set".to_string(),
        format!(
            "\\Package.Variables[User::OutFile].Properties[Value];{}",
            d.path().join("rows.txt").display()
        ),
        "/Rep".to_string(),
        "EWI".to_string(),
    ]);
    let (code, text) = dtexec("destination_2016", &args);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read(d.path().join("rows.txt")),
        "ann|paris\nbob|<null>\ncy|rome\n"
    );
    assert!(text.contains("wrote 3 rows"), "{text}");
    // The second data flow's source read User::Total as the first one's PostExecute left it.
    assert_eq!(read(d.path().join("total.csv")), "3\n");
}

#[test]
fn a_script_that_does_not_compile_fails_with_the_compilers_file_and_line() {
    if !have_mono() {
        return;
    }
    let d = temp();
    std::fs::write(d.path().join("people.csv"), PEOPLE).expect("input");
    let (code, text) = dtexec(
        "compile_error_2016",
        &conn("People", &d.path().join("people.csv")),
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("component \"Broken\": The script does not compile")
            && text.contains("main.cs(11,24): error CS1061")
            && text.contains("`missing'"),
        "{text}"
    );
}

#[test]
fn an_exception_in_process_input_row_fails_the_component_with_the_dotnet_stack() {
    if !have_mono() {
        return;
    }
    let d = temp();
    std::fs::write(d.path().join("people.csv"), PEOPLE).expect("input");
    let (code, text) = dtexec("throws_2016", &conn("People", &d.path().join("people.csv")));
    assert_eq!(code, 1, "{text}");
    for expected in [
        "Code: 0xC0047062",
        "component \"Check\": the script threw an exception: System.InvalidOperationException: no city for bob",
        "at ScriptMain.Explain (System.String who)",
        "at ScriptMain.Input0_ProcessInputRow (Input0Buffer Row)",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[test]
fn without_mono_validation_names_the_debian_packages() {
    // Needs no Mono: it checks the refusal when there is none.
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", "/nonexistent")
        .env_remove("SSISD_MONO")
        .env_remove("SSISD_MCS")
        .args([
            "/F",
            "tests/packages/script_component/transform_2016.dtsx",
            "/Va",
        ])
        .output()
        .expect("dtexec starts");
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Script components run on Mono, which is not installed here")
            && text.contains("apt-get install mono-runtime mono-mcs"),
        "{text}"
    );
}

/// The corpus packages with a Script Component: none is refused for it any more (what still
/// blocks them — other components, Windows authentication, project parameters — is theirs).
#[test]
fn corpus_script_components_are_no_longer_refused() {
    let Some(files) = support::corpus_files("dtsx", ".dtsx") else {
        return;
    };
    let with_scripts: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("ScriptComponentHost")))
        .collect();
    assert!(!with_scripts.is_empty(), "the corpus has Script Components");
    for f in &with_scripts {
        let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
            .env("SSISD_SCRIPT_CACHE", cache())
            .arg("/F")
            .arg(f)
            .arg("/Va")
            .output()
            .expect("dtexec starts");
        let (_, text) = exit_and_text(&out);
        assert!(
            !text.contains("(Script Component, class id"),
            "{}: {text}",
            f.display()
        );
    }
}
