//! CASE run by the node driver (Matter 1.3 §4.14.2): full CASE, resumption, resumption after
//! a restart with a FileStore, stale-record fallback, wrong fabric, tampering, loss.

mod pair;

use std::path::PathBuf;

use pair::{Fate, Impairments, Pair, Side};
use paseo_core::case::{CaseError, OperationalCredentials};
use paseo_core::cert::{TestCa, TestCaConfig};
use paseo_core::codec::ProtocolId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::{Event, HandshakeError, HandshakeKind, Node, NodeConfig, SendOptions};
use paseo_core::session::Session;
use paseo_core::store::{FileStore, MemoryStore, Store};
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const FABRIC: FabricIndex = FabricIndex(1);
const CONTROLLER: NodeId = NodeId(0x1122);
const DEVICE: NodeId = NodeId(0xAB_0001);
const IPK: [u8; 16] = [0x4A; 16];

fn ca(seed: u64, icac: bool) -> TestCa {
    let config = TestCaConfig {
        fabric_id: 0x2906_C908_D115_D362,
        icac_id: icac.then_some(7),
        ..TestCaConfig::default()
    };
    TestCa::from_seed(seed, config).expect("test CA")
}

fn credentials(ca: &mut TestCa, node: NodeId, seed: u64) -> OperationalCredentials {
    OperationalCredentials::from_test_ca(
        ca,
        FABRIC,
        node,
        &[],
        IPK,
        &mut ChaCha20Rng::seed_from_u64(seed),
    )
    .expect("credentials")
}

/// A (controller) and B (device) on one fabric.
fn fabric_pair(seed: u64, icac: bool) -> Pair {
    let mut pair = Pair::bare(seed, NodeConfig::default());
    let mut ca = ca(seed, icac);
    pair.a.add_fabric(credentials(&mut ca, CONTROLLER, 1));
    pair.b.add_fabric(credentials(&mut ca, DEVICE, 2));
    pair
}

fn case(pair: &mut Pair) {
    let (now, b_addr) = (pair.now, pair.b_addr);
    pair.a
        .start_case(now, b_addr, FABRIC, DEVICE)
        .expect("start CASE");
    pair.drive();
}

/// (session id, resumed) of the CASE sessions each side opened, in order.
fn opened(pair: &Pair, side: Side) -> Vec<(u16, bool)> {
    pair.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            Event::SessionOpened {
                session_id,
                is_pase: false,
                is_resumption,
            } => Some((*session_id, *is_resumption)),
            _ => None,
        })
        .collect()
}

fn case_failures(pair: &Pair, side: Side) -> Vec<HandshakeError> {
    pair.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            Event::HandshakeFailed {
                kind: HandshakeKind::Case,
                error,
                ..
            } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

fn assert_quiet(pair: &Pair) {
    for node in [&pair.a, &pair.b] {
        assert_eq!(node.handshakes_in_progress(), 0);
        assert_eq!(node.exchanges().count(), 0);
        assert_eq!(node.poll_timeout(), None);
    }
}

#[test]
fn full_case_opens_matching_sessions_and_saves_resumption_records() {
    for icac in [false, true] {
        let mut pair = fabric_pair(1, icac);
        case(&mut pair);
        let (a, b) = (opened(&pair, Side::A), opened(&pair, Side::B));
        assert_eq!((a.len(), b.len()), (1, 1), "icac {icac}: {:?}", pair.events);
        assert!(!a[0].1 && !b[0].1, "a full CASE, not a resumption");
        let sa = pair.a.sessions().get_session(a[0].0).expect("a");
        let sb = pair.b.sessions().get_session(b[0].0).expect("b");
        assert_eq!(
            (sa.peer_session_id(), sb.peer_session_id()),
            (sb.id(), sa.id())
        );
        assert_eq!((sa.peer_node_id(), sb.peer_node_id()), (DEVICE, CONTROLLER));
        assert_eq!((sa.node_id(), sb.node_id()), (CONTROLLER, DEVICE));
        assert_eq!(sa.associated_fabric(), Some(FABRIC));
        let ra = pair
            .a
            .sessions()
            .find_resumption_record_by_node_id(FABRIC, DEVICE)
            .expect("a record");
        let rb = pair
            .b
            .sessions()
            .find_resumption_record_by_node_id(FABRIC, CONTROLLER)
            .expect("b record");
        assert_eq!(ra.resumption_id, rb.resumption_id);
        assert_eq!(ra.shared_secret, rb.shared_secret);
        assert_quiet(&pair);

        // The session carries application traffic both ways.
        pair.b.register_protocol(ProtocolId::INTERACTION_MODEL);
        let now = pair.now;
        let x = pair
            .a
            .open_exchange(a[0].0, ProtocolId::INTERACTION_MODEL)
            .expect("open");
        pair.a
            .send(now, x, 0x02, b"read OnOff", SendOptions::default())
            .expect("send");
        pair.a.close_exchange(now, x).expect("close");
        pair.drive();
        assert!(
            pair.events_of(Side::B)
                .iter()
                .any(|e| matches!(e, Event::Message { payload, .. } if payload == b"read OnOff"))
        );
    }
}

#[test]
fn a_second_case_resumes_and_rotates_the_resumption_id() {
    let mut pair = fabric_pair(2, false);
    case(&mut pair);
    let first_id = pair
        .a
        .sessions()
        .find_resumption_record_by_node_id(FABRIC, DEVICE)
        .expect("record")
        .resumption_id;
    case(&mut pair);
    let (a, b) = (opened(&pair, Side::A), opened(&pair, Side::B));
    assert_eq!(a.iter().map(|s| s.1).collect::<Vec<_>>(), vec![false, true]);
    assert_eq!(b.iter().map(|s| s.1).collect::<Vec<_>>(), vec![false, true]);
    let ra = pair
        .a
        .sessions()
        .find_resumption_record_by_node_id(FABRIC, DEVICE)
        .expect("a record");
    let rb = pair
        .b
        .sessions()
        .find_resumption_record_by_node_id(FABRIC, CONTROLLER)
        .expect("b record");
    assert_ne!(ra.resumption_id, first_id, "resumption hands out a new id");
    assert_eq!(ra.resumption_id, rb.resumption_id);
    // The resumed sessions interoperate.
    let sa = pair.a.sessions().get_session(a[1].0).expect("a");
    assert!(sa.is_resumption());
    assert_quiet(&pair);
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("paseo-case-node-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Replaces B by a freshly started node on `store` with the same credentials.
fn restart_b(pair: &mut Pair, store: Box<dyn Store>, seed: u64) {
    let credentials = pair.b.fabrics()[0].clone();
    let mut b = Node::new(
        NodeConfig::default(),
        ChaCha20Rng::seed_from_u64(seed),
        store,
    );
    b.add_fabric(credentials);
    b.load_resumption_records().expect("records load");
    pair.b = b;
}

#[test]
fn resumption_works_after_the_device_restarts_on_a_file_store() {
    let dir = TempDir::new("restart");
    let mut pair = fabric_pair(3, true);
    restart_b(
        &mut pair,
        Box::new(FileStore::open(&dir.0).expect("store")),
        30,
    );
    case(&mut pair);
    assert_eq!(opened(&pair, Side::B).len(), 1);
    restart_b(
        &mut pair,
        Box::new(FileStore::open(&dir.0).expect("store")),
        31,
    );
    assert!(
        pair.b
            .sessions()
            .find_resumption_record_by_node_id(FABRIC, CONTROLLER)
            .is_some(),
        "record survived"
    );
    let before = pair.events.len();
    case(&mut pair);
    let resumed: Vec<_> = pair.events[before..]
        .iter()
        .filter_map(|(_, side, e)| match e {
            Event::SessionOpened { is_resumption, .. } => Some((*side, *is_resumption)),
            _ => None,
        })
        .collect();
    assert_eq!(resumed.len(), 2, "{resumed:?}");
    assert!(
        resumed.iter().all(|(_, r)| *r),
        "both sides resumed after the restart: {resumed:?}"
    );
}

#[test]
fn a_stale_record_falls_back_to_full_case() {
    let mut pair = fabric_pair(4, false);
    case(&mut pair);
    // The device forgets everything (memory store, restart); the controller still holds a record.
    restart_b(&mut pair, Box::new(MemoryStore::new()), 40);
    let before = pair.events.len();
    case(&mut pair);
    let opened_now: Vec<_> = pair.events[before..]
        .iter()
        .filter_map(|(_, side, e)| match e {
            Event::SessionOpened { is_resumption, .. } => Some((*side, *is_resumption)),
            _ => None,
        })
        .collect();
    assert_eq!(opened_now.len(), 2, "{opened_now:?}");
    assert!(
        opened_now.iter().all(|(_, r)| !*r),
        "full CASE instead (resumption fallback): {opened_now:?}"
    );
    assert!(case_failures(&pair, Side::A).is_empty());
}

#[test]
fn a_device_on_another_fabric_answers_no_shared_trust_roots() {
    let mut pair = Pair::bare(5, NodeConfig::default());
    let mut ours = ca(5, false);
    let mut theirs = ca(6, false);
    pair.a.add_fabric(credentials(&mut ours, CONTROLLER, 1));
    pair.b.add_fabric(credentials(&mut theirs, DEVICE, 2));
    case(&mut pair);
    assert!(
        matches!(
            &case_failures(&pair, Side::B)[..],
            [HandshakeError::Case(CaseError::NoSharedTrustRoots)]
        ),
        "{:?}",
        case_failures(&pair, Side::B)
    );
    assert!(
        matches!(
            &case_failures(&pair, Side::A)[..],
            [HandshakeError::Case(CaseError::PeerStatus { .. })]
        ),
        "{:?}",
        case_failures(&pair, Side::A)
    );
    assert_eq!(
        pair.a.sessions().sessions().count() + pair.b.sessions().sessions().count(),
        0
    );
    assert_quiet(&pair);
}

#[test]
fn tampering_with_sigma2_or_sigma3_leaves_no_session() {
    for (victim, name) in [(Side::B, "Sigma2"), (Side::A, "Sigma3")] {
        let mut pair = fabric_pair(7, false);
        // The victim's handshake datagram is held back and a tampered copy injected instead:
        // a byte inside encrypted2 (Sigma2) or encrypted3 (Sigma3) is flipped.
        let target = if victim == Side::B { 0 } else { 1 };
        let from_end = if victim == Side::B { 60 } else { 10 };
        pair.script = Some(Box::new(move |side, index, _| {
            if side == victim && index == target {
                Fate::Drop
            } else {
                Fate::Deliver
            }
        }));
        let (now, b_addr, a_addr) = (pair.now, pair.b_addr, pair.a_addr);
        pair.a
            .start_case(now, b_addr, FABRIC, DEVICE)
            .expect("start");
        pair.drive_until(Instant::from_millis(100));
        let original = pair
            .wire
            .iter()
            .filter(|(_, s, _)| *s == victim)
            .nth(target)
            .map(|(_, _, b)| b.clone())
            .expect(name);
        let mut tampered = original.clone();
        let at = tampered.len() - from_end;
        tampered[at] ^= 0x01;
        let (to, from) = if victim == Side::B {
            (Side::A, b_addr)
        } else {
            (Side::B, a_addr)
        };
        let t = pair.now;
        pair.node(to).handle_datagram(t, from, &tampered);
        pair.script = None;
        pair.drive();
        assert_eq!(
            pair.a.sessions().sessions().count() + pair.b.sessions().sessions().count(),
            0,
            "{name}"
        );
        // The receiver of the tampered message cannot open it; the sender hears INVALID_PARAMETER.
        let (receiver, sender) = (victim.other(), victim);
        assert!(
            matches!(
                &case_failures(&pair, receiver)[..],
                [HandshakeError::Case(CaseError::DecryptFailed(_))]
            ),
            "{name}: {:?}",
            case_failures(&pair, receiver)
        );
        assert!(
            matches!(
                &case_failures(&pair, sender)[..],
                [HandshakeError::Case(CaseError::PeerStatus { .. })]
            ),
            "{name}: {:?}",
            case_failures(&pair, sender)
        );
        assert_quiet(&pair);
    }
}

#[test]
fn case_completes_under_twenty_percent_loss() {
    let mut established = 0;
    for seed in 0..10 {
        let mut pair = fabric_pair(10 + seed, false);
        pair.impairments = Impairments {
            loss: 0.2,
            ..Impairments::default()
        };
        case(&mut pair);
        established += usize::from(opened(&pair, Side::A).len() == 1);
        assert_quiet(&pair);
    }
    assert!(established >= 9, "{established} of 10");
}
