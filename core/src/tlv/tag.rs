//! Element tags: which member an element is, and in how many bytes its tag is encoded
//! (Matter 1.3 Appendix A, tag control). The width is part of the value so that decoded
//! bytes re-encode identically.

use super::cursor::Cursor;
use super::error::TlvError;

/// A profile-specific tag number together with the width of its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TagNumber {
    /// Tag number encoded in 2 bytes.
    Short(u16),
    /// Tag number encoded in 4 bytes (even when it would fit in 2).
    Long(u32),
}

impl TagNumber {
    /// The narrowest encoding of `number`.
    pub fn minimal(number: u32) -> Self {
        match u16::try_from(number) {
            Ok(short) => Self::Short(short),
            Err(_) => Self::Long(number),
        }
    }

    /// The tag number, whatever its width.
    pub fn get(self) -> u32 {
        match self {
            Self::Short(n) => u32::from(n),
            Self::Long(n) => n,
        }
    }

    fn is_long(self) -> bool {
        matches!(self, Self::Long(_))
    }

    fn write(self, out: &mut Vec<u8>) {
        match self {
            Self::Short(n) => out.extend_from_slice(&n.to_le_bytes()),
            Self::Long(n) => out.extend_from_slice(&n.to_le_bytes()),
        }
    }
}

/// The tag of an element, in every form the tag-control bits allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tag {
    /// No tag (tag control 0): top-level elements, array members.
    Anonymous,
    /// Context-specific tag 0–255 (tag control 1): protocol structure fields.
    Context(u8),
    /// Common-profile tag, 2 or 4 bytes (tag control 2/3).
    CommonProfile(TagNumber),
    /// Implicit-profile tag, 2 or 4 bytes (tag control 4/5).
    ImplicitProfile(TagNumber),
    /// Fully-qualified tag, 6 bytes (2-byte number, tag control 6) or 8 bytes (4-byte number,
    /// tag control 7).
    FullyQualified {
        /// Vendor ID.
        vendor: u16,
        /// Profile number within the vendor.
        profile: u16,
        /// Tag number and its width.
        tag: TagNumber,
    },
}

/// A tag with its encoding width erased: two tags naming the same member have the same
/// identity (a 2-byte and a 4-byte common-profile tag 7 are duplicates of each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TagIdentity {
    form: u8,
    qualifier: u32,
    number: u32,
}

impl Tag {
    /// True for [`Tag::Anonymous`].
    pub fn is_anonymous(self) -> bool {
        self == Self::Anonymous
    }

    /// The context tag number, if this is a context-specific tag.
    pub fn context_number(self) -> Option<u8> {
        match self {
            Self::Context(n) => Some(n),
            _ => None,
        }
    }

    /// True when both tags name the same member, whatever their encoded widths.
    pub fn same_member(self, other: Tag) -> bool {
        self.identity() == other.identity()
    }

    pub(crate) fn identity(self) -> TagIdentity {
        let (form, qualifier, number) = match self {
            Self::Anonymous => (0, 0, 0),
            Self::Context(n) => (1, 0, u32::from(n)),
            Self::CommonProfile(n) => (2, 0, n.get()),
            Self::ImplicitProfile(n) => (3, 0, n.get()),
            Self::FullyQualified {
                vendor,
                profile,
                tag,
            } => (4, u32::from(vendor) << 16 | u32::from(profile), tag.get()),
        };
        TagIdentity {
            form,
            qualifier,
            number,
        }
    }

    /// The 3-bit tag-control field of the control byte (Matter 1.3 Appendix A).
    pub(crate) fn control(self) -> u8 {
        match self {
            Self::Anonymous => 0,
            Self::Context(_) => 1,
            Self::CommonProfile(n) => 2 + u8::from(n.is_long()),
            Self::ImplicitProfile(n) => 4 + u8::from(n.is_long()),
            Self::FullyQualified { tag, .. } => 6 + u8::from(tag.is_long()),
        }
    }

    /// Appends the tag bytes that follow the control byte.
    pub(crate) fn write(self, out: &mut Vec<u8>) {
        match self {
            Self::Anonymous => {}
            Self::Context(n) => out.push(n),
            Self::CommonProfile(n) | Self::ImplicitProfile(n) => n.write(out),
            Self::FullyQualified {
                vendor,
                profile,
                tag,
            } => {
                out.extend_from_slice(&vendor.to_le_bytes());
                out.extend_from_slice(&profile.to_le_bytes());
                tag.write(out);
            }
        }
    }

    /// Reads the tag bytes for tag control `control` (0–7; higher bits are ignored).
    pub(crate) fn read(control: u8, cursor: &mut Cursor<'_>) -> Result<Tag, TlvError> {
        let number = |cursor: &mut Cursor<'_>, long: bool| -> Result<TagNumber, TlvError> {
            Ok(if long {
                TagNumber::Long(cursor.u32_le()?)
            } else {
                TagNumber::Short(cursor.u16_le()?)
            })
        };
        let long = control & 1 == 1;
        Ok(match control & 0b111 {
            0 => Self::Anonymous,
            1 => Self::Context(cursor.u8()?),
            2 | 3 => Self::CommonProfile(number(cursor, long)?),
            4 | 5 => Self::ImplicitProfile(number(cursor, long)?),
            _ => {
                let vendor = cursor.u16_le()?;
                let profile = cursor.u16_le()?;
                Self::FullyQualified {
                    vendor,
                    profile,
                    tag: number(cursor, long)?,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(tag: Tag) -> Vec<u8> {
        let mut out = Vec::new();
        tag.write(&mut out);
        let mut cursor = Cursor::new(&out);
        assert_eq!(Tag::read(tag.control(), &mut cursor), Ok(tag));
        assert!(cursor.is_at_end());
        out
    }

    #[test]
    fn every_form_round_trips_with_its_width() {
        assert_eq!(round_trip(Tag::Anonymous), b"");
        assert_eq!(round_trip(Tag::Context(9)), [9]);
        assert_eq!(round_trip(Tag::CommonProfile(TagNumber::Short(1))), [1, 0]);
        assert_eq!(
            round_trip(Tag::CommonProfile(TagNumber::Long(1))),
            [1, 0, 0, 0]
        );
        assert_eq!(
            round_trip(Tag::ImplicitProfile(TagNumber::Long(0x1234_5678))),
            [0x78, 0x56, 0x34, 0x12]
        );
        assert_eq!(
            round_trip(Tag::FullyQualified {
                vendor: 0xfff1,
                profile: 0xdeed,
                tag: TagNumber::Short(1)
            }),
            [0xf1, 0xff, 0xed, 0xde, 1, 0]
        );
    }

    #[test]
    fn control_values_match_the_table() {
        let fq = |tag| Tag::FullyQualified {
            vendor: 0,
            profile: 0,
            tag,
        };
        let controls = [
            Tag::Anonymous.control(),
            Tag::Context(0).control(),
            Tag::CommonProfile(TagNumber::Short(0)).control(),
            Tag::CommonProfile(TagNumber::Long(0)).control(),
            Tag::ImplicitProfile(TagNumber::Short(0)).control(),
            Tag::ImplicitProfile(TagNumber::Long(0)).control(),
            fq(TagNumber::Short(0)).control(),
            fq(TagNumber::Long(0)).control(),
        ];
        assert_eq!(controls, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn identity_ignores_width_but_not_form() {
        let short = Tag::CommonProfile(TagNumber::Short(7));
        let long = Tag::CommonProfile(TagNumber::Long(7));
        assert_ne!(short, long);
        assert!(short.same_member(long));
        assert!(!short.same_member(Tag::ImplicitProfile(TagNumber::Short(7))));
        assert!(!Tag::Context(7).same_member(short));
        assert_eq!(TagNumber::minimal(65535), TagNumber::Short(65535));
        assert_eq!(TagNumber::minimal(65536), TagNumber::Long(65536));
    }

    #[test]
    fn truncated_tag_bytes_fail() {
        let mut cursor = Cursor::new(&[0xf1, 0xff, 0xed]);
        assert_eq!(Tag::read(6, &mut cursor), Err(TlvError::Truncated));
    }
}
