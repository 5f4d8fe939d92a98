//! Fuzzes the PASE initiator (`PaseInitiatorState`, the commissioner) with arbitrary
//! sequences of `(opcode, payload)`, mixed with the messages of an honest responder that holds
//! the verifier for the same passcode (each optionally with one byte flipped). What the
//! initiator sends always goes to the honest responder, as it would on the exchange.
//!
//! Properties: nothing panics; a failure leaves the state finished and its StatusReport, if
//! any, decodes; the initiator establishes a session only if every message it took was the
//! honest responder's, byte for byte (PBKDFParamResponse, Pake2, SUCCESS), and then both sides
//! hold the same Ke and agree on the session ids. A forged PBKDFParamResponse or Pake2 may be
//! taken, but then the handshake must fail: cB proves the verifier (Matter 1.3 §3.10).

#![no_main]

use std::num::NonZeroU16;
use std::sync::OnceLock;

#[path = "common/handshake_action.rs"]
mod handshake_action;

use arbitrary::Arbitrary;
use handshake_action::Action;
use libfuzzer_sys::fuzz_target;
use paseo_core::codec::{SecureChannelOpcode, StatusReport};
use paseo_core::pase::{
    InitiatorStep, PaseEstablished, PaseInitiatorState, PaseResponder, PaseResponderState,
    Passcode, PbkdfParameters, ResponderStep, Verifier,
};
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;

/// The honest commissionee's verifier and PBKDF parameters, derived once.
fn responder() -> &'static PaseResponder {
    static RESPONDER: OnceLock<PaseResponder> = OnceLock::new();
    RESPONDER.get_or_init(|| {
        let pbkdf = PbkdfParameters::new(1000, &[0x42; 16]).expect("valid parameters");
        let passcode = Passcode::new(PASSCODE).expect("valid passcode");
        let verifier = Verifier::from_passcode(&passcode, &pbkdf).expect("valid verifier");
        PaseResponder::new(verifier, pbkdf, SessionParameters::paseo_default())
    })
}

fn id(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).expect("non-zero")
}

/// Feeds the honest responder; returns what it has for the initiator (its next message, or
/// the StatusReport its failure owes).
fn respond(
    responder: &mut PaseResponderState,
    rng: &mut ChaCha20Rng,
    opcode: u8,
    payload: &[u8],
    established: &mut Option<PaseEstablished>,
) -> Option<(u8, Vec<u8>)> {
    match responder.handle(rng, opcode, payload) {
        Ok(ResponderStep::Send { opcode, payload }) => Some((opcode.as_u8(), payload)),
        Ok(ResponderStep::Established {
            session,
            status_payload,
        }) => {
            *established = Some(session);
            Some((SecureChannelOpcode::StatusReport.as_u8(), status_payload))
        }
        Err(failure) => failure
            .status_report_payload()
            .map(|p| (SecureChannelOpcode::StatusReport.as_u8(), p)),
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    /// The initiator uses the right passcode (otherwise the honest responder must refuse it).
    right_passcode: bool,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let mut rng = ChaCha20Rng::seed_from_u64(input.seed);
    let passcode = if input.right_passcode {
        PASSCODE
    } else {
        PASSCODE + 1
    };
    let (mut initiator, request) = PaseInitiatorState::start(
        &mut rng,
        Passcode::new(passcode).expect("valid passcode"),
        id(0x1111),
        SessionParameters::paseo_default(),
    );
    let mut responder = PaseResponderState::new(responder().clone(), id(0x2222));

    // The honest responder's next message for the initiator, and its session once it has one.
    let mut responder_session: Option<PaseEstablished> = None;
    let mut pending = respond(
        &mut responder,
        &mut rng,
        SecureChannelOpcode::PbkdfParamRequest.as_u8(),
        &request,
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
        match initiator.handle(opcode, &payload) {
            Ok(InitiatorStep::Send {
                opcode: sent,
                payload: next,
            }) => {
                assert!(!was_finished, "a finished initiator took a message");
                assert!(!initiator.is_finished());
                intact &= honest;
                pending = respond(
                    &mut responder,
                    &mut rng,
                    sent.as_u8(),
                    &next,
                    &mut responder_session,
                );
            }
            Ok(InitiatorStep::Established(session)) => {
                assert!(!was_finished, "a finished initiator established");
                assert!(initiator.is_finished());
                assert!(
                    intact && honest,
                    "established although a responder message was not the honest one"
                );
                assert!(input.right_passcode, "established with the wrong passcode");
                assert_eq!(opcode, SecureChannelOpcode::StatusReport.as_u8());
                let theirs = responder_session
                    .as_ref()
                    .expect("the honest responder established first");
                assert_eq!(session.shared_secret(), theirs.shared_secret());
                assert_eq!(session.peer_session_id(), theirs.local_session_id());
                assert_eq!(session.local_session_id(), theirs.peer_session_id());
                assert!(session.is_initiator());
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
