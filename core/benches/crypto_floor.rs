//! The "crypto floor": what the raw primitives cost on this machine, through the
//! `paseo_core::crypto` wrappers. Session, PASE and CASE benches compare against these.
//!
//! Run: `cargo bench -p paseo-core --bench crypto_floor`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use paseo_core::crypto::{
    Aes128CcmKey, EphemeralKeyPair, SigningKeyPair, ecdsa_p256_sha256_verify, hkdf_sha256,
    pbkdf2_sha256,
};

/// Fixed scalars, so every run measures the same work (no RNG).
const SCALAR_A: [u8; 32] = [0x5a; 32];
const SCALAR_B: [u8; 32] = [0x3c; 32];

fn aes_ccm(c: &mut Criterion) {
    let key = Aes128CcmKey::new(&[0x42; 16]);
    let nonce = [0x07; 13];
    // A Matter message header is the AAD: 8 bytes plus an 8-byte source node id.
    let aad = [0x11; 16];
    let mut group = c.benchmark_group("aes128_ccm_encrypt_decrypt");
    for len in [64usize, 1024] {
        let plaintext = vec![0xa5; len];
        let mut buf = Vec::with_capacity(len + 16);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(len), &plaintext, |b, pt| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(pt);
                key.encrypt_in_place(&nonce, &aad, &mut buf).unwrap();
                key.decrypt_in_place(&nonce, &aad, black_box(&mut buf))
                    .unwrap();
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

fn kdfs(c: &mut Criterion) {
    let ikm = [0x0b; 32];
    c.bench_function("hkdf_sha256_48B", |b| {
        let mut out = [0u8; 48];
        b.iter(|| {
            hkdf_sha256(black_box(&ikm), &[], b"SessionKeys", &mut out).unwrap();
            out
        })
    });
    let password = 20202021u32.to_le_bytes();
    let salt = [0x53; 32];
    c.bench_function("pbkdf2_sha256_1000it_80B", |b| {
        let mut out = [0u8; 80];
        b.iter(|| {
            pbkdf2_sha256(black_box(&password), &salt, 1000, &mut out).unwrap();
            out
        })
    });
}

fn p256(c: &mut Criterion) {
    let ours = EphemeralKeyPair::from_secret_bytes(&SCALAR_A).unwrap();
    let peer = EphemeralKeyPair::from_secret_bytes(&SCALAR_B)
        .unwrap()
        .public_key()
        .to_uncompressed();
    // Includes validating the 65-byte peer key, as a CASE responder must.
    c.bench_function("p256_ecdh", |b| {
        b.iter(|| {
            let shared = ours.diffie_hellman_sec1(black_box(&peer)).unwrap();
            *shared.as_bytes()
        })
    });

    let signer = SigningKeyPair::from_secret_bytes(&SCALAR_A).unwrap();
    let public = signer.public_key().to_uncompressed();
    // About the size of a Sigma2/Sigma3 TBS structure (two certificates and two keys).
    let message = vec![0x5c; 600];
    c.bench_function("ecdsa_p256_sign", |b| {
        b.iter(|| signer.sign(black_box(&message)).unwrap())
    });
    let signature = signer.sign(&message).unwrap();
    c.bench_function("ecdsa_p256_verify", |b| {
        b.iter(|| {
            ecdsa_p256_sha256_verify(black_box(&public), black_box(&message), &signature).unwrap()
        })
    });
}

criterion_group!(benches, aes_ccm, kdfs, p256);
criterion_main!(benches);
