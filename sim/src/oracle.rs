//! Oracles: properties checked continuously while a simulation runs. A violation stops the run
//! and names the oracle, the virtual time, the node and the datagram or event.
//!
//! | oracle | property |
//! | --- | --- |
//! | [`OracleKind::NonceReuse`] | two datagrams from one sender to one receiver session with the same counter are byte-identical (retransmissions are; anything else reuses a (key, nonce) pair) |
//! | [`OracleKind::CounterRegression`] | first transmissions from one sender on one session carry strictly increasing counters |
//! | [`OracleKind::DuplicateDelivery`] | no application message is delivered twice |
//! | [`OracleKind::AckAndFailure`] | no reliable message is both acknowledged and reported failed |
//! | [`OracleKind::Unresolved`] | by the end, every reliable message was acknowledged or reported failed |
//! | [`OracleKind::AckedNotDelivered`] | an acknowledged message was delivered |
//! | [`OracleKind::ClosedSessionTraffic`] | nothing is sent for a session after it closed (no timer fires into it) |
//! | [`OracleKind::ClosedSessionKept`] | a closed session leaves the table; so does one the peer closed |
//! | [`OracleKind::SessionMismatch`] | two live ends of a session agree on ids and keys |
//! | [`OracleKind::Liveness`] | after faults stop, sessions are there and exchanges complete in bounded time |
//!
//! MRP semantics (Matter 1.3 §4.12.2): a message reported failed may still have been
//! delivered (the ack was lost, not the message), so "failed and delivered" is allowed; "acked
//! and failed" is not. A reliable message whose sender crashed before it was resolved is
//! exempt from [`OracleKind::Unresolved`]: nobody is left to be told.
//!
//! The nonce state of a session is forgotten when its sender closes it or crashes: sessions
//! are keyed afresh at every establishment (and the simulator gives every pairing-free session
//! its own secret), so a later session may legitimately reuse ids and counters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;

use paseo_core::crypto::sha256;
use paseo_core::exchange::{ExchangeId, SessionRef};
use paseo_core::node::{Event, Node, Transmit};
use paseo_core::session::Session;
use paseo_core::time::Instant;
use serde::{Serialize, Serializer};

use crate::host::message_tag;
use crate::trace::{header_ids, to_hex};

/// Which property was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OracleKind {
    /// Same (sender, receiver session, counter), different bytes.
    NonceReuse,
    /// A first transmission's counter did not increase.
    CounterRegression,
    /// An application message was delivered twice.
    DuplicateDelivery,
    /// A reliable message was both acknowledged and reported failed.
    AckAndFailure,
    /// A reliable message was neither acknowledged nor reported failed.
    Unresolved,
    /// A message was acknowledged but never delivered.
    AckedNotDelivered,
    /// A datagram was sent for a closed session.
    ClosedSessionTraffic,
    /// A closed session stayed in a session table.
    ClosedSessionKept,
    /// Two ends of a session disagree on ids or keys.
    SessionMismatch,
    /// The system did not converge after faults stopped.
    Liveness,
}

impl fmt::Display for OracleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            OracleKind::NonceReuse => "nonce-reuse",
            OracleKind::CounterRegression => "counter-regression",
            OracleKind::DuplicateDelivery => "duplicate-delivery",
            OracleKind::AckAndFailure => "ack-and-failure",
            OracleKind::Unresolved => "unresolved",
            OracleKind::AckedNotDelivered => "acked-not-delivered",
            OracleKind::ClosedSessionTraffic => "closed-session-traffic",
            OracleKind::ClosedSessionKept => "closed-session-kept",
            OracleKind::SessionMismatch => "session-mismatch",
            OracleKind::Liveness => "liveness",
        };
        f.write_str(name)
    }
}

/// A broken property, with where and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{oracle} at {at} ms on {node}: {detail}")]
pub struct Violation {
    /// The oracle.
    pub oracle: OracleKind,
    /// Virtual time.
    #[serde(rename = "t_us", serialize_with = "micros")]
    pub at: Instant,
    /// The node it was seen at.
    pub node: String,
    /// What exactly.
    pub detail: String,
    /// The offending datagram, as hex, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datagram: Option<String>,
}

fn micros<S: Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(at.as_micros())
}

/// What the oracles know of one application message.
#[derive(Clone, Debug, Default)]
struct MessageState {
    sender: usize,
    reliable: bool,
    delivered: u32,
    acked: bool,
    failed: bool,
    sender_crashed: bool,
}

/// (sender node, receiver address, receiver's session id).
type SessionKey = (usize, SocketAddr, u16);

/// The oracles' state.
#[derive(Debug, Default)]
pub struct Oracles {
    violations: Vec<Violation>,
    /// Digest of the first datagram seen per (session key, counter).
    wire: BTreeMap<(SessionKey, u32), [u8; 32]>,
    /// Highest first-transmission counter per session key.
    last_counter: BTreeMap<SessionKey, u32>,
    messages: BTreeMap<u64, MessageState>,
    by_counter: BTreeMap<(usize, ExchangeId, u32), u64>,
    /// Live sessions per (node, local id): the peer's address and session id.
    live: BTreeMap<(usize, u16), (Option<SocketAddr>, u16)>,
    /// Session keys closed by their sender.
    closed: BTreeSet<SessionKey>,
}

impl Oracles {
    /// Violations so far, oldest first.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Records a violation.
    pub fn violate(
        &mut self,
        oracle: OracleKind,
        at: Instant,
        node: &str,
        detail: String,
        datagram: Option<&[u8]>,
    ) {
        self.violations.push(Violation {
            oracle,
            at,
            node: node.to_owned(),
            detail,
            datagram: datagram.map(to_hex),
        });
    }

    /// The peer (address, session id) of a live session, as recorded when it opened.
    pub fn peer_of(&self, node: usize, session_id: u16) -> Option<(Option<SocketAddr>, u16)> {
        self.live.get(&(node, session_id)).copied()
    }

    /// A datagram is leaving `sender` (checked before the network sees it).
    pub fn on_transmit(
        &mut self,
        at: Instant,
        sender: usize,
        name: &str,
        node: &Node,
        transmit: &Transmit,
    ) {
        let Some((session_id, counter)) = header_ids(&transmit.payload) else {
            return;
        };
        if session_id == 0 {
            // Unsecured: no key, no nonce.
            return;
        }
        let key = (sender, transmit.destination, session_id);
        if self.closed.contains(&key) {
            let reopened = node.sessions().sessions().any(|s| {
                s.peer_session_id() == session_id
                    && s.context().peer_address == Some(transmit.destination)
            });
            if !reopened {
                self.violate(
                    OracleKind::ClosedSessionTraffic,
                    at,
                    name,
                    format!("counter {counter} sent to session {session_id} after it closed"),
                    Some(&transmit.payload),
                );
            }
        }
        let digest = sha256(&transmit.payload);
        match self.wire.get(&(key, counter)) {
            Some(first) if *first != digest => self.violate(
                OracleKind::NonceReuse,
                at,
                name,
                format!("counter {counter} on session {session_id} reused for different bytes"),
                Some(&transmit.payload),
            ),
            Some(_) => {}
            None => {
                if let Some(&last) = self.last_counter.get(&key)
                    && counter <= last
                {
                    self.violate(
                        OracleKind::CounterRegression,
                        at,
                        name,
                        format!("counter {counter} after {last} on session {session_id}"),
                        Some(&transmit.payload),
                    );
                }
                self.wire.insert((key, counter), digest);
                self.last_counter.insert(key, counter);
            }
        }
    }

    /// The application of `sender` sent message `tag`.
    pub fn on_app_sent(
        &mut self,
        sender: usize,
        exchange: ExchangeId,
        counter: u32,
        tag: u64,
        reliable: bool,
    ) {
        self.messages.insert(
            tag,
            MessageState {
                sender,
                reliable,
                ..MessageState::default()
            },
        );
        self.by_counter.insert((sender, exchange, counter), tag);
    }

    /// An application event of `node_index`.
    pub fn on_event(
        &mut self,
        at: Instant,
        node_index: usize,
        name: &str,
        node: &Node,
        event: &Event,
    ) {
        match event {
            Event::Message {
                protocol,
                opcode,
                payload,
                ..
            } => {
                let Some(tag) = message_tag(*protocol, *opcode, payload) else {
                    return;
                };
                let Some(state) = self.messages.get_mut(&tag) else {
                    return;
                };
                state.delivered += 1;
                if state.delivered > 1 {
                    let times = state.delivered;
                    self.violate(
                        OracleKind::DuplicateDelivery,
                        at,
                        name,
                        format!("message {tag} delivered {times} times"),
                        None,
                    );
                }
            }
            Event::Acknowledged {
                exchange,
                message_counter,
            } => self.resolve(at, node_index, name, *exchange, *message_counter, true),
            Event::DeliveryFailed {
                exchange,
                message_counter,
                ..
            } => self.resolve(at, node_index, name, *exchange, *message_counter, false),
            Event::SessionOpened { session_id, .. } => {
                if let Some(s) = node.sessions().get_session(*session_id) {
                    let peer = (s.context().peer_address, s.peer_session_id());
                    self.live.insert((node_index, *session_id), peer);
                    if let Some(addr) = peer.0 {
                        self.closed.remove(&(node_index, addr, peer.1));
                    }
                }
            }
            Event::SessionClosed { session_id, .. } => {
                if let Some((Some(addr), peer_id)) = self.live.remove(&(node_index, *session_id)) {
                    let key = (node_index, addr, peer_id);
                    self.forget_nonces(key);
                    self.closed.insert(key);
                }
                if node.sessions().get_session(*session_id).is_some() {
                    self.violate(
                        OracleKind::ClosedSessionKept,
                        at,
                        name,
                        format!("session {session_id} reported closed but still in the table"),
                        None,
                    );
                }
            }
            Event::ExchangeClosed { .. } | Event::HandshakeFailed { .. } => {}
        }
    }

    fn resolve(
        &mut self,
        at: Instant,
        node: usize,
        name: &str,
        exchange: ExchangeId,
        counter: u32,
        acked: bool,
    ) {
        let Some(&tag) = self.by_counter.get(&(node, exchange, counter)) else {
            return;
        };
        let Some(state) = self.messages.get_mut(&tag) else {
            return;
        };
        if acked {
            state.acked = true;
        } else {
            state.failed = true;
        }
        if state.acked && state.failed {
            self.violate(
                OracleKind::AckAndFailure,
                at,
                name,
                format!("message {tag} (counter {counter}) both acknowledged and failed"),
                None,
            );
        }
    }

    /// `node` authenticated a CloseSession for `session_id`: it must not keep the session.
    pub fn on_close_session_received(
        &mut self,
        at: Instant,
        name: &str,
        node: &Node,
        session_id: u16,
        datagram: &[u8],
    ) {
        if node.sessions().get_session(session_id).is_some() {
            self.violate(
                OracleKind::ClosedSessionKept,
                at,
                name,
                format!("session {session_id} kept after the peer's CloseSession"),
                Some(datagram),
            );
        }
    }

    /// `node` crashed: its volatile state (sessions, keys, pending messages) is gone.
    pub fn on_crash(&mut self, node: usize) {
        for state in self.messages.values_mut() {
            if state.sender == node && state.reliable && !state.acked && !state.failed {
                state.sender_crashed = true;
            }
        }
        self.live.retain(|(n, _), _| *n != node);
        self.closed.retain(|(n, _, _)| *n != node);
        self.wire.retain(|((n, _, _), _), _| *n != node);
        self.last_counter.retain(|(n, _, _), _| *n != node);
    }

    fn forget_nonces(&mut self, key: SessionKey) {
        self.wire.retain(|(k, _), _| *k != key);
        self.last_counter.remove(&key);
    }

    /// End-of-run checks on application messages.
    pub fn finish(&mut self, at: Instant, names: &[String]) {
        let mut found = Vec::new();
        for (tag, s) in &self.messages {
            let name = names.get(s.sender).cloned().unwrap_or_default();
            if s.reliable && !s.acked && !s.failed && !s.sender_crashed {
                found.push((
                    OracleKind::Unresolved,
                    name.clone(),
                    *tag,
                    "neither acknowledged nor reported failed",
                ));
            }
            if s.acked && s.delivered == 0 {
                found.push((
                    OracleKind::AckedNotDelivered,
                    name,
                    *tag,
                    "acknowledged but never delivered",
                ));
            }
        }
        for (oracle, name, tag, what) in found {
            self.violate(oracle, at, &name, format!("message {tag} {what}"), None);
        }
    }

    /// Messages tracked, and how many were delivered at least once.
    pub fn message_counts(&self) -> (usize, usize) {
        let delivered = self.messages.values().filter(|m| m.delivered > 0).count();
        (self.messages.len(), delivered)
    }
}

/// The local session id an exchange runs on, if secure.
pub fn secure_session_of(exchange: &ExchangeId) -> Option<u16> {
    match exchange.session {
        SessionRef::Secure(id) => Some(id),
        SessionRef::Unsecure(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paseo_core::codec::MessageHeader;
    use paseo_core::fabric::NodeId;
    use paseo_core::node::{DeliveryError, NodeConfig};
    use paseo_core::session::{CloseReason, SecureSessionArgs, SessionKind, SessionParameters};
    use paseo_core::store::MemoryStore;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn node() -> Node {
        Node::new(
            NodeConfig::default(),
            ChaCha20Rng::seed_from_u64(1),
            Box::new(MemoryStore::new()),
        )
    }

    fn datagram(session: u16, counter: u32, body: &[u8]) -> Transmit {
        let mut payload = Vec::new();
        MessageHeader::unicast(session, counter).encode(&mut payload);
        payload.extend_from_slice(body);
        Transmit {
            destination: "[fe80::2]:5540".parse().unwrap(),
            payload,
        }
    }

    fn kinds(o: &Oracles) -> Vec<OracleKind> {
        o.violations().iter().map(|v| v.oracle).collect()
    }

    const X: ExchangeId = ExchangeId {
        session: SessionRef::Secure(5),
        id: 1,
        we_initiated: true,
    };

    #[test]
    fn retransmissions_pass_reuse_and_regression_do_not() {
        let (mut o, n, t) = (Oracles::default(), node(), Instant::ZERO);
        o.on_transmit(t, 0, "a", &n, &datagram(5, 100, b"one"));
        o.on_transmit(t, 0, "a", &n, &datagram(5, 100, b"one"));
        o.on_transmit(t, 0, "a", &n, &datagram(5, 101, b"two"));
        // Another session, and the unsecured session, have their own counters.
        o.on_transmit(t, 0, "a", &n, &datagram(6, 1, b"x"));
        o.on_transmit(t, 0, "a", &n, &datagram(0, 1, b"y"));
        o.on_transmit(t, 0, "a", &n, &datagram(0, 1, b"z"));
        assert!(kinds(&o).is_empty());
        o.on_transmit(t, 0, "a", &n, &datagram(5, 99, b"old"));
        o.on_transmit(t, 0, "a", &n, &datagram(5, 101, b"not two"));
        assert_eq!(
            kinds(&o),
            vec![OracleKind::CounterRegression, OracleKind::NonceReuse]
        );
    }

    #[test]
    fn a_message_both_acked_and_failed_is_reported() {
        let (mut o, n, t) = (Oracles::default(), node(), Instant::ZERO);
        o.on_app_sent(0, X, 7, 1, true);
        let ack = Event::Acknowledged {
            exchange: X,
            message_counter: 7,
        };
        let fail = Event::DeliveryFailed {
            exchange: X,
            message_counter: 7,
            reason: DeliveryError::RetransmissionsExhausted,
        };
        o.on_event(t, 0, "a", &n, &ack);
        assert!(kinds(&o).is_empty());
        o.on_event(t, 0, "a", &n, &fail);
        assert_eq!(kinds(&o), vec![OracleKind::AckAndFailure]);
    }

    #[test]
    fn end_of_run_finds_unresolved_and_undelivered_messages() {
        let (mut o, n, t) = (Oracles::default(), node(), Instant::ZERO);
        o.on_app_sent(0, X, 1, 10, true); // never resolved
        o.on_app_sent(0, X, 2, 11, true); // acked, never delivered
        o.on_app_sent(1, X, 3, 12, true); // its sender crashed
        o.on_app_sent(0, X, 4, 13, false); // unreliable: nothing owed
        o.on_app_sent(0, X, 5, 14, true); // failed but delivered: allowed
        let delivered = |tag: u64| Event::Message {
            exchange: X,
            protocol: crate::host::APP_PROTOCOL,
            opcode: crate::host::APP_OPCODE.as_u8(),
            payload: tag.to_be_bytes().to_vec(),
        };
        o.on_event(
            t,
            0,
            "a",
            &n,
            &Event::Acknowledged {
                exchange: X,
                message_counter: 2,
            },
        );
        o.on_event(t, 1, "b", &n, &delivered(14));
        o.on_event(
            t,
            0,
            "a",
            &n,
            &Event::DeliveryFailed {
                exchange: X,
                message_counter: 5,
                reason: DeliveryError::RetransmissionsExhausted,
            },
        );
        o.on_crash(1);
        o.finish(t, &["a".into(), "b".into()]);
        assert_eq!(
            kinds(&o),
            vec![OracleKind::Unresolved, OracleKind::AckedNotDelivered]
        );
        assert!(o.violations()[0].detail.contains("message 10"));
        assert!(o.violations()[1].detail.contains("message 11"));
        // A second delivery of the same message is a violation at once.
        o.on_event(t, 1, "b", &n, &delivered(14));
        assert_eq!(kinds(&o).last(), Some(&OracleKind::DuplicateDelivery));
    }

    #[test]
    fn a_session_reported_closed_but_kept_is_caught() {
        let (mut o, mut n, t) = (Oracles::default(), node(), Instant::ZERO);
        let secret = [7u8; 32];
        let id = n
            .install_secure_session(SecureSessionArgs {
                now: t,
                session_id: 5,
                peer_session_id: 9,
                kind: SessionKind::Case,
                fabric: None,
                local_node_id: NodeId(1),
                peer_node_id: NodeId(2),
                peer_cats: Vec::new(),
                shared_secret: &secret,
                salt: b"",
                is_initiator: true,
                is_resumption: false,
                peer_parameters: SessionParameters::default(),
                peer_address: Some("[fe80::2]:5540".parse().unwrap()),
            })
            .unwrap();
        o.on_event(
            t,
            0,
            "a",
            &n,
            &Event::SessionOpened {
                session_id: id,
                is_pase: false,
                is_resumption: false,
            },
        );
        o.on_close_session_received(t, "a", &n, id, b"close");
        o.on_event(
            t,
            0,
            "a",
            &n,
            &Event::SessionClosed {
                session_id: id,
                reason: CloseReason::Local,
            },
        );
        assert_eq!(
            kinds(&o),
            vec![OracleKind::ClosedSessionKept, OracleKind::ClosedSessionKept]
        );
        // Its peer session id is now closed for sends from this node.
        o.on_transmit(t, 0, "a", &node(), &datagram(9, 1, b"late"));
        assert_eq!(kinds(&o).last(), Some(&OracleKind::ClosedSessionTraffic));
    }
}
