//! What a node hands back to its caller: datagrams to send, application events and
//! diagnostics.

use std::net::SocketAddr;

use crate::codec::ProtocolId;
use crate::exchange::ExchangeId;
use crate::session::CloseReason;

/// A datagram to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where it goes.
    pub destination: SocketAddr,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// Why a reliable message was not acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryError {
    /// MRP sent it `MRP_MAX_TRANSMISSIONS` times and waited out the last interval (Matter 1.3
    /// §4.12.2.1).
    RetransmissionsExhausted,
    /// Its session closed first (the message may or may not have arrived).
    SessionClosed,
}

/// Why an exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeCloseReason {
    /// Its owner closed it (and any last reliable message was acknowledged).
    Local,
    /// No response arrived in time.
    Timeout,
    /// Its session closed (locally, by the peer, by eviction or counter exhaustion).
    SessionClosed,
    /// Its last reliable message failed.
    DeliveryFailed,
}

/// An application-level happening, drained with `Node::poll_event`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A message arrived on an exchange. A message is delivered at most once, whatever the
    /// network duplicates.
    Message {
        /// The exchange (a new responder exchange for an unsolicited message).
        exchange: ExchangeId,
        /// Its protocol.
        protocol: ProtocolId,
        /// Its opcode.
        opcode: u8,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// The peer acknowledged our reliable message.
    Acknowledged {
        /// The exchange it was sent on.
        exchange: ExchangeId,
        /// Its message counter.
        message_counter: u32,
    },
    /// Our reliable message was not acknowledged.
    DeliveryFailed {
        /// The exchange it was sent on.
        exchange: ExchangeId,
        /// Its message counter.
        message_counter: u32,
        /// Why.
        reason: DeliveryError,
    },
    /// An exchange ended.
    ExchangeClosed {
        /// Which.
        exchange: ExchangeId,
        /// Why.
        reason: ExchangeCloseReason,
    },
    /// A secure session was established (or installed).
    SessionOpened {
        /// Local session id.
        session_id: u16,
        /// PASE rather than CASE.
        is_pase: bool,
        /// Resumed CASE.
        is_resumption: bool,
    },
    /// A PASE or CASE handshake ended without a session; all its state is gone.
    HandshakeFailed {
        /// The exchange it ran on.
        exchange: ExchangeId,
        /// Which handshake.
        kind: super::HandshakeKind,
        /// Why.
        error: super::HandshakeError,
    },
    /// A secure session ended.
    SessionClosed {
        /// Local session id.
        session_id: u16,
        /// Why.
        reason: CloseReason,
    },
}

/// What the node decided about an incoming datagram (for traces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxDecision {
    /// Delivered to an exchange (or a handshake).
    Delivered,
    /// A standalone acknowledgement, consumed by MRP.
    Ack,
    /// Seen before: acknowledged again if reliable, not delivered.
    Duplicate,
    /// Did not parse.
    Malformed,
    /// Larger than `NodeConfig::max_datagram_size`: dropped unread.
    Oversized,
    /// Named a session this node does not have.
    UnknownSession,
    /// Failed authentication.
    Undecryptable,
    /// Used privacy, control or group flags.
    Unsupported,
    /// Matched no exchange and no handler took it.
    Unsolicited,
    /// Arrived on a session that is closing and refuses new exchanges.
    SessionClosing,
    /// A PBKDFParamRequest or Sigma1 turned away by a limit (answered BUSY, or only acked
    /// under `PaseBusyPolicy::Ignore`); counted in `NodeStats::handshakes_refused`.
    Refused,
}

/// A trace record; only produced when diagnostics are enabled in the node config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diagnostic {
    /// A datagram came in.
    Received {
        /// From where.
        from: SocketAddr,
        /// Its session id.
        session_id: u16,
        /// Its message counter.
        message_counter: u32,
        /// Exchange id, if the protocol header could be read.
        exchange_id: Option<u16>,
        /// What happened to it.
        decision: RxDecision,
    },
    /// A datagram went out.
    Sent {
        /// To where.
        to: SocketAddr,
        /// Session id in its header.
        session_id: u16,
        /// Its message counter.
        message_counter: u32,
        /// Its exchange id.
        exchange_id: u16,
        /// 0 for the first transmission, n for the n-th retransmission.
        retransmission: u8,
    },
}
