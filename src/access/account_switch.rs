//! Dropping from root to the service account, and keeping packages apart from it: after the
//! service's directories are handed over (`data_dir.rs`), the supplementary groups, gids and
//! uids are set (nix's setgroups, setresgid, setresuid — glibc's wrappers, which apply them to
//! every thread of the process) and root is proved out of reach. With a runner account, its uid
//! and gid stay only as the saved ids, so that runners can take them and the service can become
//! nothing else. Raw per-thread system calls are used in one place only, where they are the
//! point: between fork and exec of a runner (`ssisd_actors::package`), where only
//! async-signal-safe calls may run. This must not decide which accounts; the configuration names
//! them.

use std::io;
use std::path::Path;

use nix::unistd::{Gid, Uid};

use super::data_dir::{self, HandOverError};
use crate::access::local_user::{self, Account};

/// Why the service could not become its account.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("service.user names root (uid 0); name an unprivileged account")]
    RootAccount,
    #[error("service.runner_user {name} has uid 0 (root); packages must not run as root: name an unprivileged account other than service.user (e.g. ssisd-run, created with `useradd --system ssisd-run`)")]
    RootRunner { name: String },
    #[error("cannot switch to {name} (uid {uid}): ssisd runs as uid {current}, not root; start it as root or as {name}, or leave service.user unset")]
    NotRoot {
        name: String,
        uid: u32,
        current: u32,
    },
    #[error("service.runner_user {runner} needs ssisd to start as root (it runs as uid {current}): only then can it keep {runner}'s ids for the packages; start it as root with service.user set, or remove service.runner_user")]
    RunnerNeedsRoot { runner: String, current: u32 },
    #[error(transparent)]
    HandOver(#[from] HandOverError),
    #[error("cannot look up the groups of {name}: {source}")]
    Groups {
        name: String,
        #[source]
        source: local_user::UserError,
    },
    #[error("{call} failed while switching to {name}: {source}; the service must start as root to switch accounts")]
    Switch {
        call: &'static str,
        name: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "after switching to {name} the process still {problem}; refusing to run with privileges"
    )]
    Verify { name: String, problem: String },
}

/// Whether the effective user is root.
pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The effective uid.
pub fn effective_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Becomes `account`. First each `(key, path)` of `own` is handed to the account
/// ([`data_dir::hand_over`]), then the supplementary groups are set, then gids and uids.
///
/// Without `runner`, the groups are the account's plus `extra_groups`, and all three uids and
/// gids become the account's. With a `runner` (another account), the supplementary groups are
/// `extra_groups` alone — runners inherit them and cannot shed them — and the runner's uid and
/// gid are kept as the saved ids: a runner can later take them, and the service can become
/// neither root nor anyone else. Root is refused as either account. Without root this succeeds
/// only without a runner and when the process already runs as the account, changing nothing.
pub fn drop_to(
    account: &Account,
    extra_groups: &[u32],
    runner: Option<&Account>,
    own: &[(&'static str, &Path)],
) -> Result<(), PrivilegeError> {
    if account.uid == 0 {
        return Err(PrivilegeError::RootAccount);
    }
    if let Some(r) = runner {
        if r.uid == 0 {
            return Err(PrivilegeError::RootRunner {
                name: r.name.clone(),
            });
        }
    }
    // The same account twice is no separation: the service's own ids.
    let runner = runner.filter(|r| r.uid != account.uid);
    if !running_as_root() {
        let (uid, euid) = (nix::unistd::getuid().as_raw(), effective_uid());
        if let Some(r) = runner {
            return Err(PrivilegeError::RunnerNeedsRoot {
                runner: r.name.clone(),
                current: euid,
            });
        }
        if uid == account.uid && euid == account.uid {
            return Ok(());
        }
        return Err(PrivilegeError::NotRoot {
            name: account.name.clone(),
            uid: account.uid,
            current: euid,
        });
    }
    data_dir::hand_over(own, &account.name, account.uid, account.gid)?;
    let mut groups = match runner {
        Some(_) => Vec::new(),
        None => local_user::supplementary_gids(&account.name, account.gid).map_err(|source| {
            PrivilegeError::Groups {
                name: account.name.clone(),
                source,
            }
        })?,
    };
    for g in extra_groups {
        if !groups.contains(g) {
            groups.push(*g);
        }
    }
    let saved = runner.map_or((account.uid, account.gid), |r| (r.uid, r.gid));
    switch(account, &groups, saved)?;
    verify(account, &groups, saved)
}

/// setgroups, setresgid, setresuid, in that order (each later one needs the privilege the
/// earlier ones keep). `saved` is the (uid, gid) kept as the saved set-user and set-group ids.
fn switch(account: &Account, groups: &[u32], saved: (u32, u32)) -> Result<(), PrivilegeError> {
    let fail = |call| {
        move |e: nix::Error| PrivilegeError::Switch {
            call,
            name: account.name.clone(),
            source: e.into(),
        }
    };
    let gids: Vec<Gid> = groups.iter().copied().map(Gid::from_raw).collect();
    nix::unistd::setgroups(&gids).map_err(fail("setgroups"))?;
    let gid = Gid::from_raw(account.gid);
    nix::unistd::setresgid(gid, gid, Gid::from_raw(saved.1)).map_err(fail("setresgid"))?;
    let uid = Uid::from_raw(account.uid);
    nix::unistd::setresuid(uid, uid, Uid::from_raw(saved.0)).map_err(fail("setresuid"))?;
    Ok(())
}

/// The real, effective and saved user ids, then the same for groups.
pub fn ids() -> ((u32, u32, u32), (u32, u32, u32)) {
    // These cannot fail for the calling process; a failure reads as all zero, which verify
    // refuses.
    let u = nix::unistd::getresuid()
        .map(|r| (r.real.as_raw(), r.effective.as_raw(), r.saved.as_raw()))
        .unwrap_or_default();
    let g = nix::unistd::getresgid()
        .map(|r| (r.real.as_raw(), r.effective.as_raw(), r.saved.as_raw()))
        .unwrap_or_default();
    (u, g)
}

/// The supplementary group ids of the process.
fn current_groups() -> Vec<u32> {
    nix::unistd::getgroups()
        .map(|g| g.into_iter().map(Gid::as_raw).collect())
        .unwrap_or_default()
}

fn verify(account: &Account, groups: &[u32], saved: (u32, u32)) -> Result<(), PrivilegeError> {
    let problem = |problem: String| PrivilegeError::Verify {
        name: account.name.clone(),
        problem,
    };
    let (uids, gids) = ids();
    let wanted = (
        (account.uid, account.uid, saved.0),
        (account.gid, account.gid, saved.1),
    );
    if (uids, gids) != wanted {
        return Err(problem(format!(
            "has uids (real, effective, saved) {uids:?} and gids {gids:?} instead of {:?} and {:?}",
            wanted.0, wanted.1
        )));
    }
    let mut have = current_groups();
    let mut want = groups.to_vec();
    have.sort_unstable();
    have.dedup();
    want.sort_unstable();
    want.dedup();
    if have != want {
        return Err(problem(format!(
            "has the supplementary groups {have:?} instead of {want:?}"
        )));
    }
    // If this succeeds, the process is root again and the error says so.
    if nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(problem(
            "can become root again (setuid(0) succeeded)".into(),
        ));
    }
    // -1 leaves the real and saved ids as they are.
    let keep = Uid::from_raw(u32::MAX);
    if nix::unistd::setresuid(keep, Uid::from_raw(0), keep).is_ok() {
        return Err(problem(
            "can become root again (setresuid(-1, 0, -1) succeeded)".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::test_support::{in_child, nobody, owner, NOBODY};
    use std::fs;
    use std::path::PathBuf;

    #[test]
    fn root_is_refused_as_the_account_and_as_the_runner() {
        let root = Account {
            name: "root".into(),
            uid: 0,
            gid: 0,
            home: PathBuf::from("/root"),
        };
        let e = drop_to(&root, &[], None, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "service.user names root (uid 0); name an unprivileged account"
        );
        let e = drop_to(&nobody(), &[], Some(&root), &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::RootRunner { .. }), "{e}");
        assert!(e.to_string().contains("service.runner_user root"), "{e}");
    }

    #[test]
    fn without_root_only_the_current_account_is_accepted() {
        if running_as_root() {
            println!("SKIPPED: running as root");
            return;
        }
        let me = nix::unistd::getuid().as_raw();
        let mut account = nobody();
        account.uid = me;
        assert!(drop_to(&account, &[], None, &[]).is_ok());
        let mut runner = nobody();
        runner.uid = me + 2;
        let e = drop_to(&account, &[], Some(&runner), &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::RunnerNeedsRoot { .. }), "{e}");
        account.uid = me + 1;
        let e = drop_to(&account, &[], None, &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::NotRoot { .. }), "{e}");
    }

    #[test]
    fn drop_to_in_a_child_process() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        fs::create_dir_all(state.join("sub")).unwrap();
        let root_only = dir.path().to_path_buf();
        let account = nobody();
        let code =
            in_child(
                || match drop_to(&account, &[0], None, &[("state", state.as_path())]) {
                    Ok(()) => {
                        let groups = current_groups();
                        // The temporary directory is root's, mode 0700.
                        let can_write_root_file = fs::write(root_only.join("x"), "x").is_ok();
                        let ((_, _, su), _) = ids();
                        if groups.contains(&0)
                            && groups.contains(&NOBODY)
                            && !can_write_root_file
                            && su == NOBODY
                        {
                            0
                        } else {
                            2
                        }
                    }
                    Err(_) => 1,
                },
            );
        assert_eq!(code, 0, "child failed");
        assert_eq!(owner(&state), (NOBODY, NOBODY));
        assert_eq!(owner(&state.join("sub")), (NOBODY, NOBODY));
        assert!(!dir.path().join("x").exists());
    }

    /// With a runner: the runner's ids are only the saved ones; the service cannot become root,
    /// a process can take the runner's ids for good, and the groups are the extra ones alone.
    #[test]
    fn drop_to_keeps_the_runner_as_saved_ids_only() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let Ok(runner) = local_user::account_by_name("daemon") else {
            println!("SKIPPED: no account named daemon");
            return;
        };
        let account = nobody();
        let code = in_child(|| {
            if let Err(e) = drop_to(&account, &[4_100_010], Some(&runner), &[]) {
                eprintln!("{e}");
                return 1;
            }
            let (uids, gids) = ids();
            if uids != (NOBODY, NOBODY, runner.uid) || gids != (NOBODY, NOBODY, runner.gid) {
                eprintln!("{uids:?} {gids:?}");
                return 2;
            }
            if current_groups() != [4_100_010] {
                eprintln!("{:?}", current_groups());
                return 3;
            }
            if nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
                return 4;
            }
            // What a runner does before exec: all three ids become the runner's.
            // SAFETY: raw per-thread set*id calls, as a runner makes them between fork and exec;
            // this child has one thread.
            #[allow(unsafe_code)]
            let switched = unsafe {
                libc::syscall(libc::SYS_setresgid, runner.gid, runner.gid, runner.gid) == 0
                    && libc::syscall(libc::SYS_setresuid, runner.uid, runner.uid, runner.uid) == 0
            };
            let (uids, _) = ids();
            // The service account is out of reach now.
            let back = nix::unistd::setuid(Uid::from_raw(NOBODY)).is_ok();
            if !switched || uids != (runner.uid, runner.uid, runner.uid) || back {
                return 5;
            }
            0
        });
        assert_eq!(code, 0, "child failed");
    }
}
