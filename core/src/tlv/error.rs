//! The one error type of the TLV module: every malformed input and every misuse of the writer
//! or the structure views ends up as one of these variants, never as a panic.

use super::MAX_DEPTH;
use super::int::Width;
use super::tag::Tag;

/// Why TLV bytes could not be decoded, encoded or read as the expected structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input ends inside an element, inside a tag or length field, or while a container
    /// is still open (also: empty input where one element is required).
    #[error("input ends inside an element or an open container")]
    Truncated,
    /// Element types 0x19–0x1F are reserved (Matter 1.3 Appendix A).
    #[error("reserved element type {0:#04x}")]
    ReservedType(u8),
    /// An end-of-container byte with a non-anonymous tag control.
    #[error("end-of-container carries a tag")]
    TaggedEnd,
    /// An end-of-container while no container is open.
    #[error("end-of-container with no open container")]
    UnexpectedEnd,
    /// Bytes follow the single top-level element.
    #[error("bytes after the top-level element")]
    TrailingBytes,
    /// More than [`MAX_DEPTH`] containers open at once.
    #[error("containers nested deeper than {} levels", MAX_DEPTH)]
    DepthExceeded,
    /// A UTF-8 string element holds bytes that are not valid UTF-8.
    #[error("UTF-8 string element is not valid UTF-8")]
    InvalidUtf8,
    /// An array member carries a tag (array members are anonymous, Matter 1.3 Appendix A).
    #[error("array member carries a tag")]
    ArrayMemberTagged,
    /// A structure member is anonymous (structure members are tagged, Matter 1.3 Appendix A).
    #[error("structure member is anonymous")]
    StructMemberAnonymous,
    /// Two members of one structure carry the same tag (Matter 1.3 Appendix A: reject duplicates).
    #[error("structure has two members with tag {0:?}")]
    DuplicateTag(Tag),
    /// [`Reader::skip_container`](super::Reader::skip_container) with no open container.
    #[error("no open container to skip")]
    NotInContainer,
    /// A string or byte string is too long for the length-field width asked for.
    #[error("length {len} does not fit a {width:?} length field")]
    LengthExceedsWidth {
        /// Length of the string in bytes.
        len: usize,
        /// Width requested for its length field.
        width: Width,
    },
    /// The writer finished with a container still open.
    #[error("container left open when the writer finished")]
    UnclosedContainer,
    /// An element is not of the type the caller asked for.
    #[error("element with tag {tag:?} is not {expected}")]
    WrongType {
        /// Tag of the offending element.
        tag: Tag,
        /// What the caller expected, e.g. "an unsigned integer".
        expected: &'static str,
    },
    /// An integer does not fit the field type it is read as (e.g. 70000 read as u16).
    #[error("element with tag {tag:?} is out of range for its field")]
    OutOfRange {
        /// Tag of the offending element.
        tag: Tag,
    },
    /// A required structure field is absent.
    #[error("required field with context tag {0} is missing")]
    MissingField(u8),
}
