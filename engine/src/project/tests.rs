//! Unit tests of the project reader on small projects written into temporary folders.

use std::path::Path;

use super::*;

const NS: &str = "www.microsoft.com/SqlServer/SSIS";

fn manifest(level: &str, packages: &[&str], conmgrs: &[&str]) -> String {
    let mut s = format!(
        "<SSIS:Project SSIS:ProtectionLevel=\"{level}\" xmlns:SSIS=\"{NS}\"><SSIS:Properties>\
         <SSIS:Property SSIS:Name=\"ID\">{{6d0c1f7e-1111-4222-8333-444455556666}}</SSIS:Property>\
         <SSIS:Property SSIS:Name=\"Name\">Sales ETL</SSIS:Property></SSIS:Properties><SSIS:Packages>"
    );
    for p in packages {
        s.push_str(&format!(
            "<SSIS:Package SSIS:Name=\"{p}\" SSIS:EntryPoint=\"1\" />"
        ));
    }
    s.push_str("</SSIS:Packages><SSIS:ConnectionManagers>");
    for c in conmgrs {
        s.push_str(&format!("<SSIS:ConnectionManager SSIS:Name=\"{c}\" />"));
    }
    s.push_str("</SSIS:ConnectionManagers></SSIS:Project>");
    s
}

fn dtproj(manifest: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <DeploymentModel>Project</DeploymentModel><DeploymentModelSpecificContent><Manifest>{manifest}\
         </Manifest></DeploymentModelSpecificContent></Project>"
    )
}

const PARAMS: &str = r#"<?xml version="1.0"?>
<SSIS:Parameters xmlns:SSIS="www.microsoft.com/SqlServer/SSIS">
  <SSIS:Parameter SSIS:Name="Folder">
    <SSIS:Properties>
      <SSIS:Property SSIS:Name="ID">{aaaaaaaa-0000-4000-8000-000000000001}</SSIS:Property>
      <SSIS:Property SSIS:Name="Value">/data/in</SSIS:Property>
      <SSIS:Property SSIS:Name="DataType">18</SSIS:Property>
    </SSIS:Properties>
  </SSIS:Parameter>
</SSIS:Parameters>"#;

const CONMGR: &str = r#"<?xml version="1.0"?>
<DTS:ConnectionManager xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ObjectName="Out" DTS:DTSID="{BBBBBBBB-0000-4000-8000-000000000001}" DTS:CreationName="FILE">
  <DTS:ObjectData><DTS:ConnectionManager DTS:ConnectionString="/tmp/out.txt" /></DTS:ObjectData>
</DTS:ConnectionManager>"#;

fn package(name: &str, own_connection: Option<&str>) -> String {
    let conns = own_connection.map_or(String::new(), |n| {
        format!(
            "<DTS:ConnectionManagers><DTS:ConnectionManager DTS:refId=\"Package.ConnectionManagers[{n}]\" \
             DTS:CreationName=\"FILE\" DTS:DTSID=\"{{CCCCCCCC-0000-4000-8000-000000000001}}\" DTS:ObjectName=\"{n}\">\
             <DTS:ObjectData><DTS:ConnectionManager DTS:ConnectionString=\"/tmp/x\" /></DTS:ObjectData>\
             </DTS:ConnectionManager></DTS:ConnectionManagers>"
        )
    });
    format!(
        "<?xml version=\"1.0\"?>\n<DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:refId=\"Package\" \
         DTS:CreationName=\"Microsoft.Package\" DTS:DTSID=\"{{DDDDDDDD-0000-4000-8000-000000000001}}\" \
         DTS:ExecutableType=\"Microsoft.Package\" DTS:ObjectName=\"{name}\" DTS:ProtectionLevel=\"0\">\
         <DTS:Property DTS:Name=\"PackageFormatVersion\">8</DTS:Property>{conns}</DTS:Executable>"
    )
}

fn write(dir: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
}

fn sales(dir: &Path) {
    write(
        dir,
        &[
            (
                "Sales.dtproj",
                dtproj(&manifest(
                    "DontSaveSensitive",
                    &["Master.dtsx", "Load Sales.dtsx"],
                    &["Out.conmgr"],
                )),
            ),
            ("Project.params", PARAMS.to_string()),
            ("Out.conmgr", CONMGR.to_string()),
            ("Master.dtsx", package("Master", None)),
            ("Load Sales.dtsx", package("Load Sales", None)),
        ],
    );
}

#[test]
fn a_visual_studio_folder_is_a_project() {
    let d = tempfile::tempdir().unwrap();
    sales(d.path());
    let p = Project::open(d.path(), &LoadOptions::default()).expect("opens");
    assert_eq!(p.name(), "Sales ETL");
    assert_eq!(p.form(), ProjectForm::Folder);
    assert_eq!(p.protection_level(), ProtectionLevel::DontSaveSensitive);
    assert_eq!(p.parameters()[0].name, "Folder");
    assert_eq!(p.parameters()[0].data_type, 8);
    let cm = &p.connections()[0];
    assert!(cm.project);
    assert_eq!(cm.path, "\\Project.ConnectionManagers[Out]");
    assert_eq!(
        cm.ref_id.as_deref(),
        Some("Project.ConnectionManagers[Out]")
    );
    assert_eq!(
        p.find_package("load sales").unwrap().file,
        "Load Sales.dtsx"
    );
    let pkg = p.load_package("Load Sales.dtsx").expect("loads");
    assert_eq!(
        pkg.project.as_ref().unwrap().parameters[0].value,
        "/data/in"
    );
    assert!(pkg.connections.iter().any(|c| c.project && c.name == "Out"));
    // The .dtproj file itself names the same project.
    let again = Project::open(&d.path().join("Sales.dtproj"), &LoadOptions::default()).unwrap();
    assert_eq!(again.packages().len(), 2);
}

#[test]
fn the_ispac_of_a_folder_reads_back_the_same() {
    let d = tempfile::tempdir().unwrap();
    sales(d.path());
    let p = Project::open(d.path(), &LoadOptions::default()).unwrap();
    let bytes = p.to_ispac().expect("packs");
    let ispac = d.path().join("Sales.ispac");
    std::fs::write(&ispac, &bytes).unwrap();
    let q = Project::open(&ispac, &LoadOptions::default()).expect("reads the archive");
    assert_eq!(q.form(), ProjectForm::Ispac);
    assert_eq!(q.name(), "Sales ETL");
    assert_eq!(q.packages(), p.packages());
    assert_eq!(q.parameters(), p.parameters());
    assert_eq!(q.connections(), p.connections());
    assert_eq!(q.package_path("Master.dtsx"), d.path().join("Master.dtsx"));
    let pkg = q.load_package("Master").expect("loads");
    assert_eq!(pkg.properties.name, "Master");
}

#[test]
fn a_folder_without_manifest_takes_what_it_holds() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Project.params", PARAMS.to_string()),
            ("Out.conmgr", CONMGR.to_string()),
            ("Only.dtsx", package("Only", None)),
        ],
    );
    let p = Project::open(d.path(), &LoadOptions::default()).unwrap();
    assert_eq!(p.packages().len(), 1);
    assert_eq!(p.connections().len(), 1);
    assert_eq!(
        p.protection_level(),
        ProtectionLevel::EncryptSensitiveWithUserKey
    );
    // Packed, it gets a manifest of its own that lists them.
    let q = Project::from_ispac(
        p.to_ispac().unwrap(),
        Path::new("x.ispac"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(q.packages()[0].file, "Only.dtsx");
    assert_eq!(q.connections()[0].name, "Out");
}

#[test]
fn refusals_say_what_and_where() {
    let d = tempfile::tempdir().unwrap();
    sales(d.path());
    let opts = LoadOptions::default();
    let p = Project::open(d.path(), &opts).unwrap();
    let e = p.find_package("Nope").unwrap_err();
    assert!(e.is_not_found());
    assert!(
        e.to_string().contains("Master.dtsx, Load Sales.dtsx"),
        "{e}"
    );
    std::fs::remove_file(d.path().join("Out.conmgr")).unwrap();
    let e = Project::open(d.path(), &opts).unwrap_err();
    assert!(
        matches!(&e, ProjectError::MissingFile { file, .. } if file == "Out.conmgr"),
        "{e}"
    );
    let e = Project::open(&d.path().join("absent"), &opts).unwrap_err();
    assert!(e.is_not_found());
    let f = d.path().join("plain.ispac");
    std::fs::write(&f, "not a zip").unwrap();
    assert!(matches!(
        Project::open(&f, &opts).unwrap_err(),
        ProjectError::NotAnIspac { .. }
    ));
    write(
        d.path(),
        &[(
            "Other.dtproj",
            dtproj(&manifest("DontSaveSensitive", &[], &[])),
        )],
    );
    assert!(matches!(
        Project::open(d.path(), &opts).unwrap_err(),
        ProjectError::SeveralProjects { .. }
    ));
}

#[test]
fn encrypted_projects_and_clashing_connections_are_refused() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "P.dtproj",
                dtproj(&manifest("EncryptAllWithPassword", &["A.dtsx"], &[])),
            ),
            ("A.dtsx", package("A", None)),
        ],
    );
    let e = Project::open(d.path(), &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("EncryptAllWithPassword"), "{e}");
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Out.conmgr", CONMGR.to_string()),
            ("A.dtsx", package("A", Some("out"))),
        ],
    );
    let p = Project::open(d.path(), &LoadOptions::default()).unwrap();
    let e = p.load_package("A").unwrap_err();
    assert!(
        e.to_string()
            .contains("both define the connection manager \"out\""),
        "{e}"
    );
}

#[test]
fn a_dtproj_of_the_package_deployment_model_is_named() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[(
            "Old.dtproj",
            "<Project><DeploymentModel>Package</DeploymentModel></Project>".to_string(),
        )],
    );
    let e = Project::open(d.path(), &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("package deployment model"), "{e}");
}

/// A package whose expressions read project parameters: a variable from `$Project::Folder`, a
/// connection manager's Password and Description from `$Project::Secret`.
fn reader(expression_on_description: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:refId=\"Package\" \
         DTS:CreationName=\"Microsoft.Package\" DTS:DTSID=\"{{DDDDDDDD-0000-4000-8000-000000000009}}\" \
         DTS:ExecutableType=\"Microsoft.Package\" DTS:ObjectName=\"Reader\" DTS:ProtectionLevel=\"0\">\
         <DTS:Property DTS:Name=\"PackageFormatVersion\">8</DTS:Property>\
         <DTS:ConnectionManagers><DTS:ConnectionManager DTS:refId=\"Package.ConnectionManagers[Db]\" \
         DTS:CreationName=\"OLEDB\" DTS:DTSID=\"{{CCCCCCCC-0000-4000-8000-000000000009}}\" DTS:ObjectName=\"Db\">\
         <DTS:PropertyExpression DTS:Name=\"Password\">@[$Project::Secret]</DTS:PropertyExpression>\
         <DTS:PropertyExpression DTS:Name=\"Description\">{expression_on_description}</DTS:PropertyExpression>\
         <DTS:ObjectData><DTS:ConnectionManager DTS:ConnectionString=\"Data Source=x;\" /></DTS:ObjectData>\
         </DTS:ConnectionManager></DTS:ConnectionManagers>\
         <DTS:Variables><DTS:Variable DTS:CreationName=\"\" DTS:DTSID=\"{{DDDDDDDD-0000-4000-8000-00000000000A}}\" \
         DTS:EvaluateAsExpression=\"True\" DTS:Expression=\"@[$Project::Folder] + &quot;/x&quot;\" \
         DTS:Namespace=\"User\" DTS:ObjectName=\"Path\"><DTS:VariableValue DTS:DataType=\"8\"></DTS:VariableValue>\
         </DTS:Variable></DTS:Variables></DTS:Executable>"
    )
}

fn secret_params() -> String {
    PARAMS.replace(
        "</SSIS:Parameters>",
        "<SSIS:Parameter SSIS:Name=\"Secret\"><SSIS:Properties>\
         <SSIS:Property SSIS:Name=\"Required\">1</SSIS:Property>\
         <SSIS:Property SSIS:Name=\"Sensitive\">1</SSIS:Property>\
         <SSIS:Property SSIS:Name=\"DataType\">9</SSIS:Property>\
         </SSIS:Properties></SSIS:Parameter></SSIS:Parameters>",
    )
}

fn validate_in_project(description: &str, args: &[&str]) -> crate::validate::ValidationReport {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Project.params", secret_params()),
            ("Reader.dtsx", reader(description)),
        ],
    );
    let p = Project::open(d.path(), &LoadOptions::default()).unwrap();
    let mut package = p.load_package("Reader").unwrap();
    let mut argv = vec![
        "/Proj".to_string(),
        "x".into(),
        "/Pack".into(),
        "Reader".into(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    let options = crate::cli::parse_dtexec_args(argv).unwrap();
    crate::validate::validate(&mut package, &options)
}

#[test]
fn project_parameters_type_check_take_par_and_guard_sensitive_values() {
    use crate::validate::codes;
    let r = validate_in_project("\"plain\"", &["/Par", "$Project::Secret;42"]);
    assert!(r.errors.is_empty() && r.warnings.is_empty(), "{r:?}");
    // A required sensitive parameter without value.
    let r = validate_in_project("\"plain\"", &[]);
    assert!(
        r.errors
            .iter()
            .any(|d| d.code == codes::PARAMETER_VALUE_REQUIRED && d.source == "$Project::Secret"),
        "{r:?}"
    );
    // Its value refused by type, without repeating it.
    let r = validate_in_project("\"plain\"", &["/Par", "$Project::Secret;hunter2"]);
    let text = format!("{r:?}");
    assert!(
        text.contains("sensitive parameter \\\"Secret\\\""),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    // Unknown project parameters, on the command line and in expressions.
    let r = validate_in_project(
        "@[$Project::Nope]",
        &["/Par", "$Project::Secret;1", "/Par", "$Project::Other;1"],
    );
    assert!(
        r.errors.iter().any(|d| d.code == codes::PARAMETER_NOT_FOUND
            && d.description
                .contains("\"$Project::Other\" cannot be found")),
        "{r:?}"
    );
    assert!(
        r.errors.iter().any(|d| d.code == codes::EXPRESSION_INVALID
            && d.description.contains(
                "\"$Project::Nope\" does not exist (the project parameters are Folder, Secret)"
            )),
        "{r:?}"
    );
    // A sensitive parameter given to a property that is not sensitive.
    let r = validate_in_project(
        "(DT_WSTR, 10)@[$Project::Secret]",
        &["/Par", "$Project::Secret;1"],
    );
    assert!(
        r.errors
            .iter()
            .any(|d| d.code == codes::SENSITIVE_PARAMETER_IN_EXPRESSION
                && d.source == "\\Package.Connections[Db].Properties[Description]"),
        "{r:?}"
    );
    assert_eq!(
        r.errors.len(),
        1,
        "the Password expression is allowed: {r:?}"
    );
}

#[test]
fn the_summary_never_shows_a_sensitive_value() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("Project.params", secret_params()),
            ("Out.conmgr", CONMGR.to_string()),
            ("Reader.dtsx", reader("\"x\"")),
        ],
    );
    let s = Project::open(d.path(), &LoadOptions::default())
        .unwrap()
        .summary();
    assert_eq!(s.parameters[0].value.as_deref(), Some("/data/in"));
    assert_eq!(s.parameters[0].data_type, "DT_WSTR");
    assert!(s.parameters[1].sensitive && s.parameters[1].value.is_none());
    assert_eq!(s.connection_managers[0].kind, "FILE");
    assert_eq!(s.packages[0].file, "Reader.dtsx");
}
