//! Cancellation of a run: a [`CancelToken`] shared by every executable and task, and the
//! installation of SIGTERM/SIGINT handlers that trip it. It owns only the flag and the signal
//! wiring; stopping child processes is `process.rs`, refusing new executables is the
//! scheduler's job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A cheap, cloneable cancellation flag with a way to sleep until it trips.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Trips the token; every waiter wakes.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        let _guard = self.inner.lock.lock();
        self.inner.wake.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `d` or until the token trips; returns whether it tripped.
    pub fn sleep(&self, d: Duration) -> bool {
        if self.is_cancelled() {
            return true;
        }
        let guard = match self.inner.lock.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let _ = self
            .inner
            .wake
            .wait_timeout_while(guard, d, |_| !self.is_cancelled());
        self.is_cancelled()
    }
}

/// Trips `token` on SIGTERM or SIGINT, from a dedicated thread. Returns a handle whose
/// `close` stops listening (the handlers stay registered, as signal-hook requires).
pub fn cancel_on_signals(token: &CancelToken) -> std::io::Result<SignalGuard> {
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ])?;
    let handle = signals.handle();
    let token = token.clone();
    std::thread::Builder::new()
        .name("ssisd-signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                token.cancel();
            }
        })?;
    Ok(SignalGuard { handle })
}

/// Keeps the signal listener alive; dropping it stops the listener thread.
pub struct SignalGuard {
    handle: signal_hook::iterator::Handle,
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        self.handle.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn sleep_wakes_on_cancel() {
        let t = CancelToken::new();
        assert!(!t.sleep(Duration::from_millis(1)));
        let t2 = t.clone();
        let at = Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            t2.cancel();
        });
        assert!(t.sleep(Duration::from_secs(10)));
        assert!(at.elapsed() < Duration::from_secs(5));
    }
}
