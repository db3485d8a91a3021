//! The script host as the data flow's Script Components get it (`ssisd_pipeline::script::
//! ScriptHost`): the Script Task's own Mono lookup, host build, compile-or-load choice and cache
//! (`mono.rs`, `host_build.rs`, `compile.rs`), and a conversation with the host through the
//! shared child host (`crate::child_host::converse`: own process group, the run's cancellation,
//! bounded frames). It owns that adaptation; the conversation's content is the component's.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ssisd_pipeline::host::HostError;
use ssisd_pipeline::script::{
    PreparedScript, ScriptExit, ScriptHost, ScriptProcess, ScriptSources,
};

use super::compile::{self, Toolchain};
use super::host_build::{self, HostBuildError};
use super::mono::{self, Mono, MonoMissing};
use super::protocol::CHANNEL_ENV;
use crate::cancel::CancelToken;
use crate::child_host::{self, Conversation, Framing, HostedChild};
use crate::process::{ChildInput, ProcessRegistry};
use crate::tasks::TaskContext;

/// Runs Script Components for one Data Flow task.
pub struct MonoScripts {
    mono: Mono,
    host_dir: PathBuf,
    cancel: CancelToken,
    registry: Arc<ProcessRegistry>,
    grace: Duration,
}

/// Mono is installed (what /VALIDATE checks for a data flow with Script Components).
pub fn check() -> Result<(), MonoMissing> {
    mono::find_for("Script components").map(|_| ())
}

/// The script host for `ctx`'s data flow: Mono found and the host built (on first use).
pub fn for_task(ctx: &TaskContext<'_>) -> Result<Arc<dyn ScriptHost>, HostBuildError> {
    let mono = mono::find_for("Script components")?;
    let host_dir = host_build::ensure(&mono, ctx.cancel_token(), ctx.processes())?;
    Ok(Arc::new(MonoScripts {
        mono,
        host_dir,
        cancel: ctx.cancel_token().clone(),
        registry: ctx.processes_shared(),
        grace: ctx.run_options().kill_grace,
    }))
}

impl ScriptHost for MonoScripts {
    fn prepare(&self, sources: &ScriptSources) -> Result<PreparedScript, HostError> {
        let prepared = compile::prepare(
            sources,
            &Toolchain {
                mono: &self.mono,
                host_dir: &self.host_dir,
                cancel: &self.cancel,
                registry: &self.registry,
            },
        )
        .map_err(HostError::host)?;
        Ok(PreparedScript {
            assembly: prepared.assembly.display().to_string(),
            notes: prepared.notes,
        })
    }

    fn start(&self, request: Vec<u8>) -> Result<Box<dyn ScriptProcess>, HostError> {
        let mut command = Command::new(&self.mono.mono);
        command.arg(self.host_dir.join(host_build::HOST_EXE));
        let child = HostedChild {
            command,
            channel_env: CHANNEL_ENV,
            channel_value: |fd| fd.to_string(),
            framing: Framing::LengthPrefixed,
            frame_limit: child_host::DEFAULT_FRAME_LIMIT,
            stdin: ChildInput::Null,
            output_limit: child_host::DEFAULT_OUTPUT_LIMIT,
            grace: self.grace,
        };
        let conversation = child_host::converse(child, &self.cancel, self.registry.clone());
        let mut process = HostProcess {
            conversation,
            mono: self.mono.mono.display().to_string(),
        };
        process.send(request)?;
        Ok(Box::new(process))
    }
}

/// One running host.
struct HostProcess {
    conversation: Conversation,
    mono: String,
}

impl ScriptProcess for HostProcess {
    fn send(&mut self, body: Vec<u8>) -> Result<(), HostError> {
        self.conversation.send(&body).map_err(HostError::host)
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        self.conversation.recv()
    }

    fn finish(&mut self) -> ScriptExit {
        match self.conversation.finish() {
            Ok(out) => {
                let p = out.process;
                let how = match (p.code, p.signal) {
                    (Some(c), _) => format!("exit code {c}"),
                    (None, Some(s)) => format!("signal {s}"),
                    _ => "no exit status".to_string(),
                };
                let stderr = String::from_utf8_lossy(&p.stderr).trim().to_string();
                ScriptExit {
                    description: if stderr.is_empty() {
                        how
                    } else {
                        format!("{how}: {stderr}")
                    },
                    cancelled: p.cancelled,
                    channel_error: out.channel_error,
                }
            }
            Err(e) => ScriptExit {
                description: format!("Mono ({}) could not be started: {e}", self.mono),
                cancelled: false,
                channel_error: None,
            },
        }
    }

    fn kill(&mut self) {
        self.conversation.kill();
    }
}
