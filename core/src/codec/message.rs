//! Whole-datagram and whole-plaintext views: a header plus the bytes after it.

use super::error::DecodeError;
use super::message_header::MessageHeader;
use super::protocol_header::ProtocolHeader;

/// A datagram split into its message header and the (possibly encrypted) rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The decoded message header.
    pub header: MessageHeader<'a>,
    /// The header bytes exactly as received: the AES-CCM AAD (Matter 1.3 §4.8).
    pub header_bytes: &'a [u8],
    /// Everything after the header: ciphertext ‖ MIC on a secure session, the protocol
    /// header and application payload on the unsecured session.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// Splits a datagram, enforcing the header validity rules ([`MessageHeader::decode`]).
    pub fn decode(datagram: &'a [u8]) -> Result<Self, DecodeError> {
        Self::split(datagram, MessageHeader::decode(datagram)?)
    }

    /// Splits a datagram checking the header layout only
    /// ([`MessageHeader::decode_permissive`]).
    pub fn decode_permissive(datagram: &'a [u8]) -> Result<Self, DecodeError> {
        Self::split(datagram, MessageHeader::decode_permissive(datagram)?)
    }

    /// Length of the message header in bytes.
    pub fn header_len(&self) -> usize {
        self.header_bytes.len()
    }

    fn split(
        datagram: &'a [u8],
        (header, len): (MessageHeader<'a>, usize),
    ) -> Result<Self, DecodeError> {
        // `len` bytes were just read from `datagram`, so the split point is in bounds; the
        // checked form keeps that from being a panic path all the same.
        let (header_bytes, payload) = datagram.split_at_checked(len).unwrap_or((datagram, &[]));
        Ok(Self {
            header,
            header_bytes,
            payload,
        })
    }
}

/// A plaintext split into its protocol header and the application payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolMessage<'a> {
    /// The decoded protocol header.
    pub header: ProtocolHeader<'a>,
    /// The application payload after the header.
    pub payload: &'a [u8],
}

impl<'a> ProtocolMessage<'a> {
    /// Splits a plaintext (decrypted payload, or the unsecured payload).
    pub fn decode(plaintext: &'a [u8]) -> Result<Self, DecodeError> {
        let (header, len) = ProtocolHeader::decode(plaintext)?;
        let payload = plaintext.get(len..).unwrap_or(&[]);
        Ok(Self { header, payload })
    }

    /// Appends the protocol header and the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.header.encode(out);
        out.extend_from_slice(self.payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_from_payload() {
        let datagram = [0x00, 0x01, 0x00, 0x00, 0x05, 0, 0, 0, 0xaa, 0xbb];
        let msg = Message::decode(&datagram).unwrap();
        assert_eq!(msg.header_len(), 8);
        assert_eq!(msg.header_bytes, &datagram[..8]);
        assert_eq!(msg.payload, [0xaa, 0xbb]);
        assert_eq!(msg.header.session_id, 1);
        assert_eq!(msg.header.message_counter, 5);
    }

    #[test]
    fn strict_and_permissive_differ_only_on_rules() {
        // Unicast with a group destination: layout fine, rule broken.
        let datagram = [0x02, 0x01, 0x00, 0x00, 0x05, 0, 0, 0, 0x01, 0x00];
        assert!(Message::decode_permissive(&datagram).is_ok());
        assert_eq!(
            Message::decode(&datagram),
            Err(DecodeError::GroupDestinationOnUnicast)
        );
    }

    #[test]
    fn protocol_message_round_trips() {
        let plaintext = [0x05, 0x20, 0x01, 0x00, 0x00, 0x00, 0x15, 0x18];
        let msg = ProtocolMessage::decode(&plaintext).unwrap();
        assert_eq!(msg.payload, [0x15, 0x18]);
        assert_eq!(msg.header.opcode_name(), "PBKDFParamRequest");
        let mut out = Vec::new();
        msg.encode(&mut out);
        assert_eq!(out, plaintext);
    }
}
