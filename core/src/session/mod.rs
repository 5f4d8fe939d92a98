//! Sessions: message counters and replay windows, secure (PASE/CASE) and unsecured sessions,
//! and the per-node [`SessionManager`] with its resumption records.
//!
//! A [`Session`] turns datagrams into [`DecodedMessage`]s (decrypt, authenticate, counter
//! check) and protocol messages into datagrams (counter, nonce, encrypt). It mirrors
//! matter.js's `Session` interface; `docs/API-MAP.md` maps each member.

mod activity;
pub mod counter;
mod error;
pub mod keys;
pub mod manager;
pub mod params;
pub mod resumption;
pub mod resumption_codec;
pub mod secure;
pub mod unsecure;

use core::fmt;
use std::net::SocketAddr;

pub use error::SessionError;
pub use manager::{
    ActiveSessionInformation, ManagerContext, ManagerError, SessionEvent, SessionLimits,
    SessionManager,
};
pub use params::SessionParameters;
pub use resumption::{ResumptionId, ResumptionRecord};
pub use secure::{SecureSession, SecureSessionArgs, SessionKind};
pub use unsecure::{UnsecureSession, UnsecureSessionKey};

use crate::codec::{Destination, ProtocolHeader, ProtocolMessage};
use crate::fabric::{FabricIndex, NodeId};
use crate::mrp::MrpParameters;
use crate::time::Instant;

/// A message that passed a session: authenticated (secure sessions), counter-checked, with its
/// protocol header decoded. Owned: the plaintext of a secure message is a fresh buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedMessage {
    /// Local session id the message arrived on (0 for unsecured).
    pub session_id: u16,
    /// The sender's message counter.
    pub message_counter: u32,
    /// Source node id from the header, if present.
    pub source_node_id: Option<u64>,
    /// Destination from the header.
    pub destination: Destination,
    /// The protocol header (secured extensions are not kept: paseo, like matter.js, ignores
    /// them, Matter 1.3 §4.4.1).
    pub protocol: ProtocolHeader<'static>,
    /// The application payload after the protocol header.
    pub payload: Vec<u8>,
    /// The counter was seen before: do not deliver again, but ack it if reliable (Matter 1.3 §4.6).
    pub duplicate: bool,
}

impl DecodedMessage {
    /// Builds the owned form: `plaintext` holds the protocol header followed by the payload;
    /// the header is decoded and cut off in place (no second buffer).
    pub(crate) fn from_plaintext(
        session_id: u16,
        header: &crate::codec::MessageHeader<'_>,
        mut plaintext: Vec<u8>,
        duplicate: bool,
    ) -> Result<Self, crate::codec::DecodeError> {
        let parsed = ProtocolMessage::decode(&plaintext)?;
        let protocol = ProtocolHeader {
            secured_extensions: None,
            ..parsed.header
        };
        let header_len = plaintext.len() - parsed.payload.len();
        plaintext.drain(..header_len);
        Ok(DecodedMessage {
            session_id,
            message_counter: header.message_counter,
            source_node_id: header.source_node_id,
            destination: header.destination,
            protocol,
            payload: plaintext,
            duplicate,
        })
    }
}

/// A message decoded in place ([`SecureSession::decode_in_place`]): what a [`DecodedMessage`]
/// holds, with the payload borrowed from the caller's buffer instead of a fresh one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodedView<'a> {
    /// Local session id the message arrived on.
    pub session_id: u16,
    /// The sender's message counter.
    pub message_counter: u32,
    /// Source node id from the header, if present.
    pub source_node_id: Option<u64>,
    /// Destination from the header.
    pub destination: Destination,
    /// The protocol header (secured extensions not kept, as in [`DecodedMessage`]).
    pub protocol: ProtocolHeader<'static>,
    /// The application payload, inside the caller's buffer.
    pub payload: &'a [u8],
    /// The counter was seen before (§2.4).
    pub duplicate: bool,
}

impl DecodedView<'_> {
    /// The owned form (copies the payload; an empty payload, as on a standalone ack, costs no
    /// allocation).
    pub fn to_message(&self) -> DecodedMessage {
        DecodedMessage {
            session_id: self.session_id,
            message_counter: self.message_counter,
            source_node_id: self.source_node_id,
            destination: self.destination,
            protocol: self.protocol,
            payload: self.payload.to_vec(),
            duplicate: self.duplicate,
        }
    }
}

/// Rejects privacy, control and group flags: paseo implements unicast sessions only, and
/// drops such messages as matter.js 0.17.9 does for unicast (Matter 1.3 §4.4.1, §4.9).
pub(crate) fn check_unicast_flags(
    header: &crate::codec::MessageHeader<'_>,
) -> Result<(), SessionError> {
    let group = header.session_type != crate::codec::SessionType::Unicast;
    if header.privacy || header.control || group {
        return Err(SessionError::UnsupportedSecurityFlags {
            privacy: header.privacy,
            control: header.control,
            group,
        });
    }
    Ok(())
}

/// Where a session is in its life (Matter 1.3 §4.11; matter.js `session/NodeSession.ts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Usable.
    Active,
    /// Asked to close once its exchanges finish; refuses new exchanges.
    CloseAfterExchanges {
        /// Whether a CloseSession goes to the peer at the end.
        send_close: bool,
    },
    /// About to send its CloseSession; only that message may still be encoded.
    Closing,
    /// Gone: keys are no longer used.
    Closed,
}

/// Why a session ended (carried by `SessionEvent::Closed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Closed by this node.
    Local,
    /// The peer sent CloseSession.
    PeerClosed,
    /// Evicted to make room (no CloseSession sent).
    Evicted,
    /// The outbound counter ran out (Matter 1.3 §4.6).
    CounterExhausted,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Local => "local",
            CloseReason::PeerClosed => "peer-closed",
            CloseReason::Evicted => "evicted",
            CloseReason::CounterExhausted => "counter-exhausted",
        })
    }
}

/// What `destroy`/`end` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionClose {
    /// Exchanges are still running: the session closes when the last one is released.
    Deferred,
    /// The session is closed. With `send_close`, it waits in [`SessionState::Closing`] until
    /// the caller encodes the CloseSession message on a new exchange.
    Closed {
        /// A CloseSession is owed to the peer.
        send_close: bool,
    },
}

/// Extra facts a session carries about where it lives (the `context` of matter.js).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionContext {
    /// The peer's transport address as last seen (a peer may move, Matter 1.3 §4.7.2).
    pub peer_address: Option<SocketAddr>,
    /// When the session was created.
    pub created_at: Instant,
}

/// The members every session has: matter.js `Session`, in Rust idiom (sans-IO: `now` comes in,
/// nothing is sent from here).
pub trait Session {
    /// A stable, human-readable name for traces (e.g. `case/4660`).
    fn name(&self) -> String;
    /// Local session id (0 for the unsecured session).
    fn id(&self) -> u16;
    /// The peer's session id (0 for the unsecured session).
    fn peer_session_id(&self) -> u16;
    /// Our node id on this session (0 on PASE and unsecured sessions).
    fn node_id(&self) -> NodeId;
    /// The peer's node id (0 on PASE; the ephemeral initiator id on unsecured sessions).
    fn peer_node_id(&self) -> NodeId;
    /// The fabric of a CASE session.
    fn associated_fabric(&self) -> Option<FabricIndex>;
    /// Where the session lives.
    fn context(&self) -> &SessionContext;
    /// Whether messages are encrypted.
    fn is_secure(&self) -> bool;
    /// Whether this is a PASE (commissioning) session.
    fn is_pase(&self) -> bool;
    /// The peer's MRP parameters: they govern our retransmissions toward it (Matter 1.3 §4.12.8).
    fn mrp_parameters(&self) -> MrpParameters;
    /// Whether the peer sent us something within its active threshold (Matter 1.3 §4.12.2.1).
    fn is_peer_active(&self, now: Instant) -> bool;
    /// Records activity; `message_received` also refreshes the peer-active time.
    fn notify_activity(&mut self, now: Instant, message_received: bool);
    /// Whether the session is waiting for its exchanges to finish before closing.
    fn closing_after_exchange_finished(&self) -> bool;
    /// Authenticates and counter-checks a datagram addressed to this session.
    fn decode(
        &mut self,
        now: Instant,
        datagram: &crate::codec::Message<'_>,
    ) -> Result<DecodedMessage, SessionError>;
    /// Builds the datagram for a protocol message: next counter, nonce, encryption.
    fn encode(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
    ) -> Result<Vec<u8>, SessionError>;
    /// Closes the session, at once or after its exchanges (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`).
    fn destroy(
        &mut self,
        now: Instant,
        send_close: bool,
        close_after_exchange_finished: bool,
    ) -> SessionClose;
    /// Closes the session at once.
    fn end(&mut self, now: Instant, send_close: bool) -> SessionClose {
        self.destroy(now, send_close, false)
    }
}
