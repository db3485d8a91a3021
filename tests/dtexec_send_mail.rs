//! End-to-end tests of the Send Mail task with the real `dtexec` against a real SMTP server
//! the test starts (`python3 -m aiosmtpd` with the handler in `tests/support_smtp/`, which
//! writes each message to a directory): direct input with To/CC/BCC, priority and two
//! attachments, a body from a variable and a body from a FILE connection, and a refused
//! server; then a server that requires STARTTLS (a certificate from a CA the test makes with
//! rcgen, trusted through `SSISD_SMTP_CA_FILE`) and AUTH PLAIN or LOGIN
//! (`tests/support_smtp/auth_server.py`), with good, wrong and missing credentials; and a
//! server that never answers, where SIGTERM must end the run at once with exit code 3. When
//! aiosmtpd cannot be started the tests print `SKIPPED: …` and pass.

mod support;

use support::smtp::{free_port, received, start_server, Server};

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn command(dir: &Path, smtp: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SSISD_SMTP_USER")
        .env_remove("SSISD_SMTP_PASSWORD")
        .env_remove("SSISD_SMTP_CA_FILE")
        .args(["/F", "tests/packages/run/mail/mail.dtsx", "/Set"])
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .arg("/Set")
        .arg(format!(
            "\\Package.Connections[SMTP].Properties[ConnectionString];{smtp}"
        ));
    c
}

fn dtexec(dir: &Path, smtp: &str) -> (i32, String) {
    run(command(dir, smtp))
}

fn run(mut c: Command) -> (i32, String) {
    let out = c.output().expect("dtexec starts");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The files mail.dtsx attaches and reads its body from.
fn work_dir() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("temp");
    std::fs::write(work.path().join("body.txt"), "Body read from a file\n").expect("write");
    std::fs::write(work.path().join("report.csv"), "a,b\n1,2\n").expect("write");
    std::fs::write(work.path().join("data.bin"), [0u8, 1, 2, 255]).expect("write");
    work
}

#[test]
fn messages_from_each_source_with_attachments_reach_a_real_smtp_server() {
    let mail = tempfile::tempdir().expect("temp");
    let work = work_dir();
    let server = match start_server(mail.path()) {
        Ok(s) => s,
        Err(e) => {
            println!("SKIPPED: Send Mail against aiosmtpd: {e}");
            return;
        }
    };
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
    let work = work_dir();
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

/// A CA and a server certificate for 127.0.0.1 signed by it, as PEM files in `dir`:
/// (ca.pem, cert.pem, key.pem).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ssisd Send Mail test CA");
    let ca = ca.self_signed(&ca_key).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params");
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf.signed_by(&key, &ca, &ca_key).expect("certificate");
    let files = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&files.0, ca.pem()).expect("write");
    std::fs::write(&files.1, leaf.pem()).expect("write");
    std::fs::write(&files.2, key.serialize_pem()).expect("write");
    files
}

/// Starts `auth_server.py` offering `mechanism`, for the user `etl` with password `s3cret`.
fn start_auth_server(
    mail: &Path,
    cert: &Path,
    key: &Path,
    mechanism: &str,
) -> Result<Server, String> {
    let port = free_port().ok_or("no free port")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support_smtp");
    let log = mail.join("server.log");
    let mut child = Command::new("python3")
        .arg(root.join("auth_server.py"))
        .args(["127.0.0.1", &port.to_string()])
        .arg(mail)
        .arg(cert)
        .arg(key)
        .args([mechanism, "etl", "s3cret"])
        .env("PYTHONPATH", &root)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = BufReader::new(stdout).lines().next();
        let _ = tx.send(first.and_then(Result::ok));
    });
    let mut server = Server { child, port };
    match rx.recv_timeout(Duration::from_secs(15)) {
        Ok(Some(line)) if line.trim() == "ready" => Ok(server),
        _ => {
            let _ = server.child.kill();
            let _ = server.child.wait();
            let err = std::fs::read_to_string(&log).unwrap_or_default();
            Err(format!(
                "the STARTTLS/AUTH server did not start (is aiosmtpd installed?): {}",
                err.trim()
            ))
        }
    }
}

fn auth_log(mail: &Path) -> Vec<String> {
    std::fs::read_to_string(mail.join("auth.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn starttls_and_auth_plain_or_login_reach_an_authenticating_server() {
    for mechanism in ["PLAIN", "LOGIN"] {
        let certs = tempfile::tempdir().expect("temp");
        let (ca, cert, key) = certificates(certs.path());
        let mail = tempfile::tempdir().expect("temp");
        let server = match start_auth_server(mail.path(), &cert, &key, mechanism) {
            Ok(s) => s,
            Err(e) => {
                println!("SKIPPED: Send Mail with STARTTLS and AUTH against aiosmtpd: {e}");
                return;
            }
        };
        let work = work_dir();
        let smtp = |user: &str| {
            format!(
                "SmtpServer=127.0.0.1:{};UseWindowsAuthentication=False;EnableSsl=True;{user}",
                server.port
            )
        };
        // Credentials in the connection string, the test CA trusted.
        let mut c = command(work.path(), &smtp("User=etl;Password=s3cret;"));
        c.env("SSISD_SMTP_CA_FILE", &ca);
        let (code, out) = run(c);
        assert_eq!(code, 0, "{mechanism}: {out}");
        let messages = received(mail.path(), 3);
        assert!(messages
            .iter()
            .any(|(_, raw)| raw.contains("Subject: Direct input")));
        let log = auth_log(mail.path());
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(
            log.iter().all(|l| l == &format!("{mechanism} etl ok tls")),
            "{log:?}"
        );

        // Credentials from the environment.
        let mut c = command(work.path(), &smtp(""));
        c.env("SSISD_SMTP_CA_FILE", &ca)
            .env("SSISD_SMTP_USER", "etl")
            .env("SSISD_SMTP_PASSWORD", "s3cret");
        let (code, out) = run(c);
        assert_eq!(code, 0, "{mechanism}: {out}");
        received(mail.path(), 6);

        // A wrong password: refused by the server, the task fails saying so.
        let mut c = command(work.path(), &smtp("User=etl;Password=wrong;"));
        c.env("SSISD_SMTP_CA_FILE", &ca);
        let (code, out) = run(c);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("did not accept the message"), "{out}");
        assert!(
            auth_log(mail.path()).contains(&format!("{mechanism} etl refused tls")),
            "{:?}",
            auth_log(mail.path())
        );

        // No credentials: the server requires AUTH and refuses the message.
        let mut c = command(work.path(), &smtp(""));
        c.env("SSISD_SMTP_CA_FILE", &ca);
        let (code, out) = run(c);
        assert_eq!(code, 1, "{out}");

        // The test CA not trusted: STARTTLS fails on the certificate, nothing is sent.
        let before = auth_log(mail.path()).len();
        let (code, out) = dtexec(work.path(), &smtp("User=etl;Password=s3cret;"));
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("did not accept the message"), "{out}");
        assert_eq!(auth_log(mail.path()).len(), before, "no AUTH without trust");
    }
}

#[test]
fn sigterm_ends_a_send_blocked_on_a_silent_server_with_exit_3() {
    // A server that accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().map_while(Result::ok) {
            held.push(s);
            let _ = tx.send(());
        }
    });
    let work = work_dir();
    let mut child = command(
        work.path(),
        &format!("SmtpServer=127.0.0.1:{port};UseWindowsAuthentication=False;EnableSsl=False;"),
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("dtexec starts");
    rx.recv_timeout(Duration::from_secs(20))
        .expect("dtexec connected to the silent server");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the send ended early"
    );
    let at = Instant::now();
    let (status, out) = support::sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(
        at.elapsed() < Duration::from_secs(5),
        "took {:?} after SIGTERM",
        at.elapsed()
    );
}
