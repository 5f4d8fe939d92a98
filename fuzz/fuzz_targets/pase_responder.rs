//! Fuzzes the PASE responder (`PaseResponderState`) built from a fixed verifier with arbitrary
//! sequences of `(opcode, payload)`, mixed with the messages of an honest initiator that knows
//! the passcode (optionally with one byte flipped).
//!
//! Properties: nothing panics; a failure always leaves the state finished; and the responder
//! establishes a session only when the message it just took is byte-for-byte the honest
//! initiator's Pake3, i.e. a cA computed by a passcode holder over the same transcript, in
//! which case both sides hold the same Ke.
//!
//! Speed: both sides draw from fixed seeds, so the honest initiator's messages (its PBKDF2 and
//! SPAKE2+ work) and what it makes of the responder's honest replies are computed once per
//! process ([`honest`]). An execution runs the responder under test and, only when one of its
//! replies differs from the precomputed one, a live initiator brought to the same point by
//! replaying the transcript.

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
const RESPONDER_SEED: u64 = 0x5e5;
const INITIATOR_SEED: u64 = 0x1417;
const PAKE3: u8 = SecureChannelOpcode::Pake3.as_u8();

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

fn initiator() -> (PaseInitiatorState, Vec<u8>) {
    PaseInitiatorState::start(
        &mut ChaCha20Rng::seed_from_u64(INITIATOR_SEED),
        Passcode::new(PASSCODE).expect("valid passcode"),
        NonZeroU16::new(0x1111).expect("non-zero"),
        SessionParameters::paseo_default(),
    )
}

fn state() -> PaseResponderState {
    PaseResponderState::new(
        responder().clone(),
        NonZeroU16::new(0x2222).expect("non-zero"),
    )
}

/// One honest run, as the responder under test sees it while nothing diverges.
struct Honest {
    /// The initiator's messages: `sent[0]` first, `sent[i + 1]` in answer to `replies[i]`.
    sent: Vec<(u8, Vec<u8>)>,
    /// The responder's replies the initiator answers.
    replies: Vec<(u8, Vec<u8>)>,
    /// The responder's SUCCESS, and the initiator's Ke and peer session id after it.
    success: (Vec<u8>, Vec<u8>, u16),
}

fn honest() -> &'static Honest {
    static HONEST: OnceLock<Honest> = OnceLock::new();
    HONEST.get_or_init(|| {
        let (mut init, request) = initiator();
        let mut rng = ChaCha20Rng::seed_from_u64(RESPONDER_SEED);
        let mut state = state();
        let mut sent = vec![(SecureChannelOpcode::PbkdfParamRequest.as_u8(), request)];
        let mut replies = Vec::new();
        loop {
            let (opcode, message) = sent.last().expect("one at least").clone();
            match state.handle(&mut rng, opcode, &message) {
                Ok(ResponderStep::Send { opcode, payload }) => {
                    replies.push((opcode.as_u8(), payload.clone()));
                    match init.handle(opcode.as_u8(), &payload) {
                        Ok(InitiatorStep::Send { opcode, payload }) => {
                            sent.push((opcode.as_u8(), payload))
                        }
                        other => panic!("honest initiator: {other:?}"),
                    }
                }
                Ok(ResponderStep::Established { status_payload, .. }) => {
                    let Ok(InitiatorStep::Established(ours)) =
                        init.handle(SecureChannelOpcode::StatusReport.as_u8(), &status_payload)
                    else {
                        panic!("honest initiator refused SUCCESS")
                    };
                    let success = (
                        status_payload,
                        ours.shared_secret().to_vec(),
                        ours.peer_session_id(),
                    );
                    return Honest {
                        sent,
                        replies,
                        success,
                    };
                }
                Err(e) => panic!("honest responder: {e:?}"),
            }
        }
    })
}

/// The honest initiator: a stage number while every reply it got was the precomputed one,
/// live (replayed to that point) from the first other reply on.
struct Peer {
    stage: usize,
    live: Option<PaseInitiatorState>,
    done: bool,
}

impl Peer {
    /// Its answer to a reply, `None` when it failed.
    fn take(&mut self, opcode: u8, reply: &[u8]) -> Option<(u8, Vec<u8>)> {
        let h = honest();
        if self.live.is_none()
            && h.replies.get(self.stage).map(|(o, p)| (*o, p.as_slice())) == Some((opcode, reply))
        {
            self.stage += 1;
            return Some(h.sent[self.stage].clone());
        }
        let stage = self.stage;
        let live = self.live.get_or_insert_with(|| {
            let (mut init, _) = initiator();
            for (opcode, earlier) in &h.replies[..stage] {
                init.handle(*opcode, earlier).expect("the honest replay");
            }
            init
        });
        match live.handle(opcode, reply) {
            Ok(InitiatorStep::Send { opcode, payload }) => Some((opcode.as_u8(), payload)),
            Ok(InitiatorStep::Established(_)) => {
                panic!("initiator established on a non-status message")
            }
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let h = honest();
    let mut rng = ChaCha20Rng::seed_from_u64(RESPONDER_SEED);
    let mut state = state();
    let mut peer = Peer {
        stage: 0,
        live: None,
        done: false,
    };
    let mut pending: Option<(u8, Vec<u8>)> = Some(h.sent[0].clone());
    let mut honest_pake3: Option<Vec<u8>> = None;

    for action in input.actions.into_iter().take(32) {
        let Some((opcode, payload)) = action.message(|| pending.take()) else {
            continue;
        };
        match state.handle(&mut rng, opcode, &payload) {
            Ok(ResponderStep::Send { opcode, payload }) => {
                assert!(!state.is_finished());
                // The honest initiator sees every reply, as it would on the exchange.
                if peer.done {
                    continue;
                }
                pending = peer.take(opcode.as_u8(), &payload);
                if let Some((PAKE3, pake3)) = &pending {
                    honest_pake3 = Some(pake3.clone());
                }
            }
            Ok(ResponderStep::Established {
                session,
                status_payload,
            }) => {
                assert_eq!(opcode, PAKE3, "established on a message that is not Pake3");
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
                let (ke, peer_id) = match &mut peer.live {
                    Some(live) => match live
                        .handle(SecureChannelOpcode::StatusReport.as_u8(), &status_payload)
                    {
                        Ok(InitiatorStep::Established(ours)) => {
                            (ours.shared_secret().to_vec(), ours.peer_session_id())
                        }
                        other => panic!("honest initiator did not establish: {other:?}"),
                    },
                    None => {
                        let (status, ke, peer_id) = &h.success;
                        assert_eq!(
                            &status_payload, status,
                            "SUCCESS differs from the honest run"
                        );
                        (ke.clone(), *peer_id)
                    }
                };
                assert_eq!(ke, session.shared_secret());
                assert_eq!(peer_id, session.local_session_id());
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
