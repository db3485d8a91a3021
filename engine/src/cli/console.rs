//! dtexec's console output: the banner, the `Started:` line, event blocks (`Error:` … `End
//! Error`, likewise Warning, Info, Progress and the rest), the `/Sum` summary, the closing
//! `DTExec: The package execution returned DTSER_… (n).` line with `Started:`, `Finished:` and
//! `Elapsed:`, and the text for command-line errors and help. It owns the exact layout and the
//! `/Reporting` filter applied to events. Every block is flushed as soon as it is written, so a
//! pipe, a file or the service's runner sees each message when it happens, whatever buffering
//! the writer has. It must not decide what happened in a run; the caller passes times and
//! results in, so the output is the same for the same input.
//!
//! Layout facts: the error block, the result line and the timing lines follow a real dtexec run.
//! The Warning, Info and Progress blocks use the error block's layout, as dtexec's are believed
//! to; the labels of custom, data-flow and verbose events, the validation result line and the
//! `/Sum` summary are ssisd's own (unverified against dtexec; Windows dtexec's `/Sum` counts
//! data-flow rows, which ssisd does not run).

use std::io::{self, Write};

use chrono::{NaiveDateTime, Timelike};

use super::dtexec_options::HelpRequest;
use super::error::OptionError;
use super::exit_code::{ExecutionResult, ExitCode};
pub use super::reporting::{Reporting, ReportingLevel};
use super::usage;

/// The product line of the banner.
pub const PRODUCT_LINE: &str = "ssisd Execute Package Utility";
/// The copyright line of the banner.
pub const COPYRIGHT_LINE: &str =
    "Copyright (C) the ssisd contributors. Licensed under MIT or Apache-2.0.";

/// What kind of event a [`Message`] reports; each needs one `/Reporting` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// OnError; level E.
    Error,
    /// OnWarning; level W.
    Warning,
    /// OnInformation; level I.
    Information,
    /// OnCustomEvent; level C.
    Custom,
    /// Data Flow task events; level D.
    DataFlow,
    /// OnProgress; level P.
    Progress,
    /// Any other event (OnPreExecute, OnPostExecute, …); only with level V.
    Verbose,
}

impl MessageKind {
    /// The word opening and closing the block: `Error` gives `Error: …` and `End Error`.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Error => "Error",
            MessageKind::Warning => "Warning",
            MessageKind::Information => "Info",
            MessageKind::Custom => "Custom",
            MessageKind::DataFlow => "DataFlow",
            MessageKind::Progress => "Progress",
            MessageKind::Verbose => "Verbose",
        }
    }

    /// The `/Reporting` level that shows this kind.
    pub fn level(self) -> ReportingLevel {
        match self {
            MessageKind::Error => ReportingLevel::ERRORS,
            MessageKind::Warning => ReportingLevel::WARNINGS,
            MessageKind::Information => ReportingLevel::INFORMATION,
            MessageKind::Custom => ReportingLevel::CUSTOM,
            MessageKind::DataFlow => ReportingLevel::DATA_FLOW,
            MessageKind::Progress => ReportingLevel::PROGRESS,
            MessageKind::Verbose => ReportingLevel::VERBOSE,
        }
    }
}

/// One event to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageKind,
    /// Local time of the event.
    pub time: NaiveDateTime,
    /// The event code (an HRESULT such as 0xC0010026), printed as `0x` and 8 hex digits.
    pub code: u32,
    /// The source name, e.g. the task.
    pub source: String,
    pub description: String,
    /// The event's name or GUID (e.g. `OnPipelineRowsSent`), matched against the exceptions
    /// of `/Reporting`.
    pub event: Option<String>,
}

impl Message {
    /// A message without event name.
    pub fn new(
        kind: MessageKind,
        time: NaiveDateTime,
        code: u32,
        source: impl Into<String>,
        description: impl Into<String>,
    ) -> Message {
        Message {
            kind,
            time,
            code,
            source: source.into(),
            description: description.into(),
            event: None,
        }
    }
}

/// What `/Sum` reports at the end of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Containers and tasks that ran (the package itself and event handlers excluded).
    pub executables: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub completed: u64,
    pub canceled: u64,
    /// Event handler runs.
    pub handlers: u64,
    /// Rows that went down data-flow paths (received by the component at each path's end),
    /// over every Data Flow task run, and the paths they went down (a path counts once per
    /// run of its task).
    pub data_flow_rows: u64,
    pub data_flow_paths: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// Whether the closing line speaks of execution or of validation (`/Va[lidate]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunPhase {
    Execution,
    Validation,
}

/// Writes dtexec's console output to any `Write`.
#[derive(Debug)]
pub struct Console<W: Write> {
    out: W,
    reporting: Reporting,
}

impl<W: Write> Console<W> {
    /// A console that reports events as `reporting` allows.
    pub fn new(out: W, reporting: Reporting) -> Console<W> {
        Console { out, reporting }
    }

    /// The filter in use.
    pub fn reporting(&self) -> &Reporting {
        &self.reporting
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The three banner lines and a blank line.
    pub fn banner(&mut self) -> io::Result<()> {
        let bits = if cfg!(target_pointer_width = "64") {
            "64-bit"
        } else {
            "32-bit"
        };
        writeln!(self.out, "{PRODUCT_LINE}")?;
        writeln!(self.out, "Version {} for {bits}", env!("CARGO_PKG_VERSION"))?;
        writeln!(self.out, "{COPYRIGHT_LINE}")?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// `Started:  9:13:23 AM`, written when the run starts.
    pub fn started(&mut self, at: NaiveDateTime) -> io::Result<()> {
        writeln!(self.out, "Started:  {}", clock_time(at))?;
        self.out.flush()
    }

    /// A plain warning line before the run, such as those in `DtexecOptions::warnings`.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "Warning: {text}")?;
        self.out.flush()
    }

    /// Whether `/Reporting` lets this message through.
    pub fn reports(&self, message: &Message) -> bool {
        self.reporting.level.contains(message.kind.level())
            && !message
                .event
                .as_deref()
                .is_some_and(|e| self.reporting.is_exception(e))
    }

    /// Writes the message's block if `/Reporting` lets it through; tells whether it did.
    pub fn message(&mut self, message: &Message) -> io::Result<bool> {
        if !self.reports(message) {
            return Ok(false);
        }
        let label = message.kind.label();
        writeln!(self.out, "{label}: {}", event_time(message.time))?;
        writeln!(self.out, "   Code: 0x{:08X}", message.code)?;
        writeln!(self.out, "   Source: {}", message.source)?;
        writeln!(self.out, "   Description: {}", message.description)?;
        writeln!(self.out, "End {label}")?;
        self.out.flush()?;
        Ok(true)
    }

    /// The `/Sum` block, written before the closing lines.
    pub fn summary(&mut self, s: &RunSummary) -> io::Result<()> {
        writeln!(self.out, "Summary:")?;
        writeln!(
            self.out,
            "   Executables run: {} ({} succeeded, {} failed, {} completed, {} canceled)",
            s.executables, s.succeeded, s.failed, s.completed, s.canceled
        )?;
        writeln!(self.out, "   Event handlers run: {}", s.handlers)?;
        if s.data_flow_paths > 0 {
            writeln!(
                self.out,
                "   Data flow rows: {} (received by components over {} paths)",
                s.data_flow_rows, s.data_flow_paths
            )?;
        }
        writeln!(self.out, "   Errors: {}", s.errors)?;
        writeln!(self.out, "   Warnings: {}", s.warnings)?;
        writeln!(self.out, "End Summary")?;
        self.out.flush()
    }

    /// `DTExec: The package execution returned DTSER_SUCCESS (0).`
    pub fn result(&mut self, phase: RunPhase, result: ExecutionResult) -> io::Result<()> {
        let what = match phase {
            RunPhase::Execution => "execution",
            RunPhase::Validation => "validation",
        };
        writeln!(self.out, "DTExec: The package {what} returned {result}.")
    }

    /// `Started:`, `Finished:` and `Elapsed:  2.047 seconds`.
    pub fn timing(&mut self, started: NaiveDateTime, finished: NaiveDateTime) -> io::Result<()> {
        let millis = (finished - started).num_milliseconds().max(0);
        writeln!(self.out, "Started:  {}", clock_time(started))?;
        writeln!(self.out, "Finished: {}", clock_time(finished))?;
        writeln!(
            self.out,
            "Elapsed:  {}.{:03} seconds",
            millis / 1000,
            millis % 1000
        )
    }

    /// The closing lines of a run: the result line and the timing. Returns the exit code that
    /// dtexec ends with for this result.
    pub fn finish(
        &mut self,
        phase: RunPhase,
        result: ExecutionResult,
        started: NaiveDateTime,
        finished: NaiveDateTime,
    ) -> io::Result<ExitCode> {
        self.result(phase, result)?;
        self.timing(started, finished)?;
        self.out.flush()?;
        Ok(result.exit_code())
    }

    /// The report of a bad command line; returns exit code 6.
    pub fn command_line_error(&mut self, error: &OptionError) -> io::Result<ExitCode> {
        writeln!(self.out, "{error}")?;
        self.out.flush()?;
        Ok(error.exit_code())
    }

    /// The output of `/?` or `/H[elp]`: the option list, or the description of one option
    /// (where Windows dtexec would open its online documentation).
    pub fn help(&mut self, request: &HelpRequest) -> io::Result<()> {
        match (request.option, &request.topic) {
            (Some(name), _) => self.out.write_all(usage::option_help(name).as_bytes()),
            (None, Some(topic)) => {
                writeln!(self.out, "\"{topic}\" is not a dtexec option.")?;
                self.out.write_all(usage::usage().as_bytes())
            }
            (None, None) => self.out.write_all(usage::usage().as_bytes()),
        }
    }
}

/// `9:13:23 AM`: hour without leading zero, 12-hour clock.
fn clock_time(t: NaiveDateTime) -> String {
    t.format("%-I:%M:%S %p").to_string()
}

/// `2018-05-29 09:13:25.10`: hundredths of a second.
fn event_time(t: NaiveDateTime) -> String {
    let hundredths = (t.nanosecond() % 1_000_000_000) / 10_000_000;
    format!("{}.{hundredths:02}", t.format("%Y-%m-%d %H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32, ms: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2018, 5, 29)
            .and_then(|d| d.and_hms_milli_opt(h, m, s, ms))
            .expect("valid test time")
    }

    fn text(console: Console<Vec<u8>>) -> String {
        String::from_utf8(console.into_inner()).expect("utf-8")
    }

    /// A buffer that only keeps what was flushed to it, as a pipe behind a buffer would.
    #[derive(Default)]
    struct Flushed {
        pending: Vec<u8>,
        seen: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
    }

    impl Write for Flushed {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.pending.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.seen.borrow_mut().append(&mut self.pending);
            Ok(())
        }
    }

    #[test]
    fn every_block_reaches_the_writer_when_written() {
        let out = Flushed::default();
        let seen = out.seen.clone();
        let mut c = Console::new(out, Reporting::default());
        c.banner().expect("write");
        assert!(String::from_utf8_lossy(&seen.borrow()).contains(PRODUCT_LINE));
        c.started(at(9, 13, 23, 0)).expect("write");
        assert!(String::from_utf8_lossy(&seen.borrow()).ends_with("Started:  9:13:23 AM\n"));
        c.message(&msg(MessageKind::Error)).expect("write");
        assert!(String::from_utf8_lossy(&seen.borrow()).ends_with("End Error\n"));
        c.note("careful").expect("write");
        assert!(String::from_utf8_lossy(&seen.borrow()).ends_with("Warning: careful\n"));
    }

    fn msg(kind: MessageKind) -> Message {
        Message::new(
            kind,
            at(9, 13, 25, 100),
            0xC0010026,
            "Script Task",
            "it broke",
        )
    }

    fn run(level: &str, result: ExecutionResult) -> String {
        let reporting = Reporting::parse(level).expect("level");
        let mut c = Console::new(Vec::new(), reporting);
        c.banner().unwrap();
        c.started(at(9, 13, 23, 0)).unwrap();
        for kind in [
            MessageKind::Error,
            MessageKind::Warning,
            MessageKind::Information,
            MessageKind::Custom,
            MessageKind::DataFlow,
            MessageKind::Progress,
            MessageKind::Verbose,
        ] {
            c.message(&msg(kind)).unwrap();
        }
        let code = c
            .finish(
                RunPhase::Execution,
                result,
                at(9, 13, 23, 0),
                at(9, 13, 25, 47),
            )
            .unwrap();
        assert_eq!(code, result.exit_code());
        text(c)
    }

    fn blocks(out: &str) -> Vec<&str> {
        out.lines().filter_map(|l| l.strip_prefix("End ")).collect()
    }

    #[test]
    fn failure_run_has_dtexecs_shape() {
        let reporting = Reporting::default();
        let mut c = Console::new(Vec::new(), reporting);
        c.banner().unwrap();
        c.started(at(9, 13, 23, 0)).unwrap();
        c.message(&msg(MessageKind::Error)).unwrap();
        let code = c
            .finish(
                RunPhase::Execution,
                ExecutionResult::Failure,
                at(9, 13, 23, 0),
                at(9, 13, 25, 47),
            )
            .unwrap();
        assert_eq!(code, ExitCode::Failure);
        let expected = format!(
            "ssisd Execute Package Utility\n\
             Version {} for 64-bit\n\
             {COPYRIGHT_LINE}\n\
             \n\
             Started:  9:13:23 AM\n\
             Error: 2018-05-29 09:13:25.10\n   \
             Code: 0xC0010026\n   \
             Source: Script Task\n   \
             Description: it broke\n\
             End Error\n\
             DTExec: The package execution returned DTSER_FAILURE (1).\n\
             Started:  9:13:23 AM\n\
             Finished: 9:13:25 AM\n\
             Elapsed:  2.047 seconds\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(text(c), expected);
    }

    #[test]
    fn success_and_cancel_lines() {
        let out = run("N", ExecutionResult::Success);
        assert!(out.contains("DTExec: The package execution returned DTSER_SUCCESS (0).\n"));
        let out = run("N", ExecutionResult::Canceled);
        assert!(out.contains("DTExec: The package execution returned DTSER_CANCELED (3).\n"));
        let out = run("N", ExecutionResult::Completion);
        assert!(out.contains("returned DTSER_COMPLETION (2).\n"));
    }

    #[test]
    fn validation_line() {
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.result(RunPhase::Validation, ExecutionResult::Success)
            .unwrap();
        assert_eq!(
            text(c),
            "DTExec: The package validation returned DTSER_SUCCESS (0).\n"
        );
    }

    #[test]
    fn default_reporting_shows_errors_warnings_progress() {
        assert_eq!(
            blocks(&run("EWP", ExecutionResult::Success)),
            vec!["Error", "Warning", "Progress"]
        );
        let reporting = Reporting::default();
        let c = Console::new(Vec::new(), reporting);
        assert!(c.reports(&msg(MessageKind::Progress)));
        assert!(!c.reports(&msg(MessageKind::Information)));
    }

    #[test]
    fn each_reporting_level_filters() {
        assert!(blocks(&run("N", ExecutionResult::Success)).is_empty());
        assert_eq!(blocks(&run("E", ExecutionResult::Success)), vec!["Error"]);
        assert_eq!(blocks(&run("W", ExecutionResult::Success)), vec!["Warning"]);
        assert_eq!(blocks(&run("I", ExecutionResult::Success)), vec!["Info"]);
        assert_eq!(blocks(&run("C", ExecutionResult::Success)), vec!["Custom"]);
        assert_eq!(
            blocks(&run("D", ExecutionResult::Success)),
            vec!["DataFlow"]
        );
        assert_eq!(
            blocks(&run("P", ExecutionResult::Success)),
            vec!["Progress"]
        );
        assert_eq!(
            blocks(&run("V", ExecutionResult::Success)),
            vec!["Error", "Warning", "Info", "Custom", "DataFlow", "Progress", "Verbose"]
        );
        assert_eq!(
            blocks(&run("E;I", ExecutionResult::Success)),
            vec!["Error", "Info"]
        );
    }

    #[test]
    fn reporting_exceptions_suppress_named_events() {
        let reporting = Reporting::parse("V;OnPipelineRowsSent").unwrap();
        let mut c = Console::new(Vec::new(), reporting);
        let mut m = msg(MessageKind::DataFlow);
        m.event = Some("OnPipelineRowsSent".into());
        assert!(!c.message(&m).unwrap());
        m.event = Some("OnPipelinePrePrimeOutput".into());
        assert!(c.message(&m).unwrap());
        assert_eq!(blocks(&text(c)), vec!["DataFlow"]);
    }

    #[test]
    fn warning_info_progress_blocks() {
        let mut c = Console::new(Vec::new(), Reporting::parse("V").unwrap());
        let mut m = msg(MessageKind::Warning);
        m.code = 0x80019002;
        c.message(&m).unwrap();
        let out = text(c);
        assert!(out.starts_with("Warning: 2018-05-29 09:13:25.10\n   Code: 0x80019002\n"));
        assert!(out.ends_with("   Description: it broke\nEnd Warning\n"));
    }

    #[test]
    fn summary_block() {
        let mut c = Console::new(Vec::new(), Reporting::parse("N").unwrap());
        c.summary(&RunSummary {
            executables: 3,
            succeeded: 2,
            failed: 1,
            handlers: 1,
            errors: 1,
            ..RunSummary::default()
        })
        .unwrap();
        assert_eq!(
            text(c),
            "Summary:\n   Executables run: 3 (2 succeeded, 1 failed, 0 completed, 0 canceled)\n   \
             Event handlers run: 1\n   Errors: 1\n   Warnings: 0\nEnd Summary\n"
        );
    }

    #[test]
    fn times() {
        assert_eq!(clock_time(at(0, 5, 6, 0)), "12:05:06 AM");
        assert_eq!(clock_time(at(13, 0, 0, 0)), "1:00:00 PM");
        assert_eq!(clock_time(at(23, 59, 59, 999)), "11:59:59 PM");
        assert_eq!(event_time(at(9, 1, 2, 999)), "2018-05-29 09:01:02.99");
        assert_eq!(event_time(at(9, 1, 2, 0)), "2018-05-29 09:01:02.00");
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.timing(at(9, 0, 0, 0), at(10, 0, 0, 5)).unwrap();
        assert!(text(c).ends_with("Elapsed:  3600.005 seconds\n"));
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.timing(at(9, 0, 1, 0), at(9, 0, 0, 0)).unwrap();
        assert!(text(c).ends_with("Elapsed:  0.000 seconds\n"));
    }

    #[test]
    fn command_line_errors_and_notes() {
        let mut c = Console::new(Vec::new(), Reporting::default());
        let code = c.command_line_error(&OptionError::NoPackageSource).unwrap();
        assert_eq!(code, ExitCode::BadCommandLine);
        c.note("Option /X86 is ignored.").unwrap();
        let out = text(c);
        assert!(out.starts_with("No package to run"));
        assert!(out.ends_with("Warning: Option /X86 is ignored.\n"));
    }

    #[test]
    fn help_output() {
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.help(&HelpRequest {
            topic: None,
            option: None,
        })
        .unwrap();
        let out = text(c);
        assert!(out.contains("/F[ile]") && out.contains("/Rep[orting]"));
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.help(&HelpRequest {
            topic: Some("Set".into()),
            option: Some(super::super::option_table::OptionName::Set),
        })
        .unwrap();
        assert!(text(c).starts_with("/Set"));
        let mut c = Console::new(Vec::new(), Reporting::default());
        c.help(&HelpRequest {
            topic: Some("Nope".into()),
            option: None,
        })
        .unwrap();
        assert!(text(c).starts_with("\"Nope\" is not a dtexec option."));
    }
}
