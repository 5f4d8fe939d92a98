//! Matter TLV (Matter 1.3 Appendix A–6.2): the tag-length-value encoding of every PASE and CASE
//! payload and of operational certificates.
//!
//! - [`Reader`]: pull parser over borrowed bytes, element by element, strings borrowed.
//! - [`decode_element`] / [`encode_value`]: one top-level element to and from an owned
//!   [`Value`] tree that keeps every width, so accepted bytes re-encode identically.
//! - [`Writer`]: encoder with minimal widths by default (Matter 1.3 Appendix A) and explicit-width
//!   variants.
//! - [`StructView`] / [`SequenceView`]: protocol-message access to a structure's members by
//!   context tag, with range-checked integer getters and the raw bytes of each member (transcript
//!   hashes are taken over exact bytes, Matter 1.3 Appendix A).
//!
//! Every malformed input yields a [`TlvError`]; nothing reads past its buffer.

mod cursor;
mod element;
mod error;
mod int;
mod reader;
mod seen;
mod structs;
mod tag;
mod value;
mod writer;

pub use element::{ContainerKind, Element, ElementValue};
pub use error::TlvError;
pub use int::{SignedInt, UnsignedInt, Width};
pub use reader::Reader;
pub use structs::{Member, SequenceView, StructView};
pub use tag::{Tag, TagNumber};
pub use value::{Data, Value, decode_element, encode_value};
pub use writer::Writer;

/// Most containers that may be open at once, in the reader and in the writer. PASE/CASE messages
/// and certificates nest only a few levels; 32 is the limit the tlv.json reference decoder was
/// run with, and it bounds the decoder's recursion and the reader's fixed-size stack.
pub const MAX_DEPTH: usize = 32;
