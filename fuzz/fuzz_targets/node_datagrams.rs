//! Fuzzes a whole `Node` (a device with a PASE commissioning window open, a CASE fabric with a
//! resumption record, and one installed secure session whose peer keys the fuzzer holds) with
//! datagrams from a handful of addresses, interleaved with `handle_timeout` at arbitrary later
//! times. Datagrams are arbitrary bytes, crafted unsecured messages (either role, arbitrary
//! flags, counters and exchange ids) carrying arbitrary payloads or genuine / bit-flipped
//! PBKDFParamRequests and Sigma1s, genuine secure messages sealed by the peer (CloseSession
//! included), replays of any earlier input, and reflections of what the node sent.
//!
//! Properties: nothing panics; every datagram has exactly one recorded fate
//! (`NodeStats::accounted() == datagrams_received`, no counter ever decreases); the state
//! stays within the documented limits (docs/RELIABILITY.md): responder handshakes
//! <= `max_pending_handshakes`, unsecured sessions <= `max_unsecured_sessions`, exchanges on
//! unsecured sessions <= `max_unsecured_sessions`, and no exchange is left on a secure session
//! once the application has closed what it was given; a message is delivered to the
//! application only if it authenticates under the installed session's keys, at most once per
//! counter; no session is ever opened except a resumption (a replayed resumption Sigma1 with a
//! forged SUCCESS can complete one, Matter 1.3 §4.14.2; nothing can complete PASE or full
//! CASE without the passcode or a NOC key).

#![no_main]

#[path = "common/case_fabric.rs"]
mod case_fabric;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use case_fabric::{DEVICE, fabric, session_id};
use libfuzzer_sys::fuzz_target;
use paseo_core::case::CaseInitiatorState;
use paseo_core::codec::{Message, ProtocolHeader, ProtocolId, ProtocolMessage, StatusReport};
use paseo_core::exchange::SessionRef;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::{Event, Node, NodeConfig, NodeStats, PaseBusyPolicy};
use paseo_core::pase::{PaseInitiatorState, Passcode, PbkdfParameters, Verifier};
use paseo_core::session::counter::{CounterKind, MessageCounter};
use paseo_core::session::unsecure::SharedUnencryptedCounter;
use paseo_core::session::{
    SecureSession, SecureSessionArgs, Session, SessionKind, SessionParameters, UnsecureSession,
    UnsecureSessionKey,
};
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;
const NODE_SESSION: u16 = 0x0B0B;
const PEER_SESSION: u16 = 0x0A0A;
const MAX_PENDING_HANDSHAKES: usize = 2;
const MAX_UNSECURED_SESSIONS: usize = 3;

/// Genuine establishment payloads, computed once.
struct Templates {
    pbkdf: PbkdfParameters,
    verifier: Verifier,
    pbkdf_request: Vec<u8>,
    sigma1: Vec<u8>,
    sigma1_resume: Vec<u8>,
    close_session: Vec<u8>,
    success: Vec<u8>,
}

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let fx = fabric();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let pbkdf = PbkdfParameters::new(1000, &[0x42; 16]).expect("pbkdf");
        let passcode = Passcode::new(PASSCODE).expect("passcode");
        let verifier = Verifier::from_passcode(&passcode, &pbkdf).expect("verifier");
        let (_, pbkdf_request) = PaseInitiatorState::start(
            &mut rng,
            passcode,
            session_id(0x1111),
            SessionParameters::paseo_default(),
        );
        let sigma1 = |resume: bool, rng: &mut ChaCha20Rng| {
            CaseInitiatorState::start(
                rng,
                &fx.controller,
                DEVICE,
                session_id(0x1001),
                SessionParameters::paseo_default(),
                resume.then_some(&fx.controller_record),
            )
            .expect("Sigma1")
            .1
        };
        let mut close_session = Vec::new();
        StatusReport::close_session().encode(&mut close_session);
        let mut success = Vec::new();
        StatusReport::success().encode(&mut success);
        Templates {
            pbkdf,
            verifier,
            pbkdf_request,
            sigma1: sigma1(false, &mut rng),
            sigma1_resume: sigma1(true, &mut rng),
            close_session,
            success,
        }
    })
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Template {
    PbkdfRequest,
    Sigma1,
    Sigma1Resume,
    CloseSession,
    /// SUCCESS / SessionEstablishmentSuccess: what finishes a resumption (Matter 1.3 §4.14.2).
    Success,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    Template(Template),
    Flipped {
        template: Template,
        at: u16,
        mask: u8,
    },
}

#[derive(Arbitrary, Debug)]
enum Action {
    /// Arbitrary bytes.
    Raw { from: u8, bytes: Vec<u8> },
    /// An unsecured message; `as_initiator` puts the ephemeral id as source, else as
    /// destination (Matter 1.3 "Unsecured Session Context").
    Unsecured {
        from: u8,
        node: u8,
        as_initiator: bool,
        counter: u32,
        header: Header,
        body: Body,
    },
    /// The next message of the last `Unsecured` peer: same address, session (counter + 1)
    /// and exchange, as a peer continuing its handshake; `ack_latest` acknowledges the latest
    /// datagram the node sent to that address.
    Continue {
        opcode: u8,
        reliable: bool,
        ack_latest: bool,
        body: Body,
    },
    /// A message sealed by the installed session's peer.
    Secure {
        from: u8,
        header: Header,
        body: Body,
    },
    /// An earlier input datagram again, from any address.
    Replay { from: u8, index: u16 },
    /// Something the node sent, back to the node from where it went.
    Reflect { index: u16 },
    /// The clock moves on; `handle_timeout` runs.
    Timeout { advance_ms: u16 },
    /// Re-install the secure session (new keys) if the peer closed it.
    Reinstall,
    /// Close or reopen the commissioning window.
    ToggleWindow,
}

#[derive(Arbitrary, Debug)]
struct Header {
    secure_channel: bool,
    opcode: u8,
    exchange: u8,
    initiator: bool,
    reliable: bool,
    ack: Option<u32>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    ignore_when_busy: bool,
    actions: Vec<Action>,
}

fn address(from: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, from & 7], 5540))
}

fn body_bytes(body: &Body) -> Vec<u8> {
    let t = templates();
    let template = |which: Template| match which {
        Template::PbkdfRequest => t.pbkdf_request.clone(),
        Template::Sigma1 => t.sigma1.clone(),
        Template::Sigma1Resume => t.sigma1_resume.clone(),
        Template::CloseSession => t.close_session.clone(),
        Template::Success => t.success.clone(),
    };
    match body {
        Body::Raw(bytes) => bytes.clone(),
        Body::Template(which) => template(*which),
        Body::Flipped {
            template: which,
            at,
            mask,
        } => {
            let mut bytes = template(*which);
            if !bytes.is_empty() {
                let i = usize::from(*at) % bytes.len();
                bytes[i] ^= mask;
            }
            bytes
        }
    }
}

fn protocol_header(header: &Header) -> ProtocolHeader<'static> {
    let protocol = if header.secure_channel {
        ProtocolId::SECURE_CHANNEL
    } else {
        ProtocolId::INTERACTION_MODEL
    };
    ProtocolHeader {
        initiator: header.initiator,
        reliable: header.reliable,
        ack_counter: header.ack,
        ..ProtocolHeader::new(protocol, header.opcode, u16::from(header.exchange))
    }
}

/// Both ends of the installed session for one incarnation (its secret differs each time).
fn session_args(incarnation: u8, node_side: bool, peer: SocketAddr) -> SecureSessionArgs<'static> {
    static SECRETS: OnceLock<Vec<[u8; 32]>> = OnceLock::new();
    let secrets = SECRETS.get_or_init(|| (0..=255u8).map(|i| [i; 32]).collect());
    let (local, remote, me, them) = if node_side {
        (NODE_SESSION, PEER_SESSION, DEVICE, case_fabric::CONTROLLER)
    } else {
        (PEER_SESSION, NODE_SESSION, case_fabric::CONTROLLER, DEVICE)
    };
    SecureSessionArgs {
        now: Instant::ZERO,
        session_id: local,
        peer_session_id: remote,
        kind: SessionKind::Case,
        fabric: Some(FabricIndex(2)),
        local_node_id: me,
        peer_node_id: them,
        peer_cats: vec![],
        shared_secret: &secrets[usize::from(incarnation)],
        salt: b"fuzz",
        is_initiator: !node_side,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: Some(peer),
    }
}

/// The peer's sealing session and a stateless mirror of the node's receiving one.
struct Peer {
    sealer: SecureSession,
    mirror: SecureSession,
    delivered: BTreeSet<u32>,
}

fn make_peer(incarnation: u8) -> Peer {
    let start = || MessageCounter::with_initial(CounterKind::SecureSession, 1).expect("start");
    Peer {
        sealer: SecureSession::new(session_args(incarnation, false, address(0)), start())
            .expect("sealer"),
        mirror: SecureSession::new(session_args(incarnation, true, address(0)), start())
            .expect("mirror"),
        delivered: BTreeSet::new(),
    }
}

fn monotone(before: &NodeStats, after: &NodeStats) -> bool {
    let pairs = [
        (before.datagrams_received, after.datagrams_received),
        (before.oversized, after.oversized),
        (before.malformed, after.malformed),
        (before.unknown_session, after.unknown_session),
        (before.undecryptable, after.undecryptable),
        (before.unsupported, after.unsupported),
        (before.unsecured_table_full, after.unsecured_table_full),
        (before.duplicates, after.duplicates),
        (before.unsolicited_dropped, after.unsolicited_dropped),
        (before.handshakes_refused, after.handshakes_refused),
        (before.delivered, after.delivered),
        (before.acks_received, after.acks_received),
        (before.unsecured_evicted, after.unsecured_evicted),
        (before.datagrams_sent, after.datagrams_sent),
        (before.delivery_failures, after.delivery_failures),
    ];
    pairs.iter().all(|(b, a)| a >= b)
}

fuzz_target!(|input: Input| {
    let fx = fabric();
    let t = templates();
    let config = NodeConfig {
        max_pending_handshakes: MAX_PENDING_HANDSHAKES,
        max_unsecured_sessions: MAX_UNSECURED_SESSIONS,
        response_timeout: Duration::from_secs(30),
        diagnostics: true,
        pase_busy: if input.ignore_when_busy {
            PaseBusyPolicy::Ignore
        } else {
            PaseBusyPolicy::default()
        },
        certificate_time: paseo_core::node::CertificateTime::Skip,
        ..NodeConfig::default()
    };
    let mut node = Node::new(
        config,
        ChaCha20Rng::seed_from_u64(input.seed),
        Box::new(MemoryStore::new()),
    );
    node.add_fabric(fx.device.clone());
    node.register_protocol(ProtocolId::INTERACTION_MODEL);
    node.open_commissioning_window(t.verifier.clone(), t.pbkdf.clone());
    node.sessions_mut()
        .save_resumption_record(fx.device_record.clone())
        .expect("memory store");
    let mut incarnation = 0u8;
    node.install_secure_session(session_args(incarnation, true, address(0)))
        .expect("install");
    let mut peer = make_peer(incarnation);
    while node.poll_event().is_some() {}

    let mut now = Instant::ZERO;
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut sent: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    let mut stats = *node.stats();
    let mut last_unsecured: Option<(UnsecureSession, ProtocolHeader<'static>)> = None;

    for action in input.actions.into_iter().take(48) {
        let datagram: Option<(SocketAddr, Vec<u8>)> = match action {
            Action::Raw { from, bytes } => Some((address(from), bytes)),
            Action::Unsecured {
                from,
                node: id,
                as_initiator,
                counter,
                header,
                body,
            } => {
                let key = UnsecureSessionKey {
                    peer: address(from),
                    initiator_node_id: NodeId(u64::from(id % 4) + 1),
                };
                let mut session = UnsecureSession::new(
                    now,
                    key,
                    as_initiator,
                    SharedUnencryptedCounter::starting_at(counter),
                );
                let payload = body_bytes(&body);
                let header = protocol_header(&header);
                let message = ProtocolMessage {
                    header,
                    payload: &payload,
                };
                let datagram = session
                    .encode(now, &message)
                    .ok()
                    .map(|d| (address(from), d));
                last_unsecured = Some((session, header));
                datagram
            }
            Action::Continue {
                opcode,
                reliable,
                ack_latest,
                body,
            } => match last_unsecured.as_mut() {
                Some((session, previous)) => {
                    let to = session.key().peer;
                    let ack = ack_latest
                        .then(|| sent.iter().rev().find(|(d, _)| *d == to))
                        .flatten()
                        .and_then(|(_, bytes)| bytes.get(4..8))
                        .and_then(|b| b.try_into().ok())
                        .map(u32::from_le_bytes);
                    let header = ProtocolHeader {
                        reliable,
                        ack_counter: ack,
                        opcode,
                        ..*previous
                    };
                    let payload = body_bytes(&body);
                    let message = ProtocolMessage {
                        header,
                        payload: &payload,
                    };
                    session.encode(now, &message).ok().map(|d| (to, d))
                }
                None => None,
            },
            Action::Secure { from, header, body } => {
                let payload = body_bytes(&body);
                let message = ProtocolMessage {
                    header: protocol_header(&header),
                    payload: &payload,
                };
                peer.sealer
                    .encode(now, &message)
                    .ok()
                    .map(|d| (address(from), d))
            }
            Action::Replay { from, index } => (!inputs.is_empty()).then(|| {
                (
                    address(from),
                    inputs[usize::from(index) % inputs.len()].clone(),
                )
            }),
            Action::Reflect { index } => {
                (!sent.is_empty()).then(|| sent[usize::from(index) % sent.len()].clone())
            }
            Action::Timeout { advance_ms } => {
                now += Duration::from_millis(u64::from(advance_ms));
                node.handle_timeout(now);
                None
            }
            Action::Reinstall => {
                if node.sessions().get_session(NODE_SESSION).is_none() {
                    incarnation = incarnation.wrapping_add(1);
                    let _ =
                        node.install_secure_session(session_args(incarnation, true, address(0)));
                    peer = make_peer(incarnation);
                    // Its SessionOpened is ours, not the network's.
                    while node.poll_event().is_some() {}
                }
                None
            }
            Action::ToggleWindow => {
                if node.commissioning_window_open() {
                    node.close_commissioning_window();
                } else {
                    node.open_commissioning_window(t.verifier.clone(), t.pbkdf.clone());
                }
                None
            }
        };

        if let Some((from, bytes)) = &datagram {
            node.handle_datagram(now, *from, bytes);
            inputs.push(bytes.clone());
            if inputs.len() > 32 {
                inputs.remove(0);
            }
        }

        // Accounting: one fate per datagram, counters only grow.
        let after = *node.stats();
        assert!(
            monotone(&stats, &after),
            "a counter went down: {stats:?} -> {after:?}"
        );
        let received = u64::from(datagram.is_some());
        assert_eq!(
            after.datagrams_received,
            stats.datagrams_received + received
        );
        assert_eq!(after.accounted(), after.datagrams_received, "{after:?}");
        stats = after;

        // The application: closes whatever it is given; checks every delivery.
        while let Some(event) = node.poll_event() {
            match event {
                Event::Message { exchange, .. } => {
                    let (_, bytes) = datagram.as_ref().expect("a message without a datagram");
                    let message = Message::decode(bytes).expect("delivered, so it decodes");
                    let decoded = peer
                        .mirror
                        .inspect(&message)
                        .expect("delivered a message that does not authenticate");
                    assert!(
                        peer.delivered.insert(decoded.message_counter),
                        "counter {} delivered twice",
                        decoded.message_counter
                    );
                    assert_eq!(exchange.session, SessionRef::Secure(NODE_SESSION));
                    let _ = node.close_exchange(now, exchange);
                }
                Event::SessionOpened {
                    is_pase,
                    is_resumption,
                    ..
                } => {
                    assert!(
                        !is_pase && is_resumption,
                        "a session opened without the passcode or a NOC key"
                    );
                }
                _ => {}
            }
        }
        while node.poll_diagnostic().is_some() {}
        while let Some(transmit) = node.poll_transmit() {
            sent.push((transmit.destination, transmit.payload));
            if sent.len() > 32 {
                sent.remove(0);
            }
        }

        // Bounded state.
        assert!(node.handshakes_in_progress() <= MAX_PENDING_HANDSHAKES);
        let unsecured = node.sessions().unsecure_sessions().count();
        assert!(
            unsecured <= MAX_UNSECURED_SESSIONS,
            "{unsecured} unsecured sessions"
        );
        let (on_unsecured, on_secure) =
            node.exchanges()
                .fold((0, 0), |(u, s), (id, _)| match id.session {
                    SessionRef::Unsecure(_) => (u + 1, s),
                    SessionRef::Secure(_) => (u, s + 1),
                });
        assert!(
            on_unsecured <= MAX_UNSECURED_SESSIONS,
            "{on_unsecured} unsecured exchanges: {:?} on {:?}",
            node.exchanges()
                .map(|(id, x)| (id.to_string(), x.state))
                .collect::<Vec<_>>(),
            node.sessions()
                .unsecure_sessions()
                .map(|s| s.key())
                .collect::<Vec<_>>()
        );
        assert_eq!(on_secure, 0, "an exchange outlived its close");
    }
});
