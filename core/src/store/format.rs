//! The on-disk encoding of one context's record set (the content of a `<context>.pstore` file).
//!
//! Layout, all integers little-endian:
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 8 | magic `PASEOSTR` |
//! | 8 | 2 | format version, [`VERSION`] |
//! | 10 | 4 | entry count `n` |
//! | 14 | … | `n` entries: key length (u16), key bytes, value length (u32), value bytes |
//! | len − 32 | 32 | SHA-256 of every byte before it |
//!
//! Entries are sorted strictly ascending by key bytes, so one record set has exactly one
//! encoding and duplicate keys cannot be expressed. The trailing digest covers the header too,
//! so truncation at any offset and any flipped bit are detected: the decoder checks the magic,
//! then the digest, and only then trusts the lengths inside.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::StoreError;
use super::names::{NameProblem, key_problem};

/// One context's keys and values.
pub(super) type Records = BTreeMap<String, Vec<u8>>;

/// First bytes of every store file.
const MAGIC: [u8; 8] = *b"PASEOSTR";
/// The only format version this code writes and reads.
const VERSION: u16 = 1;
/// magic + version + entry count.
const HEADER_LEN: usize = MAGIC.len() + 2 + 4;
/// SHA-256 output length.
const DIGEST_LEN: usize = 32;
/// The smallest valid file: a header for zero entries plus the digest.
const MIN_LEN: usize = HEADER_LEN + DIGEST_LEN;

/// Why a store file's bytes are not a valid record set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptReason {
    /// Shorter than an empty record set (an empty file is never written by the store).
    #[error("file is {len} bytes, shorter than the minimum {min}")]
    TooShort {
        /// The file's length.
        len: usize,
        /// The smallest valid length.
        min: usize,
    },
    /// The first 8 bytes are not `PASEOSTR`.
    #[error("bad magic, not a paseo store file")]
    BadMagic,
    /// The trailing SHA-256 does not match the content (truncated or altered).
    #[error("SHA-256 checksum mismatch (truncated or altered)")]
    ChecksumMismatch,
    /// A checksummed file of a format version this code does not know.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u16),
    /// Entry `index` runs past the end of the content.
    #[error("entry {index} runs past the end of the content")]
    TruncatedEntry {
        /// Zero-based entry index.
        index: u32,
    },
    /// Entry `index` has a key that is not valid UTF-8.
    #[error("entry {index} has a key that is not UTF-8")]
    KeyNotUtf8 {
        /// Zero-based entry index.
        index: u32,
    },
    /// Entry `index` has a key the store would never accept.
    #[error("entry {index} has an invalid key: {problem}")]
    InvalidKey {
        /// Zero-based entry index.
        index: u32,
        /// What is wrong with the key.
        problem: NameProblem,
    },
    /// Entry `index`'s key is not greater than the previous one (unsorted or duplicate).
    #[error("entry {index} is out of order or duplicates a key")]
    KeysOutOfOrder {
        /// Zero-based entry index.
        index: u32,
    },
    /// Bytes left over between the last entry and the digest.
    #[error("{count} stray bytes after the last entry")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// Encodes a record set as a complete file image (header, entries, digest).
pub(super) fn encode(records: &Records) -> Result<Vec<u8>, StoreError> {
    let count = u32::try_from(records.len()).map_err(|_| StoreError::TooLarge {
        what: "entry count",
        len: records.len(),
        max: u32::MAX as usize,
    })?;
    let mut out = Vec::with_capacity(
        MIN_LEN
            + records
                .iter()
                .map(|(k, v)| 6 + k.len() + v.len())
                .sum::<usize>(),
    );
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    for (key, value) in records {
        let key_len = u16::try_from(key.len()).map_err(|_| StoreError::TooLarge {
            what: "key length",
            len: key.len(),
            max: u16::MAX as usize,
        })?;
        let value_len = u32::try_from(value.len()).map_err(|_| StoreError::TooLarge {
            what: "value length",
            len: value.len(),
            max: u32::MAX as usize,
        })?;
        out.extend_from_slice(&key_len.to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&value_len.to_le_bytes());
        out.extend_from_slice(value);
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Decodes a complete file image; never reads past `bytes`.
pub(super) fn decode(bytes: &[u8]) -> Result<Records, CorruptReason> {
    if bytes.len() < MIN_LEN {
        return Err(CorruptReason::TooShort {
            len: bytes.len(),
            min: MIN_LEN,
        });
    }
    // Indexing cannot panic: bytes.len() >= MIN_LEN > MAGIC.len() (checked above).
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(CorruptReason::BadMagic);
    }
    // Cannot underflow: bytes.len() >= MIN_LEN >= DIGEST_LEN.
    let (content, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
    if Sha256::digest(content).as_slice() != digest {
        return Err(CorruptReason::ChecksumMismatch);
    }

    let mut reader = Reader {
        rest: &content[MAGIC.len()..],
    };
    // The header fits: content.len() >= HEADER_LEN, so these reads succeed; a failure would
    // still surface as TooShort rather than a panic.
    let too_short = CorruptReason::TooShort {
        len: bytes.len(),
        min: MIN_LEN,
    };
    let version = reader.u16().ok_or_else(|| too_short.clone())?;
    if version != VERSION {
        return Err(CorruptReason::UnsupportedVersion(version));
    }
    let count = reader.u32().ok_or(too_short)?;

    let mut records = Records::new();
    for index in 0..count {
        let truncated = CorruptReason::TruncatedEntry { index };
        let key_len = reader.u16().ok_or_else(|| truncated.clone())?;
        let key = reader
            .take(usize::from(key_len))
            .ok_or_else(|| truncated.clone())?;
        let key = std::str::from_utf8(key).map_err(|_| CorruptReason::KeyNotUtf8 { index })?;
        key_problem(key).map_err(|problem| CorruptReason::InvalidKey { index, problem })?;
        if records
            .last_key_value()
            .is_some_and(|(previous, _)| previous.as_str() >= key)
        {
            return Err(CorruptReason::KeysOutOfOrder { index });
        }
        let value_len = reader.u32().ok_or_else(|| truncated.clone())?;
        // A u32 always fits in usize on the 32/64-bit targets std supports; if it did not,
        // the length could not be in the buffer either.
        let value_len = usize::try_from(value_len).map_err(|_| truncated.clone())?;
        let value = reader.take(value_len).ok_or(truncated)?;
        records.insert(key.to_owned(), value.to_vec());
    }
    if !reader.rest.is_empty() {
        return Err(CorruptReason::TrailingBytes {
            count: reader.rest.len(),
        });
    }
    Ok(records)
}

/// A bounds-checked cursor over the content: every read either fits or returns `None`.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u16(&mut self) -> Option<u16> {
        let bytes = self.take(2)?;
        Some(u16::from_le_bytes([bytes[0], bytes[1]])) // take(2) returned exactly 2 bytes
    }

    fn u32(&mut self) -> Option<u32> {
        let bytes = self.take(4)?;
        // take(4) returned exactly 4 bytes.
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Records {
        let mut records = Records::new();
        records.insert("resumptionRecords".into(), vec![1, 2, 3]);
        records.insert("a".into(), Vec::new());
        records
    }

    #[test]
    fn empty_set_is_header_plus_digest() {
        let bytes = encode(&Records::new()).unwrap();
        assert_eq!(bytes.len(), MIN_LEN);
        assert_eq!(&bytes[..8], b"PASEOSTR");
        assert_eq!(&bytes[8..10], &[1, 0]);
        assert_eq!(&bytes[10..14], &[0, 0, 0, 0]);
        assert_eq!(&bytes[14..], Sha256::digest(&bytes[..14]).as_slice());
        assert_eq!(decode(&bytes).unwrap(), Records::new());
    }

    #[test]
    fn entry_layout_is_length_prefixed() {
        let mut records = Records::new();
        records.insert("k".into(), vec![0xaa, 0xbb]);
        let bytes = encode(&records).unwrap();
        assert_eq!(&bytes[10..14], &[1, 0, 0, 0]);
        assert_eq!(&bytes[14..16], &[1, 0]);
        assert_eq!(bytes[16], b'k');
        assert_eq!(&bytes[17..21], &[2, 0, 0, 0]);
        assert_eq!(&bytes[21..23], &[0xaa, 0xbb]);
        assert_eq!(bytes.len(), 23 + DIGEST_LEN);
    }

    /// Re-seals `content` with a correct digest, to reach the checks behind the checksum.
    fn seal(mut content: Vec<u8>) -> Vec<u8> {
        let digest = Sha256::digest(&content);
        content.extend_from_slice(&digest);
        content
    }

    fn header(version: u16, count: u32) -> Vec<u8> {
        let mut content = MAGIC.to_vec();
        content.extend_from_slice(&version.to_le_bytes());
        content.extend_from_slice(&count.to_le_bytes());
        content
    }

    fn entry(content: &mut Vec<u8>, key: &[u8], value: &[u8]) {
        content.extend_from_slice(&(key.len() as u16).to_le_bytes());
        content.extend_from_slice(key);
        content.extend_from_slice(&(value.len() as u32).to_le_bytes());
        content.extend_from_slice(value);
    }

    #[test]
    fn checks_behind_the_checksum() {
        assert_eq!(
            decode(&seal(header(2, 0))),
            Err(CorruptReason::UnsupportedVersion(2))
        );
        assert_eq!(
            decode(&seal(header(1, 1))),
            Err(CorruptReason::TruncatedEntry { index: 0 })
        );

        let mut content = header(1, 2);
        entry(&mut content, b"b", b"");
        entry(&mut content, b"a", b"");
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::KeysOutOfOrder { index: 1 })
        );

        let mut content = header(1, 2);
        entry(&mut content, b"a", b"1");
        entry(&mut content, b"a", b"2");
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::KeysOutOfOrder { index: 1 })
        );

        let mut content = header(1, 1);
        entry(&mut content, &[0xff], b"");
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::KeyNotUtf8 { index: 0 })
        );

        let mut content = header(1, 1);
        entry(&mut content, b"a/b", b"");
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::InvalidKey {
                index: 0,
                problem: NameProblem::BadChar { ch: '/', at: 1 }
            })
        );

        let mut content = header(1, 1);
        entry(&mut content, b"a", b"");
        content.push(0);
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::TrailingBytes { count: 1 })
        );

        let mut content = header(1, 1);
        content.extend_from_slice(&1u16.to_le_bytes());
        content.push(b'a');
        content.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&seal(content)),
            Err(CorruptReason::TruncatedEntry { index: 0 })
        );
    }

    #[test]
    fn foreign_file_is_bad_magic() {
        let mut bytes = encode(&sample()).unwrap();
        bytes[0] ^= 0x20;
        assert_eq!(decode(&bytes), Err(CorruptReason::BadMagic));
    }

    fn records_strategy() -> impl Strategy<Value = Records> {
        prop::collection::btree_map(
            "[A-Za-z0-9_.-]{1,12}",
            prop::collection::vec(any::<u8>(), 0..40),
            0..8,
        )
    }

    proptest! {
        #[test]
        fn round_trips(records in records_strategy()) {
            let bytes = encode(&records).unwrap();
            prop_assert_eq!(decode(&bytes).unwrap(), records);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn sealed_arbitrary_content_never_panics(
            tail in prop::collection::vec(any::<u8>(), 0..120),
            count in 0u32..5,
        ) {
            let mut content = header(1, count);
            content.extend_from_slice(&tail);
            let _ = decode(&seal(content));
        }
    }
}
