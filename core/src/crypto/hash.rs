//! SHA-256, one-shot and incremental (the PASE/CASE transcript hash, Matter 1.3 §4.14.1, §4.14.2).

use sha2::Digest as _;

/// Length of a SHA-256 digest in bytes.
pub const SHA256_LEN: usize = 32;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; SHA256_LEN] {
    sha2::Sha256::digest(data).into()
}

/// Incremental SHA-256.
///
/// `Clone` lets a caller take the hash of a transcript so far and keep appending
/// (CASE hashes the Sigma transcript at more than one point).
#[derive(Clone, Default)]
pub struct Sha256Hasher(sha2::Sha256);

impl Sha256Hasher {
    /// A hasher over the empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest of everything appended so far, leaving the hasher usable.
    pub fn digest_so_far(&self) -> [u8; SHA256_LEN] {
        self.0.clone().finalize().into()
    }

    /// The digest of everything appended.
    pub fn finalize(self) -> [u8; SHA256_LEN] {
        self.0.finalize().into()
    }
}

impl core::fmt::Debug for Sha256Hasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The state may hash secrets; show nothing of it.
        f.write_str("Sha256Hasher(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_matches_one_shot_at_every_split() {
        let msg: Vec<u8> = (0u8..=200).collect();
        let whole = sha256(&msg);
        for split in 0..=msg.len() {
            let mut h = Sha256Hasher::new();
            h.update(&msg[..split]);
            h.update(&msg[split..]);
            assert_eq!(h.finalize(), whole, "split at {split}");
        }
    }

    #[test]
    fn digest_so_far_does_not_disturb_the_state() {
        let mut h = Sha256Hasher::new();
        h.update(b"ab");
        assert_eq!(h.digest_so_far(), sha256(b"ab"));
        h.update(b"c");
        assert_eq!(h.finalize(), sha256(b"abc"));
    }

    #[test]
    fn empty_hasher_equals_empty_message() {
        assert_eq!(Sha256Hasher::new().finalize(), sha256(&[]));
        assert_ne!(sha256(&[]), sha256(&[0]));
    }
}
