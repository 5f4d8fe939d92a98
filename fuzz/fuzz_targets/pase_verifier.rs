//! Fuzzes the PASE verifier blob `w0 ‖ L` (`Verifier::from_bytes`, 97 bytes: what a device is
//! given by the Enhanced Commissioning Method or reads back from storage).
//!
//! Two kinds of input, chosen by the first byte:
//! - raw bytes as the blob (almost never a point on the curve);
//! - a blob built from fuzzer-chosen scalars w0, w1 with L = w1·G computed by the crypto
//!   module's ECDH key type (an independent path to the point), then optionally one byte
//!   flipped.
//!
//! Properties: no panic; an accepted blob re-encodes to exactly the same 97 bytes (w0 is
//! canonical, non-zero, below n; L is a valid uncompressed point, and the crypto module's own
//! point parser agrees); for built blobs, the prover's construction
//! (`ProverSecrets::from_scalars(w0, w1).verifier()`) gives the same blob that `from_bytes`
//! accepts (two constructions agree), and a built blob is refused only when w0 or w1 is zero
//! or not below n.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::crypto::{EphemeralKeyPair, P256PublicKey};
use paseo_core::pase::{ProverSecrets, VERIFIER_LEN, Verifier};

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<u8>),
    Built {
        w0: [u8; 32],
        w1: [u8; 32],
        flip: Option<(u8, u8)>,
    },
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
            let Ok(key) = EphemeralKeyPair::from_secret_bytes(&w1) else {
                // w1 = 0 or ≥ n: no point L.
                return;
            };
            let mut blob = w0.to_vec();
            blob.extend_from_slice(&key.public_key().to_uncompressed());
            let accepted = check(&blob);
            let prover = ProverSecrets::from_scalars(&w0, &w1).and_then(|p| p.verifier());
            match (&accepted, prover) {
                (Some(ours), Ok(theirs)) => {
                    assert_eq!(ours.to_bytes()[..], theirs.to_bytes()[..]);
                }
                (None, Err(_)) => {}
                (accepted, prover) => panic!(
                    "from_bytes and the prover disagree: {:?} vs {:?}",
                    accepted.is_some(),
                    prover.is_ok()
                ),
            }
            if let Some((at, mask)) = flip.filter(|&(_, mask)| mask != 0) {
                let i = usize::from(at) % blob.len();
                blob[i] ^= mask;
                check(&blob);
            }
        }
    }
});
