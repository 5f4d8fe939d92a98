//! Inbound path: datagram → session (decrypt, replay check) → MRP (acks) → exchange →
//! application event. Every drop is counted; nothing here panics on network bytes.

use std::net::SocketAddr;

use super::{Diagnostic, Event, Node, RxDecision};
use crate::codec::{
    Destination, Message, ProtocolId, SecureChannelOpcode, SecureChannelStatus, StatusReport,
};
use crate::exchange::{Exchange, ExchangeId, ExchangeState, SessionRef};
use crate::fabric::NodeId;
use crate::session::{DecodedMessage, Session, SessionError, UnsecureSessionKey};
use crate::time::Instant;

/// What to do with a message that matched no exchange (Matter 1.3 §4.10.5.2).
enum Unsolicited {
    /// Open a responder exchange and deliver.
    Accept,
    /// A CloseSession from the peer on a secure session (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`).
    CloseSession,
    /// Ack it if reliable, then drop.
    Reject,
    /// The session is closing: drop without an ack (matter.js 0.17.9, Matter 1.3 §4.10.5.2).
    SessionClosing,
    /// A PBKDFParamRequest on an unsecured session: PASE responder (Matter 1.3 §4.14.1.2).
    PaseRequest,
    /// A Sigma1 on an unsecured session: CASE responder (Matter 1.3 §4.14.2).
    CaseRequest,
}

impl Node {
    /// Feeds one datagram received from `from` at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.stats.datagrams_received += 1;
        if bytes.len() > self.config.max_datagram_size {
            // Matter datagrams fit in 1280 bytes (Matter 1.3 §4.4); matter.js drops larger ones
            // unread.
            self.stats.oversized += 1;
            self.diagnose(|| Diagnostic::Received {
                from,
                session_id: 0,
                message_counter: 0,
                exchange_id: None,
                decision: RxDecision::Oversized,
            });
            return;
        }
        let message = match Message::decode(bytes) {
            Ok(message) => message,
            Err(_) => {
                self.stats.malformed += 1;
                self.diagnose(|| Diagnostic::Received {
                    from,
                    session_id: 0,
                    message_counter: 0,
                    exchange_id: None,
                    decision: RxDecision::Malformed,
                });
                return;
            }
        };
        let (session_id, counter) = (message.header.session_id, message.header.message_counter);
        let result = if session_id == 0 {
            self.open_unsecure(now, from, &message)
        } else {
            self.open_secure(now, from, &message, bytes)
        };
        match result {
            Ok((session, decoded)) => {
                let exchange_id = decoded.protocol.exchange_id;
                self.receiving = Some(session);
                let decision = self.process(now, session, decoded);
                self.receiving = None;
                // An unsecured session lives only as long as an exchange uses it (matter.js
                // `session/SessionManager.ts`): a message that opened none (an ack, a duplicate, a
                // rejected request) must not leave it behind.
                self.release_unsecure_session(session);
                self.diagnose(|| Diagnostic::Received {
                    from,
                    session_id,
                    message_counter: counter,
                    exchange_id: Some(exchange_id),
                    decision,
                });
            }
            Err(decision) => self.diagnose(|| Diagnostic::Received {
                from,
                session_id,
                message_counter: counter,
                exchange_id: None,
                decision,
            }),
        }
    }

    /// Decrypts and counter-checks a datagram (`bytes`, split as `message`) for a secure
    /// session, in place in the node's scratch buffer.
    fn open_secure(
        &mut self,
        now: Instant,
        from: SocketAddr,
        message: &Message<'_>,
        bytes: &[u8],
    ) -> Result<(SessionRef, DecodedMessage), RxDecision> {
        let id = message.header.session_id;
        let Some(session) = self.sessions.get_session_mut(id) else {
            self.stats.unknown_session += 1;
            return Err(RxDecision::UnknownSession);
        };
        self.rx_buf.clear();
        self.rx_buf.extend_from_slice(bytes);
        let decoded = session
            .decode_in_place(now, &mut self.rx_buf)
            .map(|view| view.to_message());
        match decoded {
            Ok(decoded) => {
                // The peer may have moved (Matter 1.3 §4.7.2); only authenticated datagrams move
                // it, and only fresh ones: a replay is authentic too, and one sent from an
                // attacker's address would otherwise redirect the session's traffic there (found by
                // the hostile-replay scenario).
                if !decoded.duplicate {
                    session.set_peer_address(from);
                }
                Ok((SessionRef::Secure(id), decoded))
            }
            Err(e) => Err(self.count_session_error(&e)),
        }
    }

    /// Finds (or, for a peer-initiated message, creates) the unsecured session (Matter 1.3
    /// "Unsecured Session Context"): the initiator's ephemeral node id is the source node id on its
    /// messages and the destination node id on the responder's.
    fn open_unsecure(
        &mut self,
        now: Instant,
        from: SocketAddr,
        message: &Message<'_>,
    ) -> Result<(SessionRef, DecodedMessage), RxDecision> {
        let header = &message.header;
        let (initiator_node_id, peer_initiates) = match (header.source_node_id, header.destination)
        {
            (Some(source), _) => (NodeId(source), true),
            (None, Destination::Node(destination)) => (NodeId(destination), false),
            _ => {
                self.stats.malformed += 1;
                return Err(RxDecision::Malformed);
            }
        };
        let key = UnsecureSessionKey {
            peer: from,
            initiator_node_id,
        };
        let existing_role = self
            .sessions
            .get_unsecure_session(from, initiator_node_id)
            .map(|s| s.we_initiate());
        let existed = existing_role.is_some();
        if !existed && !peer_initiates {
            // A response for an unsecured session we never started (matter.js drops these:
            // `protocol/ExchangeManager.ts`).
            self.stats.unknown_session += 1;
            return Err(RxDecision::UnknownSession);
        }
        if existing_role == Some(peer_initiates) {
            // The sender claims the role we hold on this session: our own message reflected
            // back (or a forgery of one). The initiator's messages carry its ephemeral id as
            // source, the responder's as destination (Matter 1.3 "Unsecured Session Context"), so
            // the roles cannot both be ours.
            self.stats.unknown_session += 1;
            return Err(RxDecision::UnknownSession);
        }
        if !existed && !self.make_room_for_unsecure_session() {
            self.stats.unsecured_table_full += 1;
            return Err(RxDecision::Unsolicited);
        }
        let session = self
            .sessions
            .create_unsecure_session(now, from, initiator_node_id, false);
        match session.decode(now, message) {
            Ok(decoded) => Ok((SessionRef::Unsecure(key), decoded)),
            Err(e) => {
                if !existed {
                    self.sessions
                        .remove_unsecure_session(from, initiator_node_id);
                }
                Err(self.count_session_error(&e))
            }
        }
    }

    fn count_session_error(&mut self, error: &SessionError) -> RxDecision {
        match error {
            SessionError::Undecryptable => {
                self.stats.undecryptable += 1;
                RxDecision::Undecryptable
            }
            SessionError::UnsupportedSecurityFlags { .. } => {
                self.stats.unsupported += 1;
                RxDecision::Unsupported
            }
            SessionError::Closed | SessionError::WrongSession { .. } | SessionError::NotSecure => {
                self.stats.unknown_session += 1;
                RxDecision::UnknownSession
            }
            _ => {
                self.stats.malformed += 1;
                RxDecision::Malformed
            }
        }
    }

    /// MRP and exchange dispatch of an authenticated, counter-checked message.
    fn process(
        &mut self,
        now: Instant,
        session: SessionRef,
        message: DecodedMessage,
    ) -> RxDecision {
        let p = message.protocol;
        // The receiver's exchange is the one where it plays the other role (Matter 1.3 §4.10).
        let id = ExchangeId {
            session,
            id: p.exchange_id,
            we_initiated: !p.initiator,
        };

        if let Some(ack) = p.ack_counter {
            self.handle_ack(now, id, ack);
        }
        if message.duplicate && !self.fault_delivers_duplicates() {
            self.stats.duplicates += 1;
            // Our earlier ack was lost: ack again, never deliver again (Matter 1.3 §4.6).
            if p.reliable {
                self.send_standalone_ack(now, id, message.message_counter);
            }
            return RxDecision::Duplicate;
        }
        let is_secure_channel = p.protocol() == ProtocolId::SECURE_CHANNEL;
        if is_secure_channel && p.opcode == SecureChannelOpcode::StandaloneAck.as_u8() {
            self.stats.acks_received += 1;
            return RxDecision::Ack;
        }

        if self.exchanges.get(&id).is_none() {
            match self.classify_unsolicited(session, &message) {
                Unsolicited::Accept => {
                    if let SessionRef::Secure(session_id) = session {
                        let accepted = self
                            .sessions
                            .get_session_mut(session_id)
                            .map(|s| s.add_exchange(id.id, false));
                        if !matches!(accepted, Some(Ok(()))) {
                            self.stats.unsolicited_dropped += 1;
                            return RxDecision::SessionClosing;
                        }
                    }
                    self.exchanges.insert(id, Exchange::new(p.protocol()));
                }
                Unsolicited::CloseSession => {
                    self.stats.delivered += 1;
                    if p.reliable {
                        self.send_standalone_ack(now, id, message.message_counter);
                    }
                    if let SessionRef::Secure(session_id) = session {
                        if let Some(s) = self.sessions.get_session_mut(session_id) {
                            s.closed_by_peer();
                        }
                        self.teardown_session(session_id);
                    }
                    return RxDecision::Delivered;
                }
                Unsolicited::Reject => {
                    self.stats.unsolicited_dropped += 1;
                    if p.reliable {
                        self.send_standalone_ack(now, id, message.message_counter);
                    }
                    return RxDecision::Unsolicited;
                }
                Unsolicited::SessionClosing => {
                    self.stats.unsolicited_dropped += 1;
                    return RxDecision::SessionClosing;
                }
                Unsolicited::PaseRequest => {
                    let counter = message.message_counter;
                    return self.accept_pbkdf_request(now, id, counter, &message.payload);
                }
                Unsolicited::CaseRequest => {
                    let counter = message.message_counter;
                    return self.accept_sigma1(now, id, counter, &message.payload);
                }
            }
        }

        let Some(ex) = self.exchanges.get_mut(&id) else {
            // Not reachable: an accepted message's exchange was inserted just above.
            self.stats.unsolicited_dropped += 1;
            return RxDecision::Unsolicited;
        };
        let flush = if p.reliable {
            ex.reliability.owe_ack(message.message_counter, now)
        } else {
            None
        };
        let closing = ex.state == ExchangeState::Closing;
        if !closing {
            // Anything arriving counts as the response we were waiting for.
            ex.response_deadline = None;
        }
        if let Some(older) = flush {
            self.send_standalone_ack(now, id, older);
        }
        if closing {
            // A closing exchange only waits for its ack: acknowledge and ignore (Matter 1.3 §4.10).
            if let Some(ack) = self
                .exchanges
                .get_mut(&id)
                .and_then(|e| e.reliability.pending_ack.take())
            {
                self.send_standalone_ack(now, id, ack.counter);
            }
            self.stats.acks_received += 1;
            return RxDecision::Ack;
        }
        if self.is_handshake(&id) {
            self.stats.delivered += 1;
            self.advance_handshake(now, id, p.opcode, &message.payload);
            return RxDecision::Delivered;
        }
        if let SessionRef::Unsecure(_) = session {
            // Nothing on an unsecured session reaches the application (Matter 1.3 "Unsecured
            // Session Context"): an exchange there without a handshake only waits for its last ack.
            // Not expected: a failed handshake takes its exchange with it.
            let _ = self.close_exchange(now, id);
            self.stats.unsolicited_dropped += 1;
            return RxDecision::Unsolicited;
        }
        self.stats.delivered += 1;
        self.events.push_back(Event::Message {
            exchange: id,
            protocol: p.protocol(),
            opcode: p.opcode,
            payload: message.payload,
        });
        RxDecision::Delivered
    }

    /// The peer acknowledged `counter` on exchange `id`.
    fn handle_ack(&mut self, now: Instant, id: ExchangeId, counter: u32) {
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        let Some(out) = ex.reliability.acknowledge(counter) else {
            return;
        };
        let done = ex.state == ExchangeState::Closing;
        self.events.push_back(Event::Acknowledged {
            exchange: id,
            message_counter: out.message_counter,
        });
        if done {
            self.remove_exchange(now, id, super::ExchangeCloseReason::Local);
        }
    }

    /// Decides about a message that matched no exchange (Matter 1.3 §4.10.5.2).
    fn classify_unsolicited(&self, session: SessionRef, message: &DecodedMessage) -> Unsolicited {
        let p = &message.protocol;
        if !p.initiator {
            return Unsolicited::Reject;
        }
        let secure_session = match session {
            SessionRef::Secure(id) => self.sessions.get_session(id),
            SessionRef::Unsecure(_) => None,
        };
        if p.protocol() == ProtocolId::SECURE_CHANNEL && secure_session.is_none() {
            // On the unsecured session only establishment requests start exchanges (Matter 1.3
            // §4.10.5.2).
            return match SecureChannelOpcode::from_u8(p.opcode) {
                Some(SecureChannelOpcode::PbkdfParamRequest) => Unsolicited::PaseRequest,
                Some(SecureChannelOpcode::Sigma1) => Unsolicited::CaseRequest,
                _ => Unsolicited::Reject,
            };
        }
        if p.protocol() == ProtocolId::SECURE_CHANNEL {
            // On secure sessions only a StatusReport (CloseSession) is meaningful unsolicited.
            let is_close = secure_session.is_some()
                && p.opcode == SecureChannelOpcode::StatusReport.as_u8()
                && StatusReport::decode(&message.payload).is_ok_and(|r| {
                    r.secure_channel_status() == Some(SecureChannelStatus::CloseSession)
                });
            return if is_close {
                Unsolicited::CloseSession
            } else {
                Unsolicited::Reject
            };
        }
        match secure_session {
            Some(s) if s.is_closing() => Unsolicited::SessionClosing,
            Some(_) if self.protocols.contains(&p.protocol()) => Unsolicited::Accept,
            _ => Unsolicited::Reject,
        }
    }
}
