//! `flatmin`: the command line of the flatmin toolkit. It parses arguments, calls the host library,
//! prints, and maps errors to exit codes (bad input → 2, failed run → 1, broken pipe → 0).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("flatmin: error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
