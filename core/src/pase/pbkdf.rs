//! PBKDF parameters and the SPAKE2+ secrets derived from the passcode (Matter 1.3 §3.9, §4.14.1).
//!
//! `w0s ‖ w1s = PBKDF2-HMAC-SHA256(passcode as u32 LE, salt, iterations, 80)`, `w0 = w0s mod n`,
//! `w1 = w1s mod n` (40-byte big-endian integers), `L = w1·G`. The prover (commissioner) holds
//! [`ProverSecrets`] (w0, w1); the verifier (commissionee) holds only a [`Verifier`] (w0, L).

use p256::elliptic_curve::ff::{Field as _, PrimeField as _};
use p256::elliptic_curve::ops::Reduce as _;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use zeroize::{Zeroize, Zeroizing};

use super::error::{PbkdfError, VerifierError};
use super::passcode::Passcode;
use super::spake2p::{encode_point, parse_point};
use crate::crypto::{P256_PUBLIC_KEY_LEN, P256_SCALAR_LEN, pbkdf2_sha256};

/// Fewest PBKDF2 iterations a PBKDFParamResponse may carry.
pub const PBKDF_MIN_ITERATIONS: u32 = 1000;
/// Most PBKDF2 iterations a PBKDFParamResponse may carry.
pub const PBKDF_MAX_ITERATIONS: u32 = 100_000;
/// Shortest PBKDF salt.
pub const PBKDF_MIN_SALT_LEN: usize = 16;
/// Longest PBKDF salt.
pub const PBKDF_MAX_SALT_LEN: usize = 32;
/// Length of the PBKDF2 output `w0s ‖ w1s`.
pub const PBKDF_OUTPUT_LEN: usize = 80;
/// Length of each of w0s and w1s.
const WS_LEN: usize = PBKDF_OUTPUT_LEN / 2;
/// Length of the verifier blob `w0 (32, BE) ‖ L (65)`.
pub const VERIFIER_LEN: usize = P256_SCALAR_LEN + P256_PUBLIC_KEY_LEN;

/// Validated PBKDF parameters: iterations 1000 ..= 100 000, salt 16 ..= 32 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PbkdfParameters {
    iterations: u32,
    salt: Vec<u8>,
}

impl PbkdfParameters {
    /// Checks both values against Matter 1.3 §4.14.1.2.
    pub fn new(iterations: u32, salt: &[u8]) -> Result<Self, PbkdfError> {
        if !(PBKDF_MIN_ITERATIONS..=PBKDF_MAX_ITERATIONS).contains(&iterations) {
            return Err(PbkdfError::IterationsOutOfRange(iterations));
        }
        if !(PBKDF_MIN_SALT_LEN..=PBKDF_MAX_SALT_LEN).contains(&salt.len()) {
            return Err(PbkdfError::SaltLength(salt.len()));
        }
        Ok(PbkdfParameters {
            iterations,
            salt: salt.to_vec(),
        })
    }

    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
}

/// `w0s ‖ w1s`: the 80-byte PBKDF2 output for `passcode` under `params`.
pub fn pbkdf_output(
    passcode: &Passcode,
    params: &PbkdfParameters,
) -> Zeroizing<[u8; PBKDF_OUTPUT_LEN]> {
    let mut out = Zeroizing::new([0u8; PBKDF_OUTPUT_LEN]);
    // `PbkdfParameters` guarantees at least 1000 iterations, so the zero-iteration error of
    // `pbkdf2_sha256` cannot occur; ignoring its Ok(()) result is therefore exact.
    let _ = pbkdf2_sha256(
        passcode.pbkdf_password().as_slice(),
        params.salt(),
        params.iterations(),
        out.as_mut_slice(),
    );
    out
}

/// A 40-byte big-endian integer reduced mod n: `hi·2^256 + lo` with `hi` the first 8 bytes.
fn reduce_wide(bytes: &[u8; WS_LEN]) -> Scalar {
    let (hi, lo) = bytes.split_at(WS_LEN - P256_SCALAR_LEN);
    let mut hi_bytes = FieldBytes::default();
    // `hi` is 8 bytes; it goes in the low-order (last) 8 bytes of a 32-byte big-endian value.
    hi_bytes[P256_SCALAR_LEN - hi.len()..].copy_from_slice(hi);
    let hi = Scalar::reduce_bytes(&hi_bytes);
    let lo = Scalar::reduce_bytes(FieldBytes::from_slice(lo));
    // 2^256 mod n = ((2^256 − 1) mod n) + 1.
    let two_256 = Scalar::reduce_bytes(&FieldBytes::from([0xff; P256_SCALAR_LEN])) + Scalar::ONE;
    hi_bytes.zeroize();
    hi * two_256 + lo
}

/// A 32-byte big-endian scalar below n (zero allowed).
fn scalar_from_be(bytes: &[u8; P256_SCALAR_LEN]) -> Result<Scalar, VerifierError> {
    Option::from(Scalar::from_repr(FieldBytes::from(*bytes))).ok_or(VerifierError::InvalidScalar)
}

/// The prover's secrets w0 and w1, wiped on drop.
#[derive(Clone)]
pub struct ProverSecrets {
    w0: Scalar,
    w1: Scalar,
}

impl ProverSecrets {
    /// Runs PBKDF2 on the passcode and reduces both halves mod n.
    pub fn derive(passcode: &Passcode, params: &PbkdfParameters) -> Self {
        Self::from_pbkdf_output(&pbkdf_output(passcode, params))
    }

    /// w0 and w1 from an 80-byte `w0s ‖ w1s`.
    pub fn from_pbkdf_output(output: &[u8; PBKDF_OUTPUT_LEN]) -> Self {
        let (w0s, w1s) = output.split_at(WS_LEN);
        let mut w0s_arr = Zeroizing::new([0u8; WS_LEN]);
        let mut w1s_arr = Zeroizing::new([0u8; WS_LEN]);
        // Both halves are exactly WS_LEN bytes (split of an 80-byte array at 40).
        w0s_arr.copy_from_slice(w0s);
        w1s_arr.copy_from_slice(w1s);
        ProverSecrets {
            w0: reduce_wide(&w0s_arr),
            w1: reduce_wide(&w1s_arr),
        }
    }

    /// w0 and w1 given directly as 32-byte big-endian scalars (known-answer tests, the RFC 9383
    /// reference); each must be below n.
    pub fn from_scalars(
        w0: &[u8; P256_SCALAR_LEN],
        w1: &[u8; P256_SCALAR_LEN],
    ) -> Result<Self, VerifierError> {
        Ok(ProverSecrets {
            w0: scalar_from_be(w0)?,
            w1: scalar_from_be(w1)?,
        })
    }

    /// w0 as 32 bytes big-endian.
    pub fn w0_bytes(&self) -> Zeroizing<[u8; P256_SCALAR_LEN]> {
        Zeroizing::new(self.w0.to_bytes().into())
    }

    /// w1 as 32 bytes big-endian.
    pub fn w1_bytes(&self) -> Zeroizing<[u8; P256_SCALAR_LEN]> {
        Zeroizing::new(self.w1.to_bytes().into())
    }

    /// The verifier the commissionee stores: (w0, L = w1·G).
    pub fn verifier(&self) -> Result<Verifier, VerifierError> {
        let l = ProjectivePoint::GENERATOR * self.w1;
        // w1 = 0 gives L = identity, which is no usable verifier.
        let l_bytes = encode_point(&l).ok_or(VerifierError::InvalidL)?;
        Verifier::from_parts(&self.w0_bytes(), &l_bytes)
    }

    pub(crate) fn w0(&self) -> &Scalar {
        &self.w0
    }

    pub(crate) fn w1(&self) -> &Scalar {
        &self.w1
    }
}

impl Drop for ProverSecrets {
    fn drop(&mut self) {
        self.w0.zeroize();
        self.w1.zeroize();
    }
}

impl core::fmt::Debug for ProverSecrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ProverSecrets(..)")
    }
}

/// What the commissionee stores instead of the passcode: w0 and L = w1·G (Matter 1.3 §4.14.1,
/// §3.9).
#[derive(Clone)]
pub struct Verifier {
    w0: Scalar,
    l: ProjectivePoint,
    l_bytes: [u8; P256_PUBLIC_KEY_LEN],
}

impl Verifier {
    /// Derives the verifier from a passcode (what a device does when it opens a commissioning
    /// window with a fresh salt).
    pub fn from_passcode(
        passcode: &Passcode,
        params: &PbkdfParameters,
    ) -> Result<Self, VerifierError> {
        ProverSecrets::derive(passcode, params).verifier()
    }

    /// The verifier from w0 (32 bytes big-endian, non-zero, below n) and L (65-byte
    /// uncompressed point, not the identity).
    pub fn from_parts(w0: &[u8; P256_SCALAR_LEN], l: &[u8]) -> Result<Self, VerifierError> {
        let w0 = scalar_from_be(w0)?;
        if bool::from(w0.is_zero()) {
            return Err(VerifierError::InvalidScalar);
        }
        let point = parse_point(l).map_err(|_| VerifierError::InvalidL)?;
        let l_bytes = encode_point(&point).ok_or(VerifierError::InvalidL)?;
        Ok(Verifier {
            w0,
            l: point,
            l_bytes,
        })
    }

    /// Parses the 97-byte blob `w0 ‖ L` (matter.js `PaseServer.fromVerificationValue`, the
    /// Enhanced Commissioning Method's verifier).
    pub fn from_bytes(blob: &[u8]) -> Result<Self, VerifierError> {
        let (w0, l) = blob
            .split_first_chunk::<P256_SCALAR_LEN>()
            .filter(|_| blob.len() == VERIFIER_LEN)
            .ok_or(VerifierError::Length(blob.len()))?;
        Self::from_parts(w0, l)
    }

    /// The 97-byte blob `w0 ‖ L`.
    pub fn to_bytes(&self) -> Zeroizing<[u8; VERIFIER_LEN]> {
        let mut blob = Zeroizing::new([0u8; VERIFIER_LEN]);
        let (w0, l) = blob.split_at_mut(P256_SCALAR_LEN);
        w0.copy_from_slice(&self.w0_bytes()[..]);
        l.copy_from_slice(&self.l_bytes);
        blob
    }

    /// w0 as 32 bytes big-endian.
    pub fn w0_bytes(&self) -> Zeroizing<[u8; P256_SCALAR_LEN]> {
        Zeroizing::new(self.w0.to_bytes().into())
    }

    /// L, uncompressed.
    pub fn l_bytes(&self) -> &[u8; P256_PUBLIC_KEY_LEN] {
        &self.l_bytes
    }

    pub(crate) fn w0(&self) -> &Scalar {
        &self.w0
    }

    pub(crate) fn l(&self) -> &ProjectivePoint {
        &self.l
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.w0.zeroize();
    }
}

impl core::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_limits() {
        let salt = [7u8; 16];
        assert!(PbkdfParameters::new(1000, &salt).is_ok());
        assert!(PbkdfParameters::new(100_000, &[7u8; 32]).is_ok());
        assert_eq!(
            PbkdfParameters::new(999, &salt),
            Err(PbkdfError::IterationsOutOfRange(999))
        );
        assert_eq!(
            PbkdfParameters::new(100_001, &salt),
            Err(PbkdfError::IterationsOutOfRange(100_001))
        );
        assert_eq!(
            PbkdfParameters::new(1000, &[0; 15]),
            Err(PbkdfError::SaltLength(15))
        );
        assert_eq!(
            PbkdfParameters::new(1000, &[0; 33]),
            Err(PbkdfError::SaltLength(33))
        );
    }

    #[test]
    fn wide_reduction_matches_schoolbook_horner() {
        // Horner's rule over the 40 bytes as an independent reduction.
        let horner = |bytes: &[u8; WS_LEN]| {
            bytes.iter().fold(Scalar::ZERO, |acc, b| {
                acc * Scalar::from(256u64) + Scalar::from(u64::from(*b))
            })
        };
        for bytes in [[0xffu8; WS_LEN], [0u8; WS_LEN], [0x5a; WS_LEN], {
            let mut b = [0u8; WS_LEN];
            b[WS_LEN - 1] = 1;
            b
        }] {
            assert_eq!(reduce_wide(&bytes), horner(&bytes));
        }
    }

    #[test]
    fn verifier_blob_round_trips_and_rejects_bad_parts() {
        let secrets = ProverSecrets::from_scalars(&[3; 32], &[5; 32]).unwrap();
        let verifier = secrets.verifier().unwrap();
        let blob = verifier.to_bytes();
        let back = Verifier::from_bytes(&blob[..]).unwrap();
        assert_eq!(back.to_bytes()[..], blob[..]);
        assert_eq!(
            Verifier::from_bytes(&blob[..96]).err(),
            Some(VerifierError::Length(96))
        );
        let mut bad_l = *blob;
        bad_l[96] ^= 1;
        assert_eq!(
            Verifier::from_bytes(&bad_l).err(),
            Some(VerifierError::InvalidL)
        );
        let mut zero_w0 = *blob;
        zero_w0[..32].fill(0);
        assert_eq!(
            Verifier::from_bytes(&zero_w0).err(),
            Some(VerifierError::InvalidScalar)
        );
        let mut big_w0 = *blob;
        big_w0[..32].fill(0xff);
        assert_eq!(
            Verifier::from_bytes(&big_w0).err(),
            Some(VerifierError::InvalidScalar)
        );
        // w1 = 0 has no verifier (L would be the identity).
        let zero_w1 = ProverSecrets::from_scalars(&[3; 32], &[0; 32]).unwrap();
        assert_eq!(zero_w1.verifier().err(), Some(VerifierError::InvalidL));
    }
}
