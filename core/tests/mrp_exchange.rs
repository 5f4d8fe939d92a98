//! MRP and exchanges between two in-memory nodes (Matter 1.3 §4.12, §4.10): delivery under
//! loss, the exact give-up schedule, piggybacked vs standalone acks, duplicate suppression,
//! close-after-exchange and CloseSession mid-exchange.

mod pair;

use std::collections::BTreeMap;
use std::time::Duration;

use pair::{A_SESSION, B_SESSION, Fate, Impairments, Pair, Side};
use paseo_core::codec::{Message, ProtocolId, SecureChannelOpcode, StatusReport};
use paseo_core::exchange::ExchangeId;
use paseo_core::mrp::JitterFraction;
use paseo_core::mrp::reliability::JitterSource;
use paseo_core::node::{
    DeliveryError, Event, ExchangeCloseReason, NodeConfig, NodeError, SendOptions,
};
use paseo_core::session::counter::{CounterKind, MessageCounter};
use paseo_core::session::{CloseReason, DecodedMessage, SecureSession, Session};
use paseo_core::time::Instant;
use proptest::prelude::*;

const IM: ProtocolId = ProtocolId::INTERACTION_MODEL;
const RELIABLE: SendOptions = SendOptions {
    reliable: true,
    expect_response: false,
};

fn ms(t: u64) -> Instant {
    Instant::from_millis(t)
}

/// Decrypts a datagram seen on the wire with a fresh copy of the receiver's session (so the
/// replay window of the real node is untouched).
fn open(sender: Side, bytes: &[u8]) -> DecodedMessage {
    // The receiver's own session arguments: the mirror of the sender's.
    let args = pair::session_args(sender.other());
    let counter = MessageCounter::with_initial(CounterKind::SecureSession, 1).expect("counter");
    let mut session = SecureSession::new(args, counter).expect("session");
    session
        .decode(Instant::ZERO, &Message::decode(bytes).expect("header"))
        .expect("decrypts")
}

fn is_standalone_ack(m: &DecodedMessage) -> bool {
    m.protocol.protocol() == ProtocolId::SECURE_CHANNEL
        && m.protocol.opcode == SecureChannelOpcode::StandaloneAck.as_u8()
}

/// Messages delivered to one side's application, by payload.
fn delivered(pair: &Pair, side: Side) -> Vec<Vec<u8>> {
    pair.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            Event::Message { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

fn exact_jitter(fraction: JitterFraction) -> NodeConfig {
    NodeConfig {
        jitter: JitterSource::Fixed(fraction),
        ..NodeConfig::default()
    }
}

#[test]
fn a_request_and_its_reply_piggyback_their_acks() {
    let mut pair = Pair::new(1);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(
            ms(0),
            x,
            0x08,
            b"request",
            SendOptions {
                reliable: true,
                expect_response: true,
            },
        )
        .expect("send");
    pair.drive_until(ms(10));
    let Some(Event::Message {
        exchange: bx,
        payload,
        ..
    }) = pair.events_of(Side::B).into_iter().last().cloned()
    else {
        panic!("B got nothing: {:?}", pair.events);
    };
    assert_eq!(payload, b"request");
    assert!(!bx.we_initiated, "B is the responder");
    pair.b
        .send(ms(10), bx, 0x09, b"response", RELIABLE)
        .expect("reply");
    pair.b.close_exchange(ms(10), bx).expect("close");
    pair.drive_until(ms(20));
    pair.a.close_exchange(ms(20), x).expect("close");
    pair.drive();

    let reply = pair
        .wire
        .iter()
        .find(|(_, s, _)| *s == Side::B)
        .map(|(_, _, b)| open(Side::B, b))
        .expect("reply");
    assert_eq!(reply.payload, b"response");
    assert!(
        reply.protocol.ack_counter.is_some(),
        "the reply carries the ack of the request"
    );
    assert_eq!(
        pair.b.stats().standalone_acks,
        0,
        "nothing left for B to ack separately"
    );
    // A owes an ack for the reply and flushes it as a standalone ack when it closes.
    assert_eq!(pair.a.stats().standalone_acks, 1);
    let last = pair
        .wire
        .iter()
        .rev()
        .find(|(_, s, _)| *s == Side::A)
        .map(|(_, _, b)| open(Side::A, b))
        .expect("ack");
    assert!(is_standalone_ack(&last) && !last.protocol.reliable && last.protocol.initiator);
    assert_eq!(last.protocol.ack_counter, Some(reply.message_counter));
    assert_eq!(delivered(&pair, Side::A), vec![b"response".to_vec()]);
    let acked = pair
        .events_of(Side::A)
        .into_iter()
        .any(|e| matches!(e, Event::Acknowledged { exchange, .. } if *exchange == x));
    assert!(acked, "the request was acknowledged by the piggybacked ack");
}

#[test]
fn an_unanswered_message_gets_a_standalone_ack_after_200_ms() {
    let mut pair = Pair::new(2);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(ms(0), x, 0x08, b"no reply", RELIABLE)
        .expect("send");
    pair.drive();
    let acks: Vec<_> = pair.wire.iter().filter(|(_, s, _)| *s == Side::B).collect();
    assert_eq!(acks.len(), 1, "exactly one datagram from B");
    let (at, _, bytes) = acks[0];
    assert!(is_standalone_ack(&open(Side::B, bytes)));
    // Arrived at 10 ms (latency), acked 200 ms later (Matter 1.3 §4.12.5.2).
    assert_eq!(*at, ms(210));
    assert_eq!(
        pair.a.stats().retransmissions,
        0,
        "the ack came before the first retransmission (330 ms)"
    );
}

/// Sends one reliable message from A into a network that drops everything A sends, and returns
/// the times of its transmissions and of the failure.
fn give_up_schedule(config: NodeConfig, start: Instant) -> (Vec<Instant>, Instant) {
    let mut pair = Pair::with_config(3, config);
    pair.script = Some(Box::new(|side, _, _| {
        if side == Side::A {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive_until(start);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(start, x, 0x08, b"into the void", RELIABLE)
        .expect("send");
    pair.drive();
    let sends: Vec<Instant> = pair
        .wire
        .iter()
        .filter(|(_, s, _)| *s == Side::A)
        .map(|(t, _, _)| *t)
        .collect();
    let failed = pair
        .events
        .iter()
        .find(|(_, _, e)| {
            matches!(
                e,
                Event::DeliveryFailed {
                    reason: DeliveryError::RetransmissionsExhausted,
                    ..
                }
            )
        })
        .map(|(t, _, _)| *t)
        .expect("delivery failure");
    // All five transmissions carry the same bytes (same counter, Matter 1.3 §4.6).
    let bytes: Vec<&Vec<u8>> = pair
        .wire
        .iter()
        .filter(|(_, s, _)| *s == Side::A)
        .map(|(_, _, b)| b)
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(pair.a.poll_timeout(), None, "nothing left pending");
    (sends, failed)
}

fn offsets(start: Instant, times: &[Instant]) -> Vec<u64> {
    times
        .iter()
        .map(|t| (*t - start).as_micros() as u64)
        .collect()
}

#[test]
fn give_up_after_five_transmissions_on_the_exact_schedule() {
    // Active peer (base 300 ms), no jitter: waits 330, 330, 528, 844.8, 1351.68 ms.
    let (sends, failed) = give_up_schedule(exact_jitter(JitterFraction::ZERO), ms(0));
    assert_eq!(
        offsets(ms(0), &sends),
        vec![0, 330_000, 660_000, 1_188_000, 2_032_800]
    );
    assert_eq!(
        offsets(ms(0), &[failed]),
        vec![3_384_480],
        "mrp_backoff.json min total 3384.48 ms"
    );
    // Worst case jitter (factor 1.25): 412.5, 412.5, 660, 1056, 1689.6 ms.
    let (sends, failed) = give_up_schedule(exact_jitter(JitterFraction::MAX), ms(0));
    assert_eq!(
        offsets(ms(0), &sends),
        vec![0, 412_500, 825_000, 1_485_000, 2_541_000]
    );
    assert_eq!(
        offsets(ms(0), &[failed]),
        vec![4_230_600],
        "mrp_backoff.json max total 4230.6 ms"
    );
    // Idle peer (nothing received for more than 4 s: base 500 ms): waits × 5/3.
    let start = ms(5_000);
    let (sends, failed) = give_up_schedule(exact_jitter(JitterFraction::ZERO), start);
    assert_eq!(
        offsets(start, &sends),
        vec![0, 550_000, 1_100_000, 1_980_000, 3_388_000]
    );
    assert_eq!(
        offsets(start, &[failed]),
        vec![5_640_800],
        "mrp_backoff.json min total 5640.8 ms"
    );
}

#[test]
fn random_jitter_stays_within_the_formula_bounds() {
    let (sends, failed) = give_up_schedule(NodeConfig::default(), ms(0));
    let mut times = sends.clone();
    times.push(failed);
    let gaps: Vec<u64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_micros() as u64)
        .collect();
    let bounds = [
        (330_000, 412_500),
        (330_000, 412_500),
        (528_000, 660_000),
        (844_800, 1_056_000),
        (1_351_680, 1_689_600),
    ];
    for (gap, (lo, hi)) in gaps.iter().zip(bounds) {
        assert!((lo..=hi).contains(gap), "{gap} not in [{lo}, {hi}]");
    }
}

#[test]
fn duplicates_are_acked_again_but_delivered_once() {
    let mut pair = Pair::new(4);
    pair.script = Some(Box::new(|side, _, _| {
        if side == Side::A {
            Fate::Duplicate
        } else {
            Fate::Deliver
        }
    }));
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(ms(0), x, 0x08, b"twice on the wire", RELIABLE)
        .expect("send");
    pair.drive();
    assert_eq!(
        delivered(&pair, Side::B),
        vec![b"twice on the wire".to_vec()]
    );
    assert_eq!(pair.b.stats().duplicates, 1);
    // The duplicate is acknowledged at once (Matter 1.3 §4.6), the original after the ack timeout.
    assert_eq!(pair.b.stats().standalone_acks, 2);
    let acked = pair
        .events_of(Side::A)
        .iter()
        .filter(|e| matches!(e, Event::Acknowledged { .. }))
        .count();
    assert_eq!(acked, 1);
}

#[test]
fn close_after_exchange_lets_the_exchange_finish_then_sends_close_session() {
    let mut pair = Pair::new(5);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(
            ms(0),
            x,
            0x08,
            b"last request",
            SendOptions {
                reliable: true,
                expect_response: true,
            },
        )
        .expect("send");
    pair.a
        .close_session(ms(0), A_SESSION, true, true)
        .expect("deferred close");
    assert!(
        pair.a
            .sessions()
            .get_session(A_SESSION)
            .expect("still there")
            .closing_after_exchange_finished()
    );
    assert!(
        matches!(
            pair.a.open_exchange(A_SESSION, IM),
            Err(NodeError::Session(_))
        ),
        "no new exchanges"
    );
    pair.drive_until(ms(10));
    let bx = pair.events_of(Side::B).iter().find_map(|e| match e {
        Event::Message { exchange, .. } => Some(*exchange),
        _ => None,
    });
    let bx = bx.expect("B got the request");
    pair.b
        .send(ms(10), bx, 0x09, b"last response", RELIABLE)
        .expect("reply");
    pair.b.close_exchange(ms(10), bx).expect("close");
    pair.drive_until(ms(20));
    assert_eq!(delivered(&pair, Side::A), vec![b"last response".to_vec()]);
    pair.a.close_exchange(ms(20), x).expect("close exchange");
    pair.drive();

    // On the wire from A: request, standalone ack of the response, then CloseSession.
    let from_a: Vec<DecodedMessage> = pair
        .wire
        .iter()
        .filter(|(_, s, _)| *s == Side::A)
        .map(|(_, _, b)| open(Side::A, b))
        .collect();
    assert_eq!(from_a.len(), 3, "{from_a:?}");
    assert!(is_standalone_ack(&from_a[1]));
    let close = &from_a[2];
    assert_eq!(
        close.protocol.opcode,
        SecureChannelOpcode::StatusReport.as_u8()
    );
    assert_eq!(
        StatusReport::decode(&close.payload).expect("status"),
        StatusReport::close_session()
    );
    assert!(pair.a.sessions().get_session(A_SESSION).is_none());
    assert!(
        pair.b.sessions().get_session(B_SESSION).is_none(),
        "B tore its session down"
    );
    assert!(pair.events_of(Side::B).contains(&&Event::SessionClosed {
        session_id: B_SESSION,
        reason: CloseReason::PeerClosed
    }));
    assert_eq!(pair.a.poll_timeout(), None);
    assert_eq!(pair.b.poll_timeout(), None);
}

#[test]
fn close_session_received_mid_exchange_fails_the_peer_exchange_without_retransmitting() {
    let mut pair = Pair::new(6);
    // Everything B sends is lost, so its request stays outstanding.
    pair.script = Some(Box::new(|side, _, _| {
        if side == Side::B {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    let bx = pair.b.open_exchange(B_SESSION, IM).expect("open");
    let counter = pair
        .b
        .send(ms(0), bx, 0x08, b"pending", RELIABLE)
        .expect("send");
    pair.drive_until(ms(100));
    pair.a
        .close_session(ms(100), A_SESSION, true, false)
        .expect("close now");
    pair.drive();
    let b_events = pair.events_of(Side::B);
    assert!(b_events.contains(&&Event::DeliveryFailed {
        exchange: bx,
        message_counter: counter,
        reason: DeliveryError::SessionClosed
    }));
    assert!(b_events.contains(&&Event::ExchangeClosed {
        exchange: bx,
        reason: ExchangeCloseReason::SessionClosed
    }));
    assert!(b_events.contains(&&Event::SessionClosed {
        session_id: B_SESSION,
        reason: CloseReason::PeerClosed
    }));
    let last_b_send = pair
        .wire
        .iter()
        .filter(|(_, s, _)| *s == Side::B)
        .map(|(t, _, _)| *t)
        .max()
        .expect("B sent");
    assert!(
        last_b_send < ms(110),
        "no retransmission into the dead session (last at {last_b_send})"
    );
    assert_eq!(
        pair.b.poll_timeout(),
        None,
        "no timer of the dead session survives"
    );
}

#[test]
fn closing_a_session_locally_with_a_message_outstanding_leaks_no_timer() {
    let mut pair = Pair::new(7);
    pair.script = Some(Box::new(|side, _, _| {
        if side == Side::A {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    let counter = pair
        .a
        .send(ms(0), x, 0x08, b"lost", RELIABLE)
        .expect("send");
    pair.drive_until(ms(50));
    pair.a
        .close_session(ms(50), A_SESSION, false, false)
        .expect("end");
    assert_eq!(pair.a.poll_timeout(), None);
    pair.drive();
    assert_eq!(
        pair.wire.iter().filter(|(_, s, _)| *s == Side::A).count(),
        1,
        "never retransmitted"
    );
    assert!(pair.events_of(Side::A).contains(&&Event::DeliveryFailed {
        exchange: x,
        message_counter: counter,
        reason: DeliveryError::SessionClosed
    }));
    assert!(matches!(
        pair.a.send(ms(60), x, 0x08, b"x", RELIABLE),
        Err(NodeError::UnknownExchange(_))
    ));
}

#[test]
fn one_reliable_message_at_a_time_per_exchange() {
    let mut pair = Pair::new(8);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(ms(0), x, 0x08, b"first", RELIABLE)
        .expect("send");
    assert!(matches!(
        pair.a.send(ms(0), x, 0x08, b"second", RELIABLE),
        Err(NodeError::MessageOutstanding(_))
    ));
    // An unreliable message may still go.
    pair.a
        .send(
            ms(0),
            x,
            0x08,
            b"best effort",
            SendOptions {
                reliable: false,
                expect_response: false,
            },
        )
        .expect("send");
}

#[test]
fn no_response_closes_the_exchange_with_a_timeout() {
    let mut pair = Pair::new(9);
    let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
    pair.a
        .send(
            ms(0),
            x,
            0x08,
            b"anyone?",
            SendOptions {
                reliable: true,
                expect_response: true,
            },
        )
        .expect("send");
    pair.drive();
    let closed = pair.events.iter().find(|(_, _, e)| {
        *e == Event::ExchangeClosed {
            exchange: x,
            reason: ExchangeCloseReason::Timeout,
        }
    });
    assert_eq!(closed.map(|(t, _, _)| *t), Some(ms(30_000)));
}

#[test]
fn garbage_and_forged_datagrams_are_counted_not_delivered() {
    let mut pair = Pair::new(10);
    let b_addr = pair.b_addr;
    pair.a.handle_datagram(ms(0), b_addr, &[0x01]);
    pair.a.handle_datagram(
        ms(0),
        b_addr,
        &[
            0, 0x0A, 0x0A, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
        ],
    );
    pair.a
        .handle_datagram(ms(0), b_addr, &[0, 0x99, 0x99, 0, 1, 0, 0, 0, 1, 2, 3]);
    let stats = *pair.a.stats();
    assert_eq!(
        (stats.malformed, stats.undecryptable, stats.unknown_session),
        (1, 1, 1)
    );
    assert!(pair.a.poll_event().is_none());
}

/// What happened to each application message in a randomized run.
#[derive(Default, Debug)]
struct Outcome {
    delivered: usize,
    acked: bool,
    failed: bool,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For random loss, duplication and reordering, every message sent reliably is delivered
    /// at most once; its sender sees exactly one outcome (acknowledged or failed); and an
    /// acknowledged message was delivered exactly once.
    #[test]
    fn every_message_is_delivered_at_most_once_and_reported_exactly_once(
        seed in any::<u64>(),
        loss in 0.0f64..0.4,
        duplicate in 0.0f64..0.3,
        reorder_ms in 0u64..300,
        messages in 1usize..12,
    ) {
        let mut pair = Pair::new(seed);
        pair.auto_close_responders = true;
        pair.impairments = Impairments { loss, duplicate, latency: Duration::from_millis(5), reorder: Duration::from_millis(reorder_ms) };
        let mut sent: BTreeMap<(Side, ExchangeId, u32), Vec<u8>> = BTreeMap::new();
        for i in 0..messages {
            for side in [Side::A, Side::B] {
                let session = if side == Side::A { A_SESSION } else { B_SESSION };
                let now = pair.now;
                let node = pair.node(side);
                let x = node.open_exchange(session, IM).expect("open");
                let payload = format!("{side:?}-{i}").into_bytes();
                let counter = node.send(now, x, 0x08, &payload, RELIABLE).expect("send");
                node.close_exchange(now, x).expect("close");
                sent.insert((side, x, counter), payload);
            }
            let t = pair.now + Duration::from_millis(40);
            pair.drive_until(t);
        }
        pair.drive();
        let mut fates: BTreeMap<Vec<u8>, Outcome> = sent.values().map(|p| (p.clone(), Outcome::default())).collect();
        for (_, side, event) in &pair.events {
            match event {
                Event::Message { payload, .. } => fates.get_mut(payload).expect("known payload").delivered += 1,
                Event::Acknowledged { exchange, message_counter } => {
                    let f = fates.get_mut(&sent[&(*side, *exchange, *message_counter)]).expect("known");
                    prop_assert!(!f.acked && !f.failed, "two outcomes");
                    f.acked = true;
                }
                Event::DeliveryFailed { exchange, message_counter, .. } => {
                    let f = fates.get_mut(&sent[&(*side, *exchange, *message_counter)]).expect("known");
                    prop_assert!(!f.acked && !f.failed, "two outcomes");
                    f.failed = true;
                }
                _ => {}
            }
        }
        for (payload, f) in &fates {
            prop_assert!(f.delivered <= 1, "{:?} delivered {} times", String::from_utf8_lossy(payload), f.delivered);
            prop_assert!(f.acked ^ f.failed, "{:?}: acked {} failed {}", String::from_utf8_lossy(payload), f.acked, f.failed);
            if f.acked {
                prop_assert_eq!(f.delivered, 1);
            }
        }
        prop_assert_eq!(pair.a.poll_timeout(), None);
        prop_assert_eq!(pair.b.poll_timeout(), None);
        prop_assert_eq!(pair.a.exchanges().count() + pair.b.exchanges().count(), 0);
    }
}

#[test]
fn delivery_under_thirty_percent_loss() {
    let mut totals = (0, 0, 0);
    for seed in 0..10 {
        let mut pair = Pair::new(seed);
        pair.impairments = Impairments {
            loss: 0.3,
            ..Impairments::default()
        };
        for i in 0..20u32 {
            let now = pair.now;
            let x = pair.a.open_exchange(A_SESSION, IM).expect("open");
            pair.a
                .send(now, x, 0x08, &i.to_le_bytes(), RELIABLE)
                .expect("send");
            pair.a.close_exchange(now, x).expect("close");
            pair.drive();
        }
        let delivered = delivered(&pair, Side::B);
        let acked = pair
            .events_of(Side::A)
            .iter()
            .filter(|e| matches!(e, Event::Acknowledged { .. }))
            .count();
        let failed = pair
            .events_of(Side::A)
            .iter()
            .filter(|e| matches!(e, Event::DeliveryFailed { .. }))
            .count();
        assert_eq!(acked + failed, 20);
        let mut unique = delivered.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), delivered.len(), "no message delivered twice");
        totals = (
            totals.0 + delivered.len(),
            totals.1 + acked,
            totals.2 + failed,
        );
    }
    // 200 messages: a message is lost only if all 5 transmissions are (0.3^5 ≈ 0.24 %); the
    // sender gives up when all 5 round trips fail (0.51^5 ≈ 3.5 %).
    assert!(totals.0 >= 197, "delivered {} of 200", totals.0);
    assert!(totals.1 >= 185, "acknowledged {} of 200", totals.1);
}
