//! The Send Mail task: builds a message from its configuration — From, To/CC/BCC, Subject,
//! Priority (`X-Priority` and `Importance`), the body from direct input, a variable or a FILE
//! connection, `FileAttachments` — and sends it through the SMTP connection manager
//! (`smtp.rs`). This file owns building and sending the message; parsing is `config.rs`.

mod config;
mod smtp;

use std::path::Path;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, Transport};

use self::config::{MessageSourceType, Priority, SendMailConfig};
use self::smtp::SmtpSettings;
use super::{Task, TaskContext, TaskOutcome};
use crate::model::RawXml;
use crate::run::paths::map_path;
use crate::run::properties::PropertyOverrides;

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
    pub fn from_config(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, String> {
        Ok(SendMail {
            config: SendMailConfig::parse(od, o)?,
        })
    }

    fn settings(&self, ctx: &TaskContext<'_>) -> Result<SmtpSettings, String> {
        if self.config.smtp_connection.trim().is_empty() {
            return Err("the Send Mail task has no SMTP connection manager".into());
        }
        let cm = ctx.connection(&self.config.smtp_connection)?;
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
                let cm = ctx.connection(source)?;
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

impl Task for SendMail {
    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let settings = match self.settings(ctx) {
            Ok(s) => s,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        let message = match self.message(ctx) {
            Ok(m) => m,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        let transport = match settings.transport() {
            Ok(t) => t,
            Err(e) => return ctx.fail(&format!("Send Mail: {e}.")),
        };
        if ctx.is_cancelled() {
            return TaskOutcome::Canceled;
        }
        match transport.send(&message) {
            Ok(_) => TaskOutcome::Success,
            Err(e) => ctx.fail(&format!(
                "Send Mail: the SMTP server {}:{} did not accept the message: {e}.",
                settings.host, settings.port
            )),
        }
    }
}
