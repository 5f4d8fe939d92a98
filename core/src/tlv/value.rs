//! Owned element tree: one tag and one typed value per node, containers holding their members
//! in order. Widths are kept, so `encode_value(&decode_element(b)?)? == b` for every accepted `b`.

use super::element::{ContainerKind, Element, ElementValue};
use super::error::TlvError;
use super::int::{SignedInt, UnsignedInt, Width};
use super::reader::Reader;
use super::seen::SeenTags;
use super::tag::Tag;
use super::writer::Writer;

/// One element with its tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Value {
    /// The element's tag.
    pub tag: Tag,
    /// The element's value.
    pub data: Data,
}

/// The typed value of an owned element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Data {
    /// Signed integer with its width.
    Int(SignedInt),
    /// Unsigned integer with its width.
    UInt(UnsignedInt),
    /// Boolean.
    Bool(bool),
    /// Single-precision float as IEEE-754 bits (exact, NaN payloads included).
    F32 {
        /// IEEE-754 binary32 bits.
        bits: u32,
    },
    /// Double-precision float as IEEE-754 bits.
    F64 {
        /// IEEE-754 binary64 bits.
        bits: u64,
    },
    /// UTF-8 string with the width of its length field.
    Utf8 {
        /// The string.
        value: String,
        /// Width of its length field.
        len_width: Width,
    },
    /// Octet string with the width of its length field.
    Bytes {
        /// The bytes.
        value: Vec<u8>,
        /// Width of its length field.
        len_width: Width,
    },
    /// Null.
    Null,
    /// Structure: tagged members with unique tags, in encoded order.
    Struct(Vec<Value>),
    /// Array: anonymous members.
    Array(Vec<Value>),
    /// List: members in order, tagged or not.
    List(Vec<Value>),
}

impl Value {
    /// A value from its parts.
    pub fn new(tag: Tag, data: Data) -> Self {
        Self { tag, data }
    }
}

impl Data {
    /// UTF-8 string with the smallest length field.
    pub fn utf8(value: impl Into<String>) -> Self {
        let value = value.into();
        let len_width = Width::minimal_for_len(value.len());
        Self::Utf8 { value, len_width }
    }

    /// Octet string with the smallest length field.
    pub fn bytes(value: impl Into<Vec<u8>>) -> Self {
        let value = value.into();
        let len_width = Width::minimal_for_len(value.len());
        Self::Bytes { value, len_width }
    }

    /// The members of a container value.
    pub fn members(&self) -> Option<&[Value]> {
        match self {
            Self::Struct(m) | Self::Array(m) | Self::List(m) => Some(m),
            _ => None,
        }
    }
}

/// Decodes exactly one element (with everything it contains) from `input`; bytes after it are
/// an error ([`TlvError::TrailingBytes`]), as are duplicate tags within a structure
/// (Matter 1.3 Appendix A).
pub fn decode_element(input: &[u8]) -> Result<Value, TlvError> {
    let mut reader = Reader::new(input);
    let first = reader.next()?.ok_or(TlvError::Truncated)?;
    let value = build(&mut reader, first)?;
    if reader.position() != input.len() {
        return Err(TlvError::TrailingBytes);
    }
    Ok(value)
}

/// Encodes `value` in exactly the widths and member order it holds. Fails if the tree breaks a
/// rule the decoder enforces (tagged array member, anonymous or repeated structure member,
/// nesting beyond [`MAX_DEPTH`](super::MAX_DEPTH), string too long for its length width).
pub fn encode_value(value: &Value) -> Result<Vec<u8>, TlvError> {
    let mut writer = Writer::new();
    writer.put_value(value);
    writer.finish()
}

impl Writer {
    /// Appends `value` and all it contains, in its own widths and order.
    pub fn put_value(&mut self, value: &Value) {
        let tag = value.tag;
        match &value.data {
            Data::Int(v) => self.put_int_exact(tag, *v),
            Data::UInt(v) => self.put_uint_exact(tag, *v),
            Data::Bool(v) => self.put_bool(tag, *v),
            Data::F32 { bits } => self.put_f32_bits(tag, *bits),
            Data::F64 { bits } => self.put_f64_bits(tag, *bits),
            Data::Utf8 { value, len_width } => self.put_utf8_with_len_width(tag, value, *len_width),
            Data::Bytes { value, len_width } => {
                self.put_bytes_with_len_width(tag, value, *len_width)
            }
            Data::Null => self.put_null(tag),
            Data::Struct(members) => self.put_container(tag, ContainerKind::Structure, members),
            Data::Array(members) => self.put_container(tag, ContainerKind::Array, members),
            Data::List(members) => self.put_container(tag, ContainerKind::List, members),
        }
    }

    fn put_container(&mut self, tag: Tag, kind: ContainerKind, members: &[Value]) {
        let depth = self.depth();
        self.start_container(tag, kind);
        // A refused start (fault recorded) leaves the depth unchanged; stopping here bounds the
        // recursion by MAX_DEPTH even for a hand-built tree nested deeper than that.
        if self.depth() == depth {
            return;
        }
        for member in members {
            self.put_value(member);
        }
        self.end_container();
    }
}

/// Turns `element` (already read) into an owned value, reading a container's members. The
/// recursion is bounded by the reader's depth limit.
fn build(reader: &mut Reader<'_>, element: Element<'_>) -> Result<Value, TlvError> {
    let data = match element.value {
        ElementValue::Int(v) => Data::Int(v),
        ElementValue::UInt(v) => Data::UInt(v),
        ElementValue::Bool(v) => Data::Bool(v),
        ElementValue::F32 { bits } => Data::F32 { bits },
        ElementValue::F64 { bits } => Data::F64 { bits },
        ElementValue::Utf8 { value, len_width } => Data::Utf8 {
            value: value.to_owned(),
            len_width,
        },
        ElementValue::Bytes { value, len_width } => Data::Bytes {
            value: value.to_vec(),
            len_width,
        },
        ElementValue::Null => Data::Null,
        ElementValue::ContainerStart(kind) => {
            let mut members = Vec::new();
            loop {
                let member = reader.next()?.ok_or(TlvError::Truncated)?;
                if member.value == ElementValue::ContainerEnd {
                    break;
                }
                members.push(build(reader, member)?);
            }
            match kind {
                ContainerKind::Structure => {
                    reject_duplicate_tags(&members)?;
                    Data::Struct(members)
                }
                ContainerKind::Array => Data::Array(members),
                ContainerKind::List => Data::List(members),
            }
        }
        // The caller never passes an end-of-container: decode_element's first element would
        // have failed in the reader (no open container), and the loop above stops on one.
        ElementValue::ContainerEnd => return Err(TlvError::UnexpectedEnd),
    };
    Ok(Value {
        tag: element.tag,
        data,
    })
}

fn reject_duplicate_tags(members: &[Value]) -> Result<(), TlvError> {
    let mut seen = SeenTags::default();
    for member in members {
        if !seen.insert(member.tag) {
            return Err(TlvError::DuplicateTag(member.tag));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::TagNumber;

    #[test]
    fn decode_keeps_widths_and_order() {
        // { 2: 1U as 2 bytes, 1: "a" with a 2-byte length }
        let input = [
            0x15, 0x25, 0x02, 0x01, 0x00, 0x2d, 0x01, 0x01, 0x00, b'a', 0x18,
        ];
        let value = decode_element(&input).unwrap();
        assert_eq!(
            value,
            Value::new(
                Tag::Anonymous,
                Data::Struct(vec![
                    Value::new(Tag::Context(2), Data::UInt(UnsignedInt::U16(1))),
                    Value::new(
                        Tag::Context(1),
                        Data::Utf8 {
                            value: "a".into(),
                            len_width: Width::Two
                        }
                    ),
                ])
            )
        );
        assert_eq!(encode_value(&value).unwrap(), input);
    }

    #[test]
    fn exactly_one_element() {
        assert_eq!(decode_element(&[]), Err(TlvError::Truncated));
        assert_eq!(decode_element(&[0x08, 0x08]), Err(TlvError::TrailingBytes));
        assert_eq!(
            decode_element(&[0x15, 0x18, 0x18]),
            Err(TlvError::TrailingBytes)
        );
    }

    #[test]
    fn duplicate_structure_tags_are_rejected_lists_may_repeat() {
        let duplicate = [0x15, 0x28, 0x01, 0x29, 0x01, 0x18];
        assert_eq!(
            decode_element(&duplicate),
            Err(TlvError::DuplicateTag(Tag::Context(1)))
        );
        let list = [0x17, 0x28, 0x01, 0x29, 0x01, 0x18];
        assert!(decode_element(&list).is_ok());
    }

    #[test]
    fn encode_rejects_trees_the_decoder_would_reject() {
        let tagged_in_array = Value::new(
            Tag::Anonymous,
            Data::Array(vec![Value::new(Tag::Context(1), Data::Null)]),
        );
        assert_eq!(
            encode_value(&tagged_in_array),
            Err(TlvError::ArrayMemberTagged)
        );
        let duplicate = Value::new(
            Tag::Anonymous,
            Data::Struct(vec![
                Value::new(Tag::ImplicitProfile(TagNumber::Short(5)), Data::Null),
                Value::new(Tag::ImplicitProfile(TagNumber::Long(5)), Data::Null),
            ]),
        );
        assert!(matches!(
            encode_value(&duplicate),
            Err(TlvError::DuplicateTag(_))
        ));
        let mut deep = Value::new(Tag::Anonymous, Data::Null);
        for _ in 0..1000 {
            deep = Value::new(Tag::Anonymous, Data::List(vec![deep]));
        }
        assert_eq!(encode_value(&deep), Err(TlvError::DepthExceeded));
    }
}
