//! Tests of `/VALIDATE` on the hand-written packages in `engine/tests/packages/` and, when
//! present, on a corpus package with its own `.dtsConfig`: `/Set` on each kind of target,
//! `/Conn`, `/Par`, `/ConfigFile`, expression errors with path and column, `/WarnAsError`.

use std::path::{Path, PathBuf};

use super::*;
use crate::cli::{parse_dtexec_args, DtexecOptions};
use crate::model::{ExecutableKind, Package, PropertyExpression};

fn package(name: &str) -> Package {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(name);
    crate::load_package_file(&path).expect("test package loads")
}

fn options(extra: &[&str]) -> DtexecOptions {
    let mut args = vec!["/F".to_string(), "p.dtsx".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    parse_dtexec_args(args).expect("command line parses")
}

fn run(p: &mut Package, extra: &[&str]) -> ValidationReport {
    validate(p, &options(extra))
}

fn has(list: &[Diagnostic], code: u32, needle: &str) -> bool {
    list.iter()
        .any(|d| d.code == code && (d.description.contains(needle) || d.source.contains(needle)))
}

#[test]
fn set_variables_parameters_and_properties() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(
        &mut p,
        &[
            "/Set",
            "\\Package.Variables[User::Counter].Value;5",
            "/Set",
            "\\Package.Properties[MaxErrorCount];9",
            "/Set",
            "\\Package\\Sequence 1.Properties[Disabled];True",
            "/Set",
            "\\Package\\Sequence 1\\Ten times.Properties[EvalExpression];@Counter < 20",
            "/Set",
            "\\Package.Variables[$Package::InputFolder];/data/in",
            "/Set",
            "\\Package.Connections[Warehouse].Properties[ConnectionString];Data Source=x;",
            "/Set",
            "\\Package.LogProviders[Text log].Properties[ConfigString];Other log",
        ],
    );
    assert!(
        !r.errors
            .iter()
            .any(|d| d.source.contains("/Set") || d.description.contains("/Set")),
        "{:#?}",
        r.errors
    );
    assert_eq!(p.variables[1].value, "5");
    assert_eq!(p.properties.common.maximum_error_count, 9);
    assert!(p.executables[0].properties.disabled);
    match &p.executables[0].executables[1].kind {
        ExecutableKind::ForLoop(l) => assert_eq!(l.eval_expression, "@Counter < 20"),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.parameters[0].value, "/data/in");
    assert_eq!(p.connections[0].connection_string, "Data Source=x;");
    assert_eq!(p.log_providers[0].config_string, "Other log");
}

#[test]
fn set_takes_property_names_as_ssis_spells_them() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(
        &mut p,
        &[
            "/Set",
            "\\Package\\Sequence 1.Properties[Disable];True",
            "/Set",
            "\\Package.Properties[MaximumErrorCount];7",
            "/Set",
            "\\Package.Properties[disableeventhandlers];true",
            "/Set",
            "\\Package\\Sequence 1.Properties[ForcedExecutionValue];42",
            "/Set",
            "\\Package\\Sequence 1.Properties[ForcedExecutionValueType];Int64",
            "/Set",
            "\\Package.Properties[VersionMajor];4",
            "/Set",
            "\\Package.Properties[EncryptCheckpoints];True",
            "/Set",
            "\\Package.Properties[ID];{00000000-0000-0000-0000-000000000000}",
            "/Set",
            "\\Package.Connections[Warehouse].Properties[ID];{00000000-0000-0000-0000-000000000000}",
        ],
    );
    let e = &p.executables[0].properties;
    assert!(e.disabled);
    assert_eq!(e.execution_value, "42");
    assert_eq!(e.execution_value_type, 20);
    assert_eq!(p.properties.common.maximum_error_count, 7);
    assert!(p.properties.common.disable_event_handlers);
    assert_eq!(p.properties.version_major, 4);
    assert!(has(
        &r.warnings,
        codes::OVERRIDE_NOT_APPLIED,
        "EncryptCheckpoints"
    ));
    assert!(has(
        &r.errors,
        codes::VALUE_REJECTED,
        "ID of \"\\Package\" is read-only"
    ));
    assert!(
        r.errors
            .iter()
            .any(|d| d.code == codes::VALUE_REJECTED
                && d.description.contains("Warehouse is read-only")),
        "{:#?}",
        r.errors
    );
    assert_eq!(r.errors.len(), 2, "{:#?}", r.errors);
}

#[test]
fn set_reports_paths_that_do_not_exist_and_bad_values() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(
        &mut p,
        &[
            "/Set",
            "\\Package.Variables[User::Nope].Value;1",
            "/Set",
            "\\Package\\Missing.Properties[Disabled];True",
            "/Set",
            "\\Package.Variables[User::Counter].Value;abc",
            "/Set",
            "\\Package.Properties[NoSuchProperty];1",
            "/Set",
            "\\Package.Variables[$Package::Nope];1",
            "/Set",
            "\\Package.Variables[User::Catalog].Value;x",
            "/Set",
            "\\Package.Connections[Warehouse].Properties[ServerName];s",
            "/Set",
            "\\Package\\Each file.ForEachEnumerator.Properties[Directory];/in",
        ],
    );
    assert!(has(
        &r.errors,
        codes::SET_TARGET_NOT_FOUND,
        "has no variable \"User::Nope\""
    ));
    assert!(has(
        &r.errors,
        codes::SET_TARGET_NOT_FOUND,
        "no container or task named \"Missing\""
    ));
    assert!(has(
        &r.errors,
        codes::VALUE_REJECTED,
        "\"abc\" is not a valid"
    ));
    assert!(has(
        &r.errors,
        codes::SET_TARGET_NOT_FOUND,
        "NoSuchProperty"
    ));
    assert!(has(
        &r.errors,
        codes::SET_TARGET_NOT_FOUND,
        "no parameter \"Nope\""
    ));
    // Catalog is evaluated as an expression; ServerName and enumerator properties are not modelled.
    assert!(has(
        &r.warnings,
        codes::OVERRIDE_NOT_APPLIED,
        "evaluated as an expression"
    ));
    assert!(has(&r.warnings, codes::OVERRIDE_NOT_APPLIED, "ServerName"));
    assert!(has(
        &r.warnings,
        codes::OVERRIDE_NOT_APPLIED,
        "enumerator properties"
    ));
}

#[test]
fn set_into_event_handlers_and_task_payloads() {
    let mut p = package("format3_control_flow.dtsx");
    let handlers: Vec<String> = p
        .all_event_handlers()
        .iter()
        .map(|h| h.path.clone())
        .collect();
    let r = run(
        &mut p,
        &[
            "/Set",
            "\\Package\\Sequence 1\\Truncate staging.Properties[SqlStatementSource];SELECT 1",
        ],
    );
    assert!(
        r.errors.iter().all(|d| !d.source.contains("Truncate")),
        "{:#?}",
        r.errors
    );
    assert!(has(
        &r.warnings,
        codes::OVERRIDE_NOT_APPLIED,
        "SqlStatementSource"
    ));
    if let Some(h) = handlers.first() {
        let set = format!("{h}.Properties[Disabled];True");
        let r = run(&mut p, &["/Set", &set]);
        assert!(
            r.errors.iter().all(|d| !d.source.contains("EventHandlers")),
            "{:#?}",
            r.errors
        );
    }
}

#[test]
fn connections_by_name_and_id() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(&mut p, &["/Conn", "warehouse;Data Source=a;"]);
    assert!(r
        .errors
        .iter()
        .all(|d| d.code != codes::CONNECTION_MANAGER_NOT_FOUND));
    assert_eq!(p.connections[0].connection_string, "Data Source=a;");
    let r = run(
        &mut p,
        &[
            "/Conn",
            "{00000000-0000-0000-0000-000000000C01};Data Source=b;",
        ],
    );
    assert!(r
        .errors
        .iter()
        .all(|d| d.code != codes::CONNECTION_MANAGER_NOT_FOUND));
    assert_eq!(p.connections[0].connection_string, "Data Source=b;");
    let r = run(&mut p, &["/Conn", "Nope;x=1"]);
    assert!(has(&r.errors, codes::CONNECTION_MANAGER_NOT_FOUND, "Nope"));
}

#[test]
fn parameters() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(
        &mut p,
        &[
            "/Par",
            "InputFolder;/srv/in",
            "/Par",
            "$Package::Unknown;1",
            "/Par",
            "$Project::Shared;1",
            "/Par",
            "CM.Warehouse.ConnectionString;Data Source=c;",
            "/Par",
            "$ServerOption::SYNCHRONIZED(Boolean);True",
        ],
    );
    assert_eq!(p.parameters[0].value, "/srv/in");
    assert_eq!(p.connections[0].connection_string, "Data Source=c;");
    assert!(has(&r.errors, codes::PARAMETER_NOT_FOUND, "\"Unknown\""));
    assert!(has(&r.errors, codes::PARAMETER_NOT_FOUND, "Shared"));
    assert!(has(
        &r.warnings,
        codes::OVERRIDE_NOT_APPLIED,
        "server options"
    ));
}

#[test]
fn config_file_entries_apply_like_set_and_unknown_targets_warn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("orders.dtsConfig");
    std::fs::write(
        &file,
        r#"<?xml version="1.0"?><DTSConfiguration>
<Configuration ConfiguredType="Property" Path="\Package.Variables[User::Counter].Properties[Value]" ValueType="Int32"><ConfiguredValue>42</ConfiguredValue></Configuration>
<Configuration ConfiguredType="Property" Path="\Package.Connections[Warehouse].Properties[ConnectionString]" ValueType="String"><ConfiguredValue>Data Source=cfg;</ConfiguredValue></Configuration>
<Configuration ConfiguredType="Property" Path="\Package.Variables[User::Gone].Properties[Value]" ValueType="String"><ConfiguredValue>x</ConfiguredValue></Configuration>
</DTSConfiguration>"#,
    )
    .expect("write config");
    let mut p = package("format8_control_flow.dtsx");
    let name = file.to_string_lossy().to_string();
    let r = run(
        &mut p,
        &["/ConfigFile", &name, "/ConfigFile", "/no/such.dtsConfig"],
    );
    assert_eq!(p.variables[1].value, "42");
    assert_eq!(p.connections[0].connection_string, "Data Source=cfg;");
    assert!(has(
        &r.warnings,
        codes::CONFIG_TARGET_NOT_FOUND,
        "User::Gone"
    ));
    assert!(has(
        &r.errors,
        codes::CONFIG_FILE_UNREADABLE,
        "/no/such.dtsConfig"
    ));
}

fn corpus() -> PathBuf {
    std::env::var_os("SSISD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
}

#[test]
fn corpus_config_matches_its_package() {
    let root = corpus();
    let pkg = root.join("dtsx/lucmilot__SSIS_2014_Book__ConfigFiles.dtsx");
    let cfg = root.join("dtsconfig/lucmilot__SSIS_2014_Book__Config.dtsConfig");
    if !pkg.is_file() || !cfg.is_file() {
        println!("SKIPPED: corpus not found at {}", root.display());
        return;
    }
    let mut p = crate::load_package_file(&pkg).expect("corpus package loads");
    let r = run(&mut p, &["/ConfigFile", &cfg.to_string_lossy()]);
    assert!(
        !r.warnings
            .iter()
            .any(|d| d.code == codes::CONFIG_TARGET_NOT_FOUND),
        "{:#?}",
        r.warnings
    );
    let v = p
        .variables
        .iter()
        .find(|v| v.name == "strMessage")
        .expect("User::strMessage");
    assert_eq!(v.value, "Config File Changed Value");
}

#[test]
fn expression_errors_name_path_and_column() {
    let mut p = Package::default();
    p.property_expressions.push(PropertyExpression {
        property: "Description".into(),
        path: "\\Package.Properties[Description]".into(),
        expression: "\"a\" + @[User::Missing]".into(),
    });
    p.property_expressions.push(PropertyExpression {
        property: "MaxErrorCount".into(),
        path: "\\Package.Properties[MaxErrorCount]".into(),
        expression: "1 + \"x\"".into(),
    });
    let r = check_package(&p);
    assert_eq!(r.errors.len(), 2, "{:#?}", r.errors);
    assert_eq!(r.errors[0].source, "\\Package.Properties[Description]");
    assert!(
        r.errors[0].description.contains("column 7"),
        "{}",
        r.errors[0].description
    );
    assert_eq!(r.errors[1].code, codes::EXPRESSION_INVALID);
    assert!(
        r.errors[1].description.contains("column "),
        "{}",
        r.errors[1].description
    );
}

#[test]
fn loaded_packages_report_sensitive_values() {
    let mut p = package("format8_control_flow.dtsx");
    let r = run(&mut p, &[]);
    assert!(
        r.errors.iter().all(|d| d.code != codes::EXPRESSION_INVALID),
        "{:#?}",
        r.errors
    );
    let p3 = package("format3_control_flow.dtsx");
    let r = check_package(&p3);
    assert!(r
        .warnings
        .iter()
        .any(|d| d.code == codes::SENSITIVE_VALUE_UNREADABLE));
}
