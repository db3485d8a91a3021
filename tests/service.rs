//! End-to-end tests of the `ssisd` service through its real binary: start/ready/status, the
//! configuration check, folder and package operations, the event log, reload on SIGHUP, stop on
//! SIGTERM, the single-instance rule and store supervision.

mod support;

use std::time::{Duration, Instant};

use support::{http, json, small_package, temp_dir, Options, Service};

#[test]
fn starts_on_the_embedded_default_serves_status_and_stops_on_sigterm() {
    let mut s = Service::start();
    let (code, body) = http(&s, "GET", "status", None);
    assert_eq!(code, 200);
    let status = json(&body);
    assert_eq!(status["service"], "ssisd");
    assert_eq!(status["pid"], s.pid());
    assert!(status["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(status["stop_executing_packages_on_shutdown"], true);
    assert!(status["configuration"]
        .as_str()
        .unwrap()
        .contains("embedded default"));
    let folders = status["folders"].as_array().unwrap();
    let names: Vec<&str> = folders
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["MSDB", "File System"],
        "the real service's default folders"
    );
    Service::eventually(Duration::from_secs(5), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    assert!(s.data_dir.join("Packages").is_dir());
    let endpoint: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.runtime_dir.join("ssisd.json")).unwrap()).unwrap();
    assert_eq!(endpoint["listen"], s.addr.as_str());

    let t = Instant::now();
    let status = s.stop();
    assert!(status.success(), "exit {status:?}; stderr:\n{}", s.stderr());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        t.elapsed()
    );
    assert!(!s.runtime_dir.join("ssisd.json").exists());
}

#[test]
fn events_survive_a_restart_and_the_stop_is_recorded() {
    let temp = temp_dir();
    let dir = temp.path().to_path_buf();
    let mut first = Service::spawn(&dir, &Options::default()).unwrap();
    assert_eq!(first.stop().code(), Some(0));
    let second = Service::spawn(&dir, &Options::default()).unwrap();
    let codes = second.event_codes(50);
    let first_run: Vec<u64> = codes.iter().copied().take_while(|c| *c != 259).collect();
    assert_eq!(first_run.first(), Some(&256), "{codes:?}");
    assert!(first_run.contains(&257), "{codes:?}");
    assert!(first_run.contains(&258), "{codes:?}");
    assert!(codes.contains(&259), "{codes:?}");
    let after = &codes[codes.iter().position(|c| *c == 259).unwrap() + 1..];
    assert_eq!(
        after.first(),
        Some(&256),
        "second start recorded after the first stop: {codes:?}"
    );
}

#[test]
fn a_second_service_is_refused_and_the_lock_survives_kill_9() {
    let temp = temp_dir();
    let dir = temp.path().to_path_buf();
    let mut first = Service::spawn(&dir, &Options::default()).unwrap();
    let out = std::process::Command::new(support::ssisd_bin())
        .env("SSISD_SERVICE__DATA_DIR", dir.join("data2"))
        .env("SSISD_SERVICE__RUNTIME_DIR", &first.runtime_dir)
        .env("SSISD_SERVICE__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already running") && stderr.contains(&first.pid().to_string()),
        "{stderr}"
    );

    first.signal(libc::SIGKILL);
    first.wait_exit(Duration::from_secs(5)).unwrap();
    let mut third = Service::spawn(&dir, &Options::default()).expect("starts after kill -9");
    assert_eq!(third.stop().code(), Some(0));
}

#[test]
fn check_config_prints_the_effective_configuration_or_names_the_error() {
    let temp = temp_dir();
    let good = temp.path().join("ssisd.toml");
    std::fs::write(
        &good,
        "[service]\nlisten = \"127.0.0.1:9999\"\n[[folder]]\nkind = \"file-system\"\nname = \"Files\"\nstore_path = \"pk\"\n",
    )
    .unwrap();
    let run = |args: &[&std::ffi::OsStr], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(support::ssisd_bin());
        c.env_remove("SSISD_CONFIG").args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let out = run(
        &[
            "--check-config".as_ref(),
            "--config".as_ref(),
            good.as_os_str(),
        ],
        &[("SSISD_SERVICE__LISTEN", "127.0.0.1:9998")],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("127.0.0.1:9998"),
        "env overrides the file: {text}"
    );
    assert!(
        text.contains(&temp.path().join("pk").display().to_string()),
        "{text}"
    );

    let bad = temp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[service]\nstop_executing_packages_on_shutdown = \"perhaps\"\n",
    )
    .unwrap();
    let out = run(
        &[
            "--check-config".as_ref(),
            "--config".as_ref(),
            bad.as_os_str(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("stop_executing_packages_on_shutdown"),
        "{err}"
    );

    let missing = temp.path().join("absent.toml");
    let out = run(
        &["--config".as_ref(), missing.as_os_str()],
        &[(
            "SSISD_SERVICE__DATA_DIR",
            temp.path().join("d").to_str().unwrap(),
        )],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an explicitly named missing file is an error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = run(
        &["--check-config".as_ref()],
        &[("SSISD_CONFIG", missing.to_str().unwrap())],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "SSISD_CONFIG names the file too"
    );

    if let Some(files) = support::corpus_files("msdtssrvr", ".xml") {
        assert!(!files.is_empty());
        for f in files {
            let out = run(
                &[
                    "--check-config".as_ref(),
                    "--config".as_ref(),
                    f.as_os_str(),
                ],
                &[],
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("MSDB") && text.contains("File System"),
                "{text}"
            );
        }
    }
}

#[test]
fn runs_on_a_classic_msdtssrvr_ini_xml() {
    let Some(files) = support::corpus_files("msdtssrvr", "default.ini.xml") else {
        return;
    };
    let temp = temp_dir();
    let binn = temp.path().join("DTS").join("Binn");
    std::fs::create_dir_all(&binn).unwrap();
    let config = binn.join("MsDtsSrvr.ini.xml");
    std::fs::copy(&files[0], &config).unwrap();
    let s = Service::start_in(
        temp,
        Options {
            config: Some(config),
            env: vec![],
        },
    );
    Service::eventually(Duration::from_secs(5), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    assert_eq!(s.folder_state("MSDB").as_deref(), Some("unavailable"));
    assert!(
        s.dir.join("DTS").join("Packages").is_dir(),
        "..\\Packages resolves beside Binn"
    );
    let (code, body) = http(&s, "GET", "folders/MSDB", None);
    assert_eq!(code, 503);
    assert!(json(&body)["message"].as_str().unwrap().contains("MSDB"));
}

#[test]
fn folder_operations() {
    let s = Service::start();
    let fs = "folders/File%20System";
    assert_eq!(http(&s, "POST", &format!("{fs}/Sales"), None).0, 201);
    assert_eq!(
        http(&s, "POST", &format!("{fs}/Sales/EMEA%20Region"), None).0,
        201
    );
    assert_eq!(http(&s, "POST", &format!("{fs}/Sales"), None).0, 409);
    assert_eq!(http(&s, "POST", &format!("{fs}/Nope/Sub"), None).0, 404);
    let (code, body) = http(&s, "GET", fs, None);
    assert_eq!(code, 200);
    assert_eq!(json(&body)["folders"][0]["name"], "Sales");
    let (code, body) = http(&s, "GET", &format!("{fs}/Sales"), None);
    assert_eq!(code, 200);
    assert_eq!(json(&body)["path"], "\\File System\\Sales");

    let (code, body) = http(
        &s,
        "PATCH",
        &format!("{fs}/Sales/EMEA%20Region"),
        Some(br#"{"name":"EMEA"}"#),
    );
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    assert!(s.data_dir.join("Packages/Sales/EMEA").is_dir());
    assert_eq!(
        http(&s, "PATCH", &format!("{fs}/Sales/EMEA"), Some(b"not json")).0,
        400
    );
    assert_eq!(
        http(&s, "DELETE", &format!("{fs}/Sales"), None).0,
        409,
        "not empty"
    );
    assert_eq!(
        http(&s, "DELETE", &format!("{fs}/Sales?recursive=true"), None).0,
        204
    );
    assert_eq!(http(&s, "GET", &format!("{fs}/Sales"), None).0, 404);

    // %2F separates names as / does (OpenAPI clients encode it): a%2Fb is b in a folder a,
    // which does not exist.
    assert_eq!(http(&s, "POST", &format!("{fs}/a%2Fb"), None).0, 404);
    // Bad names are refused with a reason, and nothing is created.
    for bad in ["..", "a%5Cb", "x%00y", "a%7Cb", "%20lead"] {
        let (code, body) = http(&s, "POST", &format!("{fs}/{bad}"), None);
        assert_eq!(code, 400, "{bad}");
        assert!(
            json(&body)["message"].as_str().unwrap().contains("name"),
            "{bad}"
        );
    }
    assert_eq!(
        std::fs::read_dir(s.data_dir.join("Packages"))
            .unwrap()
            .filter(|e| !e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
            .count(),
        0
    );

    // Top-level folders come from the configuration.
    assert_eq!(http(&s, "DELETE", fs, None).0, 409);
    let (code, body) = http(&s, "GET", "folders/Elsewhere", None);
    assert_eq!(code, 404);
    assert!(json(&body)["message"]
        .as_str()
        .unwrap()
        .contains("File System"));
    let (code, body) = http(&s, "GET", "no/such/endpoint", None);
    assert_eq!(code, 404);
    assert_eq!(json(&body)["status"], 404);
}

#[test]
fn package_operations_and_refusals() {
    let temp = temp_dir();
    let s = Service::start_in(
        temp,
        Options {
            config: None,
            env: vec![("SSISD_SERVICE__MAX_REQUEST_BYTES".into(), "4096".into())],
        },
    );
    let pk = "packages/File%20System/Load%20Customers";
    let bytes = small_package("Load Customers");
    let (code, body) = http(&s, "PUT", pk, Some(&bytes));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    let info = json(&body);
    assert_eq!(info["package"]["name"], "Load Customers");
    assert_eq!(
        info["package"]["id"],
        "{8A6F0C4E-1B2D-4E5F-9A0B-1C2D3E4F5A6B}"
    );
    assert_eq!(info["package"]["version_build"], 3);
    assert_eq!(http(&s, "PUT", pk, Some(&bytes)).0, 409);
    assert_eq!(
        http(&s, "PUT", &format!("{pk}?overwrite=true"), Some(&bytes)).0,
        200
    );
    let (code, exported) = http(&s, "GET", pk, None);
    assert_eq!(code, 200);
    assert_eq!(exported, bytes);
    assert_eq!(http(&s, "HEAD", pk, None).0, 200);
    assert_eq!(
        http(&s, "HEAD", "packages/File%20System/Other", None).0,
        404
    );
    assert_eq!(http(&s, "GET", "packages/File%20System/Other", None).0, 404);

    let listing = json(&http(&s, "GET", "folders/File%20System", None).1);
    let p = &listing["packages"][0];
    assert_eq!(p["name"], "Load Customers", "the stored name");
    assert_eq!(
        p["object_name"], "Load Customers",
        "the package's own ObjectName"
    );
    assert_eq!(p["protection_level"], "DontSaveSensitive");
    assert_eq!(p["format_version"], 8);

    // Not a package, too large, bad name: refused, nothing written. The listing is taken once
    // the header cache is written and no temporary file is there: the service writes the cache
    // in the background.
    let settled = || {
        Service::eventually(std::time::Duration::from_secs(10), || {
            let mut names: Vec<_> = std::fs::read_dir(s.data_dir.join("Packages"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            let writing = names
                .iter()
                .any(|n| n.to_string_lossy().starts_with(".ssisd-tmp-"));
            let cached = names.iter().any(|n| n == ".ssisd-headers");
            (cached && !writing).then_some(names)
        })
    };
    let before = settled();
    let (code, body) = http(
        &s,
        "PUT",
        "packages/File%20System/Html",
        Some(b"<html><body/></html>"),
    );
    assert_eq!(code, 400);
    assert!(json(&body)["message"]
        .as_str()
        .unwrap()
        .contains("not an SSIS package"));
    assert_eq!(
        http(
            &s,
            "PUT",
            "packages/File%20System/Junk",
            Some(b"\x00\x01binary")
        )
        .0,
        400
    );
    let truncated = &bytes[..bytes.len() - 20];
    assert_eq!(
        http(&s, "PUT", "packages/File%20System/Cut", Some(truncated)).0,
        400
    );
    let mut big = small_package("Big");
    big.extend(std::iter::repeat_n(b' ', 8192));
    let (code, body) = http(&s, "PUT", "packages/File%20System/Big", Some(&big));
    assert_eq!(code, 413);
    assert!(json(&body)["message"]
        .as_str()
        .unwrap()
        .contains("max_request_bytes"));
    assert_eq!(
        http(&s, "PUT", "packages/File%20System/a%2Fb", Some(&bytes)).0,
        404,
        "%2F separates names: package b in a folder a that does not exist"
    );
    assert_eq!(
        http(
            &s,
            "PUT",
            "packages/File%20System/No%20Folder/X",
            Some(&bytes)
        )
        .0,
        404
    );
    assert_eq!(before, settled());

    assert_eq!(
        http(&s, "PATCH", pk, Some(br#"{"name":"Load Clients"}"#)).0,
        200
    );
    assert_eq!(http(&s, "HEAD", pk, None).0, 404);
    assert_eq!(
        http(&s, "DELETE", "packages/File%20System/Load%20Clients", None).0,
        204
    );
    assert_eq!(
        http(&s, "DELETE", "packages/File%20System/Load%20Clients", None).0,
        404
    );

    let codes = s.event_codes(100);
    for id in [1023, 1025, 1024] {
        assert!(codes.contains(&id), "{id} in {codes:?}");
    }
}

#[test]
fn every_corpus_package_imports_and_exports_byte_for_byte() {
    let Some(files) = support::corpus_files("dtsx", ".dtsx") else {
        return;
    };
    let s = Service::start();
    assert_eq!(
        http(&s, "POST", "folders/File%20System/corpus", None).0,
        201
    );
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).unwrap();
        let url = format!("packages/File%20System/corpus/p{i}");
        let (code, body) = http(&s, "PUT", &url, Some(&bytes));
        assert_eq!(
            code,
            201,
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&body)
        );
        let (code, exported) = http(&s, "GET", &url, None);
        assert_eq!(code, 200);
        assert!(exported == bytes, "{} differs after export", f.display());
    }
    let listing = json(&http(&s, "GET", "folders/File%20System/corpus", None).1);
    let packages = listing["packages"].as_array().unwrap();
    assert_eq!(packages.len(), files.len());
    assert!(
        packages.iter().all(|p| p.get("error").is_none()),
        "every stored package reads back"
    );
    assert!(
        packages.iter().any(|p| p["encrypted"] == true),
        "the wholly encrypted package is accepted"
    );
}

#[test]
fn events_can_be_filtered_and_followed_live() {
    let s = Service::start();
    let (code, body) = http(&s, "GET", "events?limit=2", None);
    assert_eq!(code, 200);
    let events = json(&body)["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 2);
    assert!(
        events[0]["id"].as_i64() > events[1]["id"].as_i64(),
        "newest first"
    );
    let (_, body) = http(&s, "GET", "events?source=SQLISService&order=asc", None);
    let ev = json(&body);
    assert_eq!(ev["events"][0]["event_id"], 256);
    assert!(ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["source"] == "SQLISService"));
    let (_, body) = http(&s, "GET", "events?level=error", None);
    assert!(json(&body)["events"].as_array().unwrap().is_empty());
    assert_eq!(http(&s, "GET", "events?level=loud", None).0, 400);
    assert_eq!(http(&s, "GET", "events?since=yesterday", None).0, 400);
    assert_eq!(http(&s, "GET", "events?limit=0", None).0, 400);
    let first_id = events[1]["id"].as_i64().unwrap();
    let (_, body) = http(
        &s,
        "GET",
        &format!("events?since_id={first_id}&order=asc"),
        None,
    );
    assert_eq!(
        json(&body)["events"][0]["id"].as_i64().unwrap(),
        first_id + 1
    );

    // Follow: replay after since_id, then a live event.
    let url = s.url(&format!("events/stream?since_id={first_id}"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let response = ureq::get(&url).call().unwrap();
        assert_eq!(response.header("Content-Type"), Some("text/event-stream"));
        let reader = std::io::BufReader::new(response.into_reader());
        for line in std::io::BufRead::lines(reader) {
            let Ok(line) = line else { break };
            if let Some(data) = line.strip_prefix("data: ") {
                if tx.send(data.to_string()).is_err() {
                    break;
                }
            }
        }
    });
    let replayed: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(replayed["id"].as_i64().unwrap(), first_id + 1);
    assert_eq!(http(&s, "POST", "folders/File%20System/Live", None).0, 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e: serde_json::Value =
            serde_json::from_str(&rx.recv_timeout(deadline - Instant::now()).unwrap()).unwrap();
        if e["event_id"] == 1020 {
            assert!(e["message"].as_str().unwrap().contains("Live"));
            break;
        }
    }
}

fn write_config(path: &std::path::Path, folders: &[(&str, &str)], extra: &str) {
    let mut text = format!("{extra}\n");
    for (name, store) in folders {
        text.push_str(&format!(
            "[[folder]]\nkind = \"file-system\"\nname = \"{name}\"\nstore_path = \"{store}\"\n\n"
        ));
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

#[test]
fn sighup_adds_and_removes_folders_and_an_invalid_file_keeps_the_old_configuration() {
    let temp = temp_dir();
    let config = temp.path().join("ssisd.toml");
    write_config(&config, &[("File System", "pk")], "");
    let mut s = Service::start_in(
        temp,
        Options {
            config: Some(config.clone()),
            env: vec![],
        },
    );
    let names = |s: &Service| -> Vec<String> {
        json(&http(s, "GET", "folders", None).1)["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&s), ["File System"]);

    write_config(
        &config,
        &[("File System", "pk"), ("Archive", "archive")],
        "",
    );
    s.signal(libc::SIGHUP);
    Service::eventually(Duration::from_secs(10), || {
        (s.folder_state("Archive").as_deref() == Some("available")).then_some(())
    });
    assert!(s.dir.join("archive").is_dir());

    write_config(&config, &[("Archive", "archive")], "");
    s.signal(libc::SIGHUP);
    Service::eventually(Duration::from_secs(10), || {
        (names(&s) == ["Archive"]).then_some(())
    });
    assert_eq!(http(&s, "GET", "folders/File%20System", None).0, 404);

    std::fs::write(
        &config,
        "[[folder]]\nkind = \"file-system\"\nname = \"Broken\"\n",
    )
    .unwrap();
    s.signal(libc::SIGHUP);
    Service::eventually(Duration::from_secs(10), || {
        s.event_codes(200).contains(&1002).then_some(())
    });
    assert_eq!(
        names(&s),
        ["Archive"],
        "the old configuration keeps running"
    );
    let (_, body) = http(&s, "GET", "events?event_id=1002", None);
    assert!(json(&body)["events"][0]["message"]
        .as_str()
        .unwrap()
        .contains("store_path"));
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn a_store_replaced_by_a_file_is_unavailable_and_comes_back_without_a_reload() {
    let temp = temp_dir();
    let config = temp.path().join("ssisd.toml");
    write_config(
        &config,
        &[("File System", "pk"), ("Other", "other")],
        "[supervision]\nhealth_check_seconds = 0.05\n",
    );
    let s = Service::start_in(
        temp,
        Options {
            config: Some(config),
            env: vec![],
        },
    );
    let store = s.dir.join("pk");
    Service::eventually(Duration::from_secs(5), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });

    // The store directory is replaced by a file: an outage, not a crash to restart.
    std::fs::remove_dir_all(&store).unwrap();
    std::fs::write(&store, b"not a directory").unwrap();
    Service::eventually(Duration::from_secs(10), || {
        (s.folder_state("File System").as_deref() == Some("unavailable")).then_some(())
    });
    assert_eq!(
        s.folder_state("Other").as_deref(),
        Some("available"),
        "the other folder keeps serving"
    );
    let (code, body) = http(&s, "GET", "folders/File%20System", None);
    assert_eq!(code, 503);
    let message = json(&body)["message"].as_str().unwrap().to_string();
    assert!(message.contains(&store.display().to_string()), "{message}");

    // The file goes: the root is missing, and a store that was used is not re-created.
    std::fs::remove_file(&store).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !store.exists(),
        "the service re-created a missing store root"
    );
    assert_eq!(
        s.folder_state("File System").as_deref(),
        Some("unavailable")
    );

    // Brought back (an empty directory made the store by its marker): available, no reload.
    std::fs::create_dir(&store).unwrap();
    std::fs::write(store.join(".ssisd-store"), b"").unwrap();
    Service::eventually(Duration::from_secs(5), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    // The state changes before its event is stored: wait for the event too.
    let codes = Service::eventually(Duration::from_secs(5), || {
        let codes = s.event_codes(200);
        (codes.contains(&1014) && codes.contains(&1015)).then_some(codes)
    });
    assert!(!codes.contains(&1012), "no restarts: {codes:?}");
}

#[test]
fn packages_copy_and_move_between_folders_unchanged() {
    let temp = temp_dir();
    let config = temp.path().join("ssisd.toml");
    write_config(
        &config,
        &[("File System", "pk"), ("Archive", "archive")],
        "",
    );
    let s = Service::start_in(
        temp,
        Options {
            config: Some(config),
            env: vec![],
        },
    );
    for f in ["File System", "Archive"] {
        Service::eventually(Duration::from_secs(5), || {
            (s.folder_state(f).as_deref() == Some("available")).then_some(())
        });
    }
    let bytes = small_package("Nightly");
    assert_eq!(
        http(&s, "PUT", "packages/File%20System/Nightly", Some(&bytes)).0,
        201
    );
    assert_eq!(http(&s, "POST", "folders/Archive/2026", None).0, 201);

    let (code, body) = http(
        &s,
        "POST",
        "copy",
        Some(br#"{"from": "File System/Nightly", "to": "\\Archive\\2026\\Nightly"}"#),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        http(&s, "GET", "packages/Archive/2026/Nightly", None).1,
        bytes
    );
    assert_eq!(
        http(&s, "HEAD", "packages/File%20System/Nightly", None).0,
        200,
        "a copy keeps the source"
    );

    let again = br#"{"from": "File System/Nightly", "to": "Archive/2026/Nightly"}"#;
    assert_eq!(http(&s, "POST", "copy", Some(again)).0, 409);
    let (code, _) = http(
        &s,
        "POST",
        "move",
        Some(
            br#"{"from": "File System/Nightly", "to": "Archive/2026/Nightly", "overwrite": true}"#,
        ),
    );
    assert_eq!(code, 200);
    assert_eq!(
        http(&s, "HEAD", "packages/File%20System/Nightly", None).0,
        404,
        "a move removes the source"
    );
    assert_eq!(
        http(&s, "GET", "packages/Archive/2026/Nightly", None).1,
        bytes
    );

    assert_eq!(
        http(
            &s,
            "POST",
            "copy",
            Some(br#"{"from": "File System/Gone", "to": "Archive/X"}"#)
        )
        .0,
        404
    );
    assert_eq!(
        http(
            &s,
            "POST",
            "copy",
            Some(br#"{"from": "Archive/2026/Nightly"}"#)
        )
        .0,
        400
    );
}

#[test]
fn kill_9_during_imports_never_leaves_a_torn_package() {
    // Two versions of a large package; the stored file must always be exactly one of them.
    let version = |fill: u8| {
        let mut p = small_package("Big");
        let filler = format!(
            "<!-- {} -->\n",
            String::from_utf8(vec![fill; 1 << 20]).unwrap()
        );
        let at = p.len() - "</DTS:Executable>\n".len();
        p.splice(at..at, filler.into_bytes());
        p
    };
    let (a, b) = (version(b'a'), version(b'b'));
    let temp = temp_dir();
    let dir = temp.path().to_path_buf();
    let stored = dir.join("data/Packages/Big.dtsx");
    for round in 0..6u64 {
        let mut s = Service::spawn(&dir, &Options::default()).unwrap();
        let url = s.url("packages/File%20System/Big?overwrite=true");
        let (a2, b2) = (a.clone(), b.clone());
        let writer = std::thread::spawn(move || {
            for i in 0.. {
                let body = if i % 2 == 0 { &a2 } else { &b2 };
                let ok = ureq::put(&url)
                    .set("Content-Type", "application/xml")
                    .timeout(Duration::from_secs(5))
                    .send_bytes(body);
                if matches!(ok, Err(ureq::Error::Transport(_))) {
                    break; // the service is gone
                }
            }
        });
        std::thread::sleep(Duration::from_millis(30 + round * 17));
        s.signal(libc::SIGKILL);
        s.wait_exit(Duration::from_secs(5)).unwrap();
        writer.join().unwrap();
        if stored.exists() {
            let bytes = std::fs::read(&stored).unwrap();
            assert!(
                bytes == a || bytes == b,
                "round {round}: torn package of {} bytes",
                bytes.len()
            );
        }
    }
    // Temporaries of the killed writers are cleaned when the folder is listed again.
    let s = Service::spawn(&dir, &Options::default()).unwrap();
    let listing = json(&http(&s, "GET", "folders/File%20System", None).1);
    let names: Vec<_> = std::fs::read_dir(dir.join("data/Packages"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        listing["packages"].as_array().unwrap().len(),
        1,
        "{listing} {names:?}"
    );
    // The listing also saves the header cache in the background, through a temporary file of
    // its own for a moment: what stays must be only the package and the store's files.
    let leftovers = || -> Vec<String> {
        std::fs::read_dir(dir.join("data/Packages"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "Big.dtsx" && n != ".ssisd-store" && n != ".ssisd-headers")
            .collect()
    };
    let t = std::time::Instant::now();
    while !leftovers().is_empty() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(leftovers().is_empty(), "{:?}", leftovers());
}
