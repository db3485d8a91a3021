//! The protocol between a run and the script host (`runtime/script-host/host/Protocol.cs`
//! mirrors this file, which is its home): the [`Request`] the run writes to the host's standard
//! input, and the [`HostFrame`]s the host sends back on its channel, each a little-endian `u32`
//! length and a body. A body is a kind byte and fields in the encoding both script protocols
//! share (`ssisd_pipeline::script::wire`: .NET's `BinaryWriter` encoding, values tagged with their
//! `System.TypeCode` number). It owns the frames both ways; what a frame means to the run is
//! `session.rs`'s. (The Script Component's frames are `ssisd_pipeline::script::protocol`.)

pub use ssisd_pipeline::script::wire::{type_code, ProtocolError, WireValue};
use ssisd_pipeline::script::wire::{Reader, Writer};

/// The version both sides speak.
pub const VERSION: i32 = 1;
/// The environment variable holding the number of the host's channel descriptor.
pub const CHANNEL_ENV: &str = "SSISD_SCRIPT_CHANNEL";
/// The kind byte of a [`Request`].
const REQUEST_KIND: u8 = 1;

/// How the script may use a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// In scope but in neither list: only the VariableDispenser reaches it.
    NotListed = 0,
    ReadOnly = 1,
    ReadWrite = 2,
}

/// One variable in the task's scope.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableEntry {
    pub qualified_name: String,
    pub namespace: String,
    pub name: String,
    pub access: Access,
    /// The variable's own ReadOnly property.
    pub variable_read_only: bool,
    pub description: String,
    pub id: String,
    /// The variable's declared type ([`type_code`]).
    pub type_code: u8,
    pub value: WireValue,
}

/// One connection manager of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEntry {
    pub name: String,
    pub id: String,
    pub creation_name: String,
    pub connection_string: String,
    /// FILE and FLATFILE: the path mapped to this machine (else empty).
    pub file_path: String,
    pub description: String,
}

/// What the run asks the host to do: run one Script Task.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub assembly_path: String,
    pub task_name: String,
    pub entry_class: String,
    pub entry_method: String,
    pub project_name: String,
    pub variables: Vec<VariableEntry>,
    pub connections: Vec<ConnectionEntry>,
}

/// What the host reports.
#[derive(Debug, Clone, PartialEq)]
pub enum HostFrame {
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
    Log {
        message: String,
        data_code: i32,
        data_bytes: i32,
    },
    VariableSet {
        name: String,
        value: WireValue,
    },
    MessageBox {
        text: String,
        caption: String,
        answer: String,
    },
    /// Main returned: `Dts.TaskResult` and `Dts.ExecutionValue` (Empty when unset).
    Finished {
        task_result: i32,
        execution_value: WireValue,
    },
    /// The script threw: type, message and the whole text with the stack trace.
    Exception {
        type_name: String,
        message: String,
        text: String,
    },
    /// The host could not run the script (no entry point, an assembly that does not load).
    HostError {
        text: String,
    },
}

impl Request {
    /// The request as one frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(REQUEST_KIND);
        w.i32(VERSION);
        w.string(&self.assembly_path);
        w.string(&self.task_name);
        w.string(&self.entry_class);
        w.string(&self.entry_method);
        w.string(&self.project_name);
        w.i32(self.variables.len() as i32);
        for v in &self.variables {
            w.string(&v.qualified_name);
            w.string(&v.namespace);
            w.string(&v.name);
            w.u8(v.access as u8);
            w.bool(v.variable_read_only);
            w.string(&v.description);
            w.string(&v.id);
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
        w.framed()
    }
}

/// A message frame's fields: code, sub-component, description.
fn message(r: &mut Reader<'_>) -> Result<(i32, String, String), ProtocolError> {
    Ok((r.i32()?, r.string()?, r.string()?))
}

impl HostFrame {
    /// Reads one frame body (without its length).
    pub fn decode(bytes: &[u8]) -> Result<HostFrame, ProtocolError> {
        let mut r = Reader::new(bytes);
        let frame = match r.u8()? {
            1 => {
                let (code, sub_component, description) = message(&mut r)?;
                HostFrame::Information {
                    code,
                    sub_component,
                    description,
                }
            }
            2 => {
                let (code, sub_component, description) = message(&mut r)?;
                HostFrame::Warning {
                    code,
                    sub_component,
                    description,
                }
            }
            3 => {
                let (code, sub_component, description) = message(&mut r)?;
                HostFrame::Error {
                    code,
                    sub_component,
                    description,
                }
            }
            4 => HostFrame::Progress {
                description: r.string()?,
                percent: r.i32()?,
                sub_component: r.string()?,
            },
            5 => HostFrame::Custom {
                event_name: r.string()?,
                text: r.string()?,
                sub_component: r.string()?,
            },
            6 => HostFrame::Log {
                message: r.string()?,
                data_code: r.i32()?,
                data_bytes: r.i32()?,
            },
            7 => HostFrame::VariableSet {
                name: r.string()?,
                value: r.value()?,
            },
            8 => HostFrame::MessageBox {
                text: r.string()?,
                caption: r.string()?,
                answer: r.string()?,
            },
            9 => HostFrame::Finished {
                task_result: r.i32()?,
                execution_value: r.value()?,
            },
            10 => HostFrame::Exception {
                type_name: r.string()?,
                message: r.string()?,
                text: r.string()?,
            },
            11 => HostFrame::HostError { text: r.string()? },
            k => return Err(ProtocolError(format!("unknown frame kind {k}"))),
        };
        r.done()?;
        Ok(frame)
    }

    /// The frame's body, as the host writes it (the tests' stand-in for the host).
    #[cfg(test)]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        let msg = |w: &mut Writer, kind: u8, code: i32, sub: &str, text: &str| {
            w.u8(kind);
            w.i32(code);
            w.string(sub);
            w.string(text);
        };
        match self {
            HostFrame::Information {
                code,
                sub_component,
                description,
            } => msg(&mut w, 1, *code, sub_component, description),
            HostFrame::Warning {
                code,
                sub_component,
                description,
            } => msg(&mut w, 2, *code, sub_component, description),
            HostFrame::Error {
                code,
                sub_component,
                description,
            } => msg(&mut w, 3, *code, sub_component, description),
            HostFrame::Progress {
                description,
                percent,
                sub_component,
            } => {
                w.u8(4);
                w.string(description);
                w.i32(*percent);
                w.string(sub_component);
            }
            HostFrame::Custom {
                event_name,
                text,
                sub_component,
            } => {
                w.u8(5);
                w.string(event_name);
                w.string(text);
                w.string(sub_component);
            }
            HostFrame::Log {
                message,
                data_code,
                data_bytes,
            } => {
                w.u8(6);
                w.string(message);
                w.i32(*data_code);
                w.i32(*data_bytes);
            }
            HostFrame::VariableSet { name, value } => {
                w.u8(7);
                w.string(name);
                w.value(value);
            }
            HostFrame::MessageBox {
                text,
                caption,
                answer,
            } => {
                w.u8(8);
                w.string(text);
                w.string(caption);
                w.string(answer);
            }
            HostFrame::Finished {
                task_result,
                execution_value,
            } => {
                w.u8(9);
                w.i32(*task_result);
                w.value(execution_value);
            }
            HostFrame::Exception {
                type_name,
                message,
                text,
            } => {
                w.u8(10);
                w.string(type_name);
                w.string(message);
                w.string(text);
            }
            HostFrame::HostError { text } => {
                w.u8(11);
                w.string(text);
            }
        }
        w.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_and_value_round_trips() {
        let values = vec![
            WireValue::Empty,
            WireValue::Object,
            WireValue::DbNull,
            WireValue::Bool(true),
            WireValue::Char(65),
            WireValue::I1(-3),
            WireValue::UI1(250),
            WireValue::I2(-300),
            WireValue::UI2(60000),
            WireValue::I4(-70000),
            WireValue::UI4(4_000_000_000),
            WireValue::I8(-1 << 40),
            WireValue::UI8(u64::MAX),
            WireValue::R4(1.5),
            WireValue::R8(-2.25),
            WireValue::Decimal("12.3400".into()),
            WireValue::DateTime(638_000_000_000_000_000),
            WireValue::Str("text".into()),
            WireValue::Bytes(vec![1, 2, 3]),
            WireValue::ObjectOf("System.Data.DataTable".into()),
        ];
        for v in values {
            let f = HostFrame::VariableSet {
                name: "User::X".into(),
                value: v,
            };
            assert_eq!(HostFrame::decode(&f.encode()).expect("decodes"), f);
        }
        let frames = vec![
            HostFrame::Information {
                code: 1,
                sub_component: "s".into(),
                description: "d".into(),
            },
            HostFrame::Warning {
                code: 2,
                sub_component: "s".into(),
                description: "d".into(),
            },
            HostFrame::Error {
                code: -3,
                sub_component: "s".into(),
                description: "d".into(),
            },
            HostFrame::Progress {
                description: "p".into(),
                percent: 50,
                sub_component: "s".into(),
            },
            HostFrame::Custom {
                event_name: "e".into(),
                text: "t".into(),
                sub_component: "s".into(),
            },
            HostFrame::Log {
                message: "m".into(),
                data_code: 7,
                data_bytes: 0,
            },
            HostFrame::MessageBox {
                text: "t".into(),
                caption: "c".into(),
                answer: "OK".into(),
            },
            HostFrame::Finished {
                task_result: 1,
                execution_value: WireValue::I4(5),
            },
            HostFrame::Exception {
                type_name: "T".into(),
                message: "m".into(),
                text: "T: m\n  at X".into(),
            },
            HostFrame::HostError { text: "h".into() },
        ];
        for f in frames {
            assert_eq!(HostFrame::decode(&f.encode()).expect("decodes"), f);
        }
    }

    #[test]
    fn truncated_or_unknown_frames_are_refused() {
        let f = HostFrame::Information {
            code: 1,
            sub_component: "s".into(),
            description: "d".into(),
        };
        let bytes = f.encode();
        assert!(HostFrame::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(HostFrame::decode(&[42]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(HostFrame::decode(&extra).is_err());
    }

    #[test]
    fn the_request_is_one_frame_with_its_length() {
        let r = Request {
            assembly_path: "/c/a.dll".into(),
            task_name: "T".into(),
            entry_class: "ScriptMain".into(),
            entry_method: "Main".into(),
            project_name: "ST_1".into(),
            variables: vec![VariableEntry {
                qualified_name: "User::A".into(),
                namespace: "User".into(),
                name: "A".into(),
                access: Access::ReadWrite,
                variable_read_only: false,
                description: String::new(),
                id: "{1}".into(),
                type_code: type_code::INT32,
                value: WireValue::I4(3),
            }],
            connections: vec![],
        };
        let bytes = r.encode();
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        assert_eq!(len, bytes.len() - 4);
        assert_eq!(bytes[4], REQUEST_KIND);
        assert_eq!(&bytes[5..9], &VERSION.to_le_bytes());
    }
}
