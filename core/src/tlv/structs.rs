//! Views for protocol messages: a structure's members indexed by context tag, with typed,
//! range-checked getters, and an array/list's members in order. Each member keeps its exact
//! encoded bytes, because transcript hashes are taken over the bytes as sent
//! (Matter 1.3 Appendix A).
//!
//! Integer getters accept any encoded width and range-check against the field type (Matter 1.3
//! Appendix A: a u16 field may arrive as a 1-byte integer). Context tags a caller never asks for
//! are ignored, so newer peers can add fields (Matter 1.3 Appendix A, session parameters tags 8 and
//! 9).

use super::element::{ContainerKind, ElementValue};
use super::error::TlvError;
use super::reader::Reader;
use super::seen::SeenTags;
use super::tag::Tag;

/// One member of a structure, array or list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The member's tag.
    pub tag: Tag,
    /// Its value; for a container only the [`ElementValue::ContainerStart`] marker (open it with
    /// [`Member::structure`] or [`Member::sequence`]).
    pub value: ElementValue<'a>,
    /// The member's exact bytes, from its control byte through its last byte (for a container,
    /// its end-of-container).
    pub raw: &'a [u8],
}

impl<'a> Member<'a> {
    fn wrong_type(&self, expected: &'static str) -> TlvError {
        TlvError::WrongType {
            tag: self.tag,
            expected,
        }
    }

    /// An unsigned integer of any width.
    pub fn u64(&self) -> Result<u64, TlvError> {
        match self.value {
            ElementValue::UInt(v) => Ok(v.get()),
            _ => Err(self.wrong_type("an unsigned integer")),
        }
    }

    fn narrow<T: TryFrom<u64>>(&self) -> Result<T, TlvError> {
        T::try_from(self.u64()?).map_err(|_| TlvError::OutOfRange { tag: self.tag })
    }

    /// An unsigned integer of any width that fits in a `u8`.
    pub fn u8(&self) -> Result<u8, TlvError> {
        self.narrow()
    }

    /// An unsigned integer of any width that fits in a `u16`.
    pub fn u16(&self) -> Result<u16, TlvError> {
        self.narrow()
    }

    /// An unsigned integer of any width that fits in a `u32`.
    pub fn u32(&self) -> Result<u32, TlvError> {
        self.narrow()
    }

    /// A signed integer of any width.
    pub fn i64(&self) -> Result<i64, TlvError> {
        match self.value {
            ElementValue::Int(v) => Ok(v.get()),
            _ => Err(self.wrong_type("a signed integer")),
        }
    }

    /// A boolean.
    pub fn bool(&self) -> Result<bool, TlvError> {
        match self.value {
            ElementValue::Bool(v) => Ok(v),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    /// An octet string, borrowed from the input.
    pub fn bytes(&self) -> Result<&'a [u8], TlvError> {
        match self.value {
            ElementValue::Bytes { value, .. } => Ok(value),
            _ => Err(self.wrong_type("an octet string")),
        }
    }

    /// A UTF-8 string, borrowed from the input.
    pub fn utf8(&self) -> Result<&'a str, TlvError> {
        match self.value {
            ElementValue::Utf8 { value, .. } => Ok(value),
            _ => Err(self.wrong_type("a UTF-8 string")),
        }
    }

    /// True if the member is null (nullable fields).
    pub fn is_null(&self) -> bool {
        self.value == ElementValue::Null
    }

    /// A structure member as a view.
    pub fn structure(&self) -> Result<StructView<'a>, TlvError> {
        match self.value {
            ElementValue::ContainerStart(ContainerKind::Structure) => StructView::parse(self.raw),
            _ => Err(self.wrong_type("a structure")),
        }
    }

    /// An array or list member as a view.
    pub fn sequence(&self) -> Result<SequenceView<'a>, TlvError> {
        match self.value {
            ElementValue::ContainerStart(ContainerKind::Array | ContainerKind::List) => {
                SequenceView::parse(self.raw)
            }
            _ => Err(self.wrong_type("an array or list")),
        }
    }

    fn sequence_of(
        &self,
        kind: ContainerKind,
        expected: &'static str,
    ) -> Result<SequenceView<'a>, TlvError> {
        if self.value != ElementValue::ContainerStart(kind) {
            return Err(self.wrong_type(expected));
        }
        SequenceView::parse(self.raw)
    }
}

/// Room reserved for a container's members on its first member: every Sigma/PASE message
/// (Sigma1 has at most 7 fields) and the usual session parameters fit, so a view allocates once
/// instead of regrowing (4, then 8). Members are not stored inline: a view is moved by value and
/// sits in other enums, so it stays small.
const FIRST_CAPACITY: usize = 8;

/// Reads one container element spanning all of `input`: returns its tag and kind and fills
/// `members`.
fn parse_container<'a>(
    input: &'a [u8],
    members: &mut Vec<Member<'a>>,
) -> Result<(Tag, ContainerKind), TlvError> {
    let mut reader = Reader::new(input);
    let head = reader.next()?.ok_or(TlvError::Truncated)?;
    let ElementValue::ContainerStart(kind) = head.value else {
        return Err(TlvError::WrongType {
            tag: head.tag,
            expected: "a container",
        });
    };
    loop {
        let element = reader.next()?.ok_or(TlvError::Truncated)?;
        match element.value {
            ElementValue::ContainerEnd => break,
            ElementValue::ContainerStart(_) => reader.skip_container()?,
            _ => {}
        }
        // The reader only moves forward within `input`, so this range is always in bounds.
        let raw = input
            .get(element.offset..reader.position())
            .ok_or(TlvError::Truncated)?;
        if members.capacity() == 0 {
            members.reserve_exact(FIRST_CAPACITY);
        }
        members.push(Member {
            tag: element.tag,
            value: element.value,
            raw,
        });
    }
    if reader.position() != input.len() {
        return Err(TlvError::TrailingBytes);
    }
    Ok((head.tag, kind))
}

/// A structure's members, looked up by context tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructView<'a> {
    tag: Tag,
    raw: &'a [u8],
    members: Vec<Member<'a>>,
}

impl<'a> StructView<'a> {
    /// Parses `input`, which must be exactly one structure element (any tag, so a nested
    /// member's raw bytes work as well as a whole payload). Every nested element is checked for
    /// well-formedness; duplicate member tags are rejected at this level (Matter 1.3 Appendix A),
    /// and inside a nested structure when that structure is opened (a member nobody opens, such as
    /// an unknown tag, is only checked for well-formedness).
    pub fn parse(input: &'a [u8]) -> Result<Self, TlvError> {
        Self::parse_checked(input, false)
    }

    /// Parses a PASE/CASE payload, whose top-level element must be an anonymous structure
    /// (Matter 1.3 Appendix A).
    pub fn parse_anonymous(input: &'a [u8]) -> Result<Self, TlvError> {
        Self::parse_checked(input, true)
    }

    /// [`Self::parse`], then (when asked) the anonymous-tag check, in one function so the view
    /// is built once in place rather than moved between the two.
    fn parse_checked(input: &'a [u8], anonymous: bool) -> Result<Self, TlvError> {
        let mut view = Self {
            tag: Tag::Anonymous,
            raw: input,
            members: Vec::new(),
        };
        let (tag, kind) = parse_container(input, &mut view.members)?;
        view.tag = tag;
        if kind != ContainerKind::Structure {
            return Err(TlvError::WrongType {
                tag,
                expected: "a structure",
            });
        }
        let mut seen = SeenTags::default();
        for member in &view.members {
            if !seen.insert(member.tag) {
                return Err(TlvError::DuplicateTag(member.tag));
            }
        }
        if anonymous && !tag.is_anonymous() {
            return Err(TlvError::WrongType {
                tag,
                expected: "an anonymous structure",
            });
        }
        Ok(view)
    }

    /// The structure's own tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The structure's exact bytes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// All members in encoded order, including ones with non-context tags.
    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }

    /// The member with context tag `ctx`.
    pub fn member(&self, ctx: u8) -> Option<&Member<'a>> {
        self.members.iter().find(|m| m.tag == Tag::Context(ctx))
    }

    /// The exact bytes of the member with context tag `ctx`.
    pub fn raw_member(&self, ctx: u8) -> Option<&'a [u8]> {
        self.member(ctx).map(|m| m.raw)
    }

    fn get<T>(
        &self,
        ctx: u8,
        read: impl FnOnce(&Member<'a>) -> Result<T, TlvError>,
    ) -> Result<Option<T>, TlvError> {
        self.member(ctx).map(read).transpose()
    }

    /// Optional unsigned field that must fit a `u8`.
    pub fn u8(&self, ctx: u8) -> Result<Option<u8>, TlvError> {
        self.get(ctx, Member::u8)
    }

    /// Optional unsigned field that must fit a `u16`.
    pub fn u16(&self, ctx: u8) -> Result<Option<u16>, TlvError> {
        self.get(ctx, Member::u16)
    }

    /// Optional unsigned field that must fit a `u32`.
    pub fn u32(&self, ctx: u8) -> Result<Option<u32>, TlvError> {
        self.get(ctx, Member::u32)
    }

    /// Optional unsigned field.
    pub fn u64(&self, ctx: u8) -> Result<Option<u64>, TlvError> {
        self.get(ctx, Member::u64)
    }

    /// Optional signed field.
    pub fn i64(&self, ctx: u8) -> Result<Option<i64>, TlvError> {
        self.get(ctx, Member::i64)
    }

    /// Optional boolean field.
    pub fn bool(&self, ctx: u8) -> Result<Option<bool>, TlvError> {
        self.get(ctx, Member::bool)
    }

    /// Optional octet-string field.
    pub fn bytes(&self, ctx: u8) -> Result<Option<&'a [u8]>, TlvError> {
        self.get(ctx, Member::bytes)
    }

    /// Optional UTF-8 string field.
    pub fn utf8(&self, ctx: u8) -> Result<Option<&'a str>, TlvError> {
        self.get(ctx, Member::utf8)
    }

    /// Optional nested structure.
    pub fn structure(&self, ctx: u8) -> Result<Option<StructView<'a>>, TlvError> {
        self.get(ctx, Member::structure)
    }

    /// Optional array field.
    pub fn array(&self, ctx: u8) -> Result<Option<SequenceView<'a>>, TlvError> {
        self.get(ctx, |m| m.sequence_of(ContainerKind::Array, "an array"))
    }

    /// Optional list field.
    pub fn list(&self, ctx: u8) -> Result<Option<SequenceView<'a>>, TlvError> {
        self.get(ctx, |m| m.sequence_of(ContainerKind::List, "a list"))
    }

    /// Required unsigned field that must fit a `u8`.
    pub fn required_u8(&self, ctx: u8) -> Result<u8, TlvError> {
        required(ctx, self.u8(ctx))
    }

    /// Required unsigned field that must fit a `u16`.
    pub fn required_u16(&self, ctx: u8) -> Result<u16, TlvError> {
        required(ctx, self.u16(ctx))
    }

    /// Required unsigned field that must fit a `u32`.
    pub fn required_u32(&self, ctx: u8) -> Result<u32, TlvError> {
        required(ctx, self.u32(ctx))
    }

    /// Required unsigned field.
    pub fn required_u64(&self, ctx: u8) -> Result<u64, TlvError> {
        required(ctx, self.u64(ctx))
    }

    /// Required signed field.
    pub fn required_i64(&self, ctx: u8) -> Result<i64, TlvError> {
        required(ctx, self.i64(ctx))
    }

    /// Required boolean field.
    pub fn required_bool(&self, ctx: u8) -> Result<bool, TlvError> {
        required(ctx, self.bool(ctx))
    }

    /// Required octet-string field.
    pub fn required_bytes(&self, ctx: u8) -> Result<&'a [u8], TlvError> {
        required(ctx, self.bytes(ctx))
    }

    /// Required UTF-8 string field.
    pub fn required_utf8(&self, ctx: u8) -> Result<&'a str, TlvError> {
        required(ctx, self.utf8(ctx))
    }

    /// Required nested structure.
    pub fn required_structure(&self, ctx: u8) -> Result<StructView<'a>, TlvError> {
        required(ctx, self.structure(ctx))
    }

    /// Required array field.
    pub fn required_array(&self, ctx: u8) -> Result<SequenceView<'a>, TlvError> {
        required(ctx, self.array(ctx))
    }

    /// Required list field.
    pub fn required_list(&self, ctx: u8) -> Result<SequenceView<'a>, TlvError> {
        required(ctx, self.list(ctx))
    }
}

fn required<T>(ctx: u8, field: Result<Option<T>, TlvError>) -> Result<T, TlvError> {
    field?.ok_or(TlvError::MissingField(ctx))
}

/// An array's or list's members in encoded order (lists may repeat tags; order is significant,
/// e.g. certificate distinguished names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceView<'a> {
    tag: Tag,
    kind: ContainerKind,
    raw: &'a [u8],
    members: Vec<Member<'a>>,
}

impl<'a> SequenceView<'a> {
    /// Parses `input`, which must be exactly one array or list element (any tag).
    pub fn parse(input: &'a [u8]) -> Result<Self, TlvError> {
        let mut view = Self {
            tag: Tag::Anonymous,
            kind: ContainerKind::Array,
            raw: input,
            members: Vec::new(),
        };
        let (tag, kind) = parse_container(input, &mut view.members)?;
        if kind == ContainerKind::Structure {
            return Err(TlvError::WrongType {
                tag,
                expected: "an array or list",
            });
        }
        view.tag = tag;
        view.kind = kind;
        Ok(view)
    }

    /// The container's own tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// [`ContainerKind::Array`] or [`ContainerKind::List`].
    pub fn kind(&self) -> ContainerKind {
        self.kind
    }

    /// The container's exact bytes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Members in encoded order.
    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::{TagNumber, Writer};

    /// { 1: 7U (1 byte), 2: 300U (2 bytes), 3: 70000U (4 bytes), 4: h'0102', 5: "hi",
    ///   6: true, 7: { 1: 5U }, 9: -1, 200: null (unknown), 10: [1U, 2U], 11: list[ctx 0: false] }
    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(1), 7);
        w.put_uint(Tag::Context(2), 300);
        w.put_uint(Tag::Context(3), 70_000);
        w.put_bytes(Tag::Context(4), &[1, 2]);
        w.put_utf8(Tag::Context(5), "hi");
        w.put_bool(Tag::Context(6), true);
        w.start_struct(Tag::Context(7));
        w.put_uint(Tag::Context(1), 5);
        w.end_container();
        w.put_int(Tag::Context(9), -1);
        w.put_null(Tag::Context(200));
        w.start_array(Tag::Context(10));
        w.put_uint(Tag::Anonymous, 1);
        w.put_uint(Tag::Anonymous, 2);
        w.end_container();
        w.start_list(Tag::Context(11));
        w.put_bool(Tag::Context(0), false);
        w.end_container();
        w.end_container();
        w.finish().unwrap()
    }

    #[test]
    fn typed_getters_read_present_fields() {
        let bytes = sample();
        let view = StructView::parse_anonymous(&bytes).unwrap();
        assert_eq!(view.required_u8(1), Ok(7));
        assert_eq!(view.required_u16(2), Ok(300));
        assert_eq!(view.required_u32(3), Ok(70_000));
        assert_eq!(view.required_bytes(4), Ok(&[1u8, 2][..]));
        assert_eq!(view.required_utf8(5), Ok("hi"));
        assert_eq!(view.required_bool(6), Ok(true));
        assert_eq!(view.required_structure(7).unwrap().required_u16(1), Ok(5));
        assert_eq!(view.required_i64(9), Ok(-1));
        let array = view.required_array(10).unwrap();
        let items: Vec<u64> = array.members().iter().map(|m| m.u64().unwrap()).collect();
        assert_eq!(items, [1, 2]);
        let list = view.required_list(11).unwrap();
        assert_eq!(list.members()[0].tag, Tag::Context(0));
        assert_eq!(list.members()[0].bool(), Ok(false));
    }

    #[test]
    fn narrow_encodings_are_accepted_for_wide_fields() {
        // Matter 1.3 Appendix A: a u16 / u32 / u64 field may arrive as a 1-byte integer.
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(view.u16(1), Ok(Some(7)));
        assert_eq!(view.u32(1), Ok(Some(7)));
        assert_eq!(view.u64(2), Ok(Some(300)));
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(
            view.u8(2),
            Err(TlvError::OutOfRange {
                tag: Tag::Context(2)
            })
        );
        assert_eq!(
            view.required_u16(3),
            Err(TlvError::OutOfRange {
                tag: Tag::Context(3)
            })
        );
    }

    #[test]
    fn missing_fields() {
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(view.u16(8), Ok(None));
        assert_eq!(view.bytes(8), Ok(None));
        assert_eq!(view.required_u16(8), Err(TlvError::MissingField(8)));
        assert_eq!(view.required_bytes(12), Err(TlvError::MissingField(12)));
        assert!(matches!(
            view.required_structure(8),
            Err(TlvError::MissingField(8))
        ));
    }

    #[test]
    fn wrong_types_are_rejected() {
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        assert!(matches!(
            view.u16(4),
            Err(TlvError::WrongType {
                tag: Tag::Context(4),
                ..
            })
        ));
        assert!(matches!(view.bytes(5), Err(TlvError::WrongType { .. })));
        assert!(matches!(view.utf8(4), Err(TlvError::WrongType { .. })));
        assert!(matches!(view.bool(1), Err(TlvError::WrongType { .. })));
        // A signed integer is not accepted for an unsigned field, even when non-negative.
        assert!(matches!(view.u64(9), Err(TlvError::WrongType { .. })));
        assert!(matches!(
            view.structure(10),
            Err(TlvError::WrongType { .. })
        ));
        assert!(matches!(view.list(10), Err(TlvError::WrongType { .. })));
        assert!(matches!(view.array(11), Err(TlvError::WrongType { .. })));
        assert!(matches!(
            StructView::parse(&[0x16, 0x18]),
            Err(TlvError::WrongType { .. })
        ));
        assert!(matches!(
            StructView::parse(&[0x04, 0x01]),
            Err(TlvError::WrongType { .. })
        ));
        assert!(matches!(
            StructView::parse_anonymous(&[0x35, 0x01, 0x18]),
            Err(TlvError::WrongType { .. })
        ));
    }

    #[test]
    fn unknown_context_tags_are_skipped() {
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        // Tag 200 is parsed, kept in members(), and ignored by every getter for other tags.
        assert!(view.member(200).unwrap().is_null());
        assert_eq!(view.required_u8(1), Ok(7));
        // A struct with unknown tags in and around the known one.
        let with_extras = [
            0x15, 0x24, 0x08, 0x01, 0x35, 0x09, 0x24, 0x01, 0x02, 0x18, 0x25, 0x03, 0xa0, 0x0f,
            0x44, 0x01, 0x00, 0x00, 0x18,
        ];
        let params = StructView::parse(&with_extras).unwrap();
        assert_eq!(params.required_u16(3), Ok(4000));
        assert_eq!(params.members().len(), 4);
    }

    #[test]
    fn duplicate_tags_are_rejected() {
        let duplicate = [0x15, 0x24, 0x01, 0x01, 0x24, 0x01, 0x02, 0x18];
        assert_eq!(
            StructView::parse(&duplicate),
            Err(TlvError::DuplicateTag(Tag::Context(1)))
        );
        let same_member_other_width = [
            0x15, 0x44, 0x05, 0x00, 0x08, 0x64, 0x05, 0, 0, 0, 0x09, 0x18,
        ];
        assert_eq!(
            StructView::parse(&same_member_other_width),
            Err(TlvError::DuplicateTag(Tag::CommonProfile(TagNumber::Long(
                5
            ))))
        );
    }

    #[test]
    fn nested_duplicates_are_reported_when_opened() {
        // { 1: { 0: false, 0: true } }
        let input = [0x15, 0x35, 0x01, 0x28, 0x00, 0x29, 0x00, 0x18, 0x18];
        let view = StructView::parse(&input).unwrap();
        assert_eq!(
            view.structure(1),
            Err(TlvError::DuplicateTag(Tag::Context(0)))
        );
        assert_eq!(
            crate::tlv::decode_element(&input),
            Err(TlvError::DuplicateTag(Tag::Context(0)))
        );
    }

    #[test]
    fn raw_bytes_of_members_and_nested_views() {
        let bytes = sample();
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(view.raw(), &bytes[..]);
        assert_eq!(view.raw_member(1), Some(&[0x24, 0x01, 0x07][..]));
        let nested_raw = view.raw_member(7).unwrap();
        assert_eq!(nested_raw, [0x35, 0x07, 0x24, 0x01, 0x05, 0x18]);
        // A nested structure parses on its own sub-slice.
        let nested = StructView::parse(nested_raw).unwrap();
        assert_eq!(nested.tag(), Tag::Context(7));
        assert_eq!(nested, view.required_structure(7).unwrap());
        // Raw member bytes concatenate back to the structure's body.
        let body: Vec<u8> = view
            .members()
            .iter()
            .flat_map(|m| m.raw.iter().copied())
            .collect();
        assert_eq!(&body[..], &bytes[1..bytes.len() - 1]);
    }

    #[test]
    fn malformed_structures_are_rejected() {
        assert_eq!(StructView::parse(&[]), Err(TlvError::Truncated));
        assert_eq!(
            StructView::parse(&[0x15, 0x24, 0x01]),
            Err(TlvError::Truncated)
        );
        // Bytes after the structure are trailing, whether or not they would form an element.
        assert_eq!(
            StructView::parse(&[0x15, 0x18, 0x00]),
            Err(TlvError::TrailingBytes)
        );
        assert_eq!(
            StructView::parse(&[0x15, 0x18, 0x08]),
            Err(TlvError::TrailingBytes)
        );
        // Errors deep inside a nested member are found at parse time.
        assert_eq!(
            StructView::parse(&[0x15, 0x35, 0x01, 0x3f, 0x18, 0x18]),
            Err(TlvError::ReservedType(0x1f))
        );
    }
}
