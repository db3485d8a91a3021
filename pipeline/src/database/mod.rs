//! What the database components share (OLE DB, ODBC and ADO.NET Source and Destination, OLE DB
//! Command), on top of ssisd-sql: the connection of a component's slot and the driver that
//! runs it (`connection.rs`), table names as packages write them and as each driver wants
//! them (`names.rs`), parameter mappings and markers (`parameters.rs`), the source that reads
//! a table or command into buffers (`source.rs`), a Lookup's reference rows read whole or
//! per key (`reference.rs`), and the destination that loads buffers into
//! a table (`destination.rs`, with the ODBC array insert in `odbc_insert.rs` and SQL Server's
//! bulk load in `tds_load.rs`). Each component's own directory under `components/` reads its
//! properties and hands a configuration to these; nothing here reads component properties.

pub mod connection;
pub mod destination;
pub mod names;
pub mod odbc_insert;
pub mod parameters;
pub mod reference;
pub mod source;
pub mod tds_load;
