//! Writes a validation report to dtexec's console — each error as an `Error:` block and each
//! warning as a `Warning:` block (subject to `/Reporting`), stamped with the time they are
//! written — and to the run's event stream (every one, whatever `/Reporting` says). It must
//! not decide what is an error; the report already says.

use std::io::{self, Write};

use chrono::NaiveDateTime;
use ssisd_engine::cli::{Console, Message, MessageKind};
use ssisd_engine::validate::{Diagnostic, ValidationReport};
use ssisd_runtime::Level;

use super::stream::RunStream;

/// One diagnostic as a console message.
pub fn message(kind: MessageKind, d: &Diagnostic, at: NaiveDateTime) -> Message {
    Message::new(kind, at, d.code, d.source.clone(), d.description.clone())
}

/// Writes every error, then every warning.
pub fn write_report<W: Write>(
    console: &mut Console<W>,
    stream: &mut RunStream,
    report: &ValidationReport,
    path: &str,
    at: NaiveDateTime,
) -> io::Result<()> {
    for d in &report.errors {
        stream.message(Level::Error, d.code, &d.source, path, &d.description);
        console.message(&message(MessageKind::Error, d, at))?;
    }
    for d in &report.warnings {
        stream.message(Level::Warning, d.code, &d.source, path, &d.description);
        console.message(&message(MessageKind::Warning, d, at))?;
    }
    Ok(())
}
