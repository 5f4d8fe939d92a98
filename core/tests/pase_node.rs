//! PASE run by the node driver over MRP (Matter 1.3 §4.14.1.2): both roles, wrong passcode,
//! loss, a second commissioner while a handshake runs, no commissioning window, timeouts.

mod pair;

use std::time::Duration;

use pair::{Fate, Impairments, Pair, Side};
use paseo_core::codec::ProtocolId;
use paseo_core::node::{
    Event, HandshakeError, HandshakeKind, NodeConfig, PaseBusyPolicy, SendOptions,
};
use paseo_core::pase::{PaseError, Passcode, PbkdfParameters, Verifier};
use paseo_core::session::Session;
use paseo_core::time::Instant;

const PASSCODE: u32 = 20202021;

fn commissionable(seed: u64, config: NodeConfig) -> Pair {
    let mut pair = Pair::bare(seed, config);
    let pbkdf = PbkdfParameters::new(1000, &[0x5A; 32]).expect("pbkdf");
    let verifier = Verifier::from_passcode(&Passcode::new(PASSCODE).expect("passcode"), &pbkdf)
        .expect("verifier");
    pair.b.open_commissioning_window(verifier, pbkdf);
    pair
}

fn opened(pair: &Pair, side: Side) -> Vec<u16> {
    pair.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            Event::SessionOpened {
                session_id,
                is_pase: true,
                ..
            } => Some(*session_id),
            _ => None,
        })
        .collect()
}

fn failures(pair: &Pair, side: Side) -> Vec<HandshakeError> {
    pair.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            Event::HandshakeFailed {
                kind: HandshakeKind::Pase,
                error,
                ..
            } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

fn assert_no_state_left(pair: &Pair) {
    for node in [&pair.a, &pair.b] {
        assert_eq!(node.handshakes_in_progress(), 0);
        assert_eq!(
            node.exchanges().count(),
            0,
            "exchanges left: {:?}",
            node.exchanges().collect::<Vec<_>>()
        );
        assert_eq!(node.poll_timeout(), None);
    }
}

#[test]
fn pase_establishes_a_session_on_both_sides() {
    let mut pair = commissionable(1, NodeConfig::default());
    let b_addr = pair.b_addr;
    pair.a
        .start_pase(
            Instant::ZERO,
            b_addr,
            Passcode::new(PASSCODE).expect("passcode"),
        )
        .expect("start");
    pair.drive();
    let (a_ids, b_ids) = (opened(&pair, Side::A), opened(&pair, Side::B));
    assert_eq!(
        (a_ids.len(), b_ids.len()),
        (1, 1),
        "events: {:?}",
        pair.events
    );
    let a_session = pair.a.sessions().get_session(a_ids[0]).expect("a session");
    let b_session = pair.b.sessions().get_session(b_ids[0]).expect("b session");
    assert!(a_session.is_pase() && b_session.is_pase());
    assert_eq!(a_session.peer_session_id(), b_session.id());
    assert_eq!(b_session.peer_session_id(), a_session.id());
    assert!(a_session.associated_fabric().is_none());
    assert_no_state_left(&pair);
    // Four messages each way at most: request/response/pake1-3/status and the final ack.
    assert_eq!(
        pair.a.stats().retransmissions + pair.b.stats().retransmissions,
        0
    );

    // The new session carries application traffic.
    pair.a.register_protocol(ProtocolId::INTERACTION_MODEL);
    pair.b.register_protocol(ProtocolId::INTERACTION_MODEL);
    let now = pair.now;
    let x = pair
        .a
        .open_exchange(a_ids[0], ProtocolId::INTERACTION_MODEL)
        .expect("open");
    pair.a
        .send(now, x, 0x08, b"ArmFailSafe", SendOptions::default())
        .expect("send");
    pair.a.close_exchange(now, x).expect("close");
    pair.drive();
    assert!(
        pair.events_of(Side::B)
            .iter()
            .any(|e| matches!(e, Event::Message { payload, .. } if payload == b"ArmFailSafe"))
    );
}

#[test]
fn a_wrong_passcode_fails_on_both_sides_and_leaves_no_session() {
    let mut pair = commissionable(2, NodeConfig::default());
    let b_addr = pair.b_addr;
    pair.a
        .start_pase(
            Instant::ZERO,
            b_addr,
            Passcode::new(20202022).expect("passcode"),
        )
        .expect("start");
    pair.drive();
    assert_eq!(
        failures(&pair, Side::A),
        vec![HandshakeError::Pase(PaseError::ConfirmationMismatch)]
    );
    let b_failures = failures(&pair, Side::B);
    assert_eq!(b_failures.len(), 1);
    assert!(
        matches!(
            &b_failures[0],
            HandshakeError::Pase(PaseError::PeerStatus { .. })
        ),
        "{b_failures:?}"
    );
    assert_eq!(
        pair.a.sessions().sessions().count() + pair.b.sessions().sessions().count(),
        0
    );
    assert_no_state_left(&pair);
}

#[test]
fn pase_survives_thirty_percent_loss() {
    let mut established = 0;
    for seed in 0..12 {
        let mut pair = commissionable(seed, NodeConfig::default());
        pair.impairments = Impairments {
            loss: 0.3,
            ..Impairments::default()
        };
        let b_addr = pair.b_addr;
        pair.a
            .start_pase(
                Instant::ZERO,
                b_addr,
                Passcode::new(PASSCODE).expect("passcode"),
            )
            .expect("start");
        pair.drive();
        let ok = opened(&pair, Side::A).len() == 1;
        established += usize::from(ok);
        if ok {
            // The initiator may finish while the responder still waits for its final ack:
            // either both have the session or the responder reports why not.
            assert!(opened(&pair, Side::B).len() == 1 || !failures(&pair, Side::B).is_empty());
        }
        assert_no_state_left(&pair);
    }
    assert!(
        established >= 10,
        "{established} of 12 handshakes under 30 % loss"
    );
}

#[test]
fn a_second_commissioner_gets_busy_while_a_handshake_runs() {
    let mut pair = commissionable(
        3,
        NodeConfig {
            pase_busy: PaseBusyPolicy::Busy {
                wait: Duration::from_millis(750),
            },
            ..NodeConfig::default()
        },
    );
    let b_addr = pair.b_addr;
    let passcode = || Passcode::new(PASSCODE).expect("passcode");
    let first = pair
        .a
        .start_pase(Instant::ZERO, b_addr, passcode())
        .expect("start");
    // The second request reaches B after the first one (latency is equal, sent later).
    pair.drive_until(Instant::from_millis(1));
    let second = pair
        .a
        .start_pase(Instant::from_millis(1), b_addr, passcode())
        .expect("start");
    pair.drive();
    let failed: Vec<_> = pair
        .events_of(Side::A)
        .into_iter()
        .filter_map(|e| match e {
            Event::HandshakeFailed {
                exchange, error, ..
            } => Some((*exchange, error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        vec![(second, HandshakeError::Busy { wait_ms: 750 })]
    );
    assert_eq!(
        opened(&pair, Side::A).len(),
        1,
        "the first handshake ({first}) still succeeds"
    );
    assert_no_state_left(&pair);
}

#[test]
fn matter_js_style_silence_makes_the_second_commissioner_time_out() {
    let mut pair = commissionable(
        4,
        NodeConfig {
            pase_busy: PaseBusyPolicy::Ignore,
            ..NodeConfig::default()
        },
    );
    let b_addr = pair.b_addr;
    let passcode = || Passcode::new(PASSCODE).expect("passcode");
    pair.a
        .start_pase(Instant::ZERO, b_addr, passcode())
        .expect("start");
    pair.drive_until(Instant::from_millis(1));
    pair.a
        .start_pase(Instant::from_millis(1), b_addr, passcode())
        .expect("start");
    pair.drive();
    assert_eq!(failures(&pair, Side::A), vec![HandshakeError::Timeout]);
    let timed_out_at = pair
        .events
        .iter()
        .find(|(_, _, e)| matches!(e, Event::HandshakeFailed { .. }))
        .map(|(t, _, _)| *t);
    assert_eq!(
        timed_out_at,
        Some(Instant::from_millis(30_001)),
        "30 s response timeout from the request"
    );
    assert_eq!(opened(&pair, Side::A).len(), 1);
    assert_no_state_left(&pair);
}

#[test]
fn no_commissioning_window_answers_invalid_parameter() {
    let mut pair = Pair::bare(5, NodeConfig::default());
    let b_addr = pair.b_addr;
    pair.a
        .start_pase(
            Instant::ZERO,
            b_addr,
            Passcode::new(PASSCODE).expect("passcode"),
        )
        .expect("start");
    pair.drive();
    let f = failures(&pair, Side::A);
    assert!(
        matches!(&f[..], [HandshakeError::Pase(PaseError::PeerStatus { .. })]),
        "{f:?}"
    );
    assert_no_state_left(&pair);
}

#[test]
fn a_stalled_handshake_times_out_and_frees_all_state() {
    let mut pair = commissionable(6, NodeConfig::default());
    // B's first datagram (PBKDFParamResponse) gets through; everything after it from B is lost.
    pair.script = Some(Box::new(|side, index, _| {
        if side == Side::B && index > 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    let b_addr = pair.b_addr;
    pair.a
        .start_pase(
            Instant::ZERO,
            b_addr,
            Passcode::new(PASSCODE).expect("passcode"),
        )
        .expect("start");
    pair.drive();
    assert_eq!(failures(&pair, Side::A).len(), 1);
    assert_eq!(failures(&pair, Side::B).len(), 1);
    assert_eq!(
        pair.a.sessions().sessions().count() + pair.b.sessions().sessions().count(),
        0
    );
    assert_no_state_left(&pair);
    // B stays commissionable and a fresh attempt works.
    pair.script = None;
    let now = pair.now;
    pair.a
        .start_pase(now, b_addr, Passcode::new(PASSCODE).expect("passcode"))
        .expect("start");
    pair.drive();
    assert_eq!(opened(&pair, Side::B).len(), 1);
}
