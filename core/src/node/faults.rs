//! Deliberate misbehaviour, for testing the checks that are meant to catch it.
//!
//! The simulator (`paseo-sim`) watches every run with oracles: no (key, nonce) reuse, no double
//! delivery, liveness, nothing sent into a closed session, session tables that agree. An oracle
//! that never fires proves nothing, so each one is tested against a node broken on purpose by
//! one of these switches. They are off by default, hidden from the documentation, and each
//! touches the normal path at exactly one call site.

use super::Node;
use crate::exchange::SessionRef;
use crate::session::SecureSessionArgs;

/// Switches that make a node break a protocol rule on purpose (tests of oracles only).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeFaults {
    /// Every new message on a secure session reuses the counter of the previous one (a second
    /// message under the same key and nonce).
    pub reuse_counter: bool,
    /// Duplicates are delivered to the application again instead of only being acked.
    pub deliver_duplicates: bool,
    /// Never acknowledge: no standalone acks, no piggybacked acks.
    pub forget_ack: bool,
    /// When a session closes, its exchanges survive and their retransmission timers keep
    /// firing into the dead session.
    pub keep_closed_session_timers: bool,
    /// Installed sessions record the peer's session id plus one (the tables disagree).
    pub skew_peer_session_id: bool,
}

impl Node {
    /// `reuse_counter`: rewinds the session's counter so the next message takes the last one.
    pub(super) fn fault_rewind_counter(&mut self, session: SessionRef) {
        if !self.config.faults.reuse_counter {
            return;
        }
        if let SessionRef::Secure(id) = session
            && let Some(s) = self.sessions.get_session_mut(id)
        {
            s.reuse_last_counter_for_fault();
        }
    }

    /// `forget_ack`: whether acknowledgements are suppressed.
    pub(super) fn fault_forgets_acks(&self) -> bool {
        self.config.faults.forget_ack
    }

    /// `deliver_duplicates`: whether duplicates go to the application.
    pub(super) fn fault_delivers_duplicates(&self) -> bool {
        self.config.faults.deliver_duplicates
    }

    /// `keep_closed_session_timers`: whether a closed session's exchanges are kept.
    pub(super) fn fault_keeps_closed_exchanges(&self) -> bool {
        self.config.faults.keep_closed_session_timers
    }

    /// `skew_peer_session_id`: records a wrong peer session id (never 0).
    pub(super) fn fault_skew_session_args(&self, args: &mut SecureSessionArgs<'_>) {
        if self.config.faults.skew_peer_session_id {
            args.peer_session_id = args.peer_session_id.checked_add(1).unwrap_or(1);
        }
    }
}
