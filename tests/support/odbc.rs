//! Whether an ODBC driver the tests need is installed, asked of the driver manager ssisd itself
//! uses (built in, reading /etc/odbcinst.ini), printing the SKIPPED line when it is not.
#![allow(dead_code)]

/// True when `name` is an installed ODBC driver; otherwise prints why the test is skipped.
pub fn have_driver(name: &str, packages: &str) -> bool {
    let installed = ssisd_sql::odbc::installed_drivers();
    let found = installed.iter().any(|d| d == name);
    if !found {
        println!(
            "SKIPPED: the ODBC driver \"{name}\" is not installed (installed: {}); install {packages}",
            if installed.is_empty() {
                "none".to_string()
            } else {
                installed.join(", ")
            }
        );
    }
    found
}
