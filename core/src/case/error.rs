//! The one error type of the CASE module: every malformed Sigma message or inner structure,
//! every failed authentication and every misuse of the transcript ends up as one of these.

use crate::session::params::ParamsError;
use crate::tlv::TlvError;

/// Why CASE bytes could not be decoded, encoded, decrypted or authenticated.
///
/// Every variant maps to StatusReport(FAILURE, INVALID_PARAMETER) on the wire
/// (SESSION-LAYER.md §8.4); none carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The TLV is malformed, a required field is missing, a field has the wrong type or range,
    /// or a structure repeats a tag (SESSION-LAYER.md §6.2).
    #[error("CASE message: {0}")]
    Tlv(#[from] TlvError),
    /// The session-parameter struct (field 5 of Sigma1/Sigma2, 4 of Sigma2_Resume) is invalid.
    #[error("CASE message: {0}")]
    SessionParameters(#[from] ParamsError),
    /// A fixed-length octet string has another length (randoms 32, destination id 32,
    /// ephemeral keys 65, resumption ids 16, MICs 16, signatures 64; §6.5).
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
    /// must be present or both absent (§6.5, tags 6 and 7).
    #[error("Sigma1 resumption id and initiator resume MIC must be present together")]
    UnpairedResumptionFields,
    /// A session id of 0: secure sessions never use it (§10.2, Q17).
    #[error("{field} is 0")]
    ZeroSessionId {
        /// "initiatorSessionId" or "responderSessionId".
        field: &'static str,
    },
    /// The peer's ephemeral public key is not a valid uncompressed P-256 point.
    #[error("peer ephemeral public key is not a valid P-256 point")]
    InvalidPeerKey,
    /// TBEData2/TBEData3 did not authenticate under S2K/S3K (§8.3).
    #[error("encrypted {0} did not authenticate")]
    DecryptFailed(&'static str),
    /// A resumption MIC (initiator's in Sigma1 or the responder's in Sigma2_Resume) does not
    /// match the one recomputed from the shared secret (§8.6).
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
}
