//! File System store faults, end to end: a store root renamed away or unmounted is unavailable
//! (503 naming the path) and never re-created; a read-only store (immutable directory,
//! read-only bind mount) serves reads, answers 503 to writes and recovers by itself; a folder
//! deleted while packages are written into it answers only documented 4xx codes; a listing
//! answered again never hides a change made by hand. Tests that need root (mounts, `chattr`)
//! print SKIPPED otherwise.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{http, is_root, json, small_package, temp_dir, Options, Service};

fn config(dir: &Path, folders: &[(&str, &Path)]) -> std::path::PathBuf {
    let mut text = String::from("[supervision]\nhealth_check_seconds = 0.2\n\n");
    for (name, store) in folders {
        text.push_str(&format!(
            "[[folder]]\nkind = \"file-system\"\nname = \"{name}\"\nstore_path = \"{}\"\n\n",
            store.display()
        ));
    }
    let path = dir.join("ssisd.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn start(dir: &Path, folders: &[(&str, &Path)]) -> Service {
    let config = config(dir, folders);
    let s = Service::spawn(
        dir,
        &Options {
            config: Some(config),
            env: vec![],
        },
    )
    .unwrap();
    wait_state(&s, "File System", "available");
    s
}

fn wait_state(s: &Service, folder: &str, state: &str) {
    Service::eventually(Duration::from_secs(10), || {
        (s.folder_state(folder).as_deref() == Some(state)).then_some(())
    });
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn message(body: &[u8]) -> String {
    json(body)["message"].as_str().unwrap_or("").to_string()
}

#[test]
fn a_store_renamed_away_is_unavailable_and_not_recreated_until_it_is_back() {
    let temp = temp_dir();
    let store = temp.path().join("pk");
    let s = start(temp.path(), &[("File System", &store)]);
    let pkg = small_package("Load");
    assert_eq!(
        http(&s, "PUT", "packages/File%20System/Load", Some(&pkg)).0,
        201
    );
    std::fs::rename(&store, temp.path().join("pk-away")).unwrap();
    // Requests find out at once; the health probe too.
    let (code, body) = http(&s, "GET", "packages/File%20System/Load", None);
    assert_eq!(code, 503, "{}", String::from_utf8_lossy(&body));
    let why = message(&body);
    assert!(
        why.contains(&store.display().to_string()) && why.contains("missing"),
        "{why}"
    );
    let (code, _) = http(&s, "PUT", "packages/File%20System/New", Some(&pkg));
    assert_eq!(code, 503);
    wait_state(&s, "File System", "unavailable");
    std::thread::sleep(Duration::from_millis(800));
    assert!(!store.exists(), "a used store root must not be re-created");
    assert_eq!(http(&s, "GET", "folders/File%20System", None).0, 503);

    std::fs::rename(temp.path().join("pk-away"), &store).unwrap();
    wait_state(&s, "File System", "available");
    assert_eq!(
        http(&s, "GET", "packages/File%20System/Load", None).1,
        pkg,
        "the package is there again, no reload needed"
    );
}

#[test]
fn an_unmounted_store_is_unavailable_and_nothing_is_written_to_the_mount_point() {
    if !is_root() {
        println!("SKIPPED: mounting needs root");
        return;
    }
    let temp = temp_dir();
    let disk = temp.path().join("disk");
    let mount_point = temp.path().join("mnt");
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&mount_point).unwrap();
    run(
        "mount",
        &[
            "--bind",
            disk.to_str().unwrap(),
            mount_point.to_str().unwrap(),
        ],
    );
    let unmount = Unmount(mount_point.clone());
    // One folder is the mount point itself, one lies below it.
    let below = mount_point.join("packages");
    let s = start(
        temp.path(),
        &[("File System", &mount_point), ("Below", &below)],
    );
    wait_state(&s, "Below", "available");
    let pkg = small_package("Nightly");
    for top in ["File%20System", "Below"] {
        assert_eq!(
            http(&s, "PUT", &format!("packages/{top}/Nightly"), Some(&pkg)).0,
            201
        );
    }
    drop(unmount);
    for (top, name) in [("File%20System", "File System"), ("Below", "Below")] {
        let (code, body) = http(&s, "GET", &format!("packages/{top}/Nightly"), None);
        assert_eq!(code, 503, "{top}: {}", String::from_utf8_lossy(&body));
        let (code, body) = http(&s, "PUT", &format!("packages/{top}/Other"), Some(&pkg));
        assert_eq!(code, 503, "{top}: {}", String::from_utf8_lossy(&body));
        wait_state(&s, name, "unavailable");
    }
    std::thread::sleep(Duration::from_millis(800));
    let written: Vec<_> = std::fs::read_dir(&mount_point)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        written.is_empty(),
        "nothing may be written to the bare mount point: {written:?}"
    );

    run(
        "mount",
        &[
            "--bind",
            disk.to_str().unwrap(),
            mount_point.to_str().unwrap(),
        ],
    );
    let _unmount = Unmount(mount_point.clone());
    wait_state(&s, "File System", "available");
    wait_state(&s, "Below", "available");
    for top in ["File%20System", "Below"] {
        assert_eq!(
            http(&s, "GET", &format!("packages/{top}/Nightly"), None).1,
            pkg
        );
    }
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

struct Mutable(std::path::PathBuf);

impl Drop for Mutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// Writes are refused with 503 naming the cause, reads work, and the folder is writable again
/// by itself once the cause is gone.
fn read_only_round(s: &Service, cause: &str, make: impl FnOnce() -> Box<dyn std::any::Any>) {
    let pkg = small_package("Kept");
    let (code, _) = http(
        s,
        "PUT",
        "packages/File%20System/Kept?overwrite=true",
        Some(&pkg),
    );
    assert!(code == 201 || code == 200);
    let guard = make();
    let (code, body) = http(s, "PUT", "packages/File%20System/New", Some(&pkg));
    assert_eq!(code, 503, "{cause}: {}", String::from_utf8_lossy(&body));
    let why = message(&body);
    assert!(
        why.contains("read-only") || why.contains("refuses changes"),
        "{why}"
    );
    assert_eq!(
        http(s, "DELETE", "packages/File%20System/Kept", None).0,
        503
    );
    assert_eq!(http(s, "GET", "packages/File%20System/Kept", None).1, pkg);
    assert_eq!(http(s, "GET", "folders/File%20System", None).0, 200);
    wait_state(s, "File System", "read-only");
    drop(guard);
    wait_state(s, "File System", "available");
    assert_eq!(
        http(s, "PUT", "packages/File%20System/New", Some(&pkg)).0,
        201,
        "{cause}: writable again without a reload"
    );
    assert_eq!(http(s, "DELETE", "packages/File%20System/New", None).0, 204);
}

#[test]
fn a_read_only_store_serves_reads_answers_503_to_writes_and_recovers_by_itself() {
    if !is_root() {
        println!("SKIPPED: chattr and read-only bind mounts need root");
        return;
    }
    let temp = temp_dir();
    let store = temp.path().join("pk");
    let s = start(temp.path(), &[("File System", &store)]);
    let path = store.clone();
    read_only_round(&s, "chattr +i", move || {
        run("chattr", &["+i", path.to_str().unwrap()]);
        Box::new(Mutable(path))
    });
    let path = store.clone();
    read_only_round(&s, "read-only bind mount", move || {
        let p = path.to_str().unwrap();
        run("mount", &["--bind", p, p]);
        run("mount", &["-o", "remount,bind,ro", p]);
        Box::new(Unmount(path))
    });
    let codes = s.event_codes(500);
    assert!(codes.contains(&1016) && codes.contains(&1015), "{codes:?}");
    assert!(
        !codes.contains(&1012) && !codes.contains(&1013),
        "no restarts, no failure: {codes:?}"
    );
}

#[test]
fn deleting_a_folder_while_packages_are_written_into_it_answers_only_documented_codes() {
    let s = Service::start();
    let pkg = small_package("P");
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..5 {
        let recursive = round % 2 == 0;
        assert_eq!(http(&s, "POST", "folders/File%20System/Race", None).0, 201);
        let writers: Vec<_> = (0..100)
            .map(|i| {
                let url = s.url(&format!("packages/File%20System/Race/P{i}"));
                let pkg = pkg.clone();
                std::thread::spawn(move || support::request(&url, "PUT", Some(&pkg)))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(5 * round));
        let delete = if recursive {
            "folders/File%20System/Race?recursive=true"
        } else {
            "folders/File%20System/Race"
        };
        let (code, body) = http(&s, "DELETE", delete, None);
        *seen.entry(code).or_default() += 1;
        let allowed: &[u16] = if recursive { &[204] } else { &[204, 409] };
        assert!(
            allowed.contains(&code),
            "round {round}: DELETE answered {code}: {}",
            String::from_utf8_lossy(&body)
        );
        for w in writers {
            let (code, body) = w.join().unwrap();
            *seen.entry(code).or_default() += 1;
            assert!(
                code == 201 || code == 404,
                "round {round}: PUT answered {code}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        // Whatever was left is removed before the next round.
        let _ = http(
            &s,
            "DELETE",
            "folders/File%20System/Race?recursive=true",
            None,
        );
    }
    println!("answers over 5 rounds: {seen:?}");
    assert!(seen.keys().all(|c| *c < 500), "{seen:?}");
    // The owner records hold no package of the deleted folder.
    let db = rusqlite::Connection::open(s.data_dir.join("owners.db")).unwrap();
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM owners WHERE path LIKE 'Race/%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

/// A listing answered again from the last one must never hide a change made behind the
/// service's back: a package written, edited in place, renamed or removed by hand, a subfolder
/// made by hand, and a folder whose parent was renamed away and made again.
#[test]
fn listings_follow_changes_made_by_hand_behind_the_service() {
    let t = temp_dir();
    let store = t.path().join("store");
    std::fs::create_dir_all(store.join("Sales")).unwrap();
    let s = start(t.path(), &[("File System", &store)]);
    let names = |s: &Service| -> Vec<String> {
        let (code, body) = http(s, "GET", "folders/File%20System/Sales", None);
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let v = json(&body);
        let mut out: Vec<String> = v["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{}/", f["name"].as_str().unwrap()))
            .collect();
        out.extend(v["packages"].as_array().unwrap().iter().map(|p| {
            format!(
                "{}:{}",
                p["name"].as_str().unwrap(),
                p["object_name"].as_str().unwrap_or("")
            )
        }));
        out
    };
    assert!(names(&s).is_empty());
    assert!(names(&s).is_empty(), "answered again");
    let file = store.join("Sales").join("Load.dtsx");
    std::fs::write(&file, small_package("First")).unwrap();
    assert_eq!(names(&s), ["Load:First"]);
    assert_eq!(names(&s), ["Load:First"]);
    // Edited in place (an editor that does not replace the file).
    {
        use std::io::{Seek, Write};
        let mut h = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        let body = small_package("Other");
        h.seek(std::io::SeekFrom::Start(0)).unwrap();
        h.write_all(&body).unwrap();
        h.set_len(body.len() as u64).unwrap();
    }
    assert_eq!(names(&s), ["Load:Other"]);
    std::fs::rename(&file, store.join("Sales").join("Daily.dtsx")).unwrap();
    assert_eq!(names(&s), ["Daily:Other"]);
    std::fs::create_dir(store.join("Sales").join("Q1")).unwrap();
    assert_eq!(names(&s), ["Q1/", "Daily:Other"]);
    std::fs::remove_file(store.join("Sales").join("Daily.dtsx")).unwrap();
    assert_eq!(names(&s), ["Q1/"]);
    // The folder is moved away by hand and another made in its place.
    std::fs::rename(store.join("Sales"), store.join("Old")).unwrap();
    std::fs::create_dir(store.join("Sales")).unwrap();
    std::fs::write(store.join("Sales").join("New.dtsx"), small_package("New")).unwrap();
    assert_eq!(names(&s), ["New:New"]);
    std::fs::write(store.join("Old").join("Ignored.dtsx"), small_package("X")).unwrap();
    assert_eq!(names(&s), ["New:New"]);
}
