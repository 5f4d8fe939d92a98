//! The PASE responder (commissionee) as typed states (Matter 1.3 §4.14.1.2):
//!
//! ```text
//! PaseResponder::handle_pbkdf_request ──response──▶ AwaitPake1 ──Pake2──▶ AwaitPake3 ──▶
//! (PaseEstablished, SUCCESS StatusReport)
//! ```
//!
//! A [`PaseResponder`] is what an open commissioning window holds: the verifier (w0, L, never
//! the passcode), the PBKDF parameters it was made with and our session parameters. It is
//! not consumed by a handshake, so one window can serve several attempts in turn. Whether a
//! second PBKDFParamRequest during a running handshake is answered with BUSY
//! ([`super::busy_status_payload`]) or ignored (as matter.js `session/pase/PaseServer.ts` does) is
//! the node's decision.

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;

use super::error::PaseError;
use super::messages::{Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse, RANDOM_LEN};
use super::outcome::{
    PaseEstablished, PaseFailure, PaseRole, peer_status_failure, success_status_payload,
};
use super::pbkdf::{PbkdfParameters, Verifier};
use super::spake2p::{Spake2pOutput, Spake2pVerifier, context_hash};
use crate::codec::SecureChannelOpcode;
use crate::crypto::{SHA256_LEN, SecretScalar};
use crate::session::SessionParameters;

/// The responder's random values: responderRandom and the SPAKE2+ scalar y.
#[derive(Debug)]
pub struct ResponderRandomness {
    /// responderRandom of PBKDFParamResponse.
    pub responder_random: [u8; RANDOM_LEN],
    /// y in [1, n − 1].
    pub y: SecretScalar,
}

impl ResponderRandomness {
    /// Draws both from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut responder_random = [0u8; RANDOM_LEN];
        rng.fill_bytes(&mut responder_random);
        ResponderRandomness {
            responder_random,
            y: SecretScalar::random(rng),
        }
    }
}

/// The responder before a handshake: verifier, PBKDF parameters and our session parameters.
#[derive(Clone, Debug)]
pub struct PaseResponder {
    verifier: Verifier,
    pbkdf: PbkdfParameters,
    our_params: SessionParameters,
}

impl PaseResponder {
    /// A responder for a commissioning window. `pbkdf` must be the parameters `verifier` was
    /// derived with (they are sent to the initiator, which derives w0/w1 from them).
    pub fn new(verifier: Verifier, pbkdf: PbkdfParameters, our_params: SessionParameters) -> Self {
        PaseResponder {
            verifier,
            pbkdf,
            our_params,
        }
    }

    /// Handles PBKDFParamRequest with fresh randomness: returns the next state and the
    /// PBKDFParamResponse payload (opcode 0x21).
    pub fn handle_pbkdf_request(
        &self,
        rng: &mut impl CryptoRngCore,
        local_session_id: NonZeroU16,
        request_payload: &[u8],
    ) -> Result<(AwaitPake1, Vec<u8>), PaseFailure> {
        self.handle_pbkdf_request_with(
            ResponderRandomness::generate(rng),
            local_session_id,
            request_payload,
        )
    }

    /// [`Self::handle_pbkdf_request`] with the random values given (vector replay).
    ///
    /// Rejected with INVALID_PARAMETER: a malformed request, passcode id ≠ 0 (matter.js
    /// `session/pase/PaseServer.ts`) and initiator session id 0 (matter.js
    /// `session/SessionManager.ts`).
    pub fn handle_pbkdf_request_with(
        &self,
        randomness: ResponderRandomness,
        local_session_id: NonZeroU16,
        request_payload: &[u8],
    ) -> Result<(AwaitPake1, Vec<u8>), PaseFailure> {
        let request = PbkdfParamRequest::decode(request_payload).map_err(|e| {
            PaseFailure::local(PaseError::malformed(
                SecureChannelOpcode::PbkdfParamRequest,
                e,
            ))
        })?;
        if request.passcode_id != 0 {
            return Err(PaseFailure::local(PaseError::UnsupportedPasscodeId(
                request.passcode_id,
            )));
        }
        let peer_session_id = NonZeroU16::new(request.initiator_session_id)
            .ok_or_else(|| PaseFailure::local(PaseError::ZeroPeerSessionId))?;
        let response = PbkdfParamResponse {
            initiator_random: request.initiator_random,
            responder_random: randomness.responder_random,
            responder_session_id: local_session_id.get(),
            // Matter 1.3 §4.14.1.2: present iff the initiator does not already know them.
            pbkdf_parameters: (!request.has_pbkdf_parameters).then(|| self.pbkdf.clone()),
            responder_session_params: Some(self.our_params),
        };
        let response_payload = response.encode();
        let context = context_hash(request_payload, &response_payload);
        let verifier = Spake2pVerifier::new(&self.verifier, &randomness.y)
            .map_err(|e| PaseFailure::local(PaseError::Spake2p(e)))?;
        let next = AwaitPake1 {
            verifier,
            context,
            local_session_id,
            peer_session_id,
            peer_parameters: request.initiator_session_params.unwrap_or_default(),
        };
        Ok((next, response_payload))
    }
}

/// Sent PBKDFParamResponse; waiting for Pake1.
#[derive(Debug)]
pub struct AwaitPake1 {
    verifier: Spake2pVerifier,
    context: [u8; SHA256_LEN],
    local_session_id: NonZeroU16,
    peer_session_id: NonZeroU16,
    peer_parameters: SessionParameters,
}

impl AwaitPake1 {
    /// Computes Z, V and the keys from pA; returns the next state and the Pake2 payload
    /// (opcode 0x23) carrying Y and cB.
    pub fn handle(self, pake1_payload: &[u8]) -> Result<(AwaitPake3, Vec<u8>), PaseFailure> {
        let pake1 = Pake1::decode(pake1_payload)
            .map_err(|e| PaseFailure::local(PaseError::malformed(SecureChannelOpcode::Pake1, e)))?;
        let output = self
            .verifier
            .finish(&self.context, &pake1.pa)
            .map_err(|e| PaseFailure::local(PaseError::Spake2p(e)))?;
        let pake2 = Pake2 {
            pb: *self.verifier.share(),
            cb: output.confirmation_b(),
        }
        .encode();
        let next = AwaitPake3 {
            output,
            local_session_id: self.local_session_id,
            peer_session_id: self.peer_session_id,
            peer_parameters: self.peer_parameters,
        };
        Ok((next, pake2))
    }

    /// A StatusReport instead of Pake1: the handshake is over.
    pub fn handle_status_report(self, payload: &[u8]) -> PaseFailure {
        peer_status_failure(payload)
    }
}

/// Sent Pake2; waiting for Pake3.
#[derive(Debug)]
pub struct AwaitPake3 {
    output: Spake2pOutput,
    local_session_id: NonZeroU16,
    peer_session_id: NonZeroU16,
    peer_parameters: SessionParameters,
}

impl AwaitPake3 {
    /// Verifies cA. On success returns the established session and the SUCCESS /
    /// SessionEstablishmentSuccess StatusReport payload (opcode 0x40) to send.
    pub fn handle(self, pake3_payload: &[u8]) -> Result<(PaseEstablished, Vec<u8>), PaseFailure> {
        let pake3 = Pake3::decode(pake3_payload)
            .map_err(|e| PaseFailure::local(PaseError::malformed(SecureChannelOpcode::Pake3, e)))?;
        if !self.output.verify_confirmation_a(&pake3.ca) {
            return Err(PaseFailure::local(PaseError::ConfirmationMismatch));
        }
        let established = PaseEstablished::new(
            PaseRole::Responder,
            self.local_session_id,
            self.peer_session_id,
            self.peer_parameters,
            self.output.keys().ke(),
        );
        Ok((established, success_status_payload()))
    }

    /// A StatusReport instead of Pake3 (the initiator rejected cB): the handshake is over.
    pub fn handle_status_report(self, payload: &[u8]) -> PaseFailure {
        peer_status_failure(payload)
    }
}
