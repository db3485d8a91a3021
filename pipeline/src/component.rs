//! The contract every data-flow component meets, and what the executor hands it at each stage.
//!
//! Life of a component: its registry entry's factory *configures and validates* it from the
//! model ([`ComponentSpec`]: custom properties, columns, the buffer layout each input receives)
//! without any I/O; [`Component::pre_execute`] opens what it needs (files, connections,
//! variables) through the [`PrepareContext`]; then rows flow — a source's
//! [`Component::produce`] sends buffers to its outputs through an [`Emitter`]; a component
//! whose outputs are synchronous (transforms, destinations) gets [`Component::process`] for
//! each buffer and edits it in place, returning a [`Routing`]; a component with asynchronous
//! outputs gets [`Component::receive`] per buffer and [`Component::end_of_input`] per input,
//! and emits new buffers; finally [`Component::post_execute`] (success: flush, rename into
//! place, set variables) or [`Component::abort`] (failure or cancel: remove partial output,
//! spill files). Blocking components ask the [`RunContext::budget`] before holding rows and
//! spill to its directories when refused. It must not know threads or channels.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ssisd_engine::model::{Component as ModelComponent, Dispositions, RowDisposition};

use crate::buffer::sizing::BufferSizing;
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::error::{PipelineError, Problems};
use crate::host::{ConnectionSpec, Host, Level, PipelineEvent};
use crate::memory::MemoryBudget;
use crate::metadata::FlowMetadata;

/// What a factory sees: the component's model and the layouts of its inputs and outputs.
pub struct ComponentSpec<'a> {
    pub component: &'a ModelComponent,
    /// Index in the data flow's components.
    pub index: usize,
    pub flow: &'a FlowMetadata<'a>,
    /// The buffer layout each input receives (by input position).
    pub input_layouts: Vec<Arc<Layout>>,
    /// The buffer layout each output sends (by output position): for an asynchronous output
    /// its own columns; for a synchronous one its input's layout plus the columns the
    /// component's synchronous outputs add; for a synchronous error output the input's
    /// layout plus ErrorCode and ErrorColumn.
    pub output_layouts: Vec<Arc<Layout>>,
    /// Which outputs have a path (others' rows are discarded).
    pub attached_outputs: Vec<bool>,
    /// The Data Flow task's package path (for messages).
    pub task_path: &'a str,
}

impl ComponentSpec<'_> {
    pub fn name(&self) -> &str {
        &self.component.name
    }

    /// A validation error about this component.
    pub fn error(&self, message: impl Into<String>) -> PipelineError {
        PipelineError::new(
            codes::INDIVIDUAL_VALIDATION_FAILED,
            self.component.name.clone(),
            format!(
                "{}: component \"{}\": {}",
                self.task_path,
                self.component.name,
                message.into()
            ),
        )
    }

    /// The first non-error output, and its index.
    pub fn main_output(&self) -> Option<usize> {
        self.component
            .outputs
            .iter()
            .position(|o| !o.is_error_output)
    }

    /// The error output, and its index.
    pub fn error_output(&self) -> Option<usize> {
        self.component
            .outputs
            .iter()
            .position(|o| o.is_error_output)
    }

    /// The error output's columns (special flags, type, name); none without an error output.
    pub fn error_output_columns(&self) -> Vec<crate::buffer::redirected::ErrorColumn> {
        self.error_output()
            .map(|e| {
                self.component.outputs[e]
                    .columns
                    .iter()
                    .map(|col| {
                        (
                            col.special_flags,
                            col.data_type
                                .unwrap_or(ssisd_engine::types::DataType::NText),
                            col.name.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Builds a component from its spec (no I/O: it also runs at /VALIDATE).
pub type Factory = fn(&ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems>;

/// Rows of a buffer that failed and go to the error output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowError {
    /// Row index in the buffer.
    pub row: usize,
    /// The SSIS code placed in ErrorCode.
    pub code: u32,
    /// The lineage number placed in ErrorColumn (0: the whole row).
    pub column: i64,
}

/// Where the rows of a processed buffer go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// Per row, the index (in the component's outputs) of the one output it goes to, or
    /// [`Routing::DROP`]. `None`: every row goes to every synchronous non-error output.
    pub per_row: Option<Vec<u16>>,
    /// Rows redirected to the error output (they go nowhere else).
    pub errors: Vec<RowError>,
}

impl Routing {
    /// A row that goes nowhere.
    pub const DROP: u16 = u16::MAX;

    /// Every row to every output.
    pub fn all() -> Routing {
        Routing::default()
    }
}

/// How a failure of one value is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Ignore Failure: errors give NULL, truncations keep the shortened value.
    Ignore,
    /// Redirect Row: the row goes to the error output.
    Redirect,
    /// Fail Component (also what NotUsed means when the failure happens anyway).
    Fail,
}

/// Whether a failure is an error or a truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Error,
    Truncation,
}

/// The handling the dispositions give to a failure.
pub fn handling(d: &Dispositions, kind: FailureKind) -> Handling {
    let disposition = match kind {
        FailureKind::Error => d.error,
        FailureKind::Truncation => d.truncation,
    };
    match disposition {
        RowDisposition::IgnoreFailure => Handling::Ignore,
        RowDisposition::RedirectRow => Handling::Redirect,
        RowDisposition::FailComponent | RowDisposition::NotUsed => Handling::Fail,
    }
}

/// The error a Fail Component disposition raises: names the component, the column (SSIS
/// identification string), the row number (1-based, counted on the component's input) and
/// the status code, and says what to change.
pub fn failure(
    task_path: &str,
    component: &str,
    column: &str,
    row_number: u64,
    status: u32,
    kind: FailureKind,
    detail: &str,
) -> PipelineError {
    let (code, what) = match kind {
        FailureKind::Error => (codes::INDUCED_FAILURE_ON_ERROR, "error"),
        FailureKind::Truncation => (codes::INDUCED_FAILURE_ON_TRUNCATION, "truncation"),
    };
    PipelineError::new(
        code,
        component,
        format!(
            "{task_path}: component \"{component}\" failed on row {row_number}, column \"{column}\": {detail} (status {}); the {what} row disposition of the column is Fail Component ({}). Set it to Ignore Failure or Redirect Row to let such rows through.",
            codes::hex(status),
            codes::hex(code)
        ),
    )
}

/// What [`Component::pre_execute`] and [`Component::post_execute`] may use.
pub struct PrepareContext<'a> {
    pub host: &'a dyn Host,
    pub task_path: &'a str,
    pub component: &'a ModelComponent,
    pub sizing: BufferSizing,
    pub budget: Arc<MemoryBudget>,
}

impl PrepareContext<'_> {
    /// The connection manager in the component's connection slot `slot` (or the first slot
    /// when `slot` is empty).
    pub fn connection(&self, slot: &str) -> Result<ConnectionSpec, PipelineError> {
        let c = self
            .component
            .connections
            .iter()
            .find(|c| slot.is_empty() || c.name.eq_ignore_ascii_case(slot))
            .ok_or_else(|| {
                self.error(
                    codes::INDIVIDUAL_VALIDATION_FAILED,
                    format!("it has no connection in the slot \"{slot}\"; assign a connection manager to it"),
                )
            })?;
        let key = c.manager_key();
        let key = key.strip_suffix(":external").unwrap_or(key);
        self.host.connection(key).map_err(|e| {
            self.error(
                codes::INDIVIDUAL_VALIDATION_FAILED,
                format!("its connection \"{}\" ({key}): {e}", c.name),
            )
        })
    }

    /// An error about this component.
    pub fn error(&self, code: u32, message: impl Into<String>) -> PipelineError {
        PipelineError::new(
            code,
            self.component.name.clone(),
            format!(
                "{}: component \"{}\": {}",
                self.task_path,
                self.component.name,
                message.into()
            ),
        )
    }

    pub fn information(&self, code: u32, text: impl Into<String>) {
        self.host.event(PipelineEvent::Message {
            level: Level::Information,
            code,
            component: self.component.name.clone(),
            text: text.into(),
        });
    }

    pub fn warning(&self, code: u32, text: impl Into<String>) {
        self.host.event(PipelineEvent::Message {
            level: Level::Warning,
            code,
            component: self.component.name.clone(),
            text: text.into(),
        });
    }
}

/// What a component may use while rows flow (from a worker thread).
pub struct RunContext<'a> {
    pub task_path: &'a str,
    pub component: &'a str,
    /// Rows received on the input before this buffer (row numbers in messages are
    /// `rows_before + index + 1`).
    pub rows_before: u64,
    pub budget: &'a Arc<MemoryBudget>,
    pub stop: &'a AtomicBool,
    pub(crate) events: &'a crossbeam_channel::Sender<PipelineEvent>,
}

impl RunContext<'_> {
    /// True once the data flow is stopping (cancel or another component's failure); long
    /// loops must check it at least once per buffer.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn message(&self, level: Level, code: u32, text: impl Into<String>) {
        let _ = self.events.send(PipelineEvent::Message {
            level,
            code,
            component: self.component.to_string(),
            text: text.into(),
        });
    }
}

/// Sends a component's buffers to its outputs.
pub trait Emitter {
    /// The layout output `output` sends (its columns in buffer order).
    fn layout(&self, output: usize) -> Arc<Layout>;
    /// Rows per buffer for this output.
    fn rows_per_buffer(&self, output: usize) -> usize;
    /// Whether anything reads output `output`.
    fn attached(&self, output: usize) -> bool;
    /// Sends a buffer (blocks while downstream is full). `Err` when the data flow stops.
    fn send(&mut self, output: usize, buffer: Buffer) -> Result<(), PipelineError>;
    /// True once the data flow is stopping.
    fn stopping(&self) -> bool;
    /// The context for messages.
    fn context(&self) -> RunContext<'_>;
}

/// A configured component.
pub trait Component: Send {
    /// Opens what the component needs. Runs on the thread that starts the data flow.
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let _ = ctx;
        Ok(())
    }

    /// Sources: produce every row.
    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let _ = out;
        Ok(())
    }

    /// Components with synchronous outputs (or none): process a buffer of `input` in place —
    /// replace columns, append the columns the outputs add — and say where its rows go.
    fn process(
        &mut self,
        input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let _ = (input, buffer, ctx);
        Ok(Routing::all())
    }

    /// Components with asynchronous outputs: a buffer arrived on `input`.
    fn receive(
        &mut self,
        input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        let _ = (input, buffer, out);
        Ok(())
    }

    /// Components with asynchronous outputs: `input` has no more rows.
    fn end_of_input(&mut self, input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let _ = (input, out);
        Ok(())
    }

    /// After every row flowed and the data flow succeeded: flush, rename into place, set
    /// variables, report row counts. Runs on the thread that started the data flow.
    /// After [`Component::process`]: the rows of that buffer that also go to a second output
    /// in another exclusion group (per row, the output's index or [`Routing::DROP`]). Only a
    /// component whose outputs form two exclusion groups (Slowly Changing Dimension) has them.
    fn also_routed(&mut self) -> Option<Vec<u16>> {
        None
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let _ = ctx;
        Ok(())
    }

    /// The data flow failed or was cancelled: remove partial output and temporary files.
    fn abort(&mut self) {}
}
