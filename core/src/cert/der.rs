//! A small DER writer, enough to rebuild the X.509 `TBSCertificate` of a Matter certificate
//! (Matter 1.3 §6.5; connectedhomeip `src/credentials/CHIPCertToX509.cpp`), and the two tiny DER
//! readers the certificate code needs (an ECDSA `SEQUENCE { INTEGER r, INTEGER s }`, and the outer
//! shape of a verbatim extension).
//!
//! Constructed values are built with closures: the content is written into a child writer,
//! then prefixed with its tag and definite length. Nothing here can fail or panic.

use super::time::{Asn1Time, Asn1TimeKind};

/// Universal tag numbers (X.690 §8), with the constructed bit where DER requires it.
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// PrintableString.
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// UTCTime.
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// SEQUENCE / SEQUENCE OF (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET / SET OF (constructed).
    pub const SET: u8 = 0x31;
    /// Context-specific class bit.
    pub const CONTEXT: u8 = 0x80;
    /// Constructed bit.
    pub const CONSTRUCTED: u8 = 0x20;
}

/// Appends a DER definite length (short form below 128, else long form, X.690 §8.1.3).
fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // `len` < 128 fits a byte.
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    // At most size_of::<usize>() ≤ 16 bytes, so the count fits the 7-bit field.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Encodes OID arcs as DER content bytes (X.690 §8.19): the first two arcs combine as
/// 40·a + b, every arc is base-128 with continuation bits. Fewer than two arcs encode as the
/// first arc alone (never produced by this crate's constants).
pub fn oid_content(arcs: &[u64]) -> Vec<u8> {
    fn push_base128(out: &mut Vec<u8>, mut value: u64) {
        let mut groups = [0u8; 10];
        let mut n = 0;
        loop {
            // Masked to 7 bits, so the cast is lossless; 10 groups of 7 bits hold a u64.
            if let Some(slot) = groups.get_mut(n) {
                *slot = (value & 0x7f) as u8;
            }
            n += 1;
            value >>= 7;
            if value == 0 || n == groups.len() {
                break;
            }
        }
        for i in (0..n).rev() {
            let more = if i == 0 { 0 } else { 0x80 };
            out.push(groups.get(i).copied().unwrap_or(0) | more);
        }
    }
    let mut out = Vec::new();
    match arcs {
        [] => {}
        [only] => push_base128(&mut out, *only),
        [first, second, rest @ ..] => {
            push_base128(&mut out, first.saturating_mul(40).saturating_add(*second));
            for arc in rest {
                push_base128(&mut out, *arc);
            }
        }
    }
    out
}

/// Builds DER bytes front to back.
#[derive(Debug, Default, Clone)]
pub struct DerWriter {
    buf: Vec<u8>,
}

impl DerWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// One element with `tag` and `content`.
    pub fn element(&mut self, tag: u8, content: &[u8]) {
        self.buf.push(tag);
        push_length(&mut self.buf, content.len());
        self.buf.extend_from_slice(content);
    }

    /// A constructed element whose content `build` writes.
    pub fn constructed(&mut self, tag: u8, build: impl FnOnce(&mut DerWriter)) {
        let mut inner = DerWriter::new();
        build(&mut inner);
        self.element(tag, &inner.buf);
    }

    /// Bytes that are already DER (a verbatim extension), appended as they are.
    pub fn raw(&mut self, der: &[u8]) {
        self.buf.extend_from_slice(der);
    }

    /// `SEQUENCE { … }`.
    pub fn sequence(&mut self, build: impl FnOnce(&mut DerWriter)) {
        self.constructed(tag::SEQUENCE, build);
    }

    /// `SET { … }`.
    pub fn set(&mut self, build: impl FnOnce(&mut DerWriter)) {
        self.constructed(tag::SET, build);
    }

    /// `[n] EXPLICIT …` (context-specific, constructed).
    pub fn explicit(&mut self, n: u8, build: impl FnOnce(&mut DerWriter)) {
        self.constructed(tag::CONTEXT | tag::CONSTRUCTED | (n & 0x1f), build);
    }

    /// `[n] IMPLICIT` primitive content (e.g. AuthorityKeyIdentifier's `keyIdentifier`).
    pub fn implicit_primitive(&mut self, n: u8, content: &[u8]) {
        self.element(tag::CONTEXT | (n & 0x1f), content);
    }

    /// INTEGER whose content bytes are given as they are (a certificate serial number is
    /// copied verbatim from the TLV, Matter 1.3 §6.5.2 tag 1).
    pub fn integer_content(&mut self, content: &[u8]) {
        self.element(tag::INTEGER, content);
    }

    /// INTEGER of a non-negative value, minimally encoded.
    pub fn integer_u64(&mut self, value: u64) {
        self.integer_unsigned_be(&value.to_be_bytes());
    }

    /// INTEGER of the non-negative big-endian magnitude `be`: leading zero bytes dropped, one
    /// 0x00 added when the top bit is set, zero written as `02 01 00` (X.690 §8.3).
    pub fn integer_unsigned_be(&mut self, be: &[u8]) {
        let skip = be.iter().take_while(|&&b| b == 0).count();
        let magnitude = be.get(skip..).unwrap_or(&[]);
        let mut content = Vec::with_capacity(magnitude.len() + 1);
        if magnitude.first().is_none_or(|&b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(magnitude);
        self.element(tag::INTEGER, &content);
    }

    /// BOOLEAN (DER: TRUE is 0xFF).
    pub fn boolean(&mut self, value: bool) {
        self.element(tag::BOOLEAN, &[if value { 0xff } else { 0x00 }]);
    }

    /// OBJECT IDENTIFIER from its arcs.
    pub fn oid(&mut self, arcs: &[u64]) {
        self.element(tag::OID, &oid_content(arcs));
    }

    /// BIT STRING with `unused_bits` (0–7) unused bits in its last byte.
    pub fn bit_string(&mut self, unused_bits: u8, bytes: &[u8]) {
        let mut content = Vec::with_capacity(bytes.len() + 1);
        content.push(unused_bits & 7);
        content.extend_from_slice(bytes);
        self.element(tag::BIT_STRING, &content);
    }

    /// OCTET STRING.
    pub fn octet_string(&mut self, bytes: &[u8]) {
        self.element(tag::OCTET_STRING, bytes);
    }

    /// OCTET STRING wrapping DER that `build` writes (an extension's `extnValue`).
    pub fn octet_string_with(&mut self, build: impl FnOnce(&mut DerWriter)) {
        self.constructed(tag::OCTET_STRING, build);
    }

    /// UTF8String.
    pub fn utf8_string(&mut self, value: &str) {
        self.element(tag::UTF8_STRING, value.as_bytes());
    }

    /// PrintableString (the caller supplies the text; Matter copies it from the TLV).
    pub fn printable_string(&mut self, value: &str) {
        self.element(tag::PRINTABLE_STRING, value.as_bytes());
    }

    /// IA5String.
    pub fn ia5_string(&mut self, value: &str) {
        self.element(tag::IA5_STRING, value.as_bytes());
    }

    /// UTCTime or GeneralizedTime, as the time's kind says.
    pub fn time(&mut self, time: &Asn1Time) {
        let tag = match time.kind {
            Asn1TimeKind::UtcTime => tag::UTC_TIME,
            Asn1TimeKind::GeneralizedTime => tag::GENERALIZED_TIME,
        };
        self.element(tag, time.der_string().as_bytes());
    }
}

/// Reads one DER element header at the start of `input`: its tag, and the content range
/// `start..end`. `None` if the header is malformed, not minimal, indefinite, or the content
/// runs past the input.
pub fn read_header(input: &[u8]) -> Option<(u8, usize, usize)> {
    let (&tag_byte, rest) = input.split_first()?;
    // High-tag-number form (low five bits all set) is never used by the elements read here.
    if tag_byte & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, header_len) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        // 0x80 is the indefinite form, which DER forbids; more than 4 length bytes is far
        // beyond anything in a certificate.
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = rest.get(..count)?;
        // DER: no leading zero byte, and the long form only for lengths of 128 or more.
        if bytes.first() == Some(&0) {
            return None;
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        (len, 2 + count)
    };
    let end = header_len.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((tag_byte, header_len, end))
}

/// Whether `input` is exactly one complete DER `SEQUENCE` (the outer shape of a verbatim
/// X.509 `Extension`, Matter 1.3 §6.5.11 tag 6).
pub fn is_single_sequence(input: &[u8]) -> bool {
    matches!(read_header(input), Some((tag::SEQUENCE, _, end)) if end == input.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::time::Asn1Time;

    fn der(build: impl FnOnce(&mut DerWriter)) -> Vec<u8> {
        let mut w = DerWriter::new();
        build(&mut w);
        w.finish()
    }

    #[test]
    fn lengths_use_short_and_long_forms() {
        assert_eq!(der(|w| w.octet_string(&[])), [0x04, 0x00]);
        let b = der(|w| w.octet_string(&[7; 127]));
        assert_eq!(&b[..2], [0x04, 0x7f]);
        let b = der(|w| w.octet_string(&[7; 128]));
        assert_eq!(&b[..3], [0x04, 0x81, 0x80]);
        assert_eq!(b.len(), 3 + 128);
        let b = der(|w| w.octet_string(&[7; 256]));
        assert_eq!(&b[..4], [0x04, 0x82, 0x01, 0x00]);
        assert_eq!(b.len(), 4 + 256);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(der(|w| w.integer_u64(0)), [0x02, 0x01, 0x00]);
        assert_eq!(der(|w| w.integer_u64(2)), [0x02, 0x01, 0x02]);
        assert_eq!(der(|w| w.integer_u64(127)), [0x02, 0x01, 0x7f]);
        assert_eq!(der(|w| w.integer_u64(128)), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der(|w| w.integer_u64(256)), [0x02, 0x02, 0x01, 0x00]);
        assert_eq!(
            der(|w| w.integer_unsigned_be(&[0, 0, 0xff, 1])),
            [0x02, 0x03, 0x00, 0xff, 0x01]
        );
        assert_eq!(der(|w| w.integer_unsigned_be(&[])), [0x02, 0x01, 0x00]);
        // Verbatim content is not touched.
        assert_eq!(
            der(|w| w.integer_content(&[0x00, 0x01])),
            [0x02, 0x02, 0x00, 0x01]
        );
    }

    #[test]
    fn oids_encode_per_x690() {
        // ecdsa-with-SHA256, id-ecPublicKey, prime256v1, a Matter DN attribute, basicConstraints.
        assert_eq!(
            der(|w| w.oid(&[1, 2, 840, 10045, 4, 3, 2])),
            [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]
        );
        assert_eq!(
            oid_content(&[1, 2, 840, 10045, 3, 1, 7]),
            [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
        );
        assert_eq!(
            oid_content(&[1, 3, 6, 1, 4, 1, 37244, 1, 1]),
            [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xa2, 0x7c, 0x01, 0x01]
        );
        assert_eq!(oid_content(&[2, 5, 29, 19]), [0x55, 0x1d, 0x13]);
        assert_eq!(
            oid_content(&[0, 9, 2342, 19200300, 100, 1, 25]),
            [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19]
        );
        assert_eq!(oid_content(&[]), [] as [u8; 0]);
        assert_eq!(oid_content(&[5]), [5]);
        // u64::MAX takes ten base-128 groups.
        assert_eq!(oid_content(&[2, 0, u64::MAX]).len(), 1 + 10);
    }

    #[test]
    fn constructed_and_tagged_values() {
        let b = der(|w| {
            w.sequence(|w| {
                w.explicit(0, |w| w.integer_u64(2));
                w.set(|w| w.boolean(true));
                w.implicit_primitive(0, &[0xaa]);
            })
        });
        assert_eq!(
            b,
            [
                0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x31, 0x03, 0x01, 0x01, 0xff, 0x80, 0x01,
                0xaa
            ]
        );
        assert_eq!(der(|w| w.boolean(false)), [0x01, 0x01, 0x00]);
        assert_eq!(
            der(|w| w.octet_string_with(|w| w.sequence(|_| {}))),
            [0x04, 0x02, 0x30, 0x00]
        );
    }

    #[test]
    fn strings_bits_and_times() {
        assert_eq!(der(|w| w.utf8_string("ab")), [0x0c, 0x02, b'a', b'b']);
        assert_eq!(der(|w| w.printable_string("US")), [0x13, 0x02, b'U', b'S']);
        assert_eq!(der(|w| w.ia5_string("x")), [0x16, 0x01, b'x']);
        assert_eq!(der(|w| w.bit_string(1, &[0x06])), [0x03, 0x02, 0x01, 0x06]);
        let t = der(|w| w.time(&Asn1Time::from_matter_epoch(656_087_023)));
        assert_eq!(t[0], 0x17);
        assert_eq!(&t[2..], b"201015142343Z");
        let t = der(|w| w.time(&Asn1Time::from_matter_epoch(0)));
        assert_eq!(t[..2], [0x18, 0x0f]);
        assert_eq!(&t[2..], b"99991231235959Z");
    }

    #[test]
    fn header_reader_is_strict() {
        assert_eq!(read_header(&[0x30, 0x00]), Some((0x30, 2, 2)));
        assert_eq!(read_header(&[0x30, 0x01]), None, "content past the end");
        assert_eq!(read_header(&[0x30, 0x80]), None, "indefinite length");
        assert_eq!(
            read_header(&[0x30, 0x81, 0x05]),
            None,
            "long form for a short length"
        );
        assert_eq!(read_header(&[0x30, 0x82, 0x00, 0x80]), None, "leading zero");
        assert_eq!(read_header(&[0x1f, 0x00]), None, "high tag number");
        assert_eq!(read_header(&[]), None);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend_from_slice(&[0; 128]);
        assert_eq!(read_header(&long), Some((0x30, 3, 131)));
        assert!(is_single_sequence(&long));
        long.push(0);
        assert!(!is_single_sequence(&long));
        assert!(!is_single_sequence(&[0x31, 0x00]));
    }
}
