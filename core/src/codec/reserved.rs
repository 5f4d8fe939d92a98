//! Reserved flag bits, kept as received.
//!
//! The spec says reserved bits are sent as 0 and ignored on receive (Matter 1.3 §4.4.1,
//! Matter 1.3 §4.4.3). paseo ignores them for every decision but keeps them so that a decoded
//! header re-encodes to exactly the bytes received.

/// The reserved bits of one flags byte; `MASK` selects which bits are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reserved<const MASK: u8>(u8);

impl<const MASK: u8> Reserved<MASK> {
    /// All reserved bits clear: what paseo sends.
    pub const ZERO: Self = Self(0);

    /// Keeps the reserved bits of `flags`, dropping every other bit.
    pub const fn from_flags(flags: u8) -> Self {
        Self(flags & MASK)
    }

    /// The reserved bits, in their positions within the flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True when no reserved bit is set.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, const MASK: u8> arbitrary::Arbitrary<'a> for Reserved<MASK> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        u8::arbitrary(u).map(Self::from_flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_non_reserved_bits() {
        let r = Reserved::<0x1c>::from_flags(0xff);
        assert_eq!(r.bits(), 0x1c);
        assert!(!r.is_zero());
        assert!(Reserved::<0x1c>::from_flags(0xe3).is_zero());
    }
}
