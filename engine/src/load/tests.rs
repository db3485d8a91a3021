//! Unit tests of the loader on the hand-written packages in `engine/tests/packages/` (one
//! per format family, describing the same control flow) and on small generated variants:
//! encodings, protection levels, depth and size limits, damaged references. Test code only.

use super::*;
use crate::model::*;

const FORMAT3: &str = include_str!("../../tests/packages/format3_control_flow.dtsx");
const FORMAT8: &str = include_str!("../../tests/packages/format8_control_flow.dtsx");

fn load(text: &str) -> Package {
    match load_package(text.as_bytes()) {
        Ok(p) => p,
        Err(e) => panic!("load failed: {e}"),
    }
}

fn exec<'a>(p: &'a Package, path: &str) -> &'a Executable {
    p.find_executable(path)
        .unwrap_or_else(|| panic!("no executable {path}"))
}

/// Checks everything both hand-written packages have in common.
/// `extra` counts the property expressions only one of the files has.
fn check_common(p: &Package, extra: usize) {
    let pr = &p.properties;
    assert_eq!(pr.name, "Orders");
    assert_eq!(pr.dtsid, "{00000000-0000-0000-0000-000000000001}");
    assert_eq!(pr.description, "Loads orders");
    assert_eq!(pr.creator_name, "TEST\\builder");
    assert_eq!(pr.creator_computer_name, "BUILDBOX");
    assert_eq!(
        (pr.version_major, pr.version_minor, pr.version_build),
        (2, 1, 17)
    );
    assert_eq!(pr.version_guid, "{00000000-0000-0000-0000-0000000000AA}");
    assert_eq!(pr.max_concurrent_executables, 4);
    assert_eq!(pr.common.maximum_error_count, 3);
    assert_eq!(pr.common.locale_id, 1033);
    assert!(pr.enable_config && pr.save_checkpoints);
    assert_eq!(pr.checkpoint_usage, 1);
    assert_eq!(pr.checkpoint_file_name, "C:\\chk\\orders.chk");
    assert_eq!(pr.package_type, 5);

    // Variables.
    assert_eq!(p.variables.len(), 2);
    let cat = &p.variables[0];
    assert_eq!(cat.path, "\\Package.Variables[User::Catalog]");
    assert_eq!(cat.scope, "\\Package");
    assert_eq!(cat.data_type, 8);
    assert!(cat.evaluate_as_expression);
    assert_eq!(
        cat.expression,
        "\"wh\" + \"_\" + (DT_WSTR, 4) YEAR(GETDATE())"
    );
    assert_eq!(cat.description, "target catalog");
    let counter = &p.variables[1];
    assert_eq!(counter.qualified_name(), "User::Counter");
    assert_eq!((counter.data_type, counter.value.as_str()), (3, "0"));
    assert!(counter.read_only && !counter.evaluate_as_expression);

    // Connection manager.
    assert_eq!(p.connections.len(), 1);
    let cm = &p.connections[0];
    assert_eq!(cm.path, "\\Package.Connections[Warehouse]");
    assert_eq!(cm.creation_name, "OLEDB");
    assert_eq!(cm.description, "main database");
    assert!(cm
        .connection_string
        .starts_with("Data Source=db1;Initial Catalog=wh;"));
    assert_eq!(cm.property_expressions.len(), 1);
    assert_eq!(
        cm.property_expressions[0].path,
        "\\Package.Connections[Warehouse].Properties[InitialCatalog]"
    );

    // Configurations and log providers.
    assert_eq!(p.configurations.len(), 1);
    assert_eq!(p.configurations[0].configuration_type, 1);
    assert_eq!(
        p.configurations[0].configuration_string,
        "C:\\cfg\\orders.dtsConfig"
    );
    assert_eq!(
        p.configurations[0].path,
        "\\Package.Configurations[Orders config]"
    );
    assert_eq!(p.log_providers.len(), 1);
    assert_eq!(p.log_providers[0].name, "Text log");
    assert_eq!(p.log_providers[0].config_string, "Log file");

    // Executable tree.
    let top: Vec<&str> = p.executables.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(top, ["Sequence 1", "Each file", "Load Customers"]);
    let seq = exec(p, "\\Package\\Sequence 1");
    assert_eq!(seq.kind, ExecutableKind::Sequence);
    assert!(seq.properties.fail_parent_on_failure);
    assert_eq!(seq.properties.transaction_option, 2);
    let sql = exec(p, "\\Package\\Sequence 1\\Truncate staging");
    assert_eq!(sql.kind, ExecutableKind::Task(TaskKind::ExecuteSql));
    assert_eq!(sql.properties.force_execution_result, 0);
    let od = sql.object_data.as_ref().expect("object data");
    assert!(od.as_str().contains("SQLTask:SqlTaskData"));
    assert!(od.as_str().contains("a &lt; 3"), "entities stay escaped");
    assert!(roxmltree::Document::parse(&od.document()).is_ok());
    match &exec(p, "\\Package\\Sequence 1\\Ten times").kind {
        ExecutableKind::ForLoop(l) => {
            assert_eq!(l.init_expression, "@Counter = 0");
            assert_eq!(l.eval_expression, "@Counter < 10");
            assert_eq!(l.assign_expression, "@Counter = @Counter + 1");
        }
        k => panic!("not a for loop: {k:?}"),
    }
    let each = exec(p, "\\Package\\Each file");
    assert!(each.properties.disabled);
    match &each.kind {
        ExecutableKind::ForEachLoop(l) => {
            let en = l.enumerator.as_ref().expect("enumerator");
            assert!(en.creation_name.contains("ForEachFileEnumerator"));
            assert!(en
                .config
                .as_ref()
                .is_some_and(|c| c.as_str().contains("FileSpec=\"*.csv\"")));
            assert_eq!(en.property_expressions.len(), 1);
            assert_eq!(
                en.property_expressions[0].path,
                "\\Package\\Each file.ForEachEnumerator.Properties[Directory]"
            );
            assert_eq!(
                l.mappings,
                vec![ForEachVariableMapping {
                    variable_name: "User::Catalog".into(),
                    value_index: 0
                }]
            );
        }
        k => panic!("not a foreach loop: {k:?}"),
    }
    assert_eq!(
        exec(p, "\\Package\\Each file\\Parse file").kind,
        ExecutableKind::Task(TaskKind::Script)
    );

    // Constraints, resolved.
    let c = &seq.constraints[0];
    assert_eq!(
        c.path,
        "\\Package\\Sequence 1.PrecedenceConstraints[Constraint]"
    );
    assert_eq!((c.from, c.to), (0, 1));
    assert_eq!(c.from_path, "\\Package\\Sequence 1\\Truncate staging");
    assert_eq!(c.to_path, "\\Package\\Sequence 1\\Ten times");
    assert_eq!(c.value, ExecResult::Failure);
    assert_eq!(c.eval_op, EvalOp::ExpressionAndConstraint);
    assert!(!c.logical_and);
    assert_eq!(c.expression, "@[User::Counter] == 0");
    let top_c = &p.constraints[0];
    assert_eq!(top_c.path, "\\Package.PrecedenceConstraints[Then load]");
    assert_eq!((top_c.from, top_c.to), (0, 2));
    assert_eq!(top_c.value, ExecResult::Success);
    assert_eq!(top_c.eval_op, EvalOp::Constraint);
    assert!(top_c.logical_and);

    // Data flow and its event handler.
    let dft = exec(p, "\\Package\\Load Customers");
    assert_eq!(dft.kind, ExecutableKind::Task(TaskKind::DataFlow));
    let df = dft.data_flow.as_ref().expect("pipeline");
    assert_eq!(df.components.len(), 2);
    let src = &df.components[0];
    assert_eq!(src.name, "Source");
    assert_eq!(src.connections.len(), 1);
    assert_eq!(src.outputs.len(), 2);
    assert_eq!(src.outputs[0].columns.len(), 2);
    assert_eq!(src.outputs[0].external_columns.len(), 1);
    assert!(src.outputs[1].is_error_output);
    assert_eq!(df.components[1].inputs[0].columns.len(), 1);
    assert_eq!(
        df.components[1].inputs[0].columns[0].lineage.number,
        src.outputs[0].columns[0].lineage_id
    );
    assert_eq!(df.paths.len(), 1);
    assert_eq!(dft.event_handlers.len(), 1);
    let h = &dft.event_handlers[0];
    assert_eq!(h.event_name, "OnError");
    assert_eq!(h.path, "\\Package\\Load Customers.EventHandlers[OnError]");
    assert_eq!(
        h.variables[0].path,
        "\\Package\\Load Customers.EventHandlers[OnError].Variables[System::Propagate]"
    );
    let log_it = exec(
        p,
        "\\Package\\Load Customers.EventHandlers[OnError]\\Log it",
    );
    assert_eq!(log_it.kind, ExecutableKind::Task(TaskKind::SendMail));
    assert_eq!(
        log_it.property_expressions[0].path,
        "\\Package\\Load Customers.EventHandlers[OnError]\\Log it.Properties[MessageSource]"
    );

    // Walks.
    assert_eq!(p.all_executables().len(), 7);
    assert_eq!(p.all_event_handlers().len(), 1);
    assert_eq!(p.all_variables().len(), 3);
    assert_eq!(p.all_property_expressions().len(), 4 + extra);
    let kinds: Vec<ExpressionKind> = p.expressions().iter().map(|e| e.kind).collect();
    for k in [
        ExpressionKind::Property,
        ExpressionKind::Variable,
        ExpressionKind::Constraint,
        ExpressionKind::ForLoopInit,
        ExpressionKind::ForLoopEval,
        ExpressionKind::ForLoopAssign,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    assert_eq!(p.expressions().len(), 9 + extra);
    assert_eq!(
        p.property_expressions[0].path,
        "\\Package.Properties[Description]"
    );
}

fn errors(p: &Package) -> Vec<String> {
    unsupported(p)
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn format3_package() {
    let p = load(FORMAT3);
    let counter = &p.variables[1];
    assert_eq!(
        counter.property_expressions[0].path,
        "\\Package.Variables[User::Counter].Properties[Description]"
    );
    assert_eq!(p.format_version, 3);
    assert_eq!(
        p.properties.protection_level,
        ProtectionLevel::EncryptSensitiveWithUserKey
    );
    assert_eq!(p.properties.version_comments, "hand-written test package");
    check_common(&p, 1);
    // Which tasks run is the runtime's registry; the model refuses nothing here.
    assert!(errors(&p).is_empty(), "{:?}", errors(&p));
    let flow = p
        .all_executables()
        .into_iter()
        .find(|e| e.path == "\\Package\\Load Customers")
        .expect("the data flow task");
    assert_eq!(flow.kind, ExecutableKind::Task(TaskKind::DataFlow));
}

#[test]
fn format8_package() {
    let p = load(FORMAT8);
    assert_eq!(p.format_version, 8);
    assert_eq!(
        p.properties.protection_level,
        ProtectionLevel::DontSaveSensitive
    );
    assert_eq!(p.properties.last_modified_product_version, "15.0.2000.93");
    check_common(&p, 0);
    assert_eq!(p.parameters.len(), 2);
    let folder = &p.parameters[0];
    assert_eq!(folder.path, "\\Package.Parameters[InputFolder]");
    assert_eq!((folder.data_type, folder.value.as_str()), (8, "C:\\in"));
    assert!(folder.required && !folder.sensitive);
    assert!(p.parameters[1].sensitive && !p.parameters[1].required);
    assert!(p.unreadable_sensitive_values.is_empty());
    assert_eq!(
        exec(&p, "\\Package\\Sequence 1").ref_id.as_deref(),
        Some("Package\\Sequence 1")
    );
    // Which tasks run (the data flow, the disabled script task) is the runtime's registry.
    assert!(unsupported(&p).is_empty(), "{:?}", unsupported(&p));
}

#[test]
fn user_key_sensitive_values_are_blanked_and_reported() {
    let p = load(FORMAT3);
    let od = p.connections[0].object_data.as_ref().expect("object data");
    assert!(!od.as_str().contains("QUJDREVGRw=="), "{}", od.as_str());
    assert!(od.as_str().contains("ConnectionString"));
    assert_eq!(
        p.unreadable_sensitive_values,
        vec![SensitiveValue {
            owner: "\\Package.Connections[Warehouse]".into(),
            name: "Password".into()
        }]
    );
    let warning = unsupported(&p)
        .into_iter()
        .find(|i| i.path == "\\Package.Connections[Warehouse]")
        .expect("warning about the password");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.reason.contains("cannot be decrypted on Linux"));
    // DontSaveSensitive keeps what is there (nothing to decrypt).
    let plain = load(&FORMAT3.replace("\"ProtectionLevel\">1<", "\"ProtectionLevel\">0<"));
    assert!(plain.unreadable_sensitive_values.is_empty());
}

/// The format-3 fixture with a plain connection password, protected with `target`.
fn protected_format3(target: &crate::protection::Target) -> String {
    let plain = FORMAT3
        .replace("\"ProtectionLevel\">1<", "\"ProtectionLevel\">0<")
        .replace(" Encrypted=\"1\">QUJDREVGRw==", ">pa55word");
    crate::protection::protect(&plain, target, None)
        .expect("protect")
        .text
        .to_string()
}

#[test]
fn encrypted_sensitive_values_open_with_the_password_and_are_reported_without_it() {
    use crate::protection::{PackagePassword, ProtectionError, Target};
    let pw = PackagePassword::new("secret");
    let text = protected_format3(&Target::EncryptSensitiveWithPassword(pw.clone()));
    assert!(!text.contains("pa55word"));
    // With the password: the value is in the model.
    let p = load_package_with(text.as_bytes(), &LoadOptions::with_password(Some(pw))).unwrap();
    assert_eq!(
        p.properties.protection_level,
        ProtectionLevel::EncryptSensitiveWithPassword
    );
    assert!(p.unreadable_sensitive_values.is_empty());
    let db = &p.connections[0];
    assert!(db
        .object_data
        .as_ref()
        .is_some_and(|d| d.as_str().contains("pa55word")));
    // Without it: the load goes on, the value is left out and reported, as SSIS does.
    let p = load_package(text.as_bytes()).unwrap();
    assert_eq!(
        p.unreadable_sensitive_values,
        vec![SensitiveValue {
            owner: format!("\\Package.Connections[{}]", db.name),
            name: "encrypted in <ConnectionManager>".into(),
        }]
    );
    let issues = crate::model::validation::unsupported(&p);
    assert!(
        issues.iter().any(|i| i.reason.contains("/De[crypt]")),
        "{issues:?}"
    );
    // A wrong password is the SSIS error, and nothing loads.
    let err = load_package_with(
        text.as_bytes(),
        &LoadOptions::with_password(Some(PackagePassword::new("wrong"))),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        LoadError::Protection(ProtectionError::WrongPassword { .. })
    ));
    assert!(err.to_string().contains("0xC0014037"), "{err}");
}

#[test]
fn packages_encrypted_as_a_whole_need_their_password() {
    use crate::protection::{PackagePassword, ProtectionError, Target};
    let pw = PackagePassword::new("secret");
    let text = protected_format3(&Target::EncryptAllWithPassword(pw.clone()));
    let err = load_package(text.as_bytes()).expect_err("no password");
    assert!(matches!(
        err,
        LoadError::Protection(ProtectionError::PasswordRequired)
    ));
    assert!(err.to_string().contains("0xC0014037"), "{err}");
    let p = load_package_with(text.as_bytes(), &LoadOptions::with_password(Some(pw))).unwrap();
    assert_eq!(
        p.properties.protection_level,
        ProtectionLevel::EncryptAllWithPassword
    );
    assert_eq!(p.name(), "Orders");
    // A whole package encrypted with a Windows user key (no Salt) cannot be opened here.
    let enc = "\u{FEFF}<?xml version=\"1.0\"?><EncryptedData Type=\"http://www.w3.org/2001/04/xmlenc#Element\" xmlns=\"http://www.w3.org/2001/04/xmlenc#\"><CipherData><CipherValue>AAAA</CipherValue></CipherData></EncryptedData>";
    let err = load_package(enc.as_bytes()).expect_err("encrypted");
    assert!(matches!(err, LoadError::EncryptedPackage));
    assert!(err.to_string().contains("Windows user key"));
    let err = load_package(
        FORMAT8
            .replace("DTS:ProtectionLevel=\"0\"", "DTS:ProtectionLevel=\"9\"")
            .as_bytes(),
    )
    .expect_err("unknown level");
    assert!(err.to_string().contains("\\Package"), "{err}");
}

#[test]
fn absent_protection_level_means_user_key() {
    let p = load(&FORMAT8.replace("DTS:ProtectionLevel=\"0\"", ""));
    assert_eq!(
        p.properties.protection_level,
        ProtectionLevel::EncryptSensitiveWithUserKey
    );
}

#[test]
fn encodings_load_the_same_package() {
    let reference = load(FORMAT8);
    let crlf = FORMAT8.replace('\n', "\r\n");
    let utf16 = FORMAT8.replace(
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    );
    let mut variants: Vec<Vec<u8>> = vec![
        [&[0xEF, 0xBB, 0xBF][..], crlf.as_bytes()].concat(),
        [0xFF, 0xFE]
            .into_iter()
            .chain(utf16.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        [0xFE, 0xFF]
            .into_iter()
            .chain(utf16.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
    ];
    variants.push(crlf.into_bytes());
    for bytes in variants {
        let p = load_package(&bytes).expect("variant loads");
        assert_eq!(p.properties, reference.properties);
        assert_eq!(p.all_executables().len(), reference.all_executables().len());
        assert_eq!(p.constraints, reference.constraints);
        assert_eq!(p.variables[0].expression, reference.variables[0].expression);
        check_common(&p, 0);
    }
}

fn nested_sequences(depth: usize) -> String {
    let mut s = String::from(
        "<DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:ExecutableType=\"Microsoft.Package\" DTS:ProtectionLevel=\"0\" DTS:ObjectName=\"Deep\">",
    );
    for i in 0..depth {
        s.push_str(&format!(
            "<DTS:Executables><DTS:Executable DTS:ExecutableType=\"STOCK:SEQUENCE\" DTS:ObjectName=\"S{i}\">"
        ));
    }
    for _ in 0..depth {
        s.push_str("</DTS:Executable></DTS:Executables>");
    }
    s.push_str("</DTS:Executable>");
    s
}

#[test]
fn depth_limit() {
    let p = load(&nested_sequences(20));
    assert_eq!(p.all_executables().len(), 20);
    assert_eq!(p.format_version, 8);
    let err =
        load_package(nested_sequences(DEFAULT_MAX_DEPTH + 5).as_bytes()).expect_err("too deep");
    assert!(matches!(err, LoadError::TooDeep { .. }), "{err}");
    let opts = LoadOptions {
        max_depth: 5,
        ..LoadOptions::default()
    };
    let err = load_package_with(nested_sequences(6).as_bytes(), &opts).expect_err("too deep");
    assert!(err.to_string().contains("\\Package\\S0\\S1"), "{err}");
}

#[test]
fn size_limit() {
    let opts = LoadOptions {
        max_bytes: 100,
        ..LoadOptions::default()
    };
    let err = load_package_with(FORMAT8.as_bytes(), &opts).expect_err("too large");
    assert!(matches!(err, LoadError::TooLarge { limit: 100, .. }));
    assert!(err.to_string().contains("limit"));
}

#[test]
fn damaged_packages_give_located_errors() {
    let err = load_package(
        FORMAT8
            .replace(
                "DTS:To=\"Package\\Load Customers\"",
                "DTS:To=\"Package\\Nowhere\"",
            )
            .as_bytes(),
    )
    .expect_err("dangling constraint");
    let msg = err.to_string();
    assert!(
        msg.contains("\\Package.PrecedenceConstraints[Then load]"),
        "{msg}"
    );
    assert!(msg.contains("Package\\Nowhere"), "{msg}");
    assert!(msg.contains("line "), "{msg}");

    let err = load_package(
        FORMAT8
            .replace(
                "DTS:FailParentOnFailure=\"True\"",
                "DTS:FailParentOnFailure=\"maybe\"",
            )
            .as_bytes(),
    )
    .expect_err("bad boolean");
    assert!(err.to_string().contains("\\Package\\Sequence 1"), "{err}");

    let err = load_package(b"<?xml version=\"1.0\"?><Other/>").expect_err("not a package");
    assert!(matches!(err, LoadError::NotAPackage { .. }));
    let err = load_package(b"<DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\">")
        .expect_err("truncated");
    assert!(matches!(err, LoadError::Xml { line: 1, .. }), "{err}");
    let err = load_package(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").expect_err("dtd");
    assert!(matches!(err, LoadError::Xml { .. }));
}

#[test]
fn load_from_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages");
    let p = load_package_file(&dir.join("format3_control_flow.dtsx")).expect("loads");
    assert_eq!(p.properties.name, "Orders");
    let err = load_package_file(&dir.join("missing.dtsx")).expect_err("missing");
    assert!(err.to_string().contains("missing.dtsx"));
}

#[test]
fn execution_value_settings_of_both_formats() {
    let old = FORMAT3.replace(
        "<DTS:Property DTS:Name=\"ForceExecutionResult\">0</DTS:Property>",
        "<DTS:Property DTS:Name=\"ForceExecutionResult\">0</DTS:Property>\
         <DTS:Property DTS:Name=\"ForceExecValue\">-1</DTS:Property>\
         <DTS:Property DTS:Name=\"ExecValue\" DTS:DataType=\"8\">done</DTS:Property>\
         <DTS:Property DTS:Name=\"ExecValueVariable\">User::Counter</DTS:Property>",
    );
    let p = load(&old);
    let t = &exec(&p, "\\Package\\Sequence 1\\Truncate staging").properties;
    assert!(t.force_execution_value);
    assert_eq!(t.execution_value, "done");
    assert_eq!(t.execution_value_type, 8);
    assert_eq!(t.exec_value_variable, "User::Counter");
    let new = FORMAT8.replace(
        "DTS:ForceExecutionResult=\"0\"",
        "DTS:ForceExecutionResult=\"0\" DTS:ForceExecValue=\"True\" DTS:ExecValue=\"7\" \
         DTS:ExecValueType=\"20\" DTS:ExecValueVariable=\"User::Counter\"",
    );
    let p = load(&new);
    let t = &exec(&p, "\\Package\\Sequence 1\\Truncate staging").properties;
    assert!(t.force_execution_value);
    assert_eq!(
        (t.execution_value.as_str(), t.execution_value_type),
        ("7", 20)
    );
    assert_eq!(t.exec_value_variable, "User::Counter");
    // Not given: SSIS's defaults (Int32, no variable).
    let p = load(FORMAT8);
    let t = &exec(&p, "\\Package\\Sequence 1\\Truncate staging").properties;
    assert_eq!(
        (t.execution_value_type, t.exec_value_variable.as_str()),
        (3, "")
    );
}

/// A package 200,000 elements deep overflowed the DOM parser's stack (an abort, not an
/// error); it must be a load error naming the limit.
#[test]
fn implausible_depth_is_a_load_error() {
    let n = 200_000;
    let text = FORMAT8.replacen(
        "</DTS:Executable>",
        &format!("{}{}</DTS:Executable>", "<a>".repeat(n), "</a>".repeat(n)),
        1,
    );
    let err = load_package(text.as_bytes()).expect_err("too deep");
    assert!(
        matches!(
            &err,
            LoadError::Shape {
                error: crate::xml_limits::ShapeError::TooDeep { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("256"), "{err}");
}

/// A million attributes on one element made loading quadratic; they are refused at the limit.
#[test]
fn too_many_attributes_is_a_load_error() {
    let attrs: String = (0..1_000_000).map(|i| format!(" x{i}=\"\"")).collect();
    let text = FORMAT8.replacen("<DTS:Executable ", &format!("<DTS:Executable{attrs} "), 1);
    let err = load_package(text.as_bytes()).expect_err("too many attributes");
    assert!(
        matches!(
            &err,
            LoadError::Shape {
                error: crate::xml_limits::ShapeError::TooManyAttributes { .. },
                ..
            }
        ),
        "{err}"
    );
}
