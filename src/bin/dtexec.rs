//! `dtexec`: validates and runs one SSIS package from the command line, with Windows
//! dtexec's options, console output and exit codes. Everything happens in `src/dtexec/`; this
//! file only hands it argv and stdout and exits with the code it returns.

#[path = "../dtexec/mod.rs"]
mod dtexec;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout().lock();
    let code = match dtexec::run(args, std::io::BufWriter::new(stdout)) {
        Ok(code) => code.code(),
        Err(e) => {
            eprintln!("dtexec: {e:#}");
            ssisd_engine::cli::ExitCode::BadCommandLine.code()
        }
    };
    std::process::exit(code);
}
