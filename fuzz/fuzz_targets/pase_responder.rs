//! Fuzzes the PASE responder (`PaseResponderState`) built from a fixed verifier with arbitrary
//! sequences of `(opcode, payload)`, mixed with the messages of an honest initiator that knows
//! the passcode (optionally with one byte flipped).
//!
//! Properties: nothing panics; a failure always leaves the state finished; and the responder
//! establishes a session only when the message it just took is byte-for-byte the honest
//! initiator's Pake3, i.e. a cA computed by a passcode holder over the same transcript, in
//! which case both sides hold the same Ke.

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
    InitiatorStep, PaseInitiatorState, PaseResponder, PaseResponderState, Passcode,
    PbkdfParameters, ResponderStep, Verifier,
};
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;

/// The fixed commissionee: the verifier and PBKDF parameters, derived once.
fn responder() -> &'static PaseResponder {
    static RESPONDER: OnceLock<PaseResponder> = OnceLock::new();
    RESPONDER.get_or_init(|| {
        let pbkdf = PbkdfParameters::new(1000, &[0x42; 16]).expect("valid parameters");
        let passcode = Passcode::new(PASSCODE).expect("valid passcode");
        let verifier = Verifier::from_passcode(&passcode, &pbkdf).expect("valid verifier");
        PaseResponder::new(verifier, pbkdf, SessionParameters::paseo_default())
    })
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let mut rng = ChaCha20Rng::seed_from_u64(input.seed);
    let local_id = NonZeroU16::new(0x2222).expect("non-zero");
    let mut state = PaseResponderState::new(responder().clone(), local_id);

    let (mut initiator, request) = PaseInitiatorState::start(
        &mut rng,
        Passcode::new(PASSCODE).expect("valid passcode"),
        NonZeroU16::new(0x1111).expect("non-zero"),
        SessionParameters::paseo_default(),
    );
    let mut pending: Option<(u8, Vec<u8>)> =
        Some((SecureChannelOpcode::PbkdfParamRequest.as_u8(), request));
    let mut honest_pake3: Option<Vec<u8>> = None;

    for action in input.actions.into_iter().take(8) {
        let Some((opcode, payload)) = action.message(|| pending.take()) else {
            continue;
        };
        match state.handle(&mut rng, opcode, &payload) {
            Ok(ResponderStep::Send { opcode, payload }) => {
                assert!(!state.is_finished());
                // The honest initiator sees every reply, as it would on the exchange.
                if initiator.is_finished() {
                    continue;
                }
                match initiator.handle(opcode.as_u8(), &payload) {
                    Ok(InitiatorStep::Send { opcode, payload }) => {
                        if opcode == SecureChannelOpcode::Pake3 {
                            honest_pake3 = Some(payload.clone());
                        }
                        pending = Some((opcode.as_u8(), payload));
                    }
                    Ok(InitiatorStep::Established(_)) => {
                        panic!("initiator established on a non-status message")
                    }
                    Err(_) => pending = None,
                }
            }
            Ok(ResponderStep::Established {
                session,
                status_payload,
            }) => {
                assert_eq!(
                    opcode,
                    SecureChannelOpcode::Pake3.as_u8(),
                    "established on a message that is not Pake3"
                );
                assert_eq!(
                    honest_pake3.as_deref(),
                    Some(payload.as_slice()),
                    "established without the passcode holder's cA"
                );
                assert_eq!(
                    StatusReport::decode(&status_payload).expect("decodes"),
                    StatusReport::success()
                );
                // The honest initiator accepts the success and holds the same Ke.
                match initiator.handle(SecureChannelOpcode::StatusReport.as_u8(), &status_payload) {
                    Ok(InitiatorStep::Established(ours)) => {
                        assert_eq!(ours.shared_secret(), session.shared_secret());
                        assert_eq!(ours.peer_session_id(), session.local_session_id());
                    }
                    other => panic!("honest initiator did not establish: {other:?}"),
                }
                assert!(state.is_finished());
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
