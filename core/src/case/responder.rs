//! The CASE responder as typed states (Matter 1.3 §4.14.2.3, §4.14.2):
//!
//! ```text
//! CaseResponder::handle_sigma1 ─┬─ resumption fields + record found + MIC ok ──Sigma2_Resume──▶
//!                               │      AwaitResumeStatus ──SUCCESS──▶ CaseEstablished
//!                               ├─ else, destination id names a fabric ──Sigma2──▶ AwaitSigma3
//!                               │      ──▶ (CaseEstablished, SUCCESS StatusReport)
//!                               └─ else ──▶ failure, NO_SHARED_TRUST_ROOTS owed
//! ```
//!
//! The responder holds no state before Sigma1: the node hands it its fabrics' credentials and
//! a lookup into its resumption records. A missing record or a resume MIC that does not verify
//! falls back to full CASE (matter.js `session/case/CaseServer.ts`). Randomness is drawn from the
//! caller's RNG only as needed (a resumption draws only the new resumption id), or injected with
//! [`CaseResponder::handle_sigma1_with`].

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::RANDOM_LEN;
use super::credentials::OperationalCredentials;
use super::error::CaseError;
use super::key_schedule::{
    decrypt_tbe_data3, encrypt_tbe_data2, resumption_salt, session_keys_salt, shared_secret,
    sigma1_resume_key, sigma2_key, sigma2_resume_key, sigma2_resume_mic, sigma3_key,
    verify_initiator_resume_mic,
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
use crate::crypto::{EphemeralKeyPair, P256_PUBLIC_KEY_LEN, SHA256_LEN, SharedSecret};
use crate::session::resumption::RESUMPTION_ID_LEN;
use crate::session::{ResumptionId, ResumptionRecord, SessionParameters};

/// The responder's random values, for injection: responderRandom and the ephemeral key pair
/// (full CASE only) and the resumption id it hands out (TBEData2 tag 4, or the new id of
/// Sigma2_Resume).
#[derive(Debug)]
pub struct ResponderRandomness {
    /// responderRandom of Sigma2.
    pub responder_random: [u8; RANDOM_LEN],
    /// The ephemeral ECDH key pair of Sigma2.
    pub ephemeral: EphemeralKeyPair,
    /// The resumption id handed to the initiator.
    pub resumption_id: ResumptionId,
}

impl ResponderRandomness {
    /// Draws all three from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut entropy = RngEntropy(rng);
        let resumption_id = entropy.resumption_id();
        let (responder_random, ephemeral) = entropy.sigma2();
        ResponderRandomness {
            responder_random,
            ephemeral,
            resumption_id,
        }
    }
}

/// Where the responder's random values come from: drawn on demand, or given.
trait Entropy {
    /// A fresh resumption id (both paths need one).
    fn resumption_id(&mut self) -> ResumptionId;
    /// responderRandom and the ephemeral key (full CASE only).
    fn sigma2(self) -> ([u8; RANDOM_LEN], EphemeralKeyPair);
}

struct RngEntropy<'r, R>(&'r mut R);

impl<R: CryptoRngCore> Entropy for RngEntropy<'_, R> {
    fn resumption_id(&mut self) -> ResumptionId {
        let mut id = [0u8; RESUMPTION_ID_LEN];
        self.0.fill_bytes(&mut id);
        id
    }

    fn sigma2(self) -> ([u8; RANDOM_LEN], EphemeralKeyPair) {
        let mut random = [0u8; RANDOM_LEN];
        self.0.fill_bytes(&mut random);
        (random, EphemeralKeyPair::generate(self.0))
    }
}

impl Entropy for ResponderRandomness {
    fn resumption_id(&mut self) -> ResumptionId {
        self.resumption_id
    }

    fn sigma2(self) -> ([u8; RANDOM_LEN], EphemeralKeyPair) {
        (self.responder_random, self.ephemeral)
    }
}

/// The responder's answer to Sigma1.
#[derive(Debug)]
pub enum Sigma1Reply {
    /// Resumption accepted: send the Sigma2_Resume payload (opcode 0x33), wait for SUCCESS.
    Resume(AwaitResumeStatus, Vec<u8>),
    /// Full CASE: send the Sigma2 payload (opcode 0x31), wait for Sigma3.
    Full(Box<AwaitSigma3>, Vec<u8>),
}

impl Sigma1Reply {
    /// The opcode of the payload to send.
    pub fn opcode(&self) -> SecureChannelOpcode {
        match self {
            Sigma1Reply::Resume(..) => SecureChannelOpcode::Sigma2Resume,
            Sigma1Reply::Full(..) => SecureChannelOpcode::Sigma2,
        }
    }

    /// The payload to send.
    pub fn payload(&self) -> &[u8] {
        match self {
            Sigma1Reply::Resume(_, payload) | Sigma1Reply::Full(_, payload) => payload,
        }
    }
}

/// Entry point of the responder.
#[derive(Debug)]
pub struct CaseResponder;

impl CaseResponder {
    /// Handles Sigma1 with fresh randomness.
    ///
    /// - Resumption fields present, `find_record` knows the id, the record's fabric is one of
    ///   `fabrics` (same index and fabric id) and the initiator resume MIC verifies: answer
    ///   Sigma2_Resume (Matter 1.3 §4.14.2).
    /// - Otherwise (matter.js `session/case/CaseServer.ts` fallback included): the destination id
    ///   must name one of `fabrics` (NO_SHARED_TRUST_ROOTS owed if none, Matter 1.3 §4.14.2);
    ///   answer Sigma2 signed with that fabric's NOC key (Matter 1.3 §4.14.2.3).
    ///
    /// Rejected with INVALID_PARAMETER: a malformed Sigma1, initiator session id 0 (matter.js
    /// `session/SessionManager.ts`), an ephemeral key off the curve.
    pub fn handle_sigma1(
        rng: &mut impl CryptoRngCore,
        sigma1_payload: &[u8],
        fabrics: &[OperationalCredentials],
        find_record: impl FnOnce(&ResumptionId) -> Option<ResumptionRecord>,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
    ) -> Result<Sigma1Reply, CaseFailure> {
        respond(
            RngEntropy(rng),
            sigma1_payload,
            fabrics,
            find_record,
            local_session_id,
            our_params,
        )
    }

    /// [`Self::handle_sigma1`] with the random values given (vector replay). A resumption
    /// uses only `randomness.resumption_id`.
    pub fn handle_sigma1_with(
        randomness: ResponderRandomness,
        sigma1_payload: &[u8],
        fabrics: &[OperationalCredentials],
        find_record: impl FnOnce(&ResumptionId) -> Option<ResumptionRecord>,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
    ) -> Result<Sigma1Reply, CaseFailure> {
        respond(
            randomness,
            sigma1_payload,
            fabrics,
            find_record,
            local_session_id,
            our_params,
        )
    }
}

/// The record and fabric a resumption request names, if the record exists, its fabric is
/// still ours and the initiator resume MIC verifies under its shared secret.
fn resumable<'f>(
    request: &ResumptionRequest,
    initiator_random: &[u8; RANDOM_LEN],
    fabrics: &'f [OperationalCredentials],
    find_record: impl FnOnce(&ResumptionId) -> Option<ResumptionRecord>,
) -> Option<(ResumptionRecord, &'f OperationalCredentials)> {
    let record = find_record(&request.resumption_id)?;
    let credentials = fabrics
        .iter()
        .find(|c| c.fabric_index() == record.fabric_index && c.fabric_id() == record.fabric_id)?;
    let s1rk = sigma1_resume_key(
        &record.shared_secret,
        initiator_random,
        &request.resumption_id,
    );
    verify_initiator_resume_mic(&s1rk, &request.initiator_resume_mic).ok()?;
    Some((record, credentials))
}

fn respond(
    mut entropy: impl Entropy,
    sigma1_payload: &[u8],
    fabrics: &[OperationalCredentials],
    find_record: impl FnOnce(&ResumptionId) -> Option<ResumptionRecord>,
    local_session_id: NonZeroU16,
    our_params: SessionParameters,
) -> Result<Sigma1Reply, CaseFailure> {
    let decoded = Sigma1::decode(sigma1_payload)?;
    let sigma1 = decoded.message();
    let peer_session_id =
        NonZeroU16::new(sigma1.initiator_session_id).ok_or(CaseError::ZeroSessionId {
            field: "initiatorSessionId",
        })?;
    let peer_parameters = sigma1.initiator_session_params.unwrap_or_default();

    if let Some(request) = &sigma1.resumption
        && let Some((record, credentials)) =
            resumable(request, &sigma1.initiator_random, fabrics, find_record)
    {
        let new_resumption_id = entropy.resumption_id();
        let s2rk = sigma2_resume_key(
            &record.shared_secret,
            &sigma1.initiator_random,
            &new_resumption_id,
        );
        let payload = Sigma2Resume {
            resumption_id: new_resumption_id,
            sigma2_resume_mic: sigma2_resume_mic(&s2rk),
            responder_session_id: local_session_id.get(),
            responder_session_params: Some(our_params),
        }
        .encode()?;
        let established = CaseEstablished {
            role: CaseRole::Responder,
            local_session_id,
            peer_session_id,
            fabric_index: credentials.fabric_index(),
            local_node_id: credentials.node_id(),
            // No certificates in a resumption: the identity is the record's (Matter 1.3 §4.14.2).
            peer_node_id: record.peer_node_id,
            peer_cats: record.peer_cats,
            peer_parameters,
            shared_secret: record.shared_secret,
            // matter.js `session/case/CaseServer.ts`: the id the initiator sent in Sigma1, not the
            // new one.
            salt: resumption_salt(&sigma1.initiator_random, &request.resumption_id).to_vec(),
            is_resumption: true,
            resumption_id: new_resumption_id,
            fabric_id: credentials.fabric_id(),
        };
        return Ok(Sigma1Reply::Resume(
            AwaitResumeStatus { established },
            payload,
        ));
    }

    let credentials = fabrics
        .iter()
        .find(|c| {
            c.destination_candidate()
                .matches(&sigma1.destination_id, &sigma1.initiator_random)
        })
        .ok_or(CaseError::NoSharedTrustRoots)?;
    let resumption_id = entropy.resumption_id();
    let (responder_random, ephemeral) = entropy.sigma2();
    let secret = shared_secret(&ephemeral, &sigma1.initiator_eph_pub_key)?;
    let eph_pub_key = ephemeral.public_key().to_uncompressed();

    let mut transcript = Transcript::new();
    let sigma1_hash = transcript.add_sigma1(sigma1_payload)?;
    let s2k = sigma2_key(
        secret.as_bytes(),
        credentials.ipk(),
        &responder_random,
        &eph_pub_key,
        &sigma1_hash,
    );
    let tbs2 = TbsData {
        noc: credentials.noc().to_vec(),
        icac: credentials.icac().map(<[u8]>::to_vec),
        signer_eph_pub_key: eph_pub_key,
        peer_eph_pub_key: sigma1.initiator_eph_pub_key,
    };
    let signature = sign_tbs(credentials.signing_key(), &tbs2, "TBSData2")?;
    let tbe2 = TbeData2 {
        noc: tbs2.noc,
        icac: tbs2.icac,
        signature,
        resumption_id,
    }
    .encode()?;
    let payload = Sigma2 {
        responder_random,
        responder_session_id: local_session_id.get(),
        responder_eph_pub_key: eph_pub_key,
        encrypted2: encrypt_tbe_data2(&s2k, &tbe2)?,
        responder_session_params: Some(our_params),
    }
    .encode()?;
    let sigma12_hash = transcript.add_sigma2(&payload)?;
    let state = AwaitSigma3 {
        credentials: credentials.clone(),
        secret,
        transcript,
        sigma12_hash,
        initiator_eph_pub_key: sigma1.initiator_eph_pub_key,
        responder_eph_pub_key: eph_pub_key,
        local_session_id,
        peer_session_id,
        peer_parameters,
        resumption_id,
    };
    Ok(Sigma1Reply::Full(Box::new(state), payload))
}

/// Sent Sigma2; waiting for Sigma3.
#[derive(Debug)]
pub struct AwaitSigma3 {
    credentials: OperationalCredentials,
    secret: SharedSecret,
    transcript: Transcript,
    sigma12_hash: [u8; SHA256_LEN],
    initiator_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    responder_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    local_session_id: NonZeroU16,
    peer_session_id: NonZeroU16,
    peer_parameters: SessionParameters,
    resumption_id: ResumptionId,
}

impl AwaitSigma3 {
    /// The fabric the initiator addressed.
    pub fn credentials(&self) -> &OperationalCredentials {
        &self.credentials
    }

    /// Responder on Sigma3 (Matter 1.3 §4.14.2.3): S3K, decrypt TBEData3, validate the initiator's
    /// chain against our root under `policy` (fabric id must be ours), verify its signature over
    /// TBSData3, derive the session. Returns the session (peer node id and CATs from its NOC; the
    /// record carries the resumption id we sent in TBEData2) and the SUCCESS StatusReport payload
    /// (opcode 0x40).
    pub fn handle(
        self,
        sigma3_payload: &[u8],
        policy: &ChainPolicy,
    ) -> Result<(CaseEstablished, Vec<u8>), CaseFailure> {
        let decoded = Sigma3::decode(sigma3_payload)?;
        let creds = &self.credentials;
        let s3k = sigma3_key(self.secret.as_bytes(), creds.ipk(), &self.sigma12_hash);
        let tbe3 = TbeData3::decode(&decrypt_tbe_data3(&s3k, &decoded.message().encrypted3)?)?;
        let peer = validate_peer(creds, &tbe3.noc, tbe3.icac.as_deref(), policy)?;
        let tbs3 = TbsData {
            noc: tbe3.noc,
            icac: tbe3.icac,
            signer_eph_pub_key: self.initiator_eph_pub_key,
            peer_eph_pub_key: self.responder_eph_pub_key,
        };
        verify_tbs(&peer.public_key, &tbs3, &tbe3.signature, "TBSData3")?;
        let mut transcript = self.transcript;
        let sigma123_hash = transcript.add_sigma3(sigma3_payload)?;

        let established = CaseEstablished {
            role: CaseRole::Responder,
            local_session_id: self.local_session_id,
            peer_session_id: self.peer_session_id,
            fabric_index: creds.fabric_index(),
            local_node_id: creds.node_id(),
            peer_node_id: peer.node_id,
            peer_cats: peer.cats,
            peer_parameters: self.peer_parameters,
            shared_secret: Zeroizing::new(*self.secret.as_bytes()),
            salt: session_keys_salt(creds.ipk(), &sigma123_hash),
            is_resumption: false,
            resumption_id: self.resumption_id,
            fabric_id: creds.fabric_id(),
        };
        Ok((established, success_status_payload()))
    }

    /// A StatusReport instead of Sigma3 (the initiator rejected Sigma2): the handshake is over.
    pub fn handle_status_report(self, payload: &[u8]) -> CaseFailure {
        peer_status_failure(payload)
    }
}

/// Sent Sigma2_Resume; waiting for the initiator's SUCCESS (in resumption the initiator sends
/// it, Matter 1.3 §4.14.2).
#[derive(Debug)]
pub struct AwaitResumeStatus {
    established: CaseEstablished,
}

impl AwaitResumeStatus {
    /// SUCCESS / SessionEstablishmentSuccess establishes the resumed session; any other report
    /// is the initiator's rejection of Sigma2_Resume.
    pub fn handle(self, status_payload: &[u8]) -> Result<CaseEstablished, CaseFailure> {
        expect_success(status_payload)?;
        Ok(self.established)
    }
}
