//! The `restake-sim` binary: parse the command line, dispatch, print the
//! error chain, return an exit code. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use restake_sim::{app, cli::Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = restake_sim::export::interrupt::install() {
        eprintln!(
            "warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave a hidden staging folder"
        );
    }
    match app::dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(app::exit_code_for(&error))
        }
    }
}
