//! Local accounts from the system's user and group databases (NSS, through libc's reentrant
//! lookups): the user and groups behind a Unix-socket peer's uid and gid, the service account
//! named in the configuration, and group ids by name. Every call blocks (NSS may ask a network
//! directory), so async callers run them on a blocking thread. Deciding what a user may do is
//! not done here.
// Unsafe code: libc's reentrant NSS lookups (getpwnam_r and kin): nix's wrappers read the error from errno instead of the return value and take a module's ENOENT for a failure, while access rules must tell "no such user" from a failing directory.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::path::PathBuf;

/// The largest buffer offered to a lookup before giving up (entries are rarely above a few KiB).
const MAX_BUFFER: usize = 1 << 20;

/// Why an account or group could not be found.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no user named {name:?} in the user database (getent passwd {name}); create the account or name an existing one")]
    NoSuchUser { name: String },
    #[error("no group named {name:?} in the group database (getent group {name}); create the group or name an existing one")]
    NoSuchGroup { name: String },
    #[error("{what} {name:?} contains a NUL character; give a plain name")]
    BadName { what: &'static str, name: String },
    #[error("cannot look up {what} {name:?}: {source}; check /etc/nsswitch.conf and the directory services it names")]
    Lookup {
        what: &'static str,
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// The local account behind a Unix-socket peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUser {
    pub uid: u32,
    pub gid: u32,
    /// The user name, when the uid has a passwd entry.
    pub name: Option<String>,
    /// Names of the primary group and the user's supplementary groups (groups without a name
    /// are left out), primary first, without duplicates.
    pub groups: Vec<String>,
}

impl LocalUser {
    /// The identity this user is known by: the user name, or `uid:<n>` without one.
    pub fn identity(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("uid:{}", self.uid),
        }
    }
}

/// A user account, as the service account is named in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Looks up the user and groups of a peer's `uid` and primary `gid`. Lookup failures leave the
/// name or groups out rather than failing: a peer is still known by its uid.
///
/// A failing user database (an unreachable directory service) is an error, never "no such
/// user": treating it as an unknown uid would skip the rules configured for the account.
pub fn lookup(uid: u32, gid: u32) -> Result<LocalUser, UserError> {
    let name = passwd(Key::Id(uid))
        .map_err(|source| UserError::Lookup {
            what: "uid",
            name: uid.to_string(),
            source,
        })?
        .map(|a| a.name);
    let gids = match &name {
        Some(n) => supplementary_gids(n, gid)?,
        None => vec![gid],
    };
    let mut groups: Vec<String> = Vec::new();
    for g in gids {
        if let Ok(Some((_, group))) = group(Key::Id(g)) {
            if !group.is_empty() && !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    Ok(LocalUser {
        uid,
        gid,
        name,
        groups,
    })
}

/// Whether an account has uid `uid` (getpwuid_r); a failing user database is an error.
pub fn uid_has_account(uid: u32) -> Result<bool, UserError> {
    passwd(Key::Id(uid))
        .map(|a| a.is_some())
        .map_err(|source| UserError::Lookup {
            what: "uid",
            name: uid.to_string(),
            source,
        })
}

/// Whether a group has gid `gid` (getgrgid_r); a failing group database is an error.
pub fn gid_has_group(gid: u32) -> Result<bool, UserError> {
    group(Key::Id(gid))
        .map(|g| g.is_some())
        .map_err(|source| UserError::Lookup {
            what: "gid",
            name: gid.to_string(),
            source,
        })
}

/// The account named `name` (getpwnam_r).
pub fn account_by_name(name: &str) -> Result<Account, UserError> {
    let c_name = c_string("user", name)?;
    passwd(Key::Name(&c_name))
        .map_err(|source| UserError::Lookup {
            what: "user",
            name: name.to_string(),
            source,
        })?
        .ok_or_else(|| UserError::NoSuchUser {
            name: name.to_string(),
        })
}

/// The id of the group named `name` (getgrnam_r).
pub fn group_gid(name: &str) -> Result<u32, UserError> {
    let c_name = c_string("group", name)?;
    group(Key::Name(&c_name))
        .map_err(|source| UserError::Lookup {
            what: "group",
            name: name.to_string(),
            source,
        })?
        .map(|(gid, _)| gid)
        .ok_or_else(|| UserError::NoSuchGroup {
            name: name.to_string(),
        })
}

/// The group ids of user `name` whose primary group is `gid` (getgrouplist): `gid` first, then
/// the supplementary groups the group database lists for the user.
pub fn supplementary_gids(name: &str, gid: u32) -> Result<Vec<u32>, UserError> {
    let c_name = c_string("user", name)?;
    let mut capacity: libc::c_int = 32;
    loop {
        let mut gids: Vec<libc::gid_t> = vec![0; capacity as usize];
        let mut count = capacity;
        // SAFETY: gids has room for `count` entries; the name is NUL-terminated.
        let rc = unsafe { libc::getgrouplist(c_name.as_ptr(), gid, gids.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            gids.truncate(count.max(0) as usize);
            let mut out = vec![gid];
            for g in gids {
                if !out.contains(&g) {
                    out.push(g);
                }
            }
            return Ok(out);
        }
        // Too small: `count` holds the number needed (some versions leave it unchanged).
        let next = if count > capacity {
            count
        } else {
            capacity.saturating_mul(2)
        };
        if next as usize > 65_536 {
            return Err(UserError::Lookup {
                what: "groups of user",
                name: name.to_string(),
                source: std::io::Error::other("more than 65536 groups"),
            });
        }
        capacity = next;
    }
}

fn c_string(what: &'static str, name: &str) -> Result<CString, UserError> {
    CString::new(name).map_err(|_| UserError::BadName {
        what,
        name: name.to_string(),
    })
}

/// Runs a reentrant NSS lookup with a buffer that grows on ERANGE. `call` returns the lookup's
/// return code and what it found.
fn with_buffer<T>(
    size_hint: libc::c_int,
    mut call: impl FnMut(&mut [u8]) -> (libc::c_int, Option<T>),
) -> std::io::Result<Option<T>> {
    // SAFETY: sysconf has no preconditions.
    let hint = unsafe { libc::sysconf(size_hint) };
    let mut size = if hint > 0 { hint as usize } else { 1024 }.clamp(256, MAX_BUFFER);
    loop {
        let mut buf = vec![0u8; size];
        let (rc, found) = call(&mut buf);
        match rc {
            0 => return Ok(found),
            libc::ERANGE if size < MAX_BUFFER => size = (size * 2).min(MAX_BUFFER),
            libc::EINTR => continue,
            // "Not found" is reported differently across NSS modules.
            libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => return Ok(None),
            rc => return Err(std::io::Error::from_raw_os_error(rc)),
        }
    }
}

/// # Safety
/// `pwd`'s string fields must be valid NUL-terminated strings (or null).
unsafe fn account_from(pwd: &libc::passwd) -> Account {
    let text = |p: *const libc::c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: guaranteed by the caller.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    Account {
        name: text(pwd.pw_name),
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        home: PathBuf::from(text(pwd.pw_dir)),
    }
}

/// What a user or group is looked up by.
#[derive(Clone, Copy)]
enum Key<'a> {
    Id(u32),
    Name(&'a CStr),
}

/// One passwd entry (getpwuid_r / getpwnam_r).
fn passwd(key: Key<'_>) -> std::io::Result<Option<Account>> {
    with_buffer(libc::_SC_GETPW_R_SIZE_MAX, |buf| {
        // SAFETY: an all-zero passwd is a valid value for the lookup to fill in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let (at, len) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        let rc = unsafe {
            match key {
                Key::Id(uid) => libc::getpwuid_r(uid, &mut pwd, at, len, &mut result),
                Key::Name(n) => libc::getpwnam_r(n.as_ptr(), &mut pwd, at, len, &mut result),
            }
        };
        // SAFETY: when result is non-null, pwd's strings point into buf, alive here.
        (
            rc,
            (!result.is_null()).then(|| unsafe { account_from(&pwd) }),
        )
    })
}

/// One group entry's id and name (getgrgid_r / getgrnam_r).
fn group(key: Key<'_>) -> std::io::Result<Option<(u32, String)>> {
    with_buffer(libc::_SC_GETGR_R_SIZE_MAX, |buf| {
        // SAFETY: an all-zero group is a valid value for the lookup to fill in.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let (at, len) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        let rc = unsafe {
            match key {
                Key::Id(gid) => libc::getgrgid_r(gid, &mut grp, at, len, &mut result),
                Key::Name(n) => libc::getgrnam_r(n.as_ptr(), &mut grp, at, len, &mut result),
            }
        };
        let found = (!result.is_null()).then(|| {
            let name = if grp.gr_name.is_null() {
                String::new()
            } else {
                // SAFETY: gr_name points into buf, alive here, NUL-terminated.
                unsafe { CStr::from_ptr(grp.gr_name) }
                    .to_string_lossy()
                    .into_owned()
            };
            (grp.gr_gid, name)
        });
        (rc, found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_root() {
        let root = lookup(0, 0).unwrap();
        assert_eq!(root.name.as_deref(), Some("root"));
        assert_eq!(root.identity(), "root");
        assert_eq!(root.groups.first().map(String::as_str), Some("root"));
    }

    #[test]
    fn unknown_uid_is_named_by_number() {
        let u = lookup(4_000_321, 4_000_321).unwrap();
        assert_eq!(u.name, None);
        assert_eq!(u.identity(), "uid:4000321");
        assert!(u.groups.is_empty(), "{:?}", u.groups);
    }

    #[test]
    fn accounts_and_groups_by_name() {
        let root = account_by_name("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(root.name, "root");
        assert!(root.home.is_absolute(), "{root:?}");
        assert_eq!(group_gid("root").unwrap(), 0);
        let e = account_by_name("no-such-user-ssisd").unwrap_err();
        assert!(matches!(e, UserError::NoSuchUser { .. }), "{e}");
        assert!(e.to_string().contains("no-such-user-ssisd"));
        let e = group_gid("no-such-group-ssisd").unwrap_err();
        assert!(matches!(e, UserError::NoSuchGroup { .. }), "{e}");
        assert!(matches!(
            account_by_name("a\0b"),
            Err(UserError::BadName { .. })
        ));
        assert_eq!(supplementary_gids("root", 0).unwrap()[0], 0);
    }

    #[test]
    fn buffers_grow_on_erange() {
        let mut calls = 0;
        let found = with_buffer(libc::_SC_GETPW_R_SIZE_MAX, |buf| {
            calls += 1;
            if buf.len() < 8192 {
                (libc::ERANGE, None)
            } else {
                (0, Some(buf.len()))
            }
        })
        .unwrap();
        assert!(found.unwrap() >= 8192);
        assert!(calls > 1);
        let err = with_buffer::<()>(libc::_SC_GETPW_R_SIZE_MAX, |_| (libc::ERANGE, None));
        assert!(err.is_err());
    }
}
