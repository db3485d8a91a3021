//! Known vectors and round trips: packages saved by real SSIS with a known password (from the
//! shared corpus, when it is there), and our own protect → decrypt round trips for every level
//! and both ciphers, with wrong passwords refused.

use std::path::PathBuf;

use super::*;

/// Corpus packages saved by SSIS with a password, the password their public sources give
/// (or, for the last one, a common password that opened it), and what they hold.
const KNOWN: &[(&str, &str, Algorithm, bool)] = &[
    (
        "avgrishin__Dts2008__CheckBourseList.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__Clean_tQUIK_Rate.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__ConfigFiles.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__DogCancelDate.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__FondShares.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__LoadBankRests.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__LoadEtfHoldings.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__LoadExIndexMICEX.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__LoadExRateMICEXF.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__LoadExRateRTS.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "avgrishin__Dts2008__RepOrders.dtsx",
        "1",
        Algorithm::TripleDes,
        false,
    ),
    (
        "rtumaykin__ssis-build__Package_221.dtsx",
        "ssis123",
        Algorithm::TripleDes,
        false,
    ),
    (
        "TKAlpha__Integration_Services_1C__ZNO.dtsx",
        "123",
        Algorithm::Aes256,
        true,
    ),
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SSISD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
        .join("dtsx");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIPPED: corpus not found at {}", dir.display());
        None
    }
}

fn text_of(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    crate::load::decode::decode(&bytes, u64::MAX).unwrap()
}

#[test]
fn corpus_packages_saved_by_ssis_open_with_their_passwords() {
    let Some(dir) = corpus_dir() else { return };
    for (file, password, algorithm, whole) in KNOWN {
        let text = text_of(&dir.join(file));
        assert!(is_password_protected(&text), "{file}");
        let opened = decrypt(&text, &PackagePassword::new(*password))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(opened.algorithm, Some(*algorithm), "{file}");
        assert_eq!(opened.whole, *whole, "{file}");
        assert!(opened.opened >= 1, "{file}");
        assert!(
            !is_password_protected(&opened.text),
            "{file}: something is left"
        );
        let doc = decrypt::parse(&opened.text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "Executable", "{file}");
        // The plain package loads.
        crate::load::load_package(opened.text.as_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let err = decrypt(&text, &PackagePassword::new("not the password")).unwrap_err();
        assert!(
            matches!(err, ProtectionError::WrongPassword { .. }),
            "{file}: {err}"
        );
        assert_eq!(err.code(), DTS_E_PACKAGEPASSWORD);
    }
}

#[test]
fn corpus_values_land_where_ssis_had_them() {
    let Some(dir) = corpus_dir() else { return };
    // A 2008 connection manager's password comes back as its DTS:Password element.
    let t = text_of(&dir.join("avgrishin__Dts2008__Clean_tQUIK_Rate.dtsx"));
    let plain = decrypt(&t, &PackagePassword::new("1")).unwrap().text;
    assert!(plain.contains("<DTS:Password xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:Name=\"Password\" Sensitive=\"1\">"));
    // A 2012 sensitive parameter: the ParameterValue wrapper is replaced by the plain property.
    let t = text_of(&dir.join("rtumaykin__ssis-build__Package_221.dtsx"));
    let plain = decrypt(&t, &PackagePassword::new("ssis123")).unwrap().text;
    let p = crate::load::load_package(plain.as_bytes()).unwrap();
    let param = p
        .parameters
        .iter()
        .find(|p| p.name == "Parameterwere")
        .unwrap();
    assert_eq!(param.value, "2");
    assert!(param.sensitive);
}

const FORMAT8: &str = r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{11111111-0000-4000-8000-000000000001}" DTS:ExecutableType="Microsoft.Package" DTS:LastModifiedProductVersion="LMPV" DTS:ObjectName="P" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:ConnectionManagers>
    <DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[Db]" DTS:CreationName="OLEDB" DTS:DTSID="{11111111-0000-4000-8000-000000000002}" DTS:ObjectName="Db">
      <DTS:ObjectData>
        <DTS:ConnectionManager DTS:ConnectionString="Data Source=db;User ID=etl;Provider=SQLNCLI11;">
          <DTS:Password DTS:Name="Password" Sensitive="1">s3cr&amp;t</DTS:Password>
        </DTS:ConnectionManager>
      </DTS:ObjectData>
    </DTS:ConnectionManager>
  </DTS:ConnectionManagers>
  <DTS:PackageParameters>
    <DTS:PackageParameter DTS:CreationName="" DTS:DataType="8" DTS:DTSID="{11111111-0000-4000-8000-000000000003}" DTS:ObjectName="Key" DTS:Sensitive="True">
      <DTS:Property DTS:DataType="8" DTS:Name="ParameterValue">k-e-y</DTS:Property>
    </DTS:PackageParameter>
  </DTS:PackageParameters>
  <DTS:Variables />
  <DTS:Executables />
</DTS:Executable>"#;

const FORMAT3: &str = r#"<?xml version="1.0"?><DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="SSIS.Package.2">
<DTS:Property DTS:Name="PackageFormatVersion">3</DTS:Property>
<DTS:Property DTS:Name="ObjectName">Old</DTS:Property>
<DTS:Property DTS:Name="DTSID">{22222222-0000-4000-8000-000000000001}</DTS:Property>
<DTS:Property DTS:Name="CreationName">SSIS.Package.2</DTS:Property>
<DTS:Property DTS:Name="ProtectionLevel">0</DTS:Property>
<DTS:ConnectionManager><DTS:Property DTS:Name="ObjectName">Db</DTS:Property><DTS:Property DTS:Name="DTSID">{22222222-0000-4000-8000-000000000002}</DTS:Property><DTS:Property DTS:Name="CreationName">OLEDB</DTS:Property><DTS:ObjectData><DTS:ConnectionManager><DTS:Property DTS:Name="Retain">0</DTS:Property><DTS:Password DTS:Name="Password" Sensitive="1">pa55</DTS:Password><DTS:Property DTS:Name="ConnectionString">Data Source=db;User ID=u;</DTS:Property></DTS:ConnectionManager></DTS:ObjectData></DTS:ConnectionManager>
<DTS:Executable DTS:ExecutableType="Microsoft.SqlServer.Dts.Tasks.ExecutePackageTask.ExecutePackageTask, Microsoft.SqlServer.ExecPackageTask"><DTS:Property DTS:Name="ObjectName">Run</DTS:Property><DTS:ObjectData><ExecutePackageTask><PackageName>\Child</PackageName><PackagePassword Sensitive="1">child-pw</PackagePassword></ExecutePackageTask></DTS:ObjectData></DTS:Executable>
</DTS:Executable>"#;

fn level_of(text: &str) -> String {
    let doc = decrypt::parse(text).unwrap();
    let root = doc.root_element();
    root.attribute((DTS_NS, "ProtectionLevel"))
        .map(str::to_string)
        .or_else(|| {
            root.children()
                .find(|c| c.attribute((DTS_NS, "Name")) == Some("ProtectionLevel"))
                .and_then(|c| c.text())
                .map(str::to_string)
        })
        .unwrap()
}

fn fixtures() -> Vec<(String, Algorithm)> {
    vec![
        (FORMAT8.replace("LMPV", "15.0.2000.167"), Algorithm::Aes256),
        (FORMAT8.replace("LMPV", "13.0.2165.0"), Algorithm::TripleDes),
        (FORMAT3.to_string(), Algorithm::TripleDes),
    ]
}

#[test]
fn encrypt_sensitive_round_trips_with_the_ssis_cipher_of_the_version() {
    let pw = PackagePassword::new("Pa55-wörd");
    for (plain, algorithm) in fixtures() {
        assert_eq!(algorithm_for(&plain), algorithm);
        let target = Target::EncryptSensitiveWithPassword(pw.clone());
        let sealed = protect(&plain, &target, None).unwrap();
        assert!(sealed.dropped.is_empty());
        assert_eq!(level_of(&sealed.text), "2");
        for secret in ["s3cr&amp;t", "k-e-y", "pa55", "child-pw"] {
            assert!(!sealed.text.contains(secret), "{secret} left in clear");
        }
        assert!(sealed.text.contains(algorithm.uri()));
        let opened = decrypt(&sealed.text, &pw).unwrap();
        assert_eq!(opened.algorithm, Some(algorithm));
        // Back to the original, but for the level number.
        let back = opened.text.replacen(
            &format!(
                "ProtectionLevel{}2",
                if plain.contains("Name=\"ProtectionLevel\"") {
                    "\">"
                } else {
                    "=\""
                }
            ),
            &format!(
                "ProtectionLevel{}0",
                if plain.contains("Name=\"ProtectionLevel\"") {
                    "\">"
                } else {
                    "=\""
                }
            ),
            1,
        );
        let normalise = |s: &str| s.replace(" xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\"", "");
        assert_eq!(normalise(&back), normalise(&plain));
        let p = crate::load::load_package(opened.text.as_bytes()).unwrap();
        assert_eq!(p.properties.protection_level.code(), 2);
        assert!(decrypt(&sealed.text, &PackagePassword::new("wrong")).is_err());
    }
}

#[test]
fn encrypt_all_round_trips_and_keeps_the_values_inside() {
    let pw = PackagePassword::new("all");
    for (plain, algorithm) in fixtures() {
        let sealed = protect(&plain, &Target::EncryptAllWithPassword(pw.clone()), None).unwrap();
        assert!(sealed
            .text
            .starts_with("\u{feff}<?xml version=\"1.0\"?><EncryptedData "));
        let header = crate::header::read_package_header(sealed.text.as_bytes()).unwrap();
        assert!(header.encrypted);
        let opened = decrypt(&sealed.text, &pw).unwrap();
        assert!(opened.whole);
        assert_eq!(opened.algorithm, Some(algorithm));
        assert_eq!(level_of(&opened.text), "3");
        assert!(opened.text.contains("pa55") || opened.text.contains("s3cr&amp;t"));
        let err = decrypt(&sealed.text, &PackagePassword::new("other")).unwrap_err();
        assert!(err.to_string().contains("0xC0014037"), "{err}");
        let err = reprotect(sealed.text.as_bytes(), None, &Target::DontSaveSensitive).unwrap_err();
        assert_eq!(err, ProtectionError::PasswordRequired);
    }
}

#[test]
fn dont_save_sensitive_drops_values_and_server_storage_keeps_them() {
    for (plain, _) in fixtures() {
        let sealed = protect(
            &plain,
            &Target::EncryptSensitiveWithPassword(PackagePassword::new("x")),
            None,
        )
        .unwrap();
        let stripped = reprotect(
            sealed.text.as_bytes(),
            Some(&PackagePassword::new("x")),
            &Target::DontSaveSensitive,
        )
        .unwrap();
        assert_eq!(level_of(&stripped.text), "0");
        for secret in ["s3cr&amp;t", "k-e-y", "pa55", "child-pw", "EncryptedData"] {
            assert!(
                !stripped.text.contains(secret),
                "{secret}: {}",
                *stripped.text
            );
        }
        crate::load::load_package(stripped.text.as_bytes()).unwrap();
        let kept = protect(&plain, &Target::ServerStorage, None).unwrap();
        assert_eq!(level_of(&kept.text), "5");
        assert!(kept.text.contains("pa55") || kept.text.contains("s3cr&amp;t"));
    }
}

#[test]
fn user_key_values_are_dropped_and_reported() {
    let plain = FORMAT3.replace(
        "Sensitive=\"1\">pa55",
        "Sensitive=\"1\" Encrypted=\"1\">AQAAANCMnd8BFdERjHoAwE",
    );
    let sealed = protect(
        &plain,
        &Target::EncryptSensitiveWithPassword(PackagePassword::new("x")),
        None,
    )
    .unwrap();
    assert_eq!(sealed.dropped.len(), 1, "{:?}", sealed.dropped);
    assert!(!sealed.text.contains("AQAAANCM"));
}

#[test]
fn levels_are_parsed_by_number_or_name_and_user_keys_refused() {
    let pw = || Some(PackagePassword::new("p"));
    assert_eq!(Target::parse("0", None).unwrap(), Target::DontSaveSensitive);
    assert_eq!(
        Target::parse("EncryptAllWithPassword", pw())
            .unwrap()
            .level(),
        3
    );
    assert_eq!(Target::parse("5", None).unwrap(), Target::ServerStorage);
    for (level, needle) in [
        ("2", "needs a password"),
        ("1", "DPAPI"),
        ("4", "DPAPI"),
        ("9", "expected"),
    ] {
        let e = Target::parse(level, None).unwrap_err();
        assert!(e.to_string().contains(needle), "{level}: {e}");
    }
}

#[test]
fn a_plain_package_has_nothing_to_decrypt() {
    let opened = decrypt(FORMAT8, &PackagePassword::new("any")).unwrap();
    assert_eq!(opened.opened, 0);
    assert_eq!(&*opened.text, FORMAT8);
    assert!(!is_password_protected(FORMAT8));
}
