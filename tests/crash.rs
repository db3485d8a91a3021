//! The crash test: workers import, replace, rename, copy and move packages (between two
//! top-level folders) and create, rename and delete folders, concurrently, while the service is
//! killed with SIGKILL at random moments. After each restart every acknowledged change must be
//! there, the one change each worker had in flight must be either fully done or not at all (no
//! package in two places, no half-moved folder), and the owner records must name exactly the
//! packages on disk. Bounded: a fixed number of kills, each after a short random load.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{json, temp_dir, Options, Service};

const KILLS: u64 = 12;
const WORKERS: usize = 4;
const TOPS: [&str; 2] = ["File System", "Archive"];

/// What one worker owns: packages (top-level folder, path → bytes) and folders.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
struct Model {
    packages: BTreeMap<(String, String), Vec<u8>>,
    folders: BTreeSet<(String, String)>,
}

/// A change a worker asks for; applied to the model when acknowledged.
#[derive(Clone, Debug)]
enum Op {
    Put {
        top: String,
        path: String,
        bytes: Vec<u8>,
    },
    Rename {
        top: String,
        from: String,
        to: String,
    },
    Transfer {
        from: (String, String),
        to: (String, String),
        remove: bool,
    },
    MakeFolder {
        top: String,
        path: String,
    },
    RenameFolder {
        top: String,
        from: String,
        to: String,
    },
    DeleteFolder {
        top: String,
        path: String,
    },
}

impl Op {
    fn apply(&self, m: &mut Model) {
        match self {
            Op::Put { top, path, bytes } => {
                m.packages
                    .insert((top.clone(), path.clone()), bytes.clone());
            }
            Op::Rename { top, from, to } => {
                let b = m.packages.remove(&(top.clone(), from.clone())).unwrap();
                m.packages.insert((top.clone(), to.clone()), b);
            }
            Op::Transfer { from, to, remove } => {
                let b = if *remove {
                    m.packages.remove(from).unwrap()
                } else {
                    m.packages[from].clone()
                };
                m.packages.insert(to.clone(), b);
            }
            Op::MakeFolder { top, path } => {
                m.folders.insert((top.clone(), path.clone()));
            }
            Op::RenameFolder { top, from, to } => {
                let prefix = format!("{from}/");
                let moved = |p: &String| format!("{to}/{}", &p[prefix.len()..]);
                m.folders.remove(&(top.clone(), from.clone()));
                m.folders.insert((top.clone(), to.clone()));
                let keys: Vec<_> = m
                    .packages
                    .keys()
                    .filter(|(t, p)| t == top && p.starts_with(&prefix))
                    .cloned()
                    .collect();
                for k in keys {
                    let b = m.packages.remove(&k).unwrap();
                    m.packages.insert((top.clone(), moved(&k.1)), b);
                }
            }
            Op::DeleteFolder { top, path } => {
                let prefix = format!("{path}/");
                m.folders.remove(&(top.clone(), path.clone()));
                m.packages
                    .retain(|(t, p), _| !(t == top && p.starts_with(&prefix)));
            }
        }
    }

    /// The request: method, API path, body.
    fn request(&self) -> (&'static str, String, Option<Vec<u8>>) {
        let enc = |top: &str, path: &str| format!("{}/{path}", top.replace(' ', "%20"));
        match self {
            Op::Put { top, path, bytes } => (
                "PUT",
                format!("packages/{}?overwrite=true", enc(top, path)),
                Some(bytes.clone()),
            ),
            Op::Rename { top, from, to } => (
                "PATCH",
                format!("packages/{}", enc(top, from)),
                Some(
                    serde_json::json!({ "name": to.rsplit('/').next().unwrap() })
                        .to_string()
                        .into_bytes(),
                ),
            ),
            Op::Transfer { from, to, remove } => (
                "POST",
                (if *remove { "move" } else { "copy" }).to_string(),
                Some(
                    serde_json::json!({
                        "from": format!("{}/{}", from.0, from.1),
                        "to": format!("{}/{}", to.0, to.1),
                    })
                    .to_string()
                    .into_bytes(),
                ),
            ),
            Op::MakeFolder { top, path } => ("POST", format!("folders/{}", enc(top, path)), None),
            Op::RenameFolder { top, from, to } => (
                "PATCH",
                format!("folders/{}", enc(top, from)),
                Some(
                    serde_json::json!({ "name": to.rsplit('/').next().unwrap() })
                        .to_string()
                        .into_bytes(),
                ),
            ),
            Op::DeleteFolder { top, path } => (
                "DELETE",
                format!("folders/{}?recursive=true", enc(top, path)),
                None,
            ),
        }
    }
}

/// A small deterministic random source.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn package(id: u64) -> Vec<u8> {
    support::small_package(&format!("c{id}"))
}

/// Picks the next change for worker `w` from its model.
fn choose(w: usize, m: &Model, rng: &mut Rng, next_id: &mut u64) -> Op {
    let base = format!("w{w}");
    let top = TOPS[rng.below(2)].to_string();
    let packages: Vec<_> = m.packages.keys().cloned().collect();
    let folders: Vec<_> = m
        .folders
        .iter()
        .filter(|(_, p)| p.contains('/'))
        .cloned()
        .collect();
    *next_id += 1;
    let id = *next_id;
    let name = format!("p{id}");
    match rng.below(10) {
        0..=2 => {
            // A new package, in the worker's folder or one of its subfolders.
            let folder = match folders.iter().filter(|(t, _)| *t == top).nth(rng.below(3)) {
                Some((_, f)) => f.clone(),
                None => base,
            };
            Op::Put {
                top,
                path: format!("{folder}/{name}"),
                bytes: package(id),
            }
        }
        3 if !packages.is_empty() => {
            let (top, path) = packages[rng.below(packages.len())].clone();
            Op::Put {
                top,
                path,
                bytes: package(id),
            }
        }
        4 if !packages.is_empty() => {
            let (top, from) = packages[rng.below(packages.len())].clone();
            let parent = from.rsplit_once('/').unwrap().0;
            let to = format!("{parent}/{name}");
            Op::Rename { top, from, to }
        }
        5 | 6 if !packages.is_empty() => {
            let from = packages[rng.below(packages.len())].clone();
            let other = if from.0 == TOPS[0] { TOPS[1] } else { TOPS[0] };
            Op::Transfer {
                from,
                to: (other.to_string(), format!("{base}/{name}")),
                remove: rng.below(3) != 0,
            }
        }
        7 => Op::MakeFolder {
            top,
            path: format!("{base}/s{id}"),
        },
        8 if !folders.is_empty() => {
            let (top, from) = folders[rng.below(folders.len())].clone();
            Op::RenameFolder {
                top,
                from,
                to: format!("{base}/s{id}"),
            }
        }
        9 if !folders.is_empty() => {
            let (top, path) = folders[rng.below(folders.len())].clone();
            Op::DeleteFolder { top, path }
        }
        _ => Op::Put {
            top,
            path: format!("{base}/{name}"),
            bytes: package(id),
        },
    }
}

/// What is on disk for worker `w`: every package and folder below `w<w>` in both stores.
fn on_disk(stores: &[(String, std::path::PathBuf)], w: usize) -> Model {
    fn walk(dir: &Path, rel: &str, top: &str, m: &mut Model) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = format!("{rel}/{name}");
            if e.file_type().unwrap().is_dir() {
                m.folders.insert((top.to_string(), path.clone()));
                walk(&e.path(), &path, top, m);
            } else if let Some(stem) = path.strip_suffix(".dtsx") {
                m.packages.insert(
                    (top.to_string(), stem.to_string()),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
    }
    let mut m = Model::default();
    for (top, root) in stores {
        let base = format!("w{w}");
        m.folders.insert((top.clone(), base.clone()));
        walk(&root.join(&base), &base, top, &mut m);
    }
    m
}

/// The owner records, as (top-level folder, path).
fn owner_rows(data: &Path) -> BTreeSet<(String, String)> {
    let db = rusqlite::Connection::open(data.join("owners.db")).unwrap();
    let mut stmt = db.prepare("SELECT folder, path FROM owners").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

fn pending_intents(data: &Path) -> i64 {
    let db = rusqlite::Connection::open(data.join("owners.db")).unwrap();
    db.query_row("SELECT count(*) FROM intents", [], |r| r.get(0))
        .unwrap()
}

fn start(dir: &Path) -> Service {
    let s = Service::spawn(
        dir,
        &Options {
            config: Some(dir.join("ssisd.toml")),
            env: vec![],
        },
    )
    .unwrap();
    for top in TOPS {
        Service::eventually(Duration::from_secs(10), || {
            (s.folder_state(top).as_deref() == Some("available")).then_some(())
        });
    }
    s
}

#[test]
fn kill_9_during_concurrent_changes_loses_no_acknowledged_change_and_owners_follow() {
    let temp = temp_dir();
    let dir = temp.path();
    let stores: Vec<(String, std::path::PathBuf)> = vec![
        (TOPS[0].into(), dir.join("pk")),
        (TOPS[1].into(), dir.join("archive")),
    ];
    let mut text = String::new();
    for (top, path) in &stores {
        text.push_str(&format!(
            "[[folder]]\nkind = \"file-system\"\nname = \"{top}\"\nstore_path = \"{}\"\n\n",
            path.display()
        ));
    }
    std::fs::write(dir.join("ssisd.toml"), text).unwrap();

    let s = start(dir);
    let mut models = vec![Model::default(); WORKERS];
    for (w, m) in models.iter_mut().enumerate() {
        for top in TOPS {
            let path = format!("w{w}");
            let (code, _) = support::http(
                &s,
                "POST",
                &format!("folders/{}/{path}", top.replace(' ', "%20")),
                None,
            );
            assert_eq!(code, 201);
            m.folders.insert((top.to_string(), path));
        }
    }
    drop(s);

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let server_errors = Arc::new(AtomicUsize::new(0));
    let mut in_doubt_done = 0;
    let mut next_ids: Vec<u64> = (0..WORKERS as u64).map(|w| w * 1_000_000).collect();
    let t0 = Instant::now();
    for round in 0..KILLS {
        let mut s = start(dir);
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let url = s.url("");
                let mut model = models[w].clone();
                let mut next_id = next_ids[w];
                let acknowledged = acknowledged.clone();
                let server_errors = server_errors.clone();
                std::thread::spawn(move || {
                    let agent = ureq::AgentBuilder::new()
                        .timeout(Duration::from_secs(10))
                        .build();
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (round << 8 | w as u64) | 1);
                    loop {
                        let op = choose(w, &model, &mut rng, &mut next_id);
                        let (method, path, body) = op.request();
                        let full = format!("{url}{path}");
                        let req = agent.request(method, &full);
                        let answer = match &body {
                            Some(b) => req
                                .set("Content-Type", support::media_type_for(method, &full))
                                .send_bytes(b),
                            None => req.call(),
                        };
                        match answer {
                            Ok(_) => {
                                op.apply(&mut model);
                                acknowledged.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(ureq::Error::Status(code, r)) => {
                                if code >= 500 {
                                    server_errors.fetch_add(1, Ordering::Relaxed);
                                }
                                panic!(
                                    "worker {w}: {method} {path} answered {code}: {}",
                                    r.into_string().unwrap_or_default()
                                );
                            }
                            // The service was killed: this change is in doubt.
                            Err(ureq::Error::Transport(_)) => return (model, Some(op), next_id),
                        }
                    }
                })
            })
            .collect();
        let mut rng = Rng(round * 7919 + 1);
        std::thread::sleep(Duration::from_millis(100 + rng.below(400) as u64));
        s.signal(libc::SIGKILL);
        s.wait_exit(Duration::from_secs(5)).unwrap();
        let results: Vec<_> = workers.into_iter().map(|h| h.join().unwrap()).collect();

        // Restart: interrupted changes are settled before the API answers.
        let s = start(dir);
        assert_eq!(pending_intents(&s.data_dir), 0, "round {round}");
        for (w, (model, in_flight, next_id)) in results.into_iter().enumerate() {
            next_ids[w] = next_id;
            let actual = on_disk(&stores, w);
            let mut after = model.clone();
            if let Some(op) = &in_flight {
                op.apply(&mut after);
            }
            if actual == after && in_flight.is_some() {
                in_doubt_done += 1;
            }
            assert!(
                actual == model || actual == after,
                "round {round}, worker {w}: the stores hold neither the state before nor the state after {in_flight:?}\nbefore: {:?}\nafter: {:?}\non disk: {:?}",
                model.packages.keys().collect::<Vec<_>>(),
                after.packages.keys().collect::<Vec<_>>(),
                actual.packages.keys().collect::<Vec<_>>(),
            );
            models[w] = actual;
        }
        // Owner records name exactly the packages on disk (every package here was imported
        // through the API, so each has an owner).
        let mut files = BTreeSet::new();
        for m in &models {
            files.extend(m.packages.keys().cloned());
        }
        let rows = owner_rows(&s.data_dir);
        assert_eq!(
            rows,
            files,
            "round {round}: owner rows without a file: {:?}; files without an owner: {:?}",
            rows.difference(&files).collect::<Vec<_>>(),
            files.difference(&rows).collect::<Vec<_>>()
        );
        // Listing through the API agrees (and sweeps the dead writers' leftovers).
        for top in TOPS {
            let (code, body) = support::http(
                &s,
                "GET",
                &format!("folders/{}/w0", top.replace(' ', "%20")),
                None,
            );
            assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
            json(&body);
        }
    }
    let packages: usize = models.iter().map(|m| m.packages.len()).sum();
    println!(
        "crash test: {KILLS} kills survived, {} acknowledged changes checked, {in_doubt_done} of the in-flight changes found done, {} 5xx answers, {packages} packages at the end, {:.1} s",
        acknowledged.load(Ordering::Relaxed),
        server_errors.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(server_errors.load(Ordering::Relaxed), 0);
}
