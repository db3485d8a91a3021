//! The protocol between a run and the script host (`runtime/script-host/host/Protocol.cs`
//! mirrors this file, which is its home): the [`Request`] the run writes to the host's standard
//! input, and the [`HostFrame`]s the host sends back on its channel, each a little-endian `u32`
//! length and a body. A body is a kind byte and fields in .NET's `BinaryWriter` encoding
//! (little-endian numbers, strings as a 7-bit-encoded byte length and UTF-8), so the C# side
//! needs no library. Values travel tagged with their `System.TypeCode` number ([`WireValue`]).
//! It owns the bytes both ways; what a frame means to the run is `session.rs`'s.
//!
//! The encoding is written here by hand because no serialisation library exists on both sides
//! that Mono's base class library covers without extra packages and start-up cost; a data-flow
//! batch will travel as one frame whose body is Arrow IPC.

/// The version both sides speak.
pub const VERSION: i32 = 1;
/// The environment variable holding the number of the host's channel descriptor.
pub const CHANNEL_ENV: &str = "SSISD_SCRIPT_CHANNEL";
/// The kind byte of a [`Request`].
const REQUEST_KIND: u8 = 1;

/// A value as the script sees it: tags are `System.TypeCode` numbers, plus byte arrays and
/// the description of a non-primitive object (which does not cross the boundary).
#[derive(Debug, Clone, PartialEq)]
pub enum WireValue {
    Empty,
    /// An Object variable whose content cannot cross (a result set): the script gets null.
    Object,
    DbNull,
    Bool(bool),
    Char(u16),
    I1(i8),
    UI1(u8),
    I2(i16),
    UI2(u16),
    I4(i32),
    UI4(u32),
    I8(i64),
    UI8(u64),
    R4(f32),
    R8(f64),
    /// Invariant-culture text of a .NET decimal.
    Decimal(String),
    /// .NET ticks (100 ns since 0001-01-01).
    DateTime(i64),
    Str(String),
    Bytes(Vec<u8>),
    /// The type name of an object the script stored (host to run only).
    ObjectOf(String),
}

/// `System.TypeCode` numbers.
pub mod type_code {
    pub const EMPTY: u8 = 0;
    pub const OBJECT: u8 = 1;
    pub const DBNULL: u8 = 2;
    pub const BOOLEAN: u8 = 3;
    pub const CHAR: u8 = 4;
    pub const SBYTE: u8 = 5;
    pub const BYTE: u8 = 6;
    pub const INT16: u8 = 7;
    pub const UINT16: u8 = 8;
    pub const INT32: u8 = 9;
    pub const UINT32: u8 = 10;
    pub const INT64: u8 = 11;
    pub const UINT64: u8 = 12;
    pub const SINGLE: u8 = 13;
    pub const DOUBLE: u8 = 14;
    pub const DECIMAL: u8 = 15;
    pub const DATETIME: u8 = 16;
    pub const STRING: u8 = 18;
    /// Not a TypeCode: a byte array.
    pub const BYTES: u8 = 100;
    /// Not a TypeCode: the type name of a non-primitive object.
    pub const OBJECT_OF: u8 = 101;
}

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

/// A frame the run cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the script host sent a frame that cannot be read: {0}")]
pub struct ProtocolError(pub String);

/// Writes fields in `BinaryWriter`'s encoding.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn bool(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn string(&mut self, s: &str) {
        let mut n = s.len();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(byte);
                break;
            }
            self.0.push(byte | 0x80);
        }
        self.0.extend_from_slice(s.as_bytes());
    }
    fn value(&mut self, v: &WireValue) {
        use type_code::*;
        match v {
            WireValue::Empty => self.u8(EMPTY),
            WireValue::Object => self.u8(OBJECT),
            WireValue::DbNull => self.u8(DBNULL),
            WireValue::Bool(b) => {
                self.u8(BOOLEAN);
                self.bool(*b)
            }
            WireValue::Char(c) => {
                self.u8(CHAR);
                self.0.extend_from_slice(&c.to_le_bytes())
            }
            WireValue::I1(n) => {
                self.u8(SBYTE);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::UI1(n) => {
                self.u8(BYTE);
                self.u8(*n)
            }
            WireValue::I2(n) => {
                self.u8(INT16);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::UI2(n) => {
                self.u8(UINT16);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::I4(n) => {
                self.u8(INT32);
                self.i32(*n)
            }
            WireValue::UI4(n) => {
                self.u8(UINT32);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::I8(n) => {
                self.u8(INT64);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::UI8(n) => {
                self.u8(UINT64);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::R4(n) => {
                self.u8(SINGLE);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::R8(n) => {
                self.u8(DOUBLE);
                self.0.extend_from_slice(&n.to_le_bytes())
            }
            WireValue::Decimal(s) => {
                self.u8(DECIMAL);
                self.string(s)
            }
            WireValue::DateTime(t) => {
                self.u8(DATETIME);
                self.0.extend_from_slice(&t.to_le_bytes())
            }
            WireValue::Str(s) => {
                self.u8(STRING);
                self.string(s)
            }
            WireValue::Bytes(b) => {
                self.u8(BYTES);
                self.i32(b.len() as i32);
                self.0.extend_from_slice(b)
            }
            WireValue::ObjectOf(t) => {
                self.u8(OBJECT_OF);
                self.string(t)
            }
        }
    }
    /// The body with its length in front.
    fn framed(self) -> Vec<u8> {
        let mut out = (self.0.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&self.0);
        out
    }
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

/// Reads fields in `BinaryWriter`'s encoding.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| ProtocolError(format!("it ends inside a field at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.take(1)?[0])
    }
    fn i32(&mut self) -> Result<i32, ProtocolError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn string(&mut self) -> Result<String, ProtocolError> {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            len |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 28 {
                return Err(ProtocolError("a string length is too long".into()));
            }
        }
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec()).map_err(|_| ProtocolError("a string is not UTF-8".into()))
    }
    fn value(&mut self) -> Result<WireValue, ProtocolError> {
        use type_code::*;
        Ok(match self.u8()? {
            EMPTY => WireValue::Empty,
            OBJECT => WireValue::Object,
            DBNULL => WireValue::DbNull,
            BOOLEAN => WireValue::Bool(self.u8()? != 0),
            CHAR => WireValue::Char(u16::from_le_bytes(self.array()?)),
            SBYTE => WireValue::I1(i8::from_le_bytes(self.array()?)),
            BYTE => WireValue::UI1(self.u8()?),
            INT16 => WireValue::I2(i16::from_le_bytes(self.array()?)),
            UINT16 => WireValue::UI2(u16::from_le_bytes(self.array()?)),
            INT32 => WireValue::I4(self.i32()?),
            UINT32 => WireValue::UI4(u32::from_le_bytes(self.array()?)),
            INT64 => WireValue::I8(i64::from_le_bytes(self.array()?)),
            UINT64 => WireValue::UI8(u64::from_le_bytes(self.array()?)),
            SINGLE => WireValue::R4(f32::from_le_bytes(self.array()?)),
            DOUBLE => WireValue::R8(f64::from_le_bytes(self.array()?)),
            DECIMAL => WireValue::Decimal(self.string()?),
            DATETIME => WireValue::DateTime(i64::from_le_bytes(self.array()?)),
            STRING => WireValue::Str(self.string()?),
            BYTES => {
                let n = usize::try_from(self.i32()?)
                    .map_err(|_| ProtocolError("a negative byte count".into()))?;
                WireValue::Bytes(self.take(n)?.to_vec())
            }
            OBJECT_OF => WireValue::ObjectOf(self.string()?),
            t => return Err(ProtocolError(format!("unknown value tag {t}"))),
        })
    }
    fn message(&mut self) -> Result<(i32, String, String), ProtocolError> {
        Ok((self.i32()?, self.string()?, self.string()?))
    }
}

impl HostFrame {
    /// Reads one frame body (without its length).
    pub fn decode(bytes: &[u8]) -> Result<HostFrame, ProtocolError> {
        let mut r = Reader { bytes, at: 0 };
        let frame = match r.u8()? {
            1 => {
                let (code, sub_component, description) = r.message()?;
                HostFrame::Information {
                    code,
                    sub_component,
                    description,
                }
            }
            2 => {
                let (code, sub_component, description) = r.message()?;
                HostFrame::Warning {
                    code,
                    sub_component,
                    description,
                }
            }
            3 => {
                let (code, sub_component, description) = r.message()?;
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
        if r.at != bytes.len() {
            return Err(ProtocolError(format!(
                "{} bytes follow the fields of the frame",
                bytes.len() - r.at
            )));
        }
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
    fn strings_use_the_seven_bit_length_of_binary_writer() {
        let mut w = Writer::default();
        w.string(&"é".repeat(100));
        // 200 bytes of UTF-8: 0xC8 0x01.
        assert_eq!(&w.0[..2], &[0xC8, 0x01]);
        let mut r = Reader { bytes: &w.0, at: 0 };
        assert_eq!(r.string().expect("reads"), "é".repeat(100));
    }

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
