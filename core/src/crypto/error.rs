//! The error type shared by every primitive in [`crate::crypto`].

/// Why a cryptographic operation refused its input or failed.
///
/// Variants carry no secret material, so errors can be logged freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// AES-CCM authentication failed (wrong key, nonce, AAD, ciphertext or MIC); no plaintext
    /// is released.
    #[error("AEAD authentication failed")]
    Decrypt,
    /// The AES-CCM input is shorter than the 16-byte MIC it must end with.
    #[error("ciphertext of {len} bytes is shorter than the {min}-byte MIC")]
    CiphertextTooShort {
        /// Length of the input that was given.
        len: usize,
        /// The minimum length (the MIC length).
        min: usize,
    },
    /// The AES-CCM payload exceeds what a 13-byte nonce can address (2-byte length field).
    #[error("AEAD payload of {len} bytes exceeds the {max}-byte limit")]
    PayloadTooLong {
        /// Length of the payload that was given.
        len: usize,
        /// The largest payload the mode supports.
        max: usize,
    },
    /// A key was given with the wrong length.
    #[error("key of {actual} bytes, expected {expected}")]
    InvalidKeyLength {
        /// The required length.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// HKDF-SHA256 cannot produce this many bytes (at most 255 × 32).
    #[error("HKDF output of {len} bytes exceeds the {max}-byte limit")]
    KdfOutputTooLong {
        /// Requested output length.
        len: usize,
        /// The largest output HKDF-SHA256 can produce.
        max: usize,
    },
    /// PBKDF2 needs at least one iteration.
    #[error("PBKDF2 iteration count must be at least 1")]
    ZeroIterations,
    /// An HMAC tag did not match (compared in constant time), or had the wrong length.
    #[error("MAC verification failed")]
    MacMismatch,
    /// A P-256 private scalar is zero or not below the group order n.
    #[error("P-256 scalar is zero or not below the group order")]
    InvalidScalar,
    /// A P-256 public key is not a 65-byte uncompressed SEC1 encoding of a point on the curve
    /// other than the identity.
    #[error("invalid P-256 public key")]
    InvalidPublicKey,
    /// An ECDSA signature is not 64 bytes, or its r or s is zero or not below n.
    #[error("malformed ECDSA signature")]
    MalformedSignature,
    /// A well-formed ECDSA signature does not verify for this key and message.
    #[error("ECDSA signature verification failed")]
    SignatureMismatch,
    /// ECDSA signing failed (the derived nonce gave r = 0 or s = 0; astronomically unlikely).
    #[error("ECDSA signing failed")]
    Sign,
}
