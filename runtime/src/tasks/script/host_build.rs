//! Building the script host on first use (the Script Task's and the Script Component's): its C# sources (`runtime/script-host/`, compiled into
//! this binary) are built with `mcs` into the cache, in a directory named by the hash of those
//! sources and of the compiler, so a changed host is rebuilt and an unchanged one is reused by
//! every later run. The stand-ins that must carry a framework identity (Windows Forms, the
//! add-in attribute, and the bridge they reference) are delay-signed with the ECMA public key,
//! which is all that identity needs. It owns the list of assemblies and their build order.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cache::{self, ScriptCacheError};
use super::mono::{Mono, MonoMissing};
use crate::cancel::CancelToken;
use crate::process::{run_child, ChildInput, ChildSpec, ProcessRegistry};

/// The program that runs a script.
pub const HOST_EXE: &str = "ssisd-script-host.exe";

/// The ECMA public key (the 16-byte key behind the token b77a5c561934e089).
const ECMA_KEY: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0];

/// One assembly of the host.
struct Unit {
    /// Output file name.
    out: &'static str,
    exe: bool,
    /// Delay-signed with the ECMA key.
    ecma: bool,
    /// References: earlier units' outputs or framework assemblies.
    refs: &'static [&'static str],
    sources: &'static [(&'static str, &'static str)],
}

macro_rules! src {
    ($p:literal) => {
        ($p, include_str!(concat!("../../../script-host/", $p)))
    };
}

const BRIDGE: &str = "Ssisd.ScriptHost.Bridge.dll";
const DTS: &str = "Microsoft.SqlServer.ManagedDTS.dll";
const TASK: &str = "Microsoft.SqlServer.ScriptTask.dll";
const PROXY: &str = "Microsoft.SqlServer.VSTAScriptTaskPrx.dll";
const VSTA: &str = "Microsoft.VisualStudio.Tools.Applications.Runtime.v9.0.dll";
const VSA: &str = "Microsoft.Vsa.dll";
const FORMS: &str = "System.Windows.Forms.dll";
const ADDIN: &str = "System.AddIn.dll";
const VB: &str = "Microsoft.VisualBasic.dll";
const PIPELINE_HOST: &str = "Microsoft.SqlServer.PipelineHost.dll";
const PIPELINE_WRAP: &str = "Microsoft.SqlServer.DTSPipelineWrap.dll";
const RUNTIME_WRAP: &str = "Microsoft.SqlServer.DTSRuntimeWrap.dll";
const TX_SCRIPT: &str = "Microsoft.SqlServer.TxScript.dll";

const UNITS: &[Unit] = &[
    Unit {
        out: BRIDGE,
        exe: false,
        ecma: true,
        refs: &[],
        sources: &[src!("bridge/Bridge.cs")],
    },
    Unit {
        out: FORMS,
        exe: false,
        ecma: true,
        refs: &[BRIDGE],
        sources: &[src!("shims/WindowsForms/MessageBox.cs")],
    },
    Unit {
        out: VB,
        exe: false,
        ecma: false,
        refs: &[BRIDGE, FORMS],
        sources: &[
            src!("shims/VisualBasic/CompilerServices.cs"),
            src!("shims/VisualBasic/Runtime.cs"),
        ],
    },
    Unit {
        out: ADDIN,
        exe: false,
        ecma: true,
        refs: &[],
        sources: &[src!("shims/AddIn/AddInAttribute.cs")],
    },
    Unit {
        out: VSA,
        exe: false,
        ecma: false,
        refs: &[],
        sources: &[src!("shims/Vsa/Vsa.cs")],
    },
    Unit {
        out: VSTA,
        exe: false,
        ecma: false,
        refs: &[],
        sources: &[src!("shims/VstaRuntime/IEntryPoint.cs")],
    },
    Unit {
        out: DTS,
        exe: false,
        ecma: false,
        refs: &[BRIDGE, "System.Data.dll"],
        sources: &[
            src!("shims/ManagedDTS/AssemblyInfo.cs"),
            src!("shims/ManagedDTS/Connections.cs"),
            src!("shims/ManagedDTS/Errors.cs"),
            src!("shims/ManagedDTS/Events.cs"),
            src!("shims/ManagedDTS/Variables.cs"),
        ],
    },
    Unit {
        out: TASK,
        exe: false,
        ecma: false,
        refs: &[BRIDGE, DTS],
        sources: &[src!("shims/ScriptTask/ScriptObjectModel.cs")],
    },
    Unit {
        out: PROXY,
        exe: false,
        ecma: false,
        refs: &[DTS, TASK],
        sources: &[src!("shims/VSTAScriptTaskPrx/Proxy.cs")],
    },
    Unit {
        out: PIPELINE_HOST,
        exe: false,
        ecma: false,
        refs: &[BRIDGE],
        sources: &[src!("shims/PipelineHost/PipelineBuffer.cs")],
    },
    Unit {
        out: PIPELINE_WRAP,
        exe: false,
        ecma: false,
        refs: &[BRIDGE],
        sources: &[src!("shims/DTSPipelineWrap/ComponentMetaData.cs")],
    },
    Unit {
        out: RUNTIME_WRAP,
        exe: false,
        ecma: false,
        refs: &[BRIDGE, DTS],
        sources: &[src!("shims/DTSRuntimeWrap/Wrapper.cs")],
    },
    Unit {
        out: TX_SCRIPT,
        exe: false,
        ecma: false,
        refs: &[BRIDGE, PIPELINE_HOST, PIPELINE_WRAP, RUNTIME_WRAP],
        sources: &[src!("shims/TxScript/ScriptComponent.cs")],
    },
    Unit {
        out: HOST_EXE,
        exe: true,
        ecma: false,
        refs: &[
            BRIDGE,
            DTS,
            TASK,
            PROXY,
            VSA,
            PIPELINE_HOST,
            PIPELINE_WRAP,
            RUNTIME_WRAP,
            TX_SCRIPT,
            "System.Core.dll",
        ],
        sources: &[
            src!("host/Component.cs"),
            src!("host/EntryPoint.cs"),
            src!("host/Program.cs"),
            src!("host/Protocol.cs"),
            src!("host/Resolver.cs"),
        ],
    },
];

/// The stand-ins a recompiled Script Task is compiled against, beside the framework's own.
pub const SCRIPT_REFERENCES: &[&str] = &[DTS, TASK, PROXY, VSTA, VSA, FORMS, ADDIN, VB];

/// The stand-ins a recompiled Script Component is compiled against.
pub const COMPONENT_REFERENCES: &[&str] = &[
    PIPELINE_HOST,
    PIPELINE_WRAP,
    RUNTIME_WRAP,
    TX_SCRIPT,
    DTS,
    FORMS,
    VB,
];

/// Why `mcs` did not build, or why the script host cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum HostBuildError {
    /// Mono or mcs is not installed.
    #[error(transparent)]
    Mono(#[from] MonoMissing),
    #[error("mcs ({}) could not be started: {source}", .mcs.display())]
    Start {
        mcs: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the build was cancelled")]
    Cancelled,
    /// mcs failed; its diagnostics (stdout, then stderr), trimmed.
    #[error("{0}")]
    Diagnostics(String),
    #[error(transparent)]
    Cache(#[from] ScriptCacheError),
    /// Writing the sources of a build.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// One unit of the host (the output named) does not build.
    #[error("the script host ({unit}) does not build: {source}")]
    Unit {
        unit: &'static str,
        source: Box<HostBuildError>,
    },
}

/// The hash that names a host build: every source, the unit list and the compiler.
pub fn fingerprint(mono: &Mono) -> String {
    let mut parts: Vec<Vec<u8>> = vec![mono.mcs.display().to_string().into_bytes()];
    if let Ok(m) = std::fs::metadata(&mono.mcs) {
        use std::os::unix::fs::MetadataExt;
        parts.push(format!("{}:{}", m.size(), m.mtime()).into_bytes());
    }
    for u in UNITS {
        parts.push(format!("{}|{}|{}|{}", u.out, u.exe, u.ecma, u.refs.join(",")).into_bytes());
        for (name, text) in u.sources {
            parts.push(name.as_bytes().to_vec());
            parts.push(text.as_bytes().to_vec());
        }
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    cache::digest(&refs)
}

/// Runs `mcs` with `args` in `dir`; its diagnostics on failure.
pub fn mcs(
    mono: &Mono,
    dir: &Path,
    args: &[String],
    cancel: &CancelToken,
    registry: &ProcessRegistry,
) -> Result<(), HostBuildError> {
    let mut command = Command::new(&mono.mcs);
    command.current_dir(dir).args(args);
    let out = run_child(
        ChildSpec {
            command,
            stdin: ChildInput::Null,
            capture_stdout: true,
            capture_stderr: true,
            timeout: None,
            terminate_after_timeout: false,
            grace: Duration::from_secs(2),
            output_limit: Some(1024 * 1024),
        },
        cancel,
        registry,
    )
    .map_err(|source| HostBuildError::Start {
        mcs: mono.mcs.clone(),
        source,
    })?;
    if out.cancelled {
        return Err(HostBuildError::Cancelled);
    }
    if out.code == Some(0) {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Err(HostBuildError::Diagnostics(text.trim().to_string()))
}

/// The directory of a built host (built now when missing).
pub fn ensure(
    mono: &Mono,
    cancel: &CancelToken,
    registry: &ProcessRegistry,
) -> Result<PathBuf, HostBuildError> {
    let root = cache::root()?;
    let target = root.join("script-host").join(fingerprint(mono));
    if target.join(HOST_EXE).is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(root.join("script-host")).map_err(|source| {
        ScriptCacheError::Write {
            path: root.clone(),
            source,
        }
    })?;
    let work = cache::work_dir(&root.join("script-host"))?;
    let dir = work.path();
    std::fs::write(dir.join("ecma.pub"), ECMA_KEY)?;
    for u in UNITS {
        let src = dir.join("src").join(u.out);
        std::fs::create_dir_all(&src)?;
        let mut args = vec![
            "-nologo".to_string(),
            "-optimize+".to_string(),
            format!("-target:{}", if u.exe { "exe" } else { "library" }),
            format!("-out:{}", u.out),
        ];
        if u.ecma {
            args.push("-delaysign+".into());
            args.push("-keyfile:ecma.pub".into());
        }
        for r in u.refs {
            args.push(format!("-r:{r}"));
        }
        for (i, (name, text)) in u.sources.iter().enumerate() {
            let file = src.join(format!("{i}-{}", name.rsplit('/').next().unwrap_or(name)));
            std::fs::write(&file, text)?;
            args.push(file.display().to_string());
        }
        mcs(mono, dir, &args, cancel, registry).map_err(|e| HostBuildError::Unit {
            unit: u.out,
            source: Box::new(e),
        })?;
    }
    let _ = std::fs::remove_dir_all(dir.join("src"));
    let _ = std::fs::remove_file(dir.join("ecma.pub"));
    cache::publish_dir(work, &target)?;
    Ok(target)
}
