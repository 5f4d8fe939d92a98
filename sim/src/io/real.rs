//! The real side of the seam: a tokio UDP socket and the wall clock, for running a paseo node
//! against real peers (matter.js on loopback). NOT deterministic, never used by the simulator.
//!
//! This file is the only place in paseo that reads `std::time::Instant`; paseo-core and the
//! simulated path never do.

use std::io;
use std::net::SocketAddr;

use paseo_core::time::Instant;

use super::{Clock, DatagramIo};

/// The wall clock, as microseconds since the clock was made.
#[derive(Clone, Copy, Debug)]
pub struct RealClock {
    // REAL TIME: the wall-clock origin of this clock.
    origin: std::time::Instant,
}

impl RealClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        RealClock {
            origin: std::time::Instant::now(),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Instant {
        let elapsed = self.origin.elapsed();
        Instant::from_micros(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
    }

    async fn sleep_until(&self, deadline: Instant) {
        let at = self.origin + std::time::Duration::from_micros(deadline.as_micros());
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
    }
}

/// A real UDP socket (tokio).
pub struct RealUdp {
    socket: tokio::net::UdpSocket,
    local: SocketAddr,
    buf: Vec<u8>,
}

impl RealUdp {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let socket = tokio::net::UdpSocket::bind(addr).await?;
        let local = socket.local_addr()?;
        Ok(RealUdp {
            socket,
            local,
            buf: vec![0; 65_536],
        })
    }
}

impl DatagramIo for RealUdp {
    fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn send_to(&mut self, _now: Instant, payload: &[u8], to: SocketAddr) -> io::Result<()> {
        self.socket.send_to(payload, to).await.map(|_| ())
    }

    async fn recv_from(&mut self) -> io::Result<(Vec<u8>, SocketAddr)> {
        // tokio's recv_from is cancel-safe.
        let (len, from) = self.socket.recv_from(&mut self.buf).await?;
        let datagram = self.buf.get(..len).unwrap_or_default().to_vec();
        Ok((datagram, from))
    }
}
