//! A secure unicast session (PASE or CASE): AES-128-CCM with per-direction keys, a
//! non-wrapping outbound counter and the encrypted-unicast replay window
//! (Matter 1.3 §4.8, §4.6, §4.11; matter.js `session/NodeSession.ts`).

use std::collections::BTreeSet;
use std::net::SocketAddr;

use crate::codec::{
    Message, MessageHeader, ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode,
    StatusReport, message_nonce,
};
use crate::crypto::CCM_MIC_LEN;
use crate::fabric::{FabricIndex, NodeId};
use crate::mrp::MrpParameters;
use crate::session::activity::Activity;
use crate::session::counter::{CounterVerdict, MessageCounter, ReceptionState};
use crate::session::error::SessionError;
use crate::session::keys::{KeyLogEntry, SessionKeyMaterial, SessionKeys};
use crate::session::params::SessionParameters;
use crate::session::{
    CloseReason, DecodedMessage, DecodedView, Session, SessionClose, SessionContext, SessionState,
    check_unicast_flags,
};
use crate::time::Instant;

/// How the session was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SessionKind {
    /// Passcode-authenticated (commissioning); no fabric, node ids 0.
    Pase,
    /// Certificate-authenticated, on a fabric.
    Case,
}

/// Everything a finished handshake hands to `create_secure_session` (matter.js
/// `createSecureSession` arguments).
pub struct SecureSessionArgs<'a> {
    /// Current time.
    pub now: Instant,
    /// Our local session id (what the peer puts in its headers).
    pub session_id: u16,
    /// The peer's session id (what we put in our headers).
    pub peer_session_id: u16,
    /// PASE or CASE.
    pub kind: SessionKind,
    /// The fabric of a CASE session.
    pub fabric: Option<FabricIndex>,
    /// Our operational node id (0 for PASE).
    pub local_node_id: NodeId,
    /// The peer's operational node id (0 for PASE).
    pub peer_node_id: NodeId,
    /// The peer's CASE Authenticated Tags.
    pub peer_cats: Vec<u32>,
    /// The handshake secret: Ke for PASE, the ECDH secret for CASE.
    pub shared_secret: &'a [u8],
    /// The HKDF salt (empty for PASE; Matter 1.3 §4.14.2 / Matter 1.3 §4.14.2 for CASE).
    pub salt: &'a [u8],
    /// Whether we initiated the handshake (we then encrypt with I2R).
    pub is_initiator: bool,
    /// Whether this is a resumed CASE session ("SessionResumptionKeys").
    pub is_resumption: bool,
    /// The peer's session parameters (MRP intervals and revisions).
    pub peer_parameters: SessionParameters,
    /// The peer's transport address.
    pub peer_address: Option<SocketAddr>,
}

/// A secure unicast session.
pub struct SecureSession {
    id: u16,
    peer_session_id: u16,
    kind: SessionKind,
    fabric: Option<FabricIndex>,
    local_node_id: NodeId,
    peer_node_id: NodeId,
    peer_cats: Vec<u32>,
    keys: SessionKeys,
    /// The same keys as a key log entry, for [`SecureSession::key_log`] only.
    key_log: KeyLogEntry,
    is_initiator: bool,
    is_resumption: bool,
    peer_parameters: SessionParameters,
    counter: MessageCounter,
    reception: ReceptionState,
    context: SessionContext,
    activity: Activity,
    state: SessionState,
    close_reason: Option<CloseReason>,
    exchanges: BTreeSet<(u16, bool)>,
    active_subscriptions: u32,
}

impl SecureSession {
    /// Builds a session and derives its keys. `counter` is the outbound counter to use (the
    /// manager draws its start from the node's RNG, or a forced start for tests).
    pub fn new(args: SecureSessionArgs<'_>, counter: MessageCounter) -> Result<Self, SessionError> {
        if args.session_id == 0 || args.peer_session_id == 0 {
            return Err(SessionError::ZeroSessionId {
                local: args.session_id,
                peer: args.peer_session_id,
            });
        }
        let material =
            SessionKeyMaterial::derive(args.shared_secret, args.salt, args.is_resumption)?;
        let (local_node_id, peer_node_id) = match args.kind {
            // PASE sessions have no operational identity: both node ids are 0 (Matter 1.3 §4.8,
            // §4.14.1).
            SessionKind::Pase => (NodeId::UNSPECIFIED, NodeId::UNSPECIFIED),
            SessionKind::Case => (args.local_node_id, args.peer_node_id),
        };
        let (initiator, responder) = if args.is_initiator {
            (
                (args.session_id, local_node_id),
                (args.peer_session_id, peer_node_id),
            )
        } else {
            (
                (args.peer_session_id, peer_node_id),
                (args.session_id, local_node_id),
            )
        };
        let key_log = KeyLogEntry {
            initiator_session_id: initiator.0,
            responder_session_id: responder.0,
            initiator_node_id: initiator.1.0,
            responder_node_id: responder.1.0,
            i2r: material.i2r,
            r2i: material.r2i,
        };
        Ok(SecureSession {
            id: args.session_id,
            peer_session_id: args.peer_session_id,
            kind: args.kind,
            fabric: if args.kind == SessionKind::Case {
                args.fabric
            } else {
                None
            },
            local_node_id,
            peer_node_id,
            peer_cats: args.peer_cats,
            keys: SessionKeys::for_role(&material, args.is_initiator),
            key_log,
            is_initiator: args.is_initiator,
            is_resumption: args.is_resumption,
            peer_parameters: args.peer_parameters,
            counter,
            reception: ReceptionState::encrypted_unicast(),
            context: SessionContext {
                peer_address: args.peer_address,
                created_at: args.now,
            },
            // matter.js starts every new secure session with the peer active (Matter 1.3
            // §4.12.2.1).
            activity: Activity::new(args.now, true),
            state: SessionState::Active,
            close_reason: None,
            exchanges: BTreeSet::new(),
            active_subscriptions: 0,
        })
    }

    /// PASE or CASE.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// Whether we initiated the handshake.
    pub fn is_initiator(&self) -> bool {
        self.is_initiator
    }

    /// This session's keys as a key log entry: diagnostic only, for harnesses that own both
    /// ends and write `--keylog` files so captures can be decrypted; never part of a trace.
    pub fn key_log(&self) -> &KeyLogEntry {
        &self.key_log
    }

    /// Whether the keys came from a resumption.
    pub fn is_resumption(&self) -> bool {
        self.is_resumption
    }

    /// The peer's CATs.
    pub fn peer_cats(&self) -> &[u32] {
        &self.peer_cats
    }

    /// The peer's full session parameters.
    pub fn peer_parameters(&self) -> &SessionParameters {
        &self.peer_parameters
    }

    /// The attestation challenge derived with the keys (commissioning uses it).
    pub fn attestation_challenge(&self) -> &[u8; 16] {
        &self.keys.attestation_challenge
    }

    /// Where the session is in its life.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Whether the session refuses new exchanges (closing or closed).
    pub fn is_closing(&self) -> bool {
        self.state != SessionState::Active
    }

    /// Why it closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// Last time anything was sent or received.
    pub fn last_active(&self) -> Instant {
        self.activity.last_active()
    }

    /// Last time something was received from the peer.
    pub fn last_received(&self) -> Option<Instant> {
        self.activity.last_received()
    }

    /// Subscriptions carried by the session.
    pub fn active_subscriptions(&self) -> u32 {
        self.active_subscriptions
    }

    /// Sets the subscription count (the manager emits the event).
    pub(crate) fn set_active_subscriptions(&mut self, count: u32) {
        self.active_subscriptions = count;
    }

    /// The next outbound counter value, without taking it.
    pub fn next_counter(&self) -> Option<u32> {
        self.counter.peek()
    }

    /// The receive-side replay window (Matter 1.3 §4.6), read-only: fuzzers and oracles check that
    /// it never moves backwards.
    pub fn reception(&self) -> &ReceptionState {
        &self.reception
    }

    /// Updates the peer's address (peers may move, Matter 1.3 §4.7.2).
    pub fn set_peer_address(&mut self, address: SocketAddr) {
        self.context.peer_address = Some(address);
    }

    /// Live exchanges on the session, as (exchange id, we initiated).
    pub fn exchanges(&self) -> impl Iterator<Item = (u16, bool)> + '_ {
        self.exchanges.iter().copied()
    }

    /// Registers a new exchange; refused once the session is closing (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`).
    pub fn add_exchange(
        &mut self,
        exchange_id: u16,
        we_initiated: bool,
    ) -> Result<(), SessionError> {
        match self.state {
            SessionState::Active => {
                self.exchanges.insert((exchange_id, we_initiated));
                Ok(())
            }
            SessionState::Closed => Err(SessionError::Closed),
            _ => Err(SessionError::Closing),
        }
    }

    /// Releases an exchange. When it was the last one of a session waiting to close, the
    /// session closes now and the result says whether a CloseSession is owed.
    pub fn remove_exchange(
        &mut self,
        exchange_id: u16,
        we_initiated: bool,
    ) -> Option<SessionClose> {
        self.exchanges.remove(&(exchange_id, we_initiated));
        match self.state {
            SessionState::CloseAfterExchanges { send_close } if self.exchanges.is_empty() => {
                Some(self.close_now(send_close, CloseReason::Local))
            }
            _ => None,
        }
    }

    /// Marks the session closed because the peer sent CloseSession (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`): no reply.
    pub fn closed_by_peer(&mut self) {
        self.mark_closed(CloseReason::PeerClosed);
    }

    /// Encodes the CloseSession StatusReport on a new exchange we initiate (`R = 0`, as
    /// matter.js sends it; Matter 1.3 §4.11, Appendix D), then closes the session for good. Only
    /// valid while the session is [`SessionState::Closing`].
    pub fn encode_close_session(
        &mut self,
        now: Instant,
        exchange_id: u16,
    ) -> Result<Vec<u8>, SessionError> {
        if self.state != SessionState::Closing {
            return Err(if self.state == SessionState::Closed {
                SessionError::Closed
            } else {
                SessionError::Closing
            });
        }
        let mut payload = Vec::with_capacity(8);
        StatusReport::close_session().encode(&mut payload);
        let header = ProtocolHeader {
            initiator: true,
            ..ProtocolHeader::new(
                ProtocolId::SECURE_CHANNEL,
                SecureChannelOpcode::StatusReport.as_u8(),
                exchange_id,
            )
        };
        let datagram = self.seal(
            now,
            &ProtocolMessage {
                header,
                payload: &payload,
            },
        );
        self.mark_closed(CloseReason::Local);
        datagram
    }

    fn close_now(&mut self, send_close: bool, reason: CloseReason) -> SessionClose {
        if send_close {
            self.state = SessionState::Closing;
            self.close_reason = Some(reason);
        } else {
            self.mark_closed(reason);
        }
        SessionClose::Closed { send_close }
    }

    fn mark_closed(&mut self, reason: CloseReason) {
        self.state = SessionState::Closed;
        self.close_reason.get_or_insert(reason);
        self.exchanges.clear();
    }

    /// The node id that goes into the nonce for a message sent by `sender` (Matter 1.3 §4.8): the
    /// sender's operational node id on CASE, 0 on PASE.
    fn nonce_node_id(&self, sender: NodeId) -> u64 {
        match self.kind {
            SessionKind::Pase => 0,
            SessionKind::Case => sender.0,
        }
    }

    /// Counter, header, nonce, encryption. Header node ids are left out: they are optional on
    /// secure unicast and never used for lookup (Matter 1.3 §4.8).
    fn seal(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
    ) -> Result<Vec<u8>, SessionError> {
        let mut datagram = Vec::new();
        self.seal_into(now, message, &mut datagram)?;
        Ok(datagram)
    }

    /// [`Session::encode`] into the caller's buffer: `out` is cleared and receives the
    /// datagram; once its capacity suffices, encoding allocates nothing.
    pub fn encode_into(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), SessionError> {
        match self.state {
            SessionState::Closed => Err(SessionError::Closed),
            _ => self.seal_into(now, message, out),
        }
    }

    /// [`Session::decode`] in place: `datagram` (a whole received datagram) is authenticated
    /// and decrypted where it lies, and the returned view borrows its payload from it; nothing
    /// is allocated. Same checks, state changes and errors as `decode`; on an authentication
    /// failure the body is overwritten with zeros.
    pub fn decode_in_place<'a>(
        &mut self,
        now: Instant,
        datagram: &'a mut [u8],
    ) -> Result<DecodedView<'a>, SessionError> {
        if self.state == SessionState::Closed {
            return Err(SessionError::Closed);
        }
        let (header_len, counter, source_node_id, destination, flags) = {
            let message = Message::decode(datagram)?;
            self.check_addressed(&message.header)?;
            let h = &message.header;
            (
                message.header_bytes.len(),
                h.message_counter,
                h.source_node_id,
                h.destination,
                h.security_flags(),
            )
        };
        let nonce = message_nonce(flags, counter, self.nonce_node_id(self.peer_node_id));
        let (aad, rest) = datagram.split_at_mut(header_len);
        let Some((body, mic)) = rest.split_last_chunk_mut::<CCM_MIC_LEN>() else {
            return Err(SessionError::Undecryptable);
        };
        self.keys
            .decrypt
            .decrypt_in_place_detached(&nonce, aad, body, mic)
            .map_err(|_| SessionError::Undecryptable)?;
        let duplicate = match self.reception.check(counter) {
            CounterVerdict::New => self.reception.commit(counter).is_err(),
            CounterVerdict::Duplicate => true,
        };
        // Duplicates still refresh peer activity (§2.4).
        self.notify_activity(now, true);
        let body: &'a [u8] = body;
        let parsed = ProtocolMessage::decode(body)?;
        Ok(DecodedView {
            session_id: self.id,
            message_counter: counter,
            source_node_id,
            destination,
            protocol: ProtocolHeader {
                secured_extensions: None,
                ..parsed.header
            },
            payload: parsed.payload,
            duplicate,
        })
    }

    /// [`Self::seal`] into `datagram` (cleared first).
    fn seal_into(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
        datagram: &mut Vec<u8>,
    ) -> Result<(), SessionError> {
        datagram.clear();
        let counter = match self.counter.take_next() {
            Ok(counter) => counter,
            Err(_) => {
                // Never wrap: the session ends here (Matter 1.3 §4.6).
                self.mark_closed(CloseReason::CounterExhausted);
                return Err(SessionError::CounterExhausted);
            }
        };
        let header = MessageHeader::unicast(self.peer_session_id, counter);
        let header_len = header.encoded_len();
        datagram.reserve(header_len + message.header.encoded_len() + message.payload.len() + 16);
        header.encode(datagram);
        message.encode(datagram);
        let nonce = message_nonce(
            header.security_flags(),
            counter,
            self.nonce_node_id(self.local_node_id),
        );
        // Encrypt the body in place behind the header, which is the AAD (Matter 1.3 §4.8). Fails
        // only for a plaintext CCM cannot carry with a 13-byte nonce (> 65535 bytes).
        let (aad, body) = datagram.split_at_mut(header_len);
        let mic = self
            .keys
            .encrypt
            .encrypt_in_place_detached(&nonce, aad, body)
            .map_err(|_| SessionError::MessageTooLarge { len: body.len() })?;
        datagram.extend_from_slice(&mic);
        self.notify_activity(now, false);
        Ok(())
    }
}

impl SecureSession {
    /// Fault injection only (`NodeFaults::reuse_counter`): the next message takes the counter
    /// of the last one again, i.e. reuses a (key, nonce) pair. Never called otherwise.
    #[doc(hidden)]
    pub(crate) fn reuse_last_counter_for_fault(&mut self) {
        if let Some(last) = self.counter.current()
            && let Ok(counter) = MessageCounter::with_initial(self.counter.kind(), last)
        {
            self.counter = counter;
        }
    }

    /// Decrypts a datagram for this session without changing any state (no counter commit,
    /// no activity): for trace recorders and oracles that look inside traffic from outside.
    pub fn inspect(&self, datagram: &Message<'_>) -> Result<DecodedMessage, SessionError> {
        let plaintext = self.open(datagram)?;
        let counter = datagram.header.message_counter;
        let duplicate = self.reception.check(counter) == CounterVerdict::Duplicate;
        Ok(DecodedMessage::from_plaintext(
            self.id,
            &datagram.header,
            plaintext,
            duplicate,
        )?)
    }

    /// A secure unicast header naming this session.
    fn check_addressed(&self, header: &MessageHeader<'_>) -> Result<(), SessionError> {
        if header.session_id == 0 {
            return Err(SessionError::NotSecure);
        }
        if header.session_id != self.id {
            return Err(SessionError::WrongSession {
                expected: self.id,
                got: header.session_id,
            });
        }
        check_unicast_flags(header)
    }

    /// Checks that `datagram` is for this session and decrypts it; changes no state.
    /// Authentication failure is `Undecryptable`: the caller drops the datagram silently (no
    /// ack, no counter or activity update, Matter 1.3 §4.8).
    fn open(&self, datagram: &Message<'_>) -> Result<Vec<u8>, SessionError> {
        let header = &datagram.header;
        self.check_addressed(header)?;
        let nonce = message_nonce(
            header.security_flags(),
            header.message_counter,
            self.nonce_node_id(self.peer_node_id),
        );
        let mut plaintext = datagram.payload.to_vec();
        self.keys
            .decrypt
            .decrypt_in_place(&nonce, datagram.header_bytes, &mut plaintext)
            .map_err(|_| SessionError::Undecryptable)?;
        Ok(plaintext)
    }
}

impl Session for SecureSession {
    fn name(&self) -> String {
        let kind = match self.kind {
            SessionKind::Pase => "pase",
            SessionKind::Case => "case",
        };
        format!("{kind}/{}", self.id)
    }

    fn id(&self) -> u16 {
        self.id
    }

    fn peer_session_id(&self) -> u16 {
        self.peer_session_id
    }

    fn node_id(&self) -> NodeId {
        self.local_node_id
    }

    fn peer_node_id(&self) -> NodeId {
        self.peer_node_id
    }

    fn associated_fabric(&self) -> Option<FabricIndex> {
        self.fabric
    }

    fn context(&self) -> &SessionContext {
        &self.context
    }

    fn is_secure(&self) -> bool {
        true
    }

    fn is_pase(&self) -> bool {
        self.kind == SessionKind::Pase
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
        matches!(self.state, SessionState::CloseAfterExchanges { .. })
    }

    fn decode(
        &mut self,
        now: Instant,
        datagram: &Message<'_>,
    ) -> Result<DecodedMessage, SessionError> {
        if self.state == SessionState::Closed {
            return Err(SessionError::Closed);
        }
        let plaintext = self.open(datagram)?;
        let header = &datagram.header;
        let duplicate = match self.reception.check(header.message_counter) {
            CounterVerdict::New => self.reception.commit(header.message_counter).is_err(),
            CounterVerdict::Duplicate => true,
        };
        // Duplicates still refresh peer activity (Matter 1.3 §4.6).
        self.notify_activity(now, true);
        Ok(DecodedMessage::from_plaintext(
            self.id, header, plaintext, duplicate,
        )?)
    }

    fn encode(
        &mut self,
        now: Instant,
        message: &ProtocolMessage<'_>,
    ) -> Result<Vec<u8>, SessionError> {
        match self.state {
            SessionState::Closed => Err(SessionError::Closed),
            _ => self.seal(now, message),
        }
    }

    fn destroy(
        &mut self,
        now: Instant,
        send_close: bool,
        close_after_exchange_finished: bool,
    ) -> SessionClose {
        let _ = now;
        match self.state {
            SessionState::Closed => SessionClose::Closed { send_close: false },
            SessionState::Closing => SessionClose::Closed { send_close: true },
            SessionState::Active | SessionState::CloseAfterExchanges { .. } => {
                if close_after_exchange_finished && !self.exchanges.is_empty() {
                    self.state = SessionState::CloseAfterExchanges { send_close };
                    SessionClose::Deferred
                } else {
                    self.close_now(send_close, CloseReason::Local)
                }
            }
        }
    }
}

impl core::fmt::Debug for SecureSession {
    /// Never prints key material.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecureSession")
            .field("id", &self.id)
            .field("peer_session_id", &self.peer_session_id)
            .field("kind", &self.kind)
            .field("fabric", &self.fabric)
            .field("peer_node_id", &self.peer_node_id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
