//! How a PASE handshake ends: [`PaseEstablished`] (what the node needs to install the secure
//! session) or [`PaseFailure`] (the typed error plus the StatusReport owed to the peer).

use core::num::NonZeroU16;

use zeroize::Zeroizing;

use super::error::PaseError;
use super::spake2p::HALF_KEY_LEN;
use crate::codec::StatusReport;
use crate::session::SessionError;
use crate::session::SessionParameters;
use crate::session::keys::SessionKeyMaterial;

/// Which side of the handshake we were.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PaseRole {
    /// Commissioner: knew the passcode, sent PBKDFParamRequest, Pake1, Pake3.
    Initiator,
    /// Commissionee: held the verifier, sent PBKDFParamResponse, Pake2, the final StatusReport.
    Responder,
}

/// A completed PASE handshake. Ke is the shared secret; session keys derive from it with an
/// empty salt and "SessionKeys" (Matter 1.3 §4.14.1). PASE sessions have node ids 0.
pub struct PaseEstablished {
    role: PaseRole,
    local_session_id: NonZeroU16,
    peer_session_id: NonZeroU16,
    peer_parameters: SessionParameters,
    ke: Zeroizing<[u8; HALF_KEY_LEN]>,
}

impl PaseEstablished {
    pub(crate) fn new(
        role: PaseRole,
        local_session_id: NonZeroU16,
        peer_session_id: NonZeroU16,
        peer_parameters: SessionParameters,
        ke: &[u8; HALF_KEY_LEN],
    ) -> Self {
        PaseEstablished {
            role,
            local_session_id,
            peer_session_id,
            peer_parameters,
            ke: Zeroizing::new(*ke),
        }
    }

    /// Our role.
    pub fn role(&self) -> PaseRole {
        self.role
    }

    /// True if we initiated (we then encrypt with I2R).
    pub fn is_initiator(&self) -> bool {
        self.role == PaseRole::Initiator
    }

    /// Our local session id (the peer puts it in the headers it sends us).
    pub fn local_session_id(&self) -> u16 {
        self.local_session_id.get()
    }

    /// The peer's session id (we put it in our headers).
    pub fn peer_session_id(&self) -> u16 {
        self.peer_session_id.get()
    }

    /// The peer's session parameters; the Matter 1.3 §4.12.8 defaults when it sent none.
    pub fn peer_parameters(&self) -> &SessionParameters {
        &self.peer_parameters
    }

    /// Ke, the shared secret for `SessionKeyMaterial::derive(ke, &[], false)`.
    pub fn shared_secret(&self) -> &[u8; HALF_KEY_LEN] {
        &self.ke
    }

    /// The session keys: HKDF-SHA256(Ke, empty salt, "SessionKeys").
    pub fn session_key_material(&self) -> Result<SessionKeyMaterial, SessionError> {
        SessionKeyMaterial::derive(self.ke.as_slice(), &[], false)
    }
}

impl core::fmt::Debug for PaseEstablished {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PaseEstablished")
            .field("role", &self.role)
            .field("local_session_id", &self.local_session_id)
            .field("peer_session_id", &self.peer_session_id)
            .field("peer_parameters", &self.peer_parameters)
            .finish_non_exhaustive()
    }
}

/// A failed handshake: why, and the StatusReport (if any) the spec says to send on the
/// establishment exchange before dropping it (Matter 1.3 Appendix D, §3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaseFailure {
    /// What went wrong.
    pub error: PaseError,
    /// FAILURE/INVALID_PARAMETER for every failure we detect; `None` when the failure was a
    /// StatusReport from the peer (matter.js `securechannel/SecureChannelMessenger.ts`: it already
    /// gave up) or a message after the end.
    pub status_report: Option<StatusReport>,
}

impl PaseFailure {
    /// A failure we detected: the peer gets INVALID_PARAMETER.
    pub(crate) fn local(error: PaseError) -> Self {
        PaseFailure {
            error,
            status_report: Some(StatusReport::invalid_parameter()),
        }
    }

    /// A failure that needs no answer.
    pub(crate) fn silent(error: PaseError) -> Self {
        PaseFailure {
            error,
            status_report: None,
        }
    }

    /// The StatusReport payload to send (opcode 0x40), if any.
    pub fn status_report_payload(&self) -> Option<Vec<u8>> {
        self.status_report.as_ref().map(|report| {
            let mut out = Vec::with_capacity(report.encoded_len());
            report.encode(&mut out);
            out
        })
    }
}

impl core::fmt::Display for PaseFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PASE failed: {}", self.error)
    }
}

impl std::error::Error for PaseFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The payload of a BUSY StatusReport (GeneralCode BUSY, protocol code Busy, u16 LE minimum
/// wait) for a responder that is already handling a handshake.
///
/// Whether to send it is the node's decision. matter.js (`session/pase/PaseServer.ts`) does
/// *not*: a PASE responder that already has a PASE session or a running establishment silently
/// ignores a new PBKDFParamRequest (it is only MRP-acked), so toward matter.js expect silence, not
/// BUSY. CHIP sends BUSY in the analogous CASE situation (connectedhomeip
/// `src/protocols/secure_channel/CASEServer.cpp`). BUSY goes out with `R = 0`, as matter.js sends
/// it (`securechannel/SecureChannelMessenger.ts`).
pub fn busy_status_payload(wait_ms: u16) -> Vec<u8> {
    let report = StatusReport::busy(wait_ms);
    let mut out = Vec::with_capacity(report.encoded_len());
    report.encode(&mut out);
    out
}

/// A StatusReport received where a PASE message was expected: the peer gave up (matter.js
/// `securechannel/SecureChannelMessenger.ts`), so nothing is owed; a report too short to decode is
/// answered with INVALID_PARAMETER.
pub(crate) fn peer_status_failure(payload: &[u8]) -> PaseFailure {
    match StatusReport::decode(payload) {
        Ok(report) => PaseFailure::silent(PaseError::PeerStatus { report }),
        Err(err) => PaseFailure::local(PaseError::MalformedStatusReport(err)),
    }
}

/// The payload of the final SUCCESS / SessionEstablishmentSuccess StatusReport.
pub(crate) fn success_status_payload() -> Vec<u8> {
    let report = StatusReport::success();
    let mut out = Vec::with_capacity(report.encoded_len());
    report.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_payload_layout() {
        // General BUSY (8), protocol 0, protocol code Busy (4), wait 500 ms LE.
        assert_eq!(
            busy_status_payload(500),
            [8, 0, 0, 0, 0, 0, 4, 0, 0xf4, 0x01]
        );
        assert_eq!(success_status_payload(), [0; 8]);
    }

    #[test]
    fn failure_payloads() {
        let local = PaseFailure::local(PaseError::ConfirmationMismatch);
        assert_eq!(
            local.status_report_payload(),
            Some(vec![1, 0, 0, 0, 0, 0, 2, 0])
        );
        assert_eq!(
            PaseFailure::silent(PaseError::Finished).status_report_payload(),
            None
        );
    }
}
