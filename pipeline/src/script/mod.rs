//! What the Script Component shares with the script host and with whoever starts that host:
//! the contract [`ScriptHost`] / [`ScriptProcess`] that the runtime implements (Mono, the host
//! build, compiling or loading the assembly, the child process — all the Script Task's own
//! machinery), the encoding both script protocols use (`wire.rs`), the value mapping between
//! package values and .NET values (`values.rs`), the component's frames (`protocol.rs`, mirrored
//! by `runtime/script-host/host/Component.cs`), batches of rows on that wire (`batch.rs`), the
//! stored script project of a component (`project.rs`) and the wrapper classes generated from
//! its metadata (`wrappers.rs`). The component itself is
//! `components/transforms/script_component/`. It must not start processes.

pub mod batch;
pub mod project;
pub mod protocol;
pub mod values;
pub mod wire;
pub mod wrappers;

use crate::host::HostError;

/// The language of a stored script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    CSharp,
    VisualBasic,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Language::CSharp => "C#",
            Language::VisualBasic => "Visual Basic .NET",
        }
    }
}

/// What kind of script a [`ScriptHost`] builds: the stand-ins it is compiled against differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    Task,
    Component,
}

/// A script to compile or load: its sources and the precompiled assemblies the package stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSources {
    /// `SC_<hex>`: the project's name.
    pub name: String,
    pub language: Language,
    pub kind: ScriptKind,
    /// (file name as stored, text) of the sources to compile, in a stable order.
    pub sources: Vec<(String, String)>,
    /// (file name, bytes) of the stored assemblies.
    pub binaries: Vec<(String, Vec<u8>)>,
}

/// The assembly to run, and what to tell the run about how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedScript {
    pub assembly: String,
    pub notes: Vec<String>,
}

/// How a script host process ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptExit {
    /// Exit code or signal, with the start of its standard error.
    pub description: String,
    /// Stopped by the run's cancellation.
    pub cancelled: bool,
    /// Why its channel could not be trusted, if it could not.
    pub channel_error: Option<String>,
}

/// A running script host: frames to it on its standard input, frames from it on its channel.
pub trait ScriptProcess: Send {
    /// Sends one frame body (the length is added).
    fn send(&mut self, body: Vec<u8>) -> Result<(), HostError>;
    /// The next frame body from the host; `None` once its channel has closed.
    fn recv(&mut self) -> Option<Vec<u8>>;
    /// Closes its input and waits for it to end.
    fn finish(&mut self) -> ScriptExit;
    /// Stops it now (the data flow failed or is cancelled).
    fn kill(&mut self);
}

/// Runs scripts: provided by the runtime through [`crate::host::Host::scripts`].
pub trait ScriptHost: Send + Sync {
    /// Compiles (or finds in the cache) the assembly `sources` describe.
    fn prepare(&self, sources: &ScriptSources) -> Result<PreparedScript, HostError>;
    /// Starts a host process with `request` as its first frame.
    fn start(&self, request: Vec<u8>) -> Result<Box<dyn ScriptProcess>, HostError>;
}
