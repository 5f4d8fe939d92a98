//! Property tests for PASE: honest handshakes agree on keys for any passcode, salt and
//! (small) iteration count; arbitrary bytes fed to any responder state never panic and never
//! establish a session.

use core::num::NonZeroU16;
use std::sync::OnceLock;

use paseo_core::codec::SecureChannelOpcode as Op;
use paseo_core::crypto::SecretScalar;
use paseo_core::pase::messages::{Pake1, Pake3, PbkdfParamRequest};
use paseo_core::pase::spake2p::Spake2pProver;
use paseo_core::pase::{
    AwaitPake1, AwaitPake3, PaseError, PaseInitiator, PaseInitiatorState, PaseResponder,
    PaseResponderState, Passcode, PbkdfParameters, ProverSecrets, ResponderStep,
};
use paseo_core::session::SessionParameters;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;

fn id(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).unwrap()
}

/// The fixed commissionee of the fuzz-style properties, derived once.
fn fixed() -> &'static (PaseResponder, ProverSecrets) {
    static FIXED: OnceLock<(PaseResponder, ProverSecrets)> = OnceLock::new();
    FIXED.get_or_init(|| {
        let pbkdf = PbkdfParameters::new(1000, &[0x42; 16]).unwrap();
        let secrets = ProverSecrets::derive(&Passcode::new(PASSCODE).unwrap(), &pbkdf);
        let responder = PaseResponder::new(
            secrets.verifier().unwrap(),
            pbkdf,
            SessionParameters::paseo_default(),
        );
        (responder, secrets)
    })
}

fn request(random: [u8; 32]) -> Vec<u8> {
    PbkdfParamRequest {
        initiator_random: random,
        initiator_session_id: 77,
        passcode_id: 0,
        has_pbkdf_parameters: false,
        initiator_session_params: None,
    }
    .encode()
}

/// A responder that has answered an honest request.
fn await_pake1(seed: u64) -> AwaitPake1 {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (state, _) = fixed()
        .0
        .handle_pbkdf_request(&mut rng, id(5), &request([seed as u8; 32]))
        .unwrap();
    state
}

/// A responder that has answered an honest Pake1 (X built from the real w0, no PBKDF2).
fn await_pake3(seed: u64) -> AwaitPake3 {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5555);
    let x = SecretScalar::random(&mut rng);
    let prover = Spake2pProver::new(&fixed().1, &x).unwrap();
    let (state, _) = await_pake1(seed)
        .handle(
            &Pake1 {
                pa: *prover.share(),
            }
            .encode(),
        )
        .unwrap();
    state
}

fn opcodes() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(Op::PbkdfParamRequest.as_u8()),
        Just(Op::Pake1.as_u8()),
        Just(Op::Pake3.as_u8()),
        Just(Op::StatusReport.as_u8()),
        any::<u8>(),
    ]
}

fn passcodes() -> impl Strategy<Value = Passcode> {
    (Passcode::MIN..=Passcode::MAX).prop_filter_map("forbidden passcode", |v| Passcode::new(v).ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn honest_handshakes_agree_on_keys(
        passcode in passcodes(),
        salt in prop::collection::vec(any::<u8>(), 16..=32),
        iterations in 1000u32..=1003,
        seed in any::<u64>(),
        initiator_id in 1u16..,
        responder_id in 1u16..,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let pbkdf = PbkdfParameters::new(iterations, &salt).unwrap();
        let secrets = ProverSecrets::derive(&passcode, &pbkdf);
        let responder = PaseResponder::new(
            secrets.verifier().unwrap(),
            pbkdf,
            SessionParameters::default(),
        );
        let (init, req) = PaseInitiator::start(
            &mut rng, passcode, id(initiator_id), SessionParameters::paseo_default());
        let (resp, response) = responder.handle_pbkdf_request(&mut rng, id(responder_id), &req).unwrap();
        let (init, pake1) = init.handle(&response).unwrap();
        let (resp, pake2) = resp.handle(&pake1).unwrap();
        let (init, pake3) = init.handle(&pake2).unwrap();
        let (at_responder, status) = resp.handle(&pake3).unwrap();
        let at_initiator = init.handle(&status).unwrap();
        prop_assert_eq!(at_initiator.shared_secret(), at_responder.shared_secret());
        let (a, b) = (
            at_initiator.session_key_material().unwrap(),
            at_responder.session_key_material().unwrap(),
        );
        prop_assert_eq!(a.i2r, b.i2r);
        prop_assert_eq!(a.r2i, b.r2i);
        prop_assert_eq!(at_initiator.peer_session_id(), responder_id);
        prop_assert_eq!(at_responder.peer_session_id(), initiator_id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_input_to_a_fresh_responder_never_establishes(
        opcode in opcodes(),
        payload in prop::collection::vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut state = PaseResponderState::new(fixed().0.clone(), id(9));
        match state.handle(&mut rng, opcode, &payload) {
            Ok(ResponderStep::Established { .. }) => prop_assert!(false, "established"),
            Ok(ResponderStep::Send { opcode, .. }) => {
                prop_assert_eq!(opcode, Op::PbkdfParamResponse);
            }
            Err(_) => prop_assert!(state.is_finished()),
        }
    }

    #[test]
    fn random_input_in_await_pake1_never_establishes(
        opcode in opcodes(),
        payload in prop::collection::vec(any::<u8>(), 0..120),
        seed in any::<u64>(),
    ) {
        let mut state = PaseResponderState::AwaitPake1(await_pake1(seed));
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let result = state.handle(&mut rng, opcode, &payload);
        let established = matches!(result, Ok(ResponderStep::Established { .. }));
        prop_assert!(!established, "established from random input");
        // Random bytes are (overwhelmingly) no valid Pake1 point, so this ends the handshake;
        // a payload that does decode to a valid point would move on to Pake3, never further.
        if let Ok(step) = result {
            let is_pake2 = matches!(step, ResponderStep::Send { opcode: Op::Pake2, .. });
            prop_assert!(is_pake2);
        }
    }

    #[test]
    fn random_input_in_await_pake3_never_establishes(
        opcode in opcodes(),
        payload in prop::collection::vec(any::<u8>(), 0..80),
        ca in any::<[u8; 32]>(),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut state = PaseResponderState::AwaitPake3(await_pake3(seed));
        let result = state.handle(&mut rng, opcode, &payload);
        prop_assert!(result.is_err());
        prop_assert!(state.is_finished());
        // A well-formed Pake3 with a random cA: always a confirmation mismatch.
        let err = await_pake3(seed).handle(&Pake3 { ca }.encode()).unwrap_err();
        prop_assert_eq!(err.error, PaseError::ConfirmationMismatch);
        prop_assert!(err.status_report.is_some());
    }

    #[test]
    fn random_sequences_never_establish(
        steps in prop::collection::vec((opcodes(), prop::collection::vec(any::<u8>(), 0..100)), 1..6),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut state = PaseResponderState::new(fixed().0.clone(), id(3));
        for (opcode, payload) in steps {
            let result = state.handle(&mut rng, opcode, &payload);
            let established = matches!(result, Ok(ResponderStep::Established { .. }));
        prop_assert!(!established, "established from random input");
        }
    }

    #[test]
    fn random_input_to_a_waiting_initiator_never_establishes(
        opcode in any::<u8>(),
        payload in prop::collection::vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (mut state, _) = PaseInitiatorState::start(
            &mut rng, Passcode::new(PASSCODE).unwrap(), id(1), SessionParameters::default());
        let result = state.handle(opcode, &payload);
        prop_assert!(!matches!(result, Ok(paseo_core::pase::InitiatorStep::Established(_))));
    }
}
