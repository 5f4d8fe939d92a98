//! Integers with the width they were (or will be) encoded in, and the width type shared by
//! integers and string length fields (Matter 1.3 Appendix A: 1/2/4/8 bytes).

/// Width of an integer value or of a string length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Width {
    /// 1 byte.
    One,
    /// 2 bytes.
    Two,
    /// 4 bytes.
    Four,
    /// 8 bytes.
    Eight,
}

impl Width {
    /// Number of bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Self::One => 1,
            Self::Two => 2,
            Self::Four => 4,
            Self::Eight => 8,
        }
    }

    /// The low two bits of the element type (0x00/04/0C/10 + this).
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::One => 0,
            Self::Two => 1,
            Self::Four => 2,
            Self::Eight => 3,
        }
    }

    /// Width from the low two bits of an element type.
    pub(crate) const fn from_code(code: u8) -> Self {
        match code & 0b11 {
            0 => Self::One,
            1 => Self::Two,
            2 => Self::Four,
            _ => Self::Eight,
        }
    }

    /// The narrowest length field that holds `len` (Matter 1.3 Appendix A: smallest length-field
    /// width).
    pub fn minimal_for_len(len: usize) -> Self {
        // usize is at most 64 bits on every target Rust supports, so the fallback never fires.
        match UnsignedInt::minimal(u64::try_from(len).unwrap_or(u64::MAX)) {
            UnsignedInt::U8(_) => Self::One,
            UnsignedInt::U16(_) => Self::Two,
            UnsignedInt::U32(_) => Self::Four,
            UnsignedInt::U64(_) => Self::Eight,
        }
    }

    /// True if a length field of this width can hold `len`.
    pub fn holds_len(self, len: usize) -> bool {
        Self::minimal_for_len(len) <= self
    }
}

/// A signed integer element with its encoded width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedInt {
    /// 1-byte two's complement.
    I8(i8),
    /// 2-byte two's complement.
    I16(i16),
    /// 4-byte two's complement.
    I32(i32),
    /// 8-byte two's complement.
    I64(i64),
}

impl SignedInt {
    /// The narrowest encoding of `value` (Matter 1.3 Appendix A).
    pub fn minimal(value: i64) -> Self {
        if let Ok(v) = i8::try_from(value) {
            Self::I8(v)
        } else if let Ok(v) = i16::try_from(value) {
            Self::I16(v)
        } else if let Ok(v) = i32::try_from(value) {
            Self::I32(v)
        } else {
            Self::I64(value)
        }
    }

    /// The value, whatever its width.
    pub fn get(self) -> i64 {
        match self {
            Self::I8(v) => i64::from(v),
            Self::I16(v) => i64::from(v),
            Self::I32(v) => i64::from(v),
            Self::I64(v) => v,
        }
    }

    /// The encoded width.
    pub fn width(self) -> Width {
        match self {
            Self::I8(_) => Width::One,
            Self::I16(_) => Width::Two,
            Self::I32(_) => Width::Four,
            Self::I64(_) => Width::Eight,
        }
    }

    pub(crate) fn write_le(self, out: &mut Vec<u8>) {
        match self {
            Self::I8(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

/// An unsigned integer element with its encoded width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnsignedInt {
    /// 1 byte.
    U8(u8),
    /// 2 bytes, little-endian.
    U16(u16),
    /// 4 bytes, little-endian.
    U32(u32),
    /// 8 bytes, little-endian.
    U64(u64),
}

impl UnsignedInt {
    /// The narrowest encoding of `value` (Matter 1.3 Appendix A).
    pub fn minimal(value: u64) -> Self {
        if let Ok(v) = u8::try_from(value) {
            Self::U8(v)
        } else if let Ok(v) = u16::try_from(value) {
            Self::U16(v)
        } else if let Ok(v) = u32::try_from(value) {
            Self::U32(v)
        } else {
            Self::U64(value)
        }
    }

    /// The value, whatever its width.
    pub fn get(self) -> u64 {
        match self {
            Self::U8(v) => u64::from(v),
            Self::U16(v) => u64::from(v),
            Self::U32(v) => u64::from(v),
            Self::U64(v) => v,
        }
    }

    /// The encoded width.
    pub fn width(self) -> Width {
        match self {
            Self::U8(_) => Width::One,
            Self::U16(_) => Width::Two,
            Self::U32(_) => Width::Four,
            Self::U64(_) => Width::Eight,
        }
    }

    pub(crate) fn write_le(self, out: &mut Vec<u8>) {
        match self {
            Self::U8(v) => out.push(v),
            Self::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_widths_at_the_boundaries() {
        assert_eq!(SignedInt::minimal(-128), SignedInt::I8(-128));
        assert_eq!(SignedInt::minimal(-129), SignedInt::I16(-129));
        assert_eq!(SignedInt::minimal(127), SignedInt::I8(127));
        assert_eq!(SignedInt::minimal(128), SignedInt::I16(128));
        assert_eq!(SignedInt::minimal(1 << 31), SignedInt::I64(1 << 31));
        assert_eq!(SignedInt::minimal(-(1 << 31)), SignedInt::I32(i32::MIN));
        assert_eq!(UnsignedInt::minimal(255), UnsignedInt::U8(255));
        assert_eq!(UnsignedInt::minimal(256), UnsignedInt::U16(256));
        assert_eq!(UnsignedInt::minimal(65536), UnsignedInt::U32(65536));
        assert_eq!(UnsignedInt::minimal(1 << 32), UnsignedInt::U64(1 << 32));
    }

    #[test]
    fn length_widths() {
        assert_eq!(Width::minimal_for_len(0), Width::One);
        assert_eq!(Width::minimal_for_len(255), Width::One);
        assert_eq!(Width::minimal_for_len(256), Width::Two);
        assert!(Width::Two.holds_len(65535));
        assert!(!Width::Two.holds_len(65536));
        for w in [Width::One, Width::Two, Width::Four, Width::Eight] {
            assert_eq!(Width::from_code(w.code()), w);
        }
    }

    #[test]
    fn little_endian_two_complement() {
        let mut out = Vec::new();
        SignedInt::I32(-170_000).write_le(&mut out);
        assert_eq!(out, [0xf0, 0x67, 0xfd, 0xff]);
        out.clear();
        UnsignedInt::U16(0x1234).write_le(&mut out);
        assert_eq!(out, [0x34, 0x12]);
    }
}
