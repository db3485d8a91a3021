//! `dtexec`: validates and runs one SSIS package from the command line, with Windows
//! dtexec's options, console output and exit codes. Everything happens in `src/dtexec/`; this
//! file only hands it argv and stdout and exits with the code it returns.

#[path = "../dtexec/mod.rs"]
mod dtexec;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // A runner of the fetch transport gets its package and arguments from the service first.
    let fetched = match dtexec::fetch::from_env(&args) {
        None => None,
        Some(Ok(f)) => {
            args = f.args.clone();
            Some(f)
        }
        Some(Err(e)) => {
            eprintln!("dtexec: {e}");
            std::process::exit(ssisd_engine::cli::ExitCode::Failure.code());
        }
    };
    let stdout = std::io::stdout().lock();
    let code = match dtexec::run(args, std::io::BufWriter::new(stdout)) {
        Ok(code) => code.code(),
        Err(e) => {
            eprintln!("dtexec: {e:#}");
            ssisd_engine::cli::ExitCode::BadCommandLine.code()
        }
    };
    drop(fetched);
    std::process::exit(code);
}
