//! AES-128-CCM with a 13-byte nonce and a 16-byte MIC, the message cipher of Matter
//! (Matter 1.3 §4.8).

use aes::cipher::consts::{U13, U16};
use ccm::aead::{AeadInPlace as _, KeyInit as _};

use super::error::CryptoError;

/// AES-128 key length in bytes.
pub const AES128_KEY_LEN: usize = 16;
/// CCM nonce length used by Matter (Matter 1.3 §4.8).
pub const CCM_NONCE_LEN: usize = 13;
/// CCM MIC (tag) length used by Matter.
pub const CCM_MIC_LEN: usize = 16;
/// Largest plaintext a 13-byte nonce allows: the 2-byte CCM length field (L = 15 - 13).
pub const CCM_MAX_PAYLOAD: usize = 0xffff;

type Ccm = ccm::Ccm<aes::Aes128, U16, U13>;

/// An AES-128-CCM key (13-byte nonce, 16-byte MIC).
///
/// Holds the expanded AES key schedule, which the `aes` crate zeroizes on drop (its `zeroize`
/// feature, enabled in core/Cargo.toml); the raw key bytes are not kept.
#[derive(Clone)]
pub struct Aes128CcmKey(Ccm);

impl Aes128CcmKey {
    /// The key for these 16 bytes.
    pub fn new(key: &[u8; AES128_KEY_LEN]) -> Self {
        Self(Ccm::new(key.into()))
    }

    /// The key for `key`, which must be exactly 16 bytes.
    pub fn from_slice(key: &[u8]) -> Result<Self, CryptoError> {
        let key: &[u8; AES128_KEY_LEN] =
            key.try_into().map_err(|_| CryptoError::InvalidKeyLength {
                expected: AES128_KEY_LEN,
                actual: key.len(),
            })?;
        Ok(Self::new(key))
    }

    /// Encrypts `plaintext`, returning ciphertext ‖ 16-byte MIC.
    pub fn encrypt(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        check_payload_len(plaintext.len())?;
        let mut out = Vec::with_capacity(plaintext.len() + CCM_MIC_LEN);
        out.extend_from_slice(plaintext);
        self.encrypt_in_place(nonce, aad, &mut out)?;
        Ok(out)
    }

    /// Encrypts the whole of `buffer` in place and appends the MIC (one reallocation at most;
    /// none if the caller reserved 16 bytes).
    pub fn encrypt_in_place(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let mic = self.encrypt_in_place_detached(nonce, aad, buffer)?;
        buffer.extend_from_slice(&mic);
        Ok(())
    }

    /// Encrypts `buffer` in place and returns the MIC separately, for callers that frame the
    /// message in a buffer of their own.
    pub fn encrypt_in_place_detached(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; CCM_MIC_LEN], CryptoError> {
        check_payload_len(buffer.len())?;
        self.0
            .encrypt_in_place_detached(nonce.into(), aad, buffer)
            .map(Into::into)
            // ccm fails only for a payload over the length field, checked above.
            .map_err(|_| CryptoError::PayloadTooLong {
                len: buffer.len(),
                max: CCM_MAX_PAYLOAD,
            })
    }

    /// Authenticates and decrypts ciphertext ‖ MIC, returning the plaintext.
    pub fn decrypt(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        ciphertext_and_mic: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut buffer = ciphertext_and_mic.to_vec();
        self.decrypt_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Authenticates and decrypts ciphertext ‖ MIC held in `buffer`; on success `buffer` holds
    /// the plaintext. On any error `buffer` is emptied, so no unauthenticated plaintext leaks.
    pub fn decrypt_in_place(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let len = buffer.len();
        let Some((body, mic)) = buffer.split_last_chunk_mut::<CCM_MIC_LEN>() else {
            buffer.clear();
            return Err(CryptoError::CiphertextTooShort {
                len,
                min: CCM_MIC_LEN,
            });
        };
        let mic = *mic;
        let body_len = body.len();
        let result = self.decrypt_in_place_detached(nonce, aad, body, &mic);
        match result {
            Ok(()) => buffer.truncate(body_len),
            Err(_) => buffer.clear(),
        }
        result
    }

    /// Authenticates and decrypts `buffer` in place against a separate `mic`. On failure the
    /// buffer is overwritten with zeros.
    pub fn decrypt_in_place_detached(
        &self,
        nonce: &[u8; CCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        mic: &[u8; CCM_MIC_LEN],
    ) -> Result<(), CryptoError> {
        check_payload_len(buffer.len())?;
        // ccm compares the MIC in constant time and zeroes `buffer` when it does not match.
        self.0
            .decrypt_in_place_detached(nonce.into(), aad, buffer, mic.into())
            .map_err(|_| CryptoError::Decrypt)
    }
}

impl core::fmt::Debug for Aes128CcmKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Aes128CcmKey(..)")
    }
}

fn check_payload_len(len: usize) -> Result<(), CryptoError> {
    if len > CCM_MAX_PAYLOAD {
        return Err(CryptoError::PayloadTooLong {
            len,
            max: CCM_MAX_PAYLOAD,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; CCM_NONCE_LEN] = [3; CCM_NONCE_LEN];

    fn key() -> Aes128CcmKey {
        Aes128CcmKey::new(&[0x42; AES128_KEY_LEN])
    }

    #[test]
    fn every_input_shorter_than_the_mic_is_rejected() {
        for len in 0..CCM_MIC_LEN {
            let input = vec![0u8; len];
            assert_eq!(
                key().decrypt(&NONCE, b"", &input),
                Err(CryptoError::CiphertextTooShort {
                    len,
                    min: CCM_MIC_LEN
                })
            );
        }
    }

    #[test]
    fn empty_plaintext_and_aad_round_trip_to_a_bare_mic() {
        let ct = key().encrypt(&NONCE, &[], &[]).unwrap();
        assert_eq!(ct.len(), CCM_MIC_LEN);
        assert_eq!(key().decrypt(&NONCE, &[], &ct), Ok(Vec::new()));
    }

    #[test]
    fn wrong_tag_clears_the_buffer() {
        let mut buf = key().encrypt(&NONCE, b"aad", b"secret payload").unwrap();
        let last = buf.len() - 1;
        buf[last] ^= 0x80;
        assert_eq!(
            key().decrypt_in_place(&NONCE, b"aad", &mut buf),
            Err(CryptoError::Decrypt)
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn detached_failure_zeroes_the_payload() {
        let mut body = *b"secret payload";
        let mic = key()
            .encrypt_in_place_detached(&NONCE, b"", &mut body)
            .unwrap();
        let mut bad_mic = mic;
        bad_mic[0] ^= 1;
        assert_eq!(
            key().decrypt_in_place_detached(&NONCE, b"", &mut body, &bad_mic),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(body, [0u8; 14]);
    }

    #[test]
    fn in_place_and_allocating_forms_agree() {
        let pt = b"hello matter".to_vec();
        let ct = key().encrypt(&NONCE, b"hdr", &pt).unwrap();
        let mut buf = pt.clone();
        key().encrypt_in_place(&NONCE, b"hdr", &mut buf).unwrap();
        assert_eq!(buf, ct);
        key().decrypt_in_place(&NONCE, b"hdr", &mut buf).unwrap();
        assert_eq!(buf, pt);
    }

    #[test]
    fn payload_length_limit() {
        let max = vec![0u8; CCM_MAX_PAYLOAD];
        let ct = key().encrypt(&NONCE, b"", &max).unwrap();
        assert_eq!(
            key().decrypt(&NONCE, b"", &ct).unwrap().len(),
            CCM_MAX_PAYLOAD
        );
        let over = vec![0u8; CCM_MAX_PAYLOAD + 1];
        let err = Err(CryptoError::PayloadTooLong {
            len: CCM_MAX_PAYLOAD + 1,
            max: CCM_MAX_PAYLOAD,
        });
        assert_eq!(key().encrypt(&NONCE, b"", &over), err);
        let mut over_ct = over;
        over_ct.extend_from_slice(&[0u8; CCM_MIC_LEN]);
        assert_eq!(
            key().decrypt(&NONCE, b"", &over_ct).map(|_| ()),
            err.map(|_: Vec<u8>| ())
        );
    }

    #[test]
    fn key_length_is_checked() {
        for len in [0, 15, 17, 32] {
            assert_eq!(
                Aes128CcmKey::from_slice(&vec![0u8; len]).map(|_| ()),
                Err(CryptoError::InvalidKeyLength {
                    expected: AES128_KEY_LEN,
                    actual: len
                })
            );
        }
        assert!(Aes128CcmKey::from_slice(&[0u8; 16]).is_ok());
    }
}
