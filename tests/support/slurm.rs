//! A throwaway one-machine Slurm cluster for tests: Debian's `munged`, `slurmctld` and `slurmd`
//! started in the foreground as children of the test, with a configuration, a munge key, state
//! and spool directories, logs and the munge socket all in a temp directory, the controller and
//! node on free loopback ports, one node (`n1`, 2 CPUs) in one partition (`debug`). Dropping
//! it (also when a test fails) cancels every job still on the cluster, waits briefly for them
//! to end, and stops every daemon it started (TERM, then KILL). Starting needs root (slurmd
//! runs jobs as their users); `start` says why it cannot, for a SKIPPED line.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Debian packages the Slurm tests need, for SKIPPED lines.
pub const SLURM_PACKAGES: &str = "slurm-wlm and munge (scripts/test installs them)";

/// A running cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    /// The daemons, started last first stopped: munged, slurmctld, slurmd.
    daemons: Vec<(String, Child)>,
    pub conf: PathBuf,
    ctld_port: u16,
    node_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn hostname() -> String {
    let out = Command::new("hostname").output().expect("hostname runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Cluster {
    /// Starts the cluster, or says why it cannot (not root, daemons missing).
    pub fn start() -> Result<Cluster, String> {
        if !super::is_root() {
            return Err("the Slurm tests start slurmd, which needs root".into());
        }
        for d in [
            "/usr/sbin/munged",
            "/usr/sbin/slurmctld",
            "/usr/sbin/slurmd",
        ] {
            if !Path::new(d).exists() {
                return Err(format!("{d} not found; install {SLURM_PACKAGES}"));
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("ssisd-slurm-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        for sub in ["munge", "munge-key", "state", "spool", "log"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        // munged wants its socket's directories searchable by all (every job's user talks to
        // it) and its key private.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o711)).unwrap();
        std::fs::set_permissions(d.join("munge"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(d.join("munge-key"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let mut key = vec![0u8; 1024];
        {
            use std::io::Read;
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut key))
                .expect("random bytes for the munge key");
        }
        std::fs::write(d.join("munge-key/key"), key).unwrap();
        std::fs::set_permissions(
            d.join("munge-key/key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let (ctld_port, node_port) = (free_port(), free_port());
        let host = hostname();
        let conf = d.join("slurm.conf");
        std::fs::write(d.join("plugstack.conf"), "").unwrap();
        std::fs::write(
            &conf,
            format!(
                "ClusterName=ssisdtest\n\
                 SlurmctldHost={host}(127.0.0.1)\n\
                 SlurmctldPort={ctld_port}\n\
                 SlurmdPort={node_port}\n\
                 AuthType=auth/munge\n\
                 AuthInfo=socket={d}/munge/sock\n\
                 CredType=cred/munge\n\
                 StateSaveLocation={d}/state\n\
                 SlurmdSpoolDir={d}/spool\n\
                 SlurmctldPidFile={d}/slurmctld.pid\n\
                 SlurmdPidFile={d}/slurmd.pid\n\
                 SlurmctldLogFile={d}/log/slurmctld.log\n\
                 SlurmdLogFile={d}/log/slurmd.log\n\
                 SlurmUser=root\n\
                 SlurmdUser=root\n\
                 ProctrackType=proctrack/linuxproc\n\
                 TaskPlugin=task/none\n\
                 JobAcctGatherType=jobacct_gather/none\n\
                 AccountingStorageType=accounting_storage/none\n\
                 SchedulerType=sched/builtin\n\
                 SelectType=select/cons_tres\n\
                 SelectTypeParameters=CR_Core\n\
                 ReturnToService=2\n\
                 MpiDefault=none\n\
                 SwitchType=switch/none\n\
                 KillWait=5\n\
                 MinJobAge=600\n\
                 PlugStackConfig={d}/plugstack.conf\n\
                 NodeName=n1 NodeHostname={host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n\
                 PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:16\n",
                d = d.display()
            ),
        )
        .unwrap();
        let mut cluster = Cluster {
            dir,
            daemons: Vec::new(),
            conf,
            ctld_port,
            node_port,
        };
        let d = cluster.dir.path().to_path_buf();
        let munged = Command::new("/usr/sbin/munged")
            .arg("-F")
            .arg(format!("--key-file={}", d.join("munge-key/key").display()))
            .arg(format!("--socket={}", d.join("munge/sock").display()))
            .arg(format!("--pid-file={}", d.join("munge/pid").display()))
            .arg(format!("--log-file={}", d.join("munge/log").display()))
            .arg(format!("--seed-file={}", d.join("munge/seed").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("munged starts");
        cluster.daemons.push(("munged".into(), munged));
        cluster.wait_for("munged's socket", || d.join("munge/sock").exists());
        cluster.start_controller();
        cluster.start_node();
        Ok(cluster)
    }

    fn daemon(&self, program: &str, args: &[&str]) -> Child {
        Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts: {e}"))
    }

    /// Starts slurmctld (again, after [`Cluster::stop_controller`]: its state is kept).
    pub fn start_controller(&mut self) {
        let ctld = self.daemon("/usr/sbin/slurmctld", &["-D"]);
        self.daemons.push(("slurmctld".into(), ctld));
        self.wait_for("slurmctld to answer", || {
            self.command("scontrol")
                .arg("ping")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is UP"))
        });
    }

    /// Stops slurmctld (jobs go on on the node).
    pub fn stop_controller(&mut self) {
        if let Some(i) = self.daemons.iter().position(|(n, _)| n == "slurmctld") {
            let (_, child) = self.daemons.remove(i);
            stop(child);
        }
    }

    fn start_node(&mut self) {
        let slurmd = self.daemon("/usr/sbin/slurmd", &["-D", "-N", "n1"]);
        self.daemons.push(("slurmd".into(), slurmd));
        self.wait_for("the node to be idle", || {
            self.command("sinfo")
                .args(["-h", "-o", "%T"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("idle"))
        });
    }

    fn wait_for(&self, what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready() {
            if Instant::now() > deadline {
                panic!(
                    "Slurm test cluster: waited in vain for {what}; logs:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A Slurm command against this cluster.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf).stdin(Stdio::null());
        c
    }

    /// A command's standard output (it must succeed).
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let out = self.command(program).args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The state of job `id` (`RUNNING`, `COMPLETED`, …).
    pub fn job_state(&self, id: &str) -> String {
        let text = self.run("scontrol", &["show", "job", "-o", id]);
        text.split_whitespace()
            .find_map(|w| w.strip_prefix("JobState="))
            .unwrap_or_default()
            .to_string()
    }

    /// Every job the controller knows (id, name, state).
    pub fn jobs(&self) -> Vec<(String, String, String)> {
        self.run("squeue", &["-h", "-a", "--states=all", "-o", "%i|%j|%T"])
            .lines()
            .filter_map(|l| {
                let mut p = l.trim().split('|');
                Some((
                    p.next()?.to_string(),
                    p.next()?.to_string(),
                    p.next()?.to_string(),
                ))
            })
            .collect()
    }

    /// The `[[executor]]` entry of a Slurm executor named `name` using this cluster.
    pub fn executor_toml(&self, name: &str, extra: &str) -> String {
        format!(
            "[[executor]]\nname = \"{name}\"\nkind = \"slurm\"\nslurm_conf = \"{}\"\npoll_seconds = 0.25\n{extra}\n",
            self.conf.display()
        )
    }

    /// The daemons' logs, for a failure message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for f in ["log/slurmctld.log", "log/slurmd.log", "munge/log"] {
            let text = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            out.push_str(&format!("--- {f}\n"));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

/// TERM, then KILL after a few seconds; reaped either way.
fn stop(mut child: Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Jobs first (their processes belong to slurmstepd, not to the daemons we stop).
        let controller_up = self.daemons.iter().any(|(n, _)| n == "slurmctld");
        if controller_up {
            let ids: Vec<String> = self
                .command("squeue")
                .args(["-h", "-o", "%i"])
                .output()
                .map(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .map(|l| l.trim().to_string())
                        .filter(|l| !l.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if !ids.is_empty() {
                let _ = self.command("scancel").args(&ids).status();
                let deadline = Instant::now() + Duration::from_secs(15);
                while Instant::now() < deadline {
                    let left = self
                        .command("squeue")
                        .args(["-h", "-o", "%i"])
                        .output()
                        .map(|o| !o.stdout.is_empty())
                        .unwrap_or(false);
                    if !left {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        while let Some((_, child)) = self.daemons.pop() {
            stop(child);
        }
    }
}
