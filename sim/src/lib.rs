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
