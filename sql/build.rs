//! Where the built-in ODBC driver manager finds drivers registered by file name only.
//!
//! The driver manager is unixODBC compiled into this crate (odbc-sys' `vendored-unix-odbc`).
//! Distributions register their drivers in /etc/odbcinst.ini by bare file name
//! (`Driver=psqlodbcw.so`) and build their own libodbc to search their ODBC module directory
//! (`/usr/lib/x86_64-linux-gnu/odbc` on Debian); the built-in one calls `dlopen` with the bare
//! name, which searches the RUNPATH of the executable that calls it. So every executable that
//! opens ODBC connections gets those directories as its RUNPATH: this crate's own test
//! binaries here, and other packages' binaries through their build script, which reads
//! `DEP_SSISD_ODBC_RPATH` (the `links` metadata below) and passes it on the same way. This
//! script only computes and prints the directories; it must not build anything.

use std::env;

fn main() {
    let dirs = module_dirs();
    if dirs.is_empty() {
        return;
    }
    let joined = dirs.join(":");
    println!("cargo:rpath={joined}");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{joined}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// The ODBC module directories of the target system: the Debian/Ubuntu multiarch one, the
/// pre-multiarch one, and /usr/local/lib where self-built drivers go.
fn module_dirs() -> Vec<String> {
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        return Vec::new();
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let endian = env::var("CARGO_CFG_TARGET_ENDIAN").unwrap_or_default();
    let abi = env::var("CARGO_CFG_TARGET_ABI").unwrap_or_default();
    let mut dirs = Vec::new();
    if target_env == "gnu" {
        let triplet = match (arch.as_str(), endian.as_str()) {
            ("x86", _) => Some("i386-linux-gnu".to_string()),
            ("arm", _) if abi == "eabihf" => Some("arm-linux-gnueabihf".to_string()),
            ("arm", _) => Some("arm-linux-gnueabi".to_string()),
            ("powerpc64", "little") => Some("powerpc64le-linux-gnu".to_string()),
            ("x86_64" | "aarch64" | "riscv64" | "s390x" | "powerpc64" | "loongarch64", _) => {
                Some(format!("{arch}-linux-gnu"))
            }
            _ => None,
        };
        if let Some(t) = triplet {
            dirs.push(format!("/usr/lib/{t}/odbc"));
        }
    }
    dirs.push("/usr/lib/odbc".into());
    dirs.push("/usr/local/lib".into());
    dirs
}
