//! Skipping the silence: what every simulated host reports before a step, so the driver can
//! advance virtual time straight to the next instant at which anything can happen.
//!
//! The driver ([`crate::Simulation::run`]) steps turmoil one tick (1 ms) at a time only while
//! something is due. Before each step it asks every host for its [`NextEvent::next_event`],
//! takes the earliest together with its own deadlines (timed actions, waits and expectations,
//! the time limit, the liveness deadline) and the delivery times of the datagrams turmoil still
//! holds ([`turmoil::Sim::waiting_datagrams`], our patch). When the earliest instant is more
//! than a tick away, it runs the idle ticks up to it as one long turmoil step ([`turmoil::Sim::step_by`]): no host timer expires in it, so every host sees
//! exactly what it would have seen, and the trace stays byte-identical.
//!
//! A host kind that joins the simulation (for example a foreign stack's process on the virtual
//! clock) takes part by implementing [`NextEvent`] with its own next timer; a host that cannot
//! tell must answer "now", which turns skipping off while it runs.

use paseo_core::time::Instant;

/// Something in the simulation that can act on its own at a known virtual instant.
pub trait NextEvent {
    /// The earliest virtual instant at which this host may do anything without first being
    /// sent a datagram or a command: its earliest timer (a protocol deadline, a datagram
    /// waiting in its arrival queue for its delivery time, a disk sync), or an instant at or
    /// before now if it has work already (a command queued, software starting). `None`: it
    /// only waits for others. Answering too early costs speed; answering too late changes
    /// the trace, so when in doubt, answer early.
    fn next_event(&self) -> Option<Instant>;
}
