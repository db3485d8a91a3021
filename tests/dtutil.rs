//! End-to-end tests of `dtutil`: its command line and exit codes, packages in files, and the
//! service's store through `/DTS`. msdb (`/SQL`) runs only with `SSISD_TEST_MSSQL`.

mod support;

use support::{dtutil, small_package, temp_dir, Service};

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[test]
fn files_copy_move_delete_exists_and_new_ids() {
    let t = temp_dir();
    let src = t.path().join("Load.dtsx");
    std::fs::write(&src, small_package("Load")).unwrap();
    let s = src.to_str().unwrap();
    let copy = t.path().join("Copy.dtsx");

    let out = dtutil(
        None,
        &["/FILE", s, "/COPY", &format!("FILE;{}", copy.display())],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("The operation completed successfully."));
    assert_eq!(std::fs::read(&copy).unwrap(), small_package("Load"));

    // The destination exists: without /Quiet and without an answer, nothing changes.
    let out = dtutil(None, &["-fi", s, "-c", &format!("file;{}", copy.display())]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("not overwritten"));
    let out = dtutil(
        None,
        &["/Fi", s, "/C", &format!("FILE;{}", copy.display()), "/Q"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));

    let out = dtutil(None, &["/FILE", copy.to_str().unwrap(), "/I"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_ne!(
        std::fs::read(&copy).unwrap(),
        small_package("Load"),
        "a new DTSID"
    );

    let moved = t.path().join("sub");
    std::fs::create_dir(&moved).unwrap();
    let out = dtutil(
        None,
        &[
            "/FILE",
            copy.to_str().unwrap(),
            "/MOVE",
            &format!("FILE;{}", moved.display()),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!copy.exists() && moved.join("Copy.dtsx").is_file());

    assert_eq!(code(&dtutil(None, &["/FILE", s, "/EXISTS"])), 0);
    assert_eq!(code(&dtutil(None, &["/FILE", "/nope.dtsx", "/EXISTS"])), 1);
    assert_eq!(code(&dtutil(None, &["/FILE", s, "/DELETE"])), 0);
    assert_eq!(
        code(&dtutil(None, &["/FILE", s, "/DELETE"])),
        4,
        "already gone"
    );

    let junk = t.path().join("junk.dtsx");
    std::fs::write(&junk, b"<html/>").unwrap();
    let out = dtutil(
        None,
        &[
            "/FILE",
            junk.to_str().unwrap(),
            "/COPY",
            &format!("FILE;{}", t.path().join("x.dtsx").display()),
        ],
    );
    assert_eq!(code(&out), 5, "{}", text(&out));
}

#[test]
fn command_line_errors_exit_6_naming_the_option() {
    for (args, needle) in [
        (&["/Zap"][..], "not valid"),
        (&["/FILE", "a.dtsx"][..], "no action"),
        (&["/FILE", "a", "/SQL", "b", "/DELETE"][..], "only one"),
        (
            &["/FILE", "a", "/SIGN", "FILE;b;00"][..],
            "/Sign is not supported",
        ),
        (
            &["/FILE", "a", "/ENCRYPT", "FILE;b;3"][..],
            "needs a password",
        ),
        (&["/F", "a"][..], "ambiguous"),
    ] {
        let out = dtutil(None, args);
        assert_eq!(code(&out), 6, "{args:?}: {}", text(&out));
        assert!(text(&out).contains(needle), "{args:?}: {}", text(&out));
    }
    let out = dtutil(None, &["/?"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out).contains("/C[opy]") && text(&out).contains("/FC[reate]"));
}

#[test]
fn the_service_store_through_dts() {
    let s = Service::start();
    let t = temp_dir();
    let file = t.path().join("Nightly.dtsx");
    std::fs::write(&file, small_package("Nightly")).unwrap();

    let ok = |out: std::process::Output| {
        assert_eq!(code(&out), 0, "{}", text(&out));
        text(&out)
    };
    ok(dtutil(Some(&s), &["/FCreate", "DTS;File System;Sales"]));
    assert_eq!(
        code(&dtutil(Some(&s), &["/FExists", "DTS;File System\\Sales"])),
        0
    );
    assert_eq!(
        code(&dtutil(Some(&s), &["/FExists", "DTS;File System\\Nope"])),
        1
    );
    ok(dtutil(
        Some(&s),
        &[
            "/FILE",
            file.to_str().unwrap(),
            "/COPY",
            "DTS;File System\\Sales\\Nightly",
        ],
    ));
    assert_eq!(
        code(&dtutil(
            Some(&s),
            &["/DTS", "File System\\Sales\\Nightly.dtsx", "/EXISTS"]
        )),
        0
    );
    let listing = ok(dtutil(Some(&s), &["/FDirectory", "DTS;File System;S"]));
    assert!(
        listing.contains("<folder> Sales") && listing.contains("Nightly"),
        "{listing}"
    );

    let back = t.path().join("back.dtsx");
    ok(dtutil(
        Some(&s),
        &[
            "/DTS",
            "File System\\Sales\\Nightly",
            "/COPY",
            &format!("FILE;{}", back.display()),
        ],
    ));
    assert_eq!(std::fs::read(&back).unwrap(), small_package("Nightly"));

    ok(dtutil(
        Some(&s),
        &["/FRename", "DTS;File System;Sales;Archive"],
    ));
    ok(dtutil(
        Some(&s),
        &[
            "/DTS",
            "File System\\Archive\\Nightly",
            "/MOVE",
            "DTS;File System\\Nightly",
        ],
    ));
    assert_eq!(
        code(&dtutil(
            Some(&s),
            &["/DTS", "File System\\Archive\\Nightly", "/EXISTS"]
        )),
        1
    );
    ok(dtutil(
        Some(&s),
        &["/DTS", "File System\\Nightly", "/DELETE"],
    ));
    assert_eq!(
        code(&dtutil(
            Some(&s),
            &["/DTS", "File System\\Nightly", "/DELETE"]
        )),
        4
    );
    ok(dtutil(Some(&s), &["/FDelete", "DTS;File System;Archive"]));
}

#[test]
fn dts_without_a_service_says_so() {
    let t = temp_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtutil"))
        .env("SSISD_SERVICE__RUNTIME_DIR", t.path())
        .args([
            "/DTS",
            "File System\\X",
            "/SourceServer",
            "127.0.0.1:1",
            "/EXISTS",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(text(&out).contains("not running"), "{}", text(&out));
}

#[test]
fn msdb_through_sql_when_a_server_is_given() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SSISD_TEST_MSSQL is not set (dtutil /SQL needs a SQL Server)");
        return;
    };
    let (settings, user, password) = support::mssql_login(&conn);
    let t = temp_dir();
    let file = t.path().join("P.dtsx");
    std::fs::write(&file, small_package("P")).unwrap();
    let name = format!("ssisd_dtutil_{}", std::process::id());
    let login = [
        "/SourceServer",
        &settings.server,
        "/SourceUser",
        &user,
        "/SourcePassword",
        &password,
    ];
    let dest = [
        "/DestServer",
        &settings.server,
        "/DestUser",
        &user,
        "/DestPassword",
        &password,
    ];
    let mut args = vec!["/FILE", file.to_str().unwrap()];
    let copy = format!("SQL;{name}");
    args.extend(["/COPY", copy.as_str()]);
    args.extend(dest);
    assert_eq!(code(&dtutil(None, &args)), 0);
    let mut exists = vec!["/SQL", name.as_str(), "/EXISTS"];
    exists.extend(login);
    assert_eq!(code(&dtutil(None, &exists)), 0);
    let mut delete = vec!["/SQL", name.as_str(), "/DELETE"];
    delete.extend(login);
    assert_eq!(code(&dtutil(None, &delete)), 0);
}

#[test]
fn dtexec_loads_from_the_service_store_and_from_msdb() {
    let s = Service::start();
    let valid = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/packages/valid.dtsx"
    ))
    .unwrap();
    assert_eq!(
        support::http(&s, "PUT", "packages/File%20System/Valid", Some(&valid)).0,
        201
    );
    let dtexec = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
            .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (c, out) = dtexec(&["/DTS", "\\File System\\Valid", "/Va"]);
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("DTSER_SUCCESS"), "{out}");
    let (c, out) = dtexec(&["/DTS", "\\File System\\Missing", "/Va"]);
    assert_eq!(c, 4, "{out}");
    let (c, out) = dtexec(&["/SQL", "\\Sales\\Load", "/Va"]);
    assert_eq!(c, 5, "no SQL Server login given: {out}");
    assert!(out.contains("SQL Server login"), "{out}");
}
