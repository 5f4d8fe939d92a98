//! Length-prefixed extension blocks (Message Extensions, Secured Extensions).

use super::error::{DecodeError, EncodeError, Field};
use super::reader::Reader;

/// Extension bytes carried after a u16 LE length (`MX`: Matter 1.3 §4.4.1; `SX`: §4.4.3).
///
/// Holds at most `u16::MAX` bytes, so encoding can never overflow the length prefix.
/// paseo never sends extensions (matter.js cannot parse them, Matter 1.3 §4.4.1) but keeps received
/// ones so the header re-encodes byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extensions<'a>(&'a [u8]);

impl<'a> Extensions<'a> {
    /// Wraps `bytes`; fails if they do not fit the u16 length prefix.
    pub fn new(bytes: &'a [u8]) -> Result<Self, EncodeError> {
        if bytes.len() > usize::from(u16::MAX) {
            return Err(EncodeError::ExtensionsTooLong(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The extension bytes, without the length prefix.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Length on the wire: the 2-byte prefix plus the bytes.
    pub fn encoded_len(&self) -> usize {
        2 + self.0.len()
    }

    /// Appends the length prefix and the bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // `new` and `read` both bound the length by u16::MAX, so this conversion is exact.
        let len = u16::try_from(self.0.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(self.0);
    }

    /// Reads a length-prefixed block, naming `length_field`/`bytes_field` on truncation.
    pub(crate) fn read(
        reader: &mut Reader<'a>,
        length_field: Field,
        bytes_field: Field,
    ) -> Result<Self, DecodeError> {
        let len = reader.u16_le(length_field)?;
        reader.take(usize::from(len), bytes_field).map(Self)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Extensions<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.int_in_range(0..=u.len().min(usize::from(u16::MAX)))?;
        u.bytes(len).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_more_than_u16_max_bytes() {
        let big = vec![0u8; 65536];
        assert_eq!(
            Extensions::new(&big),
            Err(EncodeError::ExtensionsTooLong(65536))
        );
        assert!(Extensions::new(&big[..65535]).is_ok());
    }

    #[test]
    fn encodes_length_prefix_then_bytes() {
        let ext = Extensions::new(&[0xa1, 0xa2, 0xa3]).unwrap();
        let mut out = Vec::new();
        ext.encode(&mut out);
        assert_eq!(out, [3, 0, 0xa1, 0xa2, 0xa3]);
        assert_eq!(ext.encoded_len(), out.len());
        let mut r = Reader::new(&out);
        let back = Extensions::read(
            &mut r,
            Field::MessageExtensionsLength,
            Field::MessageExtensions,
        );
        assert_eq!(back, Ok(ext));
    }
}
