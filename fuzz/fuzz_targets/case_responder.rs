//! Fuzzes the CASE responder (`CaseResponderState`) holding fixed test-CA credentials with
//! arbitrary sequences of `(opcode, payload)`, mixed with the messages of an honest initiator
//! (a controller on the same fabric, optionally resuming a saved record; each of its messages
//! optionally with one byte flipped).
//!
//! Properties: nothing panics; a failure always leaves the state finished; the responder
//! establishes a full CASE session only on the honest initiator's Sigma3 byte for byte (the
//! only Sigma3 whose TBSData3 signature verifies: the controller's key never leaves this
//! process), and then both sides hold the same keys; it resumes only for a Sigma1 carrying the
//! honest initiatorRandom, resumption id and resume MIC (the MIC needs the shared secret).

#![no_main]

#[path = "common/handshake_action.rs"]
mod handshake_action;

use arbitrary::Arbitrary;
use handshake_action::Action;
use libfuzzer_sys::fuzz_target;
use paseo_core::case::{CaseInitiatorState, CaseResponderState, CaseStep, Sigma1};
use paseo_core::codec::{SecureChannelOpcode, StatusReport};
use paseo_core::fabric::NodeId;
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

#[path = "common/case_fabric.rs"]
mod case_fabric;

use case_fabric::{DEVICE, fabric as fixture, policy, session_id as id};

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    resume: bool,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let fx = fixture();
    let mut rng = ChaCha20Rng::seed_from_u64(input.seed);
    let devices = std::slice::from_ref(&fx.device);
    let saved = std::slice::from_ref(&fx.device_record);
    let find = |id: &[u8; 16]| saved.iter().find(|r| &r.resumption_id == id).cloned();
    let mut state = CaseResponderState::new(id(0x2002), SessionParameters::paseo_default());

    let (mut initiator, sigma1) = CaseInitiatorState::start(
        &mut rng,
        &fx.controller,
        DEVICE,
        id(0x1001),
        SessionParameters::paseo_default(),
        input.resume.then_some(&fx.controller_record),
    )
    .expect("Sigma1");
    let honest_sigma1 = Sigma1::decode(&sigma1).expect("decodes").into_parts().0;
    let mut pending: Option<(u8, Vec<u8>)> = Some((SecureChannelOpcode::Sigma1.as_u8(), sigma1));
    let mut honest_sigma3: Option<Vec<u8>> = None;
    let mut resumed_sigma1_ok = false;

    for action in input.actions.into_iter().take(8) {
        let Some((opcode, payload)) = action.message(|| pending.take()) else {
            continue;
        };
        match state.handle(&mut rng, opcode, &payload, devices, find, &policy()) {
            Ok(CaseStep::Send {
                opcode: sent,
                payload: reply,
            }) => {
                assert!(!state.is_finished());
                assert_eq!(opcode, SecureChannelOpcode::Sigma1.as_u8());
                if sent == SecureChannelOpcode::Sigma2Resume {
                    // Resumption needs the honest random, resumption id and MIC.
                    let taken = Sigma1::decode(&payload).expect("accepted, so decodes");
                    let taken = taken.message();
                    assert!(input.resume, "resumed without a resumption attempt");
                    assert_eq!(taken.initiator_random, honest_sigma1.initiator_random);
                    assert_eq!(taken.resumption, honest_sigma1.resumption);
                    resumed_sigma1_ok = true;
                }
                // The honest initiator sees every reply, as it would on the exchange.
                if initiator.is_finished() {
                    continue;
                }
                match initiator.handle(sent.as_u8(), &reply, &policy()) {
                    Ok(CaseStep::Send { opcode, payload }) => {
                        if opcode == SecureChannelOpcode::Sigma3 {
                            honest_sigma3 = Some(payload.clone());
                        }
                        pending = Some((opcode.as_u8(), payload));
                    }
                    Ok(CaseStep::Established {
                        status_payload: Some(status),
                        ..
                    }) => {
                        // The initiator accepted Sigma2_Resume and owes SUCCESS.
                        assert_eq!(sent, SecureChannelOpcode::Sigma2Resume);
                        pending = Some((SecureChannelOpcode::StatusReport.as_u8(), status));
                    }
                    Ok(CaseStep::Established { .. }) => {
                        panic!("initiator established on a Sigma message")
                    }
                    Err(_) => pending = None,
                }
            }
            Ok(CaseStep::Established {
                session,
                status_payload,
            }) => {
                assert!(state.is_finished());
                if session.is_resumption() {
                    assert!(resumed_sigma1_ok, "resumed without the honest Sigma1");
                    assert_eq!(opcode, SecureChannelOpcode::StatusReport.as_u8());
                    assert_eq!(status_payload, None);
                    assert_eq!(session.peer_node_id(), NodeId(0x1111));
                } else {
                    assert_eq!(
                        opcode,
                        SecureChannelOpcode::Sigma3.as_u8(),
                        "established on a message that is not Sigma3"
                    );
                    assert_eq!(
                        honest_sigma3.as_deref(),
                        Some(payload.as_slice()),
                        "established without the controller's Sigma3"
                    );
                    let status = status_payload.expect("responder owes SUCCESS");
                    assert_eq!(
                        StatusReport::decode(&status).expect("decodes"),
                        StatusReport::success()
                    );
                    match initiator.handle(0x40, &status, &policy()) {
                        Ok(CaseStep::Established { session: ours, .. }) => {
                            assert_eq!(ours.shared_secret(), session.shared_secret());
                            assert_eq!(ours.salt(), session.salt());
                            assert_eq!(ours.peer_session_id(), session.local_session_id());
                        }
                        other => panic!("honest initiator did not establish: {other:?}"),
                    }
                }
            }
            Err(failure) => {
                assert!(state.is_finished(), "failure left the state running");
                if let Some(status) = failure.status_report_payload() {
                    assert!(StatusReport::decode(&status).is_ok());
                }
            }
        }
    }
});
