//! Running batches through an ODBC driver (the driver manager built into ssisd-sql and the
//! driver the connection string names; ssisd-sql opens the connection and words its
//! failures): one connection per task execution, one statement per batch executed directly
//! (SSIS's BypassPrepare behaviour), every result set of a batch walked so output parameters
//! arrive, update counts summed (`SQLRowCount`), and a watchdog thread that calls `SQLCancel`
//! when the run is cancelled or the task's TimeOut passes. Driver failures keep the driver's
//! message and SQLSTATE.
#![allow(unsafe_code)] // the ODBC C API (unixODBC) through odbc-api's unsafe entry points.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use odbc_api::buffers::Indicator;
use odbc_api::handles::{AsStatementRef, Statement};
use odbc_api::parameter::{InputParameter, VarCharBox};
use odbc_api::sys::HStmt;
use odbc_api::{
    Bit, Cursor, CursorImpl, DataType, Out, ParameterCollection, ParameterTupleElement,
};
use ssisd_sql::error::odbc_message;
use ssisd_sql::OdbcTarget;

use super::error::SqlError;
use super::payload::Direction;
use super::{Reply, Request};
use crate::object_value::ResultSet;
use ssisd_engine::types::Value;

/// Room for an output parameter's text when the binding gives no size.
const DEFAULT_OUTPUT_BYTES: usize = 4000;

enum Slot {
    In(Box<dyn InputParameter>),
    Out(VarCharBox),
}

struct ParamSet(Vec<Slot>);

// SAFETY: one parameter set (size 1), and `bind_parameters_to` binds exactly the slots this
// value owns, which stay in place until the statement has run.
unsafe impl ParameterCollection for ParamSet {
    fn parameter_set_size(&self) -> usize {
        1
    }

    unsafe fn bind_parameters_to(
        &mut self,
        stmt: &mut impl Statement,
    ) -> Result<(), odbc_api::Error> {
        for (i, slot) in self.0.iter_mut().enumerate() {
            let number = u16::try_from(i + 1).unwrap_or(u16::MAX);
            // SAFETY: the slots live in `self`, which outlives the statement's execution and
            // is not touched by anything else until the statement is done.
            unsafe {
                match slot {
                    Slot::In(p) => {
                        let p: &dyn InputParameter = p.as_ref();
                        let mut element = p;
                        element.bind_to(number, stmt)?
                    }
                    Slot::Out(b) => Out(b).bind_to(number, stmt)?,
                }
            }
        }
        Ok(())
    }
}

fn input(value: &Value) -> Box<dyn InputParameter> {
    match value {
        Value::Null(_) | Value::Empty => Box::new(VarCharBox::null()),
        Value::Bool(b) => Box::new(Bit::from_bool(*b)),
        Value::I1(n) => Box::new(i32::from(*n)),
        Value::I2(n) => Box::new(i32::from(*n)),
        Value::I4(n) => Box::new(*n),
        Value::I8(n) => Box::new(*n),
        Value::UI1(n) => Box::new(i32::from(*n)),
        Value::UI2(n) => Box::new(i32::from(*n)),
        Value::UI4(n) => Box::new(i64::from(*n)),
        Value::R4(n) => Box::new(f64::from(*n)),
        Value::R8(n) => Box::new(*n),
        other => Box::new(VarCharBox::from_string(
            other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_display_string()),
        )),
    }
}

fn slot(direction: Direction, value: &Value, size: usize) -> Slot {
    match direction {
        Direction::Input => Slot::In(input(value)),
        Direction::Output | Direction::ReturnValue => Slot::Out(VarCharBox::from_buffer(
            vec![0u8; size.max(1) + 1].into_boxed_slice(),
            Indicator::Null,
        )),
    }
}

/// The statement handle, passed to the watchdog thread.
struct Handle(HStmt);
// SAFETY: ODBC allows SQLCancel on a statement from another thread while it executes; the
// watchdog stops before the statement is freed.
unsafe impl Send for Handle {}

const WATCH_DONE: u8 = 1;
const WATCH_CANCELLED: u8 = 2;
const WATCH_TIMED_OUT: u8 = 3;

fn watchdog(handle: Handle, req: &Request<'_>, deadline: Option<Instant>, state: &AtomicU8) {
    loop {
        if state.load(Ordering::SeqCst) == WATCH_DONE {
            return;
        }
        let fire = if req.cancel.is_cancelled() {
            Some(WATCH_CANCELLED)
        } else if deadline.is_some_and(|d| Instant::now() >= d) {
            Some(WATCH_TIMED_OUT)
        } else {
            None
        };
        if let Some(fire) = fire {
            if state
                .compare_exchange(0, fire, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                // SAFETY: the handle is valid until the scope that owns the statement ends,
                // and that scope waits for this thread.
                unsafe {
                    let _ = odbc_api::sys::SQLCancel(handle.0);
                }
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn cell(kind: DataType, text: Option<String>) -> Value {
    let Some(text) = text else {
        return Value::Null(ssisd_engine::types::DataType::Null);
    };
    let t = text.trim();
    match kind {
        DataType::TinyInt | DataType::SmallInt | DataType::Integer | DataType::BigInt => {
            match t.parse::<i64>() {
                Ok(n) => i32::try_from(n).map(Value::I4).unwrap_or(Value::I8(n)),
                Err(_) => Value::WStr(text),
            }
        }
        DataType::Real | DataType::Float { .. } | DataType::Double => {
            t.parse::<f64>().map(Value::R8).unwrap_or(Value::WStr(text))
        }
        DataType::Bit => Value::Bool(matches!(t, "1" | "t" | "true" | "T" | "TRUE")),
        _ => Value::WStr(text),
    }
}

fn read_rows(cursor: &mut impl Cursor) -> Result<ResultSet, odbc_api::Error> {
    let n = cursor.num_result_cols()?;
    let count = u16::try_from(n).unwrap_or(0);
    let mut columns = Vec::new();
    let mut kinds = Vec::new();
    for c in 1..=count {
        columns.push(cursor.col_name(c)?);
        kinds.push(cursor.col_data_type(c)?);
    }
    let mut rows = Vec::new();
    let mut buf = Vec::new();
    while let Some(mut row) = cursor.next_row()? {
        let mut values = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.iter().enumerate() {
            let col = u16::try_from(i + 1).unwrap_or(u16::MAX);
            buf.clear();
            let present = row.get_text(col, &mut buf)?;
            let text = present.then(|| String::from_utf8_lossy(&buf).into_owned());
            values.push(cell(*kind, text));
        }
        rows.push(values);
    }
    Ok(ResultSet {
        columns,
        types: Vec::new(),
        rows,
    })
}

/// How long a login may take when the driver honours `SQL_ATTR_LOGIN_TIMEOUT`.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs every batch of `req` on one ODBC connection to `target`.
pub fn run(target: &OdbcTarget, req: &Request<'_>) -> Result<Reply, SqlError> {
    let conn = ssisd_sql::odbc::connect(target, Some(LOGIN_TIMEOUT))
        .map_err(|e| req.connect_error(e.to_string()))?;
    let mut reply = Reply {
        rows: None,
        outputs: vec![None; req.params.len()],
        rows_affected: None,
    };
    let deadline =
        (req.timeout > 0).then(|| Instant::now() + Duration::from_secs(req.timeout.into()));
    for batch in &req.batches {
        if req.cancel.is_cancelled() {
            return Err(SqlError::Cancelled);
        }
        let mut params = ParamSet(
            batch
                .markers
                .iter()
                .map(|&i| {
                    let p = &req.params[i];
                    slot(
                        p.direction,
                        &p.value,
                        p.size.unwrap_or(DEFAULT_OUTPUT_BYTES),
                    )
                })
                .collect(),
        );
        let mut stmt = conn
            .preallocate()
            .map_err(|e| req.query_error(&batch.sql, odbc_message(&e)))?;
        if req.timeout > 0 {
            // Drivers that ignore it are covered by the watchdog.
            let _ = stmt.set_query_timeout_sec(req.timeout as usize);
        }
        let handle = Handle(stmt.as_stmt_ref().as_sys());
        let state = AtomicU8::new(0);
        let outcome = std::thread::scope(|s| {
            s.spawn(|| watchdog(handle, req, deadline, &state));
            let result = execute_batch(&mut stmt, &batch.sql, &mut params, req.want_rows);
            let _ = state.compare_exchange(0, WATCH_DONE, Ordering::SeqCst, Ordering::SeqCst);
            result
        });
        match (state.load(Ordering::SeqCst), outcome) {
            (WATCH_CANCELLED, _) => return Err(SqlError::Cancelled),
            (WATCH_TIMED_OUT, Err(_)) => return Err(SqlError::Timeout(req.timeout)),
            (_, Err(e)) => return Err(req.query_error(&batch.sql, odbc_message(&e))),
            (_, Ok((rows, affected))) => {
                if reply.rows.is_none() {
                    reply.rows = rows;
                }
                if let Some(n) = affected {
                    reply.rows_affected = Some(reply.rows_affected.unwrap_or(0) + n);
                }
            }
        }
        for (slot, &index) in params.0.iter().zip(&batch.markers) {
            if let Slot::Out(b) = slot {
                if let Some(bytes) = b.as_bytes() {
                    reply.outputs[index] =
                        Some(Value::WStr(String::from_utf8_lossy(bytes).into_owned()));
                }
            }
        }
    }
    Ok(reply)
}

/// Executes one batch and walks all its results; returns the first result set when rows are
/// wanted, and the rows its statements affected when the driver counts them.
fn execute_batch(
    stmt: &mut odbc_api::Preallocated<odbc_api::handles::StatementImpl<'_>>,
    sql: &str,
    params: &mut ParamSet,
    want_rows: bool,
) -> Result<(Option<ResultSet>, Option<i64>), odbc_api::Error> {
    // Keep the statement open: dropping a cursor would discard the later results.
    if let Some(cursor) = stmt.execute(sql, &mut *params)? {
        cursor.into_stmt();
    }
    let mut first = None;
    let mut affected: Option<i64> = None;
    let mut sref = stmt.as_stmt_ref();
    loop {
        let columns = sref.num_result_cols().into_result(&sref)?;
        if columns == 0 {
            // An update count; -1 (or an error) when the driver cannot tell.
            if let Ok(n) = sref.row_count().into_result(&sref) {
                if n >= 0 {
                    affected = Some(affected.unwrap_or(0) + n as i64);
                }
            }
        }
        if columns > 0 {
            // SAFETY: the statement has an open result set with columns.
            let mut cursor = unsafe { CursorImpl::new(sref.as_stmt_ref()) };
            if want_rows && first.is_none() {
                first = Some(read_rows(&mut cursor)?);
            } else {
                while cursor.next_row()?.is_some() {}
            }
            cursor.into_stmt();
        }
        // SAFETY: the bound parameters in `params` are still alive.
        let more = unsafe { sref.more_results() }.into_result_bool(&sref)?;
        if !more {
            break;
        }
    }
    Ok((first, affected))
}
