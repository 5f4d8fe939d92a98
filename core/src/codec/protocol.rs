//! Protocol ids and opcode names (Matter 1.3 §4.4.3, §4.11, and ch. 10 for the Interaction Model).

/// A protocol: vendor id (0 = the Matter standard) and protocol id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ProtocolId {
    /// Protocol vendor id; 0 for the standard protocols.
    pub vendor_id: u16,
    /// Protocol id within the vendor's space.
    pub id: u16,
}

impl ProtocolId {
    /// Secure Channel, 0x0000.
    pub const SECURE_CHANNEL: Self = Self::standard(0x0000);
    /// Interaction Model, 0x0001.
    pub const INTERACTION_MODEL: Self = Self::standard(0x0001);
    /// Bulk Data Exchange, 0x0002.
    pub const BDX: Self = Self::standard(0x0002);
    /// User Directed Commissioning, 0x0003.
    pub const USER_DIRECTED_COMMISSIONING: Self = Self::standard(0x0003);

    /// A protocol of the standard (vendor 0) space.
    pub const fn standard(id: u16) -> Self {
        Self { vendor_id: 0, id }
    }

    /// The 32-bit form used by StatusReport: `vendor_id << 16 | id` (Matter 1.3 Appendix D).
    pub const fn to_u32(self) -> u32 {
        ((self.vendor_id as u32) << 16) | self.id as u32
    }

    /// Splits the 32-bit StatusReport form.
    pub const fn from_u32(value: u32) -> Self {
        Self {
            vendor_id: (value >> 16) as u16,
            id: value as u16,
        }
    }

    /// Name of a standard protocol, `None` for any other.
    pub const fn name(self) -> Option<&'static str> {
        match (self.vendor_id, self.id) {
            (0, 0x0000) => Some("SecureChannel"),
            (0, 0x0001) => Some("InteractionModel"),
            (0, 0x0002) => Some("BDX"),
            (0, 0x0003) => Some("UserDirectedCommissioning"),
            _ => None,
        }
    }
}

/// Returned by [`opcode_name`] for an opcode it does not know.
pub const UNKNOWN_OPCODE_NAME: &str = "Unknown";

/// Defines an opcode enum with its wire values and trace names.
macro_rules! opcode_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// The opcode for a wire value, `None` if unassigned.
            pub const fn from_u8(value: u8) -> Option<Self> {
                match value {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The wire value.
            pub const fn as_u8(self) -> u8 {
                self as u8
            }

            /// Name for traces.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}

opcode_enum! {
    /// Secure Channel protocol opcodes (Matter 1.3 §4.11).
    SecureChannelOpcode {
        /// MCSP request (group control messages).
        MsgCounterSyncReq = 0x00 => "MsgCounterSyncReq",
        /// MCSP response.
        MsgCounterSyncRsp = 0x01 => "MsgCounterSyncRsp",
        /// MRP standalone acknowledgement, empty payload.
        StandaloneAck = 0x10 => "StandaloneAck",
        /// PASE: PBKDF parameter request.
        PbkdfParamRequest = 0x20 => "PBKDFParamRequest",
        /// PASE: PBKDF parameter response.
        PbkdfParamResponse = 0x21 => "PBKDFParamResponse",
        /// PASE Pake1.
        Pake1 = 0x22 => "Pake1",
        /// PASE Pake2.
        Pake2 = 0x23 => "Pake2",
        /// PASE Pake3.
        Pake3 = 0x24 => "Pake3",
        /// Legacy PASE error (CHIP constant only).
        PakeError = 0x2f => "PakeError",
        /// CASE Sigma1.
        Sigma1 = 0x30 => "Sigma1",
        /// CASE Sigma2.
        Sigma2 = 0x31 => "Sigma2",
        /// CASE Sigma3.
        Sigma3 = 0x32 => "Sigma3",
        /// CASE Sigma2_Resume.
        Sigma2Resume = 0x33 => "Sigma2Resume",
        /// StatusReport (Matter 1.3 Appendix D).
        StatusReport = 0x40 => "StatusReport",
        /// ICD Check-In (out of scope: decoded and dropped).
        IcdCheckIn = 0x50 => "ICDCheckIn",
    }
}

opcode_enum! {
    /// Interaction Model opcodes (Matter 1.3 §5.5).
    InteractionModelOpcode {
        /// StatusResponse.
        StatusResponse = 0x01 => "StatusResponse",
        /// ReadRequest.
        ReadRequest = 0x02 => "ReadRequest",
        /// SubscribeRequest.
        SubscribeRequest = 0x03 => "SubscribeRequest",
        /// SubscribeResponse.
        SubscribeResponse = 0x04 => "SubscribeResponse",
        /// ReportData.
        ReportData = 0x05 => "ReportData",
        /// WriteRequest.
        WriteRequest = 0x06 => "WriteRequest",
        /// WriteResponse.
        WriteResponse = 0x07 => "WriteResponse",
        /// InvokeRequest.
        InvokeRequest = 0x08 => "InvokeRequest",
        /// InvokeResponse.
        InvokeResponse = 0x09 => "InvokeResponse",
        /// TimedRequest.
        TimedRequest = 0x0a => "TimedRequest",
    }
}

/// Trace name of `opcode` within `protocol`, or [`UNKNOWN_OPCODE_NAME`].
pub const fn opcode_name(protocol: ProtocolId, opcode: u8) -> &'static str {
    let known = if protocol.vendor_id != 0 {
        None
    } else if protocol.id == ProtocolId::SECURE_CHANNEL.id {
        match SecureChannelOpcode::from_u8(opcode) {
            Some(op) => Some(op.name()),
            None => None,
        }
    } else if protocol.id == ProtocolId::INTERACTION_MODEL.id {
        match InteractionModelOpcode::from_u8(opcode) {
            Some(op) => Some(op.name()),
            None => None,
        }
    } else {
        None
    };
    match known {
        Some(name) => name,
        None => UNKNOWN_OPCODE_NAME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_id_u32_puts_vendor_high() {
        let p = ProtocolId {
            vendor_id: 0xfff1,
            id: 0x8001,
        };
        assert_eq!(p.to_u32(), 0xfff1_8001);
        assert_eq!(ProtocolId::from_u32(0xfff1_8001), p);
        assert_eq!(p.name(), None);
        assert_eq!(ProtocolId::BDX.name(), Some("BDX"));
    }

    #[test]
    fn opcode_values_round_trip() {
        for value in 0..=u8::MAX {
            if let Some(op) = SecureChannelOpcode::from_u8(value) {
                assert_eq!(op.as_u8(), value);
            }
            if let Some(op) = InteractionModelOpcode::from_u8(value) {
                assert_eq!(op.as_u8(), value);
            }
        }
    }

    #[test]
    fn names_depend_on_protocol() {
        assert_eq!(
            opcode_name(ProtocolId::SECURE_CHANNEL, 0x20),
            "PBKDFParamRequest"
        );
        assert_eq!(
            opcode_name(ProtocolId::SECURE_CHANNEL, 0x10),
            "StandaloneAck"
        );
        assert_eq!(opcode_name(ProtocolId::SECURE_CHANNEL, 0x30), "Sigma1");
        assert_eq!(
            opcode_name(ProtocolId::INTERACTION_MODEL, 0x08),
            "InvokeRequest"
        );
        assert_eq!(
            opcode_name(ProtocolId::INTERACTION_MODEL, 0x20),
            UNKNOWN_OPCODE_NAME
        );
        assert_eq!(opcode_name(ProtocolId::BDX, 0x01), UNKNOWN_OPCODE_NAME);
        let vendor = ProtocolId {
            vendor_id: 1,
            id: 0,
        };
        assert_eq!(opcode_name(vendor, 0x20), UNKNOWN_OPCODE_NAME);
    }
}
