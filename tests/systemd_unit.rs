//! Checks `config/ssisd.service` with `systemd-analyze verify` (the binary path pointed at the
//! one just built): the unit must load without a warning, start as root and name the service
//! and runner accounts for ssisd to switch to, keep its few capabilities and its sandboxing.
//! Prints SKIPPED where systemd-analyze is not installed.

use std::path::Path;
use std::process::Command;

fn unit_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/ssisd.service"))
        .unwrap()
}

#[test]
fn the_unit_keeps_its_account_and_sandbox() {
    let unit = unit_text();
    for line in [
        "Type=notify",
        "Environment=SSISD_SERVICE__USER=ssisd",
        "Environment=SSISD_SERVICE__RUNNER_USER=ssisd-run",
        "CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_CHOWN CAP_DAC_OVERRIDE",
        "StateDirectoryMode=0711",
        "KillMode=process",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/ssisd",
    ] {
        assert!(unit.lines().any(|l| l.trim() == line), "missing {line}");
    }
    // ssisd itself leaves root (User= would start it without the privilege to keep the runner
    // account's ids).
    for key in ["User=", "Group=", "AmbientCapabilities="] {
        assert!(
            !unit.lines().any(|l| l.trim().starts_with(key)),
            "{key} must not be set"
        );
    }
}

#[test]
fn systemd_analyze_verifies_the_unit() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        println!("SKIPPED: systemd-analyze is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_text().replace("/usr/local/bin/ssisd", env!("CARGO_BIN_EXE_ssisd"));
    let path = dir.path().join("ssisd.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}
