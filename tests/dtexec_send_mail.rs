//! End-to-end tests of the Send Mail task with the real `dtexec` against a real SMTP server
//! the test starts (`python3 -m aiosmtpd` with the handler in `tests/support_smtp/`, which
//! writes each message to a directory): direct input with To/CC/BCC, priority and two
//! attachments, a body from a variable and a body from a FILE connection, and a refused
//! server. When aiosmtpd cannot be started the test prints `SKIPPED: …` and passes.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Option<u16> {
    TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

fn start_server(dir: &Path) -> Result<Server, String> {
    let port = free_port().ok_or("no free port")?;
    let root = env!("CARGO_MANIFEST_DIR");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "save_to_dir.SaveToDir"])
        .arg(dir)
        .env("PYTHONPATH", Path::new(root).join("tests/support_smtp"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("aiosmtpd exited with {status} (is it installed?)"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("aiosmtpd did not listen within 10 seconds".into())
}

fn dtexec(dir: &Path, smtp: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["/F", "tests/packages/run/mail/mail.dtsx", "/Set"])
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .arg("/Set")
        .arg(format!(
            "\\Package.Connections[SMTP].Properties[ConnectionString];{smtp}"
        ))
        .output()
        .expect("dtexec starts");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The received messages as (envelope JSON, raw message), whichever order they came in.
fn received(dir: &Path, n: usize) -> Vec<(serde_json::Value, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while (1..=n).any(|i| !dir.join(format!("{i}.eml")).exists()) {
        assert!(Instant::now() < deadline, "fewer than {n} messages arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    (1..=n)
        .map(|i| {
            let env = std::fs::read_to_string(dir.join(format!("{i}.json"))).expect("envelope");
            let raw = std::fs::read(dir.join(format!("{i}.eml"))).expect("message");
            (
                serde_json::from_str(&env).expect("JSON"),
                String::from_utf8_lossy(&raw).into_owned(),
            )
        })
        .collect()
}

#[test]
fn messages_from_each_source_with_attachments_reach_a_real_smtp_server() {
    let mail = tempfile::tempdir().expect("temp");
    let work = tempfile::tempdir().expect("temp");
    let server = match start_server(mail.path()) {
        Ok(s) => s,
        Err(e) => {
            println!("SKIPPED: Send Mail against aiosmtpd: {e}");
            return;
        }
    };
    std::fs::write(work.path().join("body.txt"), "Body read from a file\n").expect("write");
    std::fs::write(work.path().join("report.csv"), "a,b\n1,2\n").expect("write");
    std::fs::write(work.path().join("data.bin"), [0u8, 1, 2, 255]).expect("write");
    let smtp = format!(
        "SmtpServer=127.0.0.1:{};UseWindowsAuthentication=False;EnableSsl=False;",
        server.port
    );
    let (code, out) = dtexec(work.path(), &smtp);
    assert_eq!(code, 0, "{out}");
    let messages = received(mail.path(), 3);
    let find = |subject: &str| {
        messages
            .iter()
            .find(|(_, raw)| raw.contains(&format!("Subject: {subject}")))
            .unwrap_or_else(|| panic!("no message \"{subject}\""))
    };
    let (env, raw) = find("Direct input");
    assert_eq!(env["mail_from"], "etl@example.org");
    let rcpt: Vec<&str> = env["rcpt_tos"]
        .as_array()
        .expect("recipients")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for a in [
        "ops@example.org",
        "dba@example.org",
        "cc@example.org",
        "audit@example.org",
    ] {
        assert!(rcpt.contains(&a), "{a} in {rcpt:?}");
    }
    assert!(raw.contains("Cc: cc@example.org"), "{raw}");
    assert!(
        !raw.contains("audit@example.org"),
        "BCC is not a header: {raw}"
    );
    assert!(raw.contains("X-Priority: 1"), "{raw}");
    assert!(raw.contains("Body typed in the task"), "{raw}");
    assert!(raw.contains("filename=\"report.csv\""), "{raw}");
    assert!(raw.contains("filename=\"data.bin\""), "{raw}");
    let (_, raw) = find("From a variable");
    assert!(raw.contains("Body from a variable"), "{raw}");
    assert!(raw.contains("X-Priority: 5"), "{raw}");
    let (_, raw) = find("From a file");
    assert!(raw.contains("Body read from a file"), "{raw}");
}

#[test]
fn windows_authentication_and_an_unreachable_server_fail_the_task() {
    let work = tempfile::tempdir().expect("temp");
    std::fs::write(work.path().join("body.txt"), "x").expect("write");
    std::fs::write(work.path().join("report.csv"), "x").expect("write");
    std::fs::write(work.path().join("data.bin"), "x").expect("write");
    let (code, out) = dtexec(
        work.path(),
        "SmtpServer=127.0.0.1:1;UseWindowsAuthentication=True;EnableSsl=False;",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Windows Authentication"), "{out}");
    let port = free_port().expect("port");
    let (code, out) = dtexec(
        work.path(),
        &format!("SmtpServer=127.0.0.1:{port};UseWindowsAuthentication=False;EnableSsl=False;"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("did not accept the message"), "{out}");
}
