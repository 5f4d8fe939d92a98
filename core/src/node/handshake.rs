//! Session establishment inside the node: PASE (and CASE) handshakes run on exchanges of
//! unsecured sessions, with MRP like any other message (Matter 1.3 "Unsecured Session Context",
//! §4.14.1.2, §4.14.2).
//!
//! The handshake state machines (`pase`, `case`) are pure: message in, message out. This
//! module feeds them what arrives on their exchange, sends what they produce, installs the
//! secure session when they finish, and frees every piece of state when they fail or time out.

use core::num::NonZeroU16;
use core::time::Duration;
use std::net::SocketAddr;

use super::{Event, ExchangeCloseReason, Node, NodeError, RxDecision, SendOptions};
use crate::case::{
    CaseError, CaseFailure, CaseInitiatorState, CaseResponderState, CaseStep,
    OperationalCredentials,
};
use crate::cert::{ChainPolicy, MatterClock};
use crate::codec::{ProtocolId, SecureChannelOpcode};
use crate::exchange::{Exchange, ExchangeId, SessionRef};
use crate::fabric::{FabricIndex, NodeId};
use crate::pase::{
    InitiatorStep, PaseError, PaseEstablished, PaseFailure, PaseInitiatorState, PaseResponder,
    PaseResponderState, Passcode, PbkdfParameters, ResponderStep, Verifier, busy_status_payload,
};
use crate::session::{
    SecureSessionArgs, Session, SessionKind, SessionParameters, UnsecureSessionKey,
};
use crate::time::Instant;

/// matter.js closes a commissioning window after 20 failed PASE attempts (Matter 1.3 §4.14.1.2).
pub const MAX_PASE_FAILURES: u32 = 20;

/// What a commissionee answers to a PBKDFParamRequest while a PASE handshake is already
/// running (Matter 1.3 §4.14.1.2; matter.js `session/pase/PaseServer.ts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaseBusyPolicy {
    /// StatusReport BUSY (sent with `R = 0`) carrying the minimum wait (spec behaviour).
    Busy {
        /// The wait announced to the peer.
        wait: Duration,
    },
    /// Only the MRP ack, no answer (matter.js 0.17.9).
    Ignore,
}

/// The wait a BUSY StatusReport announces unless `PaseBusyPolicy::Busy` says otherwise.
const DEFAULT_BUSY_WAIT: Duration = Duration::from_millis(1000);

impl Default for PaseBusyPolicy {
    fn default() -> Self {
        PaseBusyPolicy::Busy {
            wait: DEFAULT_BUSY_WAIT,
        }
    }
}

/// Which handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeKind {
    /// Passcode-authenticated (commissioning).
    Pase,
    /// Certificate-authenticated.
    Case,
}

/// Why a handshake ended without a session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The PASE state machine failed (wrong passcode, bad message, peer StatusReport …).
    #[error(transparent)]
    Pase(#[from] PaseError),
    /// The CASE state machine failed (no shared trust root, bad chain or signature …).
    #[error(transparent)]
    Case(#[from] CaseError),
    /// The peer is busy with another handshake and asks us to wait before retrying.
    #[error("peer is busy; retry after {wait_ms} ms")]
    Busy {
        /// The minimum wait from the BUSY StatusReport.
        wait_ms: u16,
    },
    /// No answer within the response timeout.
    #[error("handshake timed out")]
    Timeout,
    /// MRP gave up on one of our handshake messages.
    #[error("handshake message was not acknowledged")]
    DeliveryFailed,
}

pub(super) enum HandshakeState {
    PaseInitiator(PaseInitiatorState),
    PaseResponder(PaseResponderState),
    CaseInitiator(CaseInitiatorState),
    CaseResponder(CaseResponderState),
}

/// A running handshake, keyed in the node by its exchange.
pub(super) struct Handshake {
    state: HandshakeState,
    peer: SocketAddr,
    /// The local session id it announced: reserved until it ends, so that two handshakes
    /// never install the same id (matter.js `session/SessionManager.ts`).
    local_session_id: u16,
}

impl Handshake {
    fn is_responder(&self) -> bool {
        matches!(
            self.state,
            HandshakeState::PaseResponder(_) | HandshakeState::CaseResponder(_)
        )
    }

    fn kind(&self) -> HandshakeKind {
        match self.state {
            HandshakeState::PaseInitiator(_) | HandshakeState::PaseResponder(_) => {
                HandshakeKind::Pase
            }
            HandshakeState::CaseInitiator(_) | HandshakeState::CaseResponder(_) => {
                HandshakeKind::Case
            }
        }
    }
}

/// An open commissioning window: the verifier (w0, L) and PBKDF parameters, never the
/// passcode.
pub(super) struct CommissioningWindow {
    responder: PaseResponder,
    failures: u32,
}

/// How certificates' validity periods are checked during CASE (connectedhomeip
/// `src/credentials/CHIPCert.cpp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateTime {
    /// Check not-before/not-after against the virtual clock, whose origin is this many seconds
    /// after the Matter epoch (2000-01-01).
    Strict {
        /// Matter epoch seconds at `Instant::ZERO`.
        origin_epoch_s: u32,
    },
    /// Do not check validity periods (matter.js behaviour, `certificate/kinds/Noc.ts`).
    Skip,
}

impl Default for CertificateTime {
    /// Strict, with the virtual clock starting at 2025-01-01T00:00:00Z.
    fn default() -> Self {
        CertificateTime::Strict {
            origin_epoch_s: 788_918_400,
        }
    }
}

/// What a handshake step produced.
enum Step {
    Send {
        opcode: SecureChannelOpcode,
        payload: Vec<u8>,
    },
    EstablishedPase {
        session: PaseEstablished,
        status: Option<Vec<u8>>,
    },
    EstablishedCase {
        session: Box<crate::case::CaseEstablished>,
        status: Option<Vec<u8>>,
    },
}

/// A failure from either state machine.
enum Failure {
    Pase(PaseFailure),
    Case(CaseFailure),
}

const HANDSHAKE_SEND: SendOptions = SendOptions {
    reliable: true,
    expect_response: true,
};

impl Node {
    /// Opens a commissioning window: PBKDFParamRequests are answered with this verifier.
    pub fn open_commissioning_window(&mut self, verifier: Verifier, pbkdf: PbkdfParameters) {
        let ours = self.advertised_parameters();
        self.commissioning = Some(CommissioningWindow {
            responder: PaseResponder::new(verifier, pbkdf, ours),
            failures: 0,
        });
    }

    /// Closes the commissioning window (running handshakes finish).
    pub fn close_commissioning_window(&mut self) {
        self.commissioning = None;
    }

    /// Whether a commissioning window is open.
    pub fn commissioning_window_open(&self) -> bool {
        self.commissioning.is_some()
    }

    /// The session parameters this node advertises in handshakes.
    pub fn advertised_parameters(&self) -> SessionParameters {
        SessionParameters {
            mrp: self.config.mrp,
            ..SessionParameters::paseo_default()
        }
    }

    /// Starts PASE toward `peer` as commissioner; the outcome arrives as
    /// `Event::SessionOpened` or `Event::HandshakeFailed` for the returned exchange.
    pub fn start_pase(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        passcode: Passcode,
    ) -> Result<ExchangeId, NodeError> {
        let id = self.allocate_session_id(now)?;
        let ours = self.advertised_parameters();
        let (state, payload) = PaseInitiatorState::start(&mut self.rng, passcode, id, ours);
        self.initiate_handshake(
            now,
            peer,
            Handshake {
                state: HandshakeState::PaseInitiator(state),
                peer,
                local_session_id: id.get(),
            },
            SecureChannelOpcode::PbkdfParamRequest,
            &payload,
        )
    }

    /// Opens an unsecured session with a fresh ephemeral node id and an exchange on it
    /// (Matter 1.3 "Unsecured Session Context"), registers `handshake` there and sends its first
    /// message.
    fn initiate_handshake(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        handshake: Handshake,
        opcode: SecureChannelOpcode,
        payload: &[u8],
    ) -> Result<ExchangeId, NodeError> {
        let ephemeral = self.sessions.random_ephemeral_node_id();
        self.sessions
            .create_unsecure_session(now, peer, ephemeral, true);
        let session = SessionRef::Unsecure(UnsecureSessionKey {
            peer,
            initiator_node_id: ephemeral,
        });
        let exchange = self.exchanges.allocate(session);
        self.exchanges
            .insert(exchange, Exchange::new(ProtocolId::SECURE_CHANNEL));
        self.handshakes.insert(exchange, handshake);
        self.send_on_exchange(now, exchange, opcode.as_u8(), payload, HANDSHAKE_SEND)?;
        Ok(exchange)
    }

    /// Adds (or replaces, by fabric index) this node's operational credentials for a fabric.
    pub fn add_fabric(&mut self, credentials: OperationalCredentials) {
        let index = credentials.fabric_index();
        self.fabrics.retain(|f| f.fabric_index() != index);
        self.fabrics.push(credentials);
        self.fabrics.sort_by_key(|f| f.fabric_index());
    }

    /// Removes this node's credentials for `index` (RemoveFabric, or a fail-safe rolling back
    /// an AddNOC): CASE no longer answers for the fabric, every secure session on it closes
    /// as soon as its running exchanges end (so the answer to RemoveFabric still reaches the
    /// peer; no new exchange opens meanwhile, and no CloseSession is sent), and its resumption
    /// records are deleted. Returns whether the node had the fabric.
    pub fn remove_fabric(&mut self, now: Instant, index: FabricIndex) -> bool {
        use crate::session::Session as _;
        let before = self.fabrics.len();
        self.fabrics.retain(|f| f.fabric_index() != index);
        let sessions: Vec<u16> = self
            .sessions
            .sessions()
            .filter(|s| s.associated_fabric() == Some(index))
            .map(|s| s.id())
            .collect();
        for id in sessions {
            // The id was just listed, so the session exists; a refusal would only mean it is
            // already closing, which is what we want.
            let _ = self.close_session(now, id, false, true);
        }
        let _ = self.sessions.remove_resumption_records_for_fabric(index);
        before != self.fabrics.len()
    }

    /// The fabrics this node belongs to, by index.
    pub fn fabrics(&self) -> &[OperationalCredentials] {
        &self.fabrics
    }

    /// Loads the resumption records persisted in the node's store for its current fabrics
    /// (after a restart, matter.js `session/SessionManager.ts`).
    pub fn load_resumption_records(&mut self) -> Result<usize, crate::session::ManagerError> {
        let fabrics: Vec<crate::fabric::Fabric> =
            self.fabrics.iter().map(|f| f.fabric().clone()).collect();
        self.sessions.init_from_storage(&fabrics)
    }

    /// Starts CASE toward `peer_node_id` on `fabric` at `peer`. With a resumption record for
    /// that peer, Sigma1 asks to resume (Matter 1.3 §4.14.2). The outcome arrives as
    /// `Event::SessionOpened` or `Event::HandshakeFailed` for the returned exchange.
    pub fn start_case(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        fabric: FabricIndex,
        peer_node_id: NodeId,
    ) -> Result<ExchangeId, NodeError> {
        let credentials = self
            .fabrics
            .iter()
            .find(|f| f.fabric_index() == fabric)
            .cloned()
            .ok_or(NodeError::UnknownFabric(fabric))?;
        let id = self.allocate_session_id(now)?;
        let record = self
            .sessions
            .find_resumption_record_by_node_id(fabric, peer_node_id)
            .cloned();
        let ours = self.advertised_parameters();
        let (state, payload) = CaseInitiatorState::start(
            &mut self.rng,
            &credentials,
            peer_node_id,
            id,
            ours,
            record.as_ref(),
        )
        .map_err(NodeError::Case)?;
        self.initiate_handshake(
            now,
            peer,
            Handshake {
                state: HandshakeState::CaseInitiator(state),
                peer,
                local_session_id: id.get(),
            },
            SecureChannelOpcode::Sigma1,
            &payload,
        )
    }

    /// An unsolicited Sigma1 on an unsecured session: start a CASE responder (Matter 1.3 §4.14.2),
    /// or refuse with BUSY.
    pub(super) fn accept_sigma1(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        counter: u32,
        payload: &[u8],
    ) -> RxDecision {
        let SessionRef::Unsecure(key) = exchange.session else {
            return RxDecision::Unsolicited;
        };
        let refused_before = self.stats.handshakes_refused;
        let Some(local) = self.admit_request(now, exchange, counter, HandshakeKind::Case) else {
            return self.refusal_decision(refused_before);
        };
        let ours = self.advertised_parameters();
        self.handshakes.insert(
            exchange,
            Handshake {
                state: HandshakeState::CaseResponder(CaseResponderState::new(local, ours)),
                peer: key.peer,
                local_session_id: local.get(),
            },
        );
        self.advance_handshake(now, exchange, SecureChannelOpcode::Sigma1.as_u8(), payload);
        RxDecision::Delivered
    }

    /// The receive decision of a request `admit_request` turned away: `Refused` when a limit
    /// refused it (BUSY or ignored), `Unsolicited` when there was nothing to admit it to (a
    /// PBKDFParamRequest without a commissioning window).
    fn refusal_decision(&self, refused_before: u64) -> RxDecision {
        if self.stats.handshakes_refused > refused_before {
            RxDecision::Refused
        } else {
            RxDecision::Unsolicited
        }
    }

    /// Admits (or refuses) a peer's PBKDFParamRequest or Sigma1 that arrived on a new exchange
    /// of an unsecured session, before any cryptography. Opens the exchange and owes the ack.
    /// Returns the local session id for the responder, or `None` after answering a refusal
    /// (counted in `NodeStats`). docs/RELIABILITY.md lists the limits:
    /// - a handshake already running on this unsecured session, a PASE responder already
    ///   running (one at a time, Matter 1.3 §4.14.1.2), `max_pending_handshakes` responders
    ///   running, or no session id free: BUSY (`pase_busy` for PASE), sent with `R = 0` so nothing
    ///   lingers;
    /// - otherwise a PBKDFParamRequest without a commissioning window: INVALID_PARAMETER
    ///   (Matter 1.3 §4.14.1.2).
    ///
    /// Exchanges still lingering on the session (a StatusReport awaiting its ack) are
    /// abandoned: the peer has moved on to a new attempt. So a peer-initiated unsecured session
    /// carries at most one exchange besides its running handshake.
    fn admit_request(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        counter: u32,
        kind: HandshakeKind,
    ) -> Option<NonZeroU16> {
        let on_session = self.exchanges.on_session(exchange.session);
        let running_here = on_session.iter().any(|x| self.is_handshake(x));
        if !running_here {
            for lingering in on_session {
                self.abandon_exchange(lingering);
            }
        }
        self.exchanges
            .insert(exchange, Exchange::new(ProtocolId::SECURE_CHANNEL));
        if let Some(ack) = self
            .exchanges
            .get_mut(&exchange)
            .and_then(|e| e.reliability.owe_ack(counter, now))
        {
            self.send_standalone_ack(now, exchange, ack);
        }
        if kind == HandshakeKind::Pase && self.commissioning.is_none() && !running_here {
            // No commissioning window: INVALID_PARAMETER (matter.js, Matter 1.3 §4.14.1.2).
            self.stats.unsolicited_dropped += 1;
            let failure = PaseFailure {
                error: PaseError::Finished,
                status_report: Some(crate::codec::StatusReport::invalid_parameter()),
            };
            self.send_status_and_close(now, exchange, failure.status_report_payload(), true);
            return None;
        }
        let responders = self
            .handshakes
            .values()
            .filter(|h| h.is_responder())
            .count();
        let pase_running = kind == HandshakeKind::Pase
            && self
                .handshakes
                .values()
                .any(|h| matches!(h.state, HandshakeState::PaseResponder(_)));
        let full = responders >= self.config.max_pending_handshakes;
        let local = if running_here || pase_running || full {
            None
        } else {
            self.allocate_session_id(now).ok()
        };
        if local.is_none() {
            self.stats.handshakes_refused += 1;
            self.refuse_request(now, exchange, kind);
        } else {
            self.stats.delivered += 1;
        }
        local
    }

    /// Answers a refused establishment request and closes its exchange: BUSY (sent with
    /// `R = 0`, as matter.js sends it: `securechannel/SecureChannelMessenger.ts`) with the wait of
    /// `pase_busy` (1000 ms under `Ignore`) for CASE, as CHIP does (connectedhomeip
    /// `src/protocols/secure_channel/CASEServer.cpp`); for PASE what `pase_busy` says (BUSY, or
    /// only the ack as matter.js `session/pase/PaseServer.ts` does).
    fn refuse_request(&mut self, now: Instant, exchange: ExchangeId, kind: HandshakeKind) {
        let wait = match self.config.pase_busy {
            PaseBusyPolicy::Busy { wait } => Some(wait),
            PaseBusyPolicy::Ignore if kind == HandshakeKind::Pase => None,
            PaseBusyPolicy::Ignore => Some(DEFAULT_BUSY_WAIT),
        };
        match wait {
            Some(wait) => {
                let wait_ms = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
                self.send_status_and_close(
                    now,
                    exchange,
                    Some(busy_status_payload(wait_ms)),
                    false,
                );
            }
            None => {
                let _ = self.close_exchange(now, exchange);
            }
        }
    }

    /// A local session id for a new handshake: the next free id (matter.js
    /// `session/SessionManager.ts`) that no running handshake has announced. If all 65535 ids are
    /// in use, the least recently active session is evicted and its id reused, as matter.js does
    /// (`session/SessionManager.ts`); with the default `max_sessions` (64) the table never gets
    /// there.
    fn allocate_session_id(&mut self, now: Instant) -> Result<NonZeroU16, NodeError> {
        let reserved: std::collections::BTreeSet<u16> = self
            .handshakes
            .values()
            .map(|h| h.local_session_id)
            .collect();
        // Free ids come back in cyclic order, so among any `reserved.len() + 1` answers at
        // least one is unreserved unless every free id is reserved.
        for _ in 0..=reserved.len() {
            match self.sessions.get_next_available_session_id() {
                Ok(id) if !reserved.contains(&id) => {
                    return NonZeroU16::new(id)
                        .ok_or(crate::session::ManagerError::ReservedSessionId.into());
                }
                Ok(_) => {}
                Err(crate::session::ManagerError::SessionIdsExhausted) => break,
                Err(e) => return Err(e.into()),
            }
        }
        let victim = self
            .sessions
            .find_oldest_inactive_session()
            .map(|s| s.id())
            .filter(|id| !reserved.contains(id))
            .ok_or(crate::session::ManagerError::SessionIdsExhausted)?;
        self.sessions.evict_session(victim, now);
        self.forward_session_events();
        NonZeroU16::new(victim).ok_or(crate::session::ManagerError::ReservedSessionId.into())
    }

    /// The certificate policy at `now`.
    fn chain_policy(&self, now: Instant) -> ChainPolicy {
        match self.config.certificate_time {
            CertificateTime::Strict { origin_epoch_s } => {
                ChainPolicy::at(MatterClock::new(origin_epoch_s).epoch_seconds(now))
            }
            CertificateTime::Skip => ChainPolicy::skip_validity(),
        }
    }

    /// Number of handshakes in progress.
    pub fn handshakes_in_progress(&self) -> usize {
        self.handshakes.len()
    }

    /// Whether `exchange` carries a handshake.
    pub(super) fn is_handshake(&self, exchange: &ExchangeId) -> bool {
        self.handshakes.contains_key(exchange)
    }

    /// An unsolicited PBKDFParamRequest on an unsecured session (Matter 1.3 §4.14.1.2): start a
    /// responder handshake, or answer why not.
    pub(super) fn accept_pbkdf_request(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        counter: u32,
        payload: &[u8],
    ) -> RxDecision {
        let SessionRef::Unsecure(key) = exchange.session else {
            return RxDecision::Unsolicited;
        };
        let refused_before = self.stats.handshakes_refused;
        let Some(local) = self.admit_request(now, exchange, counter, HandshakeKind::Pase) else {
            return self.refusal_decision(refused_before);
        };
        let Some(responder) = self.commissioning.as_ref().map(|w| w.responder.clone()) else {
            // Not reachable: admission refuses requests without a commissioning window.
            return RxDecision::Unsolicited;
        };
        self.handshakes.insert(
            exchange,
            Handshake {
                state: HandshakeState::PaseResponder(PaseResponderState::new(responder, local)),
                peer: key.peer,
                local_session_id: local.get(),
            },
        );
        self.advance_handshake(
            now,
            exchange,
            SecureChannelOpcode::PbkdfParamRequest.as_u8(),
            payload,
        );
        RxDecision::Delivered
    }

    /// Feeds a message that arrived on a handshake exchange.
    pub(super) fn advance_handshake(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        opcode: u8,
        payload: &[u8],
    ) {
        let policy = self.chain_policy(now);
        let Node {
            handshakes,
            rng,
            fabrics,
            sessions,
            ..
        } = self;
        let Some(handshake) = handshakes.get_mut(&exchange) else {
            return;
        };
        let peer = handshake.peer;
        let case_step = |step: CaseStep| match step {
            CaseStep::Send { opcode, payload } => Step::Send { opcode, payload },
            CaseStep::Established {
                session,
                status_payload,
            } => Step::EstablishedCase {
                session,
                status: status_payload,
            },
        };
        let result: Result<Step, Failure> = match &mut handshake.state {
            HandshakeState::PaseInitiator(state) => state
                .handle(opcode, payload)
                .map(|step| match step {
                    InitiatorStep::Send { opcode, payload } => Step::Send { opcode, payload },
                    InitiatorStep::Established(session) => Step::EstablishedPase {
                        session,
                        status: None,
                    },
                })
                .map_err(Failure::Pase),
            HandshakeState::PaseResponder(state) => state
                .handle(rng, opcode, payload)
                .map(|step| match step {
                    ResponderStep::Send { opcode, payload } => Step::Send { opcode, payload },
                    ResponderStep::Established {
                        session,
                        status_payload,
                    } => Step::EstablishedPase {
                        session,
                        status: Some(status_payload),
                    },
                })
                .map_err(Failure::Pase),
            HandshakeState::CaseInitiator(state) => state
                .handle(opcode, payload, &policy)
                .map(case_step)
                .map_err(Failure::Case),
            HandshakeState::CaseResponder(state) => {
                let find = |id: &crate::session::ResumptionId| {
                    sessions.find_resumption_record_by_id(id).cloned()
                };
                state
                    .handle(rng, opcode, payload, fabrics, find, &policy)
                    .map(case_step)
                    .map_err(Failure::Case)
            }
        };
        match result {
            Ok(Step::Send { opcode, payload }) => {
                if self
                    .send_on_exchange(now, exchange, opcode.as_u8(), &payload, HANDSHAKE_SEND)
                    .is_err()
                {
                    // The handshake and its exchange end together: an exchange left on an
                    // unsecured session without its handshake would take messages for nobody.
                    self.end_handshake(now, exchange, HandshakeError::DeliveryFailed);
                    self.remove_exchange(now, exchange, ExchangeCloseReason::DeliveryFailed);
                }
            }
            Ok(Step::EstablishedPase { session, status }) => {
                self.handshakes.remove(&exchange);
                let args = SecureSessionArgs {
                    now,
                    session_id: session.local_session_id(),
                    peer_session_id: session.peer_session_id(),
                    kind: SessionKind::Pase,
                    fabric: None,
                    local_node_id: crate::fabric::NodeId::UNSPECIFIED,
                    peer_node_id: crate::fabric::NodeId::UNSPECIFIED,
                    peer_cats: Vec::new(),
                    shared_secret: session.shared_secret(),
                    salt: &[],
                    is_initiator: session.is_initiator(),
                    is_resumption: false,
                    peer_parameters: *session.peer_parameters(),
                    peer_address: Some(peer),
                };
                if let Some(window) = self
                    .commissioning
                    .as_mut()
                    .filter(|_| !session.is_initiator())
                {
                    window.failures = 0;
                }
                // The responder's SUCCESS goes out before the session is usable; the initiator
                // acks it with a standalone ack when the exchange closes (Matter 1.3 §4.14.1.2).
                self.send_status_and_close(now, exchange, status, true);
                let _ = self.install_secure_session(args);
            }
            Ok(Step::EstablishedCase { session, status }) => {
                self.handshakes.remove(&exchange);
                // Full CASE: the responder sends SUCCESS; resumption: the initiator (Matter 1.3
                // §4.14.2).
                self.send_status_and_close(now, exchange, status, true);
                let record = session.resumption_record();
                if self
                    .install_secure_session(session.session_args(now, Some(peer)))
                    .is_ok()
                    && self.sessions.save_resumption_record(record).is_err()
                {
                    // A record that cannot be persisted only costs a full CASE next time.
                    self.stats.store_errors += 1;
                }
            }
            Err(Failure::Pase(failure)) => {
                let error = self.fail_handshake(now, exchange, failure);
                self.events.push_back(Event::HandshakeFailed {
                    exchange,
                    kind: HandshakeKind::Pase,
                    error,
                });
            }
            Err(Failure::Case(failure)) => {
                self.handshakes.remove(&exchange);
                self.send_status_and_close(now, exchange, failure.status_report_payload(), true);
                let error = match failure.busy_wait_ms() {
                    Some(wait_ms) => HandshakeError::Busy { wait_ms },
                    None => HandshakeError::Case(failure.error),
                };
                self.events.push_back(Event::HandshakeFailed {
                    exchange,
                    kind: HandshakeKind::Case,
                    error,
                });
            }
        }
    }

    /// A handshake state machine failed: send the StatusReport it owes, count the failure
    /// against the commissioning window, free the state.
    fn fail_handshake(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        failure: PaseFailure,
    ) -> HandshakeError {
        let handshake = self.handshakes.remove(&exchange);
        if let Some(HandshakeState::PaseResponder(_)) = handshake.map(|h| h.state)
            && let Some(window) = self.commissioning.as_mut()
        {
            window.failures += 1;
            if window.failures >= MAX_PASE_FAILURES {
                self.commissioning = None;
            }
        }
        self.send_status_and_close(now, exchange, failure.status_report_payload(), true);
        match failure.error {
            PaseError::PeerStatus { report } => match report.busy_wait_ms() {
                Some(wait_ms)
                    if report.secure_channel_status()
                        == Some(crate::codec::SecureChannelStatus::Busy) =>
                {
                    HandshakeError::Busy { wait_ms }
                }
                _ => HandshakeError::Pase(PaseError::PeerStatus { report }),
            },
            error => HandshakeError::Pase(error),
        }
    }

    /// Sends a StatusReport (if any) on the handshake exchange and closes it; the exchange
    /// lingers until a reliable report is acknowledged.
    fn send_status_and_close(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        status: Option<Vec<u8>>,
        reliable: bool,
    ) {
        if let Some(payload) = status {
            let options = SendOptions {
                reliable,
                expect_response: false,
            };
            let _ = self.send_on_exchange(
                now,
                exchange,
                SecureChannelOpcode::StatusReport.as_u8(),
                &payload,
                options,
            );
        }
        let _ = self.close_exchange(now, exchange);
    }

    /// Ends a handshake whose exchange failed or timed out.
    pub(super) fn end_handshake(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        error: HandshakeError,
    ) {
        if let Some(handshake) = self.handshakes.remove(&exchange) {
            let kind = handshake.kind();
            let _ = now;
            self.events.push_back(Event::HandshakeFailed {
                exchange,
                kind,
                error,
            });
        }
    }

    /// The exchange of a handshake is going away: report the handshake as failed.
    pub(super) fn handshake_exchange_closed(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        reason: ExchangeCloseReason,
    ) {
        let error = match reason {
            ExchangeCloseReason::Timeout => HandshakeError::Timeout,
            ExchangeCloseReason::DeliveryFailed | ExchangeCloseReason::SessionClosed => {
                HandshakeError::DeliveryFailed
            }
            ExchangeCloseReason::Local => HandshakeError::Timeout,
        };
        self.end_handshake(now, exchange, error);
    }
}
