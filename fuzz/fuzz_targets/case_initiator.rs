//! Fuzzes the CASE initiator (`CaseInitiatorState`, the controller) with arbitrary sequences
//! of `(opcode, payload)`, mixed with the messages of an honest responder (the device on the
//! same test fabric, holding the resumption record when the initiator resumes), each
//! optionally with one byte flipped. What the initiator sends always goes to the honest
//! responder, as it would on the exchange.
//!
//! Properties: nothing panics; a failure leaves the state finished and its StatusReport, if
//! any, decodes; a full CASE is established only if every message the initiator took was the
//! honest responder's, byte for byte (Sigma2 and SUCCESS), and then it holds the same shared
//! secret, salt and session ids as the responder (Matter 1.3 §4.14.2); a resumption
//! only on a Sigma2_Resume whose authenticated fields (new resumption id and MIC) are the
//! honest ones, with the same keys as the responder (Matter 1.3 §4.14.2). A forged Sigma2 cannot be
//! signed by the device's NOC key, and a forged Sigma2_Resume cannot carry a valid MIC. (The fuzzer
//! found at once that Sigma2_Resume's responderSessionId and parameters are not covered by the MIC:
//! that is the protocol's design, recorded in docs/RELIABILITY.md.)

#![no_main]

#[path = "common/case_fabric.rs"]
mod case_fabric;

#[path = "common/handshake_action.rs"]
mod handshake_action;

use arbitrary::Arbitrary;
use case_fabric::{CONTROLLER, DEVICE, fabric, policy, session_id};
use handshake_action::Action;
use libfuzzer_sys::fuzz_target;
use paseo_core::case::{
    CaseEstablished, CaseInitiatorState, CaseResponderState, CaseStep, Sigma2Resume,
};
use paseo_core::codec::{SecureChannelOpcode, StatusReport};
use paseo_core::session::{ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    /// The initiator asks to resume with its record.
    resume: bool,
    /// The responder still has its record (otherwise it falls back to full CASE, matter.js
    /// `session/case/CaseServer.ts`).
    responder_remembers: bool,
    actions: Vec<Action>,
}

/// Feeds the honest responder; returns what it has for the initiator (its next message, or
/// the StatusReport its failure owes).
fn respond(
    responder: &mut CaseResponderState,
    rng: &mut ChaCha20Rng,
    opcode: u8,
    payload: &[u8],
    records: &[ResumptionRecord],
    established: &mut Option<Box<CaseEstablished>>,
) -> Option<(u8, Vec<u8>)> {
    let fx = fabric();
    let find = |id: &[u8; 16]| records.iter().find(|r| &r.resumption_id == id).cloned();
    match responder.handle(
        rng,
        opcode,
        payload,
        std::slice::from_ref(&fx.device),
        find,
        &policy(),
    ) {
        Ok(CaseStep::Send { opcode, payload }) => Some((opcode.as_u8(), payload)),
        Ok(CaseStep::Established {
            session,
            status_payload,
        }) => {
            *established = Some(session);
            status_payload.map(|p| (SecureChannelOpcode::StatusReport.as_u8(), p))
        }
        Err(failure) => failure
            .status_report_payload()
            .map(|p| (SecureChannelOpcode::StatusReport.as_u8(), p)),
    }
}

fuzz_target!(|input: Input| {
    let fx = fabric();
    let mut rng = ChaCha20Rng::seed_from_u64(input.seed);
    let records: Vec<ResumptionRecord> = if input.responder_remembers {
        vec![fx.device_record.clone()]
    } else {
        Vec::new()
    };
    let (mut initiator, sigma1) = CaseInitiatorState::start(
        &mut rng,
        &fx.controller,
        DEVICE,
        session_id(0x1001),
        SessionParameters::paseo_default(),
        input.resume.then_some(&fx.controller_record),
    )
    .expect("Sigma1");
    let mut responder =
        CaseResponderState::new(session_id(0x2002), SessionParameters::paseo_default());
    let mut responder_session: Option<Box<CaseEstablished>> = None;
    let mut pending = respond(
        &mut responder,
        &mut rng,
        SecureChannelOpcode::Sigma1.as_u8(),
        &sigma1,
        &records,
        &mut responder_session,
    );

    // Whether every message the initiator took so far was the honest one, intact.
    let mut intact = true;
    for action in input.actions.into_iter().take(8) {
        let Some((opcode, payload)) = action.message(|| pending.clone()) else {
            continue;
        };
        let honest = pending.as_ref() == Some(&(opcode, payload.clone()));
        let was_finished = initiator.is_finished();
        match initiator.handle(opcode, &payload, &policy()) {
            Ok(CaseStep::Send {
                opcode: sent,
                payload: next,
            }) => {
                assert!(!was_finished, "a finished initiator took a message");
                assert!(!initiator.is_finished());
                assert_eq!(sent, SecureChannelOpcode::Sigma3);
                intact &= honest;
                pending = respond(
                    &mut responder,
                    &mut rng,
                    sent.as_u8(),
                    &next,
                    &records,
                    &mut responder_session,
                );
            }
            Ok(CaseStep::Established {
                session,
                status_payload,
            }) => {
                assert!(!was_finished, "a finished initiator established");
                assert!(initiator.is_finished());
                if session.is_resumption() {
                    // Sigma2_Resume's MIC covers only the new resumption id (S2RK is keyed by
                    // the shared secret and salted with it, Matter 1.3 §4.14.2); responderSessionId
                    // and the session parameters travel unauthenticated, by the protocol's design.
                    // So resumption needs the honest resumption id and MIC; a changed session id
                    // only misroutes the initiator's traffic (a denial of service that any on-path
                    // attacker has anyway).
                    let taken = Sigma2Resume::decode(&payload).expect("accepted, so decodes");
                    let ours =
                        Sigma2Resume::decode(&pending.as_ref().expect("honest Sigma2_Resume").1)
                            .expect("honest Sigma2_Resume decodes");
                    assert!(intact, "resumed after taking a forged message");
                    assert_eq!(taken.message().resumption_id, ours.message().resumption_id);
                    assert_eq!(
                        taken.message().sigma2_resume_mic,
                        ours.message().sigma2_resume_mic
                    );
                    // Sigma2_Resume: the initiator owes SUCCESS (Matter 1.3 §4.14.2).
                    assert!(input.resume && input.responder_remembers);
                    assert_eq!(opcode, SecureChannelOpcode::Sigma2Resume.as_u8());
                    let status = status_payload.expect("the initiator owes SUCCESS");
                    assert_eq!(
                        StatusReport::decode(&status).expect("decodes"),
                        StatusReport::success()
                    );
                    // The responder accepts it and holds the same keys.
                    let _ = respond(
                        &mut responder,
                        &mut rng,
                        SecureChannelOpcode::StatusReport.as_u8(),
                        &status,
                        &records,
                        &mut responder_session,
                    );
                } else {
                    assert!(
                        intact && honest,
                        "established although a responder message was not the honest one"
                    );
                    assert_eq!(opcode, SecureChannelOpcode::StatusReport.as_u8());
                    assert_eq!(status_payload, None);
                }
                let theirs = responder_session
                    .as_ref()
                    .expect("the honest responder established too");
                assert_eq!(session.shared_secret(), theirs.shared_secret());
                assert_eq!(session.salt(), theirs.salt());
                assert_eq!(session.local_session_id(), theirs.peer_session_id());
                if honest {
                    assert_eq!(session.peer_session_id(), theirs.local_session_id());
                }
                assert_eq!(session.peer_node_id(), DEVICE);
                assert_eq!(theirs.peer_node_id(), CONTROLLER);
                pending = None;
            }
            Err(failure) => {
                assert!(initiator.is_finished(), "failure left the state running");
                if let Some(status) = failure.status_report_payload() {
                    assert!(StatusReport::decode(&status).is_ok());
                }
            }
        }
    }
});
