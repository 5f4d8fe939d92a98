//! `paseo`: command-line entry point; everything lives in the library (`paseo::cli`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(paseo::cli::main())
}
