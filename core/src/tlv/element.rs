//! One decoded element as the pull reader yields it, borrowing strings from the input, and
//! the element-type codes of the control byte (Matter 1.3 Appendix A).

use super::int::{SignedInt, UnsignedInt, Width};
use super::tag::Tag;

/// Element-type codes (low 5 bits of the control byte). Integer and string codes are the
/// base of a group of four; the low two bits give the width ([`Width`]).
pub(crate) mod element_type {
    pub(crate) const SIGNED_INT: u8 = 0x00;
    pub(crate) const UNSIGNED_INT: u8 = 0x04;
    pub(crate) const FALSE: u8 = 0x08;
    pub(crate) const TRUE: u8 = 0x09;
    pub(crate) const FLOAT32: u8 = 0x0a;
    pub(crate) const FLOAT64: u8 = 0x0b;
    pub(crate) const UTF8: u8 = 0x0c;
    pub(crate) const BYTES: u8 = 0x10;
    pub(crate) const NULL: u8 = 0x14;
    pub(crate) const STRUCTURE: u8 = 0x15;
    pub(crate) const ARRAY: u8 = 0x16;
    pub(crate) const LIST: u8 = 0x17;
    pub(crate) const END_OF_CONTAINER: u8 = 0x18;
    /// First reserved code; 0x19–0x1F must be rejected.
    pub(crate) const FIRST_RESERVED: u8 = 0x19;
}

/// The three container types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// Members have unique tags; order is not significant.
    Structure,
    /// Members are anonymous; order is significant.
    Array,
    /// Members may be tagged; order is significant.
    List,
}

impl ContainerKind {
    pub(crate) fn element_type(self) -> u8 {
        match self {
            Self::Structure => element_type::STRUCTURE,
            Self::Array => element_type::ARRAY,
            Self::List => element_type::LIST,
        }
    }
}

/// The value part of one element as read from the input. Strings borrow from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementValue<'a> {
    /// Signed integer with the width it was encoded in.
    Int(SignedInt),
    /// Unsigned integer with the width it was encoded in.
    UInt(UnsignedInt),
    /// Boolean.
    Bool(bool),
    /// Single-precision float, as raw IEEE-754 bits so every NaN payload survives.
    F32 {
        /// IEEE-754 binary32 bits.
        bits: u32,
    },
    /// Double-precision float, as raw IEEE-754 bits.
    F64 {
        /// IEEE-754 binary64 bits.
        bits: u64,
    },
    /// UTF-8 string (validated) and the width of its length field.
    Utf8 {
        /// The string, borrowed from the input.
        value: &'a str,
        /// Width of the length field it was encoded with.
        len_width: Width,
    },
    /// Octet string and the width of its length field.
    Bytes {
        /// The bytes, borrowed from the input.
        value: &'a [u8],
        /// Width of the length field it was encoded with.
        len_width: Width,
    },
    /// Null.
    Null,
    /// Start of a structure, array or list; its members follow, then [`Self::ContainerEnd`].
    ContainerStart(ContainerKind),
    /// End of the innermost open container.
    ContainerEnd,
}

impl ElementValue<'_> {
    /// The float value of an `F32` element.
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            Self::F32 { bits } => Some(f32::from_bits(bits)),
            _ => None,
        }
    }

    /// The float value of an `F64` element.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F64 { bits } => Some(f64::from_bits(bits)),
            _ => None,
        }
    }
}

/// One element read by [`Reader`](super::Reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// The element's tag ([`Tag::Anonymous`] for end-of-container).
    pub tag: Tag,
    /// The element's value, or a container start/end marker.
    pub value: ElementValue<'a>,
    /// Offset of the element's control byte in the reader's input: with
    /// [`Reader::position`](super::Reader::position) after the element (or after
    /// [`Reader::skip_container`](super::Reader::skip_container) for a container) it gives the
    /// element's exact bytes.
    pub offset: usize,
}
