//! The web console's sign-in sessions: a browser proves who it is once (a bearer token sent in
//! the `Authorization` header of the sign-in request, a mapped client certificate, or
//! unauthenticated loopback when the configuration allows it) and receives a random session id
//! in an `HttpOnly`, `SameSite=Strict` cookie, so the token itself is never kept by the page,
//! written into a page, or put in a URL. Each session has its own CSRF token, which every change
//! made with the session must carry in the `X-CSRF-Token` header. A session lasts while it is
//! used (idle limit) and at most a day, and its caller is checked again (`Gate::recheck`) every
//! few seconds, so revoking the token or lowering the role ends it. Kept in memory only: a
//! restart of the service signs every browser out. This file decides nothing about roles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::api::auth::{Caller, Gate, RECHECK};

/// The cookie that carries the session id.
pub const COOKIE: &str = "ssisd_console";
/// The header a change made with a session carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// A session ends this long after sign-in however much it is used.
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// At most this many sessions; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    caller: Caller,
    csrf: String,
    created: Instant,
    used: Instant,
    checked: Instant,
}

/// The CSRF token of the session a request came with (a request extension for the pages).
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

/// What a request made with a valid session gets.
#[derive(Debug, Clone)]
pub struct Signed {
    pub caller: Caller,
    pub csrf: String,
}

/// Why a session cookie was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Unknown, expired or signed out.
    Unknown,
    /// The caller lost access or its role changed (the reason).
    Revoked(String),
}

/// Every open session, by id.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

/// The system gave no random bytes for a session's id or token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no randomness for a session: {0}")]
pub struct NoRandomness(getrandom::Error);

/// 32 random bytes as hex.
fn random_hex() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(NoRandomness)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Sessions {
    /// Opens a session for an authenticated caller: `(session id, csrf token)`.
    pub fn open(&self, caller: Caller) -> Result<(String, String), NoRandomness> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| live(s, now));
        if open.len() >= MAX_SESSIONS {
            if let Some(oldest) = open
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone())
            {
                open.remove(&oldest);
            }
        }
        open.insert(
            id.clone(),
            Session {
                caller,
                csrf: csrf.clone(),
                created: now,
                used: now,
                checked: now,
            },
        );
        Ok((id, csrf))
    }

    /// Ends a session (sign-out).
    pub fn close(&self, id: &str) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// The session of a cookie value, its caller checked again when due.
    pub async fn find(&self, id: &str, gate: &Gate) -> Result<Signed, Ended> {
        let now = Instant::now();
        let (signed, due) = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let Some(s) = open.get_mut(id).filter(|s| live(s, now)) else {
                open.remove(id);
                return Err(Ended::Unknown);
            };
            s.used = now;
            let due = now.duration_since(s.checked) >= RECHECK;
            (
                Signed {
                    caller: s.caller.clone(),
                    csrf: s.csrf.clone(),
                },
                due,
            )
        };
        if due {
            if let Err(why) = gate.recheck(&signed.caller).await {
                self.close(id);
                return Err(Ended::Revoked(why.to_string()));
            }
            if let Some(s) = self
                .open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_mut(id)
            {
                s.checked = Instant::now();
            }
        }
        Ok(signed)
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.used) < IDLE && now.duration_since(s.created) < LIFETIME
}

/// Whether a CSRF token sent with a change is the session's (compared in constant time).
pub fn csrf_matches(sent: Option<&str>, expected: &str) -> bool {
    sent.is_some_and(|s| s.as_bytes().ct_eq(expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(csrf_matches(Some("abc"), "abc"));
        assert!(!csrf_matches(Some("abd"), "abc"));
        assert!(!csrf_matches(Some(""), "abc"));
        assert!(!csrf_matches(None, "abc"));
    }

    #[test]
    fn random_ids_are_long_and_differ() {
        let a = random_hex().unwrap();
        let b = random_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
