//! Per-node counters. Bad input is dropped and counted here, never a panic.
//!
//! Every datagram handed to `Node::handle_datagram` lands in exactly one of: a drop counter
//! (summed by [`NodeStats::dropped`]), `duplicates`, `delivered` or `acks_received`, so
//! `datagrams_received == accounted()` holds after every call (the `node_datagrams` fuzz
//! target asserts it).

/// What a node has seen and done, cumulatively.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Datagrams handed to `handle_datagram`.
    pub datagrams_received: u64,
    /// Dropped: larger than `NodeConfig::max_datagram_size` (1280 bytes by default, Matter 1.3
    /// §4.4).
    pub oversized: u64,
    /// Dropped: did not parse (header, protocol header).
    pub malformed: u64,
    /// Dropped: named an unknown secure session or unsecured exchange, or an unsecured session
    /// in the wrong role (a reflection of our own message).
    pub unknown_session: u64,
    /// Dropped: failed AES-CCM authentication.
    pub undecryptable: u64,
    /// Dropped: privacy/control/group flags on unicast.
    pub unsupported: u64,
    /// Dropped: a new unsecured session was needed, the table was at
    /// `NodeConfig::max_unsecured_sessions` and every entry carried a running handshake.
    pub unsecured_table_full: u64,
    /// Authenticated duplicates (acked again if reliable, not delivered).
    pub duplicates: u64,
    /// Dropped: no exchange and no handler, or the session was closing.
    pub unsolicited_dropped: u64,
    /// PBKDFParamRequests and Sigma1s refused (answered BUSY, or only acked under
    /// `PaseBusyPolicy::Ignore`): a PASE handshake already running, the
    /// `NodeConfig::max_pending_handshakes` limit reached, a handshake already running on that
    /// unsecured session, or no session id free.
    pub handshakes_refused: u64,
    /// Messages delivered: to exchanges, to handshakes (including the request that starts a
    /// responder), and CloseSession to its session.
    pub delivered: u64,
    /// Messages consumed by MRP without delivery: standalone acks, and messages for an
    /// exchange that is closing (acked and ignored, Matter 1.3 §4.10).
    pub acks_received: u64,
    /// Unsecured sessions evicted to make room for a new one (their lingering exchanges were
    /// abandoned; never one carrying a handshake).
    pub unsecured_evicted: u64,
    /// Datagrams handed out by `poll_transmit` (first transmissions and acks).
    pub datagrams_sent: u64,
    /// Retransmissions among them.
    pub retransmissions: u64,
    /// Standalone acknowledgements among them.
    pub standalone_acks: u64,
    /// Reliable messages that were never acknowledged.
    pub delivery_failures: u64,
    /// Resumption records that could not be written to the store.
    pub store_errors: u64,
}

impl NodeStats {
    /// Datagrams dropped for any reason other than being duplicates (refused handshake
    /// requests included).
    pub fn dropped(&self) -> u64 {
        self.oversized
            + self.malformed
            + self.unknown_session
            + self.undecryptable
            + self.unsupported
            + self.unsecured_table_full
            + self.unsolicited_dropped
            + self.handshakes_refused
    }

    /// Datagrams with a recorded fate: dropped, duplicate, delivered or consumed by MRP.
    /// Always equal to `datagrams_received`.
    pub fn accounted(&self) -> u64 {
        self.dropped() + self.duplicates + self.delivered + self.acks_received
    }
}
