//! The simulated side of the seam: turmoil's virtual clock and a turmoil UDP socket with our
//! impairments in front (see [`crate::network`] for why they are applied at the sender).
//!
//! A datagram's trip: the sender's [`SimSocket::send_to`] decides its fate on the link's RNG
//! and sends each surviving copy through turmoil (latency 0) inside an envelope carrying its
//! delivery time; the receiver's [`SimSocket::recv_from`] moves arrivals into the host's
//! arrival queue and hands each to the node at its delivery time. turmoil steps hosts one
//! after another, so without the envelope a host later in the step could see a datagram
//! before the virtual time it was sent at.
//!
//! Crashes: a datagram is lost (and traced as `dropped by network (host down)`) when its
//! receiver is down at the moment it is sent, when the receiver crashes before it is due, or
//! when it was due while the receiver was down. One sent before a crash and due after the
//! restart arrives, as it would on a real wire.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use paseo_core::time::Instant;

use super::{Clock, DatagramIo};
use crate::network::{DropReason, Fate};
use crate::world::{Arrival, HostState, World};

/// Bytes of the envelope in front of every simulated datagram: delivery time (µs, LE) and a
/// network-wide sequence number (LE) that orders datagrams due at the same instant.
pub const ENVELOPE_LEN: usize = 16;

/// turmoil's virtual time as a paseo [`Instant`]: microseconds since the simulation started.
/// It keeps running across a host's crash and restart. tokio's timers have a 1 ms resolution,
/// so hosts wake on whole milliseconds: a 412.5 µs-precise MRP deadline fires at the next
/// millisecond (late, never early), deterministically.
#[derive(Clone, Copy, Debug, Default)]
pub struct TurmoilClock;

impl Clock for TurmoilClock {
    fn now(&self) -> Instant {
        // Only `None` outside a running host, where nothing asks.
        let elapsed = turmoil::sim_elapsed().unwrap_or_default();
        Instant::from_micros(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
    }

    async fn sleep_until(&self, deadline: Instant) {
        let now = self.now();
        if deadline > now {
            // tokio rounds up to its 1 ms timer resolution, so we never wake early.
            tokio::time::sleep(deadline - now).await;
        }
    }
}

/// A node's socket in the simulation: turmoil UDP, with the link's impairments decided at send
/// time and arrivals held until their delivery time.
pub struct SimSocket {
    socket: turmoil::net::UdpSocket,
    world: Rc<World>,
    host: Rc<HostState>,
    clock: TurmoilClock,
    buf: Vec<u8>,
}

impl SimSocket {
    /// Binds the host's Matter port on turmoil.
    pub(crate) async fn bind(world: Rc<World>, host: Rc<HostState>) -> io::Result<Self> {
        // turmoil binds the unspecified address only; sends go out from the host's address.
        let any = SocketAddr::new(std::net::Ipv6Addr::UNSPECIFIED.into(), host.addr.port());
        let socket = turmoil::net::UdpSocket::bind(any).await?;
        Ok(SimSocket {
            socket,
            world,
            host,
            clock: TurmoilClock,
            buf: vec![0; 65_536],
        })
    }

    /// Moves everything turmoil has delivered into the host's arrival queue.
    fn drain_socket(&mut self) {
        while let Ok((len, from)) = self.socket.try_recv_from(&mut self.buf) {
            if let Some(datagram) = self.buf.get(..len) {
                accept(&self.world, &self.host, from, datagram);
            }
        }
    }

    fn pop_due(&self, now: Instant) -> Option<(Vec<u8>, SocketAddr)> {
        let mut ingress = self.host.ingress.borrow_mut();
        let entry = ingress.first_entry()?;
        if entry.key().0 > now {
            return None;
        }
        let arrival = entry.remove();
        Some((arrival.payload, arrival.from))
    }
}

impl DatagramIo for SimSocket {
    fn local_addr(&self) -> SocketAddr {
        self.host.addr
    }

    async fn send_to(&mut self, now: Instant, payload: &[u8], to: SocketAddr) -> io::Result<()> {
        let from = self.host.addr;
        let Some(dest) = self.world.host_at(to) else {
            self.world
                .net_line(now, from, to, payload, DropReason::NoRoute);
            return Ok(());
        };
        if !dest.up.get() {
            self.world
                .net_line(now, from, to, payload, DropReason::HostDown);
            return Ok(());
        }
        let fate = self
            .world
            .network
            .borrow_mut()
            .decide(self.host.index, dest.index);
        let delays = match fate {
            Fate::Dropped(reason) => {
                self.world.net_line(now, from, to, payload, reason);
                return Ok(());
            }
            Fate::Delivered(delays) => delays,
        };
        if delays.len() > 1 {
            self.world.net_duplicated(now, from, to, payload);
        }
        for delay in delays {
            let seq = self.world.next_seq();
            let datagram = seal_envelope(now + delay, seq, payload);
            // turmoil refuses only unknown hosts, which `host_at` already ruled out.
            let _ = self.socket.send_to(&datagram, to).await;
        }
        Ok(())
    }

    async fn recv_from(&mut self) -> io::Result<(Vec<u8>, SocketAddr)> {
        loop {
            self.drain_socket();
            let now = self.clock.now();
            if let Some(ready) = self.pop_due(now) {
                return Ok(ready);
            }
            let next = self.host.ingress.borrow().keys().next().map(|(at, _)| *at);
            let wait = next.map_or(Duration::from_secs(3600), |at| at - now);
            tokio::select! {
                biased;
                readable = self.socket.readable() => readable?,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Queues an arrived envelope for its delivery time.
fn accept(world: &World, host: &HostState, from: SocketAddr, datagram: &[u8]) {
    let Some((deliver_at, seq, payload)) = open_envelope(datagram) else {
        return;
    };
    if deliver_at < host.up_since.get() {
        // Due while this host was down: it never arrived.
        let now = TurmoilClock.now();
        world.net_line(now, from, host.addr, payload, DropReason::HostDown);
        return;
    }
    host.ingress.borrow_mut().insert(
        (deliver_at, seq),
        Arrival {
            from,
            payload: payload.to_vec(),
        },
    );
}

/// `deliver_at ‖ seq ‖ payload`.
pub(crate) fn seal_envelope(deliver_at: Instant, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENVELOPE_LEN + payload.len());
    out.extend_from_slice(&deliver_at.as_micros().to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Splits an envelope; `None` if it is too short (nothing else sends on the simulated network,
/// but a short datagram is dropped rather than trusted).
pub(crate) fn open_envelope(datagram: &[u8]) -> Option<(Instant, u64, &[u8])> {
    let (at, rest) = datagram.split_first_chunk::<8>()?;
    let (seq, payload) = rest.split_first_chunk::<8>()?;
    Some((
        Instant::from_micros(u64::from_le_bytes(*at)),
        u64::from_le_bytes(*seq),
        payload,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_short_ones_are_refused() {
        let sealed = seal_envelope(Instant::from_micros(1234), 7, b"hello");
        assert_eq!(
            open_envelope(&sealed),
            Some((Instant::from_micros(1234), 7, &b"hello"[..]))
        );
        assert_eq!(open_envelope(&sealed[..15]), None);
    }
}
