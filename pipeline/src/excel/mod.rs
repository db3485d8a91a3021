//! What the Excel Source and Excel Destination share: the Excel connection manager's
//! connection string (`connection.rs`), the table names and SELECT commands a source may name
//! (`query.rs`), reading a workbook's sheets and ranges with the provider's typing rules
//! (`workbook.rs`, on `calamine`), and writing a sheet (`sheet_writer.rs`, on
//! `rust_xlsxwriter`). The components' directories read their properties and use these;
//! nothing here reads component properties or knows buffers.

pub mod connection;
pub mod query;
pub mod sheet_writer;
pub mod workbook;
