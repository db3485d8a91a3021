//! The README's first steps as a new user takes them: `ssisd` started as root on the embedded
//! default (no configuration file, as in a container), a package imported with `ssisctl import`
//! and run with `ssisctl run --wait`. The run must succeed, and the package's process must have
//! run as the dynamic unprivileged id the service announced at start — never as root.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::{is_root, ssisctl, temp_dir, Options, Service};

/// A package whose one task writes the uid, the gid and the groups it runs with to `out`.
fn whoami_package(out: &std::path::Path) -> String {
    let o = out.display();
    let script = format!("id -u &gt; {o}; id -g &gt;&gt; {o}; id -G &gt;&gt; {o}");
    format!(
        r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{55555555-0000-4000-8000-000000000001}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="First" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Variables></DTS:Variables>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Who" DTS:CreationName="Microsoft.ExecuteProcess" DTS:DTSID="{{55555555-0000-4000-8000-000000000002}}" DTS:ExecutableType="Microsoft.ExecuteProcess" DTS:ObjectName="Who"><DTS:Variables /><DTS:ObjectData><ExecuteProcessData Executable="/bin/sh" Arguments='-c "{script}"' /></DTS:ObjectData></DTS:Executable></DTS:Executables>
  <DTS:PrecedenceConstraints></DTS:PrecedenceConstraints>
</DTS:Executable>
"#
    )
}

/// The embedded default as the README starts it: no file, root, nothing about runners set.
fn embedded_default() -> Options {
    Options {
        config: None,
        env: vec![
            ("SSISD_SERVICE__ALLOW_ROOT_RUNNERS".into(), "false".into()),
            (
                "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".into(),
                "false".into(),
            ),
        ],
    }
}

/// The uid announced on the "packages run as" line.
fn announced_uid(s: &Service) -> u32 {
    let line = s
        .banner
        .iter()
        .find(|l| l.starts_with("ssisd packages run as: "))
        .unwrap_or_else(|| panic!("no runner line in {:?}", s.banner));
    line.trim_start_matches("ssisd packages run as: uid ")
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a dynamic id: {line}"))
}

#[test]
fn first_run_as_root_on_the_embedded_default_runs_unprivileged() {
    if !is_root() {
        println!("SKIPPED: the README's first steps as root need the tests to run as root");
        return;
    }
    let temp = temp_dir();
    // The runner's id must reach its run directory below the temporary directory, as it
    // reaches /var/lib/ssisd/runs on a real machine.
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = temp.path().to_path_buf();
    let s = Service::spawn(&dir, &embedded_default()).unwrap();
    assert!(
        s.banner.iter().any(|l| l.contains("embedded default")),
        "{:?}",
        s.banner
    );
    let uid = announced_uid(&s);
    assert!((61184..=65519).contains(&uid), "{uid}");
    assert_eq!(
        std::fs::read_to_string(s.data_dir.join("dynamic-runner-id")).unwrap(),
        format!("{uid}\n")
    );

    let outputs = dir.join("outputs");
    std::fs::create_dir(&outputs).unwrap();
    std::fs::set_permissions(&outputs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = outputs.join("who");
    let package = dir.join("First.dtsx");
    std::fs::write(&package, whoami_package(&out)).unwrap();

    let imported = ssisctl(
        &s,
        &["import", package.to_str().unwrap(), "File System/First"],
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let ran = ssisctl(&s, &["run", "File System/First", "--wait"]);
    assert_eq!(
        ran.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    let said = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = said.lines().collect();
    let id = uid.to_string();
    assert_eq!(lines, [id.as_str(), id.as_str(), id.as_str()], "{said}");
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&out).unwrap());
    assert_eq!(owner, uid, "the package's file belongs to the dynamic id");

    // A restart keeps the id (files a package left keep their owner).
    drop(s);
    let again = Service::spawn(&dir, &embedded_default()).unwrap();
    assert_eq!(announced_uid(&again), uid);
}
