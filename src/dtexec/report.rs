//! Writes a validation report to dtexec's console: each error as an `Error:` block and each
//! warning as a `Warning:` block (subject to `/Reporting`), stamped with the time they are
//! written. It must not decide what is an error; the report already says.

use std::io::{self, Write};

use chrono::NaiveDateTime;
use ssisd_engine::cli::{Console, Message, MessageKind};
use ssisd_engine::validate::{Diagnostic, ValidationReport};

/// One diagnostic as a console message.
pub fn message(kind: MessageKind, d: &Diagnostic, at: NaiveDateTime) -> Message {
    Message::new(kind, at, d.code, d.source.clone(), d.description.clone())
}

/// Writes every error, then every warning.
pub fn write_report<W: Write>(
    console: &mut Console<W>,
    report: &ValidationReport,
    at: NaiveDateTime,
) -> io::Result<()> {
    for d in &report.errors {
        console.message(&message(MessageKind::Error, d, at))?;
    }
    for d in &report.warnings {
        console.message(&message(MessageKind::Warning, d, at))?;
    }
    Ok(())
}
