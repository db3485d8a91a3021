//! The Execute SQL task's configuration as stored in a package: the `SQLTask:SqlTaskData`
//! element (the same in the 2005/2008 and 2012+ formats) with its connection, statement
//! source and source type, result type, time-out, and the `ParameterBinding` and
//! `ResultBinding` children; property expressions override the attributes. It only parses;
//! nothing here touches a connection.

use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;

use super::error::SqlError;

/// Where the statement text comes from (`SqlStmtSourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    DirectInput,
    /// A FILE connection manager whose file holds the statement.
    FileConnection,
    /// A variable holding the statement.
    Variable,
}

/// What the task does with the rows it gets back (`ResultType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    None,
    SingleRow,
    /// Full result set into an Object variable.
    Rowset,
    Xml,
}

/// The direction of a parameter binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
    ReturnValue,
}

/// One `SQLTask:ParameterBinding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterBinding {
    /// `0`, `1`, … (position), `?`, or a name such as `@id`.
    pub name: String,
    pub variable: String,
    pub direction: Direction,
    /// The OLE DB / ODBC type number the designer stored (informational).
    pub data_type: i32,
    /// `-1` for the default size.
    pub size: i32,
}

/// One `SQLTask:ResultBinding`: a column (by position or name) or, for full result sets,
/// `0` for the whole set, into a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultBinding {
    pub name: String,
    pub variable: String,
}

/// The parsed `SqlTaskData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlTaskData {
    /// The connection manager (DTSID or name).
    pub connection: String,
    pub source: String,
    pub source_type: SourceType,
    pub result_type: ResultType,
    /// Seconds; 0 waits for ever.
    pub timeout: u32,
    pub bypass_prepare: bool,
    pub is_stored_procedure: bool,
    pub parameters: Vec<ParameterBinding>,
    pub results: Vec<ResultBinding>,
}

fn attribute(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.attributes()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .map(|a| a.value().to_string())
}

fn truthy(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "-1" | "1"
    )
}

impl SourceType {
    pub fn parse(text: &str) -> Result<Self, SqlError> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "" | "directinput" | "1" => SourceType::DirectInput,
            "fileconnection" | "2" => SourceType::FileConnection,
            "variable" | "3" => SourceType::Variable,
            _ => {
                return Err(SqlError::Config(format!(
                    "unknown SqlStmtSourceType \"{text}\""
                )))
            }
        })
    }
}

impl ResultType {
    pub fn parse(text: &str) -> Result<Self, SqlError> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("resultsettype_").unwrap_or(&t);
        Ok(match t {
            "" | "none" | "1" => ResultType::None,
            "singlerow" | "2" => ResultType::SingleRow,
            "rowset" | "3" => ResultType::Rowset,
            "xml" | "4" => ResultType::Xml,
            _ => return Err(SqlError::Config(format!("unknown ResultType \"{text}\""))),
        })
    }
}

impl Direction {
    pub fn parse(text: &str) -> Result<Self, SqlError> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "" | "input" | "1" => Direction::Input,
            "output" | "2" => Direction::Output,
            "returnvalue" | "4" => Direction::ReturnValue,
            _ => {
                return Err(SqlError::Config(format!(
                    "unknown ParameterDirection \"{text}\""
                )))
            }
        })
    }
}

impl SqlTaskData {
    /// Parses the task's object data, then applies the property expressions' values.
    pub fn parse(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, SqlError> {
        let Some(od) = od else {
            return Err(SqlError::Config("the task has no SqlTaskData".into()));
        };
        let doc = od.document();
        let parsed = roxmltree::Document::parse(&doc)
            .map_err(|e| SqlError::Config(format!("the task data is not valid XML: {e}")))?;
        let Some(data) = parsed
            .descendants()
            .find(|n| n.tag_name().name() == "SqlTaskData")
        else {
            return Err(SqlError::Config("the task has no SqlTaskData".into()));
        };
        let get = |name: &str| attribute(data, name).unwrap_or_default();
        let mut parameters = Vec::new();
        let mut results = Vec::new();
        for child in data.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "ParameterBinding" => parameters.push(ParameterBinding {
                    name: attribute(child, "ParameterName").unwrap_or_default(),
                    variable: attribute(child, "DtsVariableName").unwrap_or_default(),
                    direction: Direction::parse(
                        &attribute(child, "ParameterDirection").unwrap_or_default(),
                    )?,
                    data_type: attribute(child, "DataType")
                        .and_then(|t| t.trim().parse().ok())
                        .unwrap_or(0),
                    size: attribute(child, "ParameterSize")
                        .and_then(|t| t.trim().parse().ok())
                        .unwrap_or(-1),
                }),
                "ResultBinding" => results.push(ResultBinding {
                    name: attribute(child, "ResultName").unwrap_or_default(),
                    variable: attribute(child, "DtsVariableName").unwrap_or_default(),
                }),
                _ => {}
            }
        }
        let source = o
            .text(&["SqlStatementSource"])
            .unwrap_or_else(|| get("SqlStatementSource"));
        let source_type = match o.text(&["SqlStatementSourceType", "SqlStmtSourceType"]) {
            Some(t) => SourceType::parse(&t)?,
            None => SourceType::parse(&get("SqlStmtSourceType"))?,
        };
        let result_type = match o.text(&["ResultSetType", "ResultType"]) {
            Some(t) => ResultType::parse(&t)?,
            None => ResultType::parse(&get("ResultType"))?,
        };
        let timeout = match o.int(&["TimeOut"]) {
            Some(n) => u32::try_from(n).unwrap_or(0),
            None => get("TimeOut").trim().parse().unwrap_or(0),
        };
        let connection = o.text(&["Connection"]).unwrap_or_else(|| get("Connection"));
        let data = SqlTaskData {
            connection,
            source,
            source_type,
            result_type,
            timeout,
            bypass_prepare: o
                .bool(&["BypassPrepare"])
                .unwrap_or_else(|| truthy(&get("BypassPrepare"))),
            is_stored_procedure: truthy(&get("IsStoredProc")),
            parameters,
            results,
        };
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<(), SqlError> {
        if self.connection.trim().is_empty() {
            return Err(SqlError::Config("no connection manager is set".into()));
        }
        if self.result_type == ResultType::Xml {
            return Err(SqlError::Config(
                "the XML result type is not supported".into(),
            ));
        }
        if self.result_type == ResultType::Rowset
            && self.results.iter().any(|r| r.name.trim() != "0")
        {
            return Err(SqlError::Config(
                "a full result set binds result name 0 to an Object variable".into(),
            ));
        }
        if self.result_type == ResultType::None && !self.results.is_empty() {
            return Err(SqlError::Config(
                "result bindings need a single-row or full result set".into(),
            ));
        }
        if let Some(p) = self
            .parameters
            .iter()
            .find(|p| p.variable.trim().is_empty())
        {
            return Err(SqlError::Config(format!(
                "parameter \"{}\" is bound to no variable",
                p.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(body: &str) -> RawXml {
        RawXml(body.to_string())
    }

    const NS: &str = "xmlns:SQLTask=\"www.microsoft.com/sqlserver/dts/tasks/sqltask\"";

    #[test]
    fn the_2012_payload_with_bindings() {
        let od = xml(&format!(
            r#"<SQLTask:SqlTaskData SQLTask:Connection="{{27C1767F-BA61-4F14-808D-3E24DBD3A85A}}" SQLTask:TimeOut="30" SQLTask:IsStoredProc="False" SQLTask:BypassPrepare="True" SQLTask:SqlStmtSourceType="DirectInput" SQLTask:SqlStatementSource="SELECT ? AS a" SQLTask:ResultType="ResultSetType_SingleRow" {NS}><SQLTask:ResultBinding SQLTask:ResultName="0" SQLTask:DtsVariableName="User::A"/><SQLTask:ParameterBinding SQLTask:ParameterName="0" SQLTask:DtsVariableName="User::In" SQLTask:ParameterDirection="Input" SQLTask:DataType="3" SQLTask:ParameterSize="-1"/><SQLTask:ParameterBinding SQLTask:ParameterName="@out" SQLTask:DtsVariableName="User::Out" SQLTask:ParameterDirection="Output" SQLTask:DataType="130" SQLTask:ParameterSize="50"/></SQLTask:SqlTaskData>"#
        ));
        let d = SqlTaskData::parse(Some(&od), &PropertyOverrides::default()).unwrap();
        assert_eq!(d.connection, "{27C1767F-BA61-4F14-808D-3E24DBD3A85A}");
        assert_eq!(d.source, "SELECT ? AS a");
        assert_eq!(d.source_type, SourceType::DirectInput);
        assert_eq!(d.result_type, ResultType::SingleRow);
        assert_eq!(d.timeout, 30);
        assert!(d.bypass_prepare);
        assert_eq!(d.parameters.len(), 2);
        assert_eq!(d.parameters[1].direction, Direction::Output);
        assert_eq!(d.parameters[1].size, 50);
        assert_eq!(
            d.results,
            vec![ResultBinding {
                name: "0".into(),
                variable: "User::A".into()
            }]
        );
    }

    #[test]
    fn the_2005_payload_and_defaults() {
        // 2005/2008 packages carry the same element inside DTS:ObjectData, often with the
        // defaults left out.
        let od = xml(&format!(
            r#"<SQLTask:SqlTaskData SQLTask:Connection="Conn" SQLTask:SqlStatementSource="User::Stmt" SQLTask:SqlStmtSourceType="Variable" {NS}/>"#
        ));
        let d = SqlTaskData::parse(Some(&od), &PropertyOverrides::default()).unwrap();
        assert_eq!(d.source_type, SourceType::Variable);
        assert_eq!(d.result_type, ResultType::None);
        assert_eq!(d.timeout, 0);
        assert!(!d.bypass_prepare);
    }

    #[test]
    fn overrides_and_refusals() {
        let od = xml(&format!(
            r#"<SQLTask:SqlTaskData SQLTask:Connection="C" SQLTask:SqlStatementSource="SELECT 1" SQLTask:ResultType="ResultSetType_Rowset" {NS}><SQLTask:ResultBinding SQLTask:ResultName="0" SQLTask:DtsVariableName="User::Rows"/></SQLTask:SqlTaskData>"#
        ));
        let o = PropertyOverrides(vec![(
            "SqlStatementSource".into(),
            ssisd_engine::types::Value::WStr("SELECT 2".into()),
        )]);
        let d = SqlTaskData::parse(Some(&od), &o).unwrap();
        assert_eq!(d.source, "SELECT 2");
        assert_eq!(d.result_type, ResultType::Rowset);
        let xml_result = xml(&format!(
            r#"<SQLTask:SqlTaskData SQLTask:Connection="C" SQLTask:ResultType="ResultSetType_XML" {NS}/>"#
        ));
        let e = SqlTaskData::parse(Some(&xml_result), &PropertyOverrides::default());
        assert!(e.unwrap_err().to_string().contains("XML"));
        assert!(SqlTaskData::parse(None, &PropertyOverrides::default()).is_err());
        let bad = xml(&format!(
            r#"<SQLTask:SqlTaskData SQLTask:Connection="C" SQLTask:ResultType="Sometimes" {NS}/>"#
        ));
        assert!(SqlTaskData::parse(Some(&bad), &PropertyOverrides::default()).is_err());
    }
}
