//! The protocol (exchange) header at the start of the decrypted payload (Matter 1.3 §4.4.3).
//!
//! Layout, all little-endian: exchange flags (1) | opcode (1) | exchange id (2) |
//! [vendor id (2)] | protocol id (2) | [ack counter (4)] | [secured extensions: length (2) +
//! bytes]. Vendor id comes before protocol id on the wire.

use super::error::{DecodeError, Field};
use super::extensions::Extensions;
use super::protocol::{ProtocolId, opcode_name};
use super::reader::Reader;
use super::reserved::Reserved;

/// Length of the always-present part: exchange flags, opcode, exchange id.
pub const FIXED_PROTOCOL_HEADER_LEN: usize = 4;

const EX_INITIATOR: u8 = 0x01;
const EX_ACK: u8 = 0x02;
const EX_RELIABLE: u8 = 0x04;
const EX_SECURED_EXTENSIONS: u8 = 0x08;
const EX_VENDOR: u8 = 0x10;

/// Reserved bits 7..5 of the exchange flags byte.
pub type ExchangeFlagsReserved = Reserved<0xe0>;

/// A decoded or to-be-encoded protocol header; secured extensions borrow from the plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ProtocolHeader<'a> {
    /// Exchange flag `I`: sent by the exchange initiator.
    pub initiator: bool,
    /// Exchange flag `R`: the sender asks for an MRP acknowledgement.
    pub reliable: bool,
    /// Opcode within the protocol.
    pub opcode: u8,
    /// Exchange id, chosen by the initiator.
    pub exchange_id: u16,
    /// Protocol vendor id, present iff flag `V`; absent means vendor 0. Kept as an option so
    /// an explicit vendor 0 re-encodes as received.
    pub vendor_id: Option<u16>,
    /// Protocol id.
    pub protocol_id: u16,
    /// Acknowledged message counter, present iff flag `A`.
    pub ack_counter: Option<u32>,
    /// Secured extensions, present iff flag `SX`.
    pub secured_extensions: Option<Extensions<'a>>,
    /// Reserved exchange-flag bits as received (0 when sending).
    pub reserved_exchange_flags: ExchangeFlagsReserved,
}

impl<'a> ProtocolHeader<'a> {
    /// A header for `protocol`/`opcode` on `exchange_id`, no flags set; the vendor id field is
    /// written only for a non-zero vendor.
    pub fn new(protocol: ProtocolId, opcode: u8, exchange_id: u16) -> Self {
        Self {
            opcode,
            exchange_id,
            vendor_id: (protocol.vendor_id != 0).then_some(protocol.vendor_id),
            protocol_id: protocol.id,
            ..Self::default()
        }
    }

    /// The protocol, with an absent vendor id read as 0.
    pub fn protocol(&self) -> ProtocolId {
        ProtocolId {
            vendor_id: self.vendor_id.unwrap_or(0),
            id: self.protocol_id,
        }
    }

    /// Trace name of the opcode ("Sigma1", "InvokeRequest", … or "Unknown").
    pub fn opcode_name(&self) -> &'static str {
        opcode_name(self.protocol(), self.opcode)
    }

    /// The exchange flags byte.
    pub fn exchange_flags(&self) -> u8 {
        let mut flags = self.reserved_exchange_flags.bits();
        for (set, bit) in [
            (self.initiator, EX_INITIATOR),
            (self.ack_counter.is_some(), EX_ACK),
            (self.reliable, EX_RELIABLE),
            (self.secured_extensions.is_some(), EX_SECURED_EXTENSIONS),
            (self.vendor_id.is_some(), EX_VENDOR),
        ] {
            if set {
                flags |= bit;
            }
        }
        flags
    }

    /// Bytes this header takes on the wire.
    pub fn encoded_len(&self) -> usize {
        FIXED_PROTOCOL_HEADER_LEN
            + if self.vendor_id.is_some() { 2 } else { 0 }
            + 2
            + if self.ack_counter.is_some() { 4 } else { 0 }
            + self.secured_extensions.map_or(0, |ext| ext.encoded_len())
    }

    /// Appends the header exactly as laid out in Matter 1.3 §4.4.3.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.push(self.exchange_flags());
        out.push(self.opcode);
        out.extend_from_slice(&self.exchange_id.to_le_bytes());
        if let Some(vendor) = self.vendor_id {
            out.extend_from_slice(&vendor.to_le_bytes());
        }
        out.extend_from_slice(&self.protocol_id.to_le_bytes());
        if let Some(ack) = self.ack_counter {
            out.extend_from_slice(&ack.to_le_bytes());
        }
        if let Some(ext) = self.secured_extensions {
            ext.encode(out);
        }
    }

    /// Decodes the header at the start of `input`; returns it and its length (the
    /// application payload starts there).
    pub fn decode(input: &'a [u8]) -> Result<(Self, usize), DecodeError> {
        let mut r = Reader::new(input);
        let [flags, opcode, x0, x1] =
            r.array::<FIXED_PROTOCOL_HEADER_LEN>(Field::FixedProtocolHeader)?;
        let vendor_id = if flags & EX_VENDOR != 0 {
            Some(r.u16_le(Field::VendorId)?)
        } else {
            None
        };
        let protocol_id = r.u16_le(Field::ProtocolId)?;
        let ack_counter = if flags & EX_ACK != 0 {
            Some(r.u32_le(Field::AckCounter)?)
        } else {
            None
        };
        let secured_extensions = if flags & EX_SECURED_EXTENSIONS != 0 {
            Some(Extensions::read(
                &mut r,
                Field::SecuredExtensionsLength,
                Field::SecuredExtensions,
            )?)
        } else {
            None
        };
        let header = Self {
            initiator: flags & EX_INITIATOR != 0,
            reliable: flags & EX_RELIABLE != 0,
            opcode,
            exchange_id: u16::from_le_bytes([x0, x1]),
            vendor_id,
            protocol_id,
            ack_counter,
            secured_extensions,
            reserved_exchange_flags: ExchangeFlagsReserved::from_flags(flags),
        };
        Ok((header, r.consumed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standalone_ack_layout() {
        let header = ProtocolHeader {
            ack_counter: Some(0x0102_0304),
            ..ProtocolHeader::new(ProtocolId::SECURE_CHANNEL, 0x10, 0xbeef)
        };
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(
            out,
            [0x02, 0x10, 0xef, 0xbe, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01]
        );
        assert_eq!(header.encoded_len(), out.len());
        assert_eq!(header.opcode_name(), "StandaloneAck");
        assert_eq!(ProtocolHeader::decode(&out), Ok((header, out.len())));
    }

    #[test]
    fn vendor_id_precedes_protocol_id() {
        let protocol = ProtocolId {
            vendor_id: 0xfff1,
            id: 0x0001,
        };
        let header = ProtocolHeader::new(protocol, 1, 2);
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(out, [0x10, 0x01, 0x02, 0x00, 0xf1, 0xff, 0x01, 0x00]);
        let (back, _) = ProtocolHeader::decode(&out).unwrap();
        assert_eq!(back.protocol(), protocol);
    }

    #[test]
    fn explicit_vendor_zero_is_kept() {
        let bytes = [0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00];
        let (header, len) = ProtocolHeader::decode(&bytes).unwrap();
        assert_eq!(header.vendor_id, Some(0));
        assert_eq!(header.protocol(), ProtocolId::INTERACTION_MODEL);
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(out, bytes[..len]);
    }

    #[test]
    fn truncation_names_the_field() {
        let cases: [(&[u8], Field); 5] = [
            (&[0x00, 0x10, 0x01], Field::FixedProtocolHeader),
            (&[0x10, 0x10, 0x01, 0x00, 0xf1], Field::VendorId),
            (&[0x00, 0x10, 0x01, 0x00, 0x00], Field::ProtocolId),
            (
                &[0x02, 0x10, 0x01, 0x00, 0x00, 0x00, 0x01],
                Field::AckCounter,
            ),
            (
                &[0x08, 0x10, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0xaa],
                Field::SecuredExtensions,
            ),
        ];
        for (bytes, field) in cases {
            match ProtocolHeader::decode(bytes) {
                Err(DecodeError::Truncated { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{bytes:02x?}: expected truncated {field}, got {other:?}"),
            }
        }
    }
}
