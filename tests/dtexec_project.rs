//! End-to-end tests of projects with the real `dtexec`: the Visual Studio project folder
//! `tests/packages/project/Sales` (a `.dtproj` holding the manifest, `Project.params`, the
//! project connection manager `Report File.conmgr`, four packages) run with `/Project` and
//! `/Package` — project parameters in expressions, a FILE project connection manager named by
//! its GUID whose connection string is an expression on a project parameter, `/Par` and `/Set`
//! on project parameters, a required sensitive parameter given through `SSISD_PARAMETERS`
//! (and never shown), a sensitive parameter read where it may not be, a child by project
//! reference in and out of process; the same project as an `.ispac` the test packs itself with
//! the zip crate (escaped part names, deflated); the SSIS errors for an unknown parameter,
//! connection manager, package and project; children kept elsewhere found through
//! `/PackagePath` and `SSISD_PACKAGE_PATH`; and corpus packages of the project deployment model
//! given a project of test-written `Project.params` and `.conmgr` files (one sends its mail to
//! a real SMTP server the test starts; it prints SKIPPED without aiosmtpd).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{exit_and_text, read_text, temp_dir};

const SALES: &str = "tests/packages/project/Sales";

fn dtexec(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("SSISD_PACKAGE_PATH")
        .env_remove("SSISD_PARAMETERS");
    for (k, v) in env {
        c.env(k, v);
    }
    exit_and_text(&c.output().expect("dtexec starts"))
}

fn par(name: &str, value: &Path) -> String {
    format!("$Project::{name};{}", value.display())
}

/// Runs a package of the Sales project writing into `out`, with the API key given.
fn sales(project: &str, package: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    let dir = par("OutputDir", out);
    let mut args = vec![
        "/Project",
        project,
        "/Package",
        package,
        "/Par",
        &dir,
        "/Par",
        "$Project::ApiKey;k-123",
    ];
    args.extend_from_slice(extra);
    dtexec(&args, &[])
}

#[test]
fn a_folder_project_gives_its_package_parameters_and_connection_managers() {
    let out = temp_dir();
    let (code, text) = sales(SALES, "Load Orders", out.path(), &[]);
    assert_eq!(code, 0, "{text}");
    // $Package::Label (its own), $Project::RunLabel and BatchSize (the project's values).
    assert_eq!(read_text(out.path().join("orders.txt")), "own:dev-10\n");
    // Copied to the project connection manager named by GUID, whose connection string is an
    // expression on $Project::OutputDir.
    assert_eq!(read_text(out.path().join("report.txt")), "own:dev-10\n");
    // The .dtproj file names the same project; /Par and /Set change project parameters.
    let (code, text) = sales(
        &format!("{SALES}/Sales.dtproj"),
        "load orders.dtsx",
        out.path(),
        &[
            "/Par",
            "$Project::BatchSize(Int32);250",
            "/Set",
            "\\Package.Variables[$Project::RunLabel].Properties[Value];prod",
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(read_text(out.path().join("report.txt")), "own:prod-250\n");
}

#[test]
fn a_child_by_project_reference_shares_the_project_in_and_out_of_process() {
    for out_of_process in ["False", "True"] {
        let out = temp_dir();
        let set =
            format!("\\Package.Variables[User::OutOfProcess].Properties[Value];{out_of_process}");
        let (code, text) = sales(
            SALES,
            "Master",
            out.path(),
            &["/Par", "$Project::RunLabel;nightly", "/Set", &set],
        );
        assert_eq!(code, 0, "out of process {out_of_process}: {text}");
        // The child got the parent's binding and the project values given to the parent.
        assert_eq!(
            read_text(out.path().join("orders.txt")),
            "from-master:nightly-10\n",
            "out of process {out_of_process}"
        );
        assert_eq!(read_text(out.path().join("master.txt")), "nightly\n");
        assert!(!text.contains("k-123"), "{text}");
    }
}

/// The Sales folder packed as Visual Studio packs an .ispac: the manifest taken out of the
/// .dtproj as `@Project.manifest`, part names URI-escaped, deflated, with content types.
fn pack_sales(into: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SALES);
    let dtproj = read_text(root.join("Sales.dtproj"));
    let start = dtproj.find("<SSIS:Project ").expect("manifest start");
    let end = dtproj.find("</SSIS:Project>").expect("manifest end") + "</SSIS:Project>".len();
    let mut parts: Vec<(String, Vec<u8>)> = vec![(
        "@Project.manifest".into(),
        dtproj.as_bytes()[start..end].to_vec(),
    )];
    for (file, part) in [
        ("Project.params", "Project.params"),
        ("Report File.conmgr", "Report%20File.conmgr"),
        ("Master.dtsx", "Master.dtsx"),
        ("Load Orders.dtsx", "Load%20Orders.dtsx"),
        ("Leaky.dtsx", "Leaky.dtsx"),
        ("Broken.dtsx", "Broken.dtsx"),
    ] {
        parts.push((part.into(), std::fs::read(root.join(file)).expect("read")));
    }
    parts.push((
        "[Content_Types].xml".into(),
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"dtsx\" ContentType=\"text/xml\" /><Default Extension=\"conmgr\" ContentType=\"text/xml\" /><Default Extension=\"params\" ContentType=\"text/xml\" /><Default Extension=\"manifest\" ContentType=\"text/xml\" /></Types>".to_vec(),
    ));
    let path = into.join("Sales.ispac");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(name, options).expect("entry");
        zip.write_all(&bytes).expect("write");
    }
    zip.finish().expect("finish");
    path
}

#[test]
fn an_ispac_of_the_project_runs_the_same() {
    let work = temp_dir();
    let ispac = pack_sales(work.path());
    let ispac = ispac.display().to_string();
    let out = temp_dir();
    let (code, text) = sales(
        &ispac,
        "Master.dtsx",
        out.path(),
        &["/Par", "$Project::RunLabel;packed"],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read_text(out.path().join("report.txt")),
        "from-master:packed-10\n"
    );
    let (code, text) = dtexec(
        &["/Project", &ispac, "/Package", "Load Orders", "/Validate"],
        &[],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("$Project::ApiKey"), "{text}");
}

#[test]
fn unknown_parameters_connections_packages_and_projects_are_named() {
    let out = temp_dir();
    let (code, text) = sales(
        SALES,
        "Load Orders",
        out.path(),
        &["/Par", "$Project::Nope;1"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Code: 0xC001F015"), "{text}");
    assert!(
        text.contains("\"$Project::Nope\" cannot be found"),
        "{text}"
    );
    assert!(
        text.contains("OutputDir, RunLabel, BatchSize, ApiKey"),
        "{text}"
    );
    let (code, text) = sales(
        SALES,
        "Load Orders",
        out.path(),
        &["/Par", "$Project::CM.Nope.ConnectionString;x"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Code: 0xC001000E"), "{text}");
    assert!(text.contains("\"Nope\" is not found"), "{text}");
    // A project connection manager addressed as the package's own says how to write it.
    let (code, text) = sales(
        SALES,
        "Load Orders",
        out.path(),
        &["/Par", "CM.Report File.Description;x"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("$Project::CM.Report File.Description"),
        "{text}"
    );
    // A package naming a connection manager neither it nor its project has.
    let (code, text) = sales(SALES, "Broken", out.path(), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("{5A1E5000-0000-4000-8000-0000000000FF}")
            && text.contains("nor its project \"Sales\""),
        "{text}"
    );
    let (code, text) = sales(SALES, "Nope", out.path(), &[]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("Master.dtsx, Load Orders.dtsx"), "{text}");
    let (code, text) = dtexec(&["/Project", "/nonexistent/x.ispac", "/Package", "P"], &[]);
    assert_eq!(code, 4, "{text}");
    assert!(
        text.contains("\"/nonexistent/x.ispac\" was not found"),
        "{text}"
    );
    // A package run from a file has no project.
    let (code, text) = dtexec(
        &[
            "/F",
            &format!("{SALES}/Load Orders.dtsx"),
            "/Par",
            "$Project::RunLabel;x",
        ],
        &[],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("run it with /Proj[ect] and /Pack[age]"),
        "{text}"
    );
}

#[test]
fn sensitive_parameters_are_required_kept_out_of_sight_and_guarded() {
    let out = temp_dir();
    let dir = par("OutputDir", out.path());
    // Required and sensitive: the project cannot keep it, so the run must give it.
    let (code, text) = dtexec(
        &["/Project", SALES, "/Package", "Load Orders", "/Par", &dir],
        &[],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Code: 0xC0019013"), "{text}");
    assert!(text.contains("/Par \"$Project::ApiKey\";value"), "{text}");
    // Given through the environment, it never reaches the command line or the console.
    let env = format!(
        "[\"$Project::ApiKey;hush-hush\",\"{}\"]",
        dir.replace('\\', "\\\\")
    );
    let (code, text) = dtexec(
        &["/Project", SALES, "/Package", "Load Orders"],
        &[("SSISD_PARAMETERS", &env)],
    );
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("hush-hush"), "{text}");
    assert_eq!(read_text(out.path().join("orders.txt")), "own:dev-10\n");
    // Read by an expression of a property that is not sensitive: refused before running.
    let (code, text) = sales(SALES, "Leaky", out.path(), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Code: 0xC0017010"), "{text}");
    assert!(
        text.contains("sensitive parameter \"$Project::ApiKey\""),
        "{text}"
    );
    assert!(!out.path().join("leak.txt").exists());
    assert!(!text.contains("k-123"), "{text}");
    // A malformed SSISD_PARAMETERS is a command-line error.
    let (code, text) = dtexec(
        &["/Project", SALES, "/Package", "Load Orders"],
        &[("SSISD_PARAMETERS", "not json")],
    );
    assert_eq!(code, 6, "{text}");
    assert!(text.contains("SSISD_PARAMETERS"), "{text}");
}

#[test]
fn children_kept_elsewhere_are_found_on_the_package_path() {
    let package = "tests/packages/project/find_children.dtsx";
    let elsewhere = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/project/elsewhere");
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let out = temp_dir();
        let set = format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            out.path().display()
        );
        let mut args = vec!["/F", package, "/Set", &set];
        args.extend_from_slice(extra);
        let (code, text) = dtexec(&args, env);
        let found: Vec<bool> = ["found-file", "found-sibling"]
            .iter()
            .map(|f| out.path().join(f).exists())
            .collect();
        (code, text, found)
    };
    // The FILE connection's C:\ETL\Children\… maps to /ETL/Children/…, which is not there.
    let (code, text, found) = run(&[], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("\"/ETL/Children/Stray Child.dtsx\" was not found"),
        "{text}"
    );
    assert!(
        text.contains("/PackagePath or the SSISD_PACKAGE_PATH"),
        "{text}"
    );
    assert_eq!(found, vec![false, false]);
    let dir = elsewhere.display().to_string();
    let (code, text, found) = run(&["/PackagePath", &format!("/nonexistent;{dir}")], &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(found, vec![true, true]);
    let path = format!("/nonexistent:{dir}");
    let (code, text, found) = run(&[], &[("SSISD_PACKAGE_PATH", &path)]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(found, vec![true, true]);
}

/// A project folder in `dir` holding the corpus package `corpus_file` as `package`, with the
/// test's own `Project.params` and `.conmgr` files.
fn corpus_project(
    dir: &Path,
    corpus_file: &str,
    package: &str,
    params: &[(&str, &str, bool)],
    conmgrs: &[(&str, String)],
) -> Option<()> {
    let corpus = support::corpus("dtsx")?;
    std::fs::copy(corpus.join(corpus_file), dir.join(package)).expect("copy");
    let mut text = String::from(
        "<?xml version=\"1.0\"?>\n<SSIS:Parameters xmlns:SSIS=\"www.microsoft.com/SqlServer/SSIS\">\n",
    );
    for (name, value, sensitive) in params {
        text.push_str(&format!(
            "  <SSIS:Parameter SSIS:Name=\"{name}\"><SSIS:Properties><SSIS:Property SSIS:Name=\"Sensitive\">{}</SSIS:Property><SSIS:Property SSIS:Name=\"Value\">{value}</SSIS:Property><SSIS:Property SSIS:Name=\"DataType\">18</SSIS:Property></SSIS:Properties></SSIS:Parameter>\n",
            u8::from(*sensitive)
        ));
    }
    text.push_str("</SSIS:Parameters>\n");
    std::fs::write(dir.join("Project.params"), text).expect("params");
    for (file, xml) in conmgrs {
        std::fs::write(dir.join(file), xml).expect("conmgr");
    }
    Some(())
}

fn conmgr(name: &str, id: &str, kind: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<DTS:ConnectionManager xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:ObjectName=\"{name}\" DTS:DTSID=\"{id}\" DTS:CreationName=\"{kind}\"><DTS:ObjectData>{inner}</DTS:ObjectData></DTS:ConnectionManager>\n"
    )
}

#[test]
fn corpus_packages_of_the_project_model_validate_in_a_project() {
    // arcanecode Master: $Project::RuntimeEnvironment and a project OLE DB connection manager
    // its Execute SQL tasks name by GUID; Wyle09 MainPackage: six project parameters, one of
    // them sensitive and given to a connection manager's Password.
    let master = temp_dir();
    let target = conmgr(
        "TargetDB",
        "{4FE18A1E-5A7F-4AF5-B75B-D651E7C4CA03}",
        "OLEDB",
        "<DTS:ConnectionManager DTS:ConnectionString=\"Data Source=127.0.0.1,1;Initial Catalog=TargetDB;User ID=etl;Password=x;Provider=SQLNCLI11.1;\" />",
    );
    if corpus_project(
        master.path(),
        "arcanecode__Managing_SSIS_Projects__Master.dtsx",
        "Master.dtsx",
        &[("RuntimeEnvironment", "Test", false)],
        &[("TargetDB.conmgr", target)],
    )
    .is_none()
    {
        return;
    }
    let dir = master.path().display().to_string();
    // Alone, its connection manager is missing.
    let (code, text) = dtexec(&["/F", &format!("{dir}/Master.dtsx")], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("\"{4FE18A1E-5A7F-4AF5-B75B-D651E7C4CA03}\" (Connection) is not found")
            && text.contains("run it with /Proj[ect] and /Pack[age]"),
        "{text}"
    );
    let (code, text) = dtexec(&["/Project", &dir, "/Package", "Master", "/Validate"], &[]);
    assert_eq!(code, 0, "{text}");
    let wyle = temp_dir();
    corpus_project(
        wyle.path(),
        "Wyle09__SSIS-ETL-Projects__MainPackage.dtsx",
        "MainPackage.dtsx",
        &[
            ("ErrorPath", "/tmp/err", false),
            ("FilePath", "/tmp/in", false),
            ("SQLPwd", "", true),
            ("SQLServerName", "127.0.0.1", false),
            ("SQlDBName", "Milk", false),
            ("SQlUN", "etl", false),
        ],
        &[],
    );
    let dir = wyle.path().display().to_string();
    let (code, text) = dtexec(
        &["/F", &format!("{dir}/MainPackage.dtsx"), "/Validate"],
        &[],
    );
    assert!(text.contains("reads project parameters"), "{code} {text}");
    let (code, text) = dtexec(
        &["/Project", &dir, "/Package", "MainPackage", "/Validate"],
        &[],
    );
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("reads project parameters"), "{text}");
}

#[test]
fn a_corpus_package_sends_its_mail_through_its_project_connection_manager() {
    // jbernier51 Email-Start: a Send Mail task whose SMTP server is a project connection
    // manager (by GUID) and whose From and To lines are expressions on project parameters.
    let mail = temp_dir();
    let server = match support::smtp::start_server(mail.path()) {
        Ok(s) => s,
        Err(e) => {
            println!("SKIPPED: Email-Start against aiosmtpd: {e}");
            return;
        }
    };
    let project = temp_dir();
    let smtp = conmgr(
        "SMTP Connection Manager",
        "{E826453B-5A5C-4217-BE0C-1DF882C1E087}",
        "SMTP",
        &format!(
            "<SmtpConnectionManager ConnectionString=\"SmtpServer=127.0.0.1:{};UseWindowsAuthentication=False;EnableSsl=False;\" />",
            server.port
        ),
    );
    if corpus_project(
        project.path(),
        "jbernier51__SSIS_Projects__Email-Start.dtsx",
        "Email-Start.dtsx",
        &[
            ("SendSuccessEMail_FromLine", "etl@example.org", false),
            ("SendSuccessEMail_ToLine", "ops@example.org", false),
        ],
        &[("SMTP.conmgr", smtp)],
    )
    .is_none()
    {
        return;
    }
    let dir = project.path().display().to_string();
    let (code, text) = dtexec(&["/F", &format!("{dir}/Email-Start.dtsx")], &[]);
    assert_eq!(code, 1, "alone it has no project: {text}");
    let (code, text) = dtexec(&["/Project", &dir, "/Package", "Email-Start"], &[]);
    assert_eq!(code, 0, "{text}");
    let messages = support::smtp::received(mail.path(), 1);
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope["mail_from"], "etl@example.org", "{envelope}");
    assert_eq!(envelope["rcpt_tos"][0], "ops@example.org", "{envelope}");
    assert!(
        raw.contains("Email-Start.dtsx started successfully"),
        "{raw}"
    );
}
