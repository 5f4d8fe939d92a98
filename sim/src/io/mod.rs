//! The seam between a node's loop and the outside world: a datagram socket and a clock.
//!
//! The node loop ([`crate::host::NodeLoop`]) is generic over both, so the same loop runs
//! - in the simulator: [`SimSocket`] (turmoil UDP plus our impairments) and [`TurmoilClock`]
//!   (turmoil's virtual time), and
//! - against real peers (matter.js on loopback, later): [`real::RealUdp`] (tokio UDP) and
//!   [`real::RealClock`] (the wall clock — the only place `std::time::Instant` is read).

pub mod real;
mod sim;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use paseo_core::time::Instant;

pub(crate) use sim::open_envelope;
pub use sim::{ENVELOPE_LEN, SimSocket, TurmoilClock};

/// A UDP-like socket.
pub trait DatagramIo {
    /// Our address, as peers see it.
    fn local_addr(&self) -> SocketAddr;

    /// Hands `payload` to the network for `to` at time `now`.
    fn send_to(
        &mut self,
        now: Instant,
        payload: &[u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<()>>;

    /// The next datagram that has arrived, with its sender. Cancel-safe: a datagram is never
    /// lost when the future is dropped before it resolves.
    fn recv_from(&mut self) -> impl Future<Output = io::Result<(Vec<u8>, SocketAddr)>>;
}

/// A clock on paseo-core's [`Instant`] scale (microseconds since the clock's origin).
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;

    /// Resolves at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()>;
}
