//! Bearer tokens kept hashed in one text file: creating, revoking and listing them (with an
//! exclusive lock and atomic replacement of the file), and verifying a presented token against
//! the file, re-read whenever it changes. Token text is `ssisd_<id>_<secret>`; only the SHA-256
//! of the secret is stored. Nothing here may log, format or store a secret or a hash, and it
//! must not know HTTP or how a caller's role is used.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::access::Role;

/// The first line of every tokens file.
pub const HEADER: &str = "# ssisd tokens v1";
/// What every token text starts with.
pub const TOKEN_PREFIX: &str = "ssisd_";

const ID_LEN: usize = 12;
const SECRET_LEN: usize = 64;
const HASH_HEX_LEN: usize = 64;
const IDENTITY_MAX: usize = 128;

/// Compared against when a presented id is unknown, so the time taken does not reveal which ids
/// exist. No secret hashes to it in practice.
const DUMMY_HASH: [u8; 32] = [0x5a; 32];

/// Why a tokens file could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot {action} tokens file {path}: {source}; check the path and that this user may read and write it and its directory")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "tokens file {path} is writable by group or others (mode {mode:04o}); run chmod 600 {path}"
    )]
    Insecure { path: PathBuf, mode: u32 },
    #[error("tokens file {path} is not a regular file; give the path of a file")]
    NotAFile { path: PathBuf },
    #[error("tokens file {path} line {line}: {reason}; fix or remove the line")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("identity {identity:?} is not allowed; use 1 to {IDENTITY_MAX} letters, digits, '.', '_', '@' or '-'")]
    BadIdentity { identity: String },
    #[error(
        "no token in {path} has the id or identity {wanted:?}; list the tokens to see which exist"
    )]
    NoMatch { path: PathBuf, wanted: String },
    #[error("cannot get random bytes from the operating system: {0}; check that /dev/urandom or getrandom(2) is available")]
    Random(getrandom::Error),
}

/// One token as the file records it. Its `Debug` and `Serialize` leave the hash out.
#[derive(Clone, Serialize)]
pub struct TokenEntry {
    pub id: String,
    pub identity: String,
    pub role: Role,
    pub created: DateTime<Utc>,
    #[serde(skip)]
    hash: [u8; 32],
}

impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEntry")
            .field("id", &self.id)
            .field("identity", &self.identity)
            .field("role", &self.role)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl TokenEntry {
    fn to_line(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.id,
            self.role.as_str(),
            self.created.to_rfc3339_opts(SecondsFormat::Secs, true),
            hex(&self.hash),
            self.identity
        )
    }
}

/// Whether `identity` may name a token's owner: `[A-Za-z0-9._@-]{1,128}`.
pub fn valid_identity(identity: &str) -> bool {
    !identity.is_empty()
        && identity.len() <= IDENTITY_MAX
        && identity
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// Creates a token for `identity` with `role`, appending it to the file at `path` (created with
/// its parent directory when missing). Returns the entry and the token text, which is shown
/// once and never stored.
pub fn create(path: &Path, identity: &str, role: Role) -> Result<(TokenEntry, String), TokenError> {
    if !valid_identity(identity) {
        return Err(TokenError::BadIdentity {
            identity: identity.to_string(),
        });
    }
    ensure_parent(path)?;
    let _lock = FileLock::exclusive(path)?;
    let file = read_file(path)?;
    let id = loop {
        let id = hex(&random_bytes::<{ ID_LEN / 2 }>()?);
        if !file.entries.iter().any(|e| e.id == id) {
            break id;
        }
    };
    let secret = hex(&random_bytes::<{ SECRET_LEN / 2 }>()?);
    let entry = TokenEntry {
        id,
        identity: identity.to_string(),
        role,
        created: Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now),
        hash: sha256(secret.as_bytes()),
    };
    let mut text = if file.lines.is_empty() {
        format!(
            "{HEADER}\n# one token per line: <id> <role> <created> <sha256 of the secret> <identity>\n"
        )
    } else {
        let mut t = file.lines.join("\n");
        t.push('\n');
        t
    };
    text.push_str(&entry.to_line());
    text.push('\n');
    write_atomically(path, text.as_bytes())?;
    let token = format!("{TOKEN_PREFIX}{}_{secret}", entry.id);
    Ok((entry, token))
}

/// Removes every token whose id or identity is `id_or_identity` and returns what was removed;
/// an error when nothing matched.
pub fn revoke(path: &Path, id_or_identity: &str) -> Result<Vec<TokenEntry>, TokenError> {
    let no_match = || TokenError::NoMatch {
        path: path.to_path_buf(),
        wanted: id_or_identity.to_string(),
    };
    if !path.exists() {
        return Err(no_match());
    }
    let _lock = FileLock::exclusive(path)?;
    let file = read_file(path)?;
    let matches = |e: &TokenEntry| e.id == id_or_identity || e.identity == id_or_identity;
    let removed: Vec<TokenEntry> = file
        .entries
        .iter()
        .filter(|e| matches(e))
        .cloned()
        .collect();
    if removed.is_empty() {
        return Err(no_match());
    }
    let mut text = String::new();
    for (n, line) in file.lines.iter().enumerate() {
        let drop = file
            .line_entry
            .get(&n)
            .is_some_and(|&i| matches(&file.entries[i]));
        if !drop {
            text.push_str(line);
            text.push('\n');
        }
    }
    write_atomically(path, text.as_bytes())?;
    Ok(removed)
}

/// The tokens in the file, in file order; a missing file has none.
pub fn list(path: &Path) -> Result<Vec<TokenEntry>, TokenError> {
    Ok(read_file(path)?.entries)
}

/// The outcome of checking a presented token.
#[derive(Debug, Clone)]
pub enum Verdict {
    Valid(TokenEntry),
    Invalid,
    /// The tokens file cannot be read or parsed; the reason, without secrets.
    Unavailable(String),
}

/// What identifies one version of the file; a change re-reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    mode: u32,
}

struct Cached {
    /// None: the file did not exist.
    stamp: Option<Stamp>,
    /// A failure is kept too (shared: an I/O error cannot be cloned), until the file changes.
    entries: Result<Arc<HashMap<String, TokenEntry>>, Arc<TokenError>>,
}

/// Verifies presented tokens against a tokens file, re-reading it when it changes (so a revoke
/// takes effect without a restart). Each call does one open and fstat of the file and blocks.
pub struct TokenStore {
    path: PathBuf,
    cache: Mutex<Option<Cached>>,
}

impl TokenStore {
    pub fn new(path: PathBuf) -> TokenStore {
        TokenStore {
            path,
            cache: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks a token text (`ssisd_<id>_<secret>`) in constant time with respect to the secret
    /// and to whether the id exists.
    pub fn verify(&self, presented: &str) -> Verdict {
        let Some((id, secret)) = split_token(presented) else {
            return Verdict::Invalid;
        };
        let entries = match self.entries() {
            Ok(entries) => entries,
            Err(reason) => return Verdict::Unavailable(reason.to_string()),
        };
        let computed = sha256(secret.as_bytes());
        let entry = entries.get(id);
        let expected = entry.map(|e| &e.hash).unwrap_or(&DUMMY_HASH);
        let equal: bool = computed.ct_eq(expected).into();
        match entry {
            Some(e) if equal => Verdict::Valid(e.clone()),
            _ => Verdict::Invalid,
        }
    }

    /// Whether the token with this id is still in the file (for connections that outlive one
    /// request, such as event streams: a revoked token ends them). `Err` when the file cannot
    /// be read.
    pub fn still_has(&self, id: &str) -> Result<Option<TokenEntry>, Arc<TokenError>> {
        Ok(self.entries()?.get(id).cloned())
    }

    fn entries(&self) -> Result<Arc<HashMap<String, TokenEntry>>, Arc<TokenError>> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let opened = match File::open(&self.path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Arc::new(TokenError::Io {
                    action: "open",
                    path: self.path.clone(),
                    source,
                }))
            }
        };
        let stamp = match &opened {
            None => None,
            Some(f) => Some(stamp_of(&f.metadata().map_err(|source| {
                Arc::new(TokenError::Io {
                    action: "inspect",
                    path: self.path.clone(),
                    source,
                })
            })?)),
        };
        if let Some(c) = cache.as_ref() {
            if c.stamp == stamp {
                return c.entries.clone();
            }
        }
        let parsed = match opened {
            None => Ok(TokensFile::default()),
            Some(f) => read_open_file(&self.path, f),
        };
        let entries = parsed
            .map(|file| {
                Arc::new(
                    file.entries
                        .into_iter()
                        .map(|e| (e.id.clone(), e))
                        .collect::<HashMap<_, _>>(),
                )
            })
            .map_err(Arc::new);
        *cache = Some(Cached {
            stamp,
            entries: entries.clone(),
        });
        entries
    }
}

/// Splits `ssisd_<12 hex>_<64 hex>` into id and secret; None when malformed.
fn split_token(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == ID_LEN && is_lower_hex(id) && secret.len() == SECRET_LEN && is_lower_hex(secret))
        .then_some((id, secret))
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != HASH_HEX_LEN || !is_lower_hex(s) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        };
        out[i] = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Some(out)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(TokenError::Random)?;
    Ok(buf)
}

fn stamp_of(meta: &fs::Metadata) -> Stamp {
    Stamp {
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.size(),
        mtime: meta.mtime(),
        mtime_nsec: meta.mtime_nsec(),
        mode: meta.mode(),
    }
}

/// A parsed tokens file: its lines (without line ends) and the entries they hold.
#[derive(Default)]
struct TokensFile {
    lines: Vec<String>,
    entries: Vec<TokenEntry>,
    /// Line index → index in `entries`.
    line_entry: HashMap<usize, usize>,
}

fn read_file(path: &Path) -> Result<TokensFile, TokenError> {
    match File::open(path) {
        Ok(f) => read_open_file(path, f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(TokensFile::default()),
        Err(source) => Err(TokenError::Io {
            action: "open",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_open_file(path: &Path, mut f: File) -> Result<TokensFile, TokenError> {
    let io_err = |action, source| TokenError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let meta = f.metadata().map_err(|e| io_err("inspect", e))?;
    if !meta.is_file() {
        return Err(TokenError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(TokenError::Insecure {
            path: path.to_path_buf(),
            mode: meta.mode() & 0o7777,
        });
    }
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(|e| io_err("read", e))?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<TokensFile, TokenError> {
    let mut file = TokensFile::default();
    if bytes.is_empty() {
        return Ok(file);
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, raw) in body.split(|&b| b == b'\n').enumerate() {
        let number = n + 1;
        let bad = |reason: String| TokenError::Line {
            path: path.to_path_buf(),
            line: number,
            reason,
        };
        let line = std::str::from_utf8(raw).map_err(|_| bad("the line is not UTF-8".into()))?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if n == 0 {
            if line != HEADER {
                return Err(bad(format!("expected the header line `{HEADER}`")));
            }
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let entry = parse_line(line).map_err(bad)?;
            if let Some(first) = seen.insert(entry.id.clone(), number) {
                return Err(bad(format!(
                    "the id {} is already used on line {first}",
                    entry.id
                )));
            }
            file.line_entry.insert(n, file.entries.len());
            file.entries.push(entry);
        }
        file.lines.push(line.to_string());
    }
    Ok(file)
}

fn parse_line(line: &str) -> Result<TokenEntry, String> {
    let fields: Vec<&str> = line.split(' ').collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected 5 fields separated by single spaces (<id> <role> <created> <hash> <identity>), found {}",
            fields.len()
        ));
    }
    let [id, role, created, hash, identity] =
        [fields[0], fields[1], fields[2], fields[3], fields[4]];
    if id.len() != ID_LEN || !is_lower_hex(id) {
        return Err(format!(
            "the id must be {ID_LEN} lowercase hexadecimal digits"
        ));
    }
    let role = Role::parse(role).ok_or_else(|| {
        format!("unknown role {role:?} (administrator, operator or limited-user)")
    })?;
    let created = DateTime::parse_from_rfc3339(created)
        .map_err(|e| format!("the creation time is not an RFC 3339 timestamp ({e})"))?
        .with_timezone(&Utc);
    let hash = unhex32(hash)
        .ok_or_else(|| format!("the hash must be {HASH_HEX_LEN} lowercase hexadecimal digits"))?;
    if !valid_identity(identity) {
        return Err(format!(
            "the identity must be 1 to {IDENTITY_MAX} letters, digits, '.', '_', '@' or '-'"
        ));
    }
    Ok(TokenEntry {
        id: id.to_string(),
        identity: identity.to_string(),
        role,
        created,
        hash,
    })
}

fn ensure_parent(path: &Path) -> Result<(), TokenError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|source| TokenError::Io {
                action: "create the directory of",
                path: path.to_path_buf(),
                source,
            }),
        _ => Ok(()),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// An exclusive `flock` on `<file>.lock`, held for one read-modify-write.
struct FileLock {
    _file: nix::fcntl::Flock<File>,
}

impl FileLock {
    fn exclusive(path: &Path) -> Result<FileLock, TokenError> {
        let lock_path = sibling(path, ".lock");
        let err = |source| TokenError::Io {
            action: "lock",
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(err)?;
        let mut file = file;
        loop {
            match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive) {
                Ok(locked) => return Ok(FileLock { _file: locked }),
                Err((back, nix::errno::Errno::EINTR)) => file = back,
                Err((_, e)) => return Err(err(e.into())),
            }
        }
    }
}

/// Replaces `path` with `bytes` (mode 0600 for a new file) through the one atomic writer;
/// the file keeps its owner: root adding a token to a file the service account owns must not
/// make it unreadable to the service, and its mode stays within 0640.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TokenError> {
    use ssisd_stores::atomic_file::{write_atomically_with, WriteOptions};
    let options = WriteOptions {
        replace: true,
        mode: Some(0o600),
        keep_owner: true,
    };
    write_atomically_with(path, bytes, options)
        .map(drop)
        .map_err(|source| TokenError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tokens_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("etc").join("tokens")
    }

    #[test]
    fn a_rewrite_keeps_the_owner_of_the_file() {
        use std::os::unix::fs::MetadataExt;
        if !nix::unistd::geteuid().is_root() {
            println!("SKIPPED: giving a file away needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = tokens_path(&dir);
        create(&path, "first", Role::Operator).unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
        create(&path, "second", Role::Operator).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        assert_eq!(meta.mode() & 0o777, 0o640);
        assert_eq!(list(&path).unwrap().len(), 2);
    }

    #[test]
    fn create_verify_list_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let path = tokens_path(&dir);
        let (entry, token) = create(&path, "alice@example.com", Role::Operator).unwrap();
        assert_eq!(entry.id.len(), ID_LEN);
        assert!(token.starts_with(&format!("ssisd_{}_", entry.id)));
        assert_eq!(token.len(), TOKEN_PREFIX.len() + ID_LEN + 1 + SECRET_LEN);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(HEADER));
        assert!(
            !text.contains(token.rsplit('_').next().unwrap()),
            "secret stored"
        );

        let store = TokenStore::new(path.clone());
        match store.verify(&token) {
            Verdict::Valid(e) => {
                assert_eq!(e.identity, "alice@example.com");
                assert_eq!(e.role, Role::Operator);
                assert_eq!(e.created, entry.created);
            }
            other => panic!("{other:?}"),
        }
        // Wrong secret, unknown id, malformed.
        let mut wrong = token.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(matches!(store.verify(&wrong), Verdict::Invalid));
        let unknown = format!("ssisd_000000000000_{}", &token[token.len() - SECRET_LEN..]);
        assert!(matches!(store.verify(&unknown), Verdict::Invalid));
        for bad in ["", "ssisd_", "Bearer x", &token.to_uppercase(), &token[1..]] {
            assert!(matches!(store.verify(bad), Verdict::Invalid), "{bad}");
        }

        let (second, token2) = create(&path, "bob", Role::LimitedUser).unwrap();
        let (_, token3) = create(&path, "bob", Role::Administrator).unwrap();
        let listed = list(&path).unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[1].id, second.id);
        assert!(matches!(store.verify(&token2), Verdict::Valid(_)));

        // Revoke by id, then by identity; the store notices without a restart.
        let removed = revoke(&path, &entry.id).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(matches!(store.verify(&token), Verdict::Invalid));
        assert!(matches!(store.verify(&token2), Verdict::Valid(_)));
        let removed = revoke(&path, "bob").unwrap();
        assert_eq!(removed.len(), 2);
        assert!(matches!(store.verify(&token2), Verdict::Invalid));
        assert!(matches!(store.verify(&token3), Verdict::Invalid));
        assert!(list(&path).unwrap().is_empty());
        let e = revoke(&path, "bob").unwrap_err();
        assert!(e.to_string().contains("no token in"), "{e}");
        // Comments survive a rewrite.
        assert!(fs::read_to_string(&path)
            .unwrap()
            .contains("# one token per line"));
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = tokens_path(&dir);
        assert!(list(&path).unwrap().is_empty());
        let store = TokenStore::new(path.clone());
        let token = format!("ssisd_{}_{}", "a".repeat(12), "b".repeat(64));
        assert!(matches!(store.verify(&token), Verdict::Invalid));
        assert!(revoke(&path, "nobody").is_err());
        // Created later, noticed.
        let (_, token) = create(&path, "carol", Role::Administrator).unwrap();
        assert!(matches!(store.verify(&token), Verdict::Valid(_)));
    }

    #[test]
    fn identities_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = tokens_path(&dir);
        for bad in ["", "a b", "x\ny", "ünï", &"a".repeat(129), "a/b"] {
            let e = create(&path, bad, Role::Operator).unwrap_err();
            assert!(matches!(e, TokenError::BadIdentity { .. }), "{bad}: {e}");
        }
        assert!(create(&path, &"a".repeat(128), Role::Operator).is_ok());
        assert!(create(&path, "DOMAIN.x_y-z@host", Role::Operator).is_ok());
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let good = format!(
            "0123456789ab operator 2024-01-02T03:04:05Z {} alice",
            "c".repeat(64)
        );
        let cases = [
            (
                format!("{HEADER}\n#c\n{good}\nbroken line\n"),
                4,
                "5 fields",
            ),
            ("# other\n".to_string(), 1, "header"),
            (
                format!("{HEADER}\n{}\n", good.replace("operator", "root")),
                2,
                "role",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace("2024-01-02", "yesterday")),
                2,
                "RFC 3339",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace(" alice", " al!ce")),
                2,
                "identity",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace("0123456789ab", "XYZ")),
                2,
                "id must",
            ),
            (
                format!("{HEADER}\n{}\n", good.replace(&"c".repeat(64), "cc")),
                2,
                "hash",
            ),
            (format!("{HEADER}\n{good}\n\n{good}\n"), 4, "already used"),
            (
                format!("{HEADER}\n{}\n", good.replacen(' ', "  ", 1)),
                2,
                "fields",
            ),
        ];
        for (text, line, what) in cases {
            fs::write(&path, &text).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let e = list(&path).unwrap_err().to_string();
            assert!(
                e.contains(&format!("{} line {line}:", path.display())) && e.contains(what),
                "{text:?}: {e}"
            );
            assert!(e.ends_with("fix or remove the line"), "{e}");
            match TokenStore::new(path.clone())
                .verify(&format!("ssisd_0123456789ab_{}", "d".repeat(64)))
            {
                Verdict::Unavailable(reason) => assert_eq!(reason, e),
                other => panic!("{other:?}"),
            }
        }
        fs::write(&path, format!("{HEADER}\n{good}\r\n# trailing\n")).unwrap();
        let listed = list(&path).unwrap();
        assert_eq!(listed[0].identity, "alice");
        let debug = format!("{:?}", listed[0]);
        assert!(!debug.contains("cccc"), "{debug}");
        let json = serde_json::to_string(&listed[0]).unwrap();
        assert!(!json.contains("cccc"), "{json}");
    }

    #[test]
    fn writable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let (_, token) = create(&path, "alice", Role::Operator).unwrap();
        let store = TokenStore::new(path.clone());
        assert!(matches!(store.verify(&token), Verdict::Valid(_)));
        for mode in [0o620, 0o602] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let e = list(&path).unwrap_err().to_string();
            assert!(
                e.contains("writable by group or others") && e.contains("chmod 600"),
                "{e}"
            );
            assert!(matches!(store.verify(&token), Verdict::Unavailable(_)));
            assert!(create(&path, "bob", Role::Operator).is_err());
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(store.verify(&token), Verdict::Valid(_)));
    }

    #[test]
    fn concurrent_creates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    (0..10)
                        .map(|i| {
                            create(&path, &format!("user{t}-{i}"), Role::LimitedUser)
                                .unwrap()
                                .1
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let tokens: Vec<String> = threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(list(&path).unwrap().len(), 80);
        let store = TokenStore::new(path);
        for t in &tokens {
            assert!(matches!(store.verify(t), Verdict::Valid(_)));
        }
        // No temporaries left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n == "tokens" || n == "tokens.lock"),
            "{names:?}"
        );
    }

    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<TokenStore>();
    }
}
