//! Session encode + decode of an application message (the allocating `encode`/`decode`, and
//! the caller's-buffer `encode_into`/`decode_in_place`), next to the bare AES-128-CCM
//! encrypt + decrypt of the same bytes measured in the same run (the floor). The difference is
//! what the codec, counters and replay window cost on top of the cipher.
//!
//! Run: `cargo bench -p paseo-core --bench session`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use paseo_core::codec::{Message, ProtocolHeader, ProtocolId, ProtocolMessage};
use paseo_core::crypto::Aes128CcmKey;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::counter::{CounterKind, MessageCounter};
use paseo_core::session::{
    SecureSession, SecureSessionArgs, Session, SessionKind, SessionParameters,
};
use paseo_core::time::Instant;

#[path = "ratio.rs"]
mod ratio;

const SIZES: [usize; 2] = [64, 1024];

fn session(is_initiator: bool) -> SecureSession {
    let (local, peer) = if is_initiator { (10, 20) } else { (20, 10) };
    let args = SecureSessionArgs {
        now: Instant::ZERO,
        session_id: local,
        peer_session_id: peer,
        kind: SessionKind::Case,
        fabric: Some(FabricIndex(1)),
        local_node_id: NodeId(if is_initiator { 1 } else { 2 }),
        peer_node_id: NodeId(if is_initiator { 2 } else { 1 }),
        peer_cats: vec![],
        shared_secret: &[9; 32],
        salt: &[],
        is_initiator,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: None,
    };
    let counter = MessageCounter::with_initial(CounterKind::SecureSession, 1).expect("non-zero");
    SecureSession::new(args, counter).expect("session")
}

fn encode_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_vs_floor");
    for len in SIZES {
        let payload = vec![0xa5; len];
        group.throughput(Throughput::Bytes(len as u64));
        // Floor: the cipher work of one message, same plaintext (6-byte protocol header +
        // payload) and same AAD (8-byte unicast header).
        let key = Aes128CcmKey::new(&[0x42; 16]);
        let nonce = [0x07; 13];
        let aad = [0x11; 8];
        let mut buf = Vec::with_capacity(len + 6 + 16);
        group.bench_function(BenchmarkId::new("aes_ccm_floor", len), |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(&[0u8; 6]);
                buf.extend_from_slice(&payload);
                key.encrypt_in_place(&nonce, &aad, &mut buf)
                    .expect("encrypt");
                key.decrypt_in_place(&nonce, &aad, black_box(&mut buf))
                    .expect("decrypt");
                black_box(buf.len())
            })
        });
        let (mut a, mut b) = (session(true), session(false));
        let header = ProtocolHeader::new(ProtocolId::INTERACTION_MODEL, 0x08, 1);
        group.bench_function(BenchmarkId::new("session_encode_decode", len), |bench| {
            bench.iter(|| {
                let message = ProtocolMessage {
                    header,
                    payload: &payload,
                };
                let datagram = a.encode(Instant::ZERO, &message).expect("encode");
                let parsed = Message::decode(&datagram).expect("header");
                let decoded = b.decode(Instant::ZERO, black_box(&parsed)).expect("decode");
                black_box(decoded.payload.len())
            })
        });
        // The caller's-buffer API: one datagram buffer reused, decrypted where it lies.
        let (mut a, mut b) = (session(true), session(false));
        let mut datagram = Vec::with_capacity(len + 64);
        group.bench_function(BenchmarkId::new("session_in_place", len), |bench| {
            bench.iter(|| {
                let message = ProtocolMessage {
                    header,
                    payload: &payload,
                };
                a.encode_into(Instant::ZERO, &message, &mut datagram)
                    .expect("encode");
                let decoded = b
                    .decode_in_place(Instant::ZERO, black_box(&mut datagram))
                    .expect("decode");
                black_box(decoded.payload.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode_decode);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    ratio::report(&[
        (
            "session_vs_floor",
            "session_in_place/64",
            "aes_ccm_floor/64",
            1.2,
        ),
        (
            "session_vs_floor",
            "session_in_place/1024",
            "aes_ccm_floor/1024",
            1.2,
        ),
        (
            "session_vs_floor",
            "session_encode_decode/64",
            "aes_ccm_floor/64",
            1.2,
        ),
        (
            "session_vs_floor",
            "session_encode_decode/1024",
            "aes_ccm_floor/1024",
            1.2,
        ),
    ]);
}
