//! The CASE transcript: the exact Sigma1, Sigma2 and Sigma3 payload bytes, hashed as they
//! arrive or leave (Matter 1.3 §4.14.2.3, Appendix A: the hashes cover the bytes verbatim, never a
//! re-encoding).
//!
//! S2K needs SHA-256(S1), S3K needs SHA-256(S1 ‖ S2), the session keys SHA-256(S1 ‖ S2 ‖ S3).
//! A running hash gives each in turn; the transcript remembers all three.

use super::error::CaseError;
use crate::crypto::{SHA256_LEN, Sha256Hasher};

/// Names of the messages in transcript order, for errors.
const MESSAGE_NAMES: [&str; 3] = ["Sigma1", "Sigma2", "Sigma3"];

/// Running SHA-256 over S1, S2, S3 in that order.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    hasher: Sha256Hasher,
    /// hashes[i] = SHA-256 of the first i + 1 messages, once they were added.
    hashes: [Option<[u8; SHA256_LEN]>; 3],
    held: usize,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of messages added so far (0–3).
    pub fn len(&self) -> usize {
        self.held
    }

    /// True before Sigma1 was added.
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    fn add(&mut self, position: usize, payload: &[u8]) -> Result<[u8; SHA256_LEN], CaseError> {
        let adding = MESSAGE_NAMES.get(position).copied().unwrap_or("message");
        if self.held != position {
            return Err(CaseError::TranscriptOrder {
                held: self.held,
                adding,
            });
        }
        self.hasher.update(payload);
        let hash = self.hasher.digest_so_far();
        if let Some(slot) = self.hashes.get_mut(position) {
            *slot = Some(hash);
        }
        self.held += 1;
        Ok(hash)
    }

    /// Adds the Sigma1 payload; returns SHA-256(S1), the hash S2K's salt uses.
    pub fn add_sigma1(&mut self, payload: &[u8]) -> Result<[u8; SHA256_LEN], CaseError> {
        self.add(0, payload)
    }

    /// Adds the Sigma2 payload; returns SHA-256(S1 ‖ S2), the hash S3K's salt uses.
    pub fn add_sigma2(&mut self, payload: &[u8]) -> Result<[u8; SHA256_LEN], CaseError> {
        self.add(1, payload)
    }

    /// Adds the Sigma3 payload; returns SHA-256(S1 ‖ S2 ‖ S3), the session-key salt's hash.
    pub fn add_sigma3(&mut self, payload: &[u8]) -> Result<[u8; SHA256_LEN], CaseError> {
        self.add(2, payload)
    }

    /// SHA-256(S1), once Sigma1 was added.
    pub fn sigma1_hash(&self) -> Option<&[u8; SHA256_LEN]> {
        self.hashes[0].as_ref()
    }

    /// SHA-256(S1 ‖ S2), once Sigma2 was added.
    pub fn sigma12_hash(&self) -> Option<&[u8; SHA256_LEN]> {
        self.hashes[1].as_ref()
    }

    /// SHA-256(S1 ‖ S2 ‖ S3), once Sigma3 was added.
    pub fn sigma123_hash(&self) -> Option<&[u8; SHA256_LEN]> {
        self.hashes[2].as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256;

    #[test]
    fn hashes_are_over_the_concatenated_payloads() {
        let (s1, s2, s3) = (b"first".as_slice(), b"second".as_slice(), b"3".as_slice());
        let mut t = Transcript::new();
        assert!(t.is_empty());
        assert_eq!(t.sigma1_hash(), None);
        assert_eq!(t.add_sigma1(s1), Ok(sha256(s1)));
        assert_eq!(t.add_sigma2(s2), Ok(sha256(b"firstsecond")));
        assert_eq!(t.add_sigma3(s3), Ok(sha256(b"firstsecond3")));
        assert_eq!(t.len(), 3);
        assert_eq!(t.sigma1_hash(), Some(&sha256(s1)));
        assert_eq!(t.sigma12_hash(), Some(&sha256(b"firstsecond")));
        assert_eq!(t.sigma123_hash(), Some(&sha256(b"firstsecond3")));
    }

    #[test]
    fn messages_must_come_in_order() {
        let mut t = Transcript::new();
        assert_eq!(
            t.add_sigma2(b"x"),
            Err(CaseError::TranscriptOrder {
                held: 0,
                adding: "Sigma2"
            })
        );
        t.add_sigma1(b"a").unwrap();
        assert_eq!(
            t.add_sigma1(b"a"),
            Err(CaseError::TranscriptOrder {
                held: 1,
                adding: "Sigma1"
            })
        );
        assert_eq!(
            t.add_sigma3(b"c"),
            Err(CaseError::TranscriptOrder {
                held: 1,
                adding: "Sigma3"
            })
        );
        // A rejected add leaves the hash untouched.
        assert_eq!(t.add_sigma2(b"b"), Ok(sha256(b"ab")));
    }
}
