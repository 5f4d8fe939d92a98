//! Message codec: the cleartext message header, the protocol (exchange) header, the
//! StatusReport payload, protocol/opcode names and the AES-CCM message nonce
//! (Matter 1.3 §4.4, §4.11).
//!
//! Decoders borrow from their input, never read past it and never panic: every rejection is
//! a [`DecodeError`]. Encoders append to a `Vec<u8>` and write exactly what the fields say,
//! so anything decoded re-encodes to the same bytes (reserved flag bits are kept for that).
//!
//! The codec reports the privacy and control flags but does not act on them; dropping such
//! messages is the session layer's decision (Matter 1.3 §4.4.1, §4.9).

mod error;
mod extensions;
mod message;
mod message_header;
mod nonce;
mod protocol;
mod protocol_header;
mod reader;
mod reserved;
mod status_report;

pub use error::{DecodeError, EncodeError, Field};
pub use extensions::Extensions;
pub use message::{Message, ProtocolMessage};
pub use message_header::{
    Destination, FIXED_MESSAGE_HEADER_LEN, MESSAGE_FORMAT_VERSION, MessageFlagsReserved,
    MessageHeader, SecurityFlagsReserved, SessionType, UNSECURED_SESSION_ID,
};
pub use nonce::{MESSAGE_NONCE_LEN, message_nonce};
pub use protocol::{
    InteractionModelOpcode, ProtocolId, SecureChannelOpcode, UNKNOWN_OPCODE_NAME, opcode_name,
};
pub use protocol_header::{ExchangeFlagsReserved, FIXED_PROTOCOL_HEADER_LEN, ProtocolHeader};
pub use reserved::Reserved;
pub use status_report::{GeneralCode, STATUS_REPORT_FIXED_LEN, SecureChannelStatus, StatusReport};
