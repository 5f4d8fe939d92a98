//! Fuzzes the PASE verifier blob `w0 ‖ L` (`Verifier::from_bytes`, 97 bytes: what a device is
//! given by the Enhanced Commissioning Method or reads back from storage).
//!
//! Two kinds of input, chosen by the first byte:
//! - raw bytes as the blob (almost never a point on the curve);
//! - a blob `w0 ‖ L` with a fuzzer-chosen w0 and L = w1·G for one of a fixed set of w1
//!   (edge scalars and ordinary ones; L computed once per process by the crypto module's ECDH
//!   key type, an independent path to the point, and checked at start-up to be the L of the
//!   prover's own construction `ProverSecrets::from_scalars(w0, w1).verifier()`), then
//!   optionally one byte flipped.
//!
//! Properties: no panic; an accepted blob re-encodes to exactly the same 97 bytes (w0 is
//! canonical, non-zero, below n; L is a valid uncompressed point, and the crypto module's own
//! point parser agrees); a built blob (not flipped) is accepted exactly when w0 is a valid
//! non-zero scalar, as the crypto module's scalar type judges it.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::crypto::{EphemeralKeyPair, P256PublicKey, SecretScalar};
use paseo_core::pase::{ProverSecrets, VERIFIER_LEN, Verifier};

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<u8>),
    Built {
        w0: [u8; 32],
        /// Index into [`points`].
        w1: u8,
        flip: Option<(u8, u8)>,
    },
}

/// L = w1·G for a fixed set of w1: 1, 2, n − 1, 2²⁵⁵ and a few ordinary scalars.
fn points() -> &'static [[u8; 65]] {
    static POINTS: OnceLock<Vec<[u8; 65]>> = OnceLock::new();
    POINTS.get_or_init(|| {
        let n_minus_1 = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
        let mut top = [0u8; 32];
        top[0] = 0x80;
        let mut scalars = vec![one_at(1), one_at(2), n_minus_1, top];
        scalars.extend((1..=4u8).map(|i| [i.wrapping_mul(37) ^ 0x5a; 32]));
        scalars
            .iter()
            .map(|w1| {
                let l = EphemeralKeyPair::from_secret_bytes(w1)
                    .expect("valid scalar")
                    .public_key()
                    .to_uncompressed();
                let prover = ProverSecrets::from_scalars(&one_at(1), w1)
                    .and_then(|p| p.verifier())
                    .expect("valid secrets");
                assert_eq!(prover.l_bytes(), &l, "two constructions of L disagree");
                l
            })
            .collect()
    })
}

fn one_at(v: u8) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[31] = v;
    s
}

fn hex32(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

/// An accepted blob is exactly what the verifier gives back.
fn check(blob: &[u8]) -> Option<Verifier> {
    let verifier = Verifier::from_bytes(blob).ok()?;
    assert_eq!(blob.len(), VERIFIER_LEN);
    assert_eq!(
        &verifier.to_bytes()[..],
        blob,
        "the blob does not round trip"
    );
    assert_eq!(&verifier.w0_bytes()[..], &blob[..32]);
    assert!(blob[..32].iter().any(|&b| b != 0), "w0 = 0 accepted");
    let l = P256PublicKey::from_uncompressed(verifier.l_bytes())
        .expect("the crypto module accepts the L the verifier accepted");
    assert_eq!(&l.to_uncompressed(), verifier.l_bytes());
    Some(verifier)
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(blob) => {
            check(&blob);
        }
        Input::Built { w0, w1, flip } => {
            let points = points();
            let mut blob = w0.to_vec();
            blob.extend_from_slice(&points[usize::from(w1) % points.len()]);
            let accepted = check(&blob).is_some();
            assert_eq!(
                accepted,
                SecretScalar::from_bytes(&w0).is_ok(),
                "from_bytes and the scalar type disagree on w0"
            );
            if let Some((at, mask)) = flip.filter(|&(_, mask)| mask != 0) {
                let i = usize::from(at) % blob.len();
                blob[i] ^= mask;
                check(&blob);
            }
        }
    }
});
