//! Per-exchange MRP state (Matter 1.3 §4.12.2, §4.12.5.2): the one reliable message we may have
//! outstanding, and the acknowledgement we owe the peer.

use core::time::Duration;
use std::net::SocketAddr;

use rand_core::RngCore;

use crate::mrp::{JitterFraction, MRP_STANDALONE_ACK_TIMEOUT, MrpParameters};
use crate::time::Instant;

/// Our reliable message awaiting its ack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outstanding {
    /// The exact bytes sent; retransmissions reuse them (same counter, Matter 1.3 §4.6).
    pub datagram: Vec<u8>,
    /// Where they go.
    pub destination: SocketAddr,
    /// The message counter the peer's ack must name.
    pub message_counter: u32,
    /// Transmissions so far (1 after the first send, at most `MRP_MAX_TRANSMISSIONS`).
    pub transmissions: u8,
    /// When to retransmit, or to give up after the last transmission.
    pub next_at: Instant,
}

/// An acknowledgement we owe: piggybacked on our next message on the exchange, or sent
/// standalone at `deadline` (Matter 1.3 §4.12.5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingAck {
    /// The peer's message counter to acknowledge.
    pub counter: u32,
    /// When the standalone ack goes out if nothing else did.
    pub deadline: Instant,
}

/// MRP state of one exchange.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reliability {
    /// Our unacknowledged reliable message (at most one per exchange, Matter 1.3 §4.12.2).
    pub outstanding: Option<Outstanding>,
    /// The ack we owe.
    pub pending_ack: Option<PendingAck>,
}

impl Reliability {
    /// The earliest MRP deadline on the exchange.
    pub fn next_deadline(&self) -> Option<Instant> {
        let retransmit = self.outstanding.as_ref().map(|o| o.next_at);
        let ack = self.pending_ack.map(|a| a.deadline);
        [retransmit, ack].into_iter().flatten().min()
    }

    /// Takes the pending ack so that it rides on a message going out now.
    pub fn take_piggyback(&mut self) -> Option<u32> {
        self.pending_ack.take().map(|a| a.counter)
    }

    /// A reliable message from the peer arrived: it becomes the pending ack. If an older ack
    /// was still pending, it is returned to be flushed at once as a standalone ack (0.17.9
    /// behaviour: the new message is processed, not dropped, Matter 1.3 §4.12.5.2).
    pub fn owe_ack(&mut self, counter: u32, now: Instant) -> Option<u32> {
        let previous = self.pending_ack.replace(PendingAck {
            counter,
            deadline: now + MRP_STANDALONE_ACK_TIMEOUT,
        });
        previous.map(|p| p.counter).filter(|&c| c != counter)
    }

    /// The peer acknowledged `counter`: clears and returns our outstanding message if it was
    /// that one (a mismatched ack is ignored).
    pub fn acknowledge(&mut self, counter: u32) -> Option<Outstanding> {
        if self
            .outstanding
            .as_ref()
            .is_some_and(|o| o.message_counter == counter)
        {
            self.outstanding.take()
        } else {
            None
        }
    }
}

/// Where the jitter of each retransmission wait comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum JitterSource {
    /// Drawn from the node's seeded RNG for every wait (the normal case).
    #[default]
    Random,
    /// Always this fraction: `JitterFraction::ZERO` gives the minimum schedule and
    /// `JitterFraction::MAX` the worst case (matter.js `calculateMaximum`, Matter 1.3 §4.12.2.1).
    Fixed(JitterFraction),
}

impl JitterSource {
    /// The jitter for the next wait.
    pub fn next(self, rng: &mut impl RngCore) -> JitterFraction {
        match self {
            JitterSource::Random => JitterFraction::draw(rng),
            JitterSource::Fixed(fraction) => fraction,
        }
    }
}

/// The wait after transmission `n` (0 = the initial send) toward a peer with `peer` parameters
/// (Matter 1.3 §4.12.2.1). Rounded down to whole microseconds (the virtual clock's resolution).
pub fn wait_after(
    peer: &MrpParameters,
    peer_active: bool,
    n: u8,
    jitter: JitterFraction,
) -> Duration {
    match peer.retransmission_timeout(peer_active, n, jitter) {
        Ok(exact) => {
            let d = exact.to_duration();
            Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        }
        // Only n ≥ MRP_MAX_TRANSMISSIONS fails, and callers never ask for that; fall back to
        // the largest legal wait rather than panic.
        Err(_) => peer.base_interval(peer_active) * 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outstanding(counter: u32) -> Outstanding {
        Outstanding {
            datagram: vec![1, 2, 3],
            destination: "127.0.0.1:5540".parse().expect("addr"),
            message_counter: counter,
            transmissions: 1,
            next_at: Instant::from_millis(330),
        }
    }

    #[test]
    fn only_the_matching_ack_clears_the_outstanding_message() {
        let mut r = Reliability {
            outstanding: Some(outstanding(7)),
            pending_ack: None,
        };
        assert_eq!(r.acknowledge(6), None);
        assert!(r.outstanding.is_some());
        assert_eq!(r.acknowledge(7).map(|o| o.message_counter), Some(7));
        assert_eq!(r.acknowledge(7), None);
    }

    #[test]
    fn a_second_reliable_message_flushes_the_older_ack() {
        let mut r = Reliability::default();
        assert_eq!(r.owe_ack(10, Instant::ZERO), None);
        assert_eq!(r.next_deadline(), Some(Instant::from_millis(200)));
        assert_eq!(r.owe_ack(11, Instant::from_millis(50)), Some(10));
        assert_eq!(
            r.pending_ack,
            Some(PendingAck {
                counter: 11,
                deadline: Instant::from_millis(250)
            })
        );
        // The same counter again (a retransmission) restarts nothing to flush.
        assert_eq!(r.owe_ack(11, Instant::from_millis(60)), None);
        assert_eq!(r.take_piggyback(), Some(11));
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn waits_follow_the_backoff_formula_within_jitter() {
        use rand_core::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let peer = MrpParameters::default();
        let table = [
            (0u8, 330_000, 412_500),
            (1, 330_000, 412_500),
            (2, 528_000, 660_000),
            (3, 844_800, 1_056_000),
            (4, 1_351_680, 1_689_600),
        ];
        for (n, lo, hi) in table {
            let us = |jitter| wait_after(&peer, true, n, jitter).as_micros();
            assert_eq!(us(JitterFraction::ZERO), lo);
            assert_eq!(us(JitterFraction::MAX), hi);
            let drawn = us(JitterSource::Random.next(&mut rng));
            assert!((lo..=hi).contains(&drawn), "n={n}: {drawn}");
            // An idle peer (base 500 ms instead of 300 ms) waits exactly 5/3 as long.
            assert_eq!(
                wait_after(&peer, false, n, JitterFraction::ZERO).as_micros(),
                lo * 5 / 3
            );
        }
    }
}
