//! Behaviour of secure and unsecured sessions: key derivation, encryption round trips,
//! tamper rejection, replay detection, counter exhaustion and the close state machine.

mod common;

use paseo_core::codec::{
    Message, ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode, StatusReport,
};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::counter::{CounterKind, MessageCounter};
use paseo_core::session::keys::SessionKeyMaterial;
use paseo_core::session::unsecure::{
    SharedUnencryptedCounter, UnsecureSession, UnsecureSessionKey,
};
use paseo_core::session::{
    SecureSession, SecureSessionArgs, Session, SessionClose, SessionError, SessionKind,
    SessionParameters, SessionState,
};
use paseo_core::time::Instant;
use proptest::prelude::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const T0: Instant = Instant::from_millis(1_000);

fn args(
    kind: SessionKind,
    is_initiator: bool,
    local: u16,
    peer: u16,
) -> SecureSessionArgs<'static> {
    let (me, them) = if is_initiator {
        (0x1111, 0x2222)
    } else {
        (0x2222, 0x1111)
    };
    SecureSessionArgs {
        now: T0,
        session_id: local,
        peer_session_id: peer,
        kind,
        fabric: Some(FabricIndex(1)),
        local_node_id: NodeId(me),
        peer_node_id: NodeId(them),
        peer_cats: vec![],
        shared_secret: SECRET,
        salt: b"salt",
        is_initiator,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: None,
    }
}

/// An initiator/responder pair with mirrored keys: a's id 10, b's id 20.
fn pair(kind: SessionKind, first_counter: u32) -> (SecureSession, SecureSession) {
    let counter = || {
        MessageCounter::with_initial(CounterKind::SecureSession, first_counter).expect("non-zero")
    };
    let a = SecureSession::new(args(kind, true, 10, 20), counter()).expect("a");
    let b = SecureSession::new(args(kind, false, 20, 10), counter()).expect("b");
    (a, b)
}

fn app_message(exchange_id: u16, payload: &[u8]) -> ProtocolMessage<'_> {
    let header = ProtocolHeader {
        initiator: true,
        reliable: true,
        ..ProtocolHeader::new(ProtocolId::INTERACTION_MODEL, 0x08, exchange_id)
    };
    ProtocolMessage { header, payload }
}

fn deliver(
    to: &mut SecureSession,
    datagram: &[u8],
) -> Result<paseo_core::session::DecodedMessage, SessionError> {
    let message = Message::decode(datagram).map_err(SessionError::Malformed)?;
    to.decode(T0, &message)
}

#[test]
fn session_key_material_matches_the_hkdf_vector() {
    let case = common::cases("hkdf_sha256.json")
        .into_iter()
        .find(|c| c.get("i2r_key").is_some())
        .expect("a SessionKeys case");
    let keys = SessionKeyMaterial::derive(
        &common::hex_field(&case, "ikm"),
        &common::hex_field(&case, "salt"),
        false,
    )
    .expect("derive");
    assert_eq!(keys.i2r.to_vec(), common::hex_field(&case, "i2r_key"));
    assert_eq!(keys.r2i.to_vec(), common::hex_field(&case, "r2i_key"));
    assert_eq!(
        keys.attestation_challenge.to_vec(),
        common::hex_field(&case, "attestation_challenge")
    );
}

#[test]
fn each_side_decrypts_the_other_and_sees_the_same_message() {
    for kind in [SessionKind::Pase, SessionKind::Case] {
        let (mut a, mut b) = pair(kind, 100);
        let datagram = a.encode(T0, &app_message(7, b"hello")).expect("encode");
        let got = deliver(&mut b, &datagram).expect("decode");
        assert_eq!(got.payload, b"hello");
        assert_eq!(got.message_counter, 100);
        assert_eq!(got.protocol.exchange_id, 7);
        assert!(!got.duplicate);
        let back = b.encode(T0, &app_message(7, b"world")).expect("encode");
        assert_eq!(deliver(&mut a, &back).expect("decode").payload, b"world");
        // A session never decodes its own datagrams (wrong direction key / wrong session id).
        assert!(deliver(&mut a, &datagram).is_err());
    }
}

#[test]
fn pase_and_case_nonces_differ_so_keys_are_not_interchangeable() {
    // Same secret and ids, but a CASE sender puts its node id in the nonce and PASE puts 0.
    let (mut pase_a, _) = pair(SessionKind::Pase, 5);
    let (_, mut case_b) = pair(SessionKind::Case, 5);
    let datagram = pase_a.encode(T0, &app_message(1, b"x")).expect("encode");
    assert_eq!(
        deliver(&mut case_b, &datagram),
        Err(SessionError::Undecryptable)
    );
}

#[test]
fn replay_of_an_accepted_datagram_is_reported_as_duplicate() {
    let (mut a, mut b) = pair(SessionKind::Case, 1);
    let first = a.encode(T0, &app_message(1, b"one")).expect("encode");
    let second = a.encode(T0, &app_message(1, b"two")).expect("encode");
    assert!(!deliver(&mut b, &second).expect("second").duplicate);
    // Reordered within the window: still new.
    assert!(!deliver(&mut b, &first).expect("first").duplicate);
    assert!(deliver(&mut b, &first).expect("replay").duplicate);
    assert!(deliver(&mut b, &second).expect("replay").duplicate);
}

#[test]
fn counter_exhaustion_ends_the_session_instead_of_wrapping() {
    let (mut a, mut b) = pair(SessionKind::Case, u32::MAX - 1);
    for expected in [u32::MAX - 1, u32::MAX] {
        let d = a.encode(T0, &app_message(1, b"x")).expect("encode");
        assert_eq!(
            deliver(&mut b, &d).expect("decode").message_counter,
            expected
        );
    }
    assert_eq!(
        a.encode(T0, &app_message(1, b"x")),
        Err(SessionError::CounterExhausted)
    );
    assert_eq!(a.state(), SessionState::Closed);
    assert_eq!(
        a.close_reason(),
        Some(paseo_core::session::CloseReason::CounterExhausted)
    );
    assert_eq!(
        a.encode(T0, &app_message(1, b"x")),
        Err(SessionError::Closed)
    );
}

#[test]
fn zero_session_ids_are_refused() {
    let counter = MessageCounter::with_initial(CounterKind::SecureSession, 1).expect("non-zero");
    let err =
        SecureSession::new(args(SessionKind::Case, true, 0, 5), counter).expect_err("zero id");
    assert_eq!(err, SessionError::ZeroSessionId { local: 0, peer: 5 });
}

#[test]
fn close_after_exchanges_waits_for_the_last_exchange_then_owes_close_session() {
    let (mut a, mut b) = pair(SessionKind::Case, 1);
    a.add_exchange(1, true).expect("add");
    a.add_exchange(2, false).expect("add");
    assert_eq!(a.destroy(T0, true, true), SessionClose::Deferred);
    assert!(a.closing_after_exchange_finished());
    assert_eq!(a.add_exchange(3, true), Err(SessionError::Closing));
    // Running exchanges still send.
    let d = a
        .encode(T0, &app_message(1, b"still here"))
        .expect("encode");
    assert_eq!(deliver(&mut b, &d).expect("decode").payload, b"still here");
    assert_eq!(a.remove_exchange(1, true), None);
    assert_eq!(
        a.remove_exchange(2, false),
        Some(SessionClose::Closed { send_close: true })
    );
    assert_eq!(a.state(), SessionState::Closing);
    let close = a.encode_close_session(T0, 99).expect("close message");
    assert_eq!(a.state(), SessionState::Closed);
    let got = deliver(&mut b, &close).expect("decode");
    assert_eq!(got.protocol.protocol(), ProtocolId::SECURE_CHANNEL);
    assert_eq!(
        got.protocol.opcode,
        SecureChannelOpcode::StatusReport.as_u8()
    );
    assert!(
        got.protocol.initiator && !got.protocol.reliable,
        "CloseSession goes with R = 0 on our exchange"
    );
    assert_eq!(
        StatusReport::decode(&got.payload).expect("status"),
        StatusReport::close_session()
    );
    assert_eq!(
        a.encode(T0, &app_message(1, b"x")),
        Err(SessionError::Closed)
    );
}

#[test]
fn end_without_close_message_closes_at_once() {
    let (mut a, _) = pair(SessionKind::Case, 1);
    a.add_exchange(1, true).expect("add");
    assert_eq!(a.end(T0, false), SessionClose::Closed { send_close: false });
    assert_eq!(a.state(), SessionState::Closed);
    assert_eq!(a.encode_close_session(T0, 1), Err(SessionError::Closed));
}

#[test]
fn peer_activity_follows_received_messages_and_the_peer_threshold() {
    let (mut a, mut b) = pair(SessionKind::Case, 1);
    // New secure sessions start with the peer active (matter.js, Matter 1.3 §4.12.2.1); threshold
    // 4000 ms.
    assert!(b.is_peer_active(T0 + core::time::Duration::from_millis(3_999)));
    assert!(!b.is_peer_active(T0 + core::time::Duration::from_millis(4_000)));
    let later = T0 + core::time::Duration::from_secs(10);
    let d = a.encode(later, &app_message(1, b"x")).expect("encode");
    b.decode(later, &Message::decode(&d).expect("header"))
        .expect("decode");
    assert!(b.is_peer_active(later + core::time::Duration::from_millis(100)));
    assert_eq!(b.last_active(), later);
}

#[test]
fn unsecured_sessions_put_node_ids_where_matter_js_looks_for_them() {
    let peer: std::net::SocketAddr = "[::1]:5540".parse().expect("addr");
    let key = UnsecureSessionKey {
        peer,
        initiator_node_id: NodeId(0xABCD),
    };
    let counter = SharedUnencryptedCounter::starting_at(41);
    let mut initiator = UnsecureSession::new(T0, key, true, counter.clone());
    let mut responder =
        UnsecureSession::new(T0, key, false, SharedUnencryptedCounter::starting_at(7));
    let request = initiator
        .encode(T0, &app_message(3, b"req"))
        .expect("encode");
    let message = Message::decode(&request).expect("header");
    // Initiator: S = its ephemeral id, no destination (Matter 1.3 "Unsecured Session Context";
    // matter.js `protocol/ExchangeManager.ts`).
    assert_eq!(message.header.source_node_id, Some(0xABCD));
    assert_eq!(
        message.header.destination,
        paseo_core::codec::Destination::None
    );
    assert_eq!(message.header.message_counter, 41);
    let got = responder.decode(T0, &message).expect("decode");
    assert_eq!(got.payload, b"req");
    let reply = responder
        .encode(T0, &app_message(3, b"rsp"))
        .expect("encode");
    let message = Message::decode(&reply).expect("header");
    assert_eq!(message.header.source_node_id, None);
    assert_eq!(
        message.header.destination,
        paseo_core::codec::Destination::Node(0xABCD)
    );
    // The global counter is shared: the next unsecured session continues from 42.
    assert_eq!(counter.peek(), 42);
    // A replayed unsecured message is a duplicate.
    assert!(
        responder
            .decode(T0, &Message::decode(&request).expect("header"))
            .expect("decode")
            .duplicate
    );
}

proptest! {
    #[test]
    fn any_payload_round_trips_on_mirrored_sessions(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1200), 1..8),
        start in 1u32..=0x1000_0000,
        case in any::<bool>(),
    ) {
        let kind = if case { SessionKind::Case } else { SessionKind::Pase };
        let (mut a, mut b) = pair(kind, start);
        for (i, payload) in payloads.iter().enumerate() {
            let d = a.encode(T0, &app_message(i as u16, payload)).expect("encode");
            let got = deliver(&mut b, &d).expect("decode");
            prop_assert_eq!(&got.payload, payload);
            prop_assert_eq!(got.message_counter, start + i as u32);
            prop_assert!(!got.duplicate);
        }
    }

    #[test]
    fn flipping_any_bit_is_rejected_and_changes_no_state(
        payload in prop::collection::vec(any::<u8>(), 0..64),
        bit in any::<prop::sample::Index>(),
    ) {
        let (mut a, mut b) = pair(SessionKind::Case, 500);
        let d = a.encode(T0, &app_message(9, &payload)).expect("encode");
        let mut tampered = d.clone();
        let bit = bit.index(tampered.len() * 8);
        tampered[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(deliver(&mut b, &tampered).is_err(), "bit {} accepted", bit);
        // The genuine datagram is still accepted afterwards: the tampered one left no trace.
        let got = deliver(&mut b, &d).expect("genuine");
        prop_assert!(!got.duplicate);
    }

    #[test]
    fn every_accepted_datagram_is_a_duplicate_when_replayed(
        order in Just((0..20usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let (mut a, mut b) = pair(SessionKind::Case, 1000);
        let datagrams: Vec<Vec<u8>> = (0..20).map(|i| a.encode(T0, &app_message(i, b"m")).expect("encode")).collect();
        for &i in &order {
            prop_assert!(!deliver(&mut b, &datagrams[i]).expect("first").duplicate);
        }
        for d in &datagrams {
            prop_assert!(deliver(&mut b, d).expect("replay").duplicate);
        }
    }
}

/// The key log entry of a session decrypts its traffic in both directions with nothing but the
/// header bytes (as Wireshark or `paseo decode --keylog` do), and both ends log the same line.
#[test]
fn key_log_entry_decrypts_both_directions() {
    use paseo_core::codec::message_nonce;
    use paseo_core::crypto::Aes128CcmKey;
    for kind in [SessionKind::Pase, SessionKind::Case] {
        let (mut a, mut b) = pair(kind, 7);
        let entry = a.key_log().clone();
        assert_eq!(entry, *b.key_log(), "{kind:?}: both ends log one line");
        assert_eq!(
            (entry.initiator_session_id, entry.responder_session_id),
            (10, 20)
        );
        let nodes = match kind {
            SessionKind::Pase => (0, 0),
            SessionKind::Case => (0x1111, 0x2222),
        };
        assert_eq!((entry.initiator_node_id, entry.responder_node_id), nodes);
        for (from_initiator, session) in [(true, &mut a), (false, &mut b)] {
            let datagram = session
                .encode(T0, &app_message(3, b"hello"))
                .expect("encode");
            let message = Message::decode(&datagram).expect("header");
            let (key, node) = if from_initiator {
                (entry.i2r, entry.initiator_node_id)
            } else {
                (entry.r2i, entry.responder_node_id)
            };
            let nonce = message_nonce(
                message.header.security_flags(),
                message.header.message_counter,
                node,
            );
            let plain = Aes128CcmKey::new(&key)
                .decrypt(&nonce, message.header_bytes, message.payload)
                .expect("the logged key decrypts");
            let inner = ProtocolMessage::decode(&plain).expect("protocol header");
            assert_eq!(inner.payload, b"hello");
        }
    }
}

proptest! {
    /// The caller's-buffer API (`encode_into`, `decode_in_place`) is the allocating one without
    /// the allocations: the same datagrams, and on any sequence of genuine, replayed,
    /// bit-flipped, truncated or misaddressed datagrams the same results and the same state.
    #[test]
    fn encode_into_and_decode_in_place_agree_with_encode_and_decode(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..6),
        damage in prop::collection::vec((0u8..5, any::<prop::sample::Index>()), 1..12),
        case in any::<bool>(),
    ) {
        let kind = if case { SessionKind::Case } else { SessionKind::Pase };
        let (mut a1, mut b1) = pair(kind, 77);
        let (mut a2, mut b2) = pair(kind, 77);
        let mut out = Vec::new();
        let mut sent = Vec::new();
        for (i, payload) in payloads.iter().enumerate() {
            let message = app_message(i as u16, payload);
            let d = a1.encode(T0, &message).expect("encode");
            a2.encode_into(T0, &message, &mut out).expect("encode_into");
            prop_assert_eq!(&d, &out);
            sent.push(d);
        }
        for (how, at) in damage {
            let mut d = sent[at.index(sent.len())].clone();
            match how {
                0 => {}
                1 => { let bit = at.index(d.len() * 8); d[bit / 8] ^= 1 << (bit % 8); }
                2 => d.truncate(at.index(d.len())),
                3 => d[0] ^= 0x01,
                _ => { d[1] ^= 0x01; }
            }
            let owned = deliver(&mut b1, &d);
            let mut buf = d.clone();
            let view = b2.decode_in_place(T0, &mut buf).map(|v| v.to_message());
            prop_assert_eq!(&owned, &view);
        }
        prop_assert_eq!(b1.reception(), b2.reception());
    }
}

#[test]
fn decode_in_place_refuses_a_closed_session_like_decode() {
    let (mut a, mut b) = pair(SessionKind::Case, 1);
    let d = a.encode(T0, &app_message(1, b"x")).expect("encode");
    assert!(matches!(
        b.destroy(T0, false, false),
        SessionClose::Closed { .. }
    ));
    let mut buf = d.clone();
    assert!(matches!(
        b.decode_in_place(T0, &mut buf),
        Err(SessionError::Closed)
    ));
    let mut out = Vec::new();
    assert!(matches!(
        b.encode_into(T0, &app_message(1, b"x"), &mut out),
        Err(SessionError::Closed)
    ));
}
