//! The Send Mail task's configuration as saved (`SendMailTaskData` attributes, both formats):
//! the SMTP connection, From/To/CC/BCC (`;`-separated lists), Subject, Priority, the message
//! source and its type, and `FileAttachments` (`|`-separated paths), with property
//! expressions applied on top. It only parses; it must not read files or send anything.

use crate::properties::PropertyOverrides;
use crate::tasks::{attr, attributes, TaskConfigError};
use ssisd_engine::model::RawXml;

/// Where the message body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSourceType {
    DirectInput,
    FileConnection,
    Variable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    High,
    Normal,
    Low,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMailConfig {
    pub smtp_connection: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub priority: Priority,
    pub source_type: MessageSourceType,
    /// The text, the file connection's name or the variable's name.
    pub source: String,
    pub attachments: Vec<String>,
}

/// Splits an address list on `;` (and `,`), dropping empty entries.
pub fn address_list(text: &str) -> Vec<String> {
    text.split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits `FileAttachments` on `|`.
pub fn attachment_list(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn source_type(text: &str) -> Result<MessageSourceType, TaskConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "directinput" | "0" => Ok(MessageSourceType::DirectInput),
        "fileconnection" | "1" => Ok(MessageSourceType::FileConnection),
        "variable" | "2" => Ok(MessageSourceType::Variable),
        other => Err(TaskConfigError::MessageSourceType(other.to_string())),
    }
}

fn priority(text: &str) -> Result<Priority, TaskConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "normal" | "2" => Ok(Priority::Normal),
        "high" | "1" => Ok(Priority::High),
        "low" | "3" => Ok(Priority::Low),
        other => Err(TaskConfigError::Priority(other.to_string())),
    }
}

impl SendMailConfig {
    pub fn parse(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, TaskConfigError> {
        let a = attributes(od, "SendMailTaskData")?;
        let text = |props: &[&str], name: &str| {
            o.text(props)
                .or_else(|| attr(&a, name).map(str::to_string))
                .unwrap_or_default()
        };
        Ok(SendMailConfig {
            smtp_connection: text(&["SmtpConnection", "SMTPServer"], "SMTPServer"),
            from: text(&["FromLine", "From"], "From").trim().to_string(),
            to: address_list(&text(&["ToLine", "To"], "To")),
            cc: address_list(&text(&["CCLine", "CC"], "CC")),
            bcc: address_list(&text(&["BCCLine", "BCC"], "BCC")),
            subject: text(&["Subject"], "Subject"),
            priority: priority(&text(&["Priority"], "Priority"))?,
            source_type: source_type(&text(&["MessageSourceType"], "MessageSourceType"))?,
            source: text(&["MessageSource"], "MessageSource"),
            attachments: attachment_list(&text(&["FileAttachments"], "FileAttachments")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::types::Value;

    #[test]
    fn payload_of_both_formats() {
        let od = RawXml(
            "<SendMailTask:SendMailTaskData SendMailTask:SMTPServer=\"{51b07081}\" \
             SendMailTask:From=\"a@x.org\" SendMailTask:To=\"b@x.org; c@x.org;\" \
             SendMailTask:CC=\"\" SendMailTask:BCC=\"d@x.org\" SendMailTask:Subject=\"Hi\" \
             SendMailTask:Priority=\"High\" SendMailTask:MessageSourceType=\"Variable\" \
             SendMailTask:MessageSource=\"User::Body\" SendMailTask:FileAttachments=\"/a|/b c\" \
             xmlns:SendMailTask=\"www.microsoft.com/sqlserver/dts/tasks/sendmailtask\"/>"
                .into(),
        );
        let c = SendMailConfig::parse(Some(&od), &PropertyOverrides::default()).expect("parses");
        assert_eq!(c.smtp_connection, "{51b07081}");
        assert_eq!(c.to, vec!["b@x.org", "c@x.org"]);
        assert!(c.cc.is_empty());
        assert_eq!(c.bcc, vec!["d@x.org"]);
        assert_eq!(c.priority, Priority::High);
        assert_eq!(c.source_type, MessageSourceType::Variable);
        assert_eq!(c.attachments, vec!["/a", "/b c"]);
        let o = PropertyOverrides(vec![("Subject".into(), Value::WStr("Set".into()))]);
        let c = SendMailConfig::parse(Some(&od), &o).expect("parses");
        assert_eq!(c.subject, "Set");
    }

    #[test]
    fn defaults_and_bad_values() {
        let c = SendMailConfig::parse(None, &PropertyOverrides::default()).expect("parses");
        assert_eq!(c.source_type, MessageSourceType::DirectInput);
        assert_eq!(c.priority, Priority::Normal);
        let bad = RawXml("<SendMailTaskData MessageSourceType=\"Pigeon\" />".into());
        assert!(SendMailConfig::parse(Some(&bad), &PropertyOverrides::default()).is_err());
    }
}
