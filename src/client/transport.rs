//! A small HTTP/1.1 client for the management API over three transports: the local service's
//! Unix socket, plain TCP and TLS (rustls). One request per connection (`Connection: close`):
//! it writes the request, reads the status line and headers within fixed limits, and hands back
//! the body framed by Content-Length, chunked transfer coding, or the end of the connection —
//! buffered, or as a reader for server-sent events. It knows HTTP framing only: not the API's
//! URLs, JSON, credentials or versions, and it must not retry or follow redirects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

/// How long a TCP connection may take to be established.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most the status line and headers of an answer may take together.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields an answer may have.
pub const MAX_HEADERS: usize = 128;
/// The longest chunk-size line (with extensions) or trailer line accepted.
const MAX_LINE_BYTES: usize = 8 * 1024;

/// Where requests go.
#[derive(Clone)]
pub enum Transport {
    /// A Unix domain socket.
    Unix(PathBuf),
    /// Plain TCP to `host:port`.
    Tcp { authority: String },
    /// TLS over TCP to `host:port`, verifying the certificate for `server_name`.
    Tls {
        authority: String,
        server_name: ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
    },
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Ways a request can fail below HTTP status codes.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect to {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("\"{name}\" cannot be checked against a TLS certificate ({detail}); name the service by a DNS name or an IP address")]
    ServerName { name: String, detail: String },
    #[error("TLS with {target} failed: {detail}. {hint}")]
    Tls {
        target: String,
        detail: String,
        hint: &'static str,
    },
    #[error("sending the request to {target} failed: {source}")]
    Send {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target} did not answer within {} s; the service may be overloaded — retry, or look at its log (journalctl -u ssisd)", .after.as_secs())]
    Timeout { target: String, after: Duration },
    #[error("reading the answer from {target} failed: {source}")]
    Read {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target} closed the connection without answering; look at the service's log (journalctl -u ssisd)")]
    NoAnswer { target: String },
    #[error("the answer from {target} is not valid HTTP ({detail}); check that --server names an ssisd service and the right scheme (http:// or https://)")]
    Malformed { target: String, detail: String },
    #[error("the request cannot be sent: {0}")]
    InvalidRequest(String),
}

impl TransportError {
    /// Whether the service could not be reached at all (nothing was sent).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TransportError::Connect { .. })
    }
}

/// One request. `target` is the request target, e.g. `/api/v1/status`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    /// Extra header fields (Host, Content-Length and Connection are added).
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a [u8]>,
    /// The longest wait for the service while sending and for each read of the answer; `None`
    /// waits for ever (event streams).
    pub timeout: Option<Duration>,
}

/// Status line and header fields of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header field; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header field in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A complete answer read into memory.
#[derive(Debug)]
pub struct Buffered {
    pub head: Head,
    pub body: Vec<u8>,
}

/// An answer whose body is still to be read.
pub struct Response {
    pub head: Head,
    pub body: Body,
}

impl Response {
    /// Reads the whole body (at most `limit` bytes).
    pub fn buffer(mut self, limit: u64) -> Result<Buffered, TransportError> {
        let mut body = Vec::new();
        let target = self.body.target.clone();
        let timeout = self.body.timeout;
        (&mut self.body)
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| read_error(&target, timeout, e))?;
        if body.len() as u64 == limit && !self.body.finished() {
            return Err(TransportError::Malformed {
                target,
                detail: format!("the body is larger than {limit} bytes"),
            });
        }
        Ok(Buffered {
            head: self.head,
            body,
        })
    }
}

/// The open connection under a request.
enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn set_timeouts(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Stream::Tcp(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Stream::Tls(s) => {
                s.sock.set_read_timeout(timeout)?;
                s.sock.set_write_timeout(timeout)
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn read_error(target: &str, timeout: Option<Duration>, e: std::io::Error) -> TransportError {
    match timeout {
        Some(after) if is_timeout(&e) => TransportError::Timeout {
            target: target.to_string(),
            after,
        },
        _ if e.kind() == std::io::ErrorKind::InvalidData => TransportError::Malformed {
            target: target.to_string(),
            detail: e.to_string(),
        },
        _ => TransportError::Read {
            target: target.to_string(),
            source: e,
        },
    }
}

const TLS_HINT_CERT: &str = "If the service's certificate is signed by your own certificate authority, give that authority's certificate with --ca-file or SSISD_CA_FILE";
const TLS_HINT_NAME: &str = "Name the computer in --server as the service's certificate does (its host name, not an alias or address the certificate does not list)";
const TLS_HINT_PROTOCOL: &str = "Check that the service listens with TLS there (a plain loopback listener is reached with http://) and, if it asks for a client certificate, give one with --client-cert and --client-key";

/// The hint that fits a failed handshake.
fn tls_hint(e: &std::io::Error) -> &'static str {
    use rustls::CertificateError as C;
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        )) => TLS_HINT_NAME,
        Some(rustls::Error::InvalidCertificate(_)) => TLS_HINT_CERT,
        _ => TLS_HINT_PROTOCOL,
    }
}

impl Transport {
    /// `unix:/path`, `http://host:port` or `https://host:port`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Transport::Unix(path) => format!("unix:{}", path.display()),
            Transport::Tcp { authority } => format!("http://{authority}"),
            Transport::Tls { authority, .. } => format!("https://{authority}"),
        }
    }

    /// A TLS transport; `server_name` is the DNS name or IP address the certificate must carry.
    pub fn tls(
        authority: &str,
        server_name: &str,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<Transport, TransportError> {
        let name = ServerName::try_from(server_name.to_string()).map_err(|e| {
            TransportError::ServerName {
                name: server_name.to_string(),
                detail: e.to_string(),
            }
        })?;
        Ok(Transport::Tls {
            authority: authority.to_string(),
            server_name: name,
            config,
        })
    }

    /// The `Host` header field for requests.
    fn host(&self) -> &str {
        match self {
            Transport::Unix(_) => "localhost",
            Transport::Tcp { authority } | Transport::Tls { authority, .. } => authority,
        }
    }

    fn tcp(&self, authority: &str) -> Result<TcpStream, TransportError> {
        let target = self.describe();
        let connect_error = |source| TransportError::Connect {
            target: target.clone(),
            source,
        };
        let addrs: Vec<_> = authority
            .to_socket_addrs()
            .map_err(connect_error)?
            .collect();
        let mut last = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("\"{authority}\" resolves to no address"),
        );
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = e,
            }
        }
        Err(connect_error(last))
    }

    fn open(&self, timeout: Option<Duration>) -> Result<Stream, TransportError> {
        let target = self.describe();
        let stream = match self {
            Transport::Unix(path) => Stream::Unix(UnixStream::connect(path).map_err(|source| {
                TransportError::Connect {
                    target: target.clone(),
                    source,
                }
            })?),
            Transport::Tcp { authority } => Stream::Tcp(self.tcp(authority)?),
            Transport::Tls {
                authority,
                server_name,
                config,
            } => {
                let mut sock = self.tcp(authority)?;
                sock.set_read_timeout(Some(timeout.unwrap_or(CONNECT_TIMEOUT)))
                    .and_then(|()| sock.set_write_timeout(Some(CONNECT_TIMEOUT)))
                    .map_err(|source| TransportError::Connect {
                        target: target.clone(),
                        source,
                    })?;
                let mut conn = rustls::ClientConnection::new(config.clone(), server_name.clone())
                    .map_err(|e| TransportError::Tls {
                    target: target.clone(),
                    detail: e.to_string(),
                    hint: TLS_HINT_PROTOCOL,
                })?;
                while conn.is_handshaking() {
                    if let Err(e) = conn.complete_io(&mut sock) {
                        if is_timeout(&e) {
                            return Err(TransportError::Timeout {
                                target,
                                after: timeout.unwrap_or(CONNECT_TIMEOUT),
                            });
                        }
                        let hint = tls_hint(&e);
                        return Err(TransportError::Tls {
                            target,
                            detail: e.to_string(),
                            hint,
                        });
                    }
                }
                Stream::Tls(Box::new(rustls::StreamOwned::new(conn, sock)))
            }
        };
        stream
            .set_timeouts(timeout)
            .map_err(|source| TransportError::Connect { target, source })?;
        Ok(stream)
    }

    /// Sends one request and returns the answer with its body still to be read.
    pub fn send(&self, req: &Request<'_>) -> Result<Response, TransportError> {
        let head = self.request_head(req)?;
        let target = self.describe();
        let mut stream = self.open(req.timeout)?;
        let written = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(req.body.unwrap_or_default()))
            .and_then(|()| stream.flush());
        if let (Err(e), Some(after)) = (&written, req.timeout) {
            if is_timeout(e) {
                return Err(TransportError::Timeout { target, after });
            }
        }
        let mut reader = BufReader::new(stream);
        let head = match (written, read_head(&mut reader, &target, req.timeout)) {
            (_, Ok(head)) => head,
            // The service may answer (e.g. 401) and close before it has read the whole body.
            (Err(e), Err(_)) => return Err(TransportError::Send { target, source: e }),
            (Ok(()), Err(e)) => return Err(e),
        };
        let framing = framing(&head, req.method, &target)?;
        Ok(Response {
            head,
            body: Body {
                reader,
                framing,
                target,
                timeout: req.timeout,
            },
        })
    }

    /// Sends one request and reads the whole answer (at most `limit` bytes of body).
    pub fn fetch(&self, req: &Request<'_>, limit: u64) -> Result<Buffered, TransportError> {
        self.send(req)?.buffer(limit)
    }

    fn request_head(&self, req: &Request<'_>) -> Result<String, TransportError> {
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        };
        if !token(req.method) {
            return Err(TransportError::InvalidRequest(format!(
                "\"{}\" is not an HTTP method",
                req.method
            )));
        }
        if !req.target.starts_with('/') || req.target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(TransportError::InvalidRequest(format!(
                "\"{}\" is not a request path (it must start with / and contain no spaces or control characters)",
                req.target
            )));
        }
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            req.method,
            req.target,
            self.host()
        );
        let has_body = req.body.is_some()
            || !matches!(req.method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
        if has_body {
            head.push_str(&format!(
                "Content-Length: {}\r\n",
                req.body.map_or(0, <[u8]>::len)
            ));
        }
        for (name, value) in req.headers {
            if !token(name) {
                return Err(TransportError::InvalidRequest(format!(
                    "\"{name}\" is not a header field name"
                )));
            }
            if value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
                return Err(TransportError::InvalidRequest(format!(
                    "the value of header field {name} contains a control character"
                )));
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        Ok(head)
    }
}

/// Reads one line (through `\n`, at most `limit` bytes); `None` at the end of the stream.
fn read_line(reader: &mut impl BufRead, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    reader.take(limit as u64 + 1).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if !line.ends_with(b"\n") {
        let problem = if line.len() > limit {
            format!("a line is longer than {limit} bytes")
        } else {
            "the connection ended in the middle of a line".to_string()
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            problem,
        ));
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Ok(Some(line))
}

/// Reads the status line and header fields, skipping interim (1xx) answers.
fn read_head(
    reader: &mut impl BufRead,
    target: &str,
    timeout: Option<Duration>,
) -> Result<Head, TransportError> {
    let malformed = |detail: String| TransportError::Malformed {
        target: target.to_string(),
        detail,
    };
    loop {
        let mut budget = MAX_HEAD_BYTES;
        let mut next_line = |budget: &mut usize| -> Result<Option<Vec<u8>>, TransportError> {
            if *budget == 0 {
                return Err(malformed(format!(
                    "the status line and headers exceed {MAX_HEAD_BYTES} bytes"
                )));
            }
            let line = read_line(reader, *budget).map_err(|e| {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    malformed(format!(
                        "the status line and headers exceed {MAX_HEAD_BYTES} bytes or are cut short"
                    ))
                } else {
                    read_error(target, timeout, e)
                }
            })?;
            if let Some(l) = &line {
                *budget = budget.saturating_sub(l.len() + 2);
            }
            Ok(line)
        };
        let Some(status_line) = next_line(&mut budget)? else {
            return Err(TransportError::NoAnswer {
                target: target.to_string(),
            });
        };
        let status_line = String::from_utf8_lossy(&status_line).into_owned();
        let (status, reason) = parse_status_line(&status_line).ok_or_else(|| {
            let shown: String = status_line.chars().take(80).collect();
            malformed(format!("the status line is \"{shown}\""))
        })?;
        let mut headers = Vec::new();
        loop {
            let Some(line) = next_line(&mut budget)? else {
                return Err(malformed("the connection ended inside the headers".into()));
            };
            if line.is_empty() {
                break;
            }
            if headers.len() == MAX_HEADERS {
                return Err(malformed(format!("more than {MAX_HEADERS} header fields")));
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if line.starts_with([' ', '\t']) {
                return Err(malformed("a folded (obsolete) header line".into()));
            }
            let Some((name, value)) = line.split_once(':') else {
                let shown: String = line.chars().take(80).collect();
                return Err(malformed(format!(
                    "the header line \"{shown}\" has no colon"
                )));
            };
            if name.is_empty() || name.ends_with([' ', '\t']) {
                return Err(malformed(format!(
                    "the header name \"{name}\" is not valid"
                )));
            }
            headers.push((name.to_string(), value.trim().to_string()));
        }
        // 100 Continue and other interim answers precede the real one (101 is not expected).
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        return Ok(Head {
            status,
            reason,
            headers,
        });
    }
}

/// `HTTP/1.1 200 OK` → (200, "OK").
fn parse_status_line(line: &str) -> Option<(u16, String)> {
    let rest = line.strip_prefix("HTTP/1.")?;
    let mut parts = rest.splitn(3, ' ');
    let minor = parts.next()?;
    if minor.len() != 1 || !minor.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let status: u16 = code.parse().ok()?;
    if !(100..=599).contains(&status) {
        return None;
    }
    Some((status, parts.next().unwrap_or("").to_string()))
}

/// How the body of an answer is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body, or the body has been read.
    Done,
    /// `left` more bytes.
    Length { left: u64 },
    /// Chunked: `left` bytes of the current chunk; `crlf` when the chunk's CRLF is still due.
    Chunked { left: u64, crlf: bool },
    /// Until the connection ends.
    Eof,
}

fn framing(head: &Head, method: &str, target: &str) -> Result<Framing, TransportError> {
    if method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&head.status)
        || head.status == 204
        || head.status == 304
    {
        return Ok(Framing::Done);
    }
    if let Some(te) = head.header("transfer-encoding") {
        let last = te.rsplit(',').next().unwrap_or("").trim();
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked {
                left: 0,
                crlf: false,
            });
        }
        // Another coding last: the body ends with the connection.
        return Ok(Framing::Eof);
    }
    let lengths: Vec<&str> = head
        .headers()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    match lengths.first() {
        None => Ok(Framing::Eof),
        Some(first) => {
            let parsed = first
                .parse::<u64>()
                .ok()
                .filter(|_| first.bytes().all(|b| b.is_ascii_digit()));
            match parsed {
                Some(left) if lengths.iter().all(|l| l == first) => Ok(if left == 0 {
                    Framing::Done
                } else {
                    Framing::Length { left }
                }),
                _ => Err(TransportError::Malformed {
                    target: target.to_string(),
                    detail: format!("the Content-Length \"{}\" is not valid", lengths.join(", ")),
                }),
            }
        }
    }
}

/// The body of an answer as a reader: framing removed, chunks decoded. Reading past the end
/// returns 0; a body cut short is an error.
pub struct Body {
    reader: BufReader<Stream>,
    framing: Framing,
    target: String,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("target", &self.target)
            .field("framing", &self.framing)
            .finish()
    }
}

fn invalid_data(text: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, text)
}

impl Body {
    /// Whether the whole body has been read.
    pub fn finished(&self) -> bool {
        self.framing == Framing::Done
    }

    /// Reads the size line of the next chunk (after the CRLF of the previous one, if due);
    /// at the last chunk, reads the trailers too.
    fn next_chunk(&mut self, crlf: bool) -> std::io::Result<u64> {
        if crlf {
            match read_line(&mut self.reader, 2)? {
                Some(l) if l.is_empty() => {}
                _ => return Err(invalid_data("a chunk is not followed by CRLF".into())),
            }
        }
        let line = read_line(&mut self.reader, MAX_LINE_BYTES)?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the connection ended before the last chunk of the answer",
            )
        })?;
        let line = String::from_utf8_lossy(&line);
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_text, 16)
            .ok()
            .filter(|_| !size_text.is_empty() && size_text.len() <= 16)
            .ok_or_else(|| invalid_data(format!("\"{size_text}\" is not a chunk size")))?;
        if size == 0 {
            // Trailer fields, then an empty line.
            let mut trailers = 0;
            loop {
                match read_line(&mut self.reader, MAX_LINE_BYTES)? {
                    Some(l) if l.is_empty() => break,
                    // The connection may end right after the last chunk.
                    None => break,
                    Some(_) => {
                        trailers += 1;
                        if trailers > MAX_HEADERS {
                            return Err(invalid_data(format!(
                                "more than {MAX_HEADERS} trailer fields"
                            )));
                        }
                    }
                }
            }
        }
        Ok(size)
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.framing {
                Framing::Done => return Ok(0),
                Framing::Eof => return self.reader.read(buf),
                Framing::Length { left } => {
                    let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..max])?;
                    if n == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("the answer ended {left} bytes before its announced length"),
                        ));
                    }
                    let left = left - n as u64;
                    self.framing = if left == 0 {
                        Framing::Done
                    } else {
                        Framing::Length { left }
                    };
                    return Ok(n);
                }
                Framing::Chunked { left: 0, crlf } => {
                    let size = self.next_chunk(crlf)?;
                    self.framing = if size == 0 {
                        Framing::Done
                    } else {
                        Framing::Chunked {
                            left: size,
                            crlf: true,
                        }
                    };
                }
                Framing::Chunked { left, crlf } => {
                    let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..max])?;
                    if n == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the connection ended inside a chunk of the answer",
                        ));
                    }
                    self.framing = Framing::Chunked {
                        left: left - n as u64,
                        crlf,
                    };
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;
    use std::os::unix::net::UnixListener;

    /// What the in-test server writes: pieces with a short pause between them.
    type Script = Vec<Vec<u8>>;

    /// Reads one request head (and its Content-Length body), returns it as text.
    fn read_request(stream: &mut impl Read) -> String {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).unwrap_or(0) == 0 {
                break;
            }
            got.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        let length = text
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).unwrap();
        text + &String::from_utf8_lossy(&body)
    }

    fn answer(stream: &mut impl Write, script: &Script) {
        for piece in script {
            if stream.write_all(piece).is_err() {
                return;
            }
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A one-connection TCP server; the request it saw comes back on the channel.
    fn tcp_server(script: Script) -> (Transport, std::sync::mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = tx.send(read_request(&mut s));
            answer(&mut s, &script);
        });
        (Transport::Tcp { authority }, rx)
    }

    fn unix_server(script: Script) -> (Transport, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sock");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            read_request(&mut s);
            answer(&mut s, &script);
        });
        (Transport::Unix(path), dir)
    }

    fn get(target: &str) -> Request<'_> {
        Request {
            method: "GET",
            target,
            headers: &[],
            body: None,
            timeout: Some(Duration::from_secs(5)),
        }
    }

    fn pieces(parts: &[&str]) -> Script {
        parts.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn content_length_over_tcp_and_the_request_sent() {
        let (t, seen) = tcp_server(pieces(&[
            "HTTP/1.1 200 OK\r\nCONTENT-length: 5\r\nX-Ssisd-Version: 0.1.0\r\n\r\nhello",
            "trailing garbage that is not part of the body",
        ]));
        let headers = [("Authorization", "Bearer ssisd_a_b")];
        let req = Request {
            method: "PUT",
            target: "/api/v1/packages/x",
            headers: &headers,
            body: Some(b"<xml/>"),
            timeout: Some(Duration::from_secs(5)),
        };
        let a = t.fetch(&req, 1 << 20).unwrap();
        assert_eq!(a.head.status, 200);
        assert_eq!(a.head.reason, "OK");
        assert_eq!(a.head.header("x-ssisd-version"), Some("0.1.0"));
        assert_eq!(a.head.header("Content-Length"), Some("5"));
        assert_eq!(a.body, b"hello");
        let request = seen.recv().unwrap();
        assert!(
            request.starts_with("PUT /api/v1/packages/x HTTP/1.1\r\n"),
            "{request}"
        );
        for line in [
            "Content-Length: 6\r\n",
            "Connection: close\r\n",
            "Authorization: Bearer ssisd_a_b\r\n",
        ] {
            assert!(request.contains(line), "{line} in {request}");
        }
        assert!(request.contains("Host: 127.0.0.1:"), "{request}");
        assert!(request.ends_with("\r\n\r\n<xml/>"), "{request}");
    }

    #[test]
    fn chunked_in_odd_splits_over_unix() {
        let (t, _dir) = unix_server(pieces(&[
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "5\r\nhel",
            "lo\r\n",
            "1",
            "0;name=value\r\n, chunked ",
            "world!\r\n0",
            "\r\nTrailer: x\r\n",
            "\r\n",
        ]));
        let a = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap();
        assert_eq!(String::from_utf8(a.body).unwrap(), "hello, chunked world!");
    }

    #[test]
    fn body_to_the_end_of_the_connection() {
        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ",
            "second",
        ]));
        let a = t.fetch(&get("/api/v1/x"), 1 << 20).unwrap();
        assert_eq!(a.body, b"first second");
    }

    #[test]
    fn interim_answers_are_skipped_and_head_has_no_body() {
        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}",
        ]));
        let a = t.fetch(&get("/api/v1/x"), 1 << 20).unwrap();
        assert_eq!((a.head.status, a.body.as_slice()), (404, &b"{}"[..]));
        let (t, _) = tcp_server(pieces(&["HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n"]));
        let req = Request {
            method: "HEAD",
            ..get("/api/v1/packages/x")
        };
        let a = t.fetch(&req, 1 << 20).unwrap();
        assert!(a.body.is_empty());
    }

    #[test]
    fn streaming_reader_gives_events_as_they_come() {
        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
            "9\r\ndata: 1\n\n\r\n",
            "9\r\ndata: 2\n\n\r\n0\r\n\r\n",
        ]));
        let r = t
            .send(&Request {
                timeout: None,
                ..get("/api/v1/events/stream")
            })
            .unwrap();
        assert_eq!(r.head.header("Content-Type"), Some("text/event-stream"));
        let lines: Vec<String> = BufReader::new(r.body)
            .lines()
            .map(Result::unwrap)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines, ["data: 1", "data: 2"]);
    }

    #[test]
    fn malformed_answers_are_named() {
        let (t, _) = tcp_server(pieces(&["SSH-2.0-OpenSSH_9.6\r\n\r\n"]));
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(matches!(e, TransportError::Malformed { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("not valid HTTP") && text.contains("SSH-2.0") && text.contains("http://"),
            "{text}"
        );

        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        ]));
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("5 bytes before"), "{e}");

        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ]));
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("not a chunk size"), "{e}");

        let (t, _) = tcp_server(pieces(&["HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"]));
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("has no colon"), "{e}");

        let (t, _) = tcp_server(vec![]);
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(matches!(e, TransportError::NoAnswer { .. }), "{e:?}");
    }

    #[test]
    fn oversized_heads_are_refused() {
        let big = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        let (t, _) = tcp_server(vec![big.into_bytes()]);
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("exceed"), "{e}");
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        let (t, _) = tcp_server(vec![format!("HTTP/1.1 200 OK\r\n{many}\r\n").into_bytes()]);
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("header fields"), "{e}");
    }

    #[test]
    fn read_timeout_is_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let t = Transport::Tcp {
            authority: listener.local_addr().unwrap().to_string(),
        };
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            read_request(&mut s);
            std::thread::sleep(Duration::from_millis(600));
        });
        let req = Request {
            timeout: Some(Duration::from_millis(200)),
            ..get("/api/v1/status")
        };
        let e = t.fetch(&req, 1 << 20).unwrap_err();
        assert!(matches!(e, TransportError::Timeout { .. }), "{e:?}");
        server.join().unwrap();
    }

    #[test]
    fn nobody_listening_is_unreachable() {
        let dir = tempfile::tempdir().unwrap();
        let t = Transport::Unix(dir.path().join("missing.sock"));
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.is_unreachable(), "{e:?}");
        assert!(e.to_string().contains("missing.sock"), "{e}");
    }

    #[test]
    fn requests_that_cannot_be_written_are_refused() {
        let t = Transport::Tcp {
            authority: "127.0.0.1:1".into(),
        };
        let headers = [("Authorization", "Bearer a\r\nX-Evil: 1")];
        let req = Request {
            headers: &headers,
            ..get("/api/v1/status")
        };
        assert!(matches!(
            t.fetch(&req, 10),
            Err(TransportError::InvalidRequest(_))
        ));
        assert!(matches!(
            t.fetch(&get("/api/v1/a b"), 10),
            Err(TransportError::InvalidRequest(_))
        ));
    }

    struct TlsFixture {
        server: Arc<rustls::ServerConfig>,
        trusting: Arc<rustls::ClientConfig>,
        stranger: Arc<rustls::ClientConfig>,
    }

    /// A self-signed certificate for `localhost`, a client that trusts it and one that does not.
    fn tls_fixture() -> TlsFixture {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = ck.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let client = |roots| {
            Arc::new(
                rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        TlsFixture {
            server: Arc::new(server),
            trusting: client(roots),
            stranger: client(rustls::RootCertStore::empty()),
        }
    }

    /// A one-connection TLS server answering with `script`, then closing cleanly.
    fn tls_server(config: Arc<rustls::ServerConfig>, script: Script) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(config).unwrap();
            let mut s = rustls::StreamOwned::new(conn, tcp);
            read_request(&mut s);
            answer(&mut s, &script);
            s.conn.send_close_notify();
            let _ = s.flush();
        });
        authority
    }

    #[test]
    fn tls_answers_and_certificate_problems() {
        let f = tls_fixture();
        let authority = tls_server(
            f.server.clone(),
            pieces(&["HTTP/1.1 200 OK\r\n\r\n", "over ", "TLS"]),
        );
        let t = Transport::tls(&authority, "localhost", f.trusting.clone()).unwrap();
        assert_eq!(t.describe(), format!("https://{authority}"));
        let a = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap();
        assert_eq!(a.body, b"over TLS");

        let authority = tls_server(f.server.clone(), vec![]);
        let t = Transport::tls(&authority, "localhost", f.stranger.clone()).unwrap();
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(matches!(e, TransportError::Tls { .. }), "{e:?}");
        assert!(e.to_string().contains("--ca-file"), "{e}");

        let authority = tls_server(f.server.clone(), vec![]);
        let t = Transport::tls(&authority, "dbhost", f.trusting.clone()).unwrap();
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(
            e.to_string().contains("Name the computer in --server"),
            "{e}"
        );

        // TLS to a plain HTTP listener, which answers the handshake with a 400.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut hello = [0u8; 64];
            let _ = s.read(&mut hello);
            answer(&mut s, &pieces(&["HTTP/1.1 400 Bad Request\r\n\r\n"]));
        });
        let t = Transport::tls(&authority, "localhost", f.trusting).unwrap();
        let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("http://"), "{e}");
        assert!(Transport::tls(&authority, "not a name!", f.stranger).is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line("HTTP/1.1 429 Too Many Requests"),
            Some((429, "Too Many Requests".into()))
        );
        assert_eq!(parse_status_line("HTTP/1.1 204"), Some((204, "".into())));
        assert_eq!(parse_status_line("HTTP/2 200 OK"), None);
        assert_eq!(parse_status_line("HTTP/1.1 2000 OK"), None);
        assert_eq!(parse_status_line("http/1.1 200 OK"), None);
    }
}
