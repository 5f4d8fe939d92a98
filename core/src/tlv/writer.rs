//! Encoder: appends elements to a byte buffer. Integers and string lengths take the smallest
//! width by default (Matter 1.3 Appendix A); `*_exact` / `*_with_len_width` variants pin a
//! width so decoded values re-encode byte for byte.
//!
//! The `put_*` calls never fail: the first misuse (a tagged array member, an anonymous or
//! repeated structure member, an unmatched end, nesting beyond [`MAX_DEPTH`], a length too large
//! for its field) is remembered and reported by [`Writer::finish`], so every byte string the
//! writer hands out decodes again.

use super::MAX_DEPTH;
use super::element::{ContainerKind, element_type};
use super::error::TlvError;
use super::int::{SignedInt, UnsignedInt, Width};
use super::seen::SeenTags;
use super::tag::Tag;

/// An open container and, for a structure, the tags its members used so far.
#[derive(Debug)]
struct Open {
    kind: ContainerKind,
    seen: SeenTags,
}

impl Default for Open {
    fn default() -> Self {
        Self {
            kind: ContainerKind::Structure,
            seen: SeenTags::default(),
        }
    }
}

/// Open containers held inline: protocol messages nest two or three levels, so a writer
/// allocates nothing but its output buffer.
const INLINE_DEPTH: usize = 4;

/// The stack of open containers, innermost last: the first [`INLINE_DEPTH`] inline, deeper ones
/// on the heap.
#[derive(Debug, Default)]
struct OpenStack {
    /// Levels `0..min(len, INLINE_DEPTH)`; later slots are stale and overwritten on push.
    shallow: [Open; INLINE_DEPTH],
    /// Levels `INLINE_DEPTH..len`.
    deep: Vec<Open>,
    len: usize,
}

impl OpenStack {
    fn push(&mut self, open: Open) {
        match self.shallow.get_mut(self.len) {
            Some(slot) => *slot = open,
            None => self.deep.push(open),
        }
        self.len += 1;
    }

    /// Closes the innermost level; false if none is open.
    fn pop(&mut self) -> bool {
        let Some(len) = self.len.checked_sub(1) else {
            return false;
        };
        self.len = len;
        if len >= INLINE_DEPTH {
            self.deep.pop();
        }
        true
    }

    fn last_mut(&mut self) -> Option<&mut Open> {
        let index = self.len.checked_sub(1)?;
        match index.checked_sub(INLINE_DEPTH) {
            None => self.shallow.get_mut(index),
            Some(deep) => self.deep.get_mut(deep),
        }
    }
}

/// Appends TLV elements to a `Vec<u8>`.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    open: OpenStack,
    fault: Option<TlvError>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer whose buffer is allocated once for `capacity` bytes: callers that know
    /// their message's size avoid regrowing the buffer element by element.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_buffer(Vec::with_capacity(capacity))
    }

    /// A writer appending to `buf` (its existing bytes are kept as they are).
    pub fn with_buffer(buf: Vec<u8>) -> Self {
        Self {
            buf,
            ..Self::default()
        }
    }

    /// Number of containers currently open.
    pub fn depth(&self) -> usize {
        self.open.len
    }

    /// The encoded bytes, or the first misuse, or [`TlvError::UnclosedContainer`].
    pub fn finish(self) -> Result<Vec<u8>, TlvError> {
        if let Some(err) = self.fault {
            return Err(err);
        }
        if self.open.len != 0 {
            return Err(TlvError::UnclosedContainer);
        }
        Ok(self.buf)
    }

    /// Signed integer in the smallest width that holds it.
    pub fn put_int(&mut self, tag: Tag, value: i64) {
        self.put_int_exact(tag, SignedInt::minimal(value));
    }

    /// Signed integer in the width it carries.
    pub fn put_int_exact(&mut self, tag: Tag, value: SignedInt) {
        if self.begin(tag, element_type::SIGNED_INT + value.width().code()) {
            value.write_le(&mut self.buf);
        }
    }

    /// Unsigned integer in the smallest width that holds it.
    pub fn put_uint(&mut self, tag: Tag, value: u64) {
        self.put_uint_exact(tag, UnsignedInt::minimal(value));
    }

    /// Unsigned integer in the width it carries.
    pub fn put_uint_exact(&mut self, tag: Tag, value: UnsignedInt) {
        if self.begin(tag, element_type::UNSIGNED_INT + value.width().code()) {
            value.write_le(&mut self.buf);
        }
    }

    /// Boolean.
    pub fn put_bool(&mut self, tag: Tag, value: bool) {
        let kind = if value {
            element_type::TRUE
        } else {
            element_type::FALSE
        };
        self.begin(tag, kind);
    }

    /// Single-precision float.
    pub fn put_f32(&mut self, tag: Tag, value: f32) {
        self.put_f32_bits(tag, value.to_bits());
    }

    /// Single-precision float given as IEEE-754 bits.
    pub fn put_f32_bits(&mut self, tag: Tag, bits: u32) {
        if self.begin(tag, element_type::FLOAT32) {
            self.buf.extend_from_slice(&bits.to_le_bytes());
        }
    }

    /// Double-precision float.
    pub fn put_f64(&mut self, tag: Tag, value: f64) {
        self.put_f64_bits(tag, value.to_bits());
    }

    /// Double-precision float given as IEEE-754 bits.
    pub fn put_f64_bits(&mut self, tag: Tag, bits: u64) {
        if self.begin(tag, element_type::FLOAT64) {
            self.buf.extend_from_slice(&bits.to_le_bytes());
        }
    }

    /// UTF-8 string with the smallest length field.
    pub fn put_utf8(&mut self, tag: Tag, value: &str) {
        self.put_utf8_with_len_width(tag, value, Width::minimal_for_len(value.len()));
    }

    /// UTF-8 string with a length field of `len_width`.
    pub fn put_utf8_with_len_width(&mut self, tag: Tag, value: &str, len_width: Width) {
        self.put_string(tag, element_type::UTF8, value.as_bytes(), len_width);
    }

    /// Octet string with the smallest length field.
    pub fn put_bytes(&mut self, tag: Tag, value: &[u8]) {
        self.put_bytes_with_len_width(tag, value, Width::minimal_for_len(value.len()));
    }

    /// Octet string with a length field of `len_width`.
    pub fn put_bytes_with_len_width(&mut self, tag: Tag, value: &[u8], len_width: Width) {
        self.put_string(tag, element_type::BYTES, value, len_width);
    }

    /// Null.
    pub fn put_null(&mut self, tag: Tag) {
        self.begin(tag, element_type::NULL);
    }

    /// Opens a structure; close it with [`Writer::end_container`].
    pub fn start_struct(&mut self, tag: Tag) {
        self.start_container(tag, ContainerKind::Structure);
    }

    /// Opens an array; its members must be anonymous.
    pub fn start_array(&mut self, tag: Tag) {
        self.start_container(tag, ContainerKind::Array);
    }

    /// Opens a list.
    pub fn start_list(&mut self, tag: Tag) {
        self.start_container(tag, ContainerKind::List);
    }

    /// Opens a container of `kind`.
    pub fn start_container(&mut self, tag: Tag, kind: ContainerKind) {
        if self.fault.is_none() && self.open.len >= MAX_DEPTH {
            self.fault = Some(TlvError::DepthExceeded);
        }
        if self.begin(tag, kind.element_type()) {
            self.open.push(Open {
                kind,
                seen: SeenTags::default(),
            });
        }
    }

    /// Closes the innermost open container.
    pub fn end_container(&mut self) {
        if self.fault.is_some() {
            return;
        }
        if self.open.pop() {
            self.buf.push(element_type::END_OF_CONTAINER);
        } else {
            self.fault = Some(TlvError::UnexpectedEnd);
        }
    }

    fn put_string(&mut self, tag: Tag, base: u8, value: &[u8], len_width: Width) {
        if self.fault.is_none() && !len_width.holds_len(value.len()) {
            self.fault = Some(TlvError::LengthExceedsWidth {
                len: value.len(),
                width: len_width,
            });
        }
        if self.begin(tag, base + len_width.code()) {
            // holds_len was checked above, so the length fits u64 and the chosen width.
            let len = u64::try_from(value.len()).unwrap_or(u64::MAX);
            let len_bytes = len.to_le_bytes();
            self.buf
                .extend_from_slice(len_bytes.get(..len_width.bytes()).unwrap_or(&len_bytes));
            self.buf.extend_from_slice(value);
        }
    }

    /// Checks `tag` against the innermost container and writes control byte and tag. Returns
    /// false (writing nothing) once a fault is recorded.
    fn begin(&mut self, tag: Tag, kind: u8) -> bool {
        if self.fault.is_some() {
            return false;
        }
        if let Err(err) = self.check_member_tag(tag) {
            self.fault = Some(err);
            return false;
        }
        self.buf.push(tag.control() << 5 | kind);
        tag.write(&mut self.buf);
        true
    }

    /// Matter 1.3 Appendix A: arrays hold anonymous members; structures hold tagged members
    /// with unique tags.
    fn check_member_tag(&mut self, tag: Tag) -> Result<(), TlvError> {
        let Some(open) = self.open.last_mut() else {
            return Ok(());
        };
        match open.kind {
            ContainerKind::Array if !tag.is_anonymous() => Err(TlvError::ArrayMemberTagged),
            ContainerKind::Structure if tag.is_anonymous() => Err(TlvError::StructMemberAnonymous),
            ContainerKind::Structure if !open.seen.insert(tag) => Err(TlvError::DuplicateTag(tag)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::TagNumber;

    fn bytes(build: impl FnOnce(&mut Writer)) -> Result<Vec<u8>, TlvError> {
        let mut w = Writer::new();
        build(&mut w);
        w.finish()
    }

    #[test]
    fn minimal_widths_by_default() {
        let out = bytes(|w| {
            w.start_struct(Tag::Anonymous);
            w.put_uint(Tag::Context(1), 42);
            w.put_uint(Tag::Context(2), 0x1234);
            w.put_int(Tag::Context(3), -17);
            w.put_int(Tag::Context(4), -170_000);
            w.put_bytes(Tag::Context(5), &[0xab; 300]);
            w.end_container();
        })
        .unwrap();
        let mut expected = vec![
            0x15, 0x24, 0x01, 42, 0x25, 0x02, 0x34, 0x12, 0x20, 0x03, 0xef, 0x22, 0x04, 0xf0, 0x67,
            0xfd, 0xff, 0x31, 0x05, 0x2c, 0x01,
        ];
        expected.extend([0xab; 300]);
        expected.push(0x18);
        assert_eq!(out, expected);
    }

    #[test]
    fn explicit_widths_and_tag_forms() {
        let out = bytes(|w| {
            w.put_uint_exact(Tag::CommonProfile(TagNumber::Long(1)), UnsignedInt::U32(42));
            w.put_utf8_with_len_width(Tag::Anonymous, "a", Width::Two);
        })
        .unwrap();
        assert_eq!(
            out,
            [0x66, 0x01, 0, 0, 0, 42, 0, 0, 0, 0x0d, 0x01, 0x00, b'a']
        );
    }

    #[test]
    fn misuse_is_reported_at_finish() {
        let tagged_in_array = bytes(|w| {
            w.start_array(Tag::Anonymous);
            w.put_null(Tag::Context(0));
            w.end_container();
        });
        assert_eq!(tagged_in_array, Err(TlvError::ArrayMemberTagged));
        let duplicate = bytes(|w| {
            w.start_struct(Tag::Anonymous);
            w.put_null(Tag::CommonProfile(TagNumber::Short(3)));
            w.put_null(Tag::CommonProfile(TagNumber::Long(3)));
            w.end_container();
        });
        assert_eq!(
            duplicate,
            Err(TlvError::DuplicateTag(Tag::CommonProfile(TagNumber::Long(
                3
            ))))
        );
        let anonymous = bytes(|w| {
            w.start_struct(Tag::Anonymous);
            w.put_null(Tag::Anonymous);
            w.end_container();
        });
        assert_eq!(anonymous, Err(TlvError::StructMemberAnonymous));
        assert_eq!(bytes(|w| w.end_container()), Err(TlvError::UnexpectedEnd));
        assert_eq!(
            bytes(|w| w.start_list(Tag::Anonymous)),
            Err(TlvError::UnclosedContainer)
        );
        assert_eq!(
            bytes(|w| w.put_bytes_with_len_width(Tag::Anonymous, &[0; 256], Width::One)),
            Err(TlvError::LengthExceedsWidth {
                len: 256,
                width: Width::One
            })
        );
        let too_deep = bytes(|w| {
            for _ in 0..=MAX_DEPTH {
                w.start_array(Tag::Anonymous);
            }
        });
        assert_eq!(too_deep, Err(TlvError::DepthExceeded));
    }

    #[test]
    fn duplicate_tags_are_tracked_per_level_beyond_the_inline_depth() {
        // Nest past INLINE_DEPTH, each level using context tag 1, then close back down: every
        // level keeps its own tags, and a stale inline slot does not leak into a new structure.
        let nested = |repeat_at: usize| {
            bytes(|w| {
                w.start_struct(Tag::Anonymous);
                for _ in 0..INLINE_DEPTH + 2 {
                    w.put_null(Tag::Context(1));
                    w.start_struct(Tag::Context(2));
                }
                for level in (0..INLINE_DEPTH + 2).rev() {
                    if level == repeat_at {
                        w.put_null(Tag::Context(1));
                    }
                    w.end_container();
                }
                w.start_struct(Tag::Context(3));
                w.put_null(Tag::Context(1));
                w.end_container();
                w.end_container();
            })
        };
        let fine = nested(usize::MAX).unwrap();
        assert_eq!(crate::tlv::decode_element(&fine).map(|_| ()), Ok(()));
        // The innermost structure (opened last) holds no tag 1 yet, so repeating it there is fine.
        let innermost = nested(INLINE_DEPTH + 1).unwrap();
        assert_eq!(innermost.len(), fine.len() + 2);
        for level in [0, INLINE_DEPTH - 1, INLINE_DEPTH] {
            assert_eq!(
                nested(level),
                Err(TlvError::DuplicateTag(Tag::Context(1))),
                "level {level}"
            );
        }
    }

    #[test]
    fn with_buffer_appends() {
        let mut w = Writer::with_buffer(vec![0xee]);
        w.put_bool(Tag::Anonymous, true);
        assert_eq!(w.finish(), Ok(vec![0xee, 0x09]));
    }
}
