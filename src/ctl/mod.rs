//! `ssisctl`'s commands and output, above the client library. The binary parses arguments and
//! calls into here.

pub mod commands;
pub mod history;
pub mod output;
pub mod schedules;
