//! `paseo`: the scenario language, the runner and the command line of the paseo simulator.
//! The binary (`src/main.rs`) only parses arguments and calls [`cli::main`].

pub mod capture;
pub mod cli;
pub mod conform;
pub mod decode;
pub mod explore;
pub mod html;
pub mod interop_run;
pub mod invocation;
pub mod progress;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod sweep;
pub mod sweep_results;

/// The README's Rust example ("Use paseo from your own tests") runs as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
