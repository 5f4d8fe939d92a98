//! SPAKE2+ on P-256 exactly as Matter PASE uses it (Matter 1.3 §3.10): the
//! draft-bar-cfrg-spake2plus-01 key schedule with empty identities, not RFC 9383's.
//!
//! ```text
//! Prover:   X = x·G + w0·M          Z = x·(Y − w0·N)   V = w1·(Y − w0·N)
//! Verifier: Y = y·G + w0·N          Z = y·(X − w0·M)   V = y·L
//! TT = ten fields, each prefixed by its length as u64 LE:
//!      Context, idProver, idVerifier, M, N, X, Y, Z, V, w0 (32 bytes BE)
//! Ka ‖ Ke = SHA-256(TT);  KcA ‖ KcB = HKDF(Ka, salt empty, "ConfirmationKeys", 32)
//! cA = HMAC(KcA, Y);  cB = HMAC(KcB, X)
//! ```
//!
//! Each side does five variable-base scalar multiplications per handshake (the generator has
//! no precomputed table in p256 0.13, so `k·G` costs the same as any other point).

use std::sync::OnceLock;

use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::sec1::{EncodedPoint, FromEncodedPoint as _, ToEncodedPoint as _};
use p256::{AffinePoint, NistP256, ProjectivePoint, Scalar};
use zeroize::{Zeroize, Zeroizing};

use super::error::Spake2pError;
use super::pbkdf::{ProverSecrets, Verifier};
use crate::crypto::{
    CryptoError, HMAC_SHA256_LEN, P256_PUBLIC_KEY_LEN, P256PublicKey, SHA256_LEN, SecretScalar,
    Sha256Hasher, hkdf_sha256, hmac_sha256, hmac_sha256_verify, sha256,
};

/// The ASCII prefix of the PASE context hash (26 bytes, no terminator).
pub const CONTEXT_PREFIX: &[u8] = b"CHIP PAKE V1 Commissioning";
/// HKDF info for the confirmation keys.
pub const CONFIRMATION_KEYS_INFO: &[u8] = b"ConfirmationKeys";
/// Length of an uncompressed point (pA, pB, Z, V, M, N, L).
pub const POINT_LEN: usize = P256_PUBLIC_KEY_LEN;
/// Length of a confirmation value cA / cB.
pub const CONFIRMATION_LEN: usize = HMAC_SHA256_LEN;
/// Length of Ka, Ke, KcA and KcB.
pub const HALF_KEY_LEN: usize = 16;

/// M, compressed SEC1 (Matter 1.3 §3.10; matter.js `Spake2p.ts`, CHIP `spake2p_M_p256`).
const M_COMPRESSED: [u8; 33] =
    hex33("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f");
/// N, compressed SEC1.
const N_COMPRESSED: [u8; 33] =
    hex33("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49");

/// Decodes 66 hex digits at compile time (a bad digit is a compile error).
const fn hex33(s: &str) -> [u8; 33] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let bytes = s.as_bytes();
    assert!(bytes.len() == 66, "expected 66 hex digits");
    let mut out = [0u8; 33];
    let mut i = 0;
    while i < 33 {
        out[i] = nibble(bytes[2 * i]) << 4 | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// M and N as points and in the uncompressed form the transcript uses.
struct CurveConstants {
    m: ProjectivePoint,
    n: ProjectivePoint,
    m_bytes: [u8; POINT_LEN],
    n_bytes: [u8; POINT_LEN],
}

fn decompress(compressed: &[u8; 33]) -> Option<(ProjectivePoint, [u8; POINT_LEN])> {
    let encoded = EncodedPoint::<NistP256>::from_bytes(compressed).ok()?;
    let affine: AffinePoint = Option::from(AffinePoint::from_encoded_point(&encoded))?;
    let point = ProjectivePoint::from(affine);
    Some((point, encode_point(&point)?))
}

/// M and N (Matter 1.3 §3.10), decompressed once at start-up.
fn constants() -> &'static CurveConstants {
    static CONSTANTS: OnceLock<CurveConstants> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        // M and N are fixed points on P-256 (checked by the unit test
        // `m_and_n_decompress_to_the_transcript_values` against spake2p_p256.json), so
        // decompression cannot fail; only a corrupted binary could reach these panics.
        let (m, m_bytes) = decompress(&M_COMPRESSED).expect("M is a P-256 point");
        let (n, n_bytes) = decompress(&N_COMPRESSED).expect("N is a P-256 point");
        CurveConstants {
            m,
            n,
            m_bytes,
            n_bytes,
        }
    })
}

/// M, uncompressed (65 bytes).
pub fn m_uncompressed() -> &'static [u8; POINT_LEN] {
    &constants().m_bytes
}

/// N, uncompressed (65 bytes).
pub fn n_uncompressed() -> &'static [u8; POINT_LEN] {
    &constants().n_bytes
}

/// The uncompressed encoding of a point; `None` for the identity (which has no 65-byte form).
pub(crate) fn encode_point(point: &ProjectivePoint) -> Option<[u8; POINT_LEN]> {
    let encoded = point.to_affine().to_encoded_point(false);
    <[u8; POINT_LEN]>::try_from(encoded.as_bytes()).ok()
}

/// A received 65-byte uncompressed point: on the curve, coordinates below p, not the identity.
pub(crate) fn parse_point(bytes: &[u8]) -> Result<ProjectivePoint, Spake2pError> {
    let key = P256PublicKey::from_uncompressed(bytes).map_err(|_| Spake2pError::InvalidPoint)?;
    Ok(key.as_p256().to_projective())
}

/// The PASE context: SHA-256("CHIP PAKE V1 Commissioning" ‖ request ‖ response), over the exact
/// payload bytes as sent (Matter 1.3 Appendix A, §3.10).
pub fn context_hash(request_payload: &[u8], response_payload: &[u8]) -> [u8; SHA256_LEN] {
    let mut hasher = context_hasher(request_payload);
    hasher.update(response_payload);
    hasher.finalize()
}

/// A context hasher that has absorbed the prefix and the request, waiting for the response.
pub(crate) fn context_hasher(request_payload: &[u8]) -> Sha256Hasher {
    let mut hasher = Sha256Hasher::new();
    hasher.update(CONTEXT_PREFIX);
    hasher.update(request_payload);
    hasher
}

/// The inputs of the transcript TT. Matter uses empty identities; the RFC 9383 reference
/// vector does not, which is why they are inputs here.
#[derive(Clone, Copy, Debug)]
pub struct TranscriptInputs<'a> {
    /// Context (the 32-byte context hash in Matter).
    pub context: &'a [u8],
    /// idProver (empty in Matter).
    pub id_prover: &'a [u8],
    /// idVerifier (empty in Matter).
    pub id_verifier: &'a [u8],
    /// X = pA.
    pub x: &'a [u8; POINT_LEN],
    /// Y = pB.
    pub y: &'a [u8; POINT_LEN],
    /// Z.
    pub z: &'a [u8; POINT_LEN],
    /// V.
    pub v: &'a [u8; POINT_LEN],
    /// w0, 32 bytes big-endian.
    pub w0: &'a [u8; 32],
}

/// TT: the ten fields, each preceded by its length as an 8-byte little-endian integer
/// (Matter 1.3 §3.10), with M and N inserted as fields 4 and 5.
pub fn transcript(inputs: &TranscriptInputs<'_>) -> Zeroizing<Vec<u8>> {
    let c = constants();
    let fields: [&[u8]; 10] = [
        inputs.context,
        inputs.id_prover,
        inputs.id_verifier,
        &c.m_bytes,
        &c.n_bytes,
        inputs.x,
        inputs.y,
        inputs.z,
        inputs.v,
        inputs.w0,
    ];
    let total = fields.iter().map(|f| 8 + f.len()).sum();
    let mut tt = Zeroizing::new(Vec::with_capacity(total));
    for field in fields {
        // usize → u64 is lossless on every platform Rust supports (usize ≤ 64 bits).
        tt.extend_from_slice(&(field.len() as u64).to_le_bytes());
        tt.extend_from_slice(field);
    }
    tt
}

/// Ka, Ke, KcA and KcB derived from a transcript, wiped on drop.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct KeySchedule {
    ka: [u8; HALF_KEY_LEN],
    ke: [u8; HALF_KEY_LEN],
    kc_a: [u8; HALF_KEY_LEN],
    kc_b: [u8; HALF_KEY_LEN],
}

impl KeySchedule {
    /// `Ka ‖ Ke = SHA-256(TT)`, `KcA ‖ KcB = HKDF-SHA256(Ka, empty salt, "ConfirmationKeys")`.
    pub fn from_transcript(tt: &[u8]) -> Self {
        let k_main = Zeroizing::new(sha256(tt));
        let mut keys = KeySchedule {
            ka: [0; HALF_KEY_LEN],
            ke: [0; HALF_KEY_LEN],
            kc_a: [0; HALF_KEY_LEN],
            kc_b: [0; HALF_KEY_LEN],
        };
        let (ka, ke) = k_main.split_at(HALF_KEY_LEN);
        keys.ka.copy_from_slice(ka);
        keys.ke.copy_from_slice(ke);
        let mut kc = Zeroizing::new([0u8; 2 * HALF_KEY_LEN]);
        let derived: Result<(), CryptoError> =
            hkdf_sha256(&keys.ka, &[], CONFIRMATION_KEYS_INFO, kc.as_mut_slice());
        // HKDF-SHA256 only fails for outputs over 8160 bytes; this one is 32.
        debug_assert!(derived.is_ok());
        let (kc_a, kc_b) = kc.split_at(HALF_KEY_LEN);
        keys.kc_a.copy_from_slice(kc_a);
        keys.kc_b.copy_from_slice(kc_b);
        keys
    }

    /// Ka (first half of SHA-256(TT)).
    pub fn ka(&self) -> &[u8; HALF_KEY_LEN] {
        &self.ka
    }

    /// Ke (second half): the PASE shared secret that session keys derive from (Matter 1.3 §4.14.1).
    pub fn ke(&self) -> &[u8; HALF_KEY_LEN] {
        &self.ke
    }

    /// KcA, the prover's confirmation key.
    pub fn kc_a(&self) -> &[u8; HALF_KEY_LEN] {
        &self.kc_a
    }

    /// KcB, the verifier's confirmation key.
    pub fn kc_b(&self) -> &[u8; HALF_KEY_LEN] {
        &self.kc_b
    }

    /// cA = HMAC-SHA256(KcA, Y), sent by the prover in Pake3.
    pub fn confirmation_a(&self, y: &[u8]) -> [u8; CONFIRMATION_LEN] {
        hmac_sha256(&self.kc_a, y)
    }

    /// cB = HMAC-SHA256(KcB, X), sent by the verifier in Pake2.
    pub fn confirmation_b(&self, x: &[u8]) -> [u8; CONFIRMATION_LEN] {
        hmac_sha256(&self.kc_b, x)
    }
}

impl core::fmt::Debug for KeySchedule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeySchedule(..)")
    }
}

/// The result of one side's SPAKE2+ computation: the shared points, the keys and both shares.
pub struct Spake2pOutput {
    x: [u8; POINT_LEN],
    y: [u8; POINT_LEN],
    z: Zeroizing<[u8; POINT_LEN]>,
    v: Zeroizing<[u8; POINT_LEN]>,
    keys: KeySchedule,
}

impl Spake2pOutput {
    /// Builds TT with Matter's empty identities and derives the keys.
    fn new(
        context: &[u8],
        x: [u8; POINT_LEN],
        y: [u8; POINT_LEN],
        z: &ProjectivePoint,
        v: &ProjectivePoint,
        w0: &Scalar,
    ) -> Result<Self, Spake2pError> {
        let z = Zeroizing::new(encode_point(z).ok_or(Spake2pError::IdentityPoint)?);
        let v = Zeroizing::new(encode_point(v).ok_or(Spake2pError::IdentityPoint)?);
        let w0 = Zeroizing::new(<[u8; 32]>::from(w0.to_bytes()));
        let tt = transcript(&TranscriptInputs {
            context,
            id_prover: &[],
            id_verifier: &[],
            x: &x,
            y: &y,
            z: &z,
            v: &v,
            w0: &w0,
        });
        Ok(Spake2pOutput {
            x,
            y,
            z,
            v,
            keys: KeySchedule::from_transcript(&tt),
        })
    }

    /// Z (uncompressed), for known-answer checks.
    pub fn z(&self) -> &[u8; POINT_LEN] {
        &self.z
    }

    /// V (uncompressed), for known-answer checks.
    pub fn v(&self) -> &[u8; POINT_LEN] {
        &self.v
    }

    /// The derived keys.
    pub fn keys(&self) -> &KeySchedule {
        &self.keys
    }

    /// cA, the prover's confirmation (Pake3).
    pub fn confirmation_a(&self) -> [u8; CONFIRMATION_LEN] {
        self.keys.confirmation_a(&self.y)
    }

    /// cB, the verifier's confirmation (Pake2).
    pub fn confirmation_b(&self) -> [u8; CONFIRMATION_LEN] {
        self.keys.confirmation_b(&self.x)
    }

    /// Checks a received cA in constant time.
    pub fn verify_confirmation_a(&self, received: &[u8]) -> bool {
        hmac_sha256_verify(&self.keys.kc_a, &self.y, received).is_ok()
    }

    /// Checks a received cB in constant time.
    pub fn verify_confirmation_b(&self, received: &[u8]) -> bool {
        hmac_sha256_verify(&self.keys.kc_b, &self.x, received).is_ok()
    }
}

impl core::fmt::Debug for Spake2pOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Spake2pOutput(..)")
    }
}

/// The prover (commissioner) side: holds x, w0, w1 and its share X.
pub struct Spake2pProver {
    x: Scalar,
    secrets: ProverSecrets,
    share: [u8; POINT_LEN],
}

impl Spake2pProver {
    /// X = x·G + w0·M. Fails only if X is the identity (which needs x = −w0·log_G(M)).
    pub fn new(secrets: &ProverSecrets, x: &SecretScalar) -> Result<Self, Spake2pError> {
        let x = *x.as_nonzero_scalar().as_ref();
        let point = ProjectivePoint::GENERATOR * x + constants().m * secrets.w0();
        let share = encode_point(&point).ok_or(Spake2pError::IdentityPoint)?;
        Ok(Spake2pProver {
            x,
            secrets: secrets.clone(),
            share,
        })
    }

    /// X, the share sent as pA in Pake1.
    pub fn share(&self) -> &[u8; POINT_LEN] {
        &self.share
    }

    /// Z = x·(Y − w0·N), V = w1·(Y − w0·N), then the key schedule over `context`.
    pub fn finish(&self, context: &[u8], peer_share: &[u8]) -> Result<Spake2pOutput, Spake2pError> {
        let y = parse_point(peer_share)?;
        // A validated uncompressed encoding is canonical: keep the received bytes for TT.
        let y_bytes =
            <[u8; POINT_LEN]>::try_from(peer_share).map_err(|_| Spake2pError::InvalidPoint)?;
        let unblinded = y - constants().n * self.secrets.w0();
        if bool::from(unblinded.is_identity()) {
            return Err(Spake2pError::IdentityPoint);
        }
        let z = unblinded * self.x;
        let v = unblinded * self.secrets.w1();
        Spake2pOutput::new(context, self.share, y_bytes, &z, &v, self.secrets.w0())
    }
}

impl Drop for Spake2pProver {
    fn drop(&mut self) {
        self.x.zeroize();
    }
}

impl core::fmt::Debug for Spake2pProver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Spake2pProver(..)")
    }
}

/// The verifier (commissionee) side: holds y, w0, L and its share Y.
pub struct Spake2pVerifier {
    y: Scalar,
    verifier: Verifier,
    share: [u8; POINT_LEN],
}

impl Spake2pVerifier {
    /// Y = y·G + w0·N. Fails only if Y is the identity.
    pub fn new(verifier: &Verifier, y: &SecretScalar) -> Result<Self, Spake2pError> {
        let y = *y.as_nonzero_scalar().as_ref();
        let point = ProjectivePoint::GENERATOR * y + constants().n * verifier.w0();
        let share = encode_point(&point).ok_or(Spake2pError::IdentityPoint)?;
        Ok(Spake2pVerifier {
            y,
            verifier: verifier.clone(),
            share,
        })
    }

    /// Y, the share sent as pB in Pake2.
    pub fn share(&self) -> &[u8; POINT_LEN] {
        &self.share
    }

    /// Z = y·(X − w0·M), V = y·L, then the key schedule over `context`.
    pub fn finish(&self, context: &[u8], peer_share: &[u8]) -> Result<Spake2pOutput, Spake2pError> {
        let x = parse_point(peer_share)?;
        // A validated uncompressed encoding is canonical: keep the received bytes for TT.
        let x_bytes =
            <[u8; POINT_LEN]>::try_from(peer_share).map_err(|_| Spake2pError::InvalidPoint)?;
        let unblinded = x - constants().m * self.verifier.w0();
        if bool::from(unblinded.is_identity()) {
            return Err(Spake2pError::IdentityPoint);
        }
        let z = unblinded * self.y;
        let v = *self.verifier.l() * self.y;
        Spake2pOutput::new(context, x_bytes, self.share, &z, &v, self.verifier.w0())
    }
}

impl Drop for Spake2pVerifier {
    fn drop(&mut self) {
        self.y.zeroize();
    }
}

impl core::fmt::Debug for Spake2pVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Spake2pVerifier(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn m_and_n_decompress_to_the_transcript_values() {
        // The uncompressed M and N as they appear in every TT of spake2p_p256.json.
        assert_eq!(
            m_uncompressed().to_vec(),
            hex(
                "04886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f\
                 5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20"
            )
        );
        assert_eq!(
            n_uncompressed().to_vec(),
            hex(
                "04d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49\
                 07d60aa6bfade45008a636337f5168c64d9bd36034808cd564490b1e656edbe7"
            )
        );
    }

    #[test]
    fn transcript_layout_has_ten_length_prefixed_fields() {
        let p = [4u8; POINT_LEN];
        let tt = transcript(&TranscriptInputs {
            context: &[1; 32],
            id_prover: &[],
            id_verifier: b"ab",
            x: &p,
            y: &p,
            z: &p,
            v: &p,
            w0: &[9; 32],
        });
        assert_eq!(tt.len(), 10 * 8 + 32 + 2 + 6 * 65 + 32);
        assert_eq!(tt[..8], 32u64.to_le_bytes());
        assert_eq!(tt[40..48], 0u64.to_le_bytes());
        assert_eq!(tt[48..56], 2u64.to_le_bytes());
        assert_eq!(&tt[56..58], b"ab");
    }

    #[test]
    fn identity_and_off_curve_shares_are_rejected() {
        let secrets = ProverSecrets::from_scalars(&[3; 32], &[5; 32]).unwrap();
        let x = SecretScalar::from_bytes(&[7; 32]).unwrap();
        let prover = Spake2pProver::new(&secrets, &x).unwrap();
        let verifier = Spake2pVerifier::new(
            &secrets.verifier().unwrap(),
            &SecretScalar::from_bytes(&[8; 32]).unwrap(),
        )
        .unwrap();
        // Y = w0·N unblinds to the identity at the prover; X = w0·M likewise at the verifier.
        let w0n = encode_point(&(constants().n * secrets.w0())).unwrap();
        let w0m = encode_point(&(constants().m * secrets.w0())).unwrap();
        assert_eq!(
            prover.finish(&[], &w0n).err(),
            Some(Spake2pError::IdentityPoint)
        );
        assert_eq!(
            verifier.finish(&[], &w0m).err(),
            Some(Spake2pError::IdentityPoint)
        );
        let mut off_curve = *verifier.share();
        off_curve[64] ^= 1;
        assert_eq!(
            prover.finish(&[], &off_curve).err(),
            Some(Spake2pError::InvalidPoint)
        );
        assert_eq!(
            prover.finish(&[], &[0u8]).err(),
            Some(Spake2pError::InvalidPoint)
        );
        assert_eq!(
            prover.finish(&[], &M_COMPRESSED).err(),
            Some(Spake2pError::InvalidPoint)
        );
        // Honest shares agree.
        let a = prover.finish(b"ctx", verifier.share()).unwrap();
        let b = verifier.finish(b"ctx", prover.share()).unwrap();
        assert_eq!(a.keys().ke(), b.keys().ke());
        assert!(b.verify_confirmation_a(&a.confirmation_a()));
        assert!(a.verify_confirmation_b(&b.confirmation_b()));
        assert!(!a.verify_confirmation_b(&a.confirmation_a()));
    }
}
