//! The matter.js CASE capture (matterjs_case_transcript.json) replayed through paseo's CASE
//! state machines, as far as the capture allows.
//!
//! What the capture holds: the fabric's root *public key* (not the RCAC certificate), the IPK,
//! both node ids, every Sigma payload, both ephemeral private keys of the full handshake (none
//! for the resumption) and the session keys. What it lacks: the RCAC and both operational
//! private keys. So:
//!
//! - Full CASE cannot run through the state machines: [`OperationalCredentials`] needs the
//!   RCAC as a trust anchor (for the destination id and chain validation), and neither side's
//!   signature can be re-made. The full handshake's key schedule, TBEData2/3 and both
//!   signatures are checked piece by piece in case_vectors.rs; here we check what the state
//!   machines do with the real bytes: a responder whose fabric has another root answers the
//!   real Sigma1 with NO_SHARED_TRUST_ROOTS, and an initiator whose Sigma1 differs from the
//!   captured one in the destination id alone cannot open the real Sigma2 (the transcript hash
//!   binds S1).
//! - Resumption needs no certificates, so it replays in full on both sides with stand-in
//!   credentials that share the capture's fabric id and node ids (their root differs, which a
//!   resumption never looks at): the resumption record comes from the full handshake (shared
//!   secret from the recorded ephemeral keys, resumption id from the decrypted TBEData2), and
//!   - the responder, given the captured Sigma1 and the captured new resumption id, produces
//!     the captured Sigma2_Resume byte for byte and, on the captured SUCCESS, the captured
//!     session keys;
//!   - the initiator, given the captured initiatorRandom, produces the captured resumption id
//!     and initiator resume MIC, accepts the captured Sigma2_Resume, answers with the captured
//!     SUCCESS payload and derives the captured session keys.

mod case_harness;
mod common;

use case_harness::{ca, no_records, policy, records, sid};
use common::{hex_field, load};
use paseo_core::case::key_schedule::{decrypt_tbe_data2, shared_secret, sigma2_key};
use paseo_core::case::{
    CaseError, CaseInitiator, CaseResponder, InitiatorRandomness, OperationalCredentials,
    ResponderRandomness, Sigma1, Sigma1Reply, Sigma2, Sigma2Resume, TbeData2, Transcript,
};
use paseo_core::cert::MatterCertificate;
use paseo_core::crypto::EphemeralKeyPair;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use serde_json::Value;
use zeroize::Zeroizing;

fn array<const N: usize>(bytes: Vec<u8>) -> [u8; N] {
    bytes.try_into().expect("fixed-length field")
}

fn decimal(value: &Value, name: &str) -> u64 {
    let text = value[name]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| value[name].to_string());
    text.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

struct Capture {
    fabric_id: u64,
    device: NodeId,
    controller: NodeId,
    full: Value,
    resumed: Value,
}

fn capture() -> Capture {
    let file = load("matterjs_case_transcript.json");
    let fabric = &file["fabric"];
    let handshakes = file["handshakes"].as_array().expect("handshakes");
    assert_eq!(handshakes.len(), 2);
    assert_eq!(handshakes[0]["resumed"].as_bool(), Some(false));
    assert_eq!(handshakes[1]["resumed"].as_bool(), Some(true));
    assert_eq!(decimal(fabric, "fabricIndex"), 1);
    Capture {
        fabric_id: decimal(fabric, "fabricId"),
        device: NodeId(decimal(fabric, "deviceNodeId")),
        controller: NodeId(decimal(fabric, "controllerNodeId")),
        full: handshakes[0].clone(),
        resumed: handshakes[1].clone(),
    }
}

fn payload(handshake: &Value, message: &str) -> Vec<u8> {
    hex_field(&handshake["messages"][message], "payload_hex")
}

/// Stand-in credentials on the capture's fabric id (our own test root) for `node`.
fn stand_in(capture: &Capture, seed: u64, node: NodeId) -> OperationalCredentials {
    let mut ca = ca(seed, capture.fabric_id, false);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    OperationalCredentials::from_test_ca(&mut ca, FabricIndex(1), node, &[], [0; 16], &mut rng)
        .expect("stand-in credentials")
}

/// What the full handshake leaves for resumption, recomputed from the capture: the ECDH
/// secret of the recorded ephemeral keys and the resumption id inside TBEData2 (decrypted
/// with our key schedule).
struct Resumable {
    secret: [u8; 32],
    resumption_id: [u8; 16],
}

fn resumable(capture: &Capture) -> Resumable {
    let h = &capture.full;
    let ecdh = &h["ecdh"];
    let initiator =
        EphemeralKeyPair::from_secret_bytes(&array(hex_field(ecdh, "initiator_ephemeral_private")))
            .unwrap();
    let (s1, s2) = (payload(h, "Sigma1"), payload(h, "Sigma2"));
    let sigma2 = Sigma2::decode(&s2).unwrap().into_parts().0;
    let secret = shared_secret(&initiator, &sigma2.responder_eph_pub_key).unwrap();
    assert_eq!(secret.as_bytes().to_vec(), hex_field(ecdh, "shared_secret"));
    let ipk = paseo_core::case::OperationalIpk::from_bytes(array(hex_field(
        &load("matterjs_case_transcript.json")["fabric"],
        "operationalIdentityProtectionKey",
    )));
    let mut transcript = Transcript::new();
    let h1 = transcript.add_sigma1(&s1).unwrap();
    let s2k = sigma2_key(
        secret.as_bytes(),
        &ipk,
        &sigma2.responder_random,
        &sigma2.responder_eph_pub_key,
        &h1,
    );
    let tbe2 = TbeData2::decode(&decrypt_tbe_data2(&s2k, &sigma2.encrypted2).unwrap()).unwrap();
    // The device's NOC names the device on the capture's fabric.
    let noc = MatterCertificate::decode(&tbe2.noc).unwrap();
    assert_eq!(noc.subject().node_id(), Some(capture.device.0));
    assert_eq!(noc.subject().fabric_id(), Some(capture.fabric_id));
    Resumable {
        secret: *secret.as_bytes(),
        resumption_id: tbe2.resumption_id,
    }
}

fn keys_of(session: &Value) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        hex_field(session, "I2RKey"),
        hex_field(session, "R2IKey"),
        hex_field(session, "AttestationChallenge"),
    )
}

fn assert_captured_keys(established: &paseo_core::case::CaseEstablished, session: &Value) {
    let keys = established.session_key_material().unwrap();
    let (i2r, r2i, challenge) = keys_of(session);
    assert_eq!(keys.i2r.to_vec(), i2r);
    assert_eq!(keys.r2i.to_vec(), r2i);
    assert_eq!(keys.attestation_challenge.to_vec(), challenge);
    assert_eq!(established.salt().to_vec(), hex_field(session, "hkdf_salt"));
}

#[test]
fn responder_replays_the_captured_resumption() {
    let capture = capture();
    let earlier = resumable(&capture);
    let h = &capture.resumed;
    let sigma1 = payload(h, "Sigma1");
    let captured_resume = payload(h, "Sigma2_Resume");
    let resume = Sigma2Resume::decode(&captured_resume)
        .unwrap()
        .into_parts()
        .0;
    let device = stand_in(&capture, 1, capture.device);
    let record = ResumptionRecord {
        resumption_id: earlier.resumption_id,
        shared_secret: Zeroizing::new(earlier.secret),
        fabric_index: FabricIndex(1),
        fabric_id: capture.fabric_id,
        peer_node_id: capture.controller,
        peer_cats: vec![],
        peer_parameters: SessionParameters::default(),
    };
    // Only the resumption id is used on this path; the rest is filler.
    let randomness = ResponderRandomness {
        responder_random: [0; 32],
        ephemeral: EphemeralKeyPair::from_secret_bytes(&[1; 32]).unwrap(),
        resumption_id: resume.resumption_id,
    };
    let reply = CaseResponder::handle_sigma1_with(
        randomness,
        &sigma1,
        std::slice::from_ref(&device),
        records(std::slice::from_ref(&record)),
        sid(resume.responder_session_id),
        resume
            .responder_session_params
            .expect("captured parameters"),
    )
    .expect("resumption accepted");
    let Sigma1Reply::Resume(state, ours) = reply else {
        panic!("the captured resumption Sigma1 must resume")
    };
    assert_eq!(ours, captured_resume, "Sigma2_Resume byte for byte");

    let session = state
        .handle(&payload(h, "StatusReport"))
        .expect("captured SUCCESS");
    assert!(session.is_resumption());
    assert_captured_keys(&session, &h["session"]);
    assert_eq!(session.local_node_id(), capture.device);
    assert_eq!(session.peer_node_id(), capture.controller);
    assert_eq!(
        u64::from(session.peer_session_id()),
        decimal(&h["session"], "initiatorSessionId")
    );
    assert_eq!(
        u64::from(session.local_session_id()),
        decimal(&h["session"], "responderSessionId")
    );
    let saved = session.resumption_record();
    assert_eq!(saved.resumption_id, resume.resumption_id);
    assert_eq!(*saved.shared_secret, earlier.secret);
}

#[test]
fn initiator_replays_the_captured_resumption() {
    let capture = capture();
    let earlier = resumable(&capture);
    let h = &capture.resumed;
    let captured = Sigma1::decode(&payload(h, "Sigma1"))
        .unwrap()
        .into_parts()
        .0;
    let controller = stand_in(&capture, 2, capture.controller);
    let record = ResumptionRecord {
        resumption_id: earlier.resumption_id,
        shared_secret: Zeroizing::new(earlier.secret),
        fabric_index: FabricIndex(1),
        fabric_id: capture.fabric_id,
        peer_node_id: capture.device,
        peer_cats: vec![],
        peer_parameters: SessionParameters::default(),
    };
    // The capture has no ephemeral private key for this handshake: any key will do, it only
    // matters if the responder falls back to full CASE.
    let randomness = InitiatorRandomness {
        initiator_random: captured.initiator_random,
        ephemeral: EphemeralKeyPair::from_secret_bytes(&[2; 32]).unwrap(),
    };
    let (state, ours) = CaseInitiator::start_with(
        randomness,
        &controller,
        capture.device,
        sid(captured.initiator_session_id),
        captured
            .initiator_session_params
            .expect("captured parameters"),
        Some(&record),
    )
    .unwrap();
    let ours = Sigma1::decode(&ours).unwrap().into_parts().0;
    assert_eq!(ours.initiator_random, captured.initiator_random);
    assert_eq!(ours.initiator_session_id, captured.initiator_session_id);
    assert_eq!(
        ours.initiator_session_params,
        captured.initiator_session_params
    );
    assert_eq!(
        ours.resumption, captured.resumption,
        "resumption id and initiator resume MIC as matter.js made them"
    );
    // The destination id names our stand-in root, not the capture's.
    assert_ne!(ours.destination_id, captured.destination_id);

    let (session, status) = state
        .handle_sigma2_resume(&payload(h, "Sigma2_Resume"))
        .expect("captured Sigma2_Resume accepted");
    assert_eq!(status, payload(h, "StatusReport"), "we send the SUCCESS");
    assert!(session.is_resumption() && session.is_initiator());
    assert_captured_keys(&session, &h["session"]);
    assert_eq!(session.peer_node_id(), capture.device);
    let new_id = Sigma2Resume::decode(&payload(h, "Sigma2_Resume"))
        .unwrap()
        .into_parts()
        .0
        .resumption_id;
    assert_eq!(session.resumption_record().resumption_id, new_id);
    assert_eq!(*session.resumption_record().shared_secret, earlier.secret);
}

#[test]
fn responder_without_the_capture_root_refuses_its_sigma1() {
    let capture = capture();
    let device = stand_in(&capture, 3, capture.device);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    // The full handshake's Sigma1, and the resumption Sigma1 with no record to resume
    // (the fallback to the destination id, as matter.js
    // `session/case/CaseServer.ts` does): neither names our stand-in root.
    for sigma1 in [
        payload(&capture.full, "Sigma1"),
        payload(&capture.resumed, "Sigma1"),
    ] {
        let failure = CaseResponder::handle_sigma1(
            &mut rng,
            &sigma1,
            std::slice::from_ref(&device),
            no_records,
            sid(1),
            SessionParameters::paseo_default(),
        )
        .unwrap_err();
        assert_eq!(failure.error, CaseError::NoSharedTrustRoots);
        assert_eq!(
            failure.status_report_payload(),
            Some(vec![1, 0, 0, 0, 0, 0, 1, 0])
        );
    }
}

#[test]
fn initiator_cannot_open_the_captured_sigma2_under_another_sigma1() {
    let capture = capture();
    let h = &capture.full;
    let captured = Sigma1::decode(&payload(h, "Sigma1"))
        .unwrap()
        .into_parts()
        .0;
    let controller = stand_in(&capture, 5, capture.controller);
    let randomness = InitiatorRandomness {
        initiator_random: captured.initiator_random,
        ephemeral: EphemeralKeyPair::from_secret_bytes(&array(hex_field(
            &h["ecdh"],
            "initiator_ephemeral_private",
        )))
        .unwrap(),
    };
    let (state, ours) = CaseInitiator::start_with(
        randomness,
        &controller,
        capture.device,
        sid(captured.initiator_session_id),
        captured
            .initiator_session_params
            .expect("captured parameters"),
        None,
    )
    .unwrap();
    let ours = Sigma1::decode(&ours).unwrap().into_parts().0;
    // Same random, session id, ephemeral key and parameters; only the destination differs.
    assert_eq!(
        Sigma1 {
            destination_id: captured.destination_id,
            ..ours.clone()
        },
        captured
    );
    assert_ne!(ours.destination_id, captured.destination_id);
    // Same ECDH secret, but S2K covers SHA-256(S1): the real encrypted2 does not open.
    let failure = state
        .handle_sigma2(&payload(h, "Sigma2"), &policy())
        .unwrap_err();
    assert_eq!(failure.error, CaseError::DecryptFailed("encrypted2"));
    assert_eq!(
        failure.status_report_payload(),
        Some(vec![1, 0, 0, 0, 0, 0, 2, 0])
    );
}
