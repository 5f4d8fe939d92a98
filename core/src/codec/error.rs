//! Typed decode and encode errors for the message codec.

use thiserror::Error;

/// The wire field a truncation error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The 8-byte fixed part of the message header (flags, session id, security flags, counter).
    FixedMessageHeader,
    /// The 8-byte Source Node ID (present iff message flag `S`).
    SourceNodeId,
    /// The 8-byte Destination Node ID (`DSIZ = 1`).
    DestinationNodeId,
    /// The 2-byte Destination Group ID (`DSIZ = 2`).
    DestinationGroupId,
    /// The 2-byte length of the Message Extensions (security flag `MX`).
    MessageExtensionsLength,
    /// The Message Extensions bytes.
    MessageExtensions,
    /// The 4-byte fixed part of the protocol header (exchange flags, opcode, exchange id).
    FixedProtocolHeader,
    /// The 2-byte Protocol Vendor ID (exchange flag `V`).
    VendorId,
    /// The 2-byte Protocol ID.
    ProtocolId,
    /// The 4-byte Acknowledged Message Counter (exchange flag `A`).
    AckCounter,
    /// The 2-byte length of the Secured Extensions (exchange flag `SX`).
    SecuredExtensionsLength,
    /// The Secured Extensions bytes.
    SecuredExtensions,
    /// The 8-byte fixed part of a StatusReport.
    StatusReport,
}

impl core::fmt::Display for Field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = match self {
            Field::FixedMessageHeader => "fixed message header",
            Field::SourceNodeId => "source node id",
            Field::DestinationNodeId => "destination node id",
            Field::DestinationGroupId => "destination group id",
            Field::MessageExtensionsLength => "message extensions length",
            Field::MessageExtensions => "message extensions",
            Field::FixedProtocolHeader => "fixed protocol header",
            Field::VendorId => "vendor id",
            Field::ProtocolId => "protocol id",
            Field::AckCounter => "acknowledged message counter",
            Field::SecuredExtensionsLength => "secured extensions length",
            Field::SecuredExtensions => "secured extensions",
            Field::StatusReport => "status report",
        };
        f.write_str(name)
    }
}

/// Why a message header, protocol header or StatusReport was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended inside `field`.
    #[error("truncated {field}: needs {needed} bytes, {available} available")]
    Truncated {
        /// The field being read.
        field: Field,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// Message flags version (bits 7..4) is not 0 (Matter 1.3 §4.4.1).
    #[error("unsupported message format version {0}")]
    UnsupportedVersion(u8),
    /// `DSIZ = 3` is reserved (Matter 1.3 §4.4.1).
    #[error("reserved destination size DSIZ = 3")]
    ReservedDsiz,
    /// Session type 2 or 3 is reserved (Matter 1.3 §4.4.1); carries the value.
    #[error("reserved session type {0}")]
    ReservedSessionType(u8),
    /// A unicast session header carries a group destination (validity rule, Matter 1.3 §4.4.1).
    #[error("unicast session with a group destination id")]
    GroupDestinationOnUnicast,
    /// A group session header has no Source Node ID (validity rule, Matter 1.3 §4.4.1).
    #[error("group session without a source node id")]
    GroupWithoutSource,
    /// A group session header has no destination (validity rule, Matter 1.3 §4.4.1).
    #[error("group session without a destination")]
    GroupWithoutDestination,
}

/// Why a value could not be built for encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// Extensions are prefixed by a u16 length, so they hold at most 65535 bytes.
    #[error("extensions of {0} bytes exceed the 65535-byte limit")]
    ExtensionsTooLong(usize),
}
