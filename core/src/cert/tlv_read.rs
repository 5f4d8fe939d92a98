//! Two helpers the certificate decoders share over the TLV pull [`Reader`].

use super::error::CertError;
use crate::tlv::{Element, Reader, Tag, TlvError};

/// The next element inside an open container. The reader itself reports a container that
/// ends with the input as [`TlvError::Truncated`]; `None` (input used up at depth 0) is mapped
/// to the same error.
pub(super) fn next_element<'a>(reader: &mut Reader<'a>) -> Result<Element<'a>, CertError> {
    reader.next()?.ok_or(CertError::Tlv(TlvError::Truncated))
}

/// The context tag of a member; any other tag form inside a certificate is an error
/// (Matter 1.3 §6.5.2: every field is context-tagged).
pub(super) fn context_tag(element: &Element<'_>, location: &'static str) -> Result<u8, CertError> {
    match element.tag {
        Tag::Context(n) => Ok(n),
        _ => Err(CertError::NonContextTag(location)),
    }
}
