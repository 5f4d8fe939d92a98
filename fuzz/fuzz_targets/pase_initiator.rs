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
//!
//! Speed: both sides draw from fixed seeds, so the honest responder's messages (its SPAKE2+
//! work) and what it makes of the initiator's honest ones are computed once per process and
//! passcode ([`honest`]). An execution runs the initiator under test (its PBKDF2 and SPAKE2+
//! are the code under test) and, only when it sends something other than the precomputed
//! message, a live responder brought to the same point by replaying the transcript.

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
const INITIATOR_SEED: u64 = 0x1417;
const RESPONDER_SEED: u64 = 0x5e5;
const STATUS: u8 = SecureChannelOpcode::StatusReport.as_u8();

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

fn initiator(right_passcode: bool) -> (PaseInitiatorState, Vec<u8>) {
    let passcode = if right_passcode {
        PASSCODE
    } else {
        PASSCODE + 1
    };
    PaseInitiatorState::start(
        &mut ChaCha20Rng::seed_from_u64(INITIATOR_SEED),
        Passcode::new(passcode).expect("valid passcode"),
        id(0x1111),
        SessionParameters::paseo_default(),
    )
}

/// What the initiator's session must agree with.
#[derive(Clone)]
struct Keys {
    ke: Vec<u8>,
    local_session_id: u16,
    peer_session_id: u16,
}

/// The honest responder (live).
struct Responder {
    state: PaseResponderState,
    rng: ChaCha20Rng,
}

impl Responder {
    fn new() -> Self {
        Responder {
            state: PaseResponderState::new(responder().clone(), id(0x2222)),
            rng: ChaCha20Rng::seed_from_u64(RESPONDER_SEED),
        }
    }

    /// Its answer (next message, SUCCESS, or the StatusReport its failure owes) and, if it
    /// established, its keys.
    fn respond(&mut self, opcode: u8, payload: &[u8]) -> (Option<(u8, Vec<u8>)>, Option<Keys>) {
        match self.state.handle(&mut self.rng, opcode, payload) {
            Ok(ResponderStep::Send { opcode, payload }) => (Some((opcode.as_u8(), payload)), None),
            Ok(ResponderStep::Established {
                session,
                status_payload,
            }) => (
                Some((STATUS, status_payload)),
                Some(Keys {
                    ke: session.shared_secret().to_vec(),
                    local_session_id: session.local_session_id(),
                    peer_session_id: session.peer_session_id(),
                }),
            ),
            Err(failure) => (failure.status_report_payload().map(|p| (STATUS, p)), None),
        }
    }
}

/// One honest run per passcode, as the initiator under test sees it while nothing diverges.
struct Honest {
    /// The initiator's messages in order.
    sent: Vec<(u8, Vec<u8>)>,
    /// The responder's answer to each.
    replies: Vec<Option<(u8, Vec<u8>)>>,
    /// After which of `sent` the responder is established, with its keys.
    established: Option<(usize, Keys)>,
}

fn honest(right_passcode: bool) -> &'static Honest {
    static RUNS: [OnceLock<Honest>; 2] = [OnceLock::new(), OnceLock::new()];
    RUNS[usize::from(right_passcode)].get_or_init(|| {
        let (mut init, request) = initiator(right_passcode);
        let mut responder = Responder::new();
        let mut h = Honest {
            sent: Vec::new(),
            replies: Vec::new(),
            established: None,
        };
        let mut next = Some((SecureChannelOpcode::PbkdfParamRequest.as_u8(), request));
        while let Some((opcode, message)) = next.take() {
            let (reply, keys) = responder.respond(opcode, &message);
            h.sent.push((opcode, message));
            h.replies.push(reply.clone());
            if let Some(keys) = keys {
                h.established = Some((h.sent.len() - 1, keys));
            }
            let Some((opcode, reply)) = reply else { break };
            if let Ok(InitiatorStep::Send { opcode, payload }) = init.handle(opcode, &reply) {
                next = Some((opcode.as_u8(), payload));
            }
        }
        assert_eq!(h.established.is_some(), right_passcode);
        h
    })
}

/// The honest responder, live only once the initiator sent something unexpected.
struct Peer {
    right_passcode: bool,
    /// Honest initiator messages consumed.
    stage: usize,
    live: Option<Responder>,
}

impl Peer {
    fn respond(
        &mut self,
        opcode: u8,
        payload: &[u8],
        established: &mut Option<Keys>,
    ) -> Option<(u8, Vec<u8>)> {
        let h = honest(self.right_passcode);
        if self.live.is_none()
            && h.sent.get(self.stage).map(|(o, p)| (*o, p.as_slice())) == Some((opcode, payload))
        {
            if let Some((at, keys)) = &h.established {
                if *at == self.stage {
                    *established = Some(keys.clone());
                }
            }
            self.stage += 1;
            return h.replies[self.stage - 1].clone();
        }
        let stage = self.stage;
        let live = self.live.get_or_insert_with(|| {
            let mut responder = Responder::new();
            for (opcode, message) in &h.sent[..stage] {
                responder.respond(*opcode, message);
            }
            responder
        });
        let (reply, keys) = live.respond(opcode, payload);
        if keys.is_some() {
            *established = keys;
        }
        reply
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// The initiator uses the right passcode (otherwise the honest responder must refuse it).
    right_passcode: bool,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let (mut initiator, request) = initiator(input.right_passcode);
    let mut peer = Peer {
        right_passcode: input.right_passcode,
        stage: 0,
        live: None,
    };

    // The honest responder's next message for the initiator, and its session once it has one.
    let mut responder_session: Option<Keys> = None;
    let mut pending = peer.respond(
        SecureChannelOpcode::PbkdfParamRequest.as_u8(),
        &request,
        &mut responder_session,
    );

    // Whether every message the initiator took so far was the honest one, intact.
    let mut intact = true;
    for action in input.actions.into_iter().take(32) {
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
                pending = peer.respond(sent.as_u8(), &next, &mut responder_session);
            }
            Ok(InitiatorStep::Established(session)) => {
                assert!(!was_finished, "a finished initiator established");
                assert!(initiator.is_finished());
                assert!(
                    intact && honest,
                    "established although a responder message was not the honest one"
                );
                assert!(input.right_passcode, "established with the wrong passcode");
                assert_eq!(opcode, STATUS);
                let theirs = responder_session
                    .as_ref()
                    .expect("the honest responder established first");
                assert_eq!(session.shared_secret(), theirs.ke.as_slice());
                assert_eq!(session.peer_session_id(), theirs.local_session_id);
                assert_eq!(session.local_session_id(), theirs.peer_session_id);
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
