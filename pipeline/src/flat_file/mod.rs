//! What the Flat File source and destination share: the connection manager's file format
//! (`format.rs`), code pages (`encoding.rs`), splitting a file into rows and fields
//! (`reader.rs`), writing rows (`writer.rs`) and the text forms of values (`text.rs`). It must
//! not know components or buffers beyond the values it reads and writes.

pub mod encoding;
pub mod format;
pub mod reader;
pub mod text;
pub mod writer;
