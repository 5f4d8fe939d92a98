//! The CASE initiator as typed states (Matter 1.3 §4.14.2.3, §4.14.2):
//!
//! ```text
//! CaseInitiator::start ──Sigma1──▶ AwaitSigma2 ─┬─ Sigma2 ──Sigma3──▶ AwaitStatus ──SUCCESS──▶ CaseEstablished
//!                                               └─ Sigma2_Resume (resumption attempted) ──SUCCESS──▶ CaseEstablished
//! ```
//!
//! Each `handle` consumes its state, so a message can only be applied in the state that
//! expects it. Sans-IO: payloads in, payloads out; the node frames them as unsecured messages
//! on one exchange. Randomness (initiatorRandom and the ephemeral key) is drawn once at
//! `start` from the caller's RNG, or injected with [`CaseInitiator::start_with`].

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::RANDOM_LEN;
use super::credentials::OperationalCredentials;
use super::error::CaseError;
use super::fabric_keys::destination_id;
use super::key_schedule::{
    decrypt_tbe_data2, encrypt_tbe_data3, initiator_resume_mic, resumption_salt, session_keys_salt,
    shared_secret, sigma1_resume_key, sigma2_key, sigma2_resume_key, sigma3_key,
    verify_sigma2_resume_mic,
};
use super::messages::{ResumptionRequest, Sigma1, Sigma2, Sigma2Resume, Sigma3};
use super::outcome::{
    CaseEstablished, CaseFailure, CaseRole, expect_success, peer_status_failure,
    success_status_payload,
};
use super::signed_data::{TbeData2, TbeData3, TbsData};
use super::steps::{sign_tbs, validate_peer, verify_tbs};
use super::transcript::Transcript;
use crate::cert::ChainPolicy;
use crate::codec::SecureChannelOpcode;
use crate::crypto::{EphemeralKeyPair, P256_PUBLIC_KEY_LEN, SHA256_LEN};
use crate::fabric::NodeId;
use crate::session::{ResumptionRecord, SessionParameters};

/// The initiator's random values: initiatorRandom and the ephemeral key pair.
#[derive(Debug)]
pub struct InitiatorRandomness {
    /// initiatorRandom of Sigma1.
    pub initiator_random: [u8; RANDOM_LEN],
    /// The ephemeral ECDH key pair; fresh even when resuming (Matter 1.3 §4.14.2: fallback to full
    /// CASE).
    pub ephemeral: EphemeralKeyPair,
}

impl InitiatorRandomness {
    /// Draws both from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut initiator_random = [0u8; RANDOM_LEN];
        rng.fill_bytes(&mut initiator_random);
        InitiatorRandomness {
            initiator_random,
            ephemeral: EphemeralKeyPair::generate(rng),
        }
    }
}

/// Entry point of the initiator.
#[derive(Debug)]
pub struct CaseInitiator;

impl CaseInitiator {
    /// Builds Sigma1 toward node `peer_node_id` of `credentials`' fabric with fresh
    /// randomness. With a `resumption` record (the one saved for that fabric and peer), Sigma1
    /// also carries its resumption id and the initiator resume MIC (Matter 1.3 §4.14.2), and still
    /// a valid destination id and a fresh ephemeral key so the responder can fall back to full
    /// CASE.
    ///
    /// Returns the next state and the Sigma1 payload (opcode 0x30). Fails with
    /// [`CaseError::ResumptionRecordMismatch`] for a record of another fabric or peer.
    pub fn start(
        rng: &mut impl CryptoRngCore,
        credentials: &OperationalCredentials,
        peer_node_id: NodeId,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
        resumption: Option<&ResumptionRecord>,
    ) -> Result<(AwaitSigma2, Vec<u8>), CaseError> {
        Self::start_with(
            InitiatorRandomness::generate(rng),
            credentials,
            peer_node_id,
            local_session_id,
            our_params,
            resumption,
        )
    }

    /// [`Self::start`] with the random values given (vector replay, deterministic tests).
    pub fn start_with(
        randomness: InitiatorRandomness,
        credentials: &OperationalCredentials,
        peer_node_id: NodeId,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
        resumption: Option<&ResumptionRecord>,
    ) -> Result<(AwaitSigma2, Vec<u8>), CaseError> {
        let InitiatorRandomness {
            initiator_random,
            ephemeral,
        } = randomness;
        if let Some(record) = resumption {
            let same_peer = record.fabric_index == credentials.fabric_index()
                && record.fabric_id == credentials.fabric_id()
                && record.peer_node_id == peer_node_id;
            if !same_peer {
                return Err(CaseError::ResumptionRecordMismatch);
            }
        }
        let request = resumption.map(|record| {
            let s1rk = sigma1_resume_key(
                &record.shared_secret,
                &initiator_random,
                &record.resumption_id,
            );
            ResumptionRequest {
                resumption_id: record.resumption_id,
                initiator_resume_mic: initiator_resume_mic(&s1rk),
            }
        });
        let eph_pub_key = ephemeral.public_key().to_uncompressed();
        let sigma1 = Sigma1 {
            initiator_random,
            initiator_session_id: local_session_id.get(),
            destination_id: destination_id(
                credentials.ipk(),
                &initiator_random,
                credentials.root().public_key(),
                credentials.fabric_id(),
                peer_node_id,
            ),
            initiator_eph_pub_key: eph_pub_key,
            initiator_session_params: Some(our_params),
            resumption: request,
        };
        let payload = sigma1.encode()?;
        let mut transcript = Transcript::new();
        let sigma1_hash = transcript.add_sigma1(&payload)?;
        let state = AwaitSigma2 {
            credentials: credentials.clone(),
            peer_node_id,
            local_session_id,
            initiator_random,
            ephemeral,
            eph_pub_key,
            transcript,
            sigma1_hash,
            resumption: resumption.cloned(),
        };
        Ok((state, payload))
    }
}

/// Sent Sigma1; waiting for Sigma2 (or Sigma2_Resume after a resumption attempt).
pub struct AwaitSigma2 {
    credentials: OperationalCredentials,
    peer_node_id: NodeId,
    local_session_id: NonZeroU16,
    initiator_random: [u8; RANDOM_LEN],
    ephemeral: EphemeralKeyPair,
    eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    transcript: Transcript,
    sigma1_hash: [u8; SHA256_LEN],
    resumption: Option<ResumptionRecord>,
}

impl core::fmt::Debug for AwaitSigma2 {
    // By hand: the resumption record holds the shared secret.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AwaitSigma2")
            .field("fabric_index", &self.credentials.fabric_index())
            .field("peer_node_id", &self.peer_node_id)
            .field("local_session_id", &self.local_session_id)
            .field("attempted_resumption", &self.attempted_resumption())
            .finish_non_exhaustive()
    }
}

impl AwaitSigma2 {
    /// Whether Sigma1 asked to resume (so Sigma2_Resume is acceptable).
    pub fn attempted_resumption(&self) -> bool {
        self.resumption.is_some()
    }

    /// Full CASE (Matter 1.3 §4.14.2.3, initiator on Sigma2): ECDH, S2K, decrypt TBEData2; validate
    /// the responder's NOC/ICAC against our fabric's root under `policy` (its fabric id must be
    /// ours, its node id the peer we addressed); verify its signature over TBSData2; then sign
    /// TBSData3 and build Sigma3. Returns the next state and the Sigma3 payload (opcode 0x32).
    pub fn handle_sigma2(
        self,
        sigma2_payload: &[u8],
        policy: &ChainPolicy,
    ) -> Result<(AwaitStatus, Vec<u8>), CaseFailure> {
        let decoded = Sigma2::decode(sigma2_payload)?;
        let sigma2 = decoded.message();
        let peer_session_id =
            NonZeroU16::new(sigma2.responder_session_id).ok_or(CaseError::ZeroSessionId {
                field: "responderSessionId",
            })?;
        let creds = &self.credentials;
        let secret = shared_secret(&self.ephemeral, &sigma2.responder_eph_pub_key)?;
        let s2k = sigma2_key(
            secret.as_bytes(),
            creds.ipk(),
            &sigma2.responder_random,
            &sigma2.responder_eph_pub_key,
            &self.sigma1_hash,
        );
        let tbe2 = TbeData2::decode(&decrypt_tbe_data2(&s2k, &sigma2.encrypted2)?)?;
        let peer = validate_peer(creds, &tbe2.noc, tbe2.icac.as_deref(), policy)?;
        if peer.node_id != self.peer_node_id {
            return Err(CaseError::UnexpectedPeer {
                expected: self.peer_node_id,
                found: peer.node_id,
            }
            .into());
        }
        let tbs2 = TbsData {
            noc: tbe2.noc,
            icac: tbe2.icac,
            signer_eph_pub_key: sigma2.responder_eph_pub_key,
            peer_eph_pub_key: self.eph_pub_key,
        };
        verify_tbs(&peer.public_key, &tbs2, &tbe2.signature, "TBSData2")?;

        let mut transcript = self.transcript;
        let sigma12_hash = transcript.add_sigma2(sigma2_payload)?;
        let s3k = sigma3_key(secret.as_bytes(), creds.ipk(), &sigma12_hash);
        let tbs3 = TbsData {
            noc: creds.noc().to_vec(),
            icac: creds.icac().map(<[u8]>::to_vec),
            signer_eph_pub_key: self.eph_pub_key,
            peer_eph_pub_key: sigma2.responder_eph_pub_key,
        };
        let signature = sign_tbs(creds.signing_key(), &tbs3, "TBSData3")?;
        let tbe3 = TbeData3 {
            noc: tbs3.noc,
            icac: tbs3.icac,
            signature,
        }
        .encode()?;
        let sigma3 = Sigma3 {
            encrypted3: encrypt_tbe_data3(&s3k, &tbe3)?,
        }
        .encode()?;
        let sigma123_hash = transcript.add_sigma3(&sigma3)?;

        let established = CaseEstablished {
            role: CaseRole::Initiator,
            local_session_id: self.local_session_id,
            peer_session_id,
            fabric_index: creds.fabric_index(),
            local_node_id: creds.node_id(),
            peer_node_id: peer.node_id,
            peer_cats: peer.cats,
            peer_parameters: sigma2.responder_session_params.unwrap_or_default(),
            shared_secret: Zeroizing::new(*secret.as_bytes()),
            salt: session_keys_salt(creds.ipk(), &sigma123_hash),
            is_resumption: false,
            resumption_id: tbe2.resumption_id,
            fabric_id: creds.fabric_id(),
        };
        Ok((AwaitStatus { established }, sigma3))
    }

    /// Resumption accepted (Matter 1.3 §4.14.2, initiator on Sigma2_Resume): only after a
    /// resumption attempt; the MIC must verify under S2RK of the **new** resumption id; the session
    /// keys use the id *we sent in Sigma1* (matter.js `session/case/CaseServer.ts`); the record
    /// keeps the shared secret and peer identity and takes the new id. In resumption the initiator
    /// sends the SUCCESS: returns the session and that StatusReport payload (opcode 0x40).
    pub fn handle_sigma2_resume(
        self,
        sigma2_resume_payload: &[u8],
    ) -> Result<(CaseEstablished, Vec<u8>), CaseFailure> {
        let Some(old) = self.resumption else {
            return Err(CaseError::UnexpectedMessage {
                opcode: SecureChannelOpcode::Sigma2Resume.as_u8(),
                expected: SecureChannelOpcode::Sigma2,
            }
            .into());
        };
        let decoded = Sigma2Resume::decode(sigma2_resume_payload)?;
        let resume = decoded.message();
        let peer_session_id =
            NonZeroU16::new(resume.responder_session_id).ok_or(CaseError::ZeroSessionId {
                field: "responderSessionId",
            })?;
        let s2rk = sigma2_resume_key(
            &old.shared_secret,
            &self.initiator_random,
            &resume.resumption_id,
        );
        verify_sigma2_resume_mic(&s2rk, &resume.sigma2_resume_mic)?;

        let creds = &self.credentials;
        let established = CaseEstablished {
            role: CaseRole::Initiator,
            local_session_id: self.local_session_id,
            peer_session_id,
            fabric_index: creds.fabric_index(),
            local_node_id: creds.node_id(),
            // No certificates in a resumption: the identity is the record's (Matter 1.3 §4.14.2).
            peer_node_id: old.peer_node_id,
            peer_cats: old.peer_cats,
            peer_parameters: resume.responder_session_params.unwrap_or_default(),
            shared_secret: old.shared_secret,
            // matter.js `session/case/CaseServer.ts`: the id we sent in Sigma1, not the new one.
            salt: resumption_salt(&self.initiator_random, &old.resumption_id).to_vec(),
            is_resumption: true,
            resumption_id: resume.resumption_id,
            fabric_id: creds.fabric_id(),
        };
        Ok((established, success_status_payload()))
    }

    /// A StatusReport instead of Sigma2: the handshake is over (BUSY carries the wait time,
    /// [`CaseFailure::busy_wait_ms`]; NO_SHARED_TRUST_ROOTS means the responder knows no
    /// such fabric or node).
    pub fn handle_status_report(self, payload: &[u8]) -> CaseFailure {
        peer_status_failure(payload)
    }
}

/// Sent Sigma3; waiting for the responder's final StatusReport.
#[derive(Debug)]
pub struct AwaitStatus {
    established: CaseEstablished,
}

impl AwaitStatus {
    /// SUCCESS / SessionEstablishmentSuccess establishes the session; any other report is the
    /// responder's rejection of Sigma3.
    pub fn handle(self, status_payload: &[u8]) -> Result<CaseEstablished, CaseFailure> {
        expect_success(status_payload)?;
        Ok(self.established)
    }
}
