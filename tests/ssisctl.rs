//! End-to-end tests of `ssisctl` against a real service: every command that the service can
//! serve today, the not-running message, the version rule, completions.

mod support;

use support::{small_package, ssisctl, temp_dir, Options, Service};

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn manages_folders_and_packages() {
    let s = Service::start();
    let text = ok(&ssisctl(&s, &["status"]));
    assert!(
        text.contains("File System") && text.contains("available"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(&ssisctl(&s, &["--json", "folders"]))).unwrap();
    let names: Vec<&str> = v["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["MSDB", "File System"], "the default folders");

    ok(&ssisctl(&s, &["mkdir", "-p", "File System/Sales/2026"]));
    let file = s.dir.join("Load.dtsx");
    std::fs::write(&file, small_package("Load")).unwrap();
    ok(&ssisctl(
        &s,
        &["import", file.to_str().unwrap(), "\\File System\\Sales"],
    ));
    let refused = ssisctl(&s, &["import", file.to_str().unwrap(), "File System/Sales"]);
    assert_eq!(refused.status.code(), Some(2), "exists without --overwrite");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));

    let listing = ok(&ssisctl(&s, &["ls", "-R", "File System"]));
    assert!(
        listing.contains("\\File System\\Sales:")
            && listing.contains("Load")
            && listing.contains("2026"),
        "{listing}"
    );

    let out_file = s.dir.join("exported.dtsx");
    ok(&ssisctl(
        &s,
        &[
            "export",
            "File System/Sales/Load",
            out_file.to_str().unwrap(),
        ],
    ));
    assert_eq!(std::fs::read(&out_file).unwrap(), small_package("Load"));
    let stdout = ssisctl(&s, &["export", "File System/Sales/Load"]);
    assert_eq!(stdout.stdout, small_package("Load"));

    ok(&ssisctl(
        &s,
        &[
            "cp",
            "File System/Sales/Load",
            "File System/Sales/2026/Load",
        ],
    ));
    ok(&ssisctl(
        &s,
        &["mv", "File System/Sales/Load", "File System/Sales/Nightly"],
    ));
    ok(&ssisctl(
        &s,
        &["mv", "File System/Sales/Nightly", "File System/Nightly"],
    ));
    ok(&ssisctl(
        &s,
        &[
            "mv",
            "File System/Sales/2026",
            "File System/Sales/Year 2026",
        ],
    ));
    let listing = ok(&ssisctl(
        &s,
        &["--json", "ls", "File System/Sales/Year 2026"],
    ));
    assert!(listing.contains("\"Load\""), "{listing}");
    ok(&ssisctl(&s, &["rm", "\\File System\\Nightly"]));
    let gone = ssisctl(&s, &["rm", "File System/Nightly"]);
    assert_eq!(gone.status.code(), Some(2));
    let not_empty = ssisctl(&s, &["rmdir", "File System/Sales"]);
    assert_eq!(not_empty.status.code(), Some(2));
    ok(&ssisctl(&s, &["rmdir", "-r", "File System/Sales"]));

    let events = ok(&ssisctl(&s, &["events", "--limit", "200"]));
    assert!(
        events.contains("1023") && events.contains("1021"),
        "{events}"
    );
    let errors = ok(&ssisctl(&s, &["events", "--level", "error"]));
    assert!(errors.trim().is_empty(), "{errors}");
    let reload = ok(&ssisctl(&s, &["reload"]));
    assert!(reload.contains("reloaded"), "{reload}");

    // Running packages is covered by tests/running.rs; a missing package is refused (404 → 2).
    let run = ssisctl(&s, &["run", "File System/X"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("X"));
}

#[test]
fn says_plainly_when_the_service_is_not_running() {
    let temp = temp_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssisctl"))
        .env("SSISD_SERVICE__RUNTIME_DIR", temp.path())
        .args(["--server", "127.0.0.1:1", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not running") && err.contains("systemctl start ssisd"),
        "{err}"
    );
}

#[test]
fn incompatible_versions_are_refused_naming_both() {
    let s = Service::start_in(temp_dir(), Options::default());
    let response = ureq::get(&s.url("status"))
        .set("X-Ssisd-Client-Version", "9.4.0")
        .call();
    let Err(ureq::Error::Status(400, r)) = response else {
        panic!("expected 400")
    };
    let body = r.into_string().unwrap();
    assert!(
        body.contains("9.4.0") && body.contains(env!("CARGO_PKG_VERSION")),
        "{body}"
    );
    let ok_response = ureq::get(&s.url("status"))
        .set("X-Ssisd-Client-Version", env!("CARGO_PKG_VERSION"))
        .call()
        .unwrap();
    assert_eq!(
        ok_response.header("X-Ssisd-Version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn prints_completions() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssisctl"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ssisctl"));
}

#[test]
fn events_follow_prints_new_events_as_they_happen() {
    use std::io::BufRead;
    let s = Service::start();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssisctl"))
        .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
        .args(["events", "--follow", "--limit", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("the newest event first");
    ok(&ssisctl(&s, &["mkdir", "File System/Followed"]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let line = rx
            .recv_timeout(deadline - std::time::Instant::now())
            .expect("the new event");
        if line.contains("1020") && line.contains("Followed") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn listings_come_in_pages_with_chosen_fields() {
    let s = Service::start();
    let folder = s.data_dir.join("Packages").join("Many");
    std::fs::create_dir_all(folder.join("Sub")).unwrap();
    for i in 0..25 {
        let name = format!("P{i:02}");
        std::fs::write(folder.join(format!("{name}.dtsx")), small_package(&name)).unwrap();
    }
    // Through the API: pages of 7 walk the folder once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "folders/File%20System/Many?limit=7&fields=size".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", c.replace(':', "%3A")));
        }
        let (code, body) = support::http(&s, "GET", &path, None);
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let v = support::json(&body);
        for f in v["folders"].as_array().unwrap() {
            seen.push(f["name"].as_str().unwrap().to_string());
        }
        for p in v["packages"].as_array().unwrap() {
            let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["name", "size"], "only the chosen fields");
            seen.push(p["name"].as_str().unwrap().to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = std::iter::once("Sub".to_string())
        .chain((0..25).map(|i| format!("P{i:02}")))
        .collect();
    assert_eq!(seen, expected);
    for bad in ["limit=0", "cursor=nonsense", "fields=colour"] {
        let (code, _) = support::http(
            &s,
            "GET",
            &format!("folders/File%20System/Many?{bad}"),
            None,
        );
        assert_eq!(code, 400, "{bad}");
    }

    // ssisctl: --limit shows a page and how to go on; --cursor goes on.
    let first = ok(&ssisctl(&s, &["ls", "File System/Many", "--limit", "10"]));
    assert!(first.contains("P08") && !first.contains("P09"), "{first}");
    let hint = first
        .lines()
        .find(|l| l.contains("--cursor"))
        .unwrap_or_else(|| panic!("no continuation in {first}"));
    let cursor = hint
        .rsplit("--cursor '")
        .next()
        .unwrap()
        .trim_end_matches('\'');
    let second = ok(&ssisctl(
        &s,
        &[
            "ls",
            "File System/Many",
            "--limit",
            "10",
            "--cursor",
            cursor,
        ],
    ));
    assert!(second.contains("P09") && second.contains("P18"), "{second}");
    assert!(!second.contains("P08"), "{second}");
    let json: serde_json::Value = serde_json::from_str(&ok(&ssisctl(
        &s,
        &["--json", "ls", "File System/Many", "--fields", "modified"],
    )))
    .unwrap();
    let p = &json[0]["packages"][0];
    assert!(p["modified"].is_string() && p.get("size").is_none(), "{p}");
}
