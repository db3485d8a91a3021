//! OS signals through `signal-hook`: a dedicated thread turns SIGTERM/SIGINT into a stop request
//! and SIGHUP into a reload request for the service loop. A second SIGTERM/SIGINT while the
//! service is stopping exits the process at once (exit code 130), as operators expect.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Stop,
    Reload,
}

/// Starts listening; requests arrive on the returned channel. Signals are caught from this
/// moment on, so a stop during start-up is not lost.
pub fn listen() -> std::io::Result<mpsc::UnboundedReceiver<Request>> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    let (tx, rx) = mpsc::unbounded_channel();
    let stopping = Arc::new(AtomicBool::new(false));
    std::thread::Builder::new()
        .name("ssisd-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                match signal {
                    SIGHUP => {
                        let _ = tx.send(Request::Reload);
                    }
                    _ => {
                        if stopping.swap(true, Ordering::SeqCst) {
                            eprintln!("ssisd: second stop signal: exiting now");
                            // The documented answer to a second stop signal: at once, whatever
                            // the rest of the process is doing.
                            #[allow(clippy::exit)]
                            std::process::exit(130);
                        }
                        let _ = tx.send(Request::Stop);
                    }
                }
            }
        })?;
    Ok(rx)
}
