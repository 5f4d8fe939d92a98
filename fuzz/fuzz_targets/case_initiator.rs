//! Fuzzes the CASE initiator (`CaseInitiatorState`, the controller) with arbitrary sequences
//! of `(opcode, payload)`, mixed with the messages of an honest responder (the device on the
//! same test fabric, holding the resumption record when the initiator resumes), each
//! optionally with one byte flipped; the honest Sigma2 may also be resealed around a TBEData2
//! plaintext with one byte flipped, under the honest S2K, so TBEData2's decoder and the
//! signature and certificate checks see malformed plaintext that decrypts. What the initiator
//! sends always goes to the honest responder, as it would on the exchange.
//!
//! Properties: nothing panics; a failure leaves the state finished and its StatusReport, if
//! any, decodes; a full CASE is established only if every message the initiator took was the
//! honest responder's, byte for byte (Sigma2 and SUCCESS), and then it holds the same shared
//! secret, salt and session ids as the responder (Matter 1.3 §4.14.2); a resumption
//! only on a Sigma2_Resume whose authenticated fields (new resumption id and MIC) are the
//! honest ones, with the same keys as the responder (Matter 1.3 §4.14.2). A forged Sigma2 cannot be signed
//! by the device's NOC key, and a forged Sigma2_Resume cannot carry a valid MIC. (The fuzzer
//! found at once that Sigma2_Resume's responderSessionId and parameters are not covered by
//! the MIC: that is the protocol's design, recorded in docs/RELIABILITY.md.)
//!
//! Speed: both sides draw from fixed seeds, so the honest responder's messages and what it
//! makes of the initiator's honest ones are computed once per process ([`honest`], one run per
//! mode: full, resumption, resumption falling back). An execution runs the initiator under
//! test and, only when it sends something other than the precomputed message, a live
//! responder brought to the same point by replaying the transcript.

#![no_main]

#[path = "common/case_fabric.rs"]
mod case_fabric;

#[path = "common/handshake_action.rs"]
mod handshake_action;

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use case_fabric::{CONTROLLER, DEVICE, fabric, policy, session_id};
use handshake_action::Action;
use libfuzzer_sys::fuzz_target;
use paseo_core::case::key_schedule::{decrypt_tbe_data2, encrypt_tbe_data2, sigma2_key};
use paseo_core::case::{
    CaseEstablished, CaseInitiatorState, CaseResponderState, CaseStep, Sigma2, Sigma2Resume,
    Transcript,
};
use paseo_core::codec::{SecureChannelOpcode, StatusReport};
use paseo_core::fabric::NodeId;
use paseo_core::session::{ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const INITIATOR_SEED: u64 = 0x1417;
const RESPONDER_SEED: u64 = 0x5e5;

const SIGMA2: u8 = SecureChannelOpcode::Sigma2.as_u8();
const SIGMA2_RESUME: u8 = SecureChannelOpcode::Sigma2Resume.as_u8();
const STATUS: u8 = SecureChannelOpcode::StatusReport.as_u8();

/// What the initiator's session must agree with.
#[derive(Clone, Debug)]
struct Keys {
    shared_secret: [u8; 32],
    salt: Vec<u8>,
    local_session_id: u16,
    peer_session_id: u16,
    peer_node_id: NodeId,
}

impl Keys {
    fn of(session: &CaseEstablished) -> Self {
        Keys {
            shared_secret: *session.shared_secret(),
            salt: session.salt().to_vec(),
            local_session_id: session.local_session_id(),
            peer_session_id: session.peer_session_id(),
            peer_node_id: session.peer_node_id(),
        }
    }
}

/// One honest run in one mode, as the initiator under test sees it while nothing diverges.
struct Honest {
    /// The initiator's messages in order (Sigma1, then Sigma3 or the resumption SUCCESS).
    sent: Vec<(u8, Vec<u8>)>,
    /// The responder's answer to each (None when it owes none).
    replies: Vec<Option<(u8, Vec<u8>)>>,
    /// After which of `sent` the responder is established, with its keys.
    established: Option<(usize, Keys)>,
    /// Full CASE: S2K and the TBEData2 plaintext of the honest Sigma2.
    sigma2_inner: Option<([u8; 16], Vec<u8>)>,
}

fn records(remembers: bool) -> Vec<ResumptionRecord> {
    if remembers {
        vec![fabric().device_record.clone()]
    } else {
        Vec::new()
    }
}

fn initiator(resume: bool) -> (CaseInitiatorState, Vec<u8>) {
    let fx = fabric();
    CaseInitiatorState::start(
        &mut ChaCha20Rng::seed_from_u64(INITIATOR_SEED),
        &fx.controller,
        DEVICE,
        session_id(0x1001),
        SessionParameters::paseo_default(),
        resume.then_some(&fx.controller_record),
    )
    .expect("Sigma1")
}

/// The honest responder (live).
struct Responder {
    state: CaseResponderState,
    rng: ChaCha20Rng,
    records: Vec<ResumptionRecord>,
}

impl Responder {
    fn new(remembers: bool) -> Self {
        Responder {
            state: CaseResponderState::new(session_id(0x2002), SessionParameters::paseo_default()),
            rng: ChaCha20Rng::seed_from_u64(RESPONDER_SEED),
            records: records(remembers),
        }
    }

    /// Its answer (next message or the StatusReport its failure owes) and, if it
    /// established, its keys.
    fn respond(&mut self, opcode: u8, payload: &[u8]) -> (Option<(u8, Vec<u8>)>, Option<Keys>) {
        let fx = fabric();
        let records = &self.records;
        let find = |id: &[u8; 16]| records.iter().find(|r| &r.resumption_id == id).cloned();
        match self.state.handle(
            &mut self.rng,
            opcode,
            payload,
            std::slice::from_ref(&fx.device),
            find,
            &policy(),
        ) {
            Ok(CaseStep::Send { opcode, payload }) => (Some((opcode.as_u8(), payload)), None),
            Ok(CaseStep::Established {
                session,
                status_payload,
            }) => (
                status_payload.map(|p| (STATUS, p)),
                Some(Keys::of(&session)),
            ),
            Err(failure) => (failure.status_report_payload().map(|p| (STATUS, p)), None),
        }
    }
}

/// Modes: 0 full, 1 resumption, 2 resumption the responder no longer remembers.
fn honest(mode: usize) -> &'static Honest {
    static RUNS: [OnceLock<Honest>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    RUNS[mode].get_or_init(|| {
        let (resume, remembers) = [(false, false), (true, true), (true, false)][mode];
        let (mut init, sigma1) = initiator(resume);
        let mut responder = Responder::new(remembers);
        let mut h = Honest {
            sent: Vec::new(),
            replies: Vec::new(),
            established: None,
            sigma2_inner: None,
        };
        let mut next = Some((SecureChannelOpcode::Sigma1.as_u8(), sigma1));
        while let Some((opcode, message)) = next.take() {
            let (reply, keys) = responder.respond(opcode, &message);
            h.sent.push((opcode, message));
            h.replies.push(reply.clone());
            if let Some(keys) = keys {
                h.established = Some((h.sent.len() - 1, keys));
            }
            let Some((opcode, reply)) = reply else { break };
            match init.handle(opcode, &reply, &policy()) {
                Ok(CaseStep::Send { opcode, payload }) => next = Some((opcode.as_u8(), payload)),
                Ok(CaseStep::Established {
                    status_payload: Some(status),
                    ..
                }) => next = Some((STATUS, status)),
                Ok(CaseStep::Established { .. }) => {}
                Err(e) => panic!("honest run failed: {e:?}"),
            }
        }
        let (_, keys) = h.established.as_ref().expect("the honest run establishes");
        if let Some(Some((SIGMA2, sigma2))) = h.replies.first() {
            let decoded = Sigma2::decode(sigma2).expect("decodes").into_parts().0;
            let mut transcript = Transcript::new();
            let sigma1_hash = transcript.add_sigma1(&h.sent[0].1).expect("hash");
            let s2k = sigma2_key(
                &keys.shared_secret,
                fabric().controller.ipk(),
                &decoded.responder_random,
                &decoded.responder_eph_pub_key,
                &sigma1_hash,
            );
            let plain = decrypt_tbe_data2(&s2k, &decoded.encrypted2).expect("opens");
            h.sigma2_inner = Some((*s2k, plain));
        }
        h
    })
}

/// The honest responder, live only once the initiator sent something unexpected.
struct Peer {
    mode: usize,
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
        let h = honest(self.mode);
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
        let remembers = self.mode == 1;
        let stage = self.stage;
        let live = self.live.get_or_insert_with(|| {
            let mut responder = Responder::new(remembers);
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
    /// The initiator asks to resume with its record.
    resume: bool,
    /// The responder still has its record (otherwise it falls back to full CASE, Q13).
    responder_remembers: bool,
    /// Sigma2 resealed around a TBEData2 plaintext with one byte flipped: (at, mask).
    inner_flip: Option<(u16, u8)>,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let mode = match (input.resume, input.responder_remembers) {
        (false, _) => 0,
        (true, true) => 1,
        (true, false) => 2,
    };
    let h = honest(mode);
    let (mut initiator, sigma1) = initiator(input.resume);
    let mut peer = Peer {
        mode,
        stage: 0,
        live: None,
    };
    let mut responder_session: Option<Keys> = None;
    let mut pending = peer.respond(
        SecureChannelOpcode::Sigma1.as_u8(),
        &sigma1,
        &mut responder_session,
    );
    let mut inner_flip = input.inner_flip.filter(|&(_, mask)| mask != 0);

    // Whether every message the initiator took so far was the honest one, intact.
    let mut intact = true;
    for action in input.actions.into_iter().take(32) {
        let Some((opcode, mut payload)) = action.message(|| pending.clone()) else {
            continue;
        };
        // The precomputed Sigma2, resealed around a flipped plaintext (once).
        if opcode == SIGMA2
            && peer.live.is_none()
            && h.replies[0].as_ref().map(|r| &r.1) == Some(&payload)
        {
            if let (Some((at, mask)), Some((s2k, plain))) = (inner_flip.take(), &h.sigma2_inner) {
                let mut plain = plain.clone();
                let i = usize::from(at) % plain.len();
                plain[i] ^= mask;
                let mut sigma2 = Sigma2::decode(&payload).expect("decodes").into_parts().0;
                sigma2.encrypted2 = encrypt_tbe_data2(s2k, &plain).expect("seals");
                payload = sigma2.encode().expect("encodes");
            }
        }
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
                pending = peer.respond(sent.as_u8(), &next, &mut responder_session);
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
                    assert_eq!(opcode, SIGMA2_RESUME);
                    let status = status_payload.expect("the initiator owes SUCCESS");
                    assert_eq!(
                        StatusReport::decode(&status).expect("decodes"),
                        StatusReport::success()
                    );
                    // The responder accepts it and holds the same keys.
                    let _ = peer.respond(STATUS, &status, &mut responder_session);
                } else {
                    assert!(
                        intact && honest,
                        "established although a responder message was not the honest one"
                    );
                    assert_eq!(opcode, STATUS);
                    assert_eq!(status_payload, None);
                }
                let theirs = responder_session
                    .as_ref()
                    .expect("the honest responder established too");
                assert_eq!(session.shared_secret(), &theirs.shared_secret);
                assert_eq!(session.salt(), theirs.salt);
                assert_eq!(session.local_session_id(), theirs.peer_session_id);
                if honest {
                    assert_eq!(session.peer_session_id(), theirs.local_session_id);
                }
                assert_eq!(session.peer_node_id(), DEVICE);
                assert_eq!(theirs.peer_node_id, CONTROLLER);
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
