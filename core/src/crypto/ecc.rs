//! NIST P-256 keys and ECDH (the CASE ephemeral key exchange, Matter 1.3 §4.14.2.3).

use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::CryptoError;

/// Length of a P-256 scalar (private key) in bytes, big-endian.
pub const P256_SCALAR_LEN: usize = 32;
/// Length of an uncompressed SEC1 P-256 public key: 0x04 ‖ X ‖ Y.
pub const P256_PUBLIC_KEY_LEN: usize = 65;
/// Length of an ECDH shared secret (the X coordinate of the shared point).
pub const P256_SHARED_SECRET_LEN: usize = 32;

/// SEC1 tag of an uncompressed point.
const SEC1_UNCOMPRESSED: u8 = 0x04;

/// A P-256 private scalar in [1, n − 1], zeroized on drop.
pub struct SecretScalar(p256::NonZeroScalar);

impl SecretScalar {
    /// A uniformly random scalar drawn from the caller's RNG.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        Self(p256::NonZeroScalar::random(rng))
    }

    /// The scalar with this big-endian encoding; zero and values ≥ n are rejected.
    pub fn from_bytes(bytes: &[u8; P256_SCALAR_LEN]) -> Result<Self, CryptoError> {
        let secret =
            p256::SecretKey::from_bytes(bytes.into()).map_err(|_| CryptoError::InvalidScalar)?;
        Ok(Self(secret.to_nonzero_scalar()))
    }

    /// The scalar from a slice, which must be exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: &[u8; P256_SCALAR_LEN] =
            bytes.try_into().map_err(|_| CryptoError::InvalidScalar)?;
        Self::from_bytes(bytes)
    }

    /// The big-endian encoding, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; P256_SCALAR_LEN]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// The public key `scalar × G`.
    pub fn public_key(&self) -> P256PublicKey {
        P256PublicKey(p256::PublicKey::from_secret_scalar(&self.0))
    }

    /// The wrapped scalar, for the other crypto modules.
    pub(crate) fn as_nonzero_scalar(&self) -> &p256::NonZeroScalar {
        &self.0
    }
}

impl Drop for SecretScalar {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretScalar {}

impl core::fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretScalar(..)")
    }
}

/// A validated P-256 public key: a point on the curve other than the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct P256PublicKey(p256::PublicKey);

impl P256PublicKey {
    /// Parses a 65-byte uncompressed SEC1 key (0x04 ‖ X ‖ Y), the only form Matter carries.
    ///
    /// Rejected with [`CryptoError::InvalidPublicKey`]: any other length, a compressed or
    /// identity prefix, coordinates ≥ p, and points not on the curve (vector file
    /// p256_ecdh.json lists each of these as must-reject).
    pub fn from_uncompressed(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != P256_PUBLIC_KEY_LEN || bytes.first() != Some(&SEC1_UNCOMPRESSED) {
            return Err(CryptoError::InvalidPublicKey);
        }
        // p256 checks both coordinates are below p, that y² = x³ − 3x + b, and (through
        // `PublicKey`) that the point is not the identity.
        p256::PublicKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| CryptoError::InvalidPublicKey)
    }

    /// The 65-byte uncompressed SEC1 encoding.
    pub fn to_uncompressed(&self) -> [u8; P256_PUBLIC_KEY_LEN] {
        let encoded = self.0.to_encoded_point(false);
        match <[u8; P256_PUBLIC_KEY_LEN]>::try_from(encoded.as_bytes()) {
            Ok(bytes) => bytes,
            // A `PublicKey` is never the identity, and the uncompressed SEC1 form of any other
            // P-256 point is 1 + 32 + 32 bytes, so this arm cannot be reached.
            Err(_) => unreachable!("uncompressed P-256 point is 65 bytes"),
        }
    }

    /// The wrapped key, for the other crypto modules.
    pub(crate) fn as_p256(&self) -> &p256::PublicKey {
        &self.0
    }
}

impl core::fmt::Debug for P256PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("P256PublicKey(")?;
        for b in self.to_uncompressed() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// An ECDH shared secret: the 32-byte big-endian X coordinate of the shared point, zeroized
/// on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; P256_SHARED_SECRET_LEN]);

impl SharedSecret {
    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; P256_SHARED_SECRET_LEN] {
        &self.0
    }
}

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A P-256 key pair for one ECDH exchange (the CASE ephemeral key).
pub struct EphemeralKeyPair {
    secret: SecretScalar,
    public: P256PublicKey,
}

impl EphemeralKeyPair {
    /// A fresh key pair from the caller's RNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self::from_secret(SecretScalar::random(rng))
    }

    /// The key pair of a given scalar.
    pub fn from_secret(secret: SecretScalar) -> Self {
        let public = secret.public_key();
        Self { secret, public }
    }

    /// The key pair of a big-endian scalar (zero and values ≥ n are rejected).
    pub fn from_secret_bytes(bytes: &[u8; P256_SCALAR_LEN]) -> Result<Self, CryptoError> {
        SecretScalar::from_bytes(bytes).map(Self::from_secret)
    }

    /// The public half.
    pub fn public_key(&self) -> &P256PublicKey {
        &self.public
    }

    /// ECDH with an already validated peer key. Cannot fail: the peer is a non-identity point
    /// of the prime-order group and the scalar is nonzero below n, so the product is never the
    /// identity.
    pub fn diffie_hellman(&self, peer: &P256PublicKey) -> SharedSecret {
        let shared =
            p256::ecdh::diffie_hellman(self.secret.as_nonzero_scalar(), peer.as_p256().as_affine());
        // `p256`'s own SharedSecret zeroizes itself when dropped at the end of this function.
        SharedSecret((*shared.raw_secret_bytes()).into())
    }

    /// ECDH with a peer key given as 65-byte uncompressed SEC1 bytes; invalid keys are
    /// rejected with [`CryptoError::InvalidPublicKey`].
    pub fn diffie_hellman_sec1(&self, peer: &[u8]) -> Result<SharedSecret, CryptoError> {
        P256PublicKey::from_uncompressed(peer).map(|peer| self.diffie_hellman(&peer))
    }
}

impl core::fmt::Debug for EphemeralKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EphemeralKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    /// n, the order of the P-256 group.
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];

    #[test]
    fn scalar_range_is_enforced() {
        assert_eq!(
            SecretScalar::from_bytes(&[0; 32]).map(|_| ()),
            Err(CryptoError::InvalidScalar)
        );
        assert_eq!(
            SecretScalar::from_bytes(&N).map(|_| ()),
            Err(CryptoError::InvalidScalar)
        );
        assert_eq!(
            SecretScalar::from_bytes(&[0xff; 32]).map(|_| ()),
            Err(CryptoError::InvalidScalar)
        );
        let mut n_minus_1 = N;
        n_minus_1[31] -= 1;
        let s = SecretScalar::from_bytes(&n_minus_1).unwrap();
        assert_eq!(*s.to_bytes(), n_minus_1);
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(SecretScalar::from_bytes(&one).is_ok());
        assert_eq!(
            SecretScalar::from_slice(&one[1..]).map(|_| ()),
            Err(CryptoError::InvalidScalar)
        );
    }

    #[test]
    fn public_key_round_trips_through_sec1() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let pair = EphemeralKeyPair::generate(&mut rng);
        let bytes = pair.public_key().to_uncompressed();
        assert_eq!(bytes[0], 0x04);
        assert_eq!(
            P256PublicKey::from_uncompressed(&bytes),
            Ok(*pair.public_key())
        );
    }

    #[test]
    fn malformed_public_keys_are_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let good = EphemeralKeyPair::generate(&mut rng)
            .public_key()
            .to_uncompressed();
        let mut wrong_prefix = good;
        wrong_prefix[0] = 0x03;
        let mut off_curve = good;
        off_curve[64] ^= 1;
        let cases: [&[u8]; 6] = [
            &[],
            &[0x00],
            &good[..64],
            &[good.as_slice(), &[0]].concat(),
            &wrong_prefix,
            &off_curve,
        ];
        for bad in cases {
            assert_eq!(
                P256PublicKey::from_uncompressed(bad),
                Err(CryptoError::InvalidPublicKey),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn ecdh_agrees_both_ways_and_generation_follows_the_seed() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let a = EphemeralKeyPair::generate(&mut rng);
        let b = EphemeralKeyPair::generate(&mut rng);
        assert_ne!(a.public_key(), b.public_key());
        let ab = a.diffie_hellman(b.public_key());
        let ba = b
            .diffie_hellman_sec1(&a.public_key().to_uncompressed())
            .unwrap();
        assert_eq!(ab, ba);
        let again = EphemeralKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(3));
        assert_eq!(again.public_key(), a.public_key());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let pair = EphemeralKeyPair::from_secret_bytes(&[7; 32]).unwrap();
        let shown = format!("{pair:?} {:?}", pair.secret);
        assert!(!shown.contains("0707"), "{shown}");
        let secret = pair.diffie_hellman(pair.public_key());
        assert_eq!(format!("{secret:?}"), "SharedSecret(..)");
    }
}
