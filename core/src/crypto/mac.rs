//! HMAC-SHA256, one-shot and incremental, with constant-time verification.

use hmac::Mac as _;

use super::error::CryptoError;

/// Length of an HMAC-SHA256 tag in bytes.
pub const HMAC_SHA256_LEN: usize = 32;

type Inner = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 of `message` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; HMAC_SHA256_LEN] {
    let mut mac = HmacSha256::new(key);
    mac.update(message);
    mac.finalize()
}

/// Checks in constant time that `tag` is the full 32-byte HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> Result<(), CryptoError> {
    let mut mac = HmacSha256::new(key);
    mac.update(message);
    mac.verify(tag)
}

/// Incremental HMAC-SHA256.
#[derive(Clone)]
pub struct HmacSha256(Inner);

impl HmacSha256 {
    /// Starts a MAC under `key`. Keys of any length are accepted (RFC 2104: longer than the
    /// block are hashed, shorter are zero-padded).
    pub fn new(key: &[u8]) -> Self {
        // `Hmac::new_from_slice` never fails: HMAC overrides the length check and accepts keys
        // of every length, so the error arm is unreachable.
        match <Inner as hmac::Mac>::new_from_slice(key) {
            Ok(inner) => Self(inner),
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        }
    }

    /// Appends `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The tag of everything appended.
    pub fn finalize(self) -> [u8; HMAC_SHA256_LEN] {
        self.0.finalize().into_bytes().into()
    }

    /// Compares the tag with `expected` in constant time. A tag of any length other than 32
    /// bytes is rejected ([`CryptoError::MacMismatch`]).
    pub fn verify(self, expected: &[u8]) -> Result<(), CryptoError> {
        self.0
            .verify_slice(expected)
            .map_err(|_| CryptoError::MacMismatch)
    }
}

impl core::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The state is derived from the key.
        f.write_str("HmacSha256(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_matches_one_shot() {
        let key = [7u8; 40];
        let msg: Vec<u8> = (0u8..100).collect();
        let mut mac = HmacSha256::new(&key);
        mac.update(&msg[..33]);
        mac.update(&msg[33..]);
        assert_eq!(mac.finalize(), hmac_sha256(&key, &msg));
    }

    #[test]
    fn verify_accepts_own_tag_and_rejects_any_change() {
        let tag = hmac_sha256(b"key", b"msg");
        assert_eq!(hmac_sha256_verify(b"key", b"msg", &tag), Ok(()));
        for i in 0..tag.len() {
            let mut bad = tag;
            bad[i] ^= 0x01;
            assert_eq!(
                hmac_sha256_verify(b"key", b"msg", &bad),
                Err(CryptoError::MacMismatch)
            );
        }
        assert_eq!(
            hmac_sha256_verify(b"kez", b"msg", &tag),
            Err(CryptoError::MacMismatch)
        );
    }

    #[test]
    fn verify_rejects_truncated_extended_and_empty_tags() {
        let tag = hmac_sha256(b"key", b"msg");
        let mut long = tag.to_vec();
        long.push(0);
        for bad in [&tag[..16], &tag[..31], &long[..], &[][..]] {
            assert_eq!(
                hmac_sha256_verify(b"key", b"msg", bad),
                Err(CryptoError::MacMismatch)
            );
        }
    }

    #[test]
    fn empty_key_equals_zero_block_key() {
        // RFC 2104 pads short keys with zeros, so "" and 64 zero bytes are the same key.
        assert_eq!(hmac_sha256(&[], b"x"), hmac_sha256(&[0u8; 64], b"x"));
        assert_ne!(hmac_sha256(&[], b"x"), hmac_sha256(&[1u8], b"x"));
    }
}
