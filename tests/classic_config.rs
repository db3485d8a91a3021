//! Classic `MsDtsSrvr.ini.xml` files as Windows writes them, derived in a temporary directory
//! from the shared corpus (which is never changed): saved as UTF-16 with a byte-order mark
//! (Notepad's "Unicode", little- and big-endian), as UTF-8 with a mark, with CRLF line ends —
//! each must give the same effective configuration as the original — and with a top-level
//! folder named after an instance (`MSDB ETL01\INST2`), which must load unchanged and be
//! reachable through the API, `ssisctl` and `dtutil` by its name.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{dtutil, http, json, small_package, ssisctl, temp_dir, Options, Service};

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once(0xFEFF_u16)
        .chain(text.encode_utf16())
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// `ssisd --check-config --config FILE`: exit code and standard output, or the error.
fn check_config(file: &Path) -> (i32, String) {
    let out = Command::new(support::ssisd_bin())
        .env_remove("SSISD_CONFIG")
        .arg("--check-config")
        .arg("--config")
        .arg(file)
        .output()
        .unwrap();
    let text = if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    (out.status.code().unwrap_or(-1), text)
}

/// A copy of the corpus file at `DTS/Binn/MsDtsSrvr.ini.xml` in `dir` (so `..\Packages` lands
/// inside it), written as `bytes`.
fn place(dir: &Path, bytes: &[u8]) -> PathBuf {
    let binn = dir.join("DTS").join("Binn");
    std::fs::create_dir_all(&binn).unwrap();
    let file = binn.join("MsDtsSrvr.ini.xml");
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn windows_encodings_of_the_corpus_files_load_unchanged() {
    let Some(files) = support::corpus_files("msdtssrvr", ".xml") else {
        return;
    };
    assert!(!files.is_empty());
    for original in files {
        let text = std::fs::read_to_string(&original).unwrap();
        let dir = temp_dir();
        let file = place(dir.path(), text.as_bytes());
        let (code, expected) = check_config(&file);
        assert_eq!(code, 0, "{}: {expected}", original.display());
        let crlf = text.replace('\n', "\r\n");
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice(crlf.as_bytes());
        // What Visual Studio writes when told to save as Unicode: the declaration follows.
        let declared = crlf.replace("encoding=\"utf-8\"", "encoding=\"utf-16\"");
        let variants: [(&str, Vec<u8>); 5] = [
            (
                "UTF-16LE with BOM (Notepad \"Unicode\")",
                utf16(&crlf, false),
            ),
            ("UTF-16BE with BOM", utf16(&crlf, true)),
            ("UTF-16LE declaring utf-16", utf16(&declared, false)),
            ("UTF-8 with BOM", utf8_bom),
            ("CRLF", crlf.clone().into_bytes()),
        ];
        for (what, bytes) in variants {
            place(dir.path(), &bytes);
            let (code, got) = check_config(&file);
            assert_eq!(code, 0, "{what} of {}: {got}", original.display());
            assert_eq!(got, expected, "{what} of {}", original.display());
        }
        // Bytes that are no text in the encoding the mark names: the error says where.
        let mut broken = utf16(&crlf, false);
        broken.truncate(41);
        place(dir.path(), &broken);
        let (code, got) = check_config(&file);
        assert_eq!(code, 2, "{got}");
        assert!(got.contains("not UTF-16LE text (byte 40)"), "{got}");
    }
}

/// The corpus's default file with folders named after instances, as a server with several
/// instances has them: `MSDB ETL01\INST2` on the local instance INST2, and two File System folders whose
/// names differ only by the instance part (so the longest match decides).
fn with_instance_folders(text: &str) -> String {
    let extra = r#"    <Folder xsi:type="SqlServerFolder">
      <Name>MSDB ETL01\INST2</Name>
      <ServerName>.\INST2</ServerName>
    </Folder>
    <Folder xsi:type="FileSystemFolder">
      <Name>Files ETL01</Name>
      <StorePath>..\PackagesETL01</StorePath>
    </Folder>
    <Folder xsi:type="FileSystemFolder">
      <Name>Files ETL01\INST2</Name>
      <StorePath>..\PackagesINST2</StorePath>
    </Folder>
  </TopLevelFolders>"#;
    let out = text.replace("  </TopLevelFolders>", extra);
    assert_ne!(out, text, "the corpus file has a TopLevelFolders element");
    out
}

#[test]
fn instance_names_with_a_backslash_load_and_are_addressed_by_longest_match() {
    let Some(files) = support::corpus_files("msdtssrvr", "default.ini.xml") else {
        return;
    };
    let original = std::fs::read_to_string(&files[0]).unwrap();
    let temp = temp_dir();
    // Saved by Notepad as "Unicode": both defects of the classic file at once.
    let config = place(
        temp.path(),
        &utf16(&with_instance_folders(&original), false),
    );
    let (code, shown) = check_config(&config);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(r"name = 'MSDB ETL01\INST2'"), "{shown}");
    assert!(shown.contains(r"server = '.\INST2'"), "{shown}");

    let dts_dir = temp.path().join("DTS");
    let s = Service::start_in(
        temp,
        Options {
            config: Some(config),
            env: vec![],
        },
    );
    Service::eventually(Duration::from_secs(5), || {
        (s.folder_state("Files ETL01\\INST2").as_deref() == Some("available")).then_some(())
    });
    // The API lists every folder with the URL that addresses it.
    let (code, body) = http(&s, "GET", "folders", None);
    assert_eq!(code, 200);
    let folders = json(&body)["folders"].as_array().cloned().unwrap();
    let url_of = |name: &str| {
        folders
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["url"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(
        url_of("MSDB ETL01\\INST2").as_deref(),
        Some("/api/v1/folders/MSDB%20ETL01%5CINST2")
    );
    assert_eq!(
        url_of("Files ETL01\\INST2").as_deref(),
        Some("/api/v1/folders/Files%20ETL01%5CINST2")
    );
    // Loaded unchanged: there is no SQL Server instance INST2 here, so it is unavailable.
    Service::eventually(Duration::from_secs(30), || {
        (s.folder_state("MSDB ETL01\\INST2").as_deref() == Some("unavailable")).then_some(())
    });

    // ssisctl: the backslash path goes into the longest top-level name that matches.
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(ssisctl(&s, &["mkdir", r"\Files ETL01\INST2\Sales"]));
    assert!(dts_dir.join("PackagesINST2").join("Sales").is_dir());
    assert!(!dts_dir.join("PackagesETL01").join("INST2").exists());
    let package = s.dir.join("Load.dtsx");
    std::fs::write(&package, small_package("Load")).unwrap();
    ok(ssisctl(
        &s,
        &[
            "import",
            package.to_str().unwrap(),
            r"Files ETL01\INST2\Sales",
        ],
    ));
    assert!(dts_dir.join("PackagesINST2/Sales/Load.dtsx").is_file());
    let listed = ok(ssisctl(&s, &["ls", r"\files etl01\inst2\Sales"]));
    assert!(listed.contains("Load"), "{listed}");
    // Written with /, the backslash is not there to match: INST2 is a folder of "Files ETL01".
    ok(ssisctl(&s, &["mkdir", "Files ETL01/INST2"]));
    assert!(dts_dir.join("PackagesETL01").join("INST2").is_dir());

    // The URL names it as one segment.
    let (code, body) = http(&s, "GET", "folders/Files%20ETL01%5CINST2/Sales", None);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    // Request bodies use the same rule as the client.
    let (code, body) = http(
        &s,
        "POST",
        "copy",
        Some(br#"{"from": "\\Files ETL01\\INST2\\Sales\\Load", "to": "File System/Load"}"#),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    // dtutil /DTS too.
    let out = dtutil(
        Some(&s),
        &["/DTS", r"Files ETL01\INST2\Sales\Load", "/EXISTS"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
