//! `dtutil`: manage stored packages from the command line (see `ssisd::dtutil`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(ssisd::dtutil::run(&args))
}
