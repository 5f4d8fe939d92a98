//! Per-node counters. Bad input is dropped and counted here, never a panic.

/// What a node has seen and done, cumulatively.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Datagrams handed to `handle_datagram`.
    pub datagrams_received: u64,
    /// Dropped: did not parse (header, protocol header).
    pub malformed: u64,
    /// Dropped: named an unknown secure session or unsecured exchange.
    pub unknown_session: u64,
    /// Dropped: failed AES-CCM authentication.
    pub undecryptable: u64,
    /// Dropped: privacy/control/group flags on unicast.
    pub unsupported: u64,
    /// Authenticated duplicates (acked again if reliable, not delivered).
    pub duplicates: u64,
    /// Dropped: no exchange and no handler, or the session was closing.
    pub unsolicited_dropped: u64,
    /// Messages delivered to exchanges.
    pub delivered: u64,
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
    /// Datagrams dropped for any reason other than being duplicates.
    pub fn dropped(&self) -> u64 {
        self.malformed
            + self.unknown_session
            + self.undecryptable
            + self.unsupported
            + self.unsolicited_dropped
    }
}
