//! The Script Component's protocol with the script host (mirrored by
//! `runtime/script-host/host/Component.cs`, whose home this file is): the [`ComponentRequest`]
//! that starts the host, the [`Command`]s that follow on its standard input, and the
//! [`Answer`]s it sends on its channel. Every frame is a little-endian `u32` length and a body
//! (the length is added by the process that carries it); a body is a kind byte and fields in
//! the shared `wire.rs` encoding, batches in `batch.rs`'s. Each command is answered by events,
//! then exactly one of: its own answer, an exception from the script, or a host error. Event
//! and end kinds are the Script Task's (1–11), so both read the same way. It owns the bytes;
//! what they mean to the data flow is the component's.

use super::wire::{ProtocolError, Reader, WireValue, Writer};

/// The protocol version both sides speak.
pub const VERSION: i32 = 1;
/// The kind byte of a component request.
pub const REQUEST_KIND: u8 = 2;

/// A listed variable.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestVariable {
    pub qualified_name: String,
    pub namespace: String,
    pub name: String,
    pub read_write: bool,
    pub variable_read_only: bool,
    pub type_code: u8,
    pub value: WireValue,
}

/// A package connection manager, as the Script Task's request carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestConnection {
    pub name: String,
    pub id: String,
    pub creation_name: String,
    pub connection_string: String,
    pub file_path: String,
    pub description: String,
}

/// An input, or an output, and the columns its buffer class sees (kind, writable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPort {
    pub name: String,
    pub id: i32,
    pub synchronous: bool,
    pub columns: Vec<(u8, bool)>,
}

/// What starts a component in the host.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentRequest {
    pub assembly_path: String,
    pub component_name: String,
    pub component_id: i32,
    pub project_name: String,
    /// Rows per output batch.
    pub batch_rows: i32,
    pub variables: Vec<RequestVariable>,
    pub connections: Vec<RequestConnection>,
    /// (connection name of the component, connection manager name).
    pub slots: Vec<(String, String)>,
    pub inputs: Vec<RequestPort>,
    pub outputs: Vec<RequestPort>,
    /// (lineage number, identification string) of every column the component's buffers carry,
    /// for `IDTSComponentMetaData130.GetIdentificationStringByID`.
    pub lineages: Vec<(i64, String)>,
}

impl ComponentRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(REQUEST_KIND);
        w.i32(VERSION);
        w.string(&self.assembly_path);
        w.string(&self.component_name);
        w.i32(self.component_id);
        w.string(&self.project_name);
        w.i32(self.batch_rows);
        w.i32(self.variables.len() as i32);
        for v in &self.variables {
            w.string(&v.qualified_name);
            w.string(&v.namespace);
            w.string(&v.name);
            w.u8(if v.read_write { 2 } else { 1 });
            w.bool(v.variable_read_only);
            w.u8(v.type_code);
            w.value(&v.value);
        }
        w.i32(self.connections.len() as i32);
        for c in &self.connections {
            w.string(&c.name);
            w.string(&c.id);
            w.string(&c.creation_name);
            w.string(&c.connection_string);
            w.string(&c.file_path);
            w.string(&c.description);
        }
        w.i32(self.slots.len() as i32);
        for (slot, manager) in &self.slots {
            w.string(slot);
            w.string(manager);
        }
        for ports in [&self.inputs, &self.outputs] {
            w.i32(ports.len() as i32);
            for p in ports {
                w.string(&p.name);
                w.i32(p.id);
                w.bool(p.synchronous);
                w.i32(p.columns.len() as i32);
                for (kind, writable) in &p.columns {
                    w.u8(*kind);
                    w.bool(*writable);
                }
            }
        }
        w.i32(self.lineages.len() as i32);
        for (lineage, identification) in &self.lineages {
            w.i32(*lineage as i32);
            w.string(identification);
        }
        w.0
    }
}

/// Command kinds.
pub mod command {
    pub const PRE_EXECUTE: u8 = 3;
    pub const BATCH: u8 = 4;
    pub const PRIME: u8 = 5;
    pub const POST_EXECUTE: u8 = 6;
}

/// A command without fields.
pub fn simple(kind: u8) -> Vec<u8> {
    vec![kind]
}

/// The head of a batch command; the batch (`batch::encode`) follows in the same writer.
pub fn batch_head(input: usize, end_of_rowset: bool) -> Writer {
    let mut w = Writer::default();
    w.u8(command::BATCH);
    w.i32(input as i32);
    w.bool(end_of_rowset);
    w
}

/// What the host answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<'a> {
    Information {
        code: i32,
        sub_component: String,
        description: String,
    },
    Warning {
        code: i32,
        sub_component: String,
        description: String,
    },
    Error {
        code: i32,
        sub_component: String,
        description: String,
    },
    Progress {
        description: String,
        percent: i32,
        sub_component: String,
    },
    Custom {
        event_name: String,
        text: String,
        sub_component: String,
    },
    VariableSet {
        name: String,
        value: WireValue,
    },
    MessageBox {
        text: String,
        caption: String,
    },
    /// PostExecute is over.
    Finished,
    Exception {
        type_name: String,
        message: String,
        text: String,
    },
    HostError {
        text: String,
    },
    /// PreExecute is over.
    Ready,
    /// A batch was processed: the reader is at the writable columns (a batch).
    BatchDone(Reader<'a>),
    /// Rows of an asynchronous output: its index, whether it ends the output, and the reader
    /// at the batch.
    OutputBatch {
        output: usize,
        end: bool,
        batch: Reader<'a>,
    },
    /// PrimeOutput is over.
    PrimeDone,
}

impl<'a> Answer<'a> {
    /// Reads one frame body.
    pub fn decode(bytes: &'a [u8]) -> Result<Answer<'a>, ProtocolError> {
        let mut r = Reader::new(bytes);
        let kind = r.u8()?;
        let answer = match kind {
            1..=3 => {
                let (code, sub_component, description) = (r.i32()?, r.string()?, r.string()?);
                match kind {
                    1 => Answer::Information {
                        code,
                        sub_component,
                        description,
                    },
                    2 => Answer::Warning {
                        code,
                        sub_component,
                        description,
                    },
                    _ => Answer::Error {
                        code,
                        sub_component,
                        description,
                    },
                }
            }
            4 => Answer::Progress {
                description: r.string()?,
                percent: r.i32()?,
                sub_component: r.string()?,
            },
            5 => Answer::Custom {
                event_name: r.string()?,
                text: r.string()?,
                sub_component: r.string()?,
            },
            7 => Answer::VariableSet {
                name: r.string()?,
                value: r.value()?,
            },
            8 => {
                let (text, caption, _answer) = (r.string()?, r.string()?, r.string()?);
                Answer::MessageBox { text, caption }
            }
            9 => {
                let _result = r.i32()?;
                let _value = r.value()?;
                Answer::Finished
            }
            10 => Answer::Exception {
                type_name: r.string()?,
                message: r.string()?,
                text: r.string()?,
            },
            11 => Answer::HostError { text: r.string()? },
            20 => Answer::Ready,
            21 => return Ok(Answer::BatchDone(r)),
            22 => {
                let output = usize::try_from(r.i32()?)
                    .map_err(|_| ProtocolError("a negative output index".into()))?;
                let end = r.u8()? != 0;
                return Ok(Answer::OutputBatch {
                    output,
                    end,
                    batch: r,
                });
            }
            23 => Answer::PrimeDone,
            k => return Err(ProtocolError(format!("unknown answer kind {k}"))),
        };
        r.done()?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_and_batches_left_to_the_reader() {
        let mut w = Writer::default();
        w.u8(1);
        w.i32(7);
        w.string("sub");
        w.string("text");
        assert_eq!(
            Answer::decode(&w.0).expect("decodes"),
            Answer::Information {
                code: 7,
                sub_component: "sub".into(),
                description: "text".into()
            }
        );
        let mut w = Writer::default();
        w.u8(22);
        w.i32(1);
        w.bool(true);
        w.i32(0);
        match Answer::decode(&w.0).expect("decodes") {
            Answer::OutputBatch {
                output: 1,
                end: true,
                mut batch,
            } => {
                assert_eq!(batch.i32().expect("rows"), 0)
            }
            other => panic!("{other:?}"),
        }
        assert!(Answer::decode(&[99]).is_err());
        assert!(Answer::decode(&[20, 0]).is_err());
    }

    #[test]
    fn the_request_starts_with_its_kind_and_version() {
        let r = ComponentRequest {
            assembly_path: "/a.dll".into(),
            component_name: "Upper".into(),
            component_id: 3,
            project_name: "SC_1".into(),
            batch_rows: 100,
            variables: vec![],
            connections: vec![],
            slots: vec![],
            inputs: vec![RequestPort {
                name: "Input 0".into(),
                id: 4,
                synchronous: false,
                columns: vec![(18, true)],
            }],
            outputs: vec![],
            lineages: vec![(7, "Upper.Inputs[Input 0].Columns[city]".into())],
        };
        let b = r.encode();
        assert_eq!(b[0], REQUEST_KIND);
        assert_eq!(&b[1..5], &VERSION.to_le_bytes());
    }
}
