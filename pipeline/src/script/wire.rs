//! The encoding both script protocols share — the Script Task's (`ssisd-runtime`'s
//! `tasks/script/protocol.rs`) and the Script Component's (`protocol.rs` beside this file): fields
//! as .NET's `BinaryWriter` writes them (little-endian numbers, strings as a 7-bit-encoded byte
//! length and UTF-8), so the C# host needs no library, and values tagged with their
//! `System.TypeCode` number ([`WireValue`]). It owns the bytes of single fields; which fields a
//! frame has is each protocol's.
//!
//! The encoding is written here by hand because no serialisation library exists on both sides
//! that Mono's base class library covers without extra packages and start-up cost.

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

/// A frame the run cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the script host sent a frame that cannot be read: {0}")]
pub struct ProtocolError(pub String);

/// Writes fields in `BinaryWriter`'s encoding.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    pub fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn string(&mut self, s: &str) {
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
    pub fn value(&mut self, v: &WireValue) {
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
    pub fn framed(self) -> Vec<u8> {
        let mut out = (self.0.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&self.0);
        out
    }
}

/// Reads fields in `BinaryWriter`'s encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// Refuses bytes left after the last field.
    pub fn done(&self) -> Result<(), ProtocolError> {
        if self.at != self.bytes.len() {
            return Err(ProtocolError(format!(
                "{} bytes follow the fields of the frame",
                self.bytes.len() - self.at
            )));
        }
        Ok(())
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| ProtocolError(format!("it ends inside a field at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.take(1)?[0])
    }
    pub fn i32(&mut self) -> Result<i32, ProtocolError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub fn string(&mut self) -> Result<String, ProtocolError> {
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
    pub fn value(&mut self) -> Result<WireValue, ProtocolError> {
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
        let mut r = Reader::new(&w.0);
        assert_eq!(r.string().expect("reads"), "é".repeat(100));
        r.done().expect("nothing left");
    }

    #[test]
    fn every_value_round_trips() {
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
            let mut w = Writer::default();
            w.value(&v);
            let mut r = Reader::new(&w.0);
            assert_eq!(r.value().expect("reads"), v);
            r.done().expect("nothing left");
        }
    }
}
