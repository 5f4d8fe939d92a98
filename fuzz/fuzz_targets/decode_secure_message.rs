//! Fuzzes the receive side of a secure session (`SecureSession::decode`) built with real
//! keys: arbitrary datagrams, forged datagrams behind a valid header, and structured mutations
//! (bit flips, truncation, extension, rewritten counter or session id) of genuine datagrams
//! sealed by the peer's session, interleaved with replays of genuine ones.
//!
//! Properties (Matter 1.3 §4.8, §4.6): nothing panics; a datagram is accepted only if it
//! is byte for byte a genuine one, and then it decodes to what was sealed; a genuine datagram
//! is accepted as new at most once; the replay window never moves backwards (its maximum never
//! decreases and a counter once accepted stays a duplicate); the sender's counter only climbs,
//! and ends the session rather than wrap.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::codec::{Message, MessageHeader, ProtocolHeader, ProtocolId, ProtocolMessage};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::counter::{CounterKind, CounterVerdict, MessageCounter};
use paseo_core::session::{
    SecureSession, SecureSessionArgs, Session, SessionError, SessionKind, SessionParameters,
};
use paseo_core::time::Instant;

const RECEIVER_ID: u16 = 0x0B0B;
const SENDER_ID: u16 = 0x0A0A;

#[derive(Arbitrary, Debug)]
enum Mutation {
    Flip {
        at: u16,
        mask: u8,
    },
    Truncate {
        len: u16,
    },
    Extend {
        bytes: Vec<u8>,
    },
    /// Rewrites the counter field (bytes 4..8, Matter 1.3 §4.4.1).
    Counter(u32),
    /// Rewrites the session id field (bytes 1..3).
    SessionId(u16),
    /// Replaces the bytes from `at` on.
    Splice {
        at: u16,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
enum Action {
    /// The sender seals a new message; it is delivered, mutated if asked.
    Send {
        opcode: u8,
        exchange: u16,
        reliable: bool,
        payload: Vec<u8>,
        mutation: Option<Mutation>,
    },
    /// An earlier genuine datagram again (index modulo their number), mutated if asked.
    Replay {
        index: u16,
        mutation: Option<Mutation>,
    },
    /// Arbitrary bytes.
    Raw(Vec<u8>),
    /// Arbitrary ciphertext behind a well-formed header for the receiver's session.
    Forged { counter: u32, body: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    pase: bool,
    /// First counter of the sender; near 2^32 to reach exhaustion.
    counter_start: u32,
    actions: Vec<Action>,
}

fn args(pase: bool, initiator: bool) -> SecureSessionArgs<'static> {
    let (local, peer, me, them) = if initiator {
        (SENDER_ID, RECEIVER_ID, 0xA, 0xB)
    } else {
        (RECEIVER_ID, SENDER_ID, 0xB, 0xA)
    };
    SecureSessionArgs {
        now: Instant::ZERO,
        session_id: local,
        peer_session_id: peer,
        kind: if pase {
            SessionKind::Pase
        } else {
            SessionKind::Case
        },
        fabric: Some(FabricIndex(1)),
        local_node_id: NodeId(me),
        peer_node_id: NodeId(them),
        peer_cats: vec![],
        shared_secret: &[0x5A; 32],
        salt: b"fuzz",
        is_initiator: initiator,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: None,
    }
}

/// What the sender seals for this message at `counter`.
fn reseal(pase: bool, counter: u32, header: &ProtocolHeader<'_>, payload: &[u8]) -> Vec<u8> {
    let start = MessageCounter::with_initial(CounterKind::SecureSession, counter)
        .expect("accepted a datagram with counter 0, which no sender seals");
    let mut shadow = SecureSession::new(args(pase, true), start).expect("shadow sender");
    shadow
        .encode(
            Instant::ZERO,
            &ProtocolMessage {
                header: *header,
                payload,
            },
        )
        .expect("seal")
}

fn mutate(mut bytes: Vec<u8>, mutation: Option<Mutation>) -> Vec<u8> {
    let Some(mutation) = mutation else {
        return bytes;
    };
    match mutation {
        Mutation::Flip { at, mask } => {
            if !bytes.is_empty() {
                let i = usize::from(at) % bytes.len();
                bytes[i] ^= mask;
            }
        }
        Mutation::Truncate { len } => bytes.truncate(usize::from(len)),
        Mutation::Extend { bytes: more } => bytes.extend_from_slice(&more),
        Mutation::Counter(counter) => {
            if let Some(field) = bytes.get_mut(4..8) {
                field.copy_from_slice(&counter.to_le_bytes());
            }
        }
        Mutation::SessionId(id) => {
            if let Some(field) = bytes.get_mut(1..3) {
                field.copy_from_slice(&id.to_le_bytes());
            }
        }
        Mutation::Splice { at, bytes: tail } => {
            bytes.truncate(usize::from(at));
            bytes.extend_from_slice(&tail);
        }
    }
    bytes
}

fuzz_target!(|input: Input| {
    let start =
        MessageCounter::with_initial(CounterKind::SecureSession, input.counter_start.max(1))
            .expect("non-zero start");
    let mut sender = SecureSession::new(args(input.pase, true), start).expect("sender");
    let mut receiver = SecureSession::new(
        args(input.pase, false),
        MessageCounter::with_initial(CounterKind::SecureSession, 1).expect("start"),
    )
    .expect("receiver");

    // Genuine datagrams and what they carry: (opcode, exchange, payload).
    let mut genuine: BTreeMap<Vec<u8>, (u8, u16, Vec<u8>)> = BTreeMap::new();
    let mut order: Vec<Vec<u8>> = Vec::new();
    let mut accepted_new: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut accepted_counters: BTreeSet<u32> = BTreeSet::new();
    let mut last_next = sender.next_counter();
    let mut last_max = receiver.reception().max_counter();
    let now = Instant::ZERO;

    for action in input.actions.into_iter().take(64) {
        let datagram = match action {
            Action::Send {
                opcode,
                exchange,
                reliable,
                payload,
                mutation,
            } => {
                let header = ProtocolHeader {
                    initiator: true,
                    reliable,
                    ..ProtocolHeader::new(ProtocolId::INTERACTION_MODEL, opcode, exchange)
                };
                match sender.encode(
                    now,
                    &ProtocolMessage {
                        header,
                        payload: &payload,
                    },
                ) {
                    Ok(sealed) => {
                        // The counter climbs by exactly one per message (Matter 1.3 §4.6).
                        let used = last_next.expect("a counter was available");
                        assert_eq!(u32::from_le_bytes(sealed[4..8].try_into().unwrap()), used);
                        assert_eq!(sender.next_counter(), used.checked_add(1));
                        genuine.insert(sealed.clone(), (opcode, exchange, payload));
                        order.push(sealed.clone());
                        mutate(sealed, mutation)
                    }
                    Err(SessionError::CounterExhausted) => {
                        assert_eq!(last_next, None, "exhausted with counters left");
                        continue;
                    }
                    Err(SessionError::Closed) => {
                        assert_eq!(last_next, None, "closed without exhaustion");
                        continue;
                    }
                    Err(e) => panic!("sealing failed: {e}"),
                }
            }
            Action::Replay { index, mutation } => {
                if order.is_empty() {
                    continue;
                }
                let original = order[usize::from(index) % order.len()].clone();
                mutate(original, mutation)
            }
            Action::Raw(bytes) => bytes,
            Action::Forged { counter, body } => {
                let mut bytes = Vec::new();
                MessageHeader::unicast(RECEIVER_ID, counter).encode(&mut bytes);
                bytes.extend_from_slice(&body);
                bytes
            }
        };
        last_next = sender.next_counter();

        if let Ok(message) = Message::decode(&datagram) {
            let before_max = receiver.reception().max_counter();
            match receiver.decode(now, &message) {
                Ok(decoded) => {
                    let counter = message.header.message_counter;
                    match genuine.get(&datagram) {
                        Some((opcode, exchange, payload)) => {
                            assert_eq!(decoded.protocol.opcode, *opcode);
                            assert_eq!(decoded.protocol.exchange_id, *exchange);
                            assert_eq!(&decoded.payload, payload);
                        }
                        // The keys are fixed, so libFuzzer may have learnt the bytes of a
                        // datagram this run has not sealed yet. Then the sender, sealing the
                        // same message at that counter, must produce exactly these bytes:
                        // nothing else authenticates (Matter 1.3 §4.8).
                        None => assert_eq!(
                            reseal(input.pase, counter, &decoded.protocol, &decoded.payload),
                            datagram,
                            "accepted a datagram the sender would not produce byte for byte"
                        ),
                    }
                    if decoded.duplicate {
                        assert_eq!(receiver.reception().max_counter(), before_max);
                    } else {
                        assert!(
                            accepted_new.insert(datagram.clone()),
                            "a genuine datagram was accepted as new twice"
                        );
                        assert!(accepted_counters.insert(counter));
                    }
                }
                Err(_) => {
                    // A refused datagram leaves the window untouched (Matter 1.3 §4.8).
                    assert_eq!(receiver.reception().max_counter(), before_max);
                }
            }
        }

        // The window never moves backwards.
        let max = receiver.reception().max_counter();
        assert!(
            max >= last_max,
            "window maximum went from {last_max:?} to {max:?}"
        );
        last_max = max;
        for &counter in &accepted_counters {
            assert_eq!(
                receiver.reception().check(counter),
                CounterVerdict::Duplicate,
                "counter {counter} was accepted before but is new again"
            );
        }
    }
});
