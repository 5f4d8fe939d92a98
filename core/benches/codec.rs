//! The codecs on their own, each next to a floor measured in the same run.
//!
//! - Message header + protocol header, encode and decode (what every datagram pays besides
//!   the cipher). Floor: AES-128-CCM encrypt + decrypt of a 64-byte application message (the
//!   cipher work every secured message pays; the session bench measures the same floor). The
//!   ratio printed is the codec's cost *as a share of that cipher work*: target ≤ 0.20
//!   ("codec overhead on top of AES-CCM ≤ 20 %"). A second row compares it with copying the
//!   same number of bytes, for scale.
//! - Sigma1 and Sigma2 TLV encode + decode (Matter 1.3 §4.14.2.3). Floor: SHA-256 of the
//!   encoded message — every Sigma message is hashed into the CASE transcript (Matter 1.3 §4.14.2),
//!   so a handshake can never touch its bytes less than that. Target ≤ 1.3×.
//!
//! Run: `cargo bench -p paseo-core --bench codec -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use paseo_core::case::{Sigma1, Sigma2};
use paseo_core::codec::{Destination, MessageHeader, ProtocolHeader, ProtocolId};
use paseo_core::crypto::{Aes128CcmKey, sha256};
use paseo_core::session::SessionParameters;

#[path = "ratio.rs"]
mod ratio;

/// A secured unicast header as a CASE session sends it, plus an IM protocol header with an
/// acknowledgement (the common shape of a reply).
fn headers(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec_vs_floor");
    let header = MessageHeader {
        source_node_id: Some(0x1122_3344_5566_7788),
        destination: Destination::Node(0x8877_6655_4433_2211),
        ..MessageHeader::unicast(0x1234, 0x0102_0304)
    };
    let mut protocol = ProtocolHeader::new(ProtocolId::INTERACTION_MODEL, 0x08, 0x4321);
    protocol.ack_counter = Some(0x0a0b_0c0d);
    let mut wire = Vec::with_capacity(64);
    header.encode(&mut wire);
    protocol.encode(&mut wire);
    let wire_len = wire.len();

    let mut out = Vec::with_capacity(64);
    group.bench_function("headers_encode_decode", |b| {
        b.iter(|| {
            out.clear();
            black_box(&header).encode(&mut out);
            black_box(&protocol).encode(&mut out);
            let (h, used) = MessageHeader::decode(black_box(&out)).expect("header");
            let (p, _) = ProtocolHeader::decode(&out[used..]).expect("protocol header");
            black_box((h.message_counter, p.exchange_id))
        })
    });
    let source = vec![0x5a; wire_len];
    group.bench_function("copy_floor", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&source));
            black_box(out.iter().fold(0u8, |a, x| a ^ x))
        })
    });
    let key = Aes128CcmKey::new(&[0x42; 16]);
    let (nonce, aad, payload) = ([0x07; 13], [0x11; 8], [0xa5; 64]);
    let mut buf = Vec::with_capacity(64 + 16);
    group.bench_function("aes_ccm_64_floor", |b| {
        b.iter(|| {
            buf.clear();
            buf.extend_from_slice(&payload);
            key.encrypt_in_place(&nonce, &aad, &mut buf)
                .expect("encrypt");
            key.decrypt_in_place(&nonce, &aad, black_box(&mut buf))
                .expect("decrypt");
            black_box(buf.len())
        })
    });
    group.finish();
}

fn sigma1() -> Sigma1 {
    Sigma1 {
        initiator_random: [1; 32],
        initiator_session_id: 0x1234,
        destination_id: [2; 32],
        initiator_eph_pub_key: [4; 65],
        initiator_session_params: Some(SessionParameters::default()),
        resumption: None,
    }
}

fn sigma2() -> Sigma2 {
    Sigma2 {
        responder_random: [3; 32],
        responder_session_id: 0x4321,
        responder_eph_pub_key: [4; 65],
        // TBEData2 with a NOC (~400 B), a signature and a resumption id, plus the MIC.
        encrypted2: vec![0x77; 520],
        responder_session_params: Some(SessionParameters::default()),
    }
}

fn sigma_tlv(c: &mut Criterion) {
    let mut group = c.benchmark_group("sigma_tlv_vs_floor");
    let (s1, s2) = (sigma1(), sigma2());
    let (w1, w2) = (s1.encode().expect("sigma1"), s2.encode().expect("sigma2"));
    group.bench_function("sigma1_encode_decode", |b| {
        b.iter(|| {
            let bytes = black_box(&s1).encode().expect("encode");
            let decoded = Sigma1::decode(black_box(&bytes)).expect("decode");
            black_box(decoded.message().initiator_session_id)
        })
    });
    group.bench_function("sigma1_sha256_floor", |b| {
        b.iter(|| black_box(sha256(black_box(&w1))))
    });
    group.bench_function("sigma2_encode_decode", |b| {
        b.iter(|| {
            let bytes = black_box(&s2).encode().expect("encode");
            let decoded = Sigma2::decode(black_box(&bytes)).expect("decode");
            black_box(decoded.message().responder_session_id)
        })
    });
    group.bench_function("sigma2_sha256_floor", |b| {
        b.iter(|| black_box(sha256(black_box(&w2))))
    });
    group.finish();
}

criterion_group!(benches, headers, sigma_tlv);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio::report(&[
        (
            "codec_vs_floor",
            "headers_encode_decode",
            "aes_ccm_64_floor",
            0.20,
        ),
        (
            "codec_vs_floor",
            "headers_encode_decode",
            "copy_floor",
            10.0,
        ),
        (
            "sigma_tlv_vs_floor",
            "sigma1_encode_decode",
            "sigma1_sha256_floor",
            1.3,
        ),
        (
            "sigma_tlv_vs_floor",
            "sigma2_encode_decode",
            "sigma2_sha256_floor",
            1.3,
        ),
    ]);
}
