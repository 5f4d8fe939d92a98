//! The typed errors of PASE: refused inputs at construction time (passcode, PBKDF parameters,
//! verifier blob), undecodable messages, SPAKE2+ failures and handshake failures.
//!
//! No variant carries secret material, so errors can be logged freely.

use crate::codec::{DecodeError, SecureChannelOpcode, StatusReport};
use crate::session::params::ParamsError;
use crate::tlv::TlvError;

/// Why a setup passcode was refused (Matter 1.3 §3.9, §4.14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasscodeError {
    /// Outside 1 ..= 99 999 998.
    #[error("passcode {0} is outside 1..=99999998")]
    OutOfRange(u32),
    /// One of the spec's forbidden values (00000000, 11111111 … 99999999, 12345678, 87654321).
    #[error("passcode {0:08} is forbidden")]
    Forbidden(u32),
}

/// Why PBKDF parameters were refused (Matter 1.3 §4.14.1.2, §3.9, §4.14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PbkdfError {
    /// Iterations outside 1000 ..= 100 000.
    #[error("PBKDF iteration count {0} is outside 1000..=100000")]
    IterationsOutOfRange(u32),
    /// Salt length outside 16 ..= 32 bytes.
    #[error("PBKDF salt of {0} bytes, expected 16..=32")]
    SaltLength(usize),
}

/// Why a stored verifier (w0, L) or a pair of SPAKE2+ scalars was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    /// The verifier blob is not 97 bytes (w0 ‖ L).
    #[error("verifier blob of {0} bytes, expected 97")]
    Length(usize),
    /// A scalar is not below the group order n, or w0 is zero.
    #[error("SPAKE2+ scalar is zero or not below the group order")]
    InvalidScalar,
    /// L is not a 65-byte uncompressed point on P-256 other than the identity.
    #[error("L is not a valid P-256 point")]
    InvalidL,
}

/// Why a PASE message payload could not be decoded (Matter 1.3 §4.14.1.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Malformed TLV, a missing required field, a field of the wrong type or out of range.
    #[error("TLV: {0}")]
    Tlv(#[from] TlvError),
    /// An octet-string field of the wrong length.
    #[error("field with context tag {tag} has {actual} bytes, expected {expected}")]
    FieldLength {
        /// Context tag of the field.
        tag: u8,
        /// The length the schema requires.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The session-parameter struct was malformed or out of range.
    #[error("session parameters: {0}")]
    SessionParameters(#[from] ParamsError),
    /// The PBKDF parameters were out of range.
    #[error("PBKDF parameters: {0}")]
    Pbkdf(#[from] PbkdfError),
}

/// Why the SPAKE2+ computation refused a peer's share (Matter 1.3 §3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Spake2pError {
    /// The peer's share is not a 65-byte uncompressed point on P-256.
    #[error("peer share is not a valid uncompressed P-256 point")]
    InvalidPoint,
    /// A point that must not be the identity is (the unblinded peer share, Z, V, or our own
    /// share).
    #[error("SPAKE2+ point is the identity")]
    IdentityPoint,
}

/// Why a PASE handshake failed. Paired with the StatusReport to send in [`super::PaseFailure`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaseError {
    /// A received payload could not be decoded.
    #[error("malformed {}: {source}", message.name())]
    Malformed {
        /// Which message.
        message: SecureChannelOpcode,
        /// What was wrong with it.
        source: MessageError,
    },
    /// A received StatusReport payload was shorter than its fixed 8 bytes.
    #[error("malformed StatusReport: {0}")]
    MalformedStatusReport(DecodeError),
    /// The peer's share (pA or pB) was not a usable point.
    #[error("SPAKE2+: {0}")]
    Spake2p(#[from] Spake2pError),
    /// The peer's confirmation (cB at the initiator, cA at the responder) did not verify:
    /// typically a wrong passcode.
    #[error("key confirmation failed (wrong passcode?)")]
    ConfirmationMismatch,
    /// The peer announced session id 0 (matter.js may pick 0, `session/SessionManager.ts`; paseo
    /// refuses it).
    #[error("peer session id is 0")]
    ZeroPeerSessionId,
    /// The initiator asked for a passcode id other than 0 (matter.js `session/pase/PaseServer.ts`).
    #[error("unsupported passcode id {0}")]
    UnsupportedPasscodeId(u16),
    /// The PBKDFParamResponse did not echo our initiatorRandom.
    #[error("PBKDFParamResponse does not echo our initiatorRandom")]
    InitiatorRandomMismatch,
    /// The PBKDFParamResponse omitted the PBKDF parameters we asked for.
    #[error("PBKDFParamResponse lacks the PBKDF parameters")]
    MissingPbkdfParameters,
    /// The peer sent a StatusReport that ends the handshake (any report other than the final
    /// SUCCESS/SessionEstablishmentSuccess in the initiator's last state, matter.js
    /// `securechannel/SecureChannelMessenger.ts`).
    #[error("peer sent StatusReport {}/{:#06x}", report.general_code.name(), report.protocol_code)]
    PeerStatus {
        /// The report as received.
        report: StatusReport,
    },
    /// A message whose opcode is not the one the current state waits for.
    #[error("unexpected opcode {opcode:#04x} while waiting for {}", expected.name())]
    UnexpectedMessage {
        /// The opcode received.
        opcode: u8,
        /// The opcode the state waits for.
        expected: SecureChannelOpcode,
    },
    /// A message after the handshake ended (established or failed).
    #[error("PASE handshake already finished")]
    Finished,
}

impl PaseError {
    /// A decode error of `message`.
    pub(crate) fn malformed(message: SecureChannelOpcode, source: MessageError) -> Self {
        PaseError::Malformed { message, source }
    }
}
