//! Following a run's pod log into the run's directory on the service's machine: the runner
//! writes its event stream to the container's standard output and its console text to
//! standard error, and the pod's log carries both, line by line. Lines that are event records
//! are appended to `events.jsonl` (which the Package actor follows as for a local run, taking
//! each record once per sequence number), the others to `stderr.log` (whose tail comes back
//! with a run that failed). A dropped log connection is opened again and the lines already
//! taken are skipped; a record read twice is dropped by its sequence number anyway. It owns
//! the follow task only; it must not decide how a run ended.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::AsyncBufReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, LogParams};
use kube::Api;
use ssisd_engine::run_protocol::Record;

use super::manifest::{CONTAINER, JOB_NAME_LABEL};
use super::verdict;

/// Where one run's log goes, and whether following it is over.
#[derive(Debug)]
pub struct Follow {
    pub events: PathBuf,
    pub stderr: PathBuf,
    done: AtomicBool,
}

impl Follow {
    pub fn new(events: PathBuf, stderr: PathBuf) -> Arc<Follow> {
        Arc::new(Follow {
            events,
            stderr,
            done: AtomicBool::new(false),
        })
    }

    /// The pod's log has been read to its end (or cannot be read any more).
    pub fn done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    fn finish(&self) {
        self.done.store(true, Ordering::Release);
    }
}

/// Follows the log of the pod of Job `job` until the container has ended and its log is read.
pub async fn follow(pods: Api<Pod>, job: String, poll: Duration, to: Arc<Follow>) {
    let mut taken: u64 = 0;
    let mut failures = 0u32;
    loop {
        // The pod, once its container has started.
        let selector = format!("{JOB_NAME_LABEL}={job}");
        let listed = pods.list(&ListParams::default().labels(&selector)).await;
        let pod = match listed {
            Ok(list) => verdict::newest(&list.items).cloned(),
            Err(e) => {
                failures += 1;
                if failures > 30 {
                    tracing::warn!(job, "giving up following the run's log: {e}");
                    break;
                }
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        let Some(pod) = pod else {
            // No pod (yet, or any more: the Job was deleted before it started).
            if failures > 0 && taken > 0 {
                break;
            }
            failures += 1;
            if failures > 3600 {
                break;
            }
            tokio::time::sleep(poll).await;
            continue;
        };
        if !verdict::started(&pod) {
            if verdict::ended(&pod) {
                break; // it never ran: nothing to read
            }
            tokio::time::sleep(poll).await;
            continue;
        }
        let name = pod.metadata.name.clone().unwrap_or_default();
        let ended_before = verdict::ended(&pod);
        let params = LogParams {
            container: Some(CONTAINER.into()),
            follow: !ended_before,
            ..LogParams::default()
        };
        match pods.log_stream(&name, &params).await {
            Ok(stream) => {
                let mut lines = stream.lines();
                let mut n: u64 = 0;
                use futures_util::StreamExt;
                while let Some(line) = lines.next().await {
                    let Ok(line) = line else { break };
                    n += 1;
                    if n <= taken {
                        continue;
                    }
                    taken = n;
                    take_line(&to, &line);
                }
                if ended_before {
                    break;
                }
                // The stream ended: the container ended, or the connection dropped. Look again.
                match pods.get_opt(&name).await {
                    Ok(Some(p)) if !verdict::ended(&p) => continue,
                    Ok(Some(_)) => {
                        // Ended: read what came after the last line once more, without follow.
                        let last = pods
                            .log_stream(
                                &name,
                                &LogParams {
                                    container: Some(CONTAINER.into()),
                                    ..LogParams::default()
                                },
                            )
                            .await;
                        if let Ok(stream) = last {
                            let mut lines = stream.lines();
                            let mut n: u64 = 0;
                            while let Some(Ok(line)) = lines.next().await {
                                n += 1;
                                if n > taken {
                                    taken = n;
                                    take_line(&to, &line);
                                }
                            }
                        }
                        break;
                    }
                    Ok(None) => break,
                    Err(_) => {
                        tokio::time::sleep(poll).await;
                        continue;
                    }
                }
            }
            Err(e) => {
                failures += 1;
                if failures > 30 {
                    tracing::warn!(job, pod = name, "giving up following the run's log: {e}");
                    break;
                }
                tokio::time::sleep(poll).await;
            }
        }
    }
    to.finish();
}

/// Appends one log line where it belongs.
fn take_line(to: &Follow, line: &str) {
    // Records of a kind this service does not know yet still belong to the stream.
    let record = line.starts_with("{\"schema\":") || Record::parse(line.as_bytes()).is_some();
    let target = if record { &to.events } else { &to.stderr };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .open(target)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        tracing::warn!("cannot write {}: {e}", target.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_to_the_stream_and_the_rest_to_standard_error() {
        let dir = tempfile::tempdir().unwrap();
        let to = Follow::new(
            dir.path().join("events.jsonl"),
            dir.path().join("stderr.log"),
        );
        std::fs::write(&to.events, "").unwrap();
        std::fs::write(&to.stderr, "").unwrap();
        let record = r#"{"schema":1,"seq":3,"time":"2026-01-01T10:00:00.5+02:00","event":"error","code":"0xC0029151","source":"T","path":"\\Package\\T","description":"bad"}"#;
        take_line(&to, "Microsoft (R) SQL Server Execute Package Utility");
        take_line(&to, record);
        let events = std::fs::read_to_string(&to.events).unwrap();
        let stderr = std::fs::read_to_string(&to.stderr).unwrap();
        assert!(stderr.contains("Execute Package Utility"), "{stderr}");
        assert!(!stderr.contains("0xC0029151"));
        assert_eq!(Record::parse(events.as_bytes()).unwrap().seq, 3);
        assert!(!to.done());
    }
}
