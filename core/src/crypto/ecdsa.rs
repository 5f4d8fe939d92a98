//! ECDSA over P-256 with SHA-256, raw r ‖ s signatures (CASE Sigma2/Sigma3 and certificate
//! signatures, Matter 1.3 §4.14.2.3, §6.5).

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use rand_core::CryptoRngCore;

use super::ecc::{P256_SCALAR_LEN, P256PublicKey, SecretScalar};
use super::error::CryptoError;

/// Length of a raw ECDSA P-256 signature: r ‖ s, 32 bytes each, big-endian.
pub const ECDSA_P256_SIGNATURE_LEN: usize = 64;

/// A P-256 signing key and its public key. The scalar is zeroized on drop (by `p256`).
#[derive(Clone)]
pub struct SigningKeyPair {
    key: p256::ecdsa::SigningKey,
    public: P256PublicKey,
}

impl SigningKeyPair {
    /// A fresh key pair from the caller's RNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self::from_secret(&SecretScalar::random(rng))
    }

    /// The key pair of a given scalar.
    pub fn from_secret(secret: &SecretScalar) -> Self {
        let key = p256::ecdsa::SigningKey::from(*secret.as_nonzero_scalar());
        Self {
            key,
            public: secret.public_key(),
        }
    }

    /// The key pair of a big-endian scalar (zero and values ≥ n are rejected).
    pub fn from_secret_bytes(bytes: &[u8; P256_SCALAR_LEN]) -> Result<Self, CryptoError> {
        SecretScalar::from_bytes(bytes).map(|s| Self::from_secret(&s))
    }

    /// The public half.
    pub fn public_key(&self) -> &P256PublicKey {
        &self.public
    }

    /// Signs SHA-256(`message`) with the RFC 6979 deterministic nonce, so signatures are
    /// reproducible (Matter accepts any nonce; determinism keeps the simulator replayable).
    ///
    /// Fails only if the derived nonce gives r = 0 or s = 0, which has probability ~2⁻²⁵⁶.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; ECDSA_P256_SIGNATURE_LEN], CryptoError> {
        let signature: p256::ecdsa::Signature =
            self.key.try_sign(message).map_err(|_| CryptoError::Sign)?;
        Ok(signature.to_bytes().into())
    }
}

impl core::fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl P256PublicKey {
    /// Verifies a raw r ‖ s ECDSA-P256-SHA256 `signature` over `message`.
    ///
    /// r and s must lie in [1, n − 1] ([`CryptoError::MalformedSignature`] otherwise). Both
    /// members of a low-s/high-s pair verify: Matter uses plain ECDSA with no low-s rule
    /// (ecdsa_p256_sha256.json, "high_s_variant"), and `p256` does not normalize s when
    /// verifying.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let signature = p256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| CryptoError::MalformedSignature)?;
        p256::ecdsa::VerifyingKey::from(self.as_p256())
            .verify(message, &signature)
            .map_err(|_| CryptoError::SignatureMismatch)
    }
}

/// Verifies a raw r ‖ s ECDSA-P256-SHA256 `signature` over `message` under a 65-byte
/// uncompressed SEC1 `public_key`.
pub fn ecdsa_p256_sha256_verify(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    P256PublicKey::from_uncompressed(public_key)?.verify(message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    fn pair() -> SigningKeyPair {
        SigningKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(9))
    }

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let key = pair();
        let sig = key.sign(b"sigma2").unwrap();
        assert_eq!(sig, key.sign(b"sigma2").unwrap());
        assert_ne!(sig, key.sign(b"sigma3").unwrap());
        assert_eq!(key.public_key().verify(b"sigma2", &sig), Ok(()));
        assert_eq!(
            key.public_key().verify(b"sigma3", &sig),
            Err(CryptoError::SignatureMismatch)
        );
    }

    #[test]
    fn empty_message_signs_and_verifies() {
        let key = pair();
        let sig = key.sign(&[]).unwrap();
        let pk = key.public_key().to_uncompressed();
        assert_eq!(ecdsa_p256_sha256_verify(&pk, &[], &sig), Ok(()));
    }

    #[test]
    fn wrong_signature_lengths_are_malformed() {
        let key = pair();
        let sig = key.sign(b"m").unwrap();
        let long = [sig.as_slice(), &[0]].concat();
        for bad in [&sig[..63], &long[..], &[][..]] {
            assert_eq!(
                key.public_key().verify(b"m", bad),
                Err(CryptoError::MalformedSignature)
            );
        }
    }

    #[test]
    fn bad_public_key_is_reported_before_the_signature() {
        let key = pair();
        let sig = key.sign(b"m").unwrap();
        assert_eq!(
            ecdsa_p256_sha256_verify(&[0x04; 65], b"m", &sig),
            Err(CryptoError::InvalidPublicKey)
        );
    }
}
