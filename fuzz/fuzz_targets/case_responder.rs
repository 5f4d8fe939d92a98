//! Fuzzes the CASE responder (`CaseResponderState`) holding fixed test-CA credentials with
//! arbitrary sequences of `(opcode, payload)`, mixed with the messages of an honest initiator
//! (a controller on the same fabric, optionally resuming a saved record; each of its messages
//! optionally with one byte flipped, and Sigma3 optionally resealed around a flipped TBEData3
//! plaintext under the honest S3K, so TBEData3's decoder and the signature check see malformed
//! plaintext that decrypts).
//!
//! Properties: nothing panics; a failure always leaves the state finished; the responder
//! establishes a full CASE session only on the honest initiator's Sigma3 byte for byte (the
//! only Sigma3 whose TBSData3 signature verifies: the controller's key never leaves this
//! process), and then both sides hold the same keys; it resumes only for a Sigma1 carrying the
//! honest initiatorRandom, resumption id and resume MIC (the MIC needs the shared secret).
//!
//! Speed: both sides draw from fixed seeds, so the honest initiator's messages and what it
//! makes of the responder's honest replies are computed once per process ([`honest`]). An
//! execution runs the responder under test and, only when one of its replies differs from the
//! precomputed one, a live initiator brought to the same point by replaying the transcript.

#![no_main]

use std::sync::OnceLock;

#[path = "common/handshake_action.rs"]
mod handshake_action;

use arbitrary::Arbitrary;
use handshake_action::Action;
use libfuzzer_sys::fuzz_target;
use paseo_core::case::key_schedule::{decrypt_tbe_data3, encrypt_tbe_data3, sigma3_key};
use paseo_core::case::{
    CaseEstablished, CaseInitiatorState, CaseResponderState, CaseStep, Sigma1, Sigma3, Transcript,
};
use paseo_core::codec::{SecureChannelOpcode, StatusReport};
use paseo_core::fabric::NodeId;
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

#[path = "common/case_fabric.rs"]
mod case_fabric;

use case_fabric::{DEVICE, fabric as fixture, policy, session_id as id};

/// Seeds of the responder under test and of the honest initiator.
const RESPONDER_SEED: u64 = 0x5e5;
const INITIATOR_SEED: u64 = 0x1417;

const SIGMA1: u8 = SecureChannelOpcode::Sigma1.as_u8();
const SIGMA3: u8 = SecureChannelOpcode::Sigma3.as_u8();
const STATUS: u8 = SecureChannelOpcode::StatusReport.as_u8();

/// One honest run, as the responder under test will see it while nothing diverges.
struct Honest {
    /// The initiator's messages: `sent[0]` first, `sent[i + 1]` in answer to `replies[i]`.
    sent: Vec<(u8, Vec<u8>)>,
    /// The responder's replies that the initiator answers.
    replies: Vec<Vec<u8>>,
    /// Full CASE: S3K and the TBEData3 plaintext of the honest Sigma3.
    sigma3_inner: Option<([u8; 16], Vec<u8>)>,
    /// Full CASE: the responder's SUCCESS and the keys the initiator ends with on it.
    success: Option<(Vec<u8>, Keys)>,
}

/// What both sides of a full CASE must agree on.
#[derive(Debug, PartialEq)]
struct Keys {
    shared_secret: [u8; 32],
    salt: Vec<u8>,
    peer_session_id: u16,
}

impl Keys {
    fn of(session: &CaseEstablished) -> Self {
        Keys {
            shared_secret: *session.shared_secret(),
            salt: session.salt().to_vec(),
            peer_session_id: session.peer_session_id(),
        }
    }
}

fn initiator(resume: bool) -> (CaseInitiatorState, Vec<u8>) {
    let fx = fixture();
    CaseInitiatorState::start(
        &mut ChaCha20Rng::seed_from_u64(INITIATOR_SEED),
        &fx.controller,
        DEVICE,
        id(0x1001),
        SessionParameters::paseo_default(),
        resume.then_some(&fx.controller_record),
    )
    .expect("Sigma1")
}

fn responder_handle(
    state: &mut CaseResponderState,
    rng: &mut ChaCha20Rng,
    opcode: u8,
    payload: &[u8],
) -> Result<CaseStep, paseo_core::case::CaseFailure> {
    let fx = fixture();
    let saved = std::slice::from_ref(&fx.device_record);
    let find = |id: &[u8; 16]| saved.iter().find(|r| &r.resumption_id == id).cloned();
    state.handle(
        rng,
        opcode,
        payload,
        std::slice::from_ref(&fx.device),
        find,
        &policy(),
    )
}

fn honest(resume: bool) -> &'static Honest {
    static FULL: OnceLock<Honest> = OnceLock::new();
    static RESUME: OnceLock<Honest> = OnceLock::new();
    let cell = if resume { &RESUME } else { &FULL };
    cell.get_or_init(|| {
        let (mut init, sigma1) = initiator(resume);
        let mut rng = ChaCha20Rng::seed_from_u64(RESPONDER_SEED);
        let mut state = CaseResponderState::new(id(0x2002), SessionParameters::paseo_default());
        let Ok(CaseStep::Send {
            opcode: reply_opcode,
            payload: sigma2,
        }) = responder_handle(&mut state, &mut rng, SIGMA1, &sigma1)
        else {
            panic!("honest Sigma1 refused")
        };
        let mut honest = Honest {
            sent: vec![(SIGMA1, sigma1.clone())],
            replies: vec![sigma2.clone()],
            sigma3_inner: None,
            success: None,
        };
        match init.handle(reply_opcode.as_u8(), &sigma2, &policy()) {
            Ok(CaseStep::Send {
                payload: sigma3, ..
            }) => {
                assert!(!resume);
                let Ok(CaseStep::Established {
                    session,
                    status_payload: Some(status),
                }) = responder_handle(&mut state, &mut rng, SIGMA3, &sigma3)
                else {
                    panic!("honest Sigma3 refused")
                };
                let mut transcript = Transcript::new();
                transcript.add_sigma1(&sigma1).expect("hash");
                let sigma12 = transcript.add_sigma2(&sigma2).expect("hash");
                let s3k = sigma3_key(session.shared_secret(), fixture().device.ipk(), &sigma12);
                let encrypted3 = Sigma3::decode(&sigma3).expect("decodes").into_parts().0;
                let plain = decrypt_tbe_data3(&s3k, &encrypted3.encrypted3).expect("opens");
                honest.sigma3_inner = Some((*s3k, plain));
                honest.sent.push((SIGMA3, sigma3));
                let Ok(CaseStep::Established { session: ours, .. }) =
                    init.handle(STATUS, &status, &policy())
                else {
                    panic!("honest SUCCESS refused")
                };
                honest.success = Some((status, Keys::of(&ours)));
            }
            Ok(CaseStep::Established {
                status_payload: Some(status),
                ..
            }) => {
                assert!(resume);
                honest.sent.push((STATUS, status));
            }
            other => panic!("honest Sigma2 refused: {other:?}"),
        }
        honest
    })
}

/// The honest initiator: lazily live. While every reply it got was the precomputed one it
/// stays a stage number; the first other reply brings it to life (replaying the honest
/// replies) and from then on it computes.
struct Peer {
    resume: bool,
    /// Honest replies consumed.
    stage: usize,
    live: Option<CaseInitiatorState>,
    done: bool,
}

/// What the initiator does with a reply.
enum PeerStep {
    Send(u8, Vec<u8>),
    Established(Option<Vec<u8>>),
    Failed,
}

impl Peer {
    fn take(&mut self, opcode: u8, reply: &[u8]) -> PeerStep {
        let h = honest(self.resume);
        if self.live.is_none() && h.replies.get(self.stage).map(Vec::as_slice) == Some(reply) {
            self.stage += 1;
            return match h.sent.get(self.stage) {
                Some((STATUS, status)) => {
                    self.done = true;
                    PeerStep::Established(Some(status.clone()))
                }
                Some((op, message)) => PeerStep::Send(*op, message.clone()),
                None => unreachable!("every honest reply has an answer"),
            };
        }
        let live = self.live.get_or_insert_with(|| {
            let (mut init, _) = initiator(self.resume);
            for (i, earlier) in h.replies[..self.stage].iter().enumerate() {
                let opcode = if i == 0 && self.resume {
                    SecureChannelOpcode::Sigma2Resume
                } else {
                    SecureChannelOpcode::Sigma2
                };
                init.handle(opcode.as_u8(), earlier, &policy())
                    .expect("the honest replay");
            }
            init
        });
        match live.handle(opcode, reply, &policy()) {
            Ok(CaseStep::Send { opcode, payload }) => PeerStep::Send(opcode.as_u8(), payload),
            Ok(CaseStep::Established { status_payload, .. }) => {
                self.done = true;
                PeerStep::Established(status_payload)
            }
            Err(_) => {
                self.done = true;
                PeerStep::Failed
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    resume: bool,
    /// Sigma3 resealed around a TBEData3 plaintext with one byte flipped: (at, mask).
    inner_flip: Option<(u16, u8)>,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let h = honest(input.resume);
    let mut rng = ChaCha20Rng::seed_from_u64(RESPONDER_SEED);
    let mut state = CaseResponderState::new(id(0x2002), SessionParameters::paseo_default());
    let honest_sigma1 = Sigma1::decode(&h.sent[0].1)
        .expect("decodes")
        .into_parts()
        .0;
    let mut peer = Peer {
        resume: input.resume,
        stage: 0,
        live: None,
        done: false,
    };
    let mut pending: Option<(u8, Vec<u8>)> = Some(h.sent[0].clone());
    let mut honest_sigma3: Option<Vec<u8>> = None;
    let mut resumed_sigma1_ok = false;
    let mut inner_flip = input.inner_flip.filter(|&(_, mask)| mask != 0);

    for action in input.actions.into_iter().take(32) {
        let Some((opcode, mut payload)) = action.message(|| pending.take()) else {
            continue;
        };
        // The precomputed Sigma3, resealed around a flipped plaintext (once).
        if opcode == SIGMA3 && peer.live.is_none() && Some(&payload) == honest_sigma3.as_ref() {
            if let (Some((at, mask)), Some((s3k, plain))) = (inner_flip.take(), &h.sigma3_inner) {
                let mut plain = plain.clone();
                let i = usize::from(at) % plain.len();
                plain[i] ^= mask;
                let encrypted3 = encrypt_tbe_data3(s3k, &plain).expect("seals");
                payload = Sigma3 { encrypted3 }.encode().expect("encodes");
            }
        }
        match responder_handle(&mut state, &mut rng, opcode, &payload) {
            Ok(CaseStep::Send {
                opcode: sent,
                payload: reply,
            }) => {
                assert!(!state.is_finished());
                assert_eq!(opcode, SIGMA1);
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
                if peer.done {
                    continue;
                }
                match peer.take(sent.as_u8(), &reply) {
                    PeerStep::Send(opcode, payload) => {
                        if opcode == SIGMA3 {
                            honest_sigma3 = Some(payload.clone());
                        }
                        pending = Some((opcode, payload));
                    }
                    PeerStep::Established(Some(status)) => {
                        // The initiator accepted Sigma2_Resume and owes SUCCESS.
                        assert_eq!(sent, SecureChannelOpcode::Sigma2Resume);
                        pending = Some((STATUS, status));
                    }
                    PeerStep::Established(None) => {
                        panic!("initiator established on a Sigma message")
                    }
                    PeerStep::Failed => pending = None,
                }
            }
            Ok(CaseStep::Established {
                session,
                status_payload,
            }) => {
                assert!(state.is_finished());
                if session.is_resumption() {
                    assert!(resumed_sigma1_ok, "resumed without the honest Sigma1");
                    assert_eq!(opcode, STATUS);
                    assert_eq!(status_payload, None);
                    assert_eq!(session.peer_node_id(), NodeId(0x1111));
                } else {
                    assert_eq!(
                        opcode, SIGMA3,
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
                    let ours = match (&mut peer.live, &h.success) {
                        (Some(live), _) => match live.handle(STATUS, &status, &policy()) {
                            Ok(CaseStep::Established { session: ours, .. }) => Keys::of(&ours),
                            other => panic!("honest initiator did not establish: {other:?}"),
                        },
                        (None, Some((expected, ours))) => {
                            assert_eq!(&status, expected, "SUCCESS differs from the honest run");
                            Keys {
                                shared_secret: ours.shared_secret,
                                salt: ours.salt.clone(),
                                peer_session_id: ours.peer_session_id,
                            }
                        }
                        (None, None) => panic!("full CASE in a resumption run"),
                    };
                    assert_eq!(&ours.shared_secret, session.shared_secret());
                    assert_eq!(ours.salt, session.salt());
                    assert_eq!(ours.peer_session_id, session.local_session_id());
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
