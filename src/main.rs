//! `paseo`: command-line entry point. Subcommands live in their own modules; this file only
//! parses arguments, prints and picks the exit code.

mod decode;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for input that cannot be decoded (bad hex, malformed datagram).
const EXIT_BAD_INPUT: u8 = 3;

/// Deterministic simulation and conformance harness for the Matter session layer.
#[derive(Debug, Parser)]
#[command(name = "paseo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode one Matter datagram given as hex: message header and, on the unsecured
    /// session, the protocol header.
    Decode {
        /// Print one JSON object (field names as in message_codec.json) instead of lines.
        #[arg(long)]
        json: bool,
        /// The datagram as hex (whitespace and a 0x prefix are ignored).
        hex: String,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode { json, hex } => match decode::render(&hex, json) {
            Ok(text) => {
                print!("{text}");
                if json {
                    println!();
                }
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("paseo decode: {err}");
                ExitCode::from(EXIT_BAD_INPUT)
            }
        },
    }
}
