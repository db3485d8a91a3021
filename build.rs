//! Gives this package's binaries (dtexec, ssisd, …, and the tests and benchmarks) the RUNPATH
//! where the built-in ODBC driver manager finds drivers registered by file name only; the
//! directories come from ssisd-sql's build script (see sql/build.rs). Nothing else.

fn main() {
    if let Ok(dirs) = std::env::var("DEP_SSISD_ODBC_RPATH") {
        if !dirs.is_empty() {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dirs}");
        }
    }
    println!("cargo:rerun-if-env-changed=DEP_SSISD_ODBC_RPATH");
}
