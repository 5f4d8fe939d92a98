//! How a CASE handshake ends: [`CaseEstablished`] (everything the node needs to install the
//! secure session and to save the resumption record) or [`CaseFailure`] (the typed error plus
//! the StatusReport owed to the peer, Matter 1.3 §4.14.2).

use core::num::NonZeroU16;
use std::net::SocketAddr;

use zeroize::Zeroizing;

use super::error::CaseError;
use crate::codec::{GeneralCode, SecureChannelStatus, StatusReport};
use crate::fabric::{FabricIndex, NodeId};
use crate::session::SessionParameters;
use crate::session::keys::SessionKeyMaterial;
use crate::session::resumption::SHARED_SECRET_LEN;
use crate::session::{
    ResumptionId, ResumptionRecord, SecureSessionArgs, SessionError, SessionKind,
};
use crate::time::Instant;

/// Which side of the handshake we were.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseRole {
    /// Sent Sigma1 (and Sigma3, or the resumption SUCCESS); encrypts with I2R.
    Initiator,
    /// Sent Sigma2 or Sigma2_Resume (and the full-CASE SUCCESS).
    Responder,
}

/// A completed CASE handshake, full or resumed.
///
/// The session keys derive from [`Self::shared_secret`] and [`Self::salt`]: for full CASE the
/// salt is IPK ‖ SHA-256(S1 ‖ S2 ‖ S3) with info "SessionKeys" (Matter 1.3 §4.14.2); for a
/// resumption it is initiatorRandom ‖ the resumption id *sent in Sigma1* with info
/// "SessionResumptionKeys" (Matter 1.3 §4.14.2; matter.js `session/case/CaseServer.ts`).
/// [`Self::session_args`] hands exactly that to the session manager.
pub struct CaseEstablished {
    pub(crate) role: CaseRole,
    pub(crate) local_session_id: NonZeroU16,
    pub(crate) peer_session_id: NonZeroU16,
    pub(crate) fabric_index: FabricIndex,
    pub(crate) local_node_id: NodeId,
    pub(crate) peer_node_id: NodeId,
    pub(crate) peer_cats: Vec<u32>,
    pub(crate) peer_parameters: SessionParameters,
    pub(crate) shared_secret: Zeroizing<[u8; SHARED_SECRET_LEN]>,
    pub(crate) salt: Vec<u8>,
    pub(crate) is_resumption: bool,
    /// The resumption id the next resumption uses (TBEData2's, or Sigma2_Resume's new one).
    pub(crate) resumption_id: ResumptionId,
    /// The fabric's 64-bit id, for the resumption record.
    pub(crate) fabric_id: u64,
}

impl CaseEstablished {
    /// Our role.
    pub fn role(&self) -> CaseRole {
        self.role
    }

    /// True if we initiated (we then encrypt with I2R).
    pub fn is_initiator(&self) -> bool {
        self.role == CaseRole::Initiator
    }

    /// Our local session id (the peer puts it in the headers it sends us).
    pub fn local_session_id(&self) -> u16 {
        self.local_session_id.get()
    }

    /// The peer's session id (we put it in our headers).
    pub fn peer_session_id(&self) -> u16 {
        self.peer_session_id.get()
    }

    /// The local fabric the session belongs to.
    pub fn fabric_index(&self) -> FabricIndex {
        self.fabric_index
    }

    /// Our node id on that fabric.
    pub fn local_node_id(&self) -> NodeId {
        self.local_node_id
    }

    /// The peer's node id: from its NOC (full CASE) or from the resumption record.
    pub fn peer_node_id(&self) -> NodeId {
        self.peer_node_id
    }

    /// The peer's CASE Authenticated Tags, likewise.
    pub fn peer_cats(&self) -> &[u32] {
        &self.peer_cats
    }

    /// The peer's session parameters; the Matter 1.3 §4.12.8 defaults when it sent none.
    pub fn peer_parameters(&self) -> &SessionParameters {
        &self.peer_parameters
    }

    /// The ECDH shared secret: of this handshake (full CASE) or of the original one
    /// (resumption; it never changes).
    pub fn shared_secret(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.shared_secret
    }

    /// The HKDF salt of the session keys (see the type's documentation).
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Whether the session was resumed ("SessionResumptionKeys").
    pub fn is_resumption(&self) -> bool {
        self.is_resumption
    }

    /// The record to save for the next resumption with this peer (replacing any older one for
    /// the same fabric and peer, matter.js `session/SessionManager.ts`): the new resumption id, the
    /// shared secret (unchanged by a resumption), the peer's identity and parameters.
    pub fn resumption_record(&self) -> ResumptionRecord {
        ResumptionRecord {
            resumption_id: self.resumption_id,
            shared_secret: self.shared_secret.clone(),
            fabric_index: self.fabric_index,
            fabric_id: self.fabric_id,
            peer_node_id: self.peer_node_id,
            peer_cats: self.peer_cats.clone(),
            peer_parameters: self.peer_parameters,
        }
    }

    /// I2R ‖ R2I ‖ AttestationChallenge.
    pub fn session_key_material(&self) -> Result<SessionKeyMaterial, SessionError> {
        SessionKeyMaterial::derive(
            self.shared_secret.as_slice(),
            &self.salt,
            self.is_resumption,
        )
    }

    /// The arguments that install this session (`SessionKind::Case`).
    pub fn session_args(
        &self,
        now: Instant,
        peer_address: Option<SocketAddr>,
    ) -> SecureSessionArgs<'_> {
        SecureSessionArgs {
            now,
            session_id: self.local_session_id(),
            peer_session_id: self.peer_session_id(),
            kind: SessionKind::Case,
            fabric: Some(self.fabric_index),
            local_node_id: self.local_node_id,
            peer_node_id: self.peer_node_id,
            peer_cats: self.peer_cats.clone(),
            shared_secret: self.shared_secret.as_slice(),
            salt: &self.salt,
            is_initiator: self.is_initiator(),
            is_resumption: self.is_resumption,
            peer_parameters: self.peer_parameters,
            peer_address,
        }
    }
}

impl core::fmt::Debug for CaseEstablished {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaseEstablished")
            .field("role", &self.role)
            .field("local_session_id", &self.local_session_id)
            .field("peer_session_id", &self.peer_session_id)
            .field("fabric_index", &self.fabric_index)
            .field("local_node_id", &self.local_node_id)
            .field("peer_node_id", &self.peer_node_id)
            .field("peer_cats", &self.peer_cats)
            .field("is_resumption", &self.is_resumption)
            .finish_non_exhaustive()
    }
}

/// A failed handshake: why, and the StatusReport (if any) to send on the establishment
/// exchange before dropping it (Matter 1.3 Appendix D, §4.14.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFailure {
    /// What went wrong.
    pub error: CaseError,
    /// FAILURE/NO_SHARED_TRUST_ROOTS when no fabric matched the destination id,
    /// FAILURE/INVALID_PARAMETER for every other failure we detect; `None` when the failure
    /// was a StatusReport from the peer (it already gave up, matter.js
    /// `securechannel/SecureChannelMessenger.ts`) or a message after the end.
    pub status_report: Option<StatusReport>,
}

impl CaseFailure {
    /// A failure we detected: the peer gets INVALID_PARAMETER (NO_SHARED_TRUST_ROOTS for
    /// [`CaseError::NoSharedTrustRoots`]).
    pub(crate) fn local(error: CaseError) -> Self {
        let report = match error {
            CaseError::NoSharedTrustRoots => StatusReport::no_shared_trust_roots(),
            _ => StatusReport::invalid_parameter(),
        };
        CaseFailure {
            error,
            status_report: Some(report),
        }
    }

    /// A failure that needs no answer.
    pub(crate) fn silent(error: CaseError) -> Self {
        CaseFailure {
            error,
            status_report: None,
        }
    }

    /// The StatusReport payload to send (opcode 0x40), if any.
    pub fn status_report_payload(&self) -> Option<Vec<u8>> {
        self.status_report.as_ref().map(encode_report)
    }

    /// The minimum wait before retrying, when the peer answered BUSY (Matter 1.3 Appendix D;
    /// connectedhomeip `src/protocols/secure_channel/CASEServer.cpp`): retry the whole
    /// establishment on a new exchange with fresh randoms after at least this long.
    pub fn busy_wait_ms(&self) -> Option<u16> {
        match self.error {
            CaseError::PeerStatus { busy_wait_ms, .. } => busy_wait_ms,
            _ => None,
        }
    }
}

impl From<CaseError> for CaseFailure {
    fn from(error: CaseError) -> Self {
        CaseFailure::local(error)
    }
}

impl core::fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "CASE failed: {}", self.error)
    }
}

impl std::error::Error for CaseFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

fn encode_report(report: &StatusReport) -> Vec<u8> {
    let mut out = Vec::with_capacity(report.encoded_len());
    report.encode(&mut out);
    out
}

/// The payload of the final SUCCESS / SessionEstablishmentSuccess StatusReport (sent by the
/// responder after Sigma3, by the initiator after Sigma2_Resume).
pub(crate) fn success_status_payload() -> Vec<u8> {
    encode_report(&StatusReport::success())
}

/// The payload of a BUSY StatusReport (u16 LE minimum wait) for a responder that cannot take
/// a handshake now. Whether to send it is the node's decision: CHIP does during a running CASE
/// (connectedhomeip `src/protocols/secure_channel/CASEServer.cpp`), matter.js does not. BUSY goes
/// out with `R = 0`, as matter.js sends it (`securechannel/SecureChannelMessenger.ts`).
pub fn busy_status_payload(wait_ms: u16) -> Vec<u8> {
    encode_report(&StatusReport::busy(wait_ms))
}

/// A StatusReport received where a Sigma message was expected: the peer gave up (matter.js
/// `securechannel/SecureChannelMessenger.ts`), so nothing is owed; a report too short to decode is
/// answered with INVALID_PARAMETER.
pub(crate) fn peer_status_failure(payload: &[u8]) -> CaseFailure {
    match StatusReport::decode(payload) {
        Ok(report) => CaseFailure::silent(peer_status_error(&report)),
        Err(err) => CaseFailure::local(CaseError::MalformedStatusReport(err)),
    }
}

fn peer_status_error(report: &StatusReport) -> CaseError {
    CaseError::PeerStatus {
        general: report.general_code,
        protocol_code: report.protocol_code,
        busy_wait_ms: report.busy_wait_ms(),
    }
}

/// The final StatusReport of a handshake: SUCCESS / SessionEstablishmentSuccess ends it well,
/// any other report is the peer's rejection (nothing owed), an undecodable one is answered
/// with INVALID_PARAMETER.
pub(crate) fn expect_success(payload: &[u8]) -> Result<(), CaseFailure> {
    let report = StatusReport::decode(payload)
        .map_err(|e| CaseFailure::local(CaseError::MalformedStatusReport(e)))?;
    let success = report.general_code == GeneralCode::Success
        && report.secure_channel_status() == Some(SecureChannelStatus::SessionEstablishmentSuccess);
    if success {
        Ok(())
    } else {
        Err(CaseFailure::silent(peer_status_error(&report)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::SecureChannelOpcode;

    #[test]
    fn failures_owe_the_right_report() {
        assert_eq!(
            CaseFailure::local(CaseError::NoSharedTrustRoots).status_report_payload(),
            Some(vec![1, 0, 0, 0, 0, 0, 1, 0])
        );
        assert_eq!(
            CaseFailure::local(CaseError::BadSignature("TBSData2")).status_report_payload(),
            Some(vec![1, 0, 0, 0, 0, 0, 2, 0])
        );
        assert_eq!(
            CaseFailure::silent(CaseError::Finished).status_report_payload(),
            None
        );
        assert_eq!(success_status_payload(), [0; 8]);
        assert_eq!(
            busy_status_payload(500),
            [8, 0, 0, 0, 0, 0, 4, 0, 0xf4, 0x01]
        );
    }

    #[test]
    fn peer_reports_end_the_handshake_silently() {
        let busy = peer_status_failure(&busy_status_payload(1234));
        assert_eq!(busy.status_report, None);
        assert_eq!(busy.busy_wait_ms(), Some(1234));
        assert_eq!(
            busy.error,
            CaseError::PeerStatus {
                general: GeneralCode::Busy,
                protocol_code: 4,
                busy_wait_ms: Some(1234)
            }
        );
        let short = peer_status_failure(&[0; 7]);
        assert!(matches!(short.error, CaseError::MalformedStatusReport(_)));
        assert!(short.status_report.is_some());
        assert_eq!(short.busy_wait_ms(), None);

        assert_eq!(expect_success(&success_status_payload()), Ok(()));
        let rejected = expect_success(&encode_report(&StatusReport::invalid_parameter()));
        assert_eq!(
            rejected.unwrap_err().error,
            CaseError::PeerStatus {
                general: GeneralCode::Failure,
                protocol_code: 2,
                busy_wait_ms: None
            }
        );
        // CloseSession has general SUCCESS but is not an establishment success.
        assert!(expect_success(&encode_report(&StatusReport::close_session())).is_err());
        let unexpected = CaseFailure::local(CaseError::UnexpectedMessage {
            opcode: 0x32,
            expected: SecureChannelOpcode::Sigma2,
        });
        assert!(unexpected.status_report.is_some());
    }
}
