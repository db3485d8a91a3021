//! Which driver runs a connection manager, decided from its type (`CreationName`) and its
//! connection string: SQL Server's OLE DB providers (`SQLNCLI*`, `MSOLEDBSQL*`, `SQLOLEDB`) and
//! ADO.NET SqlClient (`System.Data.SqlClient`, `Microsoft.Data.SqlClient`, SSIS's `ADO.NET:SQL`)
//! go to the TDS client with [`TdsSettings`]; OLE DB over ODBC (`Provider=MSDASQL`, or no
//! Provider at all — OLE DB's default, which reads an ODBC connection string), ODBC connection
//! managers and ADO.NET `System.Data.Odbc` go to the ODBC driver manager with an ODBC
//! connection string ([`OdbcTarget`]). Every other provider (Oracle, Jet/ACE, third-party…) is
//! refused with its name and the override that works: `dtexec /Conn` with an ODBC connection
//! string. It parses and decides; it must not connect.

use crate::connection_string::{ConnectionString, ConnectionStringError, Syntax};
use crate::tds::settings::{Encrypt, TdsSettings, TdsSettingsError};

/// Where a connection manager's statements go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// SQL Server through the TDS client.
    Tds(TdsSettings),
    /// The ODBC driver manager and the driver the connection string names.
    Odbc(OdbcTarget),
}

impl Route {
    /// `SQL Server "…", database "…"` or `ODBC driver "…", server …`: for messages.
    pub fn describe(&self) -> String {
        match self {
            Route::Tds(s) => s.describe(),
            Route::Odbc(t) => t.describe(),
        }
    }
}

/// An ODBC connection string ready for `SQLDriverConnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdbcTarget {
    parsed: ConnectionString,
}

const ODBC_SERVER_KEYS: &[&str] = &["server", "servername", "host", "hostname", "address"];
const ODBC_PORT_KEYS: &[&str] = &["port"];
const ODBC_DATABASE_KEYS: &[&str] = &["database", "dbname", "db"];

impl OdbcTarget {
    /// Reads an ODBC connection string.
    pub fn parse(text: &str) -> Result<OdbcTarget, ConnectionStringError> {
        ConnectionString::parse(text, Syntax::Odbc).map(|parsed| OdbcTarget { parsed })
    }

    /// The connection string as the driver manager gets it (passwords included).
    pub fn connection_string(&self) -> String {
        self.parsed.to_text()
    }

    pub fn parsed(&self) -> &ConnectionString {
        &self.parsed
    }

    /// The `Driver` named, if any (without braces).
    pub fn driver(&self) -> Option<&str> {
        self.parsed.get_non_empty(&["driver"])
    }

    /// The `DSN` named, if any.
    pub fn dsn(&self) -> Option<&str> {
        self.parsed.get_non_empty(&["dsn", "filedsn"])
    }

    /// `ODBC driver "PostgreSQL Unicode", server 127.0.0.1:5432, database "x"` (no password).
    pub fn describe(&self) -> String {
        let mut text = match (self.driver(), self.dsn()) {
            (Some(d), _) => format!("ODBC driver \"{d}\""),
            (None, Some(dsn)) => format!("ODBC data source \"{dsn}\""),
            (None, None) => "ODBC".to_string(),
        };
        if let Some(server) = self.parsed.get_non_empty(ODBC_SERVER_KEYS) {
            text.push_str(&format!(", server {server}"));
            if let Some(port) = self.parsed.get_non_empty(ODBC_PORT_KEYS) {
                text.push_str(&format!(":{port}"));
            }
        }
        if let Some(db) = self.parsed.get_non_empty(ODBC_DATABASE_KEYS) {
            text.push_str(&format!(", database \"{db}\""));
        }
        text
    }
}

/// Why a connection manager cannot be run here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("connection manager \"{manager}\": {source}")]
    ConnectionString {
        manager: String,
        source: ConnectionStringError,
    },
    #[error("connection manager \"{manager}\": {source}")]
    Settings {
        manager: String,
        source: TdsSettingsError,
    },
    #[error("connection manager \"{manager}\": the {kind} provider \"{provider}\"{} is not available on Linux; only SQL Server's own providers (SQLNCLI, MSOLEDBSQL, SQLOLEDB, SqlClient) and ODBC (MSDASQL, ODBC connection managers, System.Data.Odbc) are. Point it at an ODBC driver for the same database instead, e.g. dtexec /Conn \"{manager};Driver={{{}}};…\" (an OLE DB connection string without Provider is read as an ODBC one)", family.map(|f| format!(" ({f})")).unwrap_or_default(), suggestion.unwrap_or("name of the ODBC driver"))]
    Provider {
        manager: String,
        kind: &'static str,
        provider: String,
        family: Option<&'static str>,
        suggestion: Option<&'static str>,
    },
    #[error("connection manager \"{manager}\": the OLE DB connection string names no Provider, and read as an ODBC connection string (OLE DB's default) it names no Driver or DSN either: add Provider=MSOLEDBSQL (or SQLNCLI11) for SQL Server, or give an ODBC connection string with Driver={{…}}")]
    NoProvider { manager: String },
    #[error("connection manager \"{manager}\" is of type \"{creation_name}\", which does not run SQL statements (OLE DB, ADO.NET and ODBC connection managers do)")]
    Manager {
        manager: String,
        creation_name: String,
    },
}

/// The database family a refused provider belongs to, and the usual ODBC driver for it.
fn family(provider: &str) -> (Option<&'static str>, Option<&'static str>) {
    let p = provider.to_ascii_lowercase();
    let has = |s: &str| p.contains(s);
    if has("oracle") || has("oraoledb") || has("msdaora") {
        (Some("Oracle"), Some("Oracle ODBC driver"))
    } else if has("jet.oledb") || has("ace.oledb") {
        (Some("Microsoft Access / Excel"), Some("MDBTools"))
    } else if has("pgnp") || has("npgsql") || has("postgres") {
        (Some("PostgreSQL"), Some("PostgreSQL Unicode"))
    } else if has("mysql") || has("maria") {
        (Some("MySQL / MariaDB"), Some("MariaDB Unicode"))
    } else if has("sybase") || p.starts_with("ase") {
        (Some("Sybase ASE"), Some("FreeTDS"))
    } else if has("db2") {
        (Some("IBM Db2"), Some("IBM DB2 ODBC DRIVER"))
    } else if has("msolap") {
        (Some("Analysis Services"), None)
    } else {
        (None, None)
    }
}

/// How an OLE DB provider name is run.
enum OleDbProvider {
    SqlServer(Encrypt),
    Odbc,
    Other,
}

fn ole_db_provider(provider: &str) -> OleDbProvider {
    let p = provider.trim().to_ascii_lowercase();
    if p.starts_with("msoledbsql19") {
        OleDbProvider::SqlServer(Encrypt::Required)
    } else if ["sqlncli", "msoledbsql", "sqloledb"]
        .iter()
        .any(|s| p.starts_with(s))
    {
        OleDbProvider::SqlServer(Encrypt::Off)
    } else if p.starts_with("msdasql") {
        OleDbProvider::Odbc
    } else {
        OleDbProvider::Other
    }
}

/// OLE DB keywords that mean nothing to an ODBC driver (OLE DB core services and provider
/// options), dropped when an OLE DB string goes to ODBC through MSDASQL.
const OLE_DB_ONLY: &[&str] = &[
    "provider",
    "persist security info",
    "ole db services",
    "prompt",
    "mode",
    "connect timeout",
    "general timeout",
    "locale identifier",
    "extended properties",
    "data source",
    "user id",
    "password",
    "initial catalog",
    "window handle",
];

/// An OLE DB string for MSDASQL as the ODBC connection string MSDASQL would pass on: the
/// `Extended Properties` (an ODBC string) first, then `Data Source` as DSN, `User ID` as UID,
/// `Password` as PWD, `Initial Catalog` as DATABASE, then any other keyword as it is.
fn msdasql_to_odbc(cs: &ConnectionString) -> Result<ConnectionString, ConnectionStringError> {
    let mut odbc = match cs.get_non_empty(&["extended properties"]) {
        Some(ext) => ConnectionString::parse(ext, Syntax::Odbc)?,
        None => ConnectionString::new(Syntax::Odbc),
    };
    let mut add = |key: &str, already: &[&str], value: Option<&str>| {
        if let Some(v) = value {
            if !odbc.contains(already) {
                odbc.push(key, v);
            }
        }
    };
    add(
        "DSN",
        &["dsn", "driver", "filedsn"],
        cs.get_non_empty(&["data source"]),
    );
    add("UID", &["uid"], cs.get(&["user id"]));
    add("PWD", &["pwd"], cs.get(&["password"]));
    add(
        "DATABASE",
        &["database"],
        cs.get_non_empty(&["initial catalog"]),
    );
    for p in cs.without(OLE_DB_ONLY).pairs() {
        if !odbc.contains(&[p.key.as_str()]) {
            odbc.push(&p.key, &p.value);
        }
    }
    Ok(odbc)
}

/// Decides how connection manager `manager` (its `CreationName` and effective connection
/// string) is run.
pub fn route(
    manager: &str,
    creation_name: &str,
    connection_string: &str,
) -> Result<Route, RouteError> {
    let creation = creation_name.trim();
    let upper = creation.to_ascii_uppercase();
    let cs_error = |source| RouteError::ConnectionString {
        manager: manager.to_string(),
        source,
    };
    let odbc = |text: &str| OdbcTarget::parse(text).map(Route::Odbc).map_err(cs_error);
    if upper == "ODBC" {
        return odbc(connection_string);
    }
    if upper == "OLEDB" || upper == "ADO" {
        return route_ole_db(manager, connection_string);
    }
    if let Some(rest) = upper.strip_prefix("ADO.NET:") {
        let type_name = creation["ADO.NET:".len()..].trim();
        let short = type_name.split(',').next().unwrap_or(type_name).trim();
        let short_upper = rest.split(',').next().unwrap_or(rest).trim();
        let sql_client = |encrypt| {
            let cs =
                ConnectionString::parse(connection_string, Syntax::AdoNet).map_err(cs_error)?;
            TdsSettings::from_connection_string(&cs, encrypt)
                .map(Route::Tds)
                .map_err(|source| RouteError::Settings {
                    manager: manager.to_string(),
                    source,
                })
        };
        return match short_upper {
            "SQL" | "SYSTEM.DATA.SQLCLIENT.SQLCONNECTION" => sql_client(Encrypt::Off),
            "MICROSOFT.DATA.SQLCLIENT.SQLCONNECTION" => sql_client(Encrypt::Required),
            "ODBC" | "SYSTEM.DATA.ODBC.ODBCCONNECTION" => odbc(connection_string),
            "OLEDB" | "SYSTEM.DATA.OLEDB.OLEDBCONNECTION" => {
                route_ole_db(manager, connection_string)
            }
            _ => {
                let (family, suggestion) = family(short);
                Err(RouteError::Provider {
                    manager: manager.to_string(),
                    kind: "ADO.NET",
                    provider: short.to_string(),
                    family,
                    suggestion,
                })
            }
        };
    }
    Err(RouteError::Manager {
        manager: manager.to_string(),
        creation_name: creation.to_string(),
    })
}

fn route_ole_db(manager: &str, connection_string: &str) -> Result<Route, RouteError> {
    let cs_error = |source| RouteError::ConnectionString {
        manager: manager.to_string(),
        source,
    };
    let parsed = ConnectionString::parse(connection_string, Syntax::OleDb);
    let provider = parsed
        .as_ref()
        .ok()
        .and_then(|cs| cs.get_non_empty(&["provider"]).map(str::to_string));
    let Some(provider) = provider else {
        // No Provider: OLE DB's default, MSDASQL, given an ODBC connection string — read by
        // ODBC's rules (braces may hold `;`).
        return match OdbcTarget::parse(connection_string) {
            Ok(t) if t.parsed.contains(&["provider"]) => Err(cs_error(parsed.err().unwrap_or(
                ConnectionStringError::NotKeyValue {
                    syntax: "OLE DB",
                    text: connection_string.to_string(),
                },
            ))),
            Ok(t) if t.driver().is_none() && t.dsn().is_none() => Err(RouteError::NoProvider {
                manager: manager.to_string(),
            }),
            Ok(t) => Ok(Route::Odbc(t)),
            Err(e) => Err(cs_error(parsed.err().unwrap_or(e))),
        };
    };
    let cs = parsed.map_err(cs_error)?;
    match ole_db_provider(&provider) {
        OleDbProvider::SqlServer(encrypt) => TdsSettings::from_connection_string(&cs, encrypt)
            .map(Route::Tds)
            .map_err(|source| RouteError::Settings {
                manager: manager.to_string(),
                source,
            }),
        OleDbProvider::Odbc => msdasql_to_odbc(&cs)
            .map(|parsed| Route::Odbc(OdbcTarget { parsed }))
            .map_err(cs_error),
        OleDbProvider::Other => {
            let (family, suggestion) = family(&provider);
            Err(RouteError::Provider {
                manager: manager.to_string(),
                kind: "OLE DB",
                provider,
                family,
                suggestion,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tds(creation: &str, cs: &str) -> TdsSettings {
        match route("C", creation, cs) {
            Ok(Route::Tds(s)) => s,
            other => panic!("{creation} {cs}: {other:?}"),
        }
    }

    fn odbc(creation: &str, cs: &str) -> String {
        match route("C", creation, cs) {
            Ok(Route::Odbc(t)) => t.connection_string(),
            other => panic!("{creation} {cs}: {other:?}"),
        }
    }

    #[test]
    fn sql_server_providers_go_to_tds() {
        for p in [
            "SQLNCLI11.1",
            "SQLNCLI10",
            "SQLNCLI.1",
            "MSOLEDBSQL",
            "SQLOLEDB.1",
            "sqlncli11",
        ] {
            let s = tds("OLEDB", &format!("Data Source=db1\\SALES;Initial Catalog=x;User ID=u;Password=p;Provider={p};Auto Translate=False;"));
            assert_eq!(s.server, "db1\\SALES", "{p}");
            assert_eq!(
                s.encrypt,
                Encrypt::Off,
                "{p}: login-only encryption by default"
            );
        }
        assert_eq!(
            tds("OLEDB", "Provider=MSOLEDBSQL19;Server=h;UID=u;PWD=p").encrypt,
            Encrypt::Required
        );
        let s = tds(
            "ADO.NET:System.Data.SqlClient.SqlConnection, System.Data, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
            "Data Source=h,1500;User ID=u;Password='a;b'",
        );
        assert_eq!(s.password.read("u").unwrap().expose(), "a;b");
        assert_eq!(tds("ADO.NET:SQL", "Data Source=h").server, "h");
        assert_eq!(
            tds(
                "ADO.NET:Microsoft.Data.SqlClient.SqlConnection, Microsoft.Data.SqlClient",
                "Server=h"
            )
            .encrypt,
            Encrypt::Required
        );
        let s = tds(
            "ADO.NET:System.Data.OleDb.OleDbConnection, System.Data",
            "Provider=SQLNCLI11;Data Source=h",
        );
        assert_eq!(s.server, "h");
    }

    #[test]
    fn odbc_managers_msdasql_and_provider_less_strings_go_to_odbc() {
        assert_eq!(
            odbc("ODBC", "Driver={SQLite3};Database={/tmp/a;b.db}"),
            "Driver=SQLite3;Database={/tmp/a;b.db};"
        );
        assert_eq!(
            odbc("ODBC", "uid=OSUF_SSIS;Dsn=SNOWFLAKE;"),
            "uid=OSUF_SSIS;Dsn=SNOWFLAKE;"
        );
        assert_eq!(
            odbc(
                "ADO.NET:System.Data.Odbc.OdbcConnection, System.Data, Version=4.0.0.0",
                "Driver={PostgreSQL Unicode};Server=h;Pwd={p;w}"
            ),
            "Driver=PostgreSQL Unicode;Server=h;Pwd={p;w};"
        );
        // MSDASQL: Data Source is the DSN, the login and catalog keep their ODBC names.
        assert_eq!(
            odbc(
                "OLEDB",
                "Data Source=Sales;User ID=etl;Password=\"p;w\";Initial Catalog=dw;Provider=MSDASQL.1;Persist Security Info=False"
            ),
            "DSN=Sales;UID=etl;PWD={p;w};DATABASE=dw;"
        );
        assert_eq!(
            odbc(
                "OLEDB",
                "Provider=MSDASQL;Extended Properties=\"Driver={PostgreSQL Unicode};Server=h;Port=5432\";User ID=u"
            ),
            "Driver=PostgreSQL Unicode;Server=h;Port=5432;UID=u;"
        );
        // No Provider: an ODBC connection string, braces and all (the /Conn override).
        assert_eq!(
            odbc("OLEDB", "Driver={PostgreSQL Unicode};Server=h;Pwd={a;b}"),
            "Driver=PostgreSQL Unicode;Server=h;Pwd={a;b};"
        );
    }

    #[test]
    fn other_providers_are_refused_with_the_override_that_works() {
        let e = route(
            "Access",
            "OLEDB",
            "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=a.mdb",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("\"Microsoft.Jet.OLEDB.4.0\""), "{e}");
        assert!(
            e.contains("dtexec /Conn \"Access;Driver={MDBTools};"),
            "{e}"
        );
        let e = route(
            "Ora",
            "ADO.NET:Oracle.DataAccess.Client.OracleConnection, Oracle.DataAccess",
            "Data Source=x",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("ADO.NET provider \"Oracle.DataAccess.Client.OracleConnection\" (Oracle)"),
            "{e}"
        );
        let e = route("Pg", "OLEDB", "Data Source=localhost;Provider=PGNP.1;")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Driver={PostgreSQL Unicode}"), "{e}");
        let e = route("X", "EXCEL", "").unwrap_err().to_string();
        assert!(e.contains("\"EXCEL\""), "{e}");
        let e = route("Db", "OLEDB", "Data Source=h;User ID=u;Password=p")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("names no Provider") && e.contains("Provider=MSOLEDBSQL"),
            "{e}"
        );
    }

    #[test]
    fn bad_strings_and_settings_name_the_manager() {
        let e = route(
            "Db",
            "OLEDB",
            "Provider=SQLNCLI11;Data Source=h;Password='open",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("connection manager \"Db\": "), "{e}");
        assert!(e.contains("never closed"), "{e}");
        let e = route(
            "Db",
            "OLEDB",
            "Provider=SQLNCLI11;Integrated Security=SSPI;Data Source=h",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("Windows authentication"), "{e}");
        let e = route("Db", "ODBC", "Driver={x").unwrap_err().to_string();
        assert!(e.contains("never closed"), "{e}");
        let e = route("Db", "OLEDB", "Provider=SQLNCLI11;Initial Catalog=x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("names no server"), "{e}");
    }

    #[test]
    fn odbc_targets_describe_themselves_without_passwords() {
        let t = OdbcTarget::parse(
            "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Database=ssisd;Uid=u;Pwd=secret",
        )
        .unwrap();
        assert_eq!(t.driver(), Some("PostgreSQL Unicode"));
        assert_eq!(
            t.describe(),
            "ODBC driver \"PostgreSQL Unicode\", server 127.0.0.1:5432, database \"ssisd\""
        );
        assert_eq!(
            OdbcTarget::parse("DSN=Sales").unwrap().describe(),
            "ODBC data source \"Sales\""
        );
    }
}
