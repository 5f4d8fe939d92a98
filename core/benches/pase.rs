//! A full in-memory PASE handshake (both roles, 1000 PBKDF2 iterations) next to its bare
//! crypto floor, measured in the same run.
//!
//! The floor is what the protocol cannot avoid (Matter 1.3 §3.9, §4.14.1, §3.10):
//! - PBKDF2-HMAC-SHA256, 1000 iterations, 80 bytes, on the prover (the responder holds a
//!   precomputed verifier (w0, L), as a commissionee does);
//! - ten P-256 scalar multiplications, five per side:
//!   prover   x·G, w0·M (X = x·G + w0·M), w0·N, x·(Y − w0·N) = Z, w1·(Y − w0·N) = V;
//!   verifier y·G, w0·N (Y = y·G + w0·N), w0·M, y·(X − w0·M) = Z, y·L = V.
//!   (L = w1·G is part of the verifier, computed once per commissioning window, not per
//!   handshake.) p256 0.13 has no fixed-base table, so k·G costs what any k·P does.
//!
//! Left out of the floor: point validation, six affine conversions, SHA-256 of the context and
//! TT, HKDF, four HMACs, TLV encode/decode.
//!
//! Run: `cargo bench -p paseo-core --bench pase -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::num::NonZeroU16;

use criterion::{Criterion, criterion_group, criterion_main};
use p256::elliptic_curve::ops::Reduce as _;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use paseo_core::crypto::pbkdf2_sha256;
use paseo_core::pase::{PaseInitiator, PaseResponder, Passcode, PbkdfParameters, Verifier};
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;

fn full_handshake(c: &mut Criterion) {
    let pbkdf = PbkdfParameters::new(1000, &[0x53; 32]).unwrap();
    let verifier = Verifier::from_passcode(&Passcode::new(PASSCODE).unwrap(), &pbkdf).unwrap();
    let responder = PaseResponder::new(verifier, pbkdf, SessionParameters::paseo_default());
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (i_id, r_id) = (NonZeroU16::new(1).unwrap(), NonZeroU16::new(2).unwrap());
    c.bench_function("pase_full_handshake_1000it", |b| {
        b.iter(|| {
            let passcode = Passcode::new(PASSCODE).unwrap();
            let (init, request) =
                PaseInitiator::start(&mut rng, passcode, i_id, SessionParameters::paseo_default());
            let (resp, response) = responder
                .handle_pbkdf_request(&mut rng, r_id, &request)
                .unwrap();
            let (init, pake1) = init.handle(&response).unwrap();
            let (resp, pake2) = resp.handle(&pake1).unwrap();
            let (init, pake3) = init.handle(&pake2).unwrap();
            let (at_responder, status) = resp.handle(&pake3).unwrap();
            let at_initiator = init.handle(&status).unwrap();
            black_box((at_initiator, at_responder))
        })
    });
}

/// A scalar from a repeated byte (any value; reduction keeps it below n).
fn scalar(byte: u8) -> Scalar {
    Scalar::reduce_bytes(&FieldBytes::from([byte; 32]))
}

fn crypto_floor(c: &mut Criterion) {
    let password = PASSCODE.to_le_bytes();
    let salt = [0x53; 32];
    // Stand-ins for M, N, X, Y, L: any points cost the same to multiply.
    let g = ProjectivePoint::GENERATOR;
    let (m, n, l) = (g * scalar(2), g * scalar(3), g * scalar(4));
    let (x, y, w0, w1) = (scalar(5), scalar(6), scalar(7), scalar(8));
    let (big_x, big_y) = (g * scalar(9), g * scalar(10));
    c.bench_function("pase_crypto_floor_pbkdf2_1000it_and_10_muls", |b| {
        let mut out = [0u8; 80];
        b.iter(|| {
            pbkdf2_sha256(black_box(&password), &salt, 1000, &mut out).unwrap();
            // Prover.
            let p_x = g * black_box(x) + m * black_box(w0);
            let unblinded_y = big_y - n * w0;
            let p_z = unblinded_y * x;
            let p_v = unblinded_y * w1;
            // Verifier.
            let v_y = g * black_box(y) + n * w0;
            let unblinded_x = big_x - m * w0;
            let v_z = unblinded_x * y;
            let v_v = l * y;
            black_box((out, p_x, p_z, p_v, v_y, v_z, v_v))
        })
    });
    c.bench_function("pbkdf2_sha256_1000it_80B", |b| {
        let mut out = [0u8; 80];
        b.iter(|| {
            pbkdf2_sha256(black_box(&password), &salt, 1000, &mut out).unwrap();
            out
        })
    });
    c.bench_function("p256_scalar_mul", |b| {
        b.iter(|| black_box(m) * black_box(x))
    });
}

criterion_group!(benches, full_handshake, crypto_floor);
criterion_main!(benches);
