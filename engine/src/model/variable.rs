//! Variables (`DTS:Variable`) and 2012+ package parameters (`DTS:PackageParameter`). Owns the
//! data only; values stay as the text written in the file (typing them is the runtime's job).

/// A variable, scoped to the container whose path is `scope`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variable {
    /// `User`, `System` or a custom namespace.
    pub namespace: String,
    pub name: String,
    /// `\Package.Variables[User::Name]` or `\Package\Seq.Variables[User::Name]`.
    pub path: String,
    /// Path of the container that holds the variable (`\Package`, `\Package\Seq`, …).
    pub scope: String,
    pub dtsid: String,
    pub description: String,
    /// The `DTS:DataType` code of the value (3 Int32, 8 String, 11 Boolean, 13 Object, …).
    pub data_type: u16,
    /// `DTS:DataSubType`, e.g. `ManagedSerializable` for serialized objects.
    pub data_sub_type: Option<String>,
    /// The value as written: plain text, or raw XML for serialized objects.
    pub value: String,
    pub read_only: bool,
    pub evaluate_as_expression: bool,
    /// The expression text (kept even when `evaluate_as_expression` is false).
    pub expression: String,
    pub raise_changed_event: bool,
    /// Property expressions on the variable itself (2005/2008 files allow them).
    pub property_expressions: Vec<super::expression::PropertyExpression>,
}

impl Variable {
    /// `Namespace::Name`.
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.namespace, self.name)
    }
}

/// A package parameter (2012+ project deployment model).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// `\Package.Parameters[Name]`.
    pub path: String,
    pub dtsid: String,
    pub description: String,
    pub data_type: u16,
    /// The design-time value; empty when the parameter is sensitive and could not be read.
    pub value: String,
    pub sensitive: bool,
    pub required: bool,
}
