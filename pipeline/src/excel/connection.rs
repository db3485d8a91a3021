//! The Excel connection manager (`CreationName` EXCEL): its OLE DB connection string read with
//! ssisd-sql's OLE DB parser — `Provider` (ACE 12.0+ or Jet 4.0), `Data Source` (the workbook)
//! and `Extended Properties` (the file format such as `Excel 12.0 XML` or `Excel 8.0`, then
//! `HDR` and `IMEX`). It says which workbook to open and how its first row and mixed columns
//! are read; it must not open the file.

use ssisd_sql::{ConnectionString, Syntax};

/// The file format the connection string's Extended Properties name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExcelFormat {
    /// `Excel 12.0 XML` (.xlsx), `Excel 12.0` (.xlsb), `Excel 12.0 Macro` (.xlsm).
    Excel2007,
    /// `Excel 8.0` (.xls, Excel 97–2003), also `Excel 5.0`.
    Excel97,
}

/// An Excel connection manager, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelConnection {
    /// The provider as written (`Microsoft.ACE.OLEDB.12.0`, `Microsoft.Jet.OLEDB.4.0`).
    pub provider: String,
    /// The workbook path as the package writes it (Windows paths are mapped by the caller).
    pub data_source: String,
    pub format: ExcelFormat,
    /// `HDR=YES` (the default): the first row of a sheet or range names the columns.
    pub header: bool,
    /// `IMEX=1`: a column whose sampled rows mix types is read as text.
    pub import_mixed_as_text: bool,
}

/// Why an Excel connection string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExcelConnectionError {
    #[error("{0}")]
    Syntax(#[from] ssisd_sql::ConnectionStringError),
    #[error("the connection string names no Provider; an Excel connection manager needs Provider=Microsoft.ACE.OLEDB.12.0 (or Microsoft.Jet.OLEDB.4.0 for .xls)")]
    NoProvider,
    #[error("the provider \"{0}\" is not an Excel provider; ssisd reads Excel workbooks for the providers Microsoft.ACE.OLEDB.12.0 (and later) and Microsoft.Jet.OLEDB.4.0")]
    Provider(String),
    #[error("the connection string names no Data Source; set it to the workbook's path (the ExcelFilePath of the connection manager)")]
    NoDataSource,
    #[error("the Extended Properties \"{0}\" name no Excel format; use \"Excel 12.0 XML;HDR=YES\" for .xlsx or \"Excel 8.0;HDR=YES\" for .xls")]
    Format(String),
}

/// Whether `provider` is one of the OLE DB providers that open Excel workbooks.
fn is_excel_provider(provider: &str) -> bool {
    let p = provider.trim().to_ascii_lowercase();
    p.starts_with("microsoft.ace.oledb.") || p.starts_with("microsoft.jet.oledb.4.0")
}

/// A yes/no value of an extended property (`YES`, `NO`, `1`, `0`, `TRUE`, `FALSE`).
fn yes(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "yes" | "1" | "true"
    )
}

impl ExcelConnection {
    /// Reads the connection string of an Excel connection manager.
    pub fn parse(text: &str) -> Result<ExcelConnection, ExcelConnectionError> {
        let cs = ConnectionString::parse(text, Syntax::OleDb)?;
        let provider = cs
            .get_non_empty(&["provider"])
            .ok_or(ExcelConnectionError::NoProvider)?
            .trim()
            .to_string();
        if !is_excel_provider(&provider) {
            return Err(ExcelConnectionError::Provider(provider));
        }
        let data_source = cs
            .get_non_empty(&["data source"])
            .ok_or(ExcelConnectionError::NoDataSource)?
            .trim()
            .to_string();
        let extended = cs.get(&["extended properties"]).unwrap_or("").trim();
        let (format, options) = extended_properties(extended)?;
        let header = options.get(&["hdr"]).map(yes).unwrap_or(true);
        let import_mixed_as_text = options
            .get(&["imex"])
            .map(|v| v.trim() == "1")
            .unwrap_or(false);
        Ok(ExcelConnection {
            provider,
            data_source,
            format,
            header,
            import_mixed_as_text,
        })
    }
}

/// The Extended Properties: a leading file-format name (the one item without `=`), then
/// OLE DB style `keyword=value` pairs, read by the OLE DB rules.
fn extended_properties(
    text: &str,
) -> Result<(ExcelFormat, ConnectionString), ExcelConnectionError> {
    let (head, rest) = match text.split_once(';') {
        Some((head, rest)) if !head.contains('=') => (head.trim(), rest),
        _ if !text.contains('=') => (text.trim(), ""),
        _ => ("", text),
    };
    let format = if head.is_empty() {
        // ACE without a named format opens the workbook by its content.
        ExcelFormat::Excel2007
    } else {
        let h = head.to_ascii_lowercase();
        if h.starts_with("excel 12") || h.starts_with("excel 14") || h.starts_with("excel 16") {
            ExcelFormat::Excel2007
        } else if h.starts_with("excel 8") || h.starts_with("excel 5") {
            ExcelFormat::Excel97
        } else {
            return Err(ExcelConnectionError::Format(text.to_string()));
        }
    };
    Ok((format, ConnectionString::parse(rest, Syntax::OleDb)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ace_xlsx_with_header() {
        let c = ExcelConnection::parse(
            r#"Provider=Microsoft.ACE.OLEDB.12.0;Data Source="C:\data\book;1.xlsx";Extended Properties="Excel 12.0 XML;HDR=NO;IMEX=1";"#,
        )
        .unwrap();
        assert_eq!(c.data_source, r"C:\data\book;1.xlsx");
        assert_eq!(c.format, ExcelFormat::Excel2007);
        assert!(!c.header);
        assert!(c.import_mixed_as_text);
    }

    #[test]
    fn jet_xls_defaults() {
        let c = ExcelConnection::parse(
            r#"Provider=Microsoft.Jet.OLEDB.4.0;Data Source=y:\downloads\111111_2.xls;Extended Properties="EXCEL 8.0;HDR=YES";"#,
        )
        .unwrap();
        assert_eq!(c.format, ExcelFormat::Excel97);
        assert!(c.header);
        assert!(!c.import_mixed_as_text);
        let c =
            ExcelConnection::parse(r#"Provider=Microsoft.ACE.OLEDB.16.0;Data Source=/tmp/a.xlsx"#)
                .unwrap();
        assert!(c.header);
    }

    #[test]
    fn refusals_say_what_to_do() {
        let e = ExcelConnection::parse("Provider=SQLNCLI11;Data Source=.").unwrap_err();
        assert!(e.to_string().contains("Microsoft.ACE.OLEDB.12.0"), "{e}");
        let e = ExcelConnection::parse("Data Source=/tmp/a.xlsx").unwrap_err();
        assert_eq!(e, ExcelConnectionError::NoProvider);
        let e = ExcelConnection::parse("Provider=Microsoft.ACE.OLEDB.12.0").unwrap_err();
        assert_eq!(e, ExcelConnectionError::NoDataSource);
        let e = ExcelConnection::parse(
            r#"Provider=Microsoft.ACE.OLEDB.12.0;Data Source=a.xlsx;Extended Properties="Paradox 5.x""#,
        )
        .unwrap_err();
        assert!(matches!(e, ExcelConnectionError::Format(_)), "{e}");
    }
}
