//! End-to-end tests of password-protected packages: dtexec `/De[crypt]` (and
//! SSIS_PACKAGE_DECRYPT) on packages protected by our dtutil `/Encrypt` and on corpus packages
//! saved by SSIS, dtutil `/Encrypt` and `/Decrypt` between files and the service's store
//! (`/DTS`), the API's import with the protection headers and `ssisctl import`, and wrong
//! passwords (0xC0014037, exit 5, nothing written). msdb (`/SQL`) runs only with
//! `SSISD_TEST_MSSQL`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::{dtutil, exit_and_text, http, json, ssisctl, temp_dir, Service};

const SECRET: &str = "open-sesame";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/protected/secret.dtsx")
}

/// dtexec on `package` writing `secret.txt` into `dir`, without SSIS_PACKAGE_DECRYPT unless
/// `env` sets it.
fn dtexec(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.args(args)
        .arg("/Set")
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .env_remove("SSIS_PACKAGE_DECRYPT")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    exit_and_text(&c.output().expect("dtexec starts"))
}

fn written(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("secret.txt")).ok()
}

fn code_and_text(out: &Output) -> (i32, String) {
    exit_and_text(out)
}

/// `dtutil /FILE fixture /En FILE;<dir>/<name>;<level>[;pw]`.
fn encrypt_fixture(dir: &Path, name: &str, level: &str) -> PathBuf {
    let dest = dir.join(name);
    let out = dtutil(
        None,
        &[
            "/FILE",
            fixture().to_str().unwrap(),
            "/En",
            &format!("FILE;{};{level}", dest.display()),
        ],
    );
    let (code, text) = code_and_text(&out);
    assert_eq!(code, 0, "{text}");
    let bytes = std::fs::read_to_string(&dest).unwrap();
    assert!(!bytes.contains(SECRET), "the secret is in clear: {bytes}");
    dest
}

#[test]
fn dtexec_opens_sensitive_values_encrypted_with_a_password() {
    let t = temp_dir();
    let pkg = encrypt_fixture(t.path(), "s2.dtsx", "2;pa ss");
    let file = pkg.to_str().unwrap();

    let (code, text) = dtexec(&["/F", file, "/De", "pa ss"], t.path(), &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(SECRET));
    assert!(text.contains("shell history"), "{text}");

    // SSIS_PACKAGE_DECRYPT, as SSIS on Linux reads it.
    std::fs::remove_file(t.path().join("secret.txt")).unwrap();
    let (code, text) = dtexec(
        &["/F", file],
        t.path(),
        &[("SSIS_PACKAGE_DECRYPT", "pa ss")],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(SECRET));

    // A wrong password: the SSIS error, exit 5, nothing runs.
    std::fs::remove_file(t.path().join("secret.txt")).unwrap();
    let (code, text) = dtexec(&["/F", file, "/De", "wrong"], t.path(), &[]);
    assert_eq!(code, 5, "{text}");
    assert!(text.contains("0xC0014037"), "{text}");
    assert!(!text.contains("pa ss"), "the password is printed: {text}");
    assert_eq!(written(t.path()), None);

    // No password: the load goes on without the value (as SSIS does) and says how to give it.
    let (code, text) = dtexec(&["/F", file], t.path(), &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("/De[crypt]"), "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(""));
}

#[test]
fn dtexec_needs_the_password_of_a_package_encrypted_as_a_whole() {
    let t = temp_dir();
    let pkg = encrypt_fixture(t.path(), "s3.dtsx", "3;all");
    let file = pkg.to_str().unwrap();
    let (code, text) = dtexec(&["/F", file], t.path(), &[]);
    assert_eq!(code, 5, "{text}");
    assert!(
        text.contains("0xC0014037") && text.contains("The password was not specified"),
        "{text}"
    );
    let (code, text) = dtexec(&["/F", file, "/De", "nope"], t.path(), &[]);
    assert_eq!(code, 5, "{text}");
    assert_eq!(written(t.path()), None);
    let (code, text) = dtexec(&["/F", file, "/Decrypt", "all"], t.path(), &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(SECRET));
}

#[test]
fn dtutil_encrypt_and_decrypt_between_levels_and_never_half_writes() {
    let t = temp_dir();
    let s3 = encrypt_fixture(t.path(), "s3.dtsx", "EncryptAllWithPassword;one");
    let s3 = s3.to_str().unwrap();
    // 3 → 2 with a new password, then 2 → 0.
    let s2 = t.path().join("s2.dtsx");
    let out = dtutil(
        None,
        &[
            "/FILE",
            s3,
            "/Decrypt",
            "one",
            "/En",
            &format!("FILE;{};2;two", s2.display()),
        ],
    );
    let (code, text) = code_and_text(&out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("protection level 2"), "{text}");
    let s0 = t.path().join("s0.dtsx");
    let out = dtutil(
        None,
        &[
            "/FILE",
            s2.to_str().unwrap(),
            "/DECRYPT",
            "two",
            "/ENCRYPT",
            &format!("FILE;{};0", s0.display()),
        ],
    );
    assert_eq!(code_and_text(&out).0, 0, "{}", code_and_text(&out).1);
    let plain = std::fs::read_to_string(&s0).unwrap();
    assert!(plain.contains("DTS:ProtectionLevel=\"0\""));
    assert!(!plain.contains(SECRET) && !plain.contains("EncryptedData"));
    // The stripped package runs without a password (the value is simply gone).
    let (code, text) = dtexec(&["/F", s0.to_str().unwrap()], t.path(), &[]);
    assert_eq!(code, 0, "{text}");

    // Wrong or missing passwords: exit 5 and no destination file, even with /Quiet over an
    // existing one.
    let never = t.path().join("never.dtsx");
    for args in [
        vec!["/FILE", s3, "/Decrypt", "bad", "/En"],
        vec!["/FILE", s3, "/En"],
    ] {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        args.push(format!("FILE;{};0", never.display()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text) = code_and_text(&dtutil(None, &refs));
        assert_eq!(code, 5, "{text}");
        assert!(text.contains("0xC0014037"), "{text}");
        assert!(!never.exists());
    }
    let before = std::fs::read(&s0).unwrap();
    let (code, text) = code_and_text(&dtutil(
        None,
        &[
            "/FILE",
            s3,
            "/Decrypt",
            "bad",
            "/Q",
            "/En",
            &format!("FILE;{};0", s0.display()),
        ],
    ));
    assert_eq!(code, 5, "{text}");
    assert_eq!(
        std::fs::read(&s0).unwrap(),
        before,
        "the destination changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".dtsx") && n != "secret.txt")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Levels that cannot be written are command-line errors (6).
    for arg in ["FILE;x.dtsx;1;pw", "FILE;x.dtsx;3", "FILE;x.dtsx;5"] {
        let (code, text) =
            code_and_text(&dtutil(None, &["/FILE", s3, "/Decrypt", "one", "/En", arg]));
        assert_eq!(code, 6, "{arg}: {text}");
    }

    // /Decrypt with /COPY checks the password and copies byte for byte; /I re-encrypts.
    let copy = t.path().join("copy.dtsx");
    let (code, text) = code_and_text(&dtutil(
        None,
        &[
            "/FILE",
            s3,
            "/Decrypt",
            "bad",
            "/COPY",
            &format!("FILE;{}", copy.display()),
        ],
    ));
    assert_eq!(code, 5, "{text}");
    assert!(!copy.exists());
    let (code, text) = code_and_text(&dtutil(
        None,
        &[
            "/FILE",
            s3,
            "/Decrypt",
            "one",
            "/COPY",
            &format!("FILE;{}", copy.display()),
        ],
    ));
    assert_eq!(code, 0, "{text}");
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(s3).unwrap());
    let (code, text) = code_and_text(&dtutil(None, &["/FILE", copy.to_str().unwrap(), "/I"]));
    assert_eq!(code, 5, "{text}");
    let (code, text) = code_and_text(&dtutil(
        None,
        &["/FILE", copy.to_str().unwrap(), "/Decrypt", "one", "/I"],
    ));
    assert_eq!(code, 0, "{text}");
    let (code, text) = dtexec(&["/F", copy.to_str().unwrap(), "/De", "one"], t.path(), &[]);
    assert_eq!(code, 0, "{text}");
}

/// A PUT of `body` to `packages/<path>` with extra headers.
fn put(s: &Service, path: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut req = ureq::request("PUT", &s.url(&format!("packages/{path}")))
        .set("Content-Type", "application/xml");
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let r = match req.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("PUT {path}: {e}"),
    };
    let status = r.status();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
    (status, json(&bytes))
}

#[test]
fn the_service_imports_with_a_password_and_a_new_level() {
    let t = temp_dir();
    let s3 = encrypt_fixture(t.path(), "s3.dtsx", "3;old-pw");
    let bytes = std::fs::read(&s3).unwrap();
    let s = Service::start();

    // No headers: stored byte for byte, as before.
    let (code, v) = put(&s, "File%20System/Plain", &bytes, &[]);
    assert_eq!(code, 201, "{v}");
    assert_eq!(
        http(&s, "GET", "packages/File%20System/Plain", None).1,
        bytes
    );

    // A wrong password: refused with the SSIS message, nothing stored.
    let (code, v) = put(
        &s,
        "File%20System/Checked",
        &bytes,
        &[("X-SSIS-Package-Password", "wrong")],
    );
    assert_eq!(code, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("0xC0014037"),
        "{v}"
    );
    assert_eq!(
        http(&s, "HEAD", "packages/File%20System/Checked", None).0,
        404
    );
    // The right one: checked, stored as sent.
    let (code, v) = put(
        &s,
        "File%20System/Checked",
        &bytes,
        &[("X-SSIS-Package-Password", "old-pw")],
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(
        http(&s, "GET", "packages/File%20System/Checked", None).1,
        bytes
    );

    // A new level and password: re-protected before it is stored.
    let (code, v) = put(
        &s,
        "File%20System/Resealed",
        &bytes,
        &[
            ("X-SSIS-Package-Password", "old-pw"),
            ("X-SSIS-Protection-Level", "EncryptSensitiveWithPassword"),
            ("X-SSIS-New-Package-Password", "new-pw"),
        ],
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["protection_level"], "EncryptSensitiveWithPassword");
    let stored = http(&s, "GET", "packages/File%20System/Resealed", None).1;
    let stored = String::from_utf8(stored).unwrap();
    assert!(stored.contains("DTS:ProtectionLevel=\"2\"") && !stored.contains(SECRET));
    // ServerStorage is for msdb folders only.
    let (code, v) = put(
        &s,
        "File%20System/Server",
        &bytes,
        &[
            ("X-SSIS-Package-Password", "old-pw"),
            ("X-SSIS-Protection-Level", "5"),
        ],
    );
    assert_eq!(code, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap_or_default().contains("msdb"),
        "{v}"
    );

    // dtexec /DTS opens the stored package with /De.
    let (code, text) = dtexec(
        &["/DTS", "\\File System\\Resealed", "/De", "new-pw"],
        t.path(),
        &[(
            "SSISD_SERVICE__RUNTIME_DIR",
            s.runtime_dir.to_str().unwrap(),
        )],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(SECRET));

    // ssisctl import: passwords from the environment, never the command line.
    let out = Command::new(env!("CARGO_BIN_EXE_ssisctl"))
        .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
        .env_remove("SSISCTL_SERVER")
        .env("SSIS_PACKAGE_DECRYPT", "old-pw")
        .env("SSISD_NEW_PACKAGE_PASSWORD", "ctl-pw")
        .args([
            "import",
            s3.to_str().unwrap(),
            "File System/ViaCtl",
            "--decrypt",
            "--protection-level",
            "3",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (code, text) = code_and_text(&out);
    assert_eq!(code, 0, "{text}");
    let out = ssisctl(
        &s,
        &[
            "import",
            s3.to_str().unwrap(),
            "File System/NoPw",
            "--protection-level",
            "0",
        ],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "a level change without the password is refused"
    );
    // dtutil /DTS: /Decrypt from the store, /Encrypt into it.
    let back = t.path().join("back.dtsx");
    let (code, text) = code_and_text(&dtutil(
        Some(&s),
        &[
            "/DTS",
            "File System\\ViaCtl",
            "/Decrypt",
            "ctl-pw",
            "/En",
            &format!("FILE;{};0", back.display()),
        ],
    ));
    assert_eq!(code, 0, "{text}");
    assert!(std::fs::read_to_string(&back)
        .unwrap()
        .contains("ProtectionLevel=\"0\""));
    let (code, text) = code_and_text(&dtutil(
        Some(&s),
        &[
            "/FILE",
            s3.to_str().unwrap(),
            "/Decrypt",
            "old-pw",
            "/En",
            "DTS;File System\\ViaDtutil;2;dt-pw",
        ],
    ));
    assert_eq!(code, 0, "{text}");
    let (code, text) = code_and_text(&dtutil(
        Some(&s),
        &[
            "/FILE",
            s3.to_str().unwrap(),
            "/Decrypt",
            "bad",
            "/En",
            "DTS;File System\\Never;2;dt-pw",
        ],
    ));
    assert_eq!(code, 5, "{text}");
    assert_eq!(
        http(&s, "HEAD", "packages/File%20System/Never", None).0,
        404
    );

    // No password reached the event log or the service's own output.
    let events = String::from_utf8(http(&s, "GET", "events?limit=500", None).1).unwrap();
    let stderr = s.stderr();
    for pw in ["old-pw", "new-pw", "ctl-pw", "dt-pw", "wrong", "bad"] {
        assert!(!events.contains(pw), "{pw} in the event log");
        assert!(!stderr.contains(pw), "{pw} in the service's output");
    }
}

/// Corpus packages saved by SSIS, with the passwords their public sources give (the last one
/// opened with a common password).
const CORPUS: &[(&str, &str)] = &[
    ("avgrishin__Dts2008__Clean_tQUIK_Rate.dtsx", "1"),
    ("avgrishin__Dts2008__RepOrders.dtsx", "1"),
    ("rtumaykin__ssis-build__Package_221.dtsx", "ssis123"),
    ("TKAlpha__Integration_Services_1C__ZNO.dtsx", "123"),
];

#[test]
fn corpus_packages_saved_by_ssis_load_with_de() {
    let Some(dir) = support::corpus("dtsx") else {
        return;
    };
    let t = temp_dir();
    for (file, password) in CORPUS {
        let path = dir.join(file);
        let path = path.to_str().unwrap();
        // /Validate: loading is what is tested (some tasks of these packages cannot run here).
        let (code, text) = dtexec(&["/F", path, "/De", password, "/Va"], t.path(), &[]);
        assert!(code == 0 || code == 1, "{file}: {code} {text}");
        assert!(!text.contains("0xC0014037"), "{file}: {text}");
        let (code, text) = dtexec(&["/F", path, "/De", "not-it", "/Va"], t.path(), &[]);
        assert_eq!(code, 5, "{file}: {text}");
        assert!(text.contains("0xC0014037"), "{file}: {text}");
    }
}

#[test]
fn msdb_with_passwords_when_a_server_is_given() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SSISD_TEST_MSSQL is not set (dtutil and dtexec /SQL need a SQL Server)");
        return;
    };
    let (settings, user, password) = support::mssql_login(&conn);
    let t = temp_dir();
    let s3 = encrypt_fixture(t.path(), "s3.dtsx", "3;sql-pw");
    let name = format!("ssisd_protected_{}", std::process::id());
    let dest = [
        "/DestServer",
        settings.server.as_str(),
        "/DestUser",
        user.as_str(),
        "/DestPassword",
        password.as_str(),
    ];
    let source = [
        "/Server",
        settings.server.as_str(),
        "/User",
        user.as_str(),
        "/Password",
        password.as_str(),
    ];
    for (level, suffix) in [("3;sql-pw2", "all"), ("5", "server")] {
        let mut args = vec!["/FILE", s3.to_str().unwrap(), "/Decrypt", "sql-pw", "/Q"];
        let en = format!("SQL;{name}_{suffix};{level}");
        args.extend(["/En", en.as_str()]);
        args.extend(dest);
        let (code, text) = code_and_text(&dtutil(None, &args));
        assert_eq!(code, 0, "{text}");
    }
    let all = format!("{name}_all");
    let mut args = vec!["/SQL", all.as_str(), "/De", "sql-pw2"];
    args.extend(source);
    let (code, text) = dtexec(&args, t.path(), &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(written(t.path()).as_deref(), Some(SECRET));
    let server = format!("{name}_server");
    let mut args = vec!["/SQL", server.as_str()];
    args.extend(source);
    let (code, text) = dtexec(&args, t.path(), &[]);
    assert_eq!(code, 0, "ServerStorage needs no password: {text}");
    let mut args = vec!["/SQL", all.as_str(), "/De", "wrong"];
    args.extend(source);
    let (code, text) = dtexec(&args, t.path(), &[]);
    assert_eq!(code, 5, "{text}");
    for p in [&all, &server] {
        let login = [
            "/SourceServer",
            settings.server.as_str(),
            "/SourceUser",
            user.as_str(),
            "/SourcePassword",
            password.as_str(),
        ];
        let mut args = vec!["/SQL", p.as_str(), "/DELETE"];
        args.extend(login);
        let (code, text) = code_and_text(&dtutil(None, &args));
        assert_eq!(code, 0, "{text}");
    }
}
