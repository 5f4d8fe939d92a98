//! Bounds-checked little-endian reads over a byte slice; the only place the TLV decoder
//! touches input bytes, so "never reads past the buffer" is proved here once.

use super::error::TlvError;

/// A read position in a borrowed buffer. Invariant: `pos <= buf.len()`.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The next `n` bytes, or `Truncated` if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], TlvError> {
        let end = self.pos.checked_add(n).ok_or(TlvError::Truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or(TlvError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], TlvError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, TlvError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16_le(&mut self) -> Result<u16, TlvError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32_le(&mut self) -> Result<u32, TlvError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64, TlvError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_stops_at_the_end() {
        let mut c = Cursor::new(&[0x01, 0x02, 0x03]);
        assert_eq!(c.u16_le(), Ok(0x0201));
        assert_eq!(c.u16_le(), Err(TlvError::Truncated));
        assert_eq!(c.u8(), Ok(0x03));
        assert!(c.is_at_end());
        assert_eq!(c.take(1), Err(TlvError::Truncated));
    }

    #[test]
    fn huge_length_is_truncated_not_overflow() {
        let mut c = Cursor::new(&[0xaa]);
        c.u8().unwrap();
        assert_eq!(c.take(usize::MAX), Err(TlvError::Truncated));
        assert_eq!(c.pos(), 1);
    }
}
