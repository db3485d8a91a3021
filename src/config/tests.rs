//! Tests of loading, checking and printing the configuration, through `load_with_env`.

use super::*;
#[allow(unused_imports)]
use ssisd_stores::msdb::settings::{Authentication, Encrypt, PasswordSource};
#[allow(unused_imports)]
use ssisd_stores::{FolderLocation, FolderSpec, SqlServerFolder};

mod general {
    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn embedded_default_has_msdb_on_the_local_instance_and_a_file_system_folder() {
        let c = load_with_env(None, no_env()).unwrap();
        assert_eq!(c.origin, ConfigOrigin::Embedded);
        assert_eq!(c.listen.port(), DEFAULT_PORT);
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.folders.len(), 2);
        assert_eq!(c.folders[0].name, "MSDB");
        let FolderLocation::SqlServer(msdb) = &c.folders[0].location else {
            panic!("{:?}", c.folders[0]);
        };
        assert_eq!(msdb.server, ".");
        assert_eq!(msdb.database, "msdb");
        assert_eq!(c.folders[1].name, "File System");
        assert_eq!(
            c.folders[1].location,
            FolderLocation::FileSystem {
                store_path: c.data_dir.join("Packages"),
                create: Default::default(),
            }
        );
        assert!(c.stop_executing_packages_on_shutdown);
    }

    #[test]
    fn toml_with_relative_paths_and_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "ssisd.toml",
            r#"
[service]
listen = "127.0.0.1:9000"
data_dir = "data"
stop_executing_packages_on_shutdown = false

[[folder]]
kind = "file-system"
name = "Files"
store_path = "pk"

[[folder]]
kind = "sql-server"
name = "MSDB"
server = "."
"#,
        );
        let env = vec![
            (
                "SSISD_SERVICE__LISTEN".to_string(),
                "127.0.0.1:9100".to_string(),
            ),
            ("SSISD_EVENT_LOG__RETENTION".to_string(), "77".to_string()),
            ("SSISD_CONFIG".to_string(), "/ignored".to_string()),
            ("SSISD_TEST_MSSQL".to_string(), "x".to_string()),
        ];
        let c = load_with_env(Some(&p), env).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.sections["event_log"]["retention"], 77);
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert!(!c.stop_executing_packages_on_shutdown);
        assert_eq!(
            c.folders[0].location,
            FolderLocation::FileSystem {
                store_path: dir.path().join("pk"),
                create: Default::default(),
            }
        );
        assert_eq!(c.folders[1].kind(), "sql-server");
        let printed = c.to_toml();
        assert!(
            printed.contains("9100")
                && printed.contains("[[folder]]")
                && printed.contains("[event_log]\nretention = 77"),
            "{printed}"
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[service]\nlisten = \"nope\"\n", "service.listen"),
            ("[service]\nlisten = \"10.1.2.3:80\"\n", "needs TLS"),
            ("[service]\nlisen = \"127.0.0.1:1\"\n", "lisen"),
            ("[service\n", "not valid TOML"),
            ("[service]\nstop_executing_packages_on_shutdown = \"maybe\"\n", "stop_executing_packages_on_shutdown"),
            ("[service]\nuser = \"root\"\n", "service.user"),
            ("[access]\nlocal_role = \"boss\"\n", "access.local_role"),
            ("[[folder]]\nkind = \"ftp\"\nname = \"x\"\n", "ftp"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"x\"\n", "store_path"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"a/b\"\nstore_path = \"p\"\n", "not allowed"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"A\"\nstore_path = \"p\"\n[[folder]]\nkind = \"file-system\"\nname = \"a\"\nstore_path = \"q\"\n", "unique"),
            ("[evnt_log]\nretention = 5\n", "key `evnt_log`: is not a section"),
            ("[event_log]\nretention = 0\n", "key `event_log.retention`: must be at least 1"),
            ("[event_log]\nkeep = 0\n", "unknown field `keep`"),
        ];
        for (text, needle) in cases {
            let p = write(dir.path(), "bad.toml", text);
            let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?} gave: {e}");
            assert!(e.contains("bad.toml"), "{text:?} gave: {e}");
        }
        let e = load_with_env(Some(&dir.path().join("absent.toml")), no_env()).unwrap_err();
        assert!(matches!(e, ConfigError::Missing(_)));
        assert_eq!(e.ssis_event_code(), 272);
    }

    #[test]
    fn sql_server_folder_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "msdb.toml",
            r#"
[[folder]]
kind = "sql-server"
name = "Sales MSDB"
server = "tcp:sql01\\SALES,1533"
database = "ssis_store"
user = "ssis_svc"
password_file = "secrets/msdb.pw"
encrypt = "optional"
ca_file = "ca.pem"
install_compat_schema = true
pool_size = 8
connect_timeout_seconds = 2.5

[[folder]]
kind = "sql-server"
name = "Local"
server = "."
user = "sa"
password_env = "MSDB_PASSWORD"
trust_server_certificate = true
encrypt = "off"
"#,
        );
        let c = load_with_env(Some(&p), no_env()).unwrap();
        let FolderLocation::SqlServer(a) = &c.folders[0].location else {
            panic!()
        };
        assert_eq!(a.server, "tcp:sql01\\SALES,1533");
        assert_eq!(a.database, "ssis_store");
        assert_eq!(a.user.as_deref(), Some("ssis_svc"));
        assert_eq!(
            a.password,
            PasswordSource::File(dir.path().join("secrets/msdb.pw"))
        );
        assert_eq!(a.encrypt, Encrypt::Optional);
        assert_eq!(a.ca_file, Some(dir.path().join("ca.pem")));
        assert!(a.install_compat_schema && !a.trust_server_certificate);
        assert_eq!((a.pool_size, a.connect_timeout_ms), (8, 2500));
        let FolderLocation::SqlServer(b) = &c.folders[1].location else {
            panic!()
        };
        assert_eq!(b.password, PasswordSource::Env("MSDB_PASSWORD".into()));
        assert_eq!(
            (b.encrypt, b.trust_server_certificate),
            (Encrypt::Off, true)
        );
        assert_eq!(b.database, "msdb");
        assert_eq!(c.folders[1].location_text(), ".");
        assert_eq!(
            c.folders[0].location_text(),
            "tcp:sql01\\SALES,1533 (database ssis_store)"
        );

        // The effective configuration shows where the password is, and reloads identically.
        let printed = c.to_toml();
        assert!(
            printed.contains("password_env = \"MSDB_PASSWORD\""),
            "{printed}"
        );
        assert!(printed.contains("msdb.pw"), "{printed}");
        let again = write(dir.path(), "again.toml", &printed);
        let c2 = load_with_env(Some(&again), no_env()).unwrap();
        assert_eq!(c2.folders, c.folders);
    }

    #[test]
    fn sql_server_folder_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let base = "[[folder]]\nkind = \"sql-server\"\nname = \"M\"\nserver = \".\"\n";
        let cases = [
            ("password = \"hunter2\"\n", "`password` is not accepted"),
            ("authentication = \"integrated\"\n", "GSSAPI"),
            ("authentication = \"windows\"\n", "`authentication`"),
            (
                "user = \"u\"\npassword_file = \"a\"\npassword_env = \"B\"\n",
                "exclude each other",
            ),
            ("password_env = \"B\"\n", "`user` is missing"),
            ("encrypt = \"always\"\n", "`encrypt`"),
            ("ca_file = \"ca.txt\"\n", ".pem"),
            (
                "ca_file = \"ca.pem\"\ntrust_server_certificate = true\n",
                "exclude each other",
            ),
            ("pool_size = 0\n", "`pool_size`"),
            (
                "connect_timeout_seconds = -1\n",
                "`connect_timeout_seconds`",
            ),
            ("databse = \"x\"\n", "databse"),
        ];
        for (extra, needle) in cases {
            let p = write(dir.path(), "bad.toml", &format!("{base}{extra}"));
            let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
            assert!(e.contains(needle), "{extra:?} gave: {e}");
            assert!(!e.contains("hunter2"), "a password is never repeated: {e}");
        }
        let p = write(
            dir.path(),
            "bad.toml",
            "[[folder]]\nkind = \"sql-server\"\nname = \"M\"\nserver = \"np:pipe\"\n",
        );
        let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
        assert!(e.contains("named pipes"), "{e}");
        let p = write(
            dir.path(),
            "bad.toml",
            "[[folder]]\nkind = \"file-system\"\nname = \"F\"\nstore_path = \"p\"\ndatabase = \"x\"\n",
        );
        let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
        assert!(e.contains("`database` belongs to kind"), "{e}");
    }

    #[test]
    fn corpus_msdtssrvr_files_load() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/msdtssrvr");
        let Ok(entries) = std::fs::read_dir(&corpus) else {
            println!("SKIPPED: corpus not found at {}", corpus.display());
            return;
        };
        let mut n = 0;
        for e in entries {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".xml") {
                let c = load_with_env(Some(&p), no_env())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(matches!(c.origin, ConfigOrigin::MsDtsSrvr(_)));
                assert_eq!(c.folders.len(), 2);
                n += 1;
            }
        }
        assert!(n >= 2);
    }
}

mod shipped_files {
    use super::*;

    #[test]
    fn the_shipped_configuration_files_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let toml = load_with_env(Some(&dir.join("ssisd.toml")), Vec::new()).unwrap();
        assert_eq!(toml.listen.port(), DEFAULT_PORT);
        assert_eq!(
            toml.folders.len(),
            2,
            "the commented TOML gives the default folders (MSDB and File System)"
        );
        let xml = load_with_env(Some(&dir.join("MsDtsSrvr.ini.xml")), Vec::new()).unwrap();
        assert_eq!(xml.folders.len(), 2);
        assert_eq!(
            xml.folders[1].location,
            FolderLocation::FileSystem {
                store_path: Path::new(env!("CARGO_MANIFEST_DIR")).join("Packages"),
                create: Default::default(),
            }
        );
    }
}

mod runner_user {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn runner_user_from_the_environment_and_its_checks() {
        let c = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "ssisd-run"),
            ]),
        )
        .unwrap();
        assert_eq!(c.runner_user.as_deref(), Some("ssisd-run"));
        assert_eq!(c.run_as, None, "resolved by the service at start, not here");
        assert!(c.to_toml().contains("runner_user = \"ssisd-run\""));
        let mut later = c.clone();
        later.runner_user = Some("other".into());
        assert!(c
            .restart_only_differences(&later)
            .contains(&"service.runner_user"));

        let e = load_with_env(None, env(&[("SSISD_SERVICE__RUNNER_USER", "ssisd-run")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("service.runner_user") && e.contains("service.user"),
            "{e}"
        );
        let e = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "root"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("service.runner_user") && e.contains("root"),
            "{e}"
        );
        let same = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "ssisd"),
            ]),
        )
        .unwrap();
        assert!(
            same.warnings.iter().any(|w| w.contains("runner_user")),
            "{:?}",
            same.warnings
        );
    }

    #[test]
    fn runners_do_not_inherit_msdb_password_variables() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ssisd.toml");
        std::fs::write(
            &p,
            "[[folder]]\nkind = \"sql-server\"\nname = \"MSDB\"\nserver = \".\"\nuser = \"u\"\npassword_env = \"MSDB_PASSWORD\"\n",
        )
        .unwrap();
        let c = load_with_env(Some(&p), Vec::new()).unwrap();
        assert_eq!(c.plan().runs.hidden_env, ["MSDB_PASSWORD"]);
    }
}

mod effective_configuration {
    use super::*;

    /// `--check-config` prints the checked configuration itself: loaded back, it is the same.
    #[test]
    fn the_printed_configuration_loads_back_to_the_same_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.toml");
        std::fs::write(
            &first,
            "[service]\nlisten = \"127.0.0.1:9200\"\ndata_dir = \"data\"\n[event_log]\nretention = 500\n[[folder]]\nkind = \"file-system\"\nname = \"Packages\"\nstore_path = \"pk\"\n",
        )
        .unwrap();
        let c = load_with_env(Some(&first), Vec::new()).unwrap();
        let printed = c.to_toml();
        let second = dir.path().join("second.toml");
        std::fs::write(&second, &printed).unwrap();
        let again = load_with_env(Some(&second), Vec::new()).unwrap();
        assert_eq!(again.plan(), c.plan(), "{printed}");
        assert_eq!(
            again.to_toml().lines().skip(1).collect::<Vec<_>>(),
            printed.lines().skip(1).collect::<Vec<_>>()
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap()["event_log"]["retention"],
            500
        );
    }
}

mod executors {
    use super::*;

    fn load_text(text: &str) -> Result<ServiceConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ssisd.toml");
        std::fs::write(&p, text).unwrap();
        load_with_env(Some(&p), Vec::new())
    }

    #[test]
    fn executors_are_checked_named_and_printed_back() {
        let c = load_text(
            r#"
[[executor]]
name = "cluster"
kind = "slurm"
capacity = 20
partition = "etl"
sbatch_options = ["--mem=2G"]
"#,
        )
        .unwrap();
        let names: Vec<&str> = c.executors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["local", "cluster"]);
        assert_eq!(c.executors[1].capacity, Some(20));
        assert_eq!(c.plan().runs.executors, c.executors);
        let printed = c.to_toml();
        assert!(printed.contains("[[executor]]"), "{printed}");
        assert!(printed.contains("partition = \"etl\""), "{printed}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("again.toml");
        std::fs::write(&p, printed.as_bytes()).unwrap();
        let again = load_with_env(Some(&p), Vec::new()).unwrap();
        assert_eq!(again.executors, c.executors);
    }

    #[test]
    fn bad_executors_are_refused_with_the_key_and_what_to_do() {
        for (text, key, words) in [
            (
                "[[executor]]\nname = \"k\"\nkind = \"kubernetes-ish\"\n",
                "executor[0].kind",
                "known kinds: local, slurm, kubernetes",
            ),
            (
                "[[executor]]\nkind = \"slurm\"\n",
                "executor[0].name",
                "is missing",
            ),
            (
                "[[executor]]\nname = \"c\"\nkind = \"slurm\"\npartion = \"x\"\n",
                "executor[0] (c)",
                "unknown field `partion`",
            ),
            (
                "[[executor]]\nname = \"c\"\nkind = \"slurm\"\ncapacity = 0\n",
                "executor[0].capacity",
                "at least 1",
            ),
            (
                "[[schedule]]\nname = \"n\"\npackage = \"File System/A\"\ncron = \"0 3 * * *\"\nexecutor = \"cluster\"\n",
                "schedule[0].executor",
                "no executor named \"cluster\" (configured: local)",
            ),
        ] {
            let e = load_text(text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(words), "{text}: {e}");
        }
    }
}

mod folder_executors {
    use super::*;

    #[test]
    fn a_folder_names_its_default_executor() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ssisd.toml");
        std::fs::write(
            &p,
            r#"
[[executor]]
name = "cluster"
kind = "slurm"

[[folder]]
kind = "file-system"
name = "Nightly"
store_path = "nightly"
executor = "cluster"

[[folder]]
kind = "file-system"
name = "File System"
store_path = "packages"
"#,
        )
        .unwrap();
        let c = load_with_env(Some(&p), Vec::new()).unwrap();
        let runs = c.plan().runs;
        assert_eq!(runs.default_executor("\\Nightly\\Load"), "cluster");
        assert_eq!(runs.default_executor("\\nightly\\ETL\\Load"), "cluster");
        assert_eq!(runs.default_executor("\\File System\\Load"), "local");
        assert!(c.to_toml().contains("executor = \"cluster\""));

        std::fs::write(
            &p,
            "[[folder]]\nkind = \"file-system\"\nname = \"A\"\nstore_path = \"a\"\nexecutor = \"nope\"\n",
        )
        .unwrap();
        let e = load_with_env(Some(&p), Vec::new()).unwrap_err().to_string();
        assert!(
            e.contains("folder[0].executor") && e.contains("no executor named \"nope\""),
            "{e}"
        );
    }
}
