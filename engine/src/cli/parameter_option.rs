//! The `/Par[ameter]` argument: `[$Package::|$Project::|$ServerOption::]name[(DataType)];value`,
//! parsed into a [`ParameterOption`]. It owns the scopes, the data type names (.NET TypeCode
//! names, matched without regard to case) and the check that a typed value can be read as that
//! type. It must not look the parameter up in a package or project.

use std::fmt;

use super::property_path::strip_prefix_ci;
use super::quoting::{split_first_top_level, unquote};

/// Which parameters a `/Par` name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterScope {
    /// `$Package::` — also the default when no scope is written.
    Package,
    /// `$Project::`.
    Project,
    /// `$ServerOption::` — options of a catalog execution such as `SYNCHRONIZED`.
    ServerOption,
}

impl ParameterScope {
    /// The prefix as written on the command line.
    pub fn prefix(self) -> &'static str {
        match self {
            ParameterScope::Package => "$Package::",
            ParameterScope::Project => "$Project::",
            ParameterScope::ServerOption => "$ServerOption::",
        }
    }
}

/// The data types `/Par` accepts in parentheses: the names of .NET's TypeCode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterDataType {
    Boolean,
    Byte,
    Char,
    DateTime,
    DBNull,
    Decimal,
    Double,
    Empty,
    Int16,
    Int32,
    Int64,
    Object,
    SByte,
    Single,
    String,
    UInt16,
    UInt32,
    UInt64,
}

const DATA_TYPES: &[ParameterDataType] = &[
    ParameterDataType::Boolean,
    ParameterDataType::Byte,
    ParameterDataType::Char,
    ParameterDataType::DateTime,
    ParameterDataType::DBNull,
    ParameterDataType::Decimal,
    ParameterDataType::Double,
    ParameterDataType::Empty,
    ParameterDataType::Int16,
    ParameterDataType::Int32,
    ParameterDataType::Int64,
    ParameterDataType::Object,
    ParameterDataType::SByte,
    ParameterDataType::Single,
    ParameterDataType::String,
    ParameterDataType::UInt16,
    ParameterDataType::UInt32,
    ParameterDataType::UInt64,
];

impl ParameterDataType {
    /// The TypeCode name, e.g. `Int32`.
    pub fn name(self) -> &'static str {
        match self {
            ParameterDataType::Boolean => "Boolean",
            ParameterDataType::Byte => "Byte",
            ParameterDataType::Char => "Char",
            ParameterDataType::DateTime => "DateTime",
            ParameterDataType::DBNull => "DBNull",
            ParameterDataType::Decimal => "Decimal",
            ParameterDataType::Double => "Double",
            ParameterDataType::Empty => "Empty",
            ParameterDataType::Int16 => "Int16",
            ParameterDataType::Int32 => "Int32",
            ParameterDataType::Int64 => "Int64",
            ParameterDataType::Object => "Object",
            ParameterDataType::SByte => "SByte",
            ParameterDataType::Single => "Single",
            ParameterDataType::String => "String",
            ParameterDataType::UInt16 => "UInt16",
            ParameterDataType::UInt32 => "UInt32",
            ParameterDataType::UInt64 => "UInt64",
        }
    }

    /// The type for a TypeCode name, ignoring case.
    pub fn from_name(name: &str) -> Option<ParameterDataType> {
        DATA_TYPES
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Checks that `value` can be read as this type. Numbers and booleans are checked; text,
    /// dates and objects are left to the engine.
    fn check_value(self, value: &str) -> Result<(), ParameterOptionError> {
        let v = value.trim();
        let ok = match self {
            ParameterDataType::Boolean => ["true", "false", "1", "0"]
                .iter()
                .any(|b| b.eq_ignore_ascii_case(v)),
            ParameterDataType::Byte => v.parse::<u8>().is_ok(),
            ParameterDataType::SByte => v.parse::<i8>().is_ok(),
            ParameterDataType::Int16 => v.parse::<i16>().is_ok(),
            ParameterDataType::Int32 => v.parse::<i32>().is_ok(),
            ParameterDataType::Int64 => v.parse::<i64>().is_ok(),
            ParameterDataType::UInt16 => v.parse::<u16>().is_ok(),
            ParameterDataType::UInt32 => v.parse::<u32>().is_ok(),
            ParameterDataType::UInt64 => v.parse::<u64>().is_ok(),
            ParameterDataType::Single | ParameterDataType::Double | ParameterDataType::Decimal => {
                v.parse::<f64>().is_ok()
            }
            ParameterDataType::Char => value.chars().count() == 1,
            ParameterDataType::DateTime
            | ParameterDataType::DBNull
            | ParameterDataType::Empty
            | ParameterDataType::Object
            | ParameterDataType::String => true,
        };
        if ok {
            Ok(())
        } else {
            Err(ParameterOptionError::InvalidValue {
                value: value.to_string(),
                data_type: self,
            })
        }
    }
}

impl fmt::Display for ParameterDataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a `/Par` argument cannot be read; the text is the reason shown after the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterOptionError {
    /// No `;` separates the name from the value.
    #[error("a value is missing: write name;value")]
    MissingValue,
    /// A `$…::` prefix that is no known scope.
    #[error("\"{0}\" has an unknown scope; use $Package::, $Project:: or $ServerOption::")]
    UnknownScope(String),
    /// The type in parentheses is no TypeCode name.
    #[error("\"{0}\" is not a data type (use a name such as Int32, Boolean or String)")]
    UnknownDataType(String),
    /// Nothing before the `;` (or the type) names the parameter.
    #[error("the parameter name is missing")]
    MissingName,
    /// The value does not read as the given type.
    #[error("\"{value}\" is not a valid {data_type}")]
    InvalidValue {
        value: String,
        data_type: ParameterDataType,
    },
}

/// One `/Par` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterOption {
    pub scope: ParameterScope,
    /// The parameter name; for connection-manager properties `CM.<connection>.<property>`.
    pub name: String,
    /// The type in parentheses, if given.
    pub data_type: Option<ParameterDataType>,
    /// The value, unquoted; may contain `;`.
    pub value: String,
}

impl ParameterOption {
    /// Parses the argument of `/Par`. The error is the reason.
    pub fn parse(arg: &str) -> Result<ParameterOption, ParameterOptionError> {
        let (head, value) = split_first_top_level(arg).ok_or(ParameterOptionError::MissingValue)?;
        let head = unquote(head);
        let (scope, rest) = [
            ParameterScope::Package,
            ParameterScope::Project,
            ParameterScope::ServerOption,
        ]
        .iter()
        .find_map(|&s| strip_prefix_ci(&head, s.prefix()).map(|rest| (s, rest)))
        .unwrap_or((ParameterScope::Package, head.as_str()));
        if scope == ParameterScope::Package && rest.starts_with('$') {
            return Err(ParameterOptionError::UnknownScope(rest.to_string()));
        }
        let (name, data_type) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
            Some((name, ty)) => {
                let ty = ParameterDataType::from_name(ty)
                    .ok_or_else(|| ParameterOptionError::UnknownDataType(ty.to_string()))?;
                (name, Some(ty))
            }
            None => (rest, None),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(ParameterOptionError::MissingName);
        }
        let value = unquote(value);
        if let Some(ty) = data_type {
            ty.check_value(&value)?;
        }
        Ok(ParameterOption {
            scope,
            name: name.to_string(),
            data_type,
            value,
        })
    }

    /// For a connection-manager property `CM.<connection>.<property>`: the connection and the
    /// property. The connection name may itself contain dots.
    pub fn connection_manager_property(&self) -> Option<(&str, &str)> {
        let rest = strip_prefix_ci(&self.name, "CM.")?;
        let (conn, prop) = rest.rsplit_once('.')?;
        (!conn.is_empty() && !prop.is_empty()).then_some((conn, prop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn par(arg: &str) -> ParameterOption {
        ParameterOption::parse(arg).unwrap_or_else(|e| panic!("{arg}: {e}"))
    }

    #[test]
    fn default_scope_is_package() {
        let p = par("MyParam;42");
        assert_eq!(p.scope, ParameterScope::Package);
        assert_eq!(p.name, "MyParam");
        assert_eq!(p.data_type, None);
        assert_eq!(p.value, "42");
    }

    #[test]
    fn scopes() {
        assert_eq!(par("$Package::P;1").scope, ParameterScope::Package);
        assert_eq!(par("$Project::P;1").scope, ParameterScope::Project);
        assert_eq!(par("$project::P;1").scope, ParameterScope::Project);
        let p = par("$ServerOption::SYNCHRONIZED(Boolean);True");
        assert_eq!(p.scope, ParameterScope::ServerOption);
        assert_eq!(p.name, "SYNCHRONIZED");
        assert_eq!(p.data_type, Some(ParameterDataType::Boolean));
        assert!(ParameterOption::parse("$Bogus::P;1").is_err());
    }

    #[test]
    fn data_types_are_checked() {
        let p = par("$Project::Count(Int32);-7");
        assert_eq!(p.data_type, Some(ParameterDataType::Int32));
        assert_eq!(
            par("N(int64);9000000000").data_type,
            Some(ParameterDataType::Int64)
        );
        assert_eq!(
            par("F(Double);1.5").data_type,
            Some(ParameterDataType::Double)
        );
        assert_eq!(
            par("S(String);anything").data_type,
            Some(ParameterDataType::String)
        );
        assert_eq!(par("C(Char);x").data_type, Some(ParameterDataType::Char));
        assert!(ParameterOption::parse("N(Int32);abc").is_err());
        assert!(ParameterOption::parse("N(Int16);70000").is_err());
        assert!(ParameterOption::parse("B(Boolean);maybe").is_err());
        assert!(ParameterOption::parse("B(Byte);-1").is_err());
        assert!(ParameterOption::parse("X(Strange);1").is_err());
        for t in DATA_TYPES {
            assert_eq!(ParameterDataType::from_name(t.name()), Some(*t));
        }
    }

    #[test]
    fn values_with_semicolons_and_quotes() {
        assert_eq!(par("CS;a=1;b=2").value, "a=1;b=2");
        assert_eq!(par("CS;\"a;b\"").value, "a;b");
        assert_eq!(par("CS;\"say \"\"x\"\"\"").value, "say \"x\"");
        assert_eq!(par("\"My P\";v").name, "My P");
        assert_eq!(par("P;").value, "");
    }

    #[test]
    fn connection_manager_properties() {
        let p = par("CM.SourceDb.ConnectionString;Data Source=.;");
        assert_eq!(
            p.connection_manager_property(),
            Some(("SourceDb", "ConnectionString"))
        );
        assert_eq!(
            par("$Project::CM.My.Conn.ServerName;x").connection_manager_property(),
            Some(("My.Conn", "ServerName"))
        );
        assert_eq!(par("Plain;x").connection_manager_property(), None);
    }

    #[test]
    fn errors() {
        assert!(ParameterOption::parse("NoValue").is_err());
        assert!(ParameterOption::parse(";v").is_err());
        assert!(ParameterOption::parse("$Package::;v").is_err());
        assert!(ParameterOption::parse("(Int32);1").is_err());
    }
}
