//! When a session last saw traffic: the least-recently-active ordering of eviction and the
//! peer-active test that picks MRP's base interval (Matter 1.3 §4.12.2.1, §4.14.2.8;
//! connectedhomeip `src/transport/SecureSessionTable.cpp`).

use crate::mrp::MrpParameters;
use crate::time::Instant;

/// Activity timestamps of one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activity {
    last_active: Instant,
    last_received: Option<Instant>,
}

impl Activity {
    /// Activity of a session created at `now`; `peer_active` starts the peer as active
    /// (matter.js does for secure sessions and responder-side unsecured sessions, Matter 1.3
    /// §4.12.2.1).
    pub fn new(now: Instant, peer_active: bool) -> Self {
        Activity {
            last_active: now,
            last_received: peer_active.then_some(now),
        }
    }

    /// Records traffic at `now`; `received` also refreshes the peer-active time. Time never
    /// moves backwards here.
    pub fn notify(&mut self, now: Instant, received: bool) {
        self.last_active = self.last_active.max(now);
        if received {
            self.last_received = Some(self.last_received.map_or(now, |at| at.max(now)));
        }
    }

    /// Whether the peer sent something within its active threshold.
    pub fn is_peer_active(&self, now: Instant, peer: &MrpParameters) -> bool {
        self.last_received
            .is_some_and(|at| peer.is_active(now.saturating_duration_since(at)))
    }

    /// Last traffic in either direction.
    pub fn last_active(&self) -> Instant {
        self.last_active
    }

    /// Last traffic from the peer.
    pub fn last_received(&self) -> Option<Instant> {
        self.last_received
    }
}
