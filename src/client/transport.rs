//! The management API's HTTP/1.1 client over three transports: the local service's Unix socket,
//! plain TCP and TLS (rustls). HTTP itself is hyper's (`client::conn::http1`): request framing,
//! response parsing, chunked and length-delimited bodies, interim answers, within the limits
//! set here. This file only opens the connection, drives hyper on a thread and small runtime of
//! the request's own (the callers block, and some of them do so inside a runtime of theirs),
//! hands the body back buffered or as a reader for server-sent events, and turns failures into
//! [`TransportError`]s that say what happened. One
//! request per connection (`Connection: close`). It knows HTTP only: not the API's URLs, JSON,
//! credentials or versions, and it must not retry or follow redirects.

use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// How long a TCP connection may take to be established.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most the status line and headers of an answer may take together.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields an answer may have.
pub const MAX_HEADERS: usize = 128;
/// How much of what the peer sent first is kept, to show when it is not HTTP.
const FIRST_BYTES: usize = 80;

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
    #[error("sending the request to {target} failed: {detail}")]
    Send { target: String, detail: String },
    #[error("{target} did not answer within {} s; the service may be overloaded — retry, or look at its log (journalctl -u ssisd)", .after.as_secs_f64().ceil())]
    Timeout { target: String, after: Duration },
    #[error("reading the answer from {target} failed: {detail}")]
    Read { target: String, detail: String },
    #[error("{target} closed the connection without answering; look at the service's log (journalctl -u ssisd)")]
    NoAnswer { target: String },
    #[error("the answer from {target} is not valid HTTP ({detail}); check that --server names an ssisd service and the right scheme (http:// or https://)")]
    Malformed { target: String, detail: String },
    #[error("the request cannot be sent: {0}")]
    InvalidRequest(String),
    #[error("cannot start the client's event loop: {0}")]
    Runtime(#[source] std::io::Error),
}

impl TransportError {
    /// Whether the service could not be reached at all (nothing was sent).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TransportError::Connect { .. })
    }

    /// The same error as an I/O error, for [`Read`] on a body.
    fn into_io(self) -> std::io::Error {
        let kind = match &self {
            TransportError::Timeout { .. } => std::io::ErrorKind::TimedOut,
            TransportError::Malformed { .. } => std::io::ErrorKind::InvalidData,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, self)
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
    /// The longest wait for the service: to send the request and receive the answer's head,
    /// then for each piece of the body; `None` waits for ever (event streams).
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

    fn of(parts: &http::response::Parts) -> Head {
        let reason = parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| parts.status.canonical_reason().map(str::to_string))
            .unwrap_or_default();
        Head {
            status: parts.status.as_u16(),
            reason,
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
                    )
                })
                .collect(),
        }
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
        while let Some(chunk) = self.body.next_chunk()? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(TransportError::Malformed {
                    target: self.body.target.clone(),
                    detail: format!("the body is larger than {limit} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Buffered {
            head: self.head,
            body,
        })
    }
}

/// The first bytes the peer sent, and whether it sent any.
#[derive(Clone, Default)]
struct FirstBytes(Arc<Mutex<Vec<u8>>>);

impl FirstBytes {
    fn keep(&self, read: &[u8]) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = FIRST_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&read[..read.len().min(room)]);
    }

    fn any(&self) -> bool {
        !self.0.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// Their first line, for a message.
    fn first_line(&self) -> String {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let text = String::from_utf8_lossy(&kept);
        text.lines().next().unwrap_or("").to_string()
    }
}

/// The open connection under a request.
enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A stream that keeps the first bytes it reads.
struct Watched {
    stream: Stream,
    first: FirstBytes,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = match &mut this.stream {
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        if let Poll::Ready(Ok(())) = polled {
            this.first.keep(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.get_mut().stream {
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
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

/// `fut` within `limit` (or without one); `Err(())` when the time ran out.
async fn within<F: Future>(limit: Option<Duration>, fut: F) -> Result<F::Output, ()> {
    match limit {
        Some(d) => tokio::time::timeout(d, fut).await.map_err(|_| ()),
        None => Ok(fut.await),
    }
}

/// An error and the errors under it, as one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
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

    async fn tcp(&self, authority: &str) -> Result<TcpStream, TransportError> {
        let connect_error = |source| TransportError::Connect {
            target: self.describe(),
            source,
        };
        let addrs: Vec<_> = tokio::net::lookup_host(authority)
            .await
            .map_err(connect_error)?
            .collect();
        let mut last = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("\"{authority}\" resolves to no address"),
        );
        for addr in addrs {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Ok(Err(e)) => last = e,
                Err(_) => {
                    last = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "no answer from {addr} within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        ),
                    )
                }
            }
        }
        Err(connect_error(last))
    }

    /// Connects (and shakes hands for TLS).
    async fn open(&self, timeout: Option<Duration>) -> Result<Stream, TransportError> {
        let target = self.describe();
        Ok(match self {
            Transport::Unix(path) => Stream::Unix(
                UnixStream::connect(path)
                    .await
                    .map_err(|source| TransportError::Connect { target, source })?,
            ),
            Transport::Tcp { authority } => Stream::Tcp(self.tcp(authority).await?),
            Transport::Tls {
                authority,
                server_name,
                config,
            } => {
                let sock = self.tcp(authority).await?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let limit = timeout.unwrap_or(CONNECT_TIMEOUT);
                match tokio::time::timeout(limit, connector.connect(server_name.clone(), sock))
                    .await
                {
                    Err(_) => {
                        return Err(TransportError::Timeout {
                            target,
                            after: limit,
                        })
                    }
                    Ok(Err(e)) => {
                        let hint = tls_hint(&e);
                        return Err(TransportError::Tls {
                            target,
                            detail: chain(&e),
                            hint,
                        });
                    }
                    Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                }
            }
        })
    }

    /// Sends one request and returns the answer with its body still to be read. The exchange
    /// runs on a thread of its own with a small runtime (callers may be inside a runtime of
    /// theirs, or none); the body comes back through a bounded channel, so an unread stream
    /// holds the connection still, and dropping the body ends the exchange.
    pub fn send(&self, req: &Request<'_>) -> Result<Response, TransportError> {
        let request = self.build(req)?;
        let target = self.describe();
        let (head_tx, head_rx) = mpsc::channel();
        let (body_tx, body_rx) = mpsc::sync_channel(BODY_PIECES);
        let (cancel_tx, cancel_rx) = tokio::sync::oneshot::channel();
        let exchange = Exchange {
            transport: self.clone(),
            request,
            timeout: req.timeout,
            head_only: req.method.eq_ignore_ascii_case("HEAD"),
        };
        std::thread::Builder::new()
            .name("ssisd-http".into())
            .spawn(move || exchange.run(head_tx, body_tx, cancel_rx))
            .map_err(TransportError::Runtime)?;
        let head = head_rx.recv().map_err(|_| TransportError::Read {
            target: target.clone(),
            detail: "the connection's thread ended without an answer".into(),
        })??;
        Ok(Response {
            head,
            body: Body {
                pieces: body_rx,
                chunk: Bytes::new(),
                done: false,
                target,
                _cancel: cancel_tx,
            },
        })
    }

    /// Connects, sends `request` and receives the answer's head (within `timeout`).
    async fn exchange(
        &self,
        request: http::Request<Full<Bytes>>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<Incoming>, TransportError> {
        let first = FirstBytes::default();
        let stream = self.open(timeout).await?;
        let io = TokioIo::new(Watched {
            stream,
            first: first.clone(),
        });
        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .title_case_headers(true)
            .max_header_size(MAX_HEAD_BYTES)
            .max_buf_size(MAX_HEAD_BYTES.max(8192))
            .max_headers(MAX_HEADERS)
            .handshake::<_, Full<Bytes>>(io)
            .await
            .map_err(|e| self.failure(&e, &first))?;
        // The connection runs beside the request on this runtime, also while the body is read;
        // it ends with the answer (Connection: close).
        tokio::spawn(connection);
        match within(timeout, sender.send_request(request)).await {
            Err(()) => Err(TransportError::Timeout {
                target: self.describe(),
                after: timeout.unwrap_or_default(),
            }),
            Ok(Err(e)) => Err(self.failure(&e, &first)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// Sends one request and reads the whole answer (at most `limit` bytes of body).
    pub fn fetch(&self, req: &Request<'_>, limit: u64) -> Result<Buffered, TransportError> {
        self.send(req)?.buffer(limit)
    }

    /// What a failure of hyper while sending or reading the head means for the user.
    fn failure(&self, e: &hyper::Error, first: &FirstBytes) -> TransportError {
        let target = self.describe();
        if e.is_parse() || e.is_parse_status() {
            // hyper tells a head over its limits only by its message on the client side.
            let detail = if e.to_string().contains("too large") {
                format!(
                    "the status line and headers exceed the limits ({MAX_HEAD_BYTES} bytes, {MAX_HEADERS} header fields)"
                )
            } else {
                let shown: String = first.first_line().chars().take(FIRST_BYTES).collect();
                format!("{}; the answer began with \"{shown}\"", chain(e))
            };
            return TransportError::Malformed { target, detail };
        }
        if !first.any() {
            if e.is_incomplete_message() || e.is_closed() {
                return TransportError::NoAnswer { target };
            }
            return TransportError::Send {
                target,
                detail: chain(e),
            };
        }
        if e.is_incomplete_message() {
            return TransportError::Malformed {
                target,
                detail: "the connection ended inside the status line or headers".into(),
            };
        }
        TransportError::Read {
            target,
            detail: chain(e),
        }
    }

    /// The request as hyper sends it; refuses what cannot be written as HTTP/1.1.
    fn build(&self, req: &Request<'_>) -> Result<http::Request<Full<Bytes>>, TransportError> {
        let invalid = |m: String| TransportError::InvalidRequest(m);
        let method = http::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| invalid(format!("\"{}\" is not an HTTP method", req.method)))?;
        let bad_target = || {
            invalid(format!(
                "\"{}\" is not a request path (it must start with / and contain no spaces or control characters)",
                req.target
            ))
        };
        if !req.target.starts_with('/') {
            return Err(bad_target());
        }
        let uri: http::Uri = req.target.parse().map_err(|_| bad_target())?;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(http::header::HOST, self.host())
            .header(http::header::CONNECTION, "close");
        for (name, value) in req.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("\"{name}\" is not a header field name")))?;
            let value = http::HeaderValue::from_str(value).map_err(|_| {
                invalid(format!(
                    "the value of header field {name} contains a control character"
                ))
            })?;
            builder = builder.header(name, value);
        }
        let body = Full::new(Bytes::copy_from_slice(req.body.unwrap_or_default()));
        builder.body(body).map_err(|e| invalid(e.to_string()))
    }
}

/// How many pieces of a body may wait for the reader.
const BODY_PIECES: usize = 16;

/// What the exchange's thread hands to the body.
enum Piece {
    Data(Bytes),
    End,
    Failed(TransportError),
}

/// One request on its own thread: connect, send, then pass the body on piece by piece.
struct Exchange {
    transport: Transport,
    request: http::Request<Full<Bytes>>,
    timeout: Option<Duration>,
    head_only: bool,
}

impl Exchange {
    fn run(
        self,
        head_tx: mpsc::Sender<Result<Head, TransportError>>,
        body_tx: mpsc::SyncSender<Piece>,
        mut cancel: tokio::sync::oneshot::Receiver<()>,
    ) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = head_tx.send(Err(TransportError::Runtime(e)));
                return;
            }
        };
        let Exchange {
            transport,
            request,
            timeout,
            head_only,
        } = self;
        runtime.block_on(async move {
            let target = transport.describe();
            let answered = match transport.exchange(request, timeout).await {
                Ok(a) => a,
                Err(e) => {
                    let _ = head_tx.send(Err(e));
                    return;
                }
            };
            let (parts, mut incoming) = answered.into_parts();
            let head = Head::of(&parts);
            let announced = (!head_only && !matches!(head.status, 204 | 304))
                .then(|| head.header("content-length"))
                .flatten()
                .and_then(|v| v.parse::<u64>().ok());
            if head_tx.send(Ok(head)).is_err() {
                return;
            }
            let mut received = 0u64;
            loop {
                let frame = tokio::select! {
                    // The body was dropped: nobody reads any more.
                    _ = &mut cancel => return,
                    frame = within(timeout, incoming.frame()) => frame,
                };
                let piece = match frame {
                    Err(()) => Piece::Failed(TransportError::Timeout {
                        target: target.clone(),
                        after: timeout.unwrap_or_default(),
                    }),
                    Ok(None) => Piece::End,
                    Ok(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) if !data.is_empty() => {
                            received += data.len() as u64;
                            Piece::Data(data)
                        }
                        // Empty data and trailer fields: nothing for the reader.
                        _ => continue,
                    },
                    Ok(Some(Err(e))) => {
                        Piece::Failed(body_failure(&target, &e, announced, received))
                    }
                };
                let last = !matches!(piece, Piece::Data(_));
                // Blocks while the reader is behind: the connection waits with it.
                if body_tx.send(piece).is_err() || last {
                    return;
                }
            }
        });
    }
}

/// Why a body broke off, for the user.
fn body_failure(
    target: &str,
    e: &hyper::Error,
    announced: Option<u64>,
    received: u64,
) -> TransportError {
    let target = target.to_string();
    match announced {
        Some(length) if received < length => TransportError::Malformed {
            target,
            detail: format!(
                "the answer ended {} bytes before its announced length",
                length - received
            ),
        },
        _ if e.is_incomplete_message() => TransportError::Malformed {
            target,
            detail: "the connection ended before the last chunk of the answer".into(),
        },
        _ => TransportError::Malformed {
            target,
            detail: chain(e),
        },
    }
}

/// The body of an answer as a reader: framing removed, chunks decoded (by hyper). Reading past
/// the end returns 0; a body cut short is an error. Dropping it ends the exchange.
pub struct Body {
    pieces: mpsc::Receiver<Piece>,
    /// What was received and not read yet.
    chunk: Bytes,
    /// Whether the end (or a failure) has been received.
    done: bool,
    target: String,
    /// Dropped with the body: tells the exchange's thread to stop.
    _cancel: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("target", &self.target)
            .field("finished", &self.finished())
            .finish()
    }
}

impl Body {
    /// Whether the whole body has been read.
    pub fn finished(&self) -> bool {
        self.done && self.chunk.is_empty()
    }

    /// The next piece of the body, `None` at its end.
    fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        if !self.chunk.is_empty() {
            return Ok(Some(std::mem::take(&mut self.chunk)));
        }
        if self.done {
            return Ok(None);
        }
        match self.pieces.recv() {
            Ok(Piece::Data(data)) => Ok(Some(data)),
            Ok(Piece::End) => {
                self.done = true;
                Ok(None)
            }
            Ok(Piece::Failed(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Err(TransportError::Read {
                    target: self.target.clone(),
                    detail: "the connection's thread ended inside the answer".into(),
                })
            }
        }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.chunk.is_empty() {
            match self.next_chunk() {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(e.into_io()),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
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
    fn reason_phrases_as_sent() {
        let (t, _) = tcp_server(pieces(&["HTTP/1.1 204\r\n\r\n"]));
        let a = t.fetch(&get("/api/v1/x"), 1 << 20).unwrap();
        assert_eq!((a.head.status, a.head.reason.as_str()), (204, ""));
        let (t, _) = tcp_server(pieces(&[
            "HTTP/1.1 429 Slow Down\r\nContent-Length: 0\r\n\r\n",
        ]));
        let a = t.fetch(&get("/api/v1/x"), 1 << 20).unwrap();
        assert_eq!((a.head.status, a.head.reason.as_str()), (429, "Slow Down"));
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
        assert!(matches!(e, TransportError::Malformed { .. }), "{e:?}");
        assert!(e.to_string().contains("chunk size"), "{e}");

        for head in [
            "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "http/1.1 200 OK\r\n\r\n",
        ] {
            let (t, _) = tcp_server(pieces(&[head]));
            let e = t.fetch(&get("/api/v1/status"), 1 << 20).unwrap_err();
            assert!(
                matches!(e, TransportError::Malformed { .. }),
                "{head}: {e:?}"
            );
        }

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
}
