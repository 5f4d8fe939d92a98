//! The cleartext message header (Matter 1.3 §4.4.1).
//!
//! Layout, all little-endian: message flags (1) | session id (2) | security flags (1) |
//! message counter (4) | [source node id (8)] | [dest node id (8) | dest group id (2)] |
//! [message extensions: length (2) + bytes]. The encoded header is the AES-CCM AAD (Matter 1.3
//! §4.8).

use super::error::{DecodeError, Field};
use super::extensions::Extensions;
use super::nonce::message_nonce;
use super::reader::Reader;
use super::reserved::Reserved;

/// The only message format version (message flags bits 7..4, Matter 1.3 §4.4.1).
pub const MESSAGE_FORMAT_VERSION: u8 = 0;
/// Length of the always-present part of the header: flags, session id, security flags, counter.
pub const FIXED_MESSAGE_HEADER_LEN: usize = 8;
/// Session id of the unsecured session (Matter 1.3 "Unsecured Session Context").
pub const UNSECURED_SESSION_ID: u16 = 0;

const VERSION_SHIFT: u32 = 4;
const FLAG_SOURCE_PRESENT: u8 = 0x04;
const DSIZ_MASK: u8 = 0x03;
const DSIZ_NONE: u8 = 0;
const DSIZ_NODE: u8 = 1;
const DSIZ_GROUP: u8 = 2;

const SEC_PRIVACY: u8 = 0x80;
const SEC_CONTROL: u8 = 0x40;
const SEC_EXTENSIONS: u8 = 0x20;
const SESSION_TYPE_MASK: u8 = 0x03;

/// Reserved bit 3 of the message flags byte.
pub type MessageFlagsReserved = Reserved<0x08>;
/// Reserved bits 4..2 of the security flags byte.
pub type SecurityFlagsReserved = Reserved<0x1c>;

/// Session type, security flags bits 1..0 (values 2 and 3 are reserved and rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SessionType {
    /// Unicast session (PASE, CASE or the unsecured session).
    #[default]
    Unicast,
    /// Group session.
    Group,
}

impl SessionType {
    /// The two-bit wire value.
    pub const fn bits(self) -> u8 {
        match self {
            SessionType::Unicast => 0,
            SessionType::Group => 1,
        }
    }
}

/// The destination field, selected by `DSIZ` (Matter 1.3 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Destination {
    /// `DSIZ = 0`: no destination.
    #[default]
    None,
    /// `DSIZ = 1`: 64-bit Destination Node ID.
    Node(u64),
    /// `DSIZ = 2`: 16-bit Destination Group ID.
    Group(u16),
}

impl Destination {
    /// The `DSIZ` value selecting this destination.
    pub const fn dsiz(self) -> u8 {
        match self {
            Destination::None => DSIZ_NONE,
            Destination::Node(_) => DSIZ_NODE,
            Destination::Group(_) => DSIZ_GROUP,
        }
    }

    /// Bytes the destination takes on the wire.
    pub const fn encoded_len(self) -> usize {
        match self {
            Destination::None => 0,
            Destination::Node(_) => 8,
            Destination::Group(_) => 2,
        }
    }
}

/// A decoded or to-be-encoded message header; extensions borrow from the datagram.
///
/// The privacy (`P`) and control (`C`) flags are decoded as plain flags: the codec does not
/// act on them, the session layer decides to drop (Matter 1.3 §4.4.1, §4.9). With `P = 1` the
/// counter and node ids are obfuscated on the wire, so their decoded values are meaningless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MessageHeader<'a> {
    /// Session ID: 0 for the unsecured session, else the receiver's session id (Matter 1.3 §4.4.1).
    pub session_id: u16,
    /// Unicast or group session.
    pub session_type: SessionType,
    /// Security flag `P`: privacy obfuscation (out of scope, Matter 1.3 §4.9).
    pub privacy: bool,
    /// Security flag `C`: control message (MCSP on groups).
    pub control: bool,
    /// Message counter (Matter 1.3 §4.6).
    pub message_counter: u32,
    /// Source Node ID, present iff message flag `S`.
    pub source_node_id: Option<u64>,
    /// Destination node or group id (`DSIZ`).
    pub destination: Destination,
    /// Message Extensions, present iff security flag `MX`.
    pub extensions: Option<Extensions<'a>>,
    /// Reserved message-flag bit as received (0 when sending).
    pub reserved_message_flags: MessageFlagsReserved,
    /// Reserved security-flag bits as received (0 when sending).
    pub reserved_security_flags: SecurityFlagsReserved,
}

impl<'a> MessageHeader<'a> {
    /// A unicast header with no node ids, extensions or flags set.
    pub fn unicast(session_id: u16, message_counter: u32) -> Self {
        Self {
            session_id,
            message_counter,
            ..Self::default()
        }
    }

    /// The message flags byte: version, `S`, `DSIZ` and the reserved bit.
    pub fn message_flags(&self) -> u8 {
        let source = if self.source_node_id.is_some() {
            FLAG_SOURCE_PRESENT
        } else {
            0
        };
        (MESSAGE_FORMAT_VERSION << VERSION_SHIFT)
            | self.reserved_message_flags.bits()
            | source
            | self.destination.dsiz()
    }

    /// The security flags byte: `P`, `C`, `MX`, session type and reserved bits. It is also
    /// byte 0 of the AES-CCM nonce (Matter 1.3 §4.8).
    pub fn security_flags(&self) -> u8 {
        let mut flags = self.session_type.bits() | self.reserved_security_flags.bits();
        if self.privacy {
            flags |= SEC_PRIVACY;
        }
        if self.control {
            flags |= SEC_CONTROL;
        }
        if self.extensions.is_some() {
            flags |= SEC_EXTENSIONS;
        }
        flags
    }

    /// True for the unsecured session: session id 0, unicast (Matter 1.3 "Unsecured Session
    /// Context").
    pub fn is_unsecured(&self) -> bool {
        self.session_id == UNSECURED_SESSION_ID && self.session_type == SessionType::Unicast
    }

    /// The AES-CCM nonce for this message, given the sender's node id (Matter 1.3 §4.8: the CASE
    /// peer's operational node id, 0 for PASE, the header's source node id for groups).
    pub fn nonce(&self, sender_node_id: u64) -> [u8; 13] {
        message_nonce(self.security_flags(), self.message_counter, sender_node_id)
    }

    /// Bytes this header takes on the wire.
    pub fn encoded_len(&self) -> usize {
        FIXED_MESSAGE_HEADER_LEN
            + if self.source_node_id.is_some() { 8 } else { 0 }
            + self.destination.encoded_len()
            + self.extensions.map_or(0, |ext| ext.encoded_len())
    }

    /// Appends the header exactly as laid out in Matter 1.3 §4.4.1.
    ///
    /// Encoding does not apply the validity rules of [`validate`](Self::validate): any field
    /// combination the layout can express is written as given.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.push(self.message_flags());
        out.extend_from_slice(&self.session_id.to_le_bytes());
        out.push(self.security_flags());
        out.extend_from_slice(&self.message_counter.to_le_bytes());
        if let Some(source) = self.source_node_id {
            out.extend_from_slice(&source.to_le_bytes());
        }
        match self.destination {
            Destination::None => {}
            Destination::Node(node) => out.extend_from_slice(&node.to_le_bytes()),
            Destination::Group(group) => out.extend_from_slice(&group.to_le_bytes()),
        }
        if let Some(ext) = self.extensions {
            ext.encode(out);
        }
    }

    /// Decodes the header at the start of `input` and applies the Matter 1.3 §4.4.1 validity rules.
    /// Returns the header and its length in bytes (the payload starts there).
    pub fn decode(input: &'a [u8]) -> Result<(Self, usize), DecodeError> {
        let (header, len) = Self::decode_permissive(input)?;
        header.validate()?;
        Ok((header, len))
    }

    /// Decodes the header layout only: rejects truncation, a version other than 0, the
    /// reserved `DSIZ = 3` and reserved session types, but not the addressing rules of
    /// [`validate`](Self::validate). For tools and round-trip tests; the session layer should
    /// use [`decode`](Self::decode).
    pub fn decode_permissive(input: &'a [u8]) -> Result<(Self, usize), DecodeError> {
        let mut r = Reader::new(input);
        let [message_flags, s0, s1, security_flags, c0, c1, c2, c3] =
            r.array::<FIXED_MESSAGE_HEADER_LEN>(Field::FixedMessageHeader)?;
        let message_counter = u32::from_le_bytes([c0, c1, c2, c3]);

        let version = message_flags >> VERSION_SHIFT;
        if version != MESSAGE_FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let session_type = match security_flags & SESSION_TYPE_MASK {
            0 => SessionType::Unicast,
            1 => SessionType::Group,
            reserved => return Err(DecodeError::ReservedSessionType(reserved)),
        };
        let dsiz = message_flags & DSIZ_MASK;
        if dsiz == 3 {
            return Err(DecodeError::ReservedDsiz);
        }

        let source_node_id = if message_flags & FLAG_SOURCE_PRESENT != 0 {
            Some(r.u64_le(Field::SourceNodeId)?)
        } else {
            None
        };
        let destination = match dsiz {
            DSIZ_NODE => Destination::Node(r.u64_le(Field::DestinationNodeId)?),
            DSIZ_GROUP => Destination::Group(r.u16_le(Field::DestinationGroupId)?),
            _ => Destination::None,
        };
        let extensions = if security_flags & SEC_EXTENSIONS != 0 {
            Some(Extensions::read(
                &mut r,
                Field::MessageExtensionsLength,
                Field::MessageExtensions,
            )?)
        } else {
            None
        };

        let header = Self {
            session_id: u16::from_le_bytes([s0, s1]),
            session_type,
            privacy: security_flags & SEC_PRIVACY != 0,
            control: security_flags & SEC_CONTROL != 0,
            message_counter,
            source_node_id,
            destination,
            extensions,
            reserved_message_flags: MessageFlagsReserved::from_flags(message_flags),
            reserved_security_flags: SecurityFlagsReserved::from_flags(security_flags),
        };
        Ok((header, r.consumed()))
    }

    /// Checks the header validity rules of Matter 1.3 §4.4.1: a unicast header must not carry a
    /// group destination; a group header needs a source node id and a destination.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self.session_type {
            SessionType::Unicast => {
                if matches!(self.destination, Destination::Group(_)) {
                    return Err(DecodeError::GroupDestinationOnUnicast);
                }
            }
            SessionType::Group => {
                if self.source_node_id.is_none() {
                    return Err(DecodeError::GroupWithoutSource);
                }
                if self.destination == Destination::None {
                    return Err(DecodeError::GroupWithoutDestination);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(header: &MessageHeader<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        header.encode(&mut out);
        out
    }

    #[test]
    fn minimal_unicast_header_is_eight_bytes() {
        let header = MessageHeader::unicast(0x1234, 0x0a0b_0c0d);
        let bytes = encoded(&header);
        assert_eq!(bytes, [0x00, 0x34, 0x12, 0x00, 0x0d, 0x0c, 0x0b, 0x0a]);
        assert_eq!(header.encoded_len(), bytes.len());
        assert_eq!(MessageHeader::decode(&bytes), Ok((header, 8)));
    }

    #[test]
    fn flags_bytes_follow_fields() {
        let ext = Extensions::new(&[1, 2]).unwrap();
        let header = MessageHeader {
            session_type: SessionType::Group,
            privacy: true,
            control: true,
            source_node_id: Some(7),
            destination: Destination::Group(9),
            extensions: Some(ext),
            ..MessageHeader::default()
        };
        assert_eq!(header.message_flags(), 0x06);
        assert_eq!(header.security_flags(), 0x80 | 0x40 | 0x20 | 0x01);
        let bytes = encoded(&header);
        assert_eq!(bytes.len(), 8 + 8 + 2 + 4);
        assert_eq!(MessageHeader::decode(&bytes), Ok((header, bytes.len())));
    }

    #[test]
    fn reserved_bits_are_kept_for_reencoding() {
        let bytes = [0x08, 0x01, 0x00, 0x1c, 0x05, 0x00, 0x00, 0x00];
        let (header, len) = MessageHeader::decode(&bytes).unwrap();
        assert_eq!(len, 8);
        assert_eq!(header.reserved_message_flags.bits(), 0x08);
        assert_eq!(header.reserved_security_flags.bits(), 0x1c);
        assert_eq!(header.session_type, SessionType::Unicast);
        assert_eq!(encoded(&header), bytes);
    }

    #[test]
    fn rejects_layout_errors() {
        let cases: [(&[u8], DecodeError); 4] = [
            (
                &[0x00; 7],
                DecodeError::Truncated {
                    field: Field::FixedMessageHeader,
                    needed: 8,
                    available: 7,
                },
            ),
            (
                &[0x20, 0, 0, 0, 0, 0, 0, 0],
                DecodeError::UnsupportedVersion(2),
            ),
            (&[0x03, 0, 0, 0, 0, 0, 0, 0], DecodeError::ReservedDsiz),
            (
                &[0x00, 0, 0, 0x03, 0, 0, 0, 0],
                DecodeError::ReservedSessionType(3),
            ),
        ];
        for (bytes, err) in cases {
            assert_eq!(
                MessageHeader::decode_permissive(bytes),
                Err(err),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn validity_rules_apply_only_in_strict_decode() {
        // unicast + group destination
        let bytes = [0x02, 0, 0, 0x00, 0, 0, 0, 0, 0x01, 0x00];
        assert!(MessageHeader::decode_permissive(&bytes).is_ok());
        assert_eq!(
            MessageHeader::decode(&bytes),
            Err(DecodeError::GroupDestinationOnUnicast)
        );
        // group without source
        let bytes = [0x02, 0, 0, 0x01, 0, 0, 0, 0, 0x01, 0x00];
        assert_eq!(
            MessageHeader::decode(&bytes),
            Err(DecodeError::GroupWithoutSource)
        );
        // group with source, no destination
        let bytes = [0x04, 0, 0, 0x01, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            MessageHeader::decode(&bytes),
            Err(DecodeError::GroupWithoutDestination)
        );
    }

    #[test]
    fn nonce_uses_security_flags_and_counter() {
        let header = MessageHeader {
            session_type: SessionType::Group,
            ..MessageHeader::unicast(1, 0x0403_0201)
        };
        let nonce = header.nonce(0x1122_3344_5566_7788);
        assert_eq!(nonce[0], 0x01);
        assert_eq!(nonce[1..5], [1, 2, 3, 4]);
        assert_eq!(nonce[5..], 0x1122_3344_5566_7788u64.to_le_bytes());
    }
}
