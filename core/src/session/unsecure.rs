//! The unsecured session (session id 0) used by PASE and CASE establishment messages
//! (Matter 1.3 "Unsecured Session Context"): no encryption, the node-wide unencrypted counter, and
//! a rollover-tolerant replay window per peer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::codec::{Destination, Message, MessageHeader, ProtocolMessage, UNSECURED_SESSION_ID};
use crate::fabric::{FabricIndex, NodeId};
use crate::mrp::MrpParameters;
use crate::session::activity::Activity;
use crate::session::counter::{CounterVerdict, ReceptionMode, ReceptionState};
use crate::session::error::SessionError;
use crate::session::params::SessionParameters;
use crate::session::{DecodedMessage, Session, SessionClose, SessionContext, check_unicast_flags};
use crate::time::Instant;

/// Unsecured sessions are keyed by the peer's address and the ephemeral node id the
/// initiator picked (Matter 1.3 "Unsecured Session Context").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnsecureSessionKey {
    /// The peer's transport address.
    pub peer: SocketAddr,
    /// The initiator's ephemeral node id.
    pub initiator_node_id: NodeId,
}

/// The node-wide Global Unencrypted Message Counter (Matter 1.3 §4.6), shared by every unsecured
/// session of a node. It rolls over modulo 2^32. Cloning shares the counter.
///
/// An atomic rather than a `RefCell` only so that nodes stay `Send`; a node is driven from one
/// thread at a time, so the order of values is exactly the order of calls.
#[derive(Clone, Debug)]
pub struct SharedUnencryptedCounter(Arc<AtomicU32>);

impl SharedUnencryptedCounter {
    /// A counter whose next value is `first`.
    pub fn starting_at(first: u32) -> Self {
        SharedUnencryptedCounter(Arc::new(AtomicU32::new(first.wrapping_sub(1))))
    }

    /// A counter starting at a random value in [1, 2^28] (CHIP's `(rand32 & 0x0FFFFFFF) + 1`).
    pub fn random(rng: &mut impl rand_core::RngCore) -> Self {
        Self::starting_at((rng.next_u32() & 0x0FFF_FFFF) + 1)
    }

    /// Takes the next value.
    pub fn take_next(&self) -> u32 {
        self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    /// The value the next call to [`SharedUnencryptedCounter::take_next`] returns.
    pub fn peek(&self) -> u32 {
        self.0.load(Ordering::Relaxed).wrapping_add(1)
    }
}

/// One unsecured session.
#[derive(Clone, Debug)]
pub struct UnsecureSession {
    key: UnsecureSessionKey,
    we_initiate: bool,
    reception: ReceptionState,
    context: SessionContext,
    activity: Activity,
    peer_parameters: SessionParameters,
    counter: SharedUnencryptedCounter,
    closed: bool,
}

impl UnsecureSession {
    /// A new session. `we_initiate` decides the header node ids we send: the initiator puts
    /// its ephemeral id as source and no destination (so matter.js can find the session:
    /// `protocol/ExchangeManager.ts`); the responder puts it as destination and no source.
    pub fn new(
        now: Instant,
        key: UnsecureSessionKey,
        we_initiate: bool,
        counter: SharedUnencryptedCounter,
    ) -> Self {
        UnsecureSession {
            key,
            we_initiate,
            reception: ReceptionState::trust_first(ReceptionMode::Unencrypted),
            context: SessionContext {
                peer_address: Some(key.peer),
                created_at: now,
            },
            // matter.js assumes an idle peer when it initiates, an active one as responder (Matter
            // 1.3 §4.12.2.1).
            activity: Activity::new(now, !we_initiate),
            peer_parameters: SessionParameters::default(),
            counter,
            closed: false,
        }
    }

    /// The session's key.
    pub fn key(&self) -> UnsecureSessionKey {
        self.key
    }

    /// Whether we picked the ephemeral node id.
    pub fn we_initiate(&self) -> bool {
        self.we_initiate
    }

    /// Adopts the peer's session parameters once a handshake message carried them.
    pub fn set_peer_parameters(&mut self, parameters: SessionParameters) {
        self.peer_parameters = parameters;
    }

    /// Decodes a datagram for this session. Only the counter window applies: there is nothing
    /// to authenticate (Matter 1.3 "Unsecured Session Context").
    pub fn decode_message(
        &mut self,
        now: Instant,
        datagram: &Message<'_>,
    ) -> Result<DecodedMessage, SessionError> {
        let header = &datagram.header;
        if self.closed {
            return Err(SessionError::Closed);
        }
        if header.session_id != UNSECURED_SESSION_ID {
            return Err(SessionError::WrongSession {
                expected: UNSECURED_SESSION_ID,
                got: header.session_id,
            });
        }
        check_unicast_flags(header)?;
        // Nothing authenticates an unsecured message, so a malformed one must not move the
        // replay window: parse first, commit after.
        let mut decoded = DecodedMessage::from_plaintext(
            UNSECURED_SESSION_ID,
            header,
            datagram.payload.to_vec(),
            false,
        )?;
        decoded.duplicate = match self.reception.check(header.message_counter) {
            CounterVerdict::New => self.reception.commit(header.message_counter).is_err(),
            CounterVerdict::Duplicate => true,
        };
        self.notify_activity(now, true);
        Ok(decoded)
    }
}

impl Session for UnsecureSession {
    fn name(&self) -> String {
        format!("unsecure/{}", self.key.initiator_node_id)
    }

    fn id(&self) -> u16 {
        UNSECURED_SESSION_ID
    }

    fn peer_session_id(&self) -> u16 {
        UNSECURED_SESSION_ID
    }

    fn node_id(&self) -> NodeId {
        if self.we_initiate {
            self.key.initiator_node_id
        } else {
            NodeId::UNSPECIFIED
        }
    }

    fn peer_node_id(&self) -> NodeId {
        if self.we_initiate {
            NodeId::UNSPECIFIED
        } else {
            self.key.initiator_node_id
        }
    }

    fn associated_fabric(&self) -> Option<FabricIndex> {
        None
    }

    fn context(&self) -> &SessionContext {
        &self.context
    }

    fn is_secure(&self) -> bool {
        false
    }

    fn is_pase(&self) -> bool {
        false
    }

    fn mrp_parameters(&self) -> MrpParameters {
        self.peer_parameters.mrp
    }

    fn is_peer_active(&self, now: Instant) -> bool {
        self.activity.is_peer_active(now, &self.peer_parameters.mrp)
    }

    fn notify_activity(&mut self, now: Instant, message_received: bool) {
        self.activity.notify(now, message_received);
    }

    fn closing_after_exchange_finished(&self) -> bool {
        false
    }

    fn decode(
        &mut self,
        now: Instant,
        datagram: &Message<'_>,
    ) -> Result<DecodedMessage, SessionError> {
        self.decode_message(now, datagram)
    }

    /// Encodes `message` with the next value of the node's unencrypted counter.
    fn encode(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
    ) -> Result<Vec<u8>, SessionError> {
        if self.closed {
            return Err(SessionError::Closed);
        }
        let mut header = MessageHeader::unicast(UNSECURED_SESSION_ID, self.counter.take_next());
        if self.we_initiate {
            header.source_node_id = Some(self.key.initiator_node_id.0);
        } else {
            header.destination = Destination::Node(self.key.initiator_node_id.0);
        }
        let mut datagram = Vec::with_capacity(
            header.encoded_len() + message.header.encoded_len() + message.payload.len(),
        );
        header.encode(&mut datagram);
        message.encode(&mut datagram);
        self.notify_activity(now, false);
        Ok(datagram)
    }

    /// An unsecured session has no keys and sends no CloseSession; it just ends.
    fn destroy(
        &mut self,
        _now: Instant,
        _send_close: bool,
        _close_after_exchange_finished: bool,
    ) -> SessionClose {
        self.closed = true;
        SessionClose::Closed { send_close: false }
    }
}
