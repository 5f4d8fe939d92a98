//! Typed wrappers over the RustCrypto primitives the session layer uses
//! (Matter 1.3 §4.8, §4.14.1, §4.14.2): AES-128-CCM, SHA-256, HMAC-SHA256, HKDF-SHA256,
//! PBKDF2-HMAC-SHA256, P-256 ECDH and ECDSA-P256-SHA256.
//!
//! Keys are zeroized on drop; randomness only comes from an RNG the caller passes in; bad input
//! returns [`CryptoError`], never a panic.

mod aead;
mod ecc;
mod ecdsa;
mod error;
mod hash;
mod kdf;
mod mac;

pub use aead::{AES128_KEY_LEN, Aes128CcmKey, CCM_MAX_PAYLOAD, CCM_MIC_LEN, CCM_NONCE_LEN};
pub use ecc::{
    EphemeralKeyPair, P256_PUBLIC_KEY_LEN, P256_SCALAR_LEN, P256_SHARED_SECRET_LEN, P256PublicKey,
    SecretScalar, SharedSecret,
};
pub use ecdsa::{ECDSA_P256_SIGNATURE_LEN, SigningKeyPair, ecdsa_p256_sha256_verify};
pub use error::CryptoError;
pub use hash::{SHA256_LEN, Sha256Hasher, sha256};
pub use kdf::{HKDF_SHA256_MAX_OUTPUT, hkdf_sha256, pbkdf2_sha256};
pub use mac::{HMAC_SHA256_LEN, HmacSha256, hmac_sha256, hmac_sha256_verify};
