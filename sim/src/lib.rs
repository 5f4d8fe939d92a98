//! `paseo-sim`: runs `paseo-core` nodes on a simulated lossy network with a virtual clock.
//!
//! The engine (turmoil hosts, impairments, traces, oracles) arrives with the simulation issue;
//! for now the crate only fixes its place in the workspace.
