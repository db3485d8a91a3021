//! Reading an Excel workbook (.xlsx, .xlsm, .xlsb, .xls — whatever `calamine` opens) the way
//! the ACE/Jet OLE DB provider presents it to an Excel Source: a sheet's used range, a cell
//! range or a named range becomes a table whose first row names the columns (`HDR=YES`) or
//! whose columns are `F1`, `F2`, … (`HDR=NO`). Each column's type is guessed from its first
//! eight data rows (the provider's TypeGuessRows): numbers → DT_R8, dates → DT_DATE, Booleans
//! → DT_BOOL, text → DT_WSTR(255), or DT_NTEXT once a sampled text is longer than 255
//! characters; the kind most sampled cells have wins, text in a tie. A cell of another kind
//! than its column's reads as NULL, except with `IMEX=1`, where a column that mixes kinds is
//! text and every value converts to text — the provider's own rules. A sheet is read whole
//! into memory (a sheet holds at most 1,048,576 rows). It must not know components or buffers.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Range, Reader, Sheets};
use chrono::NaiveDateTime;
use ssisd_engine::types::{DataType, Value};

use super::query::{parse_range, Query, TableRef};

/// How many data rows the provider samples to type a column.
pub const TYPE_GUESS_ROWS: usize = 8;

/// Cells longer than this make a text column DT_NTEXT.
const WSTR_LIMIT: usize = 255;

/// A sheet and the corners (0-based row, column; inclusive) of an area of it.
type SheetArea = (String, (u32, u32), (u32, u32));

/// An open workbook.
pub struct Workbook {
    sheets: Sheets<BufReader<File>>,
}

/// The kind of value a cell or a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Number,
    Date,
    Bool,
    Text,
}

/// A column of a table read from a workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Its name: the header cell, or `F1`, `F2`, … (also for an empty header cell).
    pub name: String,
    /// The type the provider gives it.
    pub data_type: DataType,
    kind: CellKind,
    /// Its position in the range read.
    index: usize,
}

/// A sheet, range or named range, typed, with its data rows.
pub struct Table {
    pub columns: Vec<TableColumn>,
    cells: Range<Data>,
    /// The first data row in `cells` (1 with a header row).
    first_row: usize,
    /// Data rows.
    pub rows: usize,
    imex: bool,
}

/// Whether `path` names a workbook format only the 97–2003 reader opens.
pub fn is_xls(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xls"))
}

/// Why a workbook, or the table a query names in it, cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("the workbook \"{}\" does not exist", .0.display())]
    Missing(PathBuf),
    #[error("the file \"{}\" cannot be read as an Excel workbook: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: calamine::Error,
    },
    /// No sheet of that name; `sheets` lists the workbook's, quoted (or `none`).
    #[error("the workbook has no sheet \"{name}\" (its sheets: {sheets})")]
    NoSheet { name: String, sheets: String },
    #[error("the sheet \"{sheet}\" cannot be read: {source}")]
    Sheet {
        sheet: String,
        source: calamine::Error,
    },
    /// No defined name of that name; `known` lists the names and sheets, quoted.
    #[error("the workbook has no sheet or named range \"{name}\" (a sheet is named with a trailing $, as in Sheet1$; it has: {known})")]
    NoTable { name: String, known: String },
    #[error("the named range \"{name}\" refers to \"{formula}\", which is not one cell range of one sheet")]
    NamedRange { name: String, formula: String },
    /// A selected column the table lacks; `table` as the query names it, `columns` quoted.
    #[error("the {table} has no column \"{column}\" (its columns: {columns})")]
    NoColumn {
        table: String,
        column: String,
        columns: String,
    },
}

impl Workbook {
    /// Opens the workbook at `path`.
    pub fn open(path: &Path) -> Result<Workbook, WorkbookError> {
        if !path.exists() {
            return Err(WorkbookError::Missing(path.to_path_buf()));
        }
        open_workbook_auto(path)
            .map(|sheets| Workbook { sheets })
            .map_err(|source| WorkbookError::Unreadable {
                path: path.to_path_buf(),
                source,
            })
    }

    /// The names of the workbook's sheets, in order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.sheet_names()
    }

    /// The workbook's sheet whose name is `name` ignoring case (as the provider finds it).
    fn find_sheet(&self, name: &str) -> Result<String, WorkbookError> {
        let names = self.sheet_names();
        names
            .iter()
            .find(|s| s.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| WorkbookError::NoSheet {
                name: name.to_string(),
                sheets: quoted_list(&names),
            })
    }

    /// The cells of a sheet.
    fn sheet_cells(&mut self, name: &str) -> Result<Range<Data>, WorkbookError> {
        let sheet = self.find_sheet(name)?;
        self.sheets
            .worksheet_range(&sheet)
            .map_err(|source| WorkbookError::Sheet { sheet, source })
    }

    /// Checks that what `table` names exists, without reading cells.
    pub fn check(&self, table: &TableRef) -> Result<(), WorkbookError> {
        match table {
            TableRef::Sheet(s) | TableRef::Range { sheet: s, .. } => self.find_sheet(s).map(|_| ()),
            TableRef::Named(n) => self.defined_name(n).map(|_| ()),
        }
    }

    /// A workbook-level defined name as the sheet and corners it refers to.
    fn defined_name(&self, name: &str) -> Result<SheetArea, WorkbookError> {
        let names = self.sheets.defined_names();
        let Some((_, formula)) = names.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            let mut known: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
            known.extend(self.sheet_names().iter().map(|s| format!("{s}$")));
            return Err(WorkbookError::NoTable {
                name: name.to_string(),
                known: quoted_list(&known),
            });
        };
        let formula = formula.trim_start_matches('=');
        let parsed = formula.rsplit_once('!').and_then(|(sheet, range)| {
            let sheet = sheet.trim().trim_matches('\'').replace("''", "'");
            parse_range(range).map(|(a, b)| (sheet, a, b))
        });
        parsed.ok_or_else(|| WorkbookError::NamedRange {
            name: name.to_string(),
            formula: formula.to_string(),
        })
    }

    /// Reads `query`'s table, typed; `header`: HDR=YES, `imex`: IMEX=1.
    pub fn read(
        &mut self,
        query: &Query,
        header: bool,
        imex: bool,
    ) -> Result<Table, WorkbookError> {
        let cells = match &query.table {
            TableRef::Sheet(s) => self.sheet_cells(s)?,
            TableRef::Range { sheet, start, end } => {
                sub_range(&self.sheet_cells(sheet)?, *start, *end)
            }
            TableRef::Named(n) => {
                let (sheet, start, end) = self.defined_name(n)?;
                sub_range(&self.sheet_cells(&sheet)?, start, end)
            }
        };
        let mut table = Table::new(cells, header, imex);
        if let Some(selected) = &query.columns {
            let mut columns = Vec::with_capacity(selected.len());
            for s in selected {
                let found = table
                    .columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(&s.column))
                    .ok_or_else(|| WorkbookError::NoColumn {
                        table: query.table.to_string(),
                        column: s.column.clone(),
                        columns: quoted_list(&table.column_names()),
                    })?;
                let mut c = found.clone();
                c.name = s.alias.clone();
                columns.push(c);
            }
            table.columns = columns;
        }
        if let Some(top) = query.top {
            table.rows = table.rows.min(top as usize);
        }
        Ok(table)
    }
}

/// `"a", "b"` or `none`.
fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The cells of `range` between two absolute corners (cells outside the used range empty).
fn sub_range(range: &Range<Data>, start: (u32, u32), end: (u32, u32)) -> Range<Data> {
    if range.is_empty() {
        return Range::new(start, end);
    }
    range.range(start, end)
}

/// The kind of a cell, `None` for an empty or error cell.
fn kind_of(cell: &Data) -> Option<CellKind> {
    match cell {
        Data::Int(_) | Data::Float(_) => Some(CellKind::Number),
        Data::DateTime(d) if d.is_duration() => Some(CellKind::Number),
        Data::DateTime(_) | Data::DateTimeIso(_) => Some(CellKind::Date),
        Data::Bool(_) => Some(CellKind::Bool),
        Data::String(s) if s.is_empty() => None,
        Data::String(_) | Data::DurationIso(_) => Some(CellKind::Text),
        Data::Error(_) | Data::Empty => None,
    }
}

/// The type of a column from its sampled cells.
fn guess(samples: &[&Data], imex: bool) -> (CellKind, DataType) {
    let mut counts = [0usize; 4];
    let mut long_text = false;
    for cell in samples {
        if let Some(k) = kind_of(cell) {
            counts[k as usize] += 1;
        }
        if let Data::String(s) = cell {
            long_text |= s.chars().count() > WSTR_LIMIT;
        }
    }
    let kinds = [
        CellKind::Number,
        CellKind::Date,
        CellKind::Bool,
        CellKind::Text,
    ];
    let present = counts.iter().filter(|c| **c > 0).count();
    let kind = if present == 0 || (imex && present > 1) {
        CellKind::Text
    } else {
        let best = *counts.iter().max().unwrap_or(&0);
        if counts[CellKind::Text as usize] == best {
            CellKind::Text
        } else {
            kinds
                .into_iter()
                .find(|k| counts[*k as usize] == best)
                .unwrap_or(CellKind::Text)
        }
    };
    let ty = match kind {
        CellKind::Number => DataType::R8,
        CellKind::Date => DataType::Date,
        CellKind::Bool => DataType::Bool,
        CellKind::Text if long_text => DataType::NText,
        CellKind::Text => DataType::WStr { len: 255 },
    };
    (kind, ty)
}

/// A number as Excel's General format shows it: integers without a fraction.
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A date and time as text: the time only when it has one.
fn date_text(d: &NaiveDateTime) -> String {
    if d.time() == chrono::NaiveTime::MIN {
        d.format("%Y-%m-%d").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// An Excel serial date (days since 1899-12-30) as a date and time.
fn serial_date(x: f64) -> Option<NaiveDateTime> {
    calamine::ExcelDateTime::new(x, calamine::ExcelDateTimeType::DateTime, false).as_datetime()
}

fn datetime_of(cell: &Data) -> Option<NaiveDateTime> {
    match cell {
        Data::DateTime(d) => d.as_datetime(),
        Data::DateTimeIso(s) => ssisd_engine::types::parse_datetime_text(s),
        Data::Int(i) => serial_date(*i as f64),
        Data::Float(f) => serial_date(*f),
        _ => None,
    }
}

impl Table {
    fn new(cells: Range<Data>, header: bool, imex: bool) -> Table {
        let (height, width) = cells.get_size();
        let first_row = usize::from(header && height > 0);
        let data_rows = height.saturating_sub(first_row);
        let mut columns = Vec::with_capacity(width);
        for c in 0..width {
            let name = if header {
                match cells.get((0, c)) {
                    Some(Data::Empty) | None => format!("F{}", c + 1),
                    Some(Data::String(s)) if s.trim().is_empty() => format!("F{}", c + 1),
                    Some(Data::Float(x)) => number_text(*x),
                    Some(d) => d.to_string(),
                }
            } else {
                format!("F{}", c + 1)
            };
            let samples: Vec<&Data> = (first_row..first_row + data_rows.min(TYPE_GUESS_ROWS))
                .filter_map(|r| cells.get((r, c)))
                .collect();
            let (kind, data_type) = guess(&samples, imex);
            columns.push(TableColumn {
                name,
                data_type,
                kind,
                index: c,
            });
        }
        Table {
            columns,
            cells,
            first_row,
            rows: data_rows,
            imex,
        }
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The value of data row `row` (0-based) in column `column` (of [`Table::columns`]), in
    /// the column's provider type; NULL for an empty cell, an error cell, or a cell of another
    /// kind than its column's (outside IMEX=1 text columns).
    pub fn value(&self, row: usize, column: usize) -> Value {
        let col = &self.columns[column];
        let Some(cell) = self.cells.get((self.first_row + row, col.index)) else {
            return Value::Null(col.data_type);
        };
        let null = Value::Null(col.data_type);
        let Some(kind) = kind_of(cell) else {
            return null;
        };
        match col.kind {
            CellKind::Number => match cell {
                Data::Int(i) => Value::R8(*i as f64),
                Data::Float(f) => Value::R8(*f),
                Data::DateTime(d) => Value::R8(d.as_f64()),
                _ => null,
            },
            CellKind::Date => match kind {
                CellKind::Date => datetime_of(cell).map(Value::Date).unwrap_or(null),
                _ => null,
            },
            CellKind::Bool => match cell {
                Data::Bool(b) => Value::Bool(*b),
                _ => null,
            },
            CellKind::Text => {
                if kind != CellKind::Text && !self.imex {
                    return null;
                }
                let text = match cell {
                    Data::String(s) | Data::DurationIso(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => number_text(*f),
                    Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                    Data::DateTime(d) if d.is_duration() => number_text(d.as_f64()),
                    Data::DateTime(_) | Data::DateTimeIso(_) => {
                        datetime_of(cell).map(|d| date_text(&d)).unwrap_or_default()
                    }
                    Data::Error(_) | Data::Empty => return null,
                };
                if col.data_type == DataType::NText {
                    Value::NText(text)
                } else {
                    Value::WStr(text)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&[Data]]) -> Range<Data> {
        let h = rows.len() as u32;
        let w = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
        let mut r = Range::new((0, 0), (h - 1, w - 1));
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                r.set_value((i as u32, j as u32), v.clone());
            }
        }
        r
    }

    fn s(t: &str) -> Data {
        Data::String(t.into())
    }

    #[test]
    fn header_types_and_the_providers_null_rule() {
        let t = Table::new(
            cells(&[
                &[s("id"), s("name"), Data::Empty],
                &[Data::Int(1), s("a"), Data::Bool(true)],
                &[Data::Float(2.5), s("b"), Data::Bool(false)],
                &[s("x"), Data::Float(7.0), Data::Empty],
            ]),
            true,
            false,
        );
        assert_eq!(t.column_names(), vec!["id", "name", "F3"]);
        assert_eq!(t.columns[0].data_type, DataType::R8);
        assert_eq!(t.columns[1].data_type, DataType::WStr { len: 255 });
        assert_eq!(t.columns[2].data_type, DataType::Bool);
        assert_eq!(t.rows, 3);
        assert_eq!(t.value(1, 0), Value::R8(2.5));
        // Text in a numeric column, a number in a text column: NULL without IMEX.
        assert!(t.value(2, 0).is_null());
        assert!(t.value(2, 1).is_null());
        assert!(t.value(2, 2).is_null());
    }

    #[test]
    fn imex_reads_mixed_columns_as_text() {
        let t = Table::new(
            cells(&[
                &[Data::Int(1)],
                &[s("x")],
                &[Data::Float(2.5)],
                &[Data::Bool(true)],
            ]),
            false,
            true,
        );
        assert_eq!(t.column_names(), vec!["F1"]);
        assert_eq!(t.rows, 4);
        let texts: Vec<Value> = (0..4).map(|r| t.value(r, 0)).collect();
        assert_eq!(
            texts,
            vec![
                Value::WStr("1".into()),
                Value::WStr("x".into()),
                Value::WStr("2.5".into()),
                Value::WStr("TRUE".into())
            ]
        );
    }

    #[test]
    fn long_text_is_ntext_and_a_tie_is_text() {
        let long = "y".repeat(300);
        let t = Table::new(
            cells(&[&[s(&long), Data::Int(1)], &[s("a"), s("b")]]),
            false,
            false,
        );
        assert_eq!(t.columns[0].data_type, DataType::NText);
        assert_eq!(t.columns[1].data_type, DataType::WStr { len: 255 });
    }
}
