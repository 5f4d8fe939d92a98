//! Session keys from a handshake's shared secret (Matter 1.3 §4.14.1, §4.14.2).
//!
//! `I2RKey ‖ R2IKey ‖ AttestationChallenge = HKDF-SHA256(secret, salt, info, 48)`, where the
//! info is "SessionKeys" for PASE and full CASE and "SessionResumptionKeys" for a resumed
//! CASE session. The initiator encrypts with I2R and decrypts with R2I; the responder the
//! reverse.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{Aes128CcmKey, hkdf_sha256};
use crate::session::error::SessionError;

/// HKDF info for PASE and full CASE session keys.
pub const SESSION_KEYS_INFO: &[u8] = b"SessionKeys";
/// HKDF info for resumed CASE session keys.
pub const SESSION_RESUMPTION_KEYS_INFO: &[u8] = b"SessionResumptionKeys";

/// The three 16-byte outputs of the session key derivation, in wire order.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionKeyMaterial {
    /// Initiator-to-responder key.
    pub i2r: [u8; 16],
    /// Responder-to-initiator key.
    pub r2i: [u8; 16],
    /// Attestation challenge (used by commissioning, not by the session layer).
    pub attestation_challenge: [u8; 16],
}

impl SessionKeyMaterial {
    /// Derives the keys; `is_resumption` picks the HKDF info string.
    pub fn derive(
        shared_secret: &[u8],
        salt: &[u8],
        is_resumption: bool,
    ) -> Result<Self, SessionError> {
        let info = if is_resumption {
            SESSION_RESUMPTION_KEYS_INFO
        } else {
            SESSION_KEYS_INFO
        };
        let mut okm = zeroize::Zeroizing::new([0u8; 48]);
        hkdf_sha256(shared_secret, salt, info, okm.as_mut_slice())
            .map_err(|_| SessionError::KeyDerivation)?;
        let mut keys = SessionKeyMaterial {
            i2r: [0; 16],
            r2i: [0; 16],
            attestation_challenge: [0; 16],
        };
        keys.i2r.copy_from_slice(&okm[..16]);
        keys.r2i.copy_from_slice(&okm[16..32]);
        keys.attestation_challenge.copy_from_slice(&okm[32..]);
        Ok(keys)
    }
}

/// The keys one side of a session uses, picked by role.
pub struct SessionKeys {
    /// Key for messages we send.
    pub encrypt: Aes128CcmKey,
    /// Key for messages we receive.
    pub decrypt: Aes128CcmKey,
    /// The attestation challenge.
    pub attestation_challenge: zeroize::Zeroizing<[u8; 16]>,
}

impl SessionKeys {
    /// Picks encrypt/decrypt keys for our role.
    pub fn for_role(material: &SessionKeyMaterial, is_initiator: bool) -> Self {
        let (encrypt, decrypt) = if is_initiator {
            (material.i2r, material.r2i)
        } else {
            (material.r2i, material.i2r)
        };
        SessionKeys {
            encrypt: Aes128CcmKey::new(&encrypt),
            decrypt: Aes128CcmKey::new(&decrypt),
            attestation_challenge: zeroize::Zeroizing::new(material.attestation_challenge),
        }
    }
}
