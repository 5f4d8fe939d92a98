//! StatusReport, the fixed binary payload of Secure Channel opcode 0x40 (Matter 1.3 Appendix D).
//!
//! Layout, all little-endian: general code (2) | protocol id (4, `vendor << 16 | id`) |
//! protocol code (2) | protocol data (rest).

use super::error::{DecodeError, Field};
use super::protocol::ProtocolId;
use super::reader::Reader;

/// Length of the fixed part; shorter inputs are rejected (as CHIP's `StatusReport::Parse`).
pub const STATUS_REPORT_FIXED_LEN: usize = 8;

/// Defines a u16 code enum with an `Unknown(u16)` fallback, wire conversions and names.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)+ }) => {
        $(#[$meta])*
        ///
        /// Build values from the wire with `from_u16`; `Unknown` is meant only for values
        /// without a named variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value without a named variant.
            Unknown(u16),
        }

        impl $name {
            /// The code for a wire value.
            pub const fn from_u16(value: u16) -> Self {
                match value {
                    $($value => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }

            /// The wire value.
            pub const fn to_u16(self) -> u16 {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(other) => other,
                }
            }

            /// Name for traces; "UNKNOWN"/"Unknown" for unnamed values.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(_) => Self::UNKNOWN_NAME,
                }
            }
        }

        // Derived `Arbitrary` could build `Unknown(0)`, which is not canonical.
        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                u16::arbitrary(u).map(Self::from_u16)
            }
        }
    };
}

code_enum! {
    /// General status codes, shared by all protocols (Matter 1.3 Appendix D; matter.js lists 17,
    /// CHIP stops at 16).
    GeneralCode {
        /// 0
        Success = 0 => "SUCCESS",
        /// 1
        Failure = 1 => "FAILURE",
        /// 2
        BadPrecondition = 2 => "BAD_PRECONDITION",
        /// 3
        OutOfRange = 3 => "OUT_OF_RANGE",
        /// 4
        BadRequest = 4 => "BAD_REQUEST",
        /// 5
        Unsupported = 5 => "UNSUPPORTED",
        /// 6
        Unexpected = 6 => "UNEXPECTED",
        /// 7
        ResourceExhausted = 7 => "RESOURCE_EXHAUSTED",
        /// 8
        Busy = 8 => "BUSY",
        /// 9
        Timeout = 9 => "TIMEOUT",
        /// 10
        Continue = 10 => "CONTINUE",
        /// 11
        Aborted = 11 => "ABORTED",
        /// 12
        InvalidArgument = 12 => "INVALID_ARGUMENT",
        /// 13
        NotFound = 13 => "NOT_FOUND",
        /// 14
        AlreadyExists = 14 => "ALREADY_EXISTS",
        /// 15
        PermissionDenied = 15 => "PERMISSION_DENIED",
        /// 16
        DataLoss = 16 => "DATA_LOSS",
        /// 17
        MessageTooLarge = 17 => "MESSAGE_TOO_LARGE",
    }
}

impl GeneralCode {
    const UNKNOWN_NAME: &'static str = "UNKNOWN";
}

code_enum! {
    /// Secure Channel protocol codes (Matter 1.3 Appendix D).
    SecureChannelStatus {
        /// Final message of a successful PASE/CASE/resumption.
        SessionEstablishmentSuccess = 0x0000 => "SessionEstablishmentSuccess",
        /// CASE responder found no fabric matching the destination id.
        NoSharedTrustRoots = 0x0001 => "NoSharedTrustRoots",
        /// Any establishment failure.
        InvalidParameter = 0x0002 => "InvalidParameter",
        /// Graceful session close.
        CloseSession = 0x0003 => "CloseSession",
        /// Responder busy; data holds the minimum wait in ms.
        Busy = 0x0004 => "Busy",
        /// Newer revisions (CHIP constant); not sent by matter.js.
        SessionNotFound = 0x0005 => "SessionNotFound",
        /// Placeholder "no protocol-specific detail".
        GeneralFailure = 0xffff => "GeneralFailure",
    }
}

impl SecureChannelStatus {
    const UNKNOWN_NAME: &'static str = "Unknown";
}

/// A StatusReport payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct StatusReport {
    /// General code.
    pub general_code: GeneralCode,
    /// Protocol the protocol code belongs to (vendor in the high 16 bits on the wire).
    pub protocol: ProtocolId,
    /// Protocol-specific code.
    pub protocol_code: u16,
    /// Protocol data: every byte after the fixed part.
    pub data: Vec<u8>,
}

impl StatusReport {
    /// A Secure Channel report with no data.
    pub fn secure_channel(general_code: GeneralCode, status: SecureChannelStatus) -> Self {
        Self {
            general_code,
            protocol: ProtocolId::SECURE_CHANNEL,
            protocol_code: status.to_u16(),
            data: Vec::new(),
        }
    }

    /// SUCCESS / SessionEstablishmentSuccess: ends PASE, CASE and resumption.
    pub fn success() -> Self {
        Self::secure_channel(
            GeneralCode::Success,
            SecureChannelStatus::SessionEstablishmentSuccess,
        )
    }

    /// SUCCESS / CloseSession: graceful session close (Matter 1.3 §4.11; matter.js
    /// `session/NodeSession.ts`).
    pub fn close_session() -> Self {
        Self::secure_channel(GeneralCode::Success, SecureChannelStatus::CloseSession)
    }

    /// BUSY / Busy with the minimum wait before retrying, u16 LE in the data (Matter 1.3 Appendix
    /// D).
    pub fn busy(wait_ms: u16) -> Self {
        Self {
            data: wait_ms.to_le_bytes().to_vec(),
            ..Self::secure_channel(GeneralCode::Busy, SecureChannelStatus::Busy)
        }
    }

    /// FAILURE / InvalidParameter: any establishment failure.
    pub fn invalid_parameter() -> Self {
        Self::secure_channel(GeneralCode::Failure, SecureChannelStatus::InvalidParameter)
    }

    /// FAILURE / NoSharedTrustRoots: CASE destination id matched no fabric.
    pub fn no_shared_trust_roots() -> Self {
        Self::secure_channel(
            GeneralCode::Failure,
            SecureChannelStatus::NoSharedTrustRoots,
        )
    }

    /// The Secure Channel status, `None` if the report belongs to another protocol.
    pub fn secure_channel_status(&self) -> Option<SecureChannelStatus> {
        (self.protocol == ProtocolId::SECURE_CHANNEL)
            .then(|| SecureChannelStatus::from_u16(self.protocol_code))
    }

    /// The minimum wait of a Secure Channel Busy report: the first two data bytes as u16 LE.
    /// `None` for any other report or when the data is shorter than two bytes.
    pub fn busy_wait_ms(&self) -> Option<u16> {
        if self.secure_channel_status() != Some(SecureChannelStatus::Busy) {
            return None;
        }
        let (wait, _) = self.data.split_first_chunk::<2>()?;
        Some(u16::from_le_bytes(*wait))
    }

    /// Bytes this report takes on the wire.
    pub fn encoded_len(&self) -> usize {
        STATUS_REPORT_FIXED_LEN + self.data.len()
    }

    /// Appends the report.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.general_code.to_u16().to_le_bytes());
        out.extend_from_slice(&self.protocol.to_u32().to_le_bytes());
        out.extend_from_slice(&self.protocol_code.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    /// Decodes a whole StatusReport payload; fewer than 8 bytes is
    /// [`DecodeError::Truncated`] with field [`Field::StatusReport`].
    pub fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(input);
        let [g0, g1, p0, p1, p2, p3, c0, c1] =
            r.array::<STATUS_REPORT_FIXED_LEN>(Field::StatusReport)?;
        Ok(Self {
            general_code: GeneralCode::from_u16(u16::from_le_bytes([g0, g1])),
            protocol: ProtocolId::from_u32(u32::from_le_bytes([p0, p1, p2, p3])),
            protocol_code: u16::from_le_bytes([c0, c1]),
            data: r.rest().to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_enums_round_trip_every_value() {
        for value in 0..=u16::MAX {
            assert_eq!(GeneralCode::from_u16(value).to_u16(), value);
            assert_eq!(SecureChannelStatus::from_u16(value).to_u16(), value);
        }
        assert_eq!(GeneralCode::from_u16(17), GeneralCode::MessageTooLarge);
        assert_eq!(GeneralCode::from_u16(18), GeneralCode::Unknown(18));
        assert_eq!(GeneralCode::Unknown(18).name(), "UNKNOWN");
        assert_eq!(SecureChannelStatus::from_u16(6).name(), "Unknown");
    }

    #[test]
    fn busy_carries_wait_time() {
        let busy = StatusReport::busy(500);
        let mut out = Vec::new();
        busy.encode(&mut out);
        assert_eq!(out, [8, 0, 0, 0, 0, 0, 4, 0, 0xf4, 0x01]);
        let back = StatusReport::decode(&out).unwrap();
        assert_eq!(back.busy_wait_ms(), Some(500));
        assert_eq!(back, busy);
    }

    #[test]
    fn busy_wait_only_for_secure_channel_busy() {
        assert_eq!(StatusReport::close_session().busy_wait_ms(), None);
        let short = StatusReport {
            data: vec![1],
            ..StatusReport::busy(0)
        };
        assert_eq!(short.busy_wait_ms(), None);
        let other_protocol = StatusReport {
            protocol: ProtocolId::INTERACTION_MODEL,
            ..StatusReport::busy(7)
        };
        assert_eq!(other_protocol.secure_channel_status(), None);
        assert_eq!(other_protocol.busy_wait_ms(), None);
    }

    #[test]
    fn short_input_is_truncated_error() {
        for len in 0..STATUS_REPORT_FIXED_LEN {
            assert_eq!(
                StatusReport::decode(&[0u8; 8][..len]),
                Err(DecodeError::Truncated {
                    field: Field::StatusReport,
                    needed: 8,
                    available: len,
                })
            );
        }
    }
}
