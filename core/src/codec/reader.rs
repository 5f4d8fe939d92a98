//! A bounds-checked little-endian cursor: every read either succeeds inside the buffer or
//! returns [`DecodeError::Truncated`] naming the field; nothing here can panic.

use super::error::{DecodeError, Field};

/// Cursor over a borrowed input.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    consumed: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self {
            rest: input,
            consumed: 0,
        }
    }

    /// Bytes read so far.
    pub(crate) fn consumed(&self) -> usize {
        self.consumed
    }

    /// Everything not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Takes the next `n` bytes of `field`.
    pub(crate) fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        match self.rest.split_at_checked(n) {
            Some((head, tail)) => {
                self.rest = tail;
                self.consumed += n;
                Ok(head)
            }
            None => Err(self.truncated(n, field)),
        }
    }

    /// Takes the next `N` bytes of `field` as an array.
    pub(crate) fn array<const N: usize>(&mut self, field: Field) -> Result<[u8; N], DecodeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                self.consumed += N;
                Ok(*head)
            }
            None => Err(self.truncated(N, field)),
        }
    }

    /// Reads a little-endian u16.
    pub(crate) fn u16_le(&mut self, field: Field) -> Result<u16, DecodeError> {
        self.array(field).map(u16::from_le_bytes)
    }

    /// Reads a little-endian u32.
    pub(crate) fn u32_le(&mut self, field: Field) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_le_bytes)
    }

    /// Reads a little-endian u64.
    pub(crate) fn u64_le(&mut self, field: Field) -> Result<u64, DecodeError> {
        self.array(field).map(u64::from_le_bytes)
    }

    fn truncated(&self, needed: usize, field: Field) -> DecodeError {
        DecodeError::Truncated {
            field,
            needed,
            available: self.rest.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_tracks_position() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        assert_eq!(r.take(1, Field::VendorId), Ok(&[0x01u8][..]));
        assert_eq!(r.u16_le(Field::VendorId), Ok(0x0302));
        assert_eq!(r.u32_le(Field::AckCounter), Ok(0x0706_0504));
        assert_eq!(r.consumed(), 7);
        assert!(r.rest().is_empty());
    }

    #[test]
    fn short_read_names_field_and_leaves_cursor() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(
            r.u64_le(Field::SourceNodeId),
            Err(DecodeError::Truncated {
                field: Field::SourceNodeId,
                needed: 8,
                available: 3
            })
        );
        assert_eq!(r.consumed(), 0);
        assert_eq!(r.take(3, Field::MessageExtensions), Ok(&[1u8, 2, 3][..]));
        assert!(r.take(1, Field::MessageExtensions).is_err());
    }
}
