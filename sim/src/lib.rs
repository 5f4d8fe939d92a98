//! `paseo-sim`: runs `paseo-core` nodes on a simulated lossy network with a virtual clock,
//! deterministically from one seed.
//!
//! - Each node is a turmoil host running [`host::NodeLoop`] over a turmoil UDP socket on
//!   turmoil's virtual time ([`io`]); the loop is generic over the socket and the clock, so the
//!   same loop runs on real UDP and the wall clock ([`io::real`]).
//! - Impairments (loss, duplication, latency, reordering, partitions) are ours, per directed
//!   link, on seeded ChaCha streams, applied at the sender ([`network`]).
//! - Crashes drop a node's volatile state; its [`disk::SimDisk`] keeps only what was synced.
//! - Every datagram and event becomes a [`trace::TraceRecord`] (text, JSON lines, pcap,
//!   Mermaid); [`oracle`]s check safety continuously and liveness after faults stop.
//! - [`Simulation`] is the API a scenario (and the YAML layer) drives; it skips idle virtual
//!   time, asking every host for its [`NextEvent`].
//! - [`scale`] builds the fleet scenario the scale test and the scale curve run.
//! - [`interop`] runs one node against a real peer (matter.js on loopback).

pub mod command;
pub mod disk;
pub mod host;
pub mod interop;
pub mod io;
pub mod local;
pub mod network;
mod next_event;
pub mod oracle;
pub mod scale;
pub mod seed;
mod sim;
mod sim_host;
pub mod trace;
mod world;

pub use command::{ActionId, Outcome};
pub use network::Impairments;
pub use next_event::NextEvent;
pub use oracle::{OracleKind, Violation};
pub use sim::{
    Action, ActionRecord, CASE_IN_NODE, CASE_MISSING, CountRange, DatagramCounter, EndReason,
    EventKind, Expectation, FloodMessage, Injection, MATTER_PORT, NodeCounter, RunOptions,
    RunReport, SimConfig, SimError, Simulation,
};
pub use world::{Commissioning, NodeSpec};

/// The turmoil this crate runs on: `paseo-turmoil` (third_party/turmoil, upstream 0.7.2 with
/// the per-host link index of its PASEO-PATCH.md), a real dependency rather than a
/// `[patch.crates-io]`, so crates that depend on paseo get the same simulator the project
/// tests. Naming the marker here makes a build against stock turmoil fail to compile.
pub const TURMOIL_PATCH: &str = turmoil::PASEO_PATCH;

#[cfg(test)]
mod turmoil_dependency {
    use std::path::Path;

    /// The `[[package]]` entries of a Cargo.lock named `name`, each as its `source` line
    /// (`None` for a path package).
    fn sources(lock: &str, name: &str) -> Vec<Option<String>> {
        lock.split("[[package]]")
            .filter(|block| block.lines().any(|l| l == format!("name = \"{name}\"")))
            .map(|block| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix("source = "))
                    .map(str::to_owned)
            })
            .collect()
    }

    fn lock(relative: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    #[test]
    fn the_simulator_runs_on_the_patched_turmoil() {
        assert!(super::TURMOIL_PATCH.starts_with("paseo-turmoil 0.7.2"));
    }

    /// The workspace and the fuzz crate (a crate outside the workspace that depends on paseo
    /// by path, as a user's crate would) both resolve `paseo-turmoil` from third_party/ and
    /// never crates.io's `turmoil`: with the old `[patch.crates-io]`, fuzz/Cargo.lock held
    /// the stock registry turmoil.
    #[test]
    fn every_lock_file_resolves_the_vendored_turmoil_and_no_stock_one() {
        for relative in ["../Cargo.lock", "../fuzz/Cargo.lock"] {
            let lock = lock(relative);
            assert_eq!(
                sources(&lock, "paseo-turmoil"),
                [None],
                "{relative}: paseo-turmoil must be the path package third_party/turmoil"
            );
            assert_eq!(
                sources(&lock, "turmoil"),
                Vec::<Option<String>>::new(),
                "{relative}: a stock turmoil is in the build"
            );
        }
    }
}
