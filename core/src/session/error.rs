//! Errors of single sessions.

use crate::codec::DecodeError;

/// Why a session refused to decode or encode a message, or to be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The datagram names another session id than this session's.
    #[error("datagram for session {got} handed to session {expected}")]
    WrongSession {
        /// This session's local id.
        expected: u16,
        /// The id in the datagram.
        got: u16,
    },
    /// The session is closed; nothing more goes in or out.
    #[error("session is closed")]
    Closed,
    /// The session is closing (after its exchanges, or about to send CloseSession): it takes
    /// no new exchanges (Matter 1.3 §4.11; matter.js `session/NodeSession.ts`).
    #[error("session is closing and accepts no new exchanges")]
    Closing,
    /// Privacy, control or group flags that paseo does not implement on unicast (Matter 1.3 §4.4.1,
    /// §4.9).
    #[error("unsupported security flags (privacy {privacy}, control {control}, group {group})")]
    UnsupportedSecurityFlags {
        /// `P` was set.
        privacy: bool,
        /// `C` was set.
        control: bool,
        /// The session type was group.
        group: bool,
    },
    /// The header or the decrypted protocol header did not decode.
    #[error("malformed message: {0}")]
    Malformed(#[from] DecodeError),
    /// AES-CCM authentication failed (wrong key, tampered bytes, wrong nonce).
    #[error("message did not authenticate")]
    Undecryptable,
    /// The outbound message counter is exhausted: the session has ended (Matter 1.3 §4.6).
    #[error("outbound message counter exhausted; the session has ended")]
    CounterExhausted,
    /// The plaintext is too long for AES-CCM with a 13-byte nonce.
    #[error("message of {len} bytes is too large to encrypt")]
    MessageTooLarge {
        /// Plaintext length.
        len: usize,
    },
    /// Key derivation failed (a length the KDF cannot produce; not expected in practice).
    #[error("session key derivation failed")]
    KeyDerivation,
    /// A session id of 0 was given for a secure session (matter.js `session/SessionManager.ts`).
    #[error("secure session ids must not be 0 (local {local}, peer {peer})")]
    ZeroSessionId {
        /// Local id given.
        local: u16,
        /// Peer id given.
        peer: u16,
    },
    /// The unsecured session a message was meant for does not exist.
    #[error("no such unsecured session")]
    UnknownUnsecureSession,
    /// An unsecured-session datagram arrived on a secure session or the reverse.
    #[error("datagram is for the unsecured session (id 0)")]
    NotSecure,
}
