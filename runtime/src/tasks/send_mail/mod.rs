//! The Send Mail task: builds a message from its configuration — From, To/CC/BCC, Subject,
//! Priority (`X-Priority`), the body from direct input, a variable or a FILE connection,
//! `FileAttachments` — and sends it through the SMTP connection manager (`smtp.rs`) on a
//! thread of its own, through a loopback relay (`relay.rs`) that cancelling the run shuts, so a
//! send blocked on the server ends at once. This file owns building and sending the message;
//! parsing is `config.rs`.

mod config;
mod relay;
mod smtp;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, Transport};

use self::config::{MessageSourceType, Priority, SendMailConfig};
use self::relay::Relay;
use self::smtp::SmtpSettings;
use super::references::{file_kind, UnusableManager};
use super::{Reference, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::paths::map_path;
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMail {
    pub config: SendMailConfig,
}

/// The `X-Priority` header (1 high, 3 normal, 5 low), as mail clients read it.
#[derive(Debug, Clone)]
struct XPriority(u8);

impl lettre::message::header::Header for XPriority {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Priority")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(XPriority(s.trim().parse()?))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_string())
    }
}

fn mailbox(field: &str, address: &str) -> Result<Mailbox, String> {
    address
        .parse::<Mailbox>()
        .map_err(|e| format!("the {field} address \"{address}\" is not valid: {e}"))
}

impl SendMail {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        Ok(SendMail {
            config: SendMailConfig::parse(od, o)?,
        })
    }

    fn settings(&self, ctx: &TaskContext<'_>) -> Result<SmtpSettings, String> {
        if self.config.smtp_connection.trim().is_empty() {
            return Err("the Send Mail task has no SMTP connection manager".into());
        }
        let cm = ctx
            .connection(&self.config.smtp_connection)
            .map_err(|e| e.to_string())?;
        let mut text = cm.connection_string.clone();
        if text.trim().is_empty() {
            // Older files keep the string only in the manager's object data.
            if let Ok(a) =
                super::attributes(cm.manager.object_data.as_ref(), "SmtpConnectionManager")
            {
                text = super::attr(&a, "ConnectionString")
                    .unwrap_or_default()
                    .to_string();
            }
        }
        SmtpSettings::parse(&text, |k| std::env::var(k).ok()).map_err(|e| e.to_string())
    }

    fn body(&self, ctx: &TaskContext<'_>) -> Result<String, String> {
        let source = &self.config.source;
        match self.config.source_type {
            MessageSourceType::DirectInput => Ok(source.clone()),
            MessageSourceType::Variable => ctx
                .variable(source)
                .map(|v| v.to_display_string())
                .map_err(|e| format!("MessageSource variable: {e}")),
            MessageSourceType::FileConnection => {
                let cm = ctx.connection(source).map_err(|e| e.to_string())?;
                let path = cm.file_path();
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("the message file \"{path}\" cannot be read: {e}"))
            }
        }
    }

    fn message(&self, ctx: &TaskContext<'_>) -> Result<Message, String> {
        let c = &self.config;
        if c.from.is_empty() {
            return Err("the Send Mail task has no From address".into());
        }
        if c.to.is_empty() && c.cc.is_empty() && c.bcc.is_empty() {
            return Err("the Send Mail task has no recipient (To, CC or BCC)".into());
        }
        let mut b = Message::builder()
            .from(mailbox("From", &c.from)?)
            .subject(c.subject.clone());
        for a in &c.to {
            b = b.to(mailbox("To", a)?);
        }
        for a in &c.cc {
            b = b.cc(mailbox("CC", a)?);
        }
        for a in &c.bcc {
            b = b.bcc(mailbox("BCC", a)?);
        }
        let level = match c.priority {
            Priority::High => 1,
            Priority::Normal => 3,
            Priority::Low => 5,
        };
        b = b.header(XPriority(level));
        let text = SinglePart::plain(self.body(ctx)?);
        let built = if c.attachments.is_empty() {
            b.singlepart(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(text);
            for a in &c.attachments {
                let path = map_path(a);
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("the attachment \"{path}\" cannot be read: {e}"))?;
                let name = Path::new(&path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.clone());
                let kind = ContentType::parse("application/octet-stream")
                    .map_err(|e| format!("attachment content type: {e}"))?;
                parts = parts.singlepart(Attachment::new(name).body(bytes, kind));
            }
            b.multipart(parts)
        };
        built.map_err(|e| format!("the message cannot be built: {e}"))
    }
}

/// How long a cancelled send may take to notice its sockets are gone.
const CANCEL_GRACE: Duration = Duration::from_secs(2);

impl Task for SendMail {
    fn references(&self) -> Vec<Reference> {
        let c = &self.config;
        let mut refs = vec![Reference::connection(
            "SmtpConnection",
            &c.smtp_connection,
            |kind, text| {
                if kind.trim().eq_ignore_ascii_case("SMTP") {
                    // What the run would refuse (Windows Authentication, no server, a bad
                    // port); credentials from the environment are the run's to read.
                    smtp::SmtpSettings::parse(text, |_| None)
                        .map(|_| ())
                        .map_err(|e| UnusableManager::SmtpSettings(e.to_string()))
                } else {
                    Err(UnusableManager::NotSmtp(kind.trim().to_string()))
                }
            },
        )];
        match c.source_type {
            MessageSourceType::DirectInput => {}
            MessageSourceType::Variable => {
                refs.push(Reference::variable("MessageSource", &c.source))
            }
            MessageSourceType::FileConnection => {
                refs.push(Reference::connection("MessageSource", &c.source, file_kind))
            }
        }
        refs
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let settings = match self.settings(ctx) {
            Ok(s) => s,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        let message = match self.message(ctx) {
            Ok(m) => m,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        if ctx.is_cancelled() {
            return TaskOutcome::Canceled;
        }
        let relay = match Relay::start(&settings.host, settings.port) {
            Ok(r) => r,
            Err(e) => {
                return ctx.fail(&format!(
                    "Send Mail: no loopback port for the connection to {}:{}: {e}.",
                    settings.host, settings.port
                ))
            }
        };
        let transport = match settings.transport(("127.0.0.1", relay.port())) {
            Ok(t) => t,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        let (tx, rx) = mpsc::channel();
        let sender = std::thread::Builder::new()
            .name("ssisd-send-mail".into())
            .spawn(move || {
                let _ = tx.send(transport.send(&message).map(|_| ()));
            });
        if let Err(e) = sender {
            return ctx.fail(&format!("Send Mail: the sending thread cannot start: {e}."));
        }
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(r) => break Some(r),
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(mpsc::RecvTimeoutError::Timeout) if ctx.is_cancelled() => {
                    // Ends the conversation wherever it is blocked; the message is not sent.
                    relay.shut();
                    let _ = rx.recv_timeout(CANCEL_GRACE);
                    return TaskOutcome::Canceled;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        };
        match outcome {
            Some(Ok(())) => TaskOutcome::Success,
            Some(Err(e)) => {
                let why = relay.error().unwrap_or_else(|| e.to_string());
                ctx.fail(&format!(
                    "Send Mail: the SMTP server {}:{} did not accept the message: {why}.",
                    settings.host, settings.port
                ))
            }
            None => ctx.fail("Send Mail: the sending thread stopped unexpectedly."),
        }
    }
}
