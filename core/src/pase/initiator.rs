//! The PASE initiator (commissioner) as typed states (Matter 1.3 §4.14.1.2):
//!
//! ```text
//! PaseInitiator::start ──request──▶ AwaitPbkdfResponse ──Pake1──▶ AwaitPake2 ──Pake3──▶
//! AwaitStatus ──▶ PaseEstablished
//! ```
//!
//! Each `handle` consumes its state, so a message can only be applied in the state that
//! expects it. Sans-IO: payloads in, payloads out; the node frames them as unsecured messages
//! on one exchange. Randomness (initiatorRandom and the scalar x) is drawn once at `start`
//! from the caller's RNG, or injected with [`PaseInitiator::start_with`].

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;

use super::error::PaseError;
use super::messages::{Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse, RANDOM_LEN};
use super::outcome::{PaseEstablished, PaseFailure, PaseRole, peer_status_failure};
use super::passcode::Passcode;
use super::pbkdf::ProverSecrets;
use super::spake2p::{Spake2pOutput, Spake2pProver, context_hasher};
use crate::codec::{GeneralCode, SecureChannelOpcode, SecureChannelStatus, StatusReport};
use crate::crypto::{SHA256_LEN, SecretScalar, Sha256Hasher};
use crate::session::SessionParameters;

/// The initiator's random values: initiatorRandom and the SPAKE2+ scalar x.
#[derive(Debug)]
pub struct InitiatorRandomness {
    /// initiatorRandom of PBKDFParamRequest.
    pub initiator_random: [u8; RANDOM_LEN],
    /// x in [1, n − 1].
    pub x: SecretScalar,
}

impl InitiatorRandomness {
    /// Draws both from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut initiator_random = [0u8; RANDOM_LEN];
        rng.fill_bytes(&mut initiator_random);
        InitiatorRandomness {
            initiator_random,
            x: SecretScalar::random(rng),
        }
    }
}

/// Entry point of the initiator.
#[derive(Debug)]
pub struct PaseInitiator;

impl PaseInitiator {
    /// Builds PBKDFParamRequest (passcode id 0, hasPBKDFParameters = false, `our_params`) with
    /// fresh randomness. Returns the next state and the request payload (opcode 0x20).
    pub fn start(
        rng: &mut impl CryptoRngCore,
        passcode: Passcode,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
    ) -> (AwaitPbkdfResponse, Vec<u8>) {
        Self::start_with(
            InitiatorRandomness::generate(rng),
            passcode,
            local_session_id,
            our_params,
        )
    }

    /// [`Self::start`] with the random values given (vector replay, deterministic tests).
    pub fn start_with(
        randomness: InitiatorRandomness,
        passcode: Passcode,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
    ) -> (AwaitPbkdfResponse, Vec<u8>) {
        let request = PbkdfParamRequest {
            initiator_random: randomness.initiator_random,
            initiator_session_id: local_session_id.get(),
            passcode_id: 0,
            has_pbkdf_parameters: false,
            initiator_session_params: Some(our_params),
        };
        let payload = request.encode();
        let state = AwaitPbkdfResponse {
            passcode,
            local_session_id,
            initiator_random: randomness.initiator_random,
            x: randomness.x,
            context: context_hasher(&payload),
        };
        (state, payload)
    }
}

/// Sent PBKDFParamRequest; waiting for PBKDFParamResponse.
#[derive(Debug)]
pub struct AwaitPbkdfResponse {
    passcode: Passcode,
    local_session_id: NonZeroU16,
    initiator_random: [u8; RANDOM_LEN],
    x: SecretScalar,
    /// SHA-256 state over the context prefix and the request bytes as sent.
    context: Sha256Hasher,
}

impl AwaitPbkdfResponse {
    /// Checks the response (echoed random, non-zero session id, PBKDF parameters present),
    /// runs PBKDF2 and computes X. Returns the next state and the Pake1 payload (opcode 0x22).
    pub fn handle(self, response_payload: &[u8]) -> Result<(AwaitPake2, Vec<u8>), PaseFailure> {
        let response = PbkdfParamResponse::decode(response_payload).map_err(|e| {
            PaseFailure::local(PaseError::malformed(
                SecureChannelOpcode::PbkdfParamResponse,
                e,
            ))
        })?;
        if response.initiator_random != self.initiator_random {
            return Err(PaseFailure::local(PaseError::InitiatorRandomMismatch));
        }
        let peer_session_id = NonZeroU16::new(response.responder_session_id)
            .ok_or_else(|| PaseFailure::local(PaseError::ZeroPeerSessionId))?;
        // We always send hasPBKDFParameters = false, so the response must carry them.
        let pbkdf = response
            .pbkdf_parameters
            .ok_or_else(|| PaseFailure::local(PaseError::MissingPbkdfParameters))?;
        let mut hasher = self.context;
        hasher.update(response_payload);
        let context = hasher.finalize();

        let secrets = ProverSecrets::derive(&self.passcode, &pbkdf);
        let prover = Spake2pProver::new(&secrets, &self.x)
            .map_err(|e| PaseFailure::local(PaseError::Spake2p(e)))?;
        let pake1 = Pake1 {
            pa: *prover.share(),
        }
        .encode();
        let next = AwaitPake2 {
            prover,
            context,
            local_session_id: self.local_session_id,
            peer_session_id,
            peer_parameters: response.responder_session_params.unwrap_or_default(),
        };
        Ok((next, pake1))
    }

    /// A StatusReport instead of the response: the handshake is over.
    pub fn handle_status_report(self, payload: &[u8]) -> PaseFailure {
        peer_status_failure(payload)
    }
}

/// Sent Pake1; waiting for Pake2.
#[derive(Debug)]
pub struct AwaitPake2 {
    prover: Spake2pProver,
    context: [u8; SHA256_LEN],
    local_session_id: NonZeroU16,
    peer_session_id: NonZeroU16,
    peer_parameters: SessionParameters,
}

impl AwaitPake2 {
    /// Computes Z, V and the keys from pB, verifies cB (a wrong passcode fails here), and
    /// returns the next state and the Pake3 payload (opcode 0x24).
    pub fn handle(self, pake2_payload: &[u8]) -> Result<(AwaitStatus, Vec<u8>), PaseFailure> {
        let pake2 = Pake2::decode(pake2_payload)
            .map_err(|e| PaseFailure::local(PaseError::malformed(SecureChannelOpcode::Pake2, e)))?;
        let output: Spake2pOutput = self
            .prover
            .finish(&self.context, &pake2.pb)
            .map_err(|e| PaseFailure::local(PaseError::Spake2p(e)))?;
        if !output.verify_confirmation_b(&pake2.cb) {
            return Err(PaseFailure::local(PaseError::ConfirmationMismatch));
        }
        let pake3 = Pake3 {
            ca: output.confirmation_a(),
        }
        .encode();
        let established = PaseEstablished::new(
            PaseRole::Initiator,
            self.local_session_id,
            self.peer_session_id,
            self.peer_parameters,
            output.keys().ke(),
        );
        Ok((AwaitStatus { established }, pake3))
    }

    /// A StatusReport instead of Pake2: the handshake is over.
    pub fn handle_status_report(self, payload: &[u8]) -> PaseFailure {
        peer_status_failure(payload)
    }
}

/// Sent Pake3; waiting for the responder's final StatusReport.
#[derive(Debug)]
pub struct AwaitStatus {
    established: PaseEstablished,
}

impl AwaitStatus {
    /// SUCCESS / SessionEstablishmentSuccess establishes the session; any other report is the
    /// responder's rejection of Pake3 (it found cA wrong).
    pub fn handle(self, status_payload: &[u8]) -> Result<PaseEstablished, PaseFailure> {
        let report = StatusReport::decode(status_payload)
            .map_err(|e| PaseFailure::local(PaseError::MalformedStatusReport(e)))?;
        let success = report.general_code == GeneralCode::Success
            && report.secure_channel_status()
                == Some(SecureChannelStatus::SessionEstablishmentSuccess);
        if success {
            Ok(self.established)
        } else {
            Err(PaseFailure::silent(PaseError::PeerStatus { report }))
        }
    }
}
