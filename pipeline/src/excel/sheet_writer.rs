//! Writing rows into one sheet of an .xlsx workbook (with `rust_xlsxwriter`) for the Excel
//! Destination. A new workbook gets the sheet with a header row of the column names (with
//! HDR=YES). An existing workbook is read (`calamine`) and rewritten: the target sheet's rows
//! are kept and the new rows go below them, mapped to its header by name; every other sheet
//! keeps its cell values and formulas, and the workbook its named ranges — cell formatting,
//! charts and pictures are not carried over (the caller warns). The file is written to a
//! temporary name beside the target and renamed into place by [`SheetWriter::save`], so a
//! failed run leaves the workbook as it was. It must not know components or buffers.

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Reader};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// Rows a sheet holds, header included.
pub const MAX_ROWS: u32 = 1_048_576;
/// Characters a cell holds.
pub const MAX_TEXT: usize = 32_767;

/// One value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Number(f64),
    Bool(bool),
    Text(&'a str),
    DateTime(NaiveDateTime),
    Date(NaiveDate),
    Time(NaiveTime),
}

/// A workbook being written.
pub struct SheetWriter {
    /// The workbook's sheets in order; `target` is the one rows go to.
    sheets: Vec<Worksheet>,
    target: usize,
    /// Defined names to carry over.
    names: Vec<(String, String)>,
    /// For each column written, its column in the sheet.
    columns: Vec<u16>,
    next_row: u32,
    rows_written: u64,
    datetime: Format,
    date: Format,
    time: Format,
    /// Whether an existing workbook is rewritten (its formatting is lost).
    pub rewrote_existing: bool,
}

/// Why a workbook cannot be written. The text names the workbook's part at fault; the caller
/// names the component and the file.
#[derive(Debug, thiserror::Error)]
pub enum SheetWriterError {
    /// The workbook writer refused a step; `what` says which ("writing row 3").
    #[error("{what}: {source}")]
    Xlsx { what: String, source: XlsxError },
    /// A sheet of the existing workbook cannot be read.
    #[error("{what}: {source}")]
    Read {
        what: String,
        source: calamine::Error,
    },
    #[error("the existing file \"{}\" cannot be read as an Excel workbook: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: calamine::Error,
    },
    #[error("\"{sheet}\" cannot name a sheet: {source}")]
    SheetName { sheet: String, source: XlsxError },
    #[error("the sheet \"{sheet}\" has data but no header row in its first row; name its columns there or write to another sheet")]
    NoHeader { sheet: String },
    /// A column to write missing from the sheet's header row; `heads` lists it quoted.
    #[error("the sheet \"{sheet}\" has no column \"{column}\" in its header row (it has {heads})")]
    NoColumn {
        sheet: String,
        column: String,
        heads: String,
    },
    #[error("cannot write \"{}\": {source}", .temp.display())]
    Save { temp: PathBuf, source: XlsxError },
    #[error("cannot rename \"{}\" to \"{}\": {source}", .temp.display(), .path.display())]
    Rename {
        temp: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn xlsx_error(what: &str, source: XlsxError) -> SheetWriterError {
    SheetWriterError::Xlsx {
        what: what.to_string(),
        source,
    }
}

fn read_error(what: &str, source: calamine::Error) -> SheetWriterError {
    SheetWriterError::Read {
        what: what.to_string(),
        source,
    }
}

/// Copies the cells (values and formulas) of one existing sheet.
fn copy_sheet(
    reader: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    name: &str,
    to: &mut Worksheet,
    datetime: &Format,
) -> Result<u32, SheetWriterError> {
    let range = reader
        .worksheet_range(name)
        .map_err(|e| read_error(&format!("the sheet \"{name}\" cannot be read"), e))?;
    let formulas = reader.worksheet_formula(name).ok();
    let mut end_row = 0;
    if let Some((r0, c0)) = range.start() {
        for (r, c, v) in range.used_cells() {
            let (row, col) = (r0 + r as u32, (c0 + c as u32) as u16);
            end_row = end_row.max(row + 1);
            let done = match v {
                Data::Int(i) => to.write_number(row, col, *i as f64).map(|_| ()),
                Data::Float(f) => to.write_number(row, col, *f).map(|_| ()),
                Data::Bool(b) => to.write_boolean(row, col, *b).map(|_| ()),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                    to.write_string(row, col, s).map(|_| ())
                }
                Data::DateTime(d) if d.is_duration() => {
                    to.write_number(row, col, d.as_f64()).map(|_| ())
                }
                Data::DateTime(d) => match d.as_datetime() {
                    Some(dt) => to
                        .write_datetime_with_format(row, col, dt, datetime)
                        .map(|_| ()),
                    None => to.write_number(row, col, d.as_f64()).map(|_| ()),
                },
                Data::Error(e) => to.write_string(row, col, e.to_string()).map(|_| ()),
                Data::Empty => Ok(()),
            };
            done.map_err(|e| xlsx_error(&format!("copying the sheet \"{name}\""), e))?;
        }
    }
    if let Some(f) = formulas {
        if let Some((r0, c0)) = f.start() {
            for (r, c, text) in f.used_cells() {
                if text.is_empty() {
                    continue;
                }
                let (row, col) = (r0 + r as u32, (c0 + c as u32) as u16);
                end_row = end_row.max(row + 1);
                to.write_formula(row, col, text.as_str())
                    .map_err(|e| xlsx_error(&format!("copying a formula of \"{name}\""), e))?;
            }
        }
    }
    Ok(end_row)
}

impl SheetWriter {
    /// Prepares to write `columns` (by name) into the sheet `sheet` of the workbook at `path`
    /// (which may not exist yet). `header`: HDR=YES.
    pub fn open(
        path: &Path,
        sheet: &str,
        columns: &[String],
        header: bool,
    ) -> Result<SheetWriter, SheetWriterError> {
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let time = Format::new().set_num_format("hh:mm:ss");
        let mut sheets = Vec::new();
        let mut names = Vec::new();
        let mut target = None;
        let mut next_row = 0;
        let mut mapping: Option<Vec<u16>> = None;
        let rewrote_existing = path.exists();
        if rewrote_existing {
            let mut reader =
                open_workbook_auto(path).map_err(|source| SheetWriterError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                })?;
            names = reader
                .defined_names()
                .iter()
                .filter(|(n, _)| !n.starts_with("_xlnm"))
                .cloned()
                .collect();
            for name in reader.sheet_names() {
                let mut ws = Worksheet::new();
                ws.set_name(&name)
                    .map_err(|e| xlsx_error(&format!("the sheet name \"{name}\""), e))?;
                let end = copy_sheet(&mut reader, &name, &mut ws, &datetime)?;
                if name.eq_ignore_ascii_case(sheet) {
                    target = Some(sheets.len());
                    next_row = end;
                    if header && end > 0 {
                        mapping = Some(header_mapping(&mut reader, &name, columns)?);
                    }
                }
                sheets.push(ws);
            }
        }
        let target = match target {
            Some(t) => t,
            None => {
                let mut ws = Worksheet::new();
                ws.set_name(sheet)
                    .map_err(|source| SheetWriterError::SheetName {
                        sheet: sheet.to_string(),
                        source,
                    })?;
                sheets.push(ws);
                sheets.len() - 1
            }
        };
        let columns_at: Vec<u16> = match mapping {
            Some(m) => m,
            None => (0..columns.len() as u16).collect(),
        };
        if next_row == 0 && header {
            let ws = &mut sheets[target];
            for (name, col) in columns.iter().zip(&columns_at) {
                ws.write_string(0, *col, name)
                    .map_err(|e| xlsx_error("writing the header row", e))?;
            }
            next_row = 1;
        }
        Ok(SheetWriter {
            sheets,
            target,
            names,
            columns: columns_at,
            next_row,
            rows_written: 0,
            datetime,
            date,
            time,
            rewrote_existing,
        })
    }

    /// How many more rows the sheet can take.
    pub fn room(&self) -> u32 {
        MAX_ROWS - self.next_row
    }

    /// Writes `cell` in column `column` (of the columns given at open) of the current row.
    pub fn write(&mut self, column: usize, cell: Cell<'_>) -> Result<(), SheetWriterError> {
        let (row, col) = (self.next_row, self.columns[column]);
        let ws = &mut self.sheets[self.target];
        let done = match cell {
            Cell::Empty => return Ok(()),
            Cell::Number(x) => ws.write_number(row, col, x).map(|_| ()),
            Cell::Bool(b) => ws.write_boolean(row, col, b).map(|_| ()),
            Cell::Text(s) => ws.write_string(row, col, s).map(|_| ()),
            Cell::DateTime(d) => ws
                .write_datetime_with_format(row, col, d, &self.datetime)
                .map(|_| ()),
            Cell::Date(d) => ws
                .write_datetime_with_format(row, col, d, &self.date)
                .map(|_| ()),
            Cell::Time(t) => ws
                .write_datetime_with_format(row, col, t, &self.time)
                .map(|_| ()),
        };
        done.map_err(|e| xlsx_error(&format!("writing row {}", row + 1), e))
    }

    /// Moves to the next row.
    pub fn end_row(&mut self) {
        self.next_row += 1;
        self.rows_written += 1;
    }

    pub fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// Writes the workbook beside `path` and renames it into place.
    pub fn save(mut self, path: &Path) -> Result<(), SheetWriterError> {
        let mut workbook = Workbook::new();
        for ws in self.sheets.drain(..) {
            workbook.push_worksheet(ws);
        }
        for (name, formula) in &self.names {
            let f = if formula.starts_with('=') {
                formula.clone()
            } else {
                format!("={formula}")
            };
            workbook
                .define_name(name, &f)
                .map_err(|e| xlsx_error(&format!("the named range \"{name}\""), e))?;
        }
        let temp = temp_name(path);
        workbook.save(&temp).map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            SheetWriterError::Save {
                temp: temp.clone(),
                source,
            }
        })?;
        std::fs::rename(&temp, path).map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            SheetWriterError::Rename {
                temp: temp.clone(),
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

/// The sheet columns of `columns` by the names of the existing sheet's first row.
fn header_mapping(
    reader: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    columns: &[String],
) -> Result<Vec<u16>, SheetWriterError> {
    let range = reader
        .worksheet_range(sheet)
        .map_err(|e| read_error(&format!("the sheet \"{sheet}\" cannot be read"), e))?;
    let Some((r0, c0)) = range.start() else {
        return Ok((0..columns.len() as u16).collect());
    };
    let width = range.width();
    let heads: Vec<(u16, String)> = (0..width)
        .filter_map(|c| {
            let v = range.get((0, c))?;
            (!matches!(v, Data::Empty)).then(|| ((c0 as usize + c) as u16, v.to_string()))
        })
        .collect();
    if r0 != 0 || heads.is_empty() {
        return Err(SheetWriterError::NoHeader {
            sheet: sheet.to_string(),
        });
    }
    columns
        .iter()
        .map(|name| {
            match heads
                .iter()
                .find(|(_, h)| h.trim().eq_ignore_ascii_case(name))
            {
                Some((c, _)) => Ok(*c),
                None => Err(SheetWriterError::NoColumn {
                    sheet: sheet.to_string(),
                    column: name.clone(),
                    heads: heads
                        .iter()
                        .map(|(_, h)| format!("\"{h}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            }
        })
        .collect()
}

/// A temporary name beside `target`.
fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "book.xlsx".into());
    target.with_file_name(format!(".{name}.ssisd-{}.partial.xlsx", std::process::id()))
}
