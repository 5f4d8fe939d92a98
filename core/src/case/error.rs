//! The one error type of the CASE module: every malformed Sigma message or inner structure,
//! every failed authentication, every refused peer, every StatusReport that ends a handshake
//! and every misuse of the transcript or the state machines ends up as one of these.

use crate::cert::ChainError;
use crate::codec::{DecodeError, GeneralCode, SecureChannelOpcode};
use crate::fabric::NodeId;
use crate::session::params::ParamsError;
use crate::tlv::TlvError;

/// Why a CASE handshake, or CASE bytes, failed.
///
/// What the peer is told is decided by [`CaseFailure`](super::CaseFailure) (Matter 1.3 §4.14.2):
/// NO_SHARED_TRUST_ROOTS for [`CaseError::NoSharedTrustRoots`], nothing for a received StatusReport
/// ([`CaseError::PeerStatus`]) or a message after the end ([`CaseError::Finished`]),
/// INVALID_PARAMETER for everything else. No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The TLV is malformed, a required field is missing, a field has the wrong type or range,
    /// or a structure repeats a tag (Matter 1.3 Appendix A).
    #[error("CASE message: {0}")]
    Tlv(#[from] TlvError),
    /// The session-parameter struct (field 5 of Sigma1/Sigma2, 4 of Sigma2_Resume) is invalid.
    #[error("CASE message: {0}")]
    SessionParameters(#[from] ParamsError),
    /// A fixed-length octet string has another length (randoms 32, destination id 32,
    /// ephemeral keys 65, resumption ids 16, MICs 16, signatures 64; Matter 1.3 §4.14.2.3).
    #[error("{field} is {actual} bytes, expected {expected}")]
    WrongLength {
        /// The field's name, e.g. "initiatorRandom".
        field: &'static str,
        /// The length the schema requires.
        expected: usize,
        /// The length that arrived.
        actual: usize,
    },
    /// An encrypted field is shorter than the 16-byte AES-CCM MIC it must end with.
    #[error("{field} is {actual} bytes, shorter than the {min}-byte minimum")]
    TooShort {
        /// The field's name, e.g. "encrypted2".
        field: &'static str,
        /// The smallest acceptable length.
        min: usize,
        /// The length that arrived.
        actual: usize,
    },
    /// A Sigma1 carries a resumption id without an initiator resume MIC or the reverse; both
    /// must be present or both absent (Matter 1.3 §4.14.2.3, tags 6 and 7).
    #[error("Sigma1 resumption id and initiator resume MIC must be present together")]
    UnpairedResumptionFields,
    /// A session id of 0: secure sessions never use it (matter.js `session/SessionManager.ts`).
    #[error("{field} is 0")]
    ZeroSessionId {
        /// "initiatorSessionId" or "responderSessionId".
        field: &'static str,
    },
    /// The peer's ephemeral public key is not a valid uncompressed P-256 point.
    #[error("peer ephemeral public key is not a valid P-256 point")]
    InvalidPeerKey,
    /// TBEData2/TBEData3 did not authenticate under S2K/S3K (Matter 1.3 §4.14.2.3).
    #[error("encrypted {0} did not authenticate")]
    DecryptFailed(&'static str),
    /// A resumption MIC (initiator's in Sigma1 or the responder's in Sigma2_Resume) does not
    /// match the one recomputed from the shared secret (Matter 1.3 §4.14.2).
    #[error("{0} does not verify")]
    ResumeMicMismatch(&'static str),
    /// A TBEData plaintext is too long for AES-CCM with a 13-byte nonce (65535 bytes).
    #[error("{field} plaintext of {len} bytes is too long to encrypt")]
    PayloadTooLong {
        /// "TBEData2" or "TBEData3".
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// Session-key derivation failed (an HKDF length limit; not reachable with 48 bytes).
    #[error("session key derivation failed")]
    KeyDerivation,
    /// Sigma payloads were added to a transcript out of order (or a fourth one).
    #[error("transcript already holds {held} messages; cannot add {adding}")]
    TranscriptOrder {
        /// How many messages the transcript holds.
        held: usize,
        /// The message that was being added.
        adding: &'static str,
    },
    /// No fabric of ours matches the Sigma1 destination identifier (Matter 1.3 §4.14.2): the
    /// responder answers NO_SHARED_TRUST_ROOTS.
    #[error("destination id matches no fabric")]
    NoSharedTrustRoots,
    /// The peer's NOC (and ICAC) do not validate against our fabric's root, or name another
    /// fabric (connectedhomeip `src/credentials/CHIPCert.cpp`).
    #[error("peer certificate chain: {0}")]
    InvalidChain(ChainError),
    /// The responder's NOC names another node than the one the initiator meant to reach
    /// (Matter 1.3 §4.14.2.3, the initiator on Sigma2).
    #[error("responder NOC is node {found}, expected node {expected}")]
    UnexpectedPeer {
        /// The node id the initiator addressed.
        expected: NodeId,
        /// The node id in the responder's NOC.
        found: NodeId,
    },
    /// The peer's signature over TBSData2/TBSData3 does not verify with its NOC key.
    #[error("peer signature over {0} does not verify")]
    BadSignature(&'static str),
    /// Our own signature could not be produced (probability ~2^-256 with RFC 6979 nonces).
    #[error("signing {0} failed")]
    SignFailed(&'static str),
    /// The peer sent a StatusReport that ends the handshake (any report other than the final
    /// SUCCESS / SessionEstablishmentSuccess where that is expected; matter.js
    /// `securechannel/SecureChannelMessenger.ts`). BUSY carries the minimum wait before a retry
    /// with fresh randoms on a new exchange (Matter 1.3 Appendix D; connectedhomeip
    /// `src/protocols/secure_channel/CASEServer.cpp`).
    #[error("peer sent StatusReport {}/{protocol_code:#06x}", general.name())]
    PeerStatus {
        /// The general code.
        general: GeneralCode,
        /// The protocol code (Secure Channel status when the protocol id is 0).
        protocol_code: u16,
        /// The minimum wait of a Secure Channel BUSY report, in ms.
        busy_wait_ms: Option<u16>,
    },
    /// A received StatusReport payload was shorter than its fixed 8 bytes.
    #[error("malformed StatusReport: {0}")]
    MalformedStatusReport(DecodeError),
    /// A message whose opcode the current state does not expect (including a Sigma2_Resume
    /// when the initiator did not attempt resumption).
    #[error("unexpected opcode {opcode:#04x} while waiting for {}", expected.name())]
    UnexpectedMessage {
        /// The opcode received.
        opcode: u8,
        /// The opcode the state waits for.
        expected: SecureChannelOpcode,
    },
    /// A message after the handshake ended (established or failed).
    #[error("CASE handshake already finished")]
    Finished,
    /// A resumption record handed to the initiator belongs to another fabric or peer than the
    /// handshake it was given for.
    #[error("resumption record is for another fabric or peer")]
    ResumptionRecordMismatch,
}
