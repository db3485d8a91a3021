//! The `/Conn[ection]` argument: `name_or_id;connection_string[;name_or_id;connection_string…]`,
//! parsed into [`ConnectionOption`]s. Connection strings contain `;` themselves, so this file
//! owns the rule that tells them apart from the next pair; it must not look connection managers
//! up in a package nor interpret connection strings.
//!
//! The rule: a quoted connection string ends at its closing quote. An unquoted one takes its
//! first part whatever it is (a file path has no `=`) and then every following part that
//! contains `=` or is empty; the next part without `=` starts the next pair.

use super::quoting::{is_quoted, split_top_level, unquote};

/// One connection-manager override from `/Conn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionOption {
    /// The connection manager's name or GUID, unquoted.
    pub target: String,
    /// The new connection string, unquoted.
    pub connection_string: String,
}

/// Why a `/Conn` argument cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionOptionError {
    #[error("a connection name or id is missing")]
    MissingTarget,
    /// The target (as written) has no connection string after it.
    #[error("the connection string for \"{0}\" is missing: write name;connection_string")]
    MissingConnectionString(String),
}

impl ConnectionOption {
    /// The target as a GUID, when it is one (with or without braces).
    pub fn id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::parse_str(self.target.trim()).ok()
    }

    /// Parses the argument of one `/Conn` option into one or more overrides. The error is the
    /// reason.
    pub fn parse_list(arg: &str) -> Result<Vec<ConnectionOption>, ConnectionOptionError> {
        let parts = split_top_level(arg);
        let mut out = Vec::new();
        let mut i = 0;
        while i < parts.len() {
            let target = unquote(parts[i]);
            if target.trim().is_empty() {
                if i + 1 == parts.len() && !out.is_empty() {
                    break; // a trailing ';'
                }
                return Err(ConnectionOptionError::MissingTarget);
            }
            let Some(first) = parts.get(i + 1) else {
                return Err(ConnectionOptionError::MissingConnectionString(target));
            };
            let mut end = i + 2;
            let connection_string = if is_quoted(first) {
                unquote(first)
            } else {
                while end < parts.len()
                    && !is_quoted(parts[end])
                    && (parts[end].contains('=') || parts[end].is_empty())
                {
                    end += 1;
                }
                unquote(&parts[i + 1..end].join(";"))
            };
            out.push(ConnectionOption {
                target,
                connection_string,
            });
            i = end;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(arg: &str) -> Vec<(String, String)> {
        ConnectionOption::parse_list(arg)
            .unwrap_or_else(|e| panic!("{arg}: {e}"))
            .into_iter()
            .map(|c| (c.target, c.connection_string))
            .collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn one_pair_quoted() {
        assert_eq!(
            conns("Db;\"Data Source=x;Initial Catalog=y;\""),
            vec![pair("Db", "Data Source=x;Initial Catalog=y;")]
        );
    }

    #[test]
    fn one_pair_unquoted_keeps_all_key_value_parts() {
        assert_eq!(
            conns("Db;Data Source=x;Initial Catalog=y;"),
            vec![pair("Db", "Data Source=x;Initial Catalog=y;")]
        );
    }

    #[test]
    fn file_paths_and_several_pairs() {
        assert_eq!(
            conns("In;c:\\data\\in.csv;Out;c:\\data\\out.csv"),
            vec![
                pair("In", "c:\\data\\in.csv"),
                pair("Out", "c:\\data\\out.csv")
            ]
        );
        assert_eq!(
            conns("A;x=1;y=2;B;\"z=3;w=4\";C;q=5"),
            vec![pair("A", "x=1;y=2"), pair("B", "z=3;w=4"), pair("C", "q=5")]
        );
    }

    #[test]
    fn names_may_be_quoted_or_guids() {
        let list = ConnectionOption::parse_list("{0A1B2C3D-0000-4000-8000-000000000001};Server=s")
            .unwrap();
        assert!(list[0].id().is_some());
        assert_eq!(conns("\"My Conn\";x=1"), vec![pair("My Conn", "x=1")]);
        assert!(ConnectionOption::parse_list("Name;x").unwrap()[0]
            .id()
            .is_none());
    }

    #[test]
    fn quotes_inside_connection_strings() {
        assert_eq!(
            conns("Db;\"Password=\"\"p;w\"\";User=u\""),
            vec![pair("Db", "Password=\"p;w\";User=u")]
        );
    }

    #[test]
    fn missing_parts() {
        assert!(ConnectionOption::parse_list("OnlyName").is_err());
        assert!(ConnectionOption::parse_list(";x=1").is_err());
        assert!(ConnectionOption::parse_list("").is_err());
        assert!(ConnectionOption::parse_list("A;x=1;B").is_err());
        assert_eq!(conns("A;\"x=1\";"), vec![pair("A", "x=1")]);
    }
}
