//! Pull parser: yields the elements of a TLV byte string in order (container starts, members,
//! ends), checking every rule of Matter 1.3 Appendix A–6.2 that can be checked one element at a
//! time. Duplicate structure tags need memory of earlier members and are checked by
//! [`decode_element`](super::decode_element) and [`StructView`](super::StructView).

use super::MAX_DEPTH;
use super::cursor::Cursor;
use super::element::{ContainerKind, Element, ElementValue, element_type};
use super::error::TlvError;
use super::int::{SignedInt, UnsignedInt, Width};
use super::tag::Tag;

/// A pull parser over borrowed TLV bytes.
///
/// The reader accepts a sequence of top-level elements; [`decode_element`](super::decode_element)
/// is the entry point when exactly one is required. After the first error every further call
/// returns that same error.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    cursor: Cursor<'a>,
    /// Kinds of the open containers, innermost at `open[depth - 1]`.
    open: [ContainerKind; MAX_DEPTH],
    depth: usize,
    failed: Option<TlvError>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            cursor: Cursor::new(input),
            open: [ContainerKind::Structure; MAX_DEPTH],
            depth: 0,
            failed: None,
        }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.cursor.pos()
    }

    /// Number of containers currently open.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next element, or `None` once the input is used up with no container open.
    #[allow(
        clippy::should_implement_trait,
        reason = "Result<Option<_>> reads naturally with `?`; an Iterator would yield Option<Result<_>>"
    )]
    pub fn next(&mut self) -> Result<Option<Element<'a>>, TlvError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let result = self.read_element();
        if let Err(err) = result {
            self.failed = Some(err);
        }
        result
    }

    /// Skips the rest of the innermost open container, through its end-of-container. Called
    /// right after a container-start element, this skips that whole container. Every skipped
    /// element is still checked.
    pub fn skip_container(&mut self) -> Result<(), TlvError> {
        let Some(target) = self.depth.checked_sub(1) else {
            return Err(TlvError::NotInContainer);
        };
        // Only an end-of-container lowers the depth, one level at a time, so the loop stops at
        // the end of the container that was innermost on entry.
        while self.depth > target {
            if self.next()?.is_none() {
                // next() reports Truncated itself while a container is open; kept for safety.
                return Err(TlvError::Truncated);
            }
        }
        Ok(())
    }

    fn innermost(&self) -> Option<ContainerKind> {
        self.depth
            .checked_sub(1)
            .and_then(|i| self.open.get(i))
            .copied()
    }

    fn read_element(&mut self) -> Result<Option<Element<'a>>, TlvError> {
        let offset = self.cursor.pos();
        if self.cursor.is_at_end() {
            return if self.depth == 0 {
                Ok(None)
            } else {
                Err(TlvError::Truncated)
            };
        }
        let control = self.cursor.u8()?;
        let kind = control & 0x1f;
        if kind >= element_type::FIRST_RESERVED {
            return Err(TlvError::ReservedType(kind));
        }
        // Anonymous and context tags (every protocol member) are read here directly; a call
        // returning Result<Tag> through memory costs more than the rest of a small element.
        let tag = match control >> 5 {
            0 => Tag::Anonymous,
            1 => Tag::Context(self.cursor.u8()?),
            form => Tag::read(form, &mut self.cursor)?,
        };

        if kind == element_type::END_OF_CONTAINER {
            if !tag.is_anonymous() {
                return Err(TlvError::TaggedEnd);
            }
            self.depth = self.depth.checked_sub(1).ok_or(TlvError::UnexpectedEnd)?;
            return Ok(Some(Element {
                tag,
                value: ElementValue::ContainerEnd,
                offset,
            }));
        }

        // Matter 1.3 Appendix A: array members are anonymous, structure members tagged.
        match self.innermost() {
            Some(ContainerKind::Array) if !tag.is_anonymous() => {
                return Err(TlvError::ArrayMemberTagged);
            }
            Some(ContainerKind::Structure) if tag.is_anonymous() => {
                return Err(TlvError::StructMemberAnonymous);
            }
            _ => {}
        }

        let value = self.read_value(kind)?;
        if let ElementValue::ContainerStart(container) = value {
            let slot = self
                .open
                .get_mut(self.depth)
                .ok_or(TlvError::DepthExceeded)?;
            *slot = container;
            self.depth += 1;
        }
        Ok(Some(Element { tag, value, offset }))
    }

    /// Reads the value bytes of element type `kind` (0x00–0x17).
    fn read_value(&mut self, kind: u8) -> Result<ElementValue<'a>, TlvError> {
        let width = Width::from_code(kind);
        let c = &mut self.cursor;
        Ok(match kind {
            0x00..=0x03 => ElementValue::Int(match width {
                Width::One => SignedInt::I8(i8::from_le_bytes(c.array()?)),
                Width::Two => SignedInt::I16(i16::from_le_bytes(c.array()?)),
                Width::Four => SignedInt::I32(i32::from_le_bytes(c.array()?)),
                Width::Eight => SignedInt::I64(i64::from_le_bytes(c.array()?)),
            }),
            0x04..=0x07 => ElementValue::UInt(match width {
                Width::One => UnsignedInt::U8(c.u8()?),
                Width::Two => UnsignedInt::U16(c.u16_le()?),
                Width::Four => UnsignedInt::U32(c.u32_le()?),
                Width::Eight => UnsignedInt::U64(c.u64_le()?),
            }),
            element_type::FALSE => ElementValue::Bool(false),
            element_type::TRUE => ElementValue::Bool(true),
            element_type::FLOAT32 => ElementValue::F32 { bits: c.u32_le()? },
            element_type::FLOAT64 => ElementValue::F64 { bits: c.u64_le()? },
            0x0c..=0x0f => {
                let bytes = Self::read_string(c, width)?;
                let value = core::str::from_utf8(bytes).map_err(|_| TlvError::InvalidUtf8)?;
                ElementValue::Utf8 {
                    value,
                    len_width: width,
                }
            }
            0x10..=0x13 => ElementValue::Bytes {
                value: Self::read_string(c, width)?,
                len_width: width,
            },
            element_type::NULL => ElementValue::Null,
            element_type::STRUCTURE => ElementValue::ContainerStart(ContainerKind::Structure),
            element_type::ARRAY => ElementValue::ContainerStart(ContainerKind::Array),
            element_type::LIST => ElementValue::ContainerStart(ContainerKind::List),
            // read_element handles end-of-container and rejects reserved types before this.
            _ => return Err(TlvError::ReservedType(kind)),
        })
    }

    fn read_string(c: &mut Cursor<'a>, len_width: Width) -> Result<&'a [u8], TlvError> {
        let len = match len_width {
            Width::One => u64::from(c.u8()?),
            Width::Two => u64::from(c.u16_le()?),
            Width::Four => u64::from(c.u32_le()?),
            Width::Eight => c.u64_le()?,
        };
        // A length beyond usize cannot be in the buffer either.
        let len = usize::try_from(len).map_err(|_| TlvError::Truncated)?;
        c.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Result<Vec<ElementValue<'_>>, TlvError> {
        let mut reader = Reader::new(input);
        let mut out = Vec::new();
        while let Some(element) = reader.next()? {
            out.push(element.value);
        }
        Ok(out)
    }

    #[test]
    fn yields_container_members_and_end() {
        let input = [0x15, 0x24, 0x01, 0x2a, 0x2c, 0x02, 0x02, b'h', b'i', 0x18];
        assert_eq!(
            all(&input),
            Ok(vec![
                ElementValue::ContainerStart(ContainerKind::Structure),
                ElementValue::UInt(UnsignedInt::U8(42)),
                ElementValue::Utf8 {
                    value: "hi",
                    len_width: Width::One
                },
                ElementValue::ContainerEnd,
            ])
        );
    }

    #[test]
    fn strings_borrow_from_the_input() {
        let input = [0x10, 0x02, 0xaa, 0xbb];
        let mut reader = Reader::new(&input);
        let element = reader.next().unwrap().unwrap();
        let ElementValue::Bytes { value, .. } = element.value else {
            panic!("not bytes: {element:?}");
        };
        assert!(core::ptr::eq(value.as_ptr(), input[2..].as_ptr()));
    }

    #[test]
    fn skip_container_skips_nested_members() {
        // { 1: [ {}, "x" ], 2: true }
        let input = [
            0x15, 0x36, 0x01, 0x15, 0x18, 0x0c, 0x01, b'x', 0x18, 0x29, 0x02, 0x18,
        ];
        let mut reader = Reader::new(&input);
        reader.next().unwrap();
        let array = reader.next().unwrap().unwrap();
        assert_eq!(array.tag, Tag::Context(1));
        reader.skip_container().unwrap();
        assert_eq!(reader.depth(), 1);
        assert_eq!(&input[array.offset..reader.position()], &input[1..9]);
        let flag = reader.next().unwrap().unwrap();
        assert_eq!(
            (flag.tag, flag.value),
            (Tag::Context(2), ElementValue::Bool(true))
        );
        reader.skip_container().unwrap();
        assert_eq!(reader.next(), Ok(None));
        assert_eq!(reader.skip_container(), Err(TlvError::NotInContainer));
    }

    #[test]
    fn depth_limit_is_exact() {
        let mut ok = vec![0x16; MAX_DEPTH];
        ok.extend(vec![0x18; MAX_DEPTH]);
        assert!(all(&ok).is_ok());
        let mut deep = vec![0x16; MAX_DEPTH + 1];
        deep.extend(vec![0x18; MAX_DEPTH + 1]);
        assert_eq!(all(&deep), Err(TlvError::DepthExceeded));
    }

    #[test]
    fn member_tag_rules() {
        assert_eq!(
            all(&[0x16, 0x24, 0x01, 0x00, 0x18]),
            Err(TlvError::ArrayMemberTagged)
        );
        assert_eq!(
            all(&[0x15, 0x04, 0x00, 0x18]),
            Err(TlvError::StructMemberAnonymous)
        );
        // Lists take both.
        assert!(all(&[0x17, 0x04, 0x00, 0x24, 0x01, 0x00, 0x18]).is_ok());
    }

    #[test]
    fn malformed_inputs() {
        assert_eq!(all(&[0x18]), Err(TlvError::UnexpectedEnd));
        assert_eq!(all(&[0x15, 0x38, 0x01]), Err(TlvError::TaggedEnd));
        assert_eq!(all(&[0x1c]), Err(TlvError::ReservedType(0x1c)));
        assert_eq!(all(&[0x15]), Err(TlvError::Truncated));
        assert_eq!(all(&[0x0c, 0x02, 0xc3, 0x28]), Err(TlvError::InvalidUtf8));
        assert_eq!(
            all(&[0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(TlvError::Truncated)
        );
    }

    #[test]
    fn errors_are_sticky() {
        let mut reader = Reader::new(&[0x18, 0x08]);
        assert_eq!(reader.next(), Err(TlvError::UnexpectedEnd));
        assert_eq!(reader.next(), Err(TlvError::UnexpectedEnd));
    }
}
