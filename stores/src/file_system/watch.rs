//! Change versions of listed folders, from inotify: a folder's version is a number that changes
//! whenever anything in its directory changes (a file created, written, renamed, deleted, its
//! attributes changed), so that a listing made at one version can be answered again while the
//! version stays the same, without reading the directory. It owns the inotify descriptor and the
//! watch table; it must not list, read or cache anything itself.
//!
//! A version is given only where it can be trusted: on local file systems (a network or FUSE
//! file system changed by another machine sends no events here), while the watch holds, and not
//! after the event queue overflowed (every version then changes). At most [`MAX_WATCHES`]
//! folders are watched; the least recently asked is dropped first. Where inotify cannot be used
//! (no descriptor, watches exhausted) there is simply no version, and callers list every time.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use rustix::io::Errno;

/// The most folders watched at once (each costs one of the user's inotify watches).
pub const MAX_WATCHES: usize = 256;

/// File systems whose changes may come from elsewhere, unseen by inotify (`statfs` magic).
const REMOTE_FILE_SYSTEMS: &[u64] = &[
    0x6969,      // NFS
    0x517B,      // SMB
    0xFF53_4D42, // CIFS
    0xFE53_4D42, // SMB2
    0x6573_5546, // FUSE
    0x00C3_6400, // Ceph
    0x0102_1997, // 9P
    0x4741_5447, // GlusterFS (through FUSE, kept for clarity)
];

/// What changes a watched directory's version.
fn interesting() -> WatchFlags {
    WatchFlags::CREATE
        | WatchFlags::DELETE
        | WatchFlags::MODIFY
        | WatchFlags::CLOSE_WRITE
        | WatchFlags::MOVED_FROM
        | WatchFlags::MOVED_TO
        | WatchFlags::ATTRIB
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
        | WatchFlags::ONLYDIR
}

/// The watches of one store.
pub struct FolderVersions {
    fd: Option<OwnedFd>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    by_wd: HashMap<i32, PathBuf>,
    by_dir: HashMap<PathBuf, Watched>,
    /// The next version handed out (versions never repeat within the process).
    next: u64,
    /// Ticks of the last-asked clock, for dropping the least recently asked watch.
    clock: u64,
}

struct Watched {
    wd: i32,
    /// The directory watched (a watch follows its inode: if the path names another directory
    /// now, because it or a parent was renamed, the watch no longer speaks for the path).
    dev: u64,
    ino: u64,
    version: u64,
    asked: u64,
}

/// The directory `dir` names now.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    let st = rustix::fs::stat(dir).ok()?;
    #[allow(clippy::unnecessary_cast)] // the widths differ between targets
    Some((st.st_dev as u64, st.st_ino as u64))
}

impl Default for FolderVersions {
    fn default() -> Self {
        Self::new()
    }
}

impl FolderVersions {
    pub fn new() -> FolderVersions {
        let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok();
        FolderVersions {
            fd,
            state: Mutex::new(State {
                next: 1,
                ..State::default()
            }),
        }
    }

    /// The version of `dir` now, watching it from now on when it is not yet; `None` when its
    /// changes cannot be followed.
    pub fn version(&self, dir: &Path) -> Option<u64> {
        let fd = self.fd.as_ref()?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.drain(fd);
        state.clock += 1;
        let now = state.clock;
        let (dev, ino) = identity(dir)?;
        if let Some(w) = state.by_dir.get_mut(dir) {
            if (w.dev, w.ino) == (dev, ino) {
                w.asked = now;
                return Some(w.version);
            }
            state.forget(fd, dir);
        }
        if is_remote(dir) {
            return None;
        }
        if state.by_dir.len() >= MAX_WATCHES {
            state.forget_least_recent(fd);
        }
        let wd = inotify::add_watch(fd, dir, interesting()).ok()?;
        // Watched after the identity was taken: a directory put in its place meanwhile is
        // caught at the next call.
        let version = state.bump();
        state.by_wd.insert(wd, dir.to_path_buf());
        state.by_dir.insert(
            dir.to_path_buf(),
            Watched {
                wd,
                dev,
                ino,
                version,
                asked: now,
            },
        );
        Some(version)
    }

    /// Forgets every watch at or below `dir` (a folder deleted or renamed by the store itself:
    /// its events may still be queued, and its path may be reused).
    pub fn forget_below(&self, dir: &Path) {
        let Some(fd) = self.fd.as_ref() else {
            return;
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.drain(fd);
        let gone: Vec<PathBuf> = state
            .by_dir
            .keys()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect();
        for p in gone {
            state.forget(fd, &p);
        }
    }
}

impl State {
    fn bump(&mut self) -> u64 {
        let v = self.next;
        self.next += 1;
        v
    }

    /// Applies every queued event: each changes its directory's version.
    fn drain(&mut self, fd: &OwnedFd) {
        let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
        let mut reader = inotify::Reader::new(fd, &mut buf);
        let mut changed: Vec<i32> = Vec::new();
        let mut overflow = false;
        let mut ignored: Vec<i32> = Vec::new();
        loop {
            match reader.next() {
                Ok(event) => {
                    let flags = event.events();
                    if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                        overflow = true;
                    } else if flags.intersects(
                        ReadFlags::IGNORED | ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF,
                    ) {
                        // The directory is gone from its path: the watch speaks for nothing.
                        ignored.push(event.wd());
                    } else {
                        changed.push(event.wd());
                    }
                }
                Err(Errno::AGAIN) | Err(Errno::INTR) => break,
                Err(_) => {
                    // An unreadable queue: nothing it held can be trusted.
                    overflow = true;
                    break;
                }
            }
        }
        if overflow {
            let dirs: Vec<PathBuf> = self.by_dir.keys().cloned().collect();
            for d in dirs {
                let v = self.bump();
                if let Some(w) = self.by_dir.get_mut(&d) {
                    w.version = v;
                }
            }
        }
        for wd in changed {
            if let Some(dir) = self.by_wd.get(&wd).cloned() {
                let v = self.bump();
                if let Some(w) = self.by_dir.get_mut(&dir) {
                    w.version = v;
                }
            }
        }
        // Directories deleted or moved away, file systems unmounted: their watches go.
        for wd in ignored {
            if let Some(dir) = self.by_wd.get(&wd).cloned() {
                self.forget(fd, &dir);
            }
        }
    }

    fn forget(&mut self, fd: &OwnedFd, dir: &Path) {
        if let Some(w) = self.by_dir.remove(dir) {
            self.by_wd.remove(&w.wd);
            let _ = inotify::remove_watch(fd, w.wd);
        }
    }

    fn forget_least_recent(&mut self, fd: &OwnedFd) {
        let oldest = self
            .by_dir
            .iter()
            .min_by_key(|(_, w)| w.asked)
            .map(|(p, _)| p.clone());
        if let Some(p) = oldest {
            self.forget(fd, &p);
        }
    }
}

/// Whether `dir` lies on a file system whose changes inotify may not see.
fn is_remote(dir: &Path) -> bool {
    match rustix::fs::statfs(dir) {
        #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
        Ok(s) => REMOTE_FILE_SYSTEMS.contains(&(s.f_type as u64)),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_change_gives_a_new_version_and_quiet_keeps_it() {
        let d = tempfile::tempdir().unwrap();
        let v = FolderVersions::new();
        let Some(first) = v.version(d.path()) else {
            eprintln!("SKIPPED: inotify is not available here");
            return;
        };
        assert_eq!(v.version(d.path()), Some(first), "nothing changed");
        let f = d.path().join("a.dtsx");
        std::fs::write(&f, b"x").unwrap();
        let created = v.version(d.path()).unwrap();
        assert_ne!(created, first);
        // Written in place, as an editor may.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&f)
            .and_then(|mut h| std::io::Write::write_all(&mut h, b"y"))
            .unwrap();
        let written = v.version(d.path()).unwrap();
        assert_ne!(written, created);
        std::fs::rename(&f, d.path().join("b.dtsx")).unwrap();
        let renamed = v.version(d.path()).unwrap();
        assert_ne!(renamed, written);
        std::fs::remove_file(d.path().join("b.dtsx")).unwrap();
        let removed = v.version(d.path()).unwrap();
        assert_ne!(removed, renamed);
        assert_eq!(v.version(d.path()), Some(removed));
    }

    #[test]
    fn a_removed_directory_loses_its_watch_and_a_new_one_starts_afresh() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("Sales");
        std::fs::create_dir(&sub).unwrap();
        let v = FolderVersions::new();
        let Some(first) = v.version(&sub) else {
            eprintln!("SKIPPED: inotify is not available here");
            return;
        };
        std::fs::remove_dir(&sub).unwrap();
        std::fs::create_dir(&sub).unwrap();
        let again = v.version(&sub).expect("watched again");
        assert_ne!(again, first);
        v.forget_below(d.path());
        assert_ne!(v.version(&sub), Some(again));
    }

    #[test]
    fn a_path_that_names_another_directory_now_is_watched_afresh() {
        let d = tempfile::tempdir().unwrap();
        let parent = d.path().join("Sales");
        let sub = parent.join("Q1");
        std::fs::create_dir_all(&sub).unwrap();
        let v = FolderVersions::new();
        let Some(first) = v.version(&sub) else {
            eprintln!("SKIPPED: inotify is not available here");
            return;
        };
        // The parent is renamed by hand: the watch follows the old directory.
        std::fs::rename(&parent, d.path().join("Old")).unwrap();
        std::fs::create_dir_all(&sub).unwrap();
        let now = v.version(&sub).expect("watched");
        assert_ne!(now, first);
        std::fs::write(sub.join("p.dtsx"), b"x").unwrap();
        assert_ne!(
            v.version(&sub),
            Some(now),
            "the new directory's change is seen"
        );
    }

    #[test]
    fn watches_are_bounded() {
        let d = tempfile::tempdir().unwrap();
        let v = FolderVersions::new();
        if v.version(d.path()).is_none() {
            eprintln!("SKIPPED: inotify is not available here");
            return;
        }
        for i in 0..MAX_WATCHES + 10 {
            let p = d.path().join(format!("f{i}"));
            std::fs::create_dir(&p).unwrap();
            assert!(v.version(&p).is_some());
        }
        let state = v.state.lock().unwrap();
        assert!(state.by_dir.len() <= MAX_WATCHES);
        assert_eq!(state.by_dir.len(), state.by_wd.len());
    }
}
