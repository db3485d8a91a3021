//! Script Component: the package's own C# code as a source (CreateNewOutputRows fills its
//! asynchronous outputs), a transformation (Input0_ProcessInputRow over each row, reading and
//! writing the row in place through a synchronous output, or adding rows to asynchronous
//! outputs) or a destination. The factory reads the stored project and the component's columns
//! (refusing types a script here cannot carry); pre-execute generates the wrapper classes from
//! that metadata, has the host provided by the runtime (`Host::scripts`) compile or find the
//! assembly, starts the script host and runs PreExecute; rows cross to the host a buffer at a
//! time and come back as whole columns; post-execute runs PostExecute and writes the ReadWrite
//! variables the script changed; abort stops the host. It owns the component's side of the
//! conversation; the process, Mono and compiling are the runtime's.

use std::sync::Arc;

use arrow_array::ArrayRef;
use ssisd_engine::model::UsageType;
use ssisd_engine::types::DataType;

use crate::buffer::{Buffer, Layout, LayoutColumn};
use crate::codes;
use crate::component::{Component, ComponentSpec, Emitter, PrepareContext, Routing, RunContext};
use crate::error::{PipelineError, Problems};
use crate::host::{Level, PipelineEvent};
use crate::registry::ComponentEntry;
use crate::script::batch::{self, script_type, DecodeError, ScriptType};
use crate::script::project::ComponentProject;
use crate::script::protocol::{
    self, command, Answer, ComponentRequest, RequestConnection, RequestPort, RequestVariable,
};
use crate::script::values;
use crate::script::wire::{Reader, WireValue};
use crate::script::wrappers::{self, WrapperColumn, WrapperPort, WrapperShape, WrapperVariable};
use crate::script::{Language, ScriptKind, ScriptProcess, ScriptSources};

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Script Component",
    class_ids: &[
        "Microsoft.SqlServer.Dts.Pipeline.ScriptComponentHost",
        "Microsoft.ScriptComponentHost",
    ],
    create,
};

/// SSIS's DTS_E_USERCOMPONENTEXCEPTION: a managed component threw.
const USER_COMPONENT_EXCEPTION: u32 = 0xC004_7062;

/// A column of the script's view of an input or output.
#[derive(Debug, Clone)]
struct ViewColumn {
    name: String,
    ty: DataType,
    script: ScriptType,
    /// Index in the buffer (input layout, or the output's layout).
    index: usize,
    readable: bool,
    writable: bool,
    /// Added by the synchronous output (not in the input's buffer yet).
    added: bool,
}

#[derive(Debug, Clone)]
struct InputView {
    name: String,
    id: i64,
    columns: Vec<ViewColumn>,
    /// The columns the synchronous output adds, as the buffer carries them.
    added: Vec<LayoutColumn>,
    /// Whether a synchronous output passes the rows on.
    has_sync_output: bool,
}

#[derive(Debug, Clone)]
struct OutputView {
    /// Index in the component's outputs.
    index: usize,
    name: String,
    id: i64,
    layout: Arc<Layout>,
    columns: Vec<ViewColumn>,
    attached: bool,
}

struct ScriptComponent {
    name: String,
    id: i64,
    task_path: String,
    project: ComponentProject,
    input: Option<InputView>,
    outputs: Vec<OutputView>,
    /// (connection name, manager key).
    slots: Vec<(String, String)>,
    /// (lineage, identification string) of the columns its buffers carry.
    lineages: Vec<(i64, String)>,
    process: Option<Box<dyn ScriptProcess>>,
    primed: bool,
    written: Vec<(String, WireValue)>,
}

fn unsupported(spec: &ComponentSpec<'_>, column: &str, ty: &DataType) -> PipelineError {
    spec.error(format!(
        "its column \"{column}\" is {}, which a Script Component here does not carry (BLOBs \
         DT_TEXT/DT_NTEXT/DT_IMAGE, DT_GUID, times and DT_DBTIMESTAMPOFFSET are not supported \
         yet); convert it first with a Data Conversion",
        ty.static_name()
    ))
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let project = ComponentProject::parse(&c.properties).map_err(|e| spec.error(e.to_string()))?;
    if c.inputs.len() > 1 {
        return Err(spec
            .error("it has more than one input; a Script Component has one")
            .into());
    }
    let regular: Vec<usize> = c
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.is_error_output)
        .map(|(i, _)| i)
        .collect();
    let sync: Vec<usize> = regular
        .iter()
        .copied()
        .filter(|&i| c.outputs[i].synchronous_input.is_set())
        .collect();
    if sync.len() > 1 {
        return Err(spec
            .error(
                "it has more than one synchronous output; directing rows to one of them \
                 (DirectRowTo…) is not supported yet",
            )
            .into());
    }
    let input = match c.inputs.first() {
        None => None,
        Some(i) => {
            let layout = &spec.input_layouts[0];
            let mut columns = Vec::new();
            for ic in &i.columns {
                let Some(index) = layout.index_of(ic.lineage.number) else {
                    return Err(spec
                        .error(format!("its input column \"{}\" is not upstream", ic.name))
                        .into());
                };
                let lc = &layout.columns[index];
                let name = if ic.name.is_empty() {
                    lc.name.clone()
                } else {
                    ic.name.clone()
                };
                let st = script_type(&lc.data_type)
                    .ok_or_else(|| unsupported(spec, &name, &lc.data_type))?;
                columns.push(ViewColumn {
                    name,
                    ty: lc.data_type,
                    script: st,
                    index,
                    readable: true,
                    writable: ic.usage == UsageType::ReadWrite,
                    added: false,
                });
            }
            let mut added = Vec::new();
            if let Some(&o) = sync.first() {
                let out_layout = &spec.output_layouts[o];
                for (k, lc) in out_layout.columns.iter().enumerate().skip(layout.len()) {
                    let st = script_type(&lc.data_type)
                        .ok_or_else(|| unsupported(spec, &lc.name, &lc.data_type))?;
                    columns.push(ViewColumn {
                        name: lc.name.clone(),
                        ty: lc.data_type,
                        script: st,
                        index: k,
                        readable: false,
                        writable: true,
                        added: true,
                    });
                    added.push(lc.clone());
                }
            }
            Some(InputView {
                name: i.name.clone(),
                id: i.id.number,
                columns,
                added,
                has_sync_output: !sync.is_empty(),
            })
        }
    };
    let mut outputs = Vec::new();
    for &o in regular.iter().filter(|o| !sync.contains(o)) {
        let out = &c.outputs[o];
        let layout = spec.output_layouts[o].clone();
        let mut columns = Vec::new();
        for (index, lc) in layout.columns.iter().enumerate() {
            let st = script_type(&lc.data_type)
                .ok_or_else(|| unsupported(spec, &lc.name, &lc.data_type))?;
            columns.push(ViewColumn {
                name: lc.name.clone(),
                ty: lc.data_type,
                script: st,
                index,
                readable: true,
                writable: true,
                added: false,
            });
        }
        outputs.push(OutputView {
            index: o,
            name: out.name.clone(),
            id: out.id.number,
            layout,
            columns,
            attached: spec.attached_outputs.get(o).copied().unwrap_or(false),
        });
    }
    if input.is_none() && outputs.is_empty() {
        return Err(spec
            .error(
                "it has neither an input nor an output; give it an output (a source) or an input",
            )
            .into());
    }
    if project.own_sources().is_empty() && project.binaries.is_empty() {
        return Err(spec
            .error(
                "The binary code for the script is not found. Please open the script in the \
                 designer by clicking Edit Script button and make sure it builds successfully",
            )
            .into());
    }
    Ok(Box::new(ScriptComponent {
        name: c.name.clone(),
        id: c.id.number,
        task_path: spec.task_path.to_string(),
        project,
        input,
        outputs,
        slots: c
            .connections
            .iter()
            .filter(|s| !s.manager_key().is_empty())
            .map(|s| (s.name.clone(), s.manager_key().to_string()))
            .collect(),
        lineages: spec
            .input_layouts
            .iter()
            .chain(spec.output_layouts.iter())
            .flat_map(|l| l.columns.iter())
            .map(|c| (c.lineage, c.identification.clone()))
            .collect(),
        process: None,
        primed: false,
        written: Vec::new(),
    }))
}

/// How a conversation step ended well.
enum Reply {
    Ready,
    /// The BatchDone frame (its batch follows the kind byte).
    BatchDone(Vec<u8>),
    PrimeDone,
    Finished,
}

fn with_sub(sub: &str, text: &str) -> String {
    if sub.trim().is_empty() {
        text.to_string()
    } else {
        format!("{sub}: {text}")
    }
}

impl ScriptComponent {
    fn error(&self, code: u32, message: impl Into<String>) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!(
                "{}: component \"{}\": {}",
                self.task_path,
                self.name,
                message.into()
            ),
        )
    }

    fn shape(&self, variables: &[RequestVariable]) -> WrapperShape {
        let port = |name: &str, cols: &[ViewColumn]| WrapperPort {
            name: name.to_string(),
            columns: cols
                .iter()
                .map(|c| WrapperColumn {
                    name: c.name.clone(),
                    ty: c.script,
                    readable: c.readable,
                    writable: c.writable,
                })
                .collect(),
        };
        WrapperShape {
            inputs: self
                .input
                .iter()
                .map(|i| port(&i.name, &i.columns))
                .collect(),
            async_outputs: self
                .outputs
                .iter()
                .map(|o| port(&o.name, &o.columns))
                .collect(),
            variables: variables
                .iter()
                .zip(self.listed())
                .map(|(v, (listed, _))| WrapperVariable {
                    listed: listed.clone(),
                    type_code: v.type_code,
                    read_write: v.read_write,
                })
                .collect(),
            connections: self.slots.iter().map(|(s, _)| s.clone()).collect(),
        }
    }

    /// Every listed variable, with whether it is ReadWrite.
    fn listed(&self) -> Vec<(String, bool)> {
        self.project
            .read_only
            .iter()
            .map(|n| (n.clone(), false))
            .chain(self.project.read_write.iter().map(|n| (n.clone(), true)))
            .collect()
    }

    fn sources(&self, shape: &WrapperShape) -> ScriptSources {
        let mut sources: Vec<(String, String)> = self
            .project
            .own_sources()
            .into_iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect();
        if self.project.language == Language::CSharp {
            sources.push(("BufferWrapper.cs".into(), wrappers::buffer_wrapper(shape)));
            sources.push((
                "ComponentWrapper.cs".into(),
                wrappers::component_wrapper(shape),
            ));
        }
        ScriptSources {
            name: self.project.name.clone(),
            language: self.project.language,
            kind: ScriptKind::Component,
            sources,
            binaries: self.project.binaries.clone(),
        }
    }

    fn send(&mut self, body: Vec<u8>) -> Result<(), PipelineError> {
        let r = match self.process.as_mut() {
            Some(p) => p.send(body).map_err(|e| e.to_string()),
            None => Err("the script host is not running".to_string()),
        };
        r.map_err(|e| self.ended(&format!("the script host does not take more work: {e}")))
    }

    /// The error for a host that stopped talking.
    fn ended(&mut self, what: &str) -> PipelineError {
        let exit = self
            .process
            .as_mut()
            .map(|p| p.finish())
            .unwrap_or_default();
        self.process = None;
        let detail = exit
            .channel_error
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        self.error(
            codes::PROCESS_INPUT_FAILED,
            format!(
                "{what}: the script's process ended ({}){detail}",
                exit.description
            ),
        )
    }

    /// The next answer that matters: an event, rows of an output, or the command's end.
    /// Variable writes are kept for post-execute; an exception or a host error fails the
    /// component (and stops the host).
    fn next(&mut self) -> Result<Step, PipelineError> {
        loop {
            let frame = match self.process.as_mut().and_then(|p| p.recv()) {
                Some(f) => f,
                None => return Err(self.ended("the script host stopped before it answered")),
            };
            let answer = Answer::decode(&frame)
                .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e.to_string()))?;
            let event = |level, code: i32, sub: &str, text: &str| {
                Ok(Step::Event(level, code as u32, with_sub(sub, text)))
            };
            return match answer {
                Answer::Information {
                    code,
                    sub_component,
                    description,
                } => event(Level::Information, code, &sub_component, &description),
                Answer::Warning {
                    code,
                    sub_component,
                    description,
                } => event(Level::Warning, code, &sub_component, &description),
                Answer::Error {
                    code,
                    sub_component,
                    description,
                } => event(Level::Error, code, &sub_component, &description),
                Answer::Progress {
                    description,
                    percent,
                    sub_component,
                } => event(
                    Level::Information,
                    0,
                    &sub_component,
                    &format!("{description} ({percent}% complete)"),
                ),
                Answer::Custom {
                    event_name,
                    text,
                    sub_component,
                } => event(
                    Level::Information,
                    0,
                    &sub_component,
                    &format!("custom event {event_name}: {text}"),
                ),
                Answer::MessageBox { text, caption } => event(
                    Level::Information,
                    0,
                    "",
                    &format!(
                        "MessageBox \"{caption}\": {text} (answered OK: the run is unattended)"
                    ),
                ),
                Answer::VariableSet { name, value } => {
                    self.written.push((name, value));
                    continue;
                }
                Answer::Exception { text, .. } => {
                    if let Some(mut p) = self.process.take() {
                        p.kill();
                    }
                    Err(self.error(
                        USER_COMPONENT_EXCEPTION,
                        format!("the script threw an exception: {text}"),
                    ))
                }
                Answer::HostError { text } => {
                    if let Some(mut p) = self.process.take() {
                        p.kill();
                    }
                    Err(self.error(
                        codes::PROCESS_INPUT_FAILED,
                        format!("the script could not be run: {text}"),
                    ))
                }
                Answer::OutputBatch { output, batch, .. } => {
                    if output >= self.outputs.len() {
                        return Err(self.error(
                            codes::PROCESS_INPUT_FAILED,
                            format!(
                                "the script host sent rows for an output {output} it does not have"
                            ),
                        ));
                    }
                    let at = batch.position();
                    Ok(Step::Output(output, frame[at..].to_vec()))
                }
                Answer::Ready => Ok(Step::Done(Reply::Ready)),
                Answer::BatchDone(batch) => {
                    let at = batch.position();
                    Ok(Step::Done(Reply::BatchDone(frame[at..].to_vec())))
                }
                Answer::PrimeDone => Ok(Step::Done(Reply::PrimeDone)),
                Answer::Finished => Ok(Step::Done(Reply::Finished)),
            };
        }
    }

    /// Answers until the command ends, where no output rows may come (pre- and post-execute,
    /// synchronous batches).
    fn until_done(&mut self, events: &dyn Fn(Level, u32, String)) -> Result<Reply, PipelineError> {
        loop {
            match self.next()? {
                Step::Event(l, c, t) => events(l, c, t),
                Step::Done(r) => return Ok(r),
                Step::Output(..) => {
                    return Err(self.error(
                        codes::PROCESS_INPUT_FAILED,
                        "the script added rows to an output outside PrimeOutput and ProcessInput",
                    ))
                }
            }
        }
    }

    /// Answers until the command ends, sending output rows downstream as they come.
    fn until_done_emitting(&mut self, out: &mut dyn Emitter) -> Result<Reply, PipelineError> {
        loop {
            match self.next()? {
                Step::Event(l, c, t) => out.context().message(l, c, t),
                Step::Done(r) => return Ok(r),
                Step::Output(o, bytes) => {
                    let view = &self.outputs[o];
                    let types: Vec<DataType> = view.columns.iter().map(|c| c.ty).collect();
                    let (rows, columns) = batch::decode(&mut Reader::new(&bytes), &types)
                        .map_err(|e| self.decode_error(e, &view.columns, 0))?;
                    if rows > 0 && view.attached {
                        out.send(view.index, Buffer::new(view.layout.clone(), columns, rows))?;
                    }
                }
            }
        }
    }

    /// The decode error of a batch as the component's failure.
    fn decode_error(
        &self,
        e: DecodeError,
        columns: &[ViewColumn],
        rows_before: u64,
    ) -> PipelineError {
        match e {
            DecodeError::Protocol(p) => self.error(codes::PROCESS_INPUT_FAILED, p.to_string()),
            DecodeError::Unfit(u) => self.error(
                codes::INDUCED_FAILURE_ON_TRUNCATION,
                format!(
                    "the value the script gave column \"{}\" on row {} does not fit: {}",
                    columns
                        .get(u.column)
                        .map(|c| c.name.as_str())
                        .unwrap_or("?"),
                    rows_before + u.row as u64 + 1,
                    u.why
                ),
            ),
        }
    }

    /// Sends PrimeOutput once (a source's whole work; before a transformation's first rows).
    fn prime(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        if self.primed {
            return Ok(());
        }
        self.primed = true;
        self.send(protocol::simple(command::PRIME))?;
        self.until_done_emitting(out).map(|_| ())
    }

    /// The input batch command for `buffer` (`None`: the empty last one).
    fn batch_command(&self, buffer: Option<&Buffer>, end: bool) -> Vec<u8> {
        let Some(input) = &self.input else {
            return Vec::new();
        };
        let rows = buffer.map(|b| b.rows()).unwrap_or(0);
        let added: Vec<ArrayRef> = input
            .columns
            .iter()
            .filter(|c| c.added || buffer.is_none())
            .map(|c| batch::nulls(&c.ty, rows))
            .collect();
        let mut k = 0;
        let mut cols: Vec<(&ArrayRef, &DataType)> = Vec::new();
        for c in &input.columns {
            match buffer {
                Some(b) if !c.added => cols.push((b.column(c.index), &c.ty)),
                _ => {
                    cols.push((&added[k], &c.ty));
                    k += 1;
                }
            }
        }
        let mut w = protocol::batch_head(0, end);
        batch::encode(&mut w, &cols, rows);
        w.0
    }
}

/// One step of a conversation with the host.
enum Step {
    Event(Level, u32, String),
    /// Rows of the output at this position of `outputs`: the batch's bytes.
    Output(usize, Vec<u8>),
    Done(Reply),
}

impl Component for ScriptComponent {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let scripts = ctx
            .host
            .scripts()
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, format!("{e}.")))?;
        let mut variables = Vec::new();
        for (listed, read_write) in self.listed() {
            let value = ctx.host.variable(&listed).map_err(|e| {
                ctx.error(
                    codes::VARIABLE_INVALID,
                    format!(
                        "the variable \"{listed}\" of its {} cannot be used: {e}",
                        if read_write {
                            "ReadWriteVariables"
                        } else {
                            "ReadOnlyVariables"
                        }
                    ),
                )
            })?;
            let (namespace, name) = match listed.split_once("::") {
                Some((n, v)) => (n.trim_start_matches('$').to_string(), v.to_string()),
                None => ("User".to_string(), listed.clone()),
            };
            variables.push(RequestVariable {
                qualified_name: if listed.contains("::") {
                    listed.clone()
                } else {
                    format!("User::{listed}")
                },
                namespace,
                name,
                read_write,
                variable_read_only: false,
                type_code: values::type_code_of(&value.data_type()),
                value: values::to_wire(&value),
            });
        }
        let shape = self.shape(&variables);
        let prepared = scripts
            .prepare(&self.sources(&shape))
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))?;
        for note in &prepared.notes {
            ctx.information(0, note.clone());
        }
        let mut connections = Vec::new();
        let mut slots = Vec::new();
        for (slot, _) in &self.slots {
            let c = ctx.connection(slot)?;
            slots.push((slot.clone(), c.name.clone()));
            connections.push(RequestConnection {
                name: c.name,
                id: String::new(),
                creation_name: c.creation_name,
                connection_string: c.connection_string,
                file_path: c.file_path,
                description: String::new(),
            });
        }
        let port = |name: &str, id: i64, synchronous: bool, cols: &[ViewColumn]| RequestPort {
            name: name.to_string(),
            id: id as i32,
            synchronous,
            columns: cols.iter().map(|c| (c.script.kind, c.writable)).collect(),
        };
        let batch_rows = self
            .outputs
            .iter()
            .map(|o| ctx.sizing.rows_for(o.layout.row_width()))
            .min()
            .unwrap_or(10_000)
            .max(1);
        let request = ComponentRequest {
            assembly_path: prepared.assembly,
            component_name: self.name.clone(),
            component_id: self.id as i32,
            project_name: self.project.name.clone(),
            batch_rows: batch_rows.min(i32::MAX as usize) as i32,
            variables,
            connections,
            slots,
            inputs: self
                .input
                .iter()
                .map(|i| port(&i.name, i.id, false, &i.columns))
                .collect(),
            outputs: self
                .outputs
                .iter()
                .map(|o| port(&o.name, o.id, false, &o.columns))
                .collect(),
            lineages: self.lineages.clone(),
        };
        let process = scripts
            .start(request.encode())
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))?;
        self.process = Some(process);
        self.send(protocol::simple(command::PRE_EXECUTE))?;
        let name = self.name.clone();
        let host = ctx.host;
        self.until_done(&|level, code, text| {
            host.event(PipelineEvent::Message {
                level,
                code,
                component: name.clone(),
                text,
            })
        })
        .map(|_| ())
    }

    fn produce(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        self.prime(out)
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let body = self.batch_command(Some(buffer), false);
        self.send(body)?;
        let reply = self.until_done(&|l, c, t| ctx.message(l, c, t))?;
        let Reply::BatchDone(bytes) = reply else {
            return Err(self.error(
                codes::PROCESS_INPUT_FAILED,
                "the script host answered a batch out of turn",
            ));
        };
        let Some(input) = &self.input else {
            return Ok(Routing::all());
        };
        let writable: Vec<&ViewColumn> = input.columns.iter().filter(|c| c.writable).collect();
        let types: Vec<DataType> = writable.iter().map(|c| c.ty).collect();
        let owned: Vec<ViewColumn> = writable.iter().map(|c| (*c).clone()).collect();
        let (rows, columns) = batch::decode(&mut Reader::new(&bytes), &types)
            .map_err(|e| self.decode_error(e, &owned, ctx.rows_before))?;
        if rows != buffer.rows() {
            return Err(self.error(
                codes::PROCESS_INPUT_FAILED,
                format!(
                    "the script host gave back {rows} rows for a buffer of {}",
                    buffer.rows()
                ),
            ));
        }
        let mut added = Vec::new();
        for (c, array) in owned.iter().zip(columns) {
            if c.added {
                added.push(array);
            } else {
                buffer.replace(c.index, array);
            }
        }
        if input.has_sync_output && !input.added.is_empty() {
            let layout = Arc::new(buffer.layout().extended(input.added.iter().cloned()));
            buffer.append(layout, added);
        }
        Ok(Routing::all())
    }

    fn receive(
        &mut self,
        _input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        self.prime(out)?;
        let body = self.batch_command(Some(&buffer), false);
        drop(buffer);
        self.send(body)?;
        self.until_done_emitting(out).map(|_| ())
    }

    fn end_of_input(&mut self, _input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        self.prime(out)?;
        let body = self.batch_command(None, true);
        self.send(body)?;
        self.until_done_emitting(out).map(|_| ())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let name = self.name.clone();
        let host = ctx.host;
        let events = |level, code, text| {
            host.event(PipelineEvent::Message {
                level,
                code,
                component: name.clone(),
                text,
            })
        };
        if self.input.is_some() && self.outputs.is_empty() {
            // The last, empty buffer: a script's ProcessInput sees EndOfRowset, as in SSIS.
            let body = self.batch_command(None, true);
            self.send(body)?;
            self.until_done(&events)?;
        }
        self.send(protocol::simple(command::POST_EXECUTE))?;
        self.until_done(&events)?;
        let exit = self
            .process
            .take()
            .map(|mut p| p.finish())
            .unwrap_or_default();
        if let Some(e) = exit.channel_error {
            return Err(ctx.error(
                codes::PROCESS_INPUT_FAILED,
                format!("the script host's report cannot be trusted: {e}"),
            ));
        }
        for (name, value) in std::mem::take(&mut self.written) {
            let v = match values::from_wire(&value) {
                Ok(Some(v)) => v,
                Ok(None) => {
                    ctx.warning(
                        0,
                        format!("the script stored an object in \"{name}\"; objects do not leave the script's process, so the variable keeps its value"),
                    );
                    continue;
                }
                Err(e) => {
                    return Err(ctx.error(
                        codes::VARIABLE_INVALID,
                        format!("the script's write to \"{name}\" cannot be read: {e}"),
                    ))
                }
            };
            ctx.host.set_variable(&name, v).map_err(|e| {
                ctx.error(
                    codes::VARIABLE_INVALID,
                    format!("the script's write to \"{name}\" was refused: {e}"),
                )
            })?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }
}
