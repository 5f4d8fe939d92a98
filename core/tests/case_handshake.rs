//! CASE handshakes between test-CA credentials, both roles in memory (Matter 1.3 §4.14.2.3,
//! Matter 1.3 §4.14.2): full CASE with and without ICAC and with CATs, resumption and its
//! fallbacks, the failures of Matter 1.3 §4.14.2 with the StatusReport each owes, tampered
//! messages, rogue peers built from the CASE building blocks, and wrong-state messages through the
//! dynamic wrappers.

mod case_harness;

use case_harness::{
    EPOCH_KEY, INITIATOR_SESSION, RESPONDER_SESSION, assert_matching, ca, creds, handshake,
    no_records, policy, records, sid,
};
use paseo_core::case::key_schedule::{
    decrypt_tbe_data2, encrypt_tbe_data2, encrypt_tbe_data3, resumed_session_keys, session_keys,
    shared_secret, sigma2_key, sigma3_key,
};
use paseo_core::case::{
    CaseError, CaseFailure, CaseInitiator, CaseInitiatorState, CaseResponder, CaseResponderState,
    CaseRole, CaseStep, CredentialParts, OperationalCredentials, ResponderRandomness, Sigma1,
    Sigma1Reply, Sigma2, Sigma2Resume, Sigma3, TbeData2, TbeData3, TbsData, Transcript,
    busy_status_payload, destination_id,
};
use paseo_core::cert::{
    ChainError, ChainPolicy, ChainPosition, DEFAULT_NOT_BEFORE, TestCa, Validity,
};
use paseo_core::codec::{
    GeneralCode, Message, ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode,
    StatusReport,
};
use paseo_core::crypto::{EphemeralKeyPair, SigningKeyPair};
use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::session::counter::{CounterKind, MessageCounter};
use paseo_core::session::{ResumptionRecord, SecureSession, Session, SessionParameters};
use paseo_core::time::Instant;
use paseo_core::tlv::{Tag, Writer};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};

const INVALID_PARAMETER: [u8; 8] = [1, 0, 0, 0, 0, 0, 2, 0];
const NO_SHARED_TRUST_ROOTS: [u8; 8] = [1, 0, 0, 0, 0, 0, 1, 0];
const SUCCESS: [u8; 8] = [0; 8];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn params() -> SessionParameters {
    SessionParameters::paseo_default()
}

/// Asserts a failure we detected owes `status` and carries an error `check` accepts.
fn assert_failure(failure: &CaseFailure, status: [u8; 8], check: impl Fn(&CaseError) -> bool) {
    assert!(
        check(&failure.error),
        "unexpected error {:?}",
        failure.error
    );
    assert_eq!(failure.status_report_payload(), Some(status.to_vec()));
}

/// A controller (node 0x1111, CATs) and a device (node 0x2222) on one fabric.
struct Fabric2 {
    ca: TestCa,
    controller: OperationalCredentials,
    device: OperationalCredentials,
}

fn fabric(seed: u64, icac: bool) -> Fabric2 {
    let mut r = rng(seed);
    let mut ca = ca(seed, 0xFAB0_0000_0000_0001, icac);
    let controller = creds(&mut ca, 1, 0x1111, &[0x0001_0001, 0x0002_0005], &mut r);
    let device = creds(&mut ca, 2, 0x2222, &[], &mut r);
    Fabric2 {
        ca,
        controller,
        device,
    }
}

#[test]
fn full_case_with_and_without_icac() {
    for icac in [false, true] {
        let f = fabric(1, icac);
        let out = handshake(
            &mut rng(2),
            &f.controller,
            NodeId(0x2222),
            None,
            std::slice::from_ref(&f.device),
            &[],
            &policy(),
        )
        .expect("handshake");
        assert_matching(&out);
        let (i, r) = (&out.initiator, &out.responder);
        assert_eq!(i.role(), CaseRole::Initiator);
        assert_eq!(r.role(), CaseRole::Responder);
        assert!(!i.is_resumption());
        // Identities come from the NOCs: the device sees the controller's CATs.
        assert_eq!(i.local_node_id(), NodeId(0x1111));
        assert_eq!(i.peer_node_id(), NodeId(0x2222));
        assert_eq!(i.peer_cats(), [] as [u32; 0]);
        assert_eq!(r.peer_cats(), [0x0001_0001, 0x0002_0005]);
        assert_eq!(i.fabric_index(), FabricIndex(1));
        assert_eq!(r.fabric_index(), FabricIndex(2));
        assert_eq!(*i.peer_parameters(), params());
        assert_eq!(*r.peer_parameters(), params());
        assert_eq!(i.resumption_record().fabric_id, f.ca.fabric_id());

        // The keys are Matter 1.3 §4.14.2's: HKDF(secret, IPK ‖ SHA-256(S1 ‖ S2 ‖ S3),
        // "SessionKeys").
        let mut transcript = Transcript::new();
        transcript.add_sigma1(&out.sigma1).unwrap();
        transcript.add_sigma2(&out.sigma2).unwrap();
        let h123 = transcript.add_sigma3(out.sigma3.as_ref().unwrap()).unwrap();
        let expected = session_keys(i.shared_secret(), f.controller.ipk(), &h123).unwrap();
        let got = i.session_key_material().unwrap();
        assert_eq!(got.i2r, expected.i2r);
        assert_eq!(got.r2i, expected.r2i);
        assert_eq!(got.attestation_challenge, expected.attestation_challenge);

        // The TBEData2 resumption id is the one both records keep.
        let sigma2 = Sigma2::decode(&out.sigma2).unwrap();
        assert_eq!(
            sigma2.message().responder_session_id,
            RESPONDER_SESSION,
            "Sigma2 carries our session id"
        );
        // With an ICAC the chain travels in TBEData2/3: the Sigma payloads are longer.
        let sigma3_len = out.sigma3.as_ref().unwrap().len();
        assert_eq!(sigma3_len > 450, icac, "Sigma3 of {sigma3_len} bytes");
    }
}

#[test]
fn established_sessions_talk_to_each_other() {
    let f = fabric(3, true);
    let out = handshake(
        &mut rng(4),
        &f.controller,
        NodeId(0x2222),
        None,
        std::slice::from_ref(&f.device),
        &[],
        &policy(),
    )
    .unwrap();
    let counter = || MessageCounter::with_initial(CounterKind::SecureSession, 7).unwrap();
    let mut a = SecureSession::new(out.initiator.session_args(Instant::ZERO, None), counter())
        .expect("initiator session");
    let mut b = SecureSession::new(out.responder.session_args(Instant::ZERO, None), counter())
        .expect("responder session");
    assert_eq!(b.peer_cats(), [0x0001_0001, 0x0002_0005]);
    assert_eq!(a.peer_node_id(), NodeId(0x2222));
    assert_eq!(b.associated_fabric(), Some(FabricIndex(2)));
    let header = ProtocolHeader::new(ProtocolId::INTERACTION_MODEL, 0x02, 1);
    let message = ProtocolMessage {
        header,
        payload: b"read",
    };
    let datagram = a.encode(Instant::ZERO, &message).unwrap();
    let parsed = Message::decode(&datagram).unwrap();
    assert_eq!(b.decode(Instant::ZERO, &parsed).unwrap().payload, b"read");
    let datagram = b.encode(Instant::ZERO, &message).unwrap();
    let parsed = Message::decode(&datagram).unwrap();
    assert_eq!(a.decode(Instant::ZERO, &parsed).unwrap().payload, b"read");
}

#[test]
fn responder_picks_the_addressed_fabric_among_several() {
    let f = fabric(5, false);
    let mut other = fabric(6, true);
    let mut r = rng(7);
    let other_device = creds(&mut other.ca, 9, 0x2222, &[], &mut r);
    for order in [
        vec![other_device.clone(), f.device.clone()],
        vec![f.device.clone(), other_device.clone()],
    ] {
        let out = handshake(
            &mut r,
            &f.controller,
            NodeId(0x2222),
            None,
            &order,
            &[],
            &policy(),
        )
        .unwrap();
        assert_matching(&out);
        assert_eq!(out.responder.fabric_index(), FabricIndex(2));
    }
}

#[test]
fn resumption_uses_the_records_and_renews_the_id() {
    let f = fabric(8, false);
    let mut r = rng(9);
    let device = std::slice::from_ref(&f.device);
    let full = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let (mut init_record, mut resp_record) = (
        full.initiator.resumption_record().clone(),
        full.responder.resumption_record().clone(),
    );
    for round in 0..2 {
        let old_id = init_record.resumption_id;
        let out = handshake(
            &mut r,
            &f.controller,
            NodeId(0x2222),
            Some(&init_record),
            device,
            std::slice::from_ref(&resp_record),
            &policy(),
        )
        .unwrap_or_else(|e| panic!("resumption {round}: {e}"));
        assert!(out.sigma3.is_none(), "resumed without Sigma3");
        assert_matching(&out);
        let (i, resp) = (&out.initiator, &out.responder);
        assert!(i.is_resumption() && resp.is_resumption());
        // Keys: HKDF(secret, initiatorRandom ‖ the id sent in Sigma1, "SessionResumptionKeys").
        let sigma1 = Sigma1::decode(&out.sigma1).unwrap();
        let sigma1 = sigma1.message();
        assert_eq!(sigma1.resumption.unwrap().resumption_id, old_id);
        let expected = resumed_session_keys(
            &init_record.shared_secret,
            &sigma1.initiator_random,
            &old_id,
        )
        .unwrap();
        let got = resp.session_key_material().unwrap();
        assert_eq!(got.i2r, expected.i2r);
        assert_eq!(got.r2i, expected.r2i);
        assert_eq!(got.attestation_challenge, expected.attestation_challenge);
        // The new id from Sigma2_Resume is saved on both sides; secret and identity stay.
        let resume = Sigma2Resume::decode(&out.sigma2).unwrap();
        let new_id = resume.message().resumption_id;
        assert_ne!(new_id, old_id);
        assert_eq!(i.resumption_record().resumption_id, new_id);
        assert_eq!(resp.resumption_record().resumption_id, new_id);
        assert_eq!(
            i.resumption_record().shared_secret,
            full.initiator.resumption_record().shared_secret
        );
        assert_eq!(i.peer_node_id(), NodeId(0x2222));
        assert_eq!(resp.peer_node_id(), NodeId(0x1111));
        assert_eq!(resp.peer_cats(), [0x0001_0001, 0x0002_0005]);
        assert_eq!(resp.fabric_index(), FabricIndex(2));
        init_record = i.resumption_record().clone();
        resp_record = resp.resumption_record().clone();
    }
}

#[test]
fn stale_or_unknown_resumption_id_falls_back_to_full_case() {
    let f = fabric(10, true);
    let mut r = rng(11);
    let device = std::slice::from_ref(&f.device);
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let stale = first.initiator.resumption_record().clone();
    // One resumption renews the id; the responder forgets the old one.
    let second = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        Some(&stale),
        device,
        &[first.responder.resumption_record()],
        &policy(),
    )
    .unwrap();
    assert!(second.initiator.is_resumption());
    for known in [vec![], vec![second.responder.resumption_record().clone()]] {
        let out = handshake(
            &mut r,
            &f.controller,
            NodeId(0x2222),
            Some(&stale),
            device,
            &known,
            &policy(),
        )
        .unwrap();
        assert!(out.sigma3.is_some(), "fell back to Sigma2/Sigma3");
        assert_matching(&out);
        assert!(!out.initiator.is_resumption());
        assert_ne!(
            out.initiator.resumption_record().shared_secret,
            stale.shared_secret,
            "full CASE makes a new secret"
        );
        // matter.js keeps the CATs it already knew; here they come from the fresh NOC anyway.
        assert_eq!(out.responder.peer_cats(), [0x0001_0001, 0x0002_0005]);
    }
}

#[test]
fn bad_resume_mic_falls_back_at_the_responder() {
    let f = fabric(12, false);
    let mut r = rng(13);
    let device = std::slice::from_ref(&f.device);
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let record = first.initiator.resumption_record().clone();

    // The responder's record has another secret: the MIC does not verify, so the responder
    // falls back to full CASE (as matter.js `session/case/CaseServer.ts` does).
    let mut wrong_secret = first.responder.resumption_record().clone();
    wrong_secret.shared_secret[0] ^= 1;
    let out = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        Some(&record),
        device,
        &[wrong_secret],
        &policy(),
    )
    .unwrap();
    assert!(out.sigma3.is_some() && !out.initiator.is_resumption());
    assert_matching(&out);

    // A record for a fabric the responder no longer has is not used either.
    let mut gone_fabric = first.responder.resumption_record().clone();
    gone_fabric.fabric_index = FabricIndex(77);
    let out = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        Some(&record),
        device,
        &[gone_fabric],
        &policy(),
    )
    .unwrap();
    assert!(out.sigma3.is_some());

    // A tampered initiatorResumeMIC: the responder answers with a full Sigma2.
    let (_, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        Some(&record),
    )
    .unwrap();
    let mut decoded = Sigma1::decode(&sigma1).unwrap().into_parts().0;
    let request = decoded.resumption.as_mut().unwrap();
    request.initiator_resume_mic[3] ^= 0x40;
    let tampered = decoded.encode().unwrap();
    let reply = CaseResponder::handle_sigma1(
        &mut r,
        &tampered,
        device,
        records(&[first.responder.resumption_record()]),
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap();
    assert_eq!(reply.opcode(), SecureChannelOpcode::Sigma2);
    assert!(matches!(reply, Sigma1Reply::Full(..)));
}

#[test]
fn initiator_rejects_a_bad_sigma2_resume() {
    let f = fabric(14, false);
    let mut r = rng(15);
    let device = std::slice::from_ref(&f.device);
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let saved = [first.responder.resumption_record().clone()];
    let start = |r: &mut ChaCha20Rng| {
        let (state, sigma1) = CaseInitiator::start(
            r,
            &f.controller,
            NodeId(0x2222),
            sid(INITIATOR_SESSION),
            params(),
            Some(&first.initiator.resumption_record()),
        )
        .unwrap();
        let reply = CaseResponder::handle_sigma1(
            r,
            &sigma1,
            device,
            records(&saved),
            sid(RESPONDER_SESSION),
            params(),
        )
        .unwrap();
        let Sigma1Reply::Resume(_, payload) = reply else {
            panic!("expected Sigma2_Resume")
        };
        (state, payload)
    };

    // Tampered MIC.
    let (state, payload) = start(&mut r);
    let mut resume = Sigma2Resume::decode(&payload).unwrap().into_parts().0;
    resume.sigma2_resume_mic[0] ^= 1;
    let failure = state
        .handle_sigma2_resume(&resume.encode().unwrap())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        *e == CaseError::ResumeMicMismatch("sigma2ResumeMIC")
    });

    // A substituted new resumption id breaks the MIC too (S2RK covers the new id).
    let (state, payload) = start(&mut r);
    let mut resume = Sigma2Resume::decode(&payload).unwrap().into_parts().0;
    resume.resumption_id[15] ^= 1;
    let failure = state
        .handle_sigma2_resume(&resume.encode().unwrap())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::ResumeMicMismatch(_))
    });

    // The untampered message works.
    let (state, payload) = start(&mut r);
    let (session, status) = state.handle_sigma2_resume(&payload).unwrap();
    assert_eq!(status, SUCCESS);
    assert!(session.is_resumption());

    // Sigma2_Resume to an initiator that did not ask to resume.
    let (state, _) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    assert!(!state.attempted_resumption());
    let failure = state.handle_sigma2_resume(&payload).unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::UnexpectedMessage { opcode: 0x33, .. })
    });
}

#[test]
fn initiator_refuses_a_record_of_another_peer() {
    let f = fabric(16, false);
    let mut r = rng(17);
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        std::slice::from_ref(&f.device),
        &[],
        &policy(),
    )
    .unwrap();
    let record = first.initiator.resumption_record();
    for mutate in [
        (|rec: &mut ResumptionRecord| rec.peer_node_id = NodeId(0x3333)) as fn(&mut _),
        |rec| rec.fabric_index = FabricIndex(9),
        |rec| rec.fabric_id ^= 1,
    ] {
        let mut other = record.clone();
        mutate(&mut other);
        let err = CaseInitiator::start(
            &mut r,
            &f.controller,
            NodeId(0x2222),
            sid(1),
            params(),
            Some(&other),
        )
        .unwrap_err();
        assert_eq!(err, CaseError::ResumptionRecordMismatch);
    }
}

#[test]
fn unknown_destination_gets_no_shared_trust_roots() {
    let f = fabric(18, false);
    let other = fabric(19, false);
    let mut r = rng(20);
    // Another fabric's controller, the right node on the wrong fabric, and a node id the
    // responder does not have on the right fabric.
    for (initiator, peer) in [
        (&other.controller, NodeId(0x2222)),
        (&f.controller, NodeId(0x2223)),
    ] {
        let (state, sigma1) = CaseInitiator::start(
            &mut r,
            initiator,
            peer,
            sid(INITIATOR_SESSION),
            params(),
            None,
        )
        .unwrap();
        let failure = CaseResponder::handle_sigma1(
            &mut r,
            &sigma1,
            std::slice::from_ref(&f.device),
            no_records,
            sid(RESPONDER_SESSION),
            params(),
        )
        .unwrap_err();
        assert_failure(&failure, NO_SHARED_TRUST_ROOTS, |e| {
            *e == CaseError::NoSharedTrustRoots
        });
        // The initiator takes the report silently.
        let at_initiator = state.handle_status_report(&failure.status_report_payload().unwrap());
        assert_eq!(at_initiator.status_report, None);
        assert_eq!(
            at_initiator.error,
            CaseError::PeerStatus {
                general: GeneralCode::Failure,
                protocol_code: 1,
                busy_wait_ms: None
            }
        );
    }
    // A responder with no fabrics at all.
    let (_, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(1),
        params(),
        None,
    )
    .unwrap();
    let failure = CaseResponder::handle_sigma1(&mut r, &sigma1, &[], no_records, sid(2), params())
        .unwrap_err();
    assert_eq!(failure.error, CaseError::NoSharedTrustRoots);
}

/// A peer that builds its messages from the CASE building blocks, so it can present any NOC
/// with any key (what an attacker holding the IPK could do).
struct Rogue {
    random: [u8; 32],
    ephemeral: EphemeralKeyPair,
    sigma1: Vec<u8>,
}

impl Rogue {
    /// A Sigma1 that names `target` correctly.
    fn sigma1(r: &mut ChaCha20Rng, target: &OperationalCredentials) -> Rogue {
        let mut random = [0u8; 32];
        r.fill_bytes(&mut random);
        let ephemeral = EphemeralKeyPair::generate(r);
        let sigma1 = Sigma1 {
            initiator_random: random,
            initiator_session_id: INITIATOR_SESSION,
            destination_id: destination_id(
                target.ipk(),
                &random,
                target.root().public_key(),
                target.fabric_id(),
                target.node_id(),
            ),
            initiator_eph_pub_key: ephemeral.public_key().to_uncompressed(),
            initiator_session_params: None,
            resumption: None,
        }
        .encode()
        .unwrap();
        Rogue {
            random,
            ephemeral,
            sigma1,
        }
    }

    /// Sigma3 over the honest responder's Sigma2, with the given certificates and key.
    fn sigma3(
        &self,
        sigma2: &[u8],
        target: &OperationalCredentials,
        noc: &[u8],
        icac: Option<&[u8]>,
        key: &SigningKeyPair,
    ) -> Vec<u8> {
        let _ = self.random;
        let message = Sigma2::decode(sigma2).unwrap().into_parts().0;
        let secret = shared_secret(&self.ephemeral, &message.responder_eph_pub_key).unwrap();
        let mut transcript = Transcript::new();
        transcript.add_sigma1(&self.sigma1).unwrap();
        let h12 = transcript.add_sigma2(sigma2).unwrap();
        let s3k = sigma3_key(secret.as_bytes(), target.ipk(), &h12);
        let tbs = TbsData {
            noc: noc.to_vec(),
            icac: icac.map(<[u8]>::to_vec),
            signer_eph_pub_key: self.ephemeral.public_key().to_uncompressed(),
            peer_eph_pub_key: message.responder_eph_pub_key,
        };
        let signature = key.sign(&tbs.encode().unwrap()).unwrap();
        let tbe = TbeData3 {
            noc: tbs.noc,
            icac: tbs.icac,
            signature,
        };
        Sigma3 {
            encrypted3: encrypt_tbe_data3(&s3k, &tbe.encode().unwrap()).unwrap(),
        }
        .encode()
        .unwrap()
    }
}

/// A Sigma2 answering an honest `sigma1` (addressed to a fabric whose IPK is `ipk_of`), with
/// the given certificates and signing key.
fn rogue_sigma2(
    r: &mut ChaCha20Rng,
    sigma1: &[u8],
    ipk_of: &OperationalCredentials,
    noc: &[u8],
    icac: Option<&[u8]>,
    key: &SigningKeyPair,
) -> Vec<u8> {
    let message = Sigma1::decode(sigma1).unwrap().into_parts().0;
    let ephemeral = EphemeralKeyPair::generate(r);
    let eph = ephemeral.public_key().to_uncompressed();
    let mut random = [0u8; 32];
    r.fill_bytes(&mut random);
    let secret = shared_secret(&ephemeral, &message.initiator_eph_pub_key).unwrap();
    let mut transcript = Transcript::new();
    let h1 = transcript.add_sigma1(sigma1).unwrap();
    let s2k = sigma2_key(secret.as_bytes(), ipk_of.ipk(), &random, &eph, &h1);
    let tbs = TbsData {
        noc: noc.to_vec(),
        icac: icac.map(<[u8]>::to_vec),
        signer_eph_pub_key: eph,
        peer_eph_pub_key: message.initiator_eph_pub_key,
    };
    let signature = key.sign(&tbs.encode().unwrap()).unwrap();
    let tbe = TbeData2 {
        noc: tbs.noc,
        icac: tbs.icac,
        signature,
        resumption_id: [0x77; 16],
    };
    Sigma2 {
        responder_random: random,
        responder_session_id: RESPONDER_SESSION,
        responder_eph_pub_key: eph,
        encrypted2: encrypt_tbe_data2(&s2k, &tbe.encode().unwrap()).unwrap(),
        responder_session_params: None,
    }
    .encode()
    .unwrap()
}

/// The device's Sigma2 for `sigma1` and the state waiting for Sigma3.
fn honest_sigma2(
    r: &mut ChaCha20Rng,
    sigma1: &[u8],
    device: &OperationalCredentials,
) -> (paseo_core::case::AwaitSigma3, Vec<u8>) {
    match CaseResponder::handle_sigma1(
        r,
        sigma1,
        std::slice::from_ref(device),
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap()
    {
        Sigma1Reply::Full(state, payload) => (*state, payload),
        Sigma1Reply::Resume(..) => panic!("no records, no resumption"),
    }
}

#[test]
fn responder_rejects_foreign_chains_and_bad_signatures() {
    let f = fabric(21, false);
    let mut r = rng(22);
    // Another CA with the same fabric id and the same RCAC subject: its NOC does not chain.
    let mut foreign_ca = ca(23, f.ca.fabric_id(), false);
    let foreign = foreign_ca.issue_noc(NodeId(0x1111), &[], &mut r).unwrap();
    // The fabric's own CA, rebuilt for another fabric id: its NOC chains but names the
    // wrong fabric.
    let mut same_root_other_fabric = ca(21, f.ca.fabric_id() + 1, false);
    assert_eq!(same_root_other_fabric.rcac().tlv(), f.ca.rcac().tlv());
    let wrong_fabric = same_root_other_fabric
        .issue_noc(NodeId(0x1111), &[], &mut r)
        .unwrap();
    let impostor_key = SigningKeyPair::generate(&mut r);

    type Check = fn(&CaseError) -> bool;
    let cases: [(&[u8], &SigningKeyPair, Check); 3] = [
        (foreign.noc.tlv(), &foreign.key_pair, |e| {
            matches!(
                e,
                CaseError::InvalidChain(ChainError::AuthorityKeyIdMismatch(ChainPosition::Noc))
            )
        }),
        (wrong_fabric.noc.tlv(), &wrong_fabric.key_pair, |e| {
            matches!(e, CaseError::InvalidChain(ChainError::WrongFabric { .. }))
        }),
        // The controller's real NOC, signed with a key that is not its own.
        (f.controller.noc(), &impostor_key, |e| {
            *e == CaseError::BadSignature("TBSData3")
        }),
    ];
    for (noc, key, check) in cases {
        let rogue = Rogue::sigma1(&mut r, &f.device);
        let (state, sigma2) = honest_sigma2(&mut r, &rogue.sigma1, &f.device);
        let sigma3 = rogue.sigma3(&sigma2, &f.device, noc, None, key);
        let failure = state.handle(&sigma3, &policy()).unwrap_err();
        assert_failure(&failure, INVALID_PARAMETER, check);
    }
    // The rogue path itself is sound: with the controller's own NOC and key it succeeds.
    let rogue = Rogue::sigma1(&mut r, &f.device);
    let (state, sigma2) = honest_sigma2(&mut r, &rogue.sigma1, &f.device);
    let sigma3 = rogue.sigma3(
        &sigma2,
        &f.device,
        f.controller.noc(),
        None,
        f.controller.signing_key(),
    );
    let (session, status) = state.handle(&sigma3, &policy()).unwrap();
    assert_eq!(status, SUCCESS);
    assert_eq!(session.peer_node_id(), NodeId(0x1111));
}

#[test]
fn initiator_rejects_foreign_chains_wrong_node_and_bad_signatures() {
    let mut f = fabric(24, true);
    let mut r = rng(25);
    let mut foreign_ca = ca(26, f.ca.fabric_id(), true);
    let foreign = foreign_ca.issue_noc(NodeId(0x2222), &[], &mut r).unwrap();
    let foreign_icac = foreign_ca.icac().unwrap().tlv().to_vec();
    let other_node = creds(&mut f.ca, 2, 0x2299, &[], &mut r);
    let own_icac = f.device.icac().map(<[u8]>::to_vec);
    let impostor_key = SigningKeyPair::generate(&mut r);

    type Check = fn(&CaseError) -> bool;
    type Case<'a> = (&'a [u8], Option<&'a [u8]>, &'a SigningKeyPair, Check);
    let cases: [Case<'_>; 4] = [
        // A whole foreign chain: its ICAC is not issued by our root.
        (
            foreign.noc.tlv(),
            Some(&foreign_icac),
            &foreign.key_pair,
            |e| matches!(e, CaseError::InvalidChain(_)),
        ),
        // A foreign NOC under our ICAC.
        (
            foreign.noc.tlv(),
            own_icac.as_deref(),
            &foreign.key_pair,
            |e| {
                matches!(
                    e,
                    CaseError::InvalidChain(ChainError::AuthorityKeyIdMismatch(_))
                )
            },
        ),
        // A valid NOC of the fabric, but for another node than the one addressed.
        (
            other_node.noc(),
            other_node.icac(),
            other_node.signing_key(),
            |e| {
                *e == CaseError::UnexpectedPeer {
                    expected: NodeId(0x2222),
                    found: NodeId(0x2299),
                }
            },
        ),
        (f.device.noc(), f.device.icac(), &impostor_key, |e| {
            *e == CaseError::BadSignature("TBSData2")
        }),
    ];
    for (noc, icac, key, check) in cases {
        let (state, sigma1) = CaseInitiator::start(
            &mut r,
            &f.controller,
            NodeId(0x2222),
            sid(INITIATOR_SESSION),
            params(),
            None,
        )
        .unwrap();
        let sigma2 = rogue_sigma2(&mut r, &sigma1, &f.device, noc, icac, key);
        let failure = state.handle_sigma2(&sigma2, &policy()).unwrap_err();
        assert_failure(&failure, INVALID_PARAMETER, check);
    }
    // The rogue responder with the device's real credentials is accepted.
    let (state, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    let sigma2 = rogue_sigma2(
        &mut r,
        &sigma1,
        &f.device,
        f.device.noc(),
        f.device.icac(),
        f.device.signing_key(),
    );
    let (_, sigma3) = state.handle_sigma2(&sigma2, &policy()).unwrap();
    assert!(!sigma3.is_empty());
}

/// Credentials on `ca`'s fabric whose NOC expires at `not_after`.
fn expiring_creds(
    ca: &mut TestCa,
    index: u8,
    node: u64,
    not_after: u32,
    r: &mut ChaCha20Rng,
) -> OperationalCredentials {
    let key = SigningKeyPair::generate(r);
    let validity = Validity {
        not_before: DEFAULT_NOT_BEFORE,
        not_after,
    };
    let noc = ca
        .issue_noc_with_validity(key.public_key(), NodeId(node), &[], validity)
        .unwrap();
    let parts = CredentialParts {
        fabric: Fabric {
            index: FabricIndex(index),
            fabric_id: ca.fabric_id(),
            label: String::new(),
            node_id: NodeId(node),
            root_node_id: NodeId(1),
            root_vendor_id: 0xFFF1,
        },
        rcac: ca.rcac().tlv().to_vec(),
        icac: ca.icac().map(|c| c.tlv().to_vec()),
        noc: noc.tlv().to_vec(),
        signing_key: key,
        ipk_epoch_key: EPOCH_KEY,
    };
    OperationalCredentials::from_parts(parts, &ChainPolicy::skip_validity()).unwrap()
}

#[test]
fn expired_noc_fails_under_a_strict_policy_only() {
    let mut f = fabric(27, true);
    let mut r = rng(28);
    let expires = DEFAULT_NOT_BEFORE + 1000;
    let old_controller = expiring_creds(&mut f.ca, 1, 0x1112, expires, &mut r);
    let old_device = expiring_creds(&mut f.ca, 2, 0x2223, expires, &mut r);
    let before = ChainPolicy::at(expires);
    let after = ChainPolicy::at(expires + 1);

    // Expired initiator: the responder refuses Sigma3.
    for (p, ok) in [
        (before, true),
        (after, false),
        (ChainPolicy::skip_validity(), true),
    ] {
        let result = handshake(
            &mut r,
            &old_controller,
            NodeId(0x2222),
            None,
            std::slice::from_ref(&f.device),
            &[],
            &p,
        );
        match result {
            Ok(out) => {
                assert!(ok, "{p:?} accepted an expired NOC");
                assert_matching(&out);
            }
            Err(failure) => {
                assert!(!ok, "{p:?}: {failure}");
                assert_failure(&failure, INVALID_PARAMETER, |e| {
                    matches!(
                        e,
                        CaseError::InvalidChain(ChainError::NotValidAt {
                            position: ChainPosition::Noc,
                            ..
                        })
                    )
                });
            }
        }
    }
    // Expired responder: the initiator refuses Sigma2.
    let failure = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2223),
        None,
        std::slice::from_ref(&old_device),
        &[],
        &after,
    )
    .unwrap_err();
    assert!(matches!(
        failure.error,
        CaseError::InvalidChain(ChainError::NotValidAt { .. })
    ));
}

#[test]
fn tampered_messages_fail_cleanly() {
    let f = fabric(29, false);
    let mut r = rng(30);
    let device = std::slice::from_ref(&f.device);
    let start = |r: &mut ChaCha20Rng, record: Option<&ResumptionRecord>| {
        CaseInitiator::start(
            r,
            &f.controller,
            NodeId(0x2222),
            sid(INITIATOR_SESSION),
            params(),
            record,
        )
        .unwrap()
    };

    // Sigma1: a flipped destination id names nothing.
    let (_, sigma1) = start(&mut r, None);
    let mut m = Sigma1::decode(&sigma1).unwrap().into_parts().0;
    m.destination_id[7] ^= 0x01;
    let failure = CaseResponder::handle_sigma1(
        &mut r,
        &m.encode().unwrap(),
        device,
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap_err();
    assert_failure(&failure, NO_SHARED_TRUST_ROOTS, |e| {
        *e == CaseError::NoSharedTrustRoots
    });

    // Sigma2: a flipped byte of encrypted2, at the start, middle and MIC.
    for at in [0, 100, usize::MAX] {
        let (state, sigma1) = start(&mut r, None);
        let (_, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
        let mut m = Sigma2::decode(&sigma2).unwrap().into_parts().0;
        let i = at.min(m.encrypted2.len() - 1);
        m.encrypted2[i] ^= 0x80;
        let failure = state
            .handle_sigma2(&m.encode().unwrap(), &policy())
            .unwrap_err();
        assert_failure(&failure, INVALID_PARAMETER, |e| {
            *e == CaseError::DecryptFailed("encrypted2")
        });
    }
    // Sigma2: another responder random changes S2K.
    let (state, sigma1) = start(&mut r, None);
    let (_, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
    let mut m = Sigma2::decode(&sigma2).unwrap().into_parts().0;
    m.responder_random[0] ^= 1;
    let failure = state
        .handle_sigma2(&m.encode().unwrap(), &policy())
        .unwrap_err();
    assert_eq!(failure.error, CaseError::DecryptFailed("encrypted2"));

    // Sigma3: a flipped byte of encrypted3.
    for at in [0, 200, usize::MAX] {
        let (state1, sigma1) = start(&mut r, None);
        let (state3, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
        let (_, sigma3) = state1.handle_sigma2(&sigma2, &policy()).unwrap();
        let mut m = Sigma3::decode(&sigma3).unwrap().into_parts().0;
        let i = at.min(m.encrypted3.len() - 1);
        m.encrypted3[i] ^= 0x04;
        let failure = state3.handle(&m.encode().unwrap(), &policy()).unwrap_err();
        assert_failure(&failure, INVALID_PARAMETER, |e| {
            *e == CaseError::DecryptFailed("encrypted3")
        });
    }

    // A Sigma1 whose ephemeral key was swapped in transit: the responder cannot tell, but the
    // initiator cannot open its Sigma2 (another secret and another SHA-256(S1)).
    let (state, sigma1) = start(&mut r, None);
    let mut m = Sigma1::decode(&sigma1).unwrap().into_parts().0;
    m.initiator_eph_pub_key = EphemeralKeyPair::generate(&mut r)
        .public_key()
        .to_uncompressed();
    let (_, sigma2) = honest_sigma2(&mut r, &m.encode().unwrap(), &f.device);
    let failure = state.handle_sigma2(&sigma2, &policy()).unwrap_err();
    assert_eq!(failure.error, CaseError::DecryptFailed("encrypted2"));

    // An ephemeral key off the curve is refused at once.
    let (_, sigma1) = start(&mut r, None);
    let mut m = Sigma1::decode(&sigma1).unwrap().into_parts().0;
    m.initiator_eph_pub_key[64] ^= 1;
    let failure = CaseResponder::handle_sigma1(
        &mut r,
        &m.encode().unwrap(),
        device,
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        *e == CaseError::InvalidPeerKey
    });

    // encrypted2 cut down to a bare MIC.
    let (state, sigma1) = start(&mut r, None);
    let (_, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
    let mut m = Sigma2::decode(&sigma2).unwrap().into_parts().0;
    m.encrypted2.truncate(16);
    let failure = state
        .handle_sigma2(&m.encode().unwrap(), &policy())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        *e == CaseError::DecryptFailed("encrypted2")
    });
}

#[test]
fn garbage_inside_a_valid_encryption_is_invalid_parameter() {
    // The responder's randomness injected, so the test can compute S2K itself and seal
    // something that is not a TBEData2.
    let f = fabric(31, false);
    let mut r = rng(32);
    let (state, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    let responder_eph = || EphemeralKeyPair::from_secret_bytes(&[0x42; 32]).unwrap();
    let randomness = ResponderRandomness {
        ephemeral: responder_eph(),
        ..ResponderRandomness::generate(&mut r)
    };
    let responder_random = randomness.responder_random;
    let eph = randomness.ephemeral.public_key().to_uncompressed();
    let Sigma1Reply::Full(_, sigma2) = CaseResponder::handle_sigma1_with(
        randomness,
        &sigma1,
        std::slice::from_ref(&f.device),
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap() else {
        panic!("full CASE expected")
    };
    let m1 = Sigma1::decode(&sigma1).unwrap().into_parts().0;
    let secret = shared_secret(&responder_eph(), &m1.initiator_eph_pub_key).unwrap();
    let s2k = sigma2_key(
        secret.as_bytes(),
        f.device.ipk(),
        &responder_random,
        &eph,
        &paseo_core::crypto::sha256(&sigma1),
    );
    // Sanity: this S2K opens the honest Sigma2.
    let honest = Sigma2::decode(&sigma2).unwrap().into_parts().0;
    let tbe = decrypt_tbe_data2(&s2k, &honest.encrypted2).unwrap();
    assert_eq!(
        TbeData2::decode(&tbe).unwrap().noc,
        f.device.noc(),
        "TBEData2 carries the device NOC"
    );
    let forged = Sigma2 {
        encrypted2: encrypt_tbe_data2(&s2k, b"\x15\x18").unwrap(),
        ..honest
    };
    let failure = state
        .handle_sigma2(&forged.encode().unwrap(), &policy())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::Tlv(_))
    });
}

/// Sigma1 bytes by hand (the encoder refuses session id 0).
fn sigma1_with_session_id(template: &[u8], session_id: u16) -> Vec<u8> {
    let m = Sigma1::decode(template).unwrap().into_parts().0;
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bytes(Tag::Context(1), &m.initiator_random);
    w.put_uint(Tag::Context(2), session_id.into());
    w.put_bytes(Tag::Context(3), &m.destination_id);
    w.put_bytes(Tag::Context(4), &m.initiator_eph_pub_key);
    w.end_container();
    w.finish().unwrap()
}

#[test]
fn session_id_zero_is_invalid_parameter() {
    let f = fabric(33, false);
    let mut r = rng(34);
    let (state, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    // Session id 0 at the responder (matter.js may pick it; paseo refuses it).
    let zero = sigma1_with_session_id(&sigma1, 0);
    let failure = CaseResponder::handle_sigma1(
        &mut r,
        &zero,
        std::slice::from_ref(&f.device),
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::ZeroSessionId { .. })
    });
    // The same bytes with a non-zero id are accepted (the hand encoding is right).
    let ok = sigma1_with_session_id(&sigma1, INITIATOR_SESSION);
    assert_eq!(
        ok,
        Sigma1 {
            initiator_session_params: None,
            ..Sigma1::decode(&sigma1).unwrap().into_parts().0
        }
        .encode()
        .unwrap()
    );

    // Session id 0 at the initiator: a Sigma2 announcing responder session id 0.
    let (_, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
    let m = Sigma2::decode(&sigma2).unwrap().into_parts().0;
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bytes(Tag::Context(1), &m.responder_random);
    w.put_uint(Tag::Context(2), 0);
    w.put_bytes(Tag::Context(3), &m.responder_eph_pub_key);
    w.put_bytes(Tag::Context(4), &m.encrypted2);
    w.end_container();
    let failure = state
        .handle_sigma2(&w.finish().unwrap(), &policy())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::ZeroSessionId { .. })
    });
}

#[test]
fn busy_ends_the_attempt_with_the_wait_time() {
    let f = fabric(35, false);
    let mut r = rng(36);
    let (mut state, _) = CaseInitiatorState::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    let failure = state
        .handle(0x40, &busy_status_payload(1500), &policy())
        .unwrap_err();
    assert_eq!(failure.busy_wait_ms(), Some(1500));
    assert_eq!(failure.status_report, None, "nothing is owed to BUSY");
    assert!(state.is_finished());
    // A retry is a new handshake with fresh randoms: it succeeds.
    let out = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        std::slice::from_ref(&f.device),
        &[],
        &policy(),
    )
    .unwrap();
    assert_matching(&out);
}

#[test]
fn final_status_other_than_success_is_a_rejection() {
    let f = fabric(37, false);
    let mut r = rng(38);
    let (state, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        None,
    )
    .unwrap();
    let (_, sigma2) = honest_sigma2(&mut r, &sigma1, &f.device);
    let (await_status, _) = state.handle_sigma2(&sigma2, &policy()).unwrap();
    let mut report = Vec::new();
    StatusReport::invalid_parameter().encode(&mut report);
    let failure = await_status.handle(&report).unwrap_err();
    assert_eq!(failure.status_report, None);
    assert_eq!(
        failure.error,
        CaseError::PeerStatus {
            general: GeneralCode::Failure,
            protocol_code: 2,
            busy_wait_ms: None
        }
    );
}

/// Drives both dynamic wrappers to the end; returns both steps' sessions.
fn dynamic_handshake(
    r: &mut ChaCha20Rng,
    f: &Fabric2,
    record: Option<&ResumptionRecord>,
    saved: &[ResumptionRecord],
) -> (CaseStep, CaseStep) {
    let (mut init, sigma1) = CaseInitiatorState::start(
        r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        record,
    )
    .unwrap();
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let device = std::slice::from_ref(&f.device);
    let mut to_responder = (SecureChannelOpcode::Sigma1, sigma1);
    loop {
        let step = resp
            .handle(
                r,
                to_responder.0.as_u8(),
                &to_responder.1,
                device,
                records(saved),
                &policy(),
            )
            .unwrap();
        let (opcode, payload) = match step {
            CaseStep::Send { opcode, payload } => (opcode, payload),
            CaseStep::Established {
                ref status_payload, ..
            } => {
                let status = status_payload.clone().expect("responder sends SUCCESS");
                let at_init = init.handle(0x40, &status, &policy()).unwrap();
                assert!(init.is_finished() && resp.is_finished());
                return (at_init, step);
            }
        };
        match init.handle(opcode.as_u8(), &payload, &policy()).unwrap() {
            CaseStep::Send { opcode, payload } => to_responder = (opcode, payload),
            at_init @ CaseStep::Established { .. } => {
                let CaseStep::Established {
                    status_payload: Some(ref status),
                    ..
                } = at_init
                else {
                    panic!("initiator owes SUCCESS after Sigma2_Resume")
                };
                let at_resp = resp
                    .handle(r, 0x40, status, device, no_records, &policy())
                    .unwrap();
                assert!(init.is_finished() && resp.is_finished());
                return (at_init, at_resp);
            }
        }
    }
}

fn session(step: CaseStep) -> paseo_core::case::CaseEstablished {
    match step {
        CaseStep::Established { session, .. } => *session,
        CaseStep::Send { .. } => panic!("not established"),
    }
}

#[test]
fn dynamic_wrappers_run_full_case_and_resumption() {
    let f = fabric(39, true);
    let mut r = rng(40);
    let (i, resp) = dynamic_handshake(&mut r, &f, None, &[]);
    let (i, resp) = (session(i), session(resp));
    assert!(!i.is_resumption());
    assert_eq!(
        i.session_key_material().unwrap().i2r,
        resp.session_key_material().unwrap().i2r
    );
    let (i2, resp2) = dynamic_handshake(
        &mut r,
        &f,
        Some(&i.resumption_record()),
        &[resp.resumption_record()],
    );
    let (i2, resp2) = (session(i2), session(resp2));
    assert!(i2.is_resumption() && resp2.is_resumption());
    assert_eq!(
        i2.session_key_material().unwrap().r2i,
        resp2.session_key_material().unwrap().r2i
    );
}

#[test]
fn wrong_state_messages_are_typed_errors() {
    let f = fabric(41, false);
    let mut r = rng(42);
    let device = std::slice::from_ref(&f.device);
    let new_initiator = |r: &mut ChaCha20Rng| {
        CaseInitiatorState::start(
            r,
            &f.controller,
            NodeId(0x2222),
            sid(INITIATOR_SESSION),
            params(),
            None,
        )
        .unwrap()
    };

    // Initiator waiting for Sigma2: Sigma1, Sigma3, PASE, an unassigned opcode.
    for opcode in [0x30u8, 0x32, 0x20, 0x99] {
        let (mut state, sigma1) = new_initiator(&mut r);
        let failure = state.handle(opcode, &sigma1, &policy()).unwrap_err();
        assert_failure(&failure, INVALID_PARAMETER, |e| {
            *e == CaseError::UnexpectedMessage {
                opcode,
                expected: SecureChannelOpcode::Sigma2,
            }
        });
        assert!(state.is_finished());
        assert_eq!(state.expected_opcode(), None);
        // After the end: silent Finished.
        let after = state.handle(0x31, &[], &policy()).unwrap_err();
        assert_eq!(
            after,
            CaseFailure {
                error: CaseError::Finished,
                status_report: None
            }
        );
    }

    // Initiator waiting for the status: a Sigma2 again.
    let (mut state, sigma1) = new_initiator(&mut r);
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let CaseStep::Send {
        payload: sigma2, ..
    } = resp
        .handle(&mut r, 0x30, &sigma1, device, no_records, &policy())
        .unwrap()
    else {
        panic!("Sigma2 expected")
    };
    assert_eq!(resp.expected_opcode(), Some(SecureChannelOpcode::Sigma3));
    let CaseStep::Send {
        payload: sigma3, ..
    } = state.handle(0x31, &sigma2, &policy()).unwrap()
    else {
        panic!("Sigma3 expected")
    };
    assert_eq!(
        state.expected_opcode(),
        Some(SecureChannelOpcode::StatusReport)
    );
    let failure = state.handle(0x31, &sigma2, &policy()).unwrap_err();
    assert!(matches!(
        failure.error,
        CaseError::UnexpectedMessage {
            opcode: 0x31,
            expected: SecureChannelOpcode::StatusReport
        }
    ));

    // Responder waiting for Sigma3: Sigma1 again, then nothing more.
    let failure = resp
        .handle(&mut r, 0x30, &sigma1, device, no_records, &policy())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        *e == CaseError::UnexpectedMessage {
            opcode: 0x30,
            expected: SecureChannelOpcode::Sigma3,
        }
    });
    assert!(resp.is_finished());
    let after = resp
        .handle(&mut r, 0x32, &sigma3, device, no_records, &policy())
        .unwrap_err();
    assert_eq!(after.error, CaseError::Finished);
    assert_eq!(after.status_report, None);

    // Responder waiting for Sigma1: Sigma3 is unexpected, a StatusReport ends it silently.
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let failure = resp
        .handle(&mut r, 0x32, &sigma3, device, no_records, &policy())
        .unwrap_err();
    assert!(matches!(
        failure.error,
        CaseError::UnexpectedMessage {
            opcode: 0x32,
            expected: SecureChannelOpcode::Sigma1
        }
    ));
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let failure = resp
        .handle(
            &mut r,
            0x40,
            &INVALID_PARAMETER,
            device,
            no_records,
            &policy(),
        )
        .unwrap_err();
    assert_eq!(failure.status_report, None);
    assert!(matches!(failure.error, CaseError::PeerStatus { .. }));
    // A truncated StatusReport is itself answered with INVALID_PARAMETER.
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let failure = resp
        .handle(&mut r, 0x40, &[0; 3], device, no_records, &policy())
        .unwrap_err();
    assert_failure(&failure, INVALID_PARAMETER, |e| {
        matches!(e, CaseError::MalformedStatusReport(_))
    });

    // Responder waiting for the resumption SUCCESS: a Sigma3 is unexpected.
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let (_, sigma1) = CaseInitiatorState::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        Some(&first.initiator.resumption_record()),
    )
    .unwrap();
    let mut resp = CaseResponderState::new(sid(RESPONDER_SESSION), params());
    let step = resp
        .handle(
            &mut r,
            0x30,
            &sigma1,
            device,
            records(&[first.responder.resumption_record()]),
            &policy(),
        )
        .unwrap();
    assert!(matches!(
        step,
        CaseStep::Send {
            opcode: SecureChannelOpcode::Sigma2Resume,
            ..
        }
    ));
    assert_eq!(
        resp.expected_opcode(),
        Some(SecureChannelOpcode::StatusReport)
    );
    let failure = resp
        .handle(&mut r, 0x32, &sigma3, device, no_records, &policy())
        .unwrap_err();
    assert!(matches!(
        failure.error,
        CaseError::UnexpectedMessage { opcode: 0x32, .. }
    ));
}

#[test]
fn responder_draws_only_what_its_path_needs() {
    // A resumption takes only the new resumption id (16 bytes = 4 ChaCha words) from the
    // responder's RNG, no ephemeral key; full CASE also takes responderRandom and a key.
    let f = fabric(43, false);
    let mut r = rng(44);
    let device = std::slice::from_ref(&f.device);
    let first = handshake(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        None,
        device,
        &[],
        &policy(),
    )
    .unwrap();
    let (_, sigma1) = CaseInitiator::start(
        &mut r,
        &f.controller,
        NodeId(0x2222),
        sid(INITIATOR_SESSION),
        params(),
        Some(&first.initiator.resumption_record()),
    )
    .unwrap();
    let mut responder_rng = rng(45);
    let reply = CaseResponder::handle_sigma1(
        &mut responder_rng,
        &sigma1,
        device,
        records(&[first.responder.resumption_record()]),
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap();
    assert!(matches!(reply, Sigma1Reply::Resume(..)));
    assert_eq!(responder_rng.get_word_pos(), 4);

    let mut responder_rng = rng(45);
    let reply = CaseResponder::handle_sigma1(
        &mut responder_rng,
        &sigma1,
        device,
        no_records,
        sid(RESPONDER_SESSION),
        params(),
    )
    .unwrap();
    assert!(matches!(reply, Sigma1Reply::Full(..)));
    assert!(
        responder_rng.get_word_pos() > 4 + 8,
        "random and ephemeral key drawn"
    );
}
