//! The sans-IO node driver: one object per Matter node, in the shape of quinn-proto / str0m.
//!
//! Inputs: [`Node::handle_datagram`] (bytes from the network) and [`Node::handle_timeout`]
//! (the caller's clock reached [`Node::poll_timeout`]), plus application calls (open an
//! exchange, send, close). Outputs: [`Node::poll_transmit`] (datagrams to send),
//! [`Node::poll_event`] (application events) and [`Node::poll_diagnostic`] (trace records).
//! No sockets, no clock, no threads; randomness comes from the seeded ChaCha given at
//! construction. See `docs/ARCHITECTURE.md` for the path of a datagram through it.

mod event;
mod faults;
mod handshake;
mod inbound;
mod outbound;
mod stats;
mod timers;

use core::time::Duration;
use std::collections::{BTreeSet, VecDeque};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub use event::{DeliveryError, Diagnostic, Event, ExchangeCloseReason, RxDecision, Transmit};
#[doc(hidden)]
pub use faults::NodeFaults;
pub use handshake::{
    CertificateTime, HandshakeError, HandshakeKind, MAX_PASE_FAILURES, PaseBusyPolicy,
};
pub use stats::NodeStats;

use crate::codec::ProtocolId;
use crate::exchange::{Exchange, ExchangeId, ExchangeTable, SessionRef};
use crate::mrp::MrpParameters;
use crate::mrp::reliability::JitterSource;
use crate::session::{
    ManagerContext, ManagerError, SecureSession, SecureSessionArgs, Session, SessionClose,
    SessionError, SessionEvent, SessionLimits, SessionManager, UnsecureSessionKey,
};
use crate::store::Store;
use crate::time::Instant;

/// How a node behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    /// Our MRP parameters, advertised to peers in handshakes.
    pub mrp: MrpParameters,
    /// Session table bounds.
    pub limits: SessionLimits,
    /// How long an exchange waits for a response after a send that expects one (matter.js
    /// allows about 30 s for handshake steps, matter.js `protocol/MRP.ts`).
    pub response_timeout: Duration,
    /// Record [`Diagnostic`]s for traces.
    pub diagnostics: bool,
    /// Force the first outbound counter of every secure session (tests, exhaustion scenarios).
    pub secure_counter_start: Option<u32>,
    /// Jitter of MRP waits: random from the node's RNG, or fixed for exact-timing assertions.
    pub jitter: JitterSource,
    /// Answer to a PBKDFParamRequest while a PASE handshake is running.
    pub pase_busy: PaseBusyPolicy,
    /// How CASE checks certificate validity periods.
    pub certificate_time: CertificateTime,
    /// Peer-initiated handshakes (PASE and CASE responders) running at once. A
    /// PBKDFParamRequest or Sigma1 beyond it is refused before any cryptography: BUSY for
    /// CASE (as CHIP, connectedhomeip `src/protocols/secure_channel/CASEServer.cpp`), `pase_busy`
    /// for PASE; counted in `NodeStats::handshakes_refused`. Default 16 (docs/RELIABILITY.md).
    pub max_pending_handshakes: usize,
    /// Unsecured sessions held at once. A peer's first message on a new one evicts the oldest
    /// unsecured session that carries no running handshake (abandoning the StatusReport or
    /// ack it was still retransmitting), or is dropped if all of them carry one. Default 64.
    pub max_unsecured_sessions: usize,
    /// Largest datagram accepted; larger ones are dropped unread and counted in
    /// `NodeStats::oversized`. Default 1280, the Matter maximum on UDP (Matter 1.3 §4.4).
    pub max_datagram_size: usize,
    /// Deliberate protocol violations, for testing the simulator's oracles (all off).
    #[doc(hidden)]
    pub faults: NodeFaults,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            mrp: MrpParameters::default(),
            limits: SessionLimits::default(),
            response_timeout: Duration::from_secs(30),
            diagnostics: false,
            secure_counter_start: None,
            jitter: JitterSource::Random,
            pase_busy: PaseBusyPolicy::default(),
            certificate_time: CertificateTime::default(),
            max_pending_handshakes: 16,
            max_unsecured_sessions: 64,
            max_datagram_size: 1280,
            faults: NodeFaults::default(),
        }
    }
}

/// Options of one send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendOptions {
    /// Ask for an MRP acknowledgement (`R = 1`) and retransmit until it comes.
    pub reliable: bool,
    /// Close the exchange with [`ExchangeCloseReason::Timeout`] if no message arrives on it
    /// within `response_timeout`.
    pub expect_response: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            reliable: true,
            expect_response: false,
        }
    }
}

/// Why an application call was refused.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No secure session with this id.
    #[error("no session with id {0}")]
    UnknownSession(u16),
    /// No such exchange (never opened, or closed).
    #[error("no exchange {0}")]
    UnknownExchange(ExchangeId),
    /// The exchange was closed by its owner and only waits for its last ack.
    #[error("exchange {0} is closing")]
    ExchangeClosing(ExchangeId),
    /// A reliable message is still unacknowledged on the exchange (one at a time, Matter 1.3
    /// §4.12.2).
    #[error("exchange {0} already has an unacknowledged reliable message")]
    MessageOutstanding(ExchangeId),
    /// The session has no known peer address to send to.
    #[error("session has no peer address")]
    NoPeerAddress,
    /// The session refused (closing, closed, counter exhausted …).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The session table refused.
    #[error(transparent)]
    Manager(#[from] ManagerError),
    /// This node has no credentials for the fabric.
    #[error("no credentials for fabric {0}")]
    UnknownFabric(crate::fabric::FabricIndex),
    /// CASE could not start (e.g. a resumption record for another peer).
    #[error(transparent)]
    Case(crate::case::CaseError),
}

/// One Matter node.
pub struct Node {
    config: NodeConfig,
    rng: ChaCha20Rng,
    sessions: SessionManager,
    exchanges: ExchangeTable,
    /// Protocols whose unsolicited messages open responder exchanges on secure sessions.
    protocols: BTreeSet<ProtocolId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    diagnostics: VecDeque<Diagnostic>,
    stats: NodeStats,
    /// Handshakes in progress, by the exchange they run on.
    handshakes: std::collections::BTreeMap<ExchangeId, handshake::Handshake>,
    /// The commissioning window, while open.
    commissioning: Option<handshake::CommissioningWindow>,
    /// Operational credentials per fabric, ordered by fabric index.
    fabrics: Vec<crate::case::OperationalCredentials>,
    /// The session of the datagram being processed. An unsecured one stays alive until the
    /// datagram is done, whatever its exchanges do: an ack can end the session's last exchange
    /// just before the same message opens the next one (found by `node_datagrams`).
    receiving: Option<SessionRef>,
    /// Scratch buffer a secure datagram is decrypted in place in
    /// ([`crate::session::SecureSession::decode_in_place`]): reused, so a standalone ack or an
    /// empty message is received without an allocation.
    rx_buf: Vec<u8>,
}

impl Node {
    /// A node with an empty session table. All randomness derives from `rng`.
    pub fn new(config: NodeConfig, mut rng: ChaCha20Rng, store: Box<dyn Store>) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let manager_context = ManagerContext {
            limits: config.limits,
            secure_counter_start: config.secure_counter_start,
            ..ManagerContext::new(ChaCha20Rng::from_seed(seed))
        };
        let exchange_start = rng.next_u32() as u16;
        Node {
            config,
            rng,
            sessions: SessionManager::new(manager_context, store),
            exchanges: ExchangeTable::new(exchange_start),
            protocols: BTreeSet::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            diagnostics: VecDeque::new(),
            stats: NodeStats::default(),
            handshakes: std::collections::BTreeMap::new(),
            commissioning: None,
            fabrics: Vec::new(),
            receiving: None,
            rx_buf: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Counters of what the node has seen and done.
    pub fn stats(&self) -> &NodeStats {
        &self.stats
    }

    /// The session table.
    pub fn sessions(&self) -> &SessionManager {
        &self.sessions
    }

    /// Mutable access to the session table (resumption records, lookups). Closing sessions
    /// through it bypasses the exchange bookkeeping: use [`Node::close_session`] for that.
    pub fn sessions_mut(&mut self) -> &mut SessionManager {
        &mut self.sessions
    }

    /// Every exchange, in identity order.
    pub fn exchanges(&self) -> impl Iterator<Item = (&ExchangeId, &Exchange)> {
        self.exchanges.iter()
    }

    /// Accept unsolicited messages of `protocol` on secure sessions: each opens a responder
    /// exchange and is delivered as [`Event::Message`].
    pub fn register_protocol(&mut self, protocol: ProtocolId) {
        self.protocols.insert(protocol);
    }

    /// Adds a secure session whose keys were agreed elsewhere (tests, simulations without
    /// pairing). Handshakes use the same path.
    pub fn install_secure_session(
        &mut self,
        mut args: SecureSessionArgs<'_>,
    ) -> Result<u16, NodeError> {
        self.fault_skew_session_args(&mut args);
        let id = self.sessions.create_secure_session(args)?.id();
        self.forward_session_events();
        Ok(id)
    }

    /// Opens an exchange we initiate on a secure session.
    pub fn open_exchange(
        &mut self,
        session_id: u16,
        protocol: ProtocolId,
    ) -> Result<ExchangeId, NodeError> {
        let session = SessionRef::Secure(session_id);
        let id = self.exchanges.allocate(session);
        let s = self
            .sessions
            .get_session_mut(session_id)
            .ok_or(NodeError::UnknownSession(session_id))?;
        s.add_exchange(id.id, true)?;
        self.exchanges.insert(id, Exchange::new(protocol));
        Ok(id)
    }

    /// Sends a message on an exchange; returns its message counter.
    pub fn send(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        opcode: u8,
        payload: &[u8],
        options: SendOptions,
    ) -> Result<u32, NodeError> {
        self.send_on_exchange(now, exchange, opcode, payload, options)
    }

    /// Closes an exchange: a pending ack is flushed at once; if our last reliable message is
    /// still unacknowledged the exchange lingers until the ack or the MRP give-up (Matter 1.3
    /// §4.10).
    pub fn close_exchange(&mut self, now: Instant, exchange: ExchangeId) -> Result<(), NodeError> {
        let ex = self
            .exchanges
            .get_mut(&exchange)
            .ok_or(NodeError::UnknownExchange(exchange))?;
        ex.response_deadline = None;
        let pending = ex.reliability.pending_ack.take();
        let lingering = ex.reliability.outstanding.is_some();
        if lingering {
            ex.state = crate::exchange::ExchangeState::Closing;
        }
        if let Some(ack) = pending {
            self.send_standalone_ack(now, exchange, ack.counter);
        }
        if !lingering {
            self.remove_exchange(now, exchange, ExchangeCloseReason::Local);
        }
        Ok(())
    }

    /// Closes a secure session (matter.js `destroy`): with `close_after_exchange_finished`
    /// and exchanges running, it closes when the last one ends; otherwise now, failing its
    /// exchanges. `send_close` sends CloseSession on a new exchange (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`).
    pub fn close_session(
        &mut self,
        now: Instant,
        session_id: u16,
        send_close: bool,
        close_after_exchange_finished: bool,
    ) -> Result<(), NodeError> {
        let session = self
            .sessions
            .get_session_mut(session_id)
            .ok_or(NodeError::UnknownSession(session_id))?;
        match session.destroy(now, send_close, close_after_exchange_finished) {
            SessionClose::Deferred => Ok(()),
            SessionClose::Closed { send_close } => {
                self.finish_session_close(now, session_id, send_close);
                Ok(())
            }
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next application event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next trace record (only with `diagnostics` on).
    pub fn poll_diagnostic(&mut self) -> Option<Diagnostic> {
        self.diagnostics.pop_front()
    }

    /// When [`Node::handle_timeout`] must next be called, if anything is pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.exchanges.next_deadline()
    }

    fn diagnose(&mut self, diagnostic: impl FnOnce() -> Diagnostic) {
        if self.config.diagnostics {
            self.diagnostics.push_back(diagnostic());
        }
    }

    /// Moves the session manager's lifecycle events into the node's event queue.
    fn forward_session_events(&mut self) {
        while let Some(event) = self.sessions.poll_event() {
            let event = match event {
                SessionEvent::Opened {
                    session_id,
                    is_pase,
                    is_resumption,
                } => Event::SessionOpened {
                    session_id,
                    is_pase,
                    is_resumption,
                },
                SessionEvent::Closed { session_id, reason } => {
                    // An evicted session's exchanges die with it, quietly for the peer.
                    self.fail_exchanges_of(SessionRef::Secure(session_id));
                    Event::SessionClosed { session_id, reason }
                }
                SessionEvent::SubscriptionsChanged { .. } => continue,
            };
            self.events.push_back(event);
        }
    }

    /// Removes every exchange of a session that is gone: outstanding messages fail, nothing
    /// is retransmitted into the dead session and no timer of it survives.
    fn fail_exchanges_of(&mut self, session: SessionRef) {
        if self.fault_keeps_closed_exchanges() {
            return;
        }
        for id in self.exchanges.on_session(session) {
            self.abandon_exchange(id);
        }
    }

    /// Drops one exchange without a word to the peer: its outstanding message fails
    /// ([`DeliveryError::SessionClosed`]) and its timers die. Handshake bookkeeping is the
    /// caller's business.
    fn abandon_exchange(&mut self, id: ExchangeId) {
        if let Some(ex) = self.exchanges.remove(&id) {
            if let Some(out) = ex.reliability.outstanding {
                self.stats.delivery_failures += 1;
                self.events.push_back(Event::DeliveryFailed {
                    exchange: id,
                    message_counter: out.message_counter,
                    reason: DeliveryError::SessionClosed,
                });
            }
            self.events.push_back(Event::ExchangeClosed {
                exchange: id,
                reason: ExchangeCloseReason::SessionClosed,
            });
        }
    }

    /// Makes room for one more unsecured session under `max_unsecured_sessions`: evicts the
    /// oldest (by creation, then key) unsecured session that carries no running handshake,
    /// abandoning what its exchanges were still retransmitting (a failure StatusReport, or a
    /// SUCCESS the peer has not acked). Returns false if every session carries a handshake.
    /// Handshakes are never evicted: they are bounded by `max_pending_handshakes` instead.
    fn make_room_for_unsecure_session(&mut self) -> bool {
        let limit = self.config.max_unsecured_sessions.max(1);
        while self.sessions.unsecure_sessions().count() >= limit {
            let busy: BTreeSet<UnsecureSessionKey> = self
                .handshakes
                .keys()
                .filter_map(|x| match x.session {
                    SessionRef::Unsecure(key) => Some(key),
                    SessionRef::Secure(_) => None,
                })
                .collect();
            let victim = self
                .sessions
                .unsecure_sessions()
                .filter(|s| !busy.contains(&s.key()))
                .min_by_key(|s| (s.context().created_at, s.key()))
                .map(|s| s.key());
            let Some(victim) = victim else {
                return false;
            };
            for id in self.exchanges.on_session(SessionRef::Unsecure(victim)) {
                self.abandon_exchange(id);
            }
            self.sessions
                .remove_unsecure_session(victim.peer, victim.initiator_node_id);
            self.stats.unsecured_evicted += 1;
        }
        true
    }

    /// Removes an exchange and tells its session, which may then finish a deferred close.
    fn remove_exchange(&mut self, now: Instant, id: ExchangeId, reason: ExchangeCloseReason) {
        if self.exchanges.remove(&id).is_none() {
            return;
        }
        if self.is_handshake(&id) {
            self.handshake_exchange_closed(now, id, reason);
        }
        self.events.push_back(Event::ExchangeClosed {
            exchange: id,
            reason,
        });
        self.release_unsecure_session(id.session);
        if let SessionRef::Secure(session_id) = id.session {
            let close = self
                .sessions
                .get_session_mut(session_id)
                .and_then(|s| s.remove_exchange(id.id, id.we_initiated));
            if let Some(SessionClose::Closed { send_close }) = close {
                self.finish_session_close(now, session_id, send_close);
            }
        }
    }

    /// Drops an unsecured session once no exchange uses it (its establishment ended, matter.js
    /// `session/SessionManager.ts`).
    fn release_unsecure_session(&mut self, session: SessionRef) {
        if self.receiving == Some(session) {
            return;
        }
        if let SessionRef::Unsecure(key) = session
            && self.exchanges.on_session(session).is_empty()
        {
            self.sessions
                .remove_unsecure_session(key.peer, key.initiator_node_id);
        }
    }

    /// The session has decided to close: send CloseSession if owed (on a new exchange of
    /// ours, Matter 1.3 §4.11; matter.js `session/NodeSession.ts`), then drop it and fail whatever
    /// still ran on it.
    fn finish_session_close(&mut self, now: Instant, session_id: u16, send_close: bool) {
        if send_close {
            let exchange = self.exchanges.allocate(SessionRef::Secure(session_id));
            if let Some(session) = self.sessions.get_session_mut(session_id) {
                let destination = session.context().peer_address;
                if let (Ok(datagram), Some(destination)) =
                    (session.encode_close_session(now, exchange.id), destination)
                {
                    self.queue_transmit(destination, datagram, exchange.id, 0);
                }
            }
        }
        self.fail_exchanges_of(SessionRef::Secure(session_id));
        self.sessions.remove_session(session_id);
        self.forward_session_events();
    }

    /// Ends a session whose peer closed it or whose counter ran out.
    fn teardown_session(&mut self, session_id: u16) {
        self.fail_exchanges_of(SessionRef::Secure(session_id));
        self.sessions.remove_session(session_id);
        self.forward_session_events();
    }

    fn queue_transmit(
        &mut self,
        destination: std::net::SocketAddr,
        payload: Vec<u8>,
        exchange_id: u16,
        retransmission: u8,
    ) {
        if self.config.diagnostics
            && let Ok((header, _)) = crate::codec::MessageHeader::decode(&payload)
        {
            self.diagnostics.push_back(Diagnostic::Sent {
                to: destination,
                session_id: header.session_id,
                message_counter: header.message_counter,
                exchange_id,
                retransmission,
            });
        }
        self.stats.datagrams_sent += 1;
        if retransmission > 0 {
            self.stats.retransmissions += 1;
        }
        self.transmits.push_back(Transmit {
            destination,
            payload,
        });
    }

    /// Access to a secure session for the MRP parameters of its peer.
    fn peer_timing(&self, session: SessionRef, now: Instant) -> (MrpParameters, bool) {
        match session {
            SessionRef::Secure(id) => self
                .sessions
                .get_session(id)
                .map(|s: &SecureSession| (s.mrp_parameters(), s.is_peer_active(now)))
                .unwrap_or((MrpParameters::default(), false)),
            SessionRef::Unsecure(key) => self
                .sessions
                .get_unsecure_session(key.peer, key.initiator_node_id)
                .map(|s| (s.mrp_parameters(), s.is_peer_active(now)))
                .unwrap_or((MrpParameters::default(), false)),
        }
    }
}
