//! In-memory PASE handshakes between our initiator and our responder: success in both roles
//! with equal keys, wrong passcode, tampering with every message, protocol violations, and
//! messages fed in the wrong state.

use core::num::NonZeroU16;

use paseo_core::codec::{
    GeneralCode, SecureChannelOpcode as Op, SecureChannelStatus, StatusReport,
};
use paseo_core::mrp::MrpParameters;
use paseo_core::pase::messages::{PbkdfParamRequest, PbkdfParamResponse};
use paseo_core::pase::{
    InitiatorStep, MessageError, PaseError, PaseEstablished, PaseFailure, PaseInitiator,
    PaseInitiatorState, PaseResponder, PaseResponderState, PaseRole, Passcode, PbkdfParameters,
    ResponderStep, Spake2pError, Verifier, busy_status_payload,
};
use paseo_core::session::SessionParameters;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

const PASSCODE: u32 = 20_202_021;
const INITIATOR_ID: u16 = 0x1234;
const RESPONDER_ID: u16 = 0x4321;

/// A way of damaging a payload.
type Edit = Box<dyn Fn(&mut Vec<u8>)>;
fn id(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).expect("test ids are non-zero")
}

fn pbkdf() -> PbkdfParameters {
    PbkdfParameters::new(1000, &[0x5a; 32]).unwrap()
}

fn initiator_params() -> SessionParameters {
    SessionParameters::paseo_default()
}

fn responder_params() -> SessionParameters {
    SessionParameters::with_mrp(MrpParameters::from_millis(5000, 300, 4000).unwrap())
}

fn responder() -> PaseResponder {
    let verifier = Verifier::from_passcode(&Passcode::new(PASSCODE).unwrap(), &pbkdf()).unwrap();
    PaseResponder::new(verifier, pbkdf(), responder_params())
}

fn invalid_parameter() -> Option<StatusReport> {
    Some(StatusReport::invalid_parameter())
}

/// Where a tamper hook may rewrite a message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Request,
    Response,
    Pake1,
    Pake2,
    Pake3,
    Status,
}

/// How a dynamic handshake ended on each side.
struct Outcome {
    initiator: Result<PaseEstablished, PaseFailure>,
    responder: Option<Result<PaseEstablished, PaseFailure>>,
}

/// Runs a whole handshake through the dynamic wrappers, letting `tamper` rewrite each message
/// in flight. Stops at the first failure and delivers the failing side's StatusReport (if any)
/// to the other side, as a node would.
fn run(seed: u64, initiator_passcode: u32, mut tamper: impl FnMut(Msg, &mut Vec<u8>)) -> Outcome {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (mut initiator, mut payload) = PaseInitiatorState::start(
        &mut rng,
        Passcode::new(initiator_passcode).unwrap(),
        id(INITIATOR_ID),
        initiator_params(),
    );
    let mut responder_state = PaseResponderState::new(responder(), id(RESPONDER_ID));
    let mut opcode = Op::PbkdfParamRequest;
    let mut responder_outcome = None;
    let to_responder = [Msg::Request, Msg::Pake1, Msg::Pake3];
    let to_initiator = [Msg::Response, Msg::Pake2];
    for round in 0..3 {
        tamper(to_responder[round], &mut payload);
        match responder_state.handle(&mut rng, opcode.as_u8(), &payload) {
            Ok(ResponderStep::Send {
                opcode: o,
                payload: p,
            }) => {
                assert!(round < 2, "responder sends a message after Pake3");
                opcode = o;
                payload = p;
            }
            Ok(ResponderStep::Established {
                session,
                status_payload,
            }) => {
                assert_eq!(round, 2, "responder established before Pake3");
                responder_outcome = Some(Ok(session));
                opcode = Op::StatusReport;
                payload = status_payload;
            }
            Err(failure) => {
                assert!(responder_state.is_finished());
                let status = failure.status_report_payload();
                responder_outcome = Some(Err(failure));
                let initiator = match status {
                    Some(status) => match initiator.handle(Op::StatusReport.as_u8(), &status) {
                        Ok(_) => panic!("initiator accepted a failure report"),
                        Err(failure) => Err(failure),
                    },
                    None => Err(PaseFailure {
                        error: PaseError::Finished,
                        status_report: None,
                    }),
                };
                return Outcome {
                    initiator,
                    responder: responder_outcome,
                };
            }
        }
        if round == 2 {
            tamper(Msg::Status, &mut payload);
        } else {
            tamper(to_initiator[round], &mut payload);
        }
        match initiator.handle(opcode.as_u8(), &payload) {
            Ok(InitiatorStep::Send {
                opcode: o,
                payload: p,
            }) => {
                assert!(round < 2, "initiator sends after the final status");
                opcode = o;
                payload = p;
            }
            Ok(InitiatorStep::Established(session)) => {
                assert_eq!(round, 2, "initiator established early");
                return Outcome {
                    initiator: Ok(session),
                    responder: responder_outcome,
                };
            }
            Err(failure) => {
                assert!(initiator.is_finished());
                if let Some(status) = failure.status_report_payload()
                    && round < 2
                {
                    // The responder waits for the next message; it gets the report.
                    let got = responder_state.handle(&mut rng, Op::StatusReport.as_u8(), &status);
                    let err = got.expect_err("responder accepted a failure report");
                    assert_eq!(err.status_report, None, "no answer to a StatusReport");
                    responder_outcome = Some(Err(err));
                }
                return Outcome {
                    initiator: Err(failure),
                    responder: responder_outcome,
                };
            }
        }
    }
    unreachable!("three rounds always end in a return")
}

fn assert_same_session(a: &PaseEstablished, b: &PaseEstablished) {
    assert_eq!(a.shared_secret(), b.shared_secret());
    let (ka, kb) = (
        a.session_key_material().unwrap(),
        b.session_key_material().unwrap(),
    );
    assert_eq!(ka.i2r, kb.i2r);
    assert_eq!(ka.r2i, kb.r2i);
    assert_eq!(ka.attestation_challenge, kb.attestation_challenge);
    assert_eq!(a.local_session_id(), b.peer_session_id());
    assert_eq!(a.peer_session_id(), b.local_session_id());
}

#[test]
fn typed_handshake_succeeds_with_equal_keys() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let responder = responder();
    let (init, request) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(INITIATOR_ID),
        initiator_params(),
    );
    let (resp, response) = responder
        .handle_pbkdf_request(&mut rng, id(RESPONDER_ID), &request)
        .unwrap();
    let (init, pake1) = init.handle(&response).unwrap();
    let (resp, pake2) = resp.handle(&pake1).unwrap();
    let (init, pake3) = init.handle(&pake2).unwrap();
    let (at_responder, status) = resp.handle(&pake3).unwrap();
    let at_initiator = init.handle(&status).unwrap();

    assert_same_session(&at_initiator, &at_responder);
    assert_eq!(at_initiator.role(), PaseRole::Initiator);
    assert_eq!(at_responder.role(), PaseRole::Responder);
    assert_eq!(at_initiator.local_session_id(), INITIATOR_ID);
    assert_eq!(at_responder.local_session_id(), RESPONDER_ID);
    assert_eq!(*at_initiator.peer_parameters(), responder_params());
    assert_eq!(*at_responder.peer_parameters(), initiator_params());
    assert_eq!(
        StatusReport::decode(&status).unwrap(),
        StatusReport::success()
    );
    // The same responder serves a second, independent attempt.
    let (_, request2) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(7),
        initiator_params(),
    );
    assert!(
        responder
            .handle_pbkdf_request(&mut rng, id(8), &request2)
            .is_ok()
    );
}

#[test]
fn dynamic_handshake_succeeds_with_equal_keys() {
    let outcome = run(2, PASSCODE, |_, _| {});
    let initiator = outcome.initiator.unwrap();
    let responder = outcome.responder.unwrap().unwrap();
    assert_same_session(&initiator, &responder);
    // Different seeds give different keys.
    let other = run(3, PASSCODE, |_, _| {}).initiator.unwrap();
    assert_ne!(other.shared_secret(), initiator.shared_secret());
}

#[test]
fn wrong_passcode_fails_at_pake2_and_nobody_establishes() {
    let outcome = run(4, PASSCODE + 1, |_, _| {});
    let failure = outcome.initiator.expect_err("initiator must not establish");
    assert_eq!(failure.error, PaseError::ConfirmationMismatch);
    assert_eq!(failure.status_report, invalid_parameter());
    assert_eq!(
        failure.status_report_payload(),
        Some(vec![1, 0, 0, 0, 0, 0, 2, 0])
    );
    // The responder, waiting for Pake3, got INVALID_PARAMETER and gave up silently.
    let responder = outcome
        .responder
        .expect("responder saw the report")
        .expect_err("responder must not establish");
    assert_eq!(
        responder.error,
        PaseError::PeerStatus {
            report: StatusReport::invalid_parameter()
        }
    );
    assert_eq!(responder.status_report, None);
}

/// Positions to flip in a message of `len` bytes: every byte of short messages, a spread of
/// bytes (first, last, and a stride) of long ones, to keep the debug-build run short.
fn positions(len: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..len).step_by(11).collect();
    at.extend([1, 2, 3, len / 2, len - 2, len - 1]);
    at.sort_unstable();
    at.dedup();
    at.retain(|&i| i < len);
    at
}

#[test]
fn tampering_with_any_message_fails_cleanly() {
    // Lengths of the honest messages, to know where to flip.
    let mut lengths = std::collections::BTreeMap::new();
    let honest = run(5, PASSCODE, |msg, payload| {
        lengths.insert(format!("{msg:?}"), payload.len());
    });
    assert!(honest.initiator.is_ok());
    for msg in [
        Msg::Request,
        Msg::Response,
        Msg::Pake1,
        Msg::Pake2,
        Msg::Pake3,
    ] {
        let len = lengths[&format!("{msg:?}")];
        let mut edits: Vec<Edit> = Vec::new();
        for at in positions(len) {
            edits.push(Box::new(move |p: &mut Vec<u8>| p[at] ^= 0x01));
        }
        edits.push(Box::new(|p: &mut Vec<u8>| {
            p.pop();
        }));
        edits.push(Box::new(|p: &mut Vec<u8>| p.push(0)));
        edits.push(Box::new(|p: &mut Vec<u8>| p.clear()));
        for (n, edit) in edits.iter().enumerate() {
            let outcome = run(5, PASSCODE, |m, p| {
                if m == msg {
                    edit(p);
                }
            });
            let what = format!("{msg:?} edit #{n}");
            let initiator = outcome.initiator.expect_err(&what);
            assert!(
                !matches!(outcome.responder, Some(Ok(_))),
                "responder established after tampering: {what}"
            );
            // Whoever detected the tampering owes the peer INVALID_PARAMETER.
            let detector = match &outcome.responder {
                Some(Err(f)) if f.status_report.is_some() => f,
                _ => &initiator,
            };
            assert_eq!(detector.status_report, invalid_parameter(), "{what}");
        }
    }
}

#[test]
fn tampering_with_the_final_status_fails_the_initiator() {
    for at in 0..8 {
        let outcome = run(6, PASSCODE, |m, p| {
            if m == Msg::Status {
                p[at] ^= 0x01;
            }
        });
        // The responder already established; the initiator must not.
        assert!(matches!(outcome.responder, Some(Ok(_))));
        let failure = outcome.initiator.expect_err("tampered success accepted");
        assert!(
            matches!(failure.error, PaseError::PeerStatus { .. }),
            "{:?}",
            failure.error
        );
        assert_eq!(failure.status_report, None);
    }
}

#[test]
fn wrong_state_messages_are_typed_errors() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    // Initiator waiting for the response gets Pake2.
    let (mut init, _) = PaseInitiatorState::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(1),
        initiator_params(),
    );
    assert_eq!(init.expected_opcode(), Some(Op::PbkdfParamResponse));
    let err = init.handle(Op::Pake2.as_u8(), &[0x15, 0x18]).unwrap_err();
    assert_eq!(
        err.error,
        PaseError::UnexpectedMessage {
            opcode: Op::Pake2.as_u8(),
            expected: Op::PbkdfParamResponse
        }
    );
    assert_eq!(err.status_report, invalid_parameter());
    assert!(init.is_finished());
    assert_eq!(init.expected_opcode(), None);
    let err = init
        .handle(Op::PbkdfParamResponse.as_u8(), &[])
        .unwrap_err();
    assert_eq!(err.error, PaseError::Finished);
    assert_eq!(err.status_report, None);

    // Responder: Pake3 first, an unknown opcode, a standalone ack.
    for opcode in [
        Op::Pake3.as_u8(),
        0x99,
        Op::StandaloneAck.as_u8(),
        Op::Sigma1.as_u8(),
    ] {
        let mut resp = PaseResponderState::new(responder(), id(2));
        let err = resp.handle(&mut rng, opcode, &[]).unwrap_err();
        assert_eq!(
            err.error,
            PaseError::UnexpectedMessage {
                opcode,
                expected: Op::PbkdfParamRequest
            }
        );
        assert_eq!(err.status_report, invalid_parameter());
        assert!(resp.is_finished());
        let again = resp.handle(&mut rng, Op::PbkdfParamRequest.as_u8(), &[]);
        assert_eq!(again.unwrap_err().error, PaseError::Finished);
    }

    // Responder in AwaitPake1 gets the request again, then a StatusReport.
    let (_, request) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(3),
        initiator_params(),
    );
    let mut resp = PaseResponderState::new(responder(), id(4));
    assert!(matches!(
        resp.handle(&mut rng, Op::PbkdfParamRequest.as_u8(), &request),
        Ok(ResponderStep::Send {
            opcode: Op::PbkdfParamResponse,
            ..
        })
    ));
    assert_eq!(resp.expected_opcode(), Some(Op::Pake1));
    let err = resp
        .handle(&mut rng, Op::PbkdfParamRequest.as_u8(), &request)
        .unwrap_err();
    assert!(matches!(err.error, PaseError::UnexpectedMessage { .. }));

    let mut resp = PaseResponderState::new(responder(), id(4));
    resp.handle(&mut rng, Op::PbkdfParamRequest.as_u8(), &request)
        .unwrap();
    let busy = busy_status_payload(1500);
    let err = resp
        .handle(&mut rng, Op::StatusReport.as_u8(), &busy)
        .unwrap_err();
    assert_eq!(err.status_report, None);
    let PaseError::PeerStatus { report } = err.error else {
        panic!("expected PeerStatus");
    };
    assert_eq!(report.busy_wait_ms(), Some(1500));
    // A StatusReport too short to decode is answered with INVALID_PARAMETER.
    let mut resp = PaseResponderState::new(responder(), id(4));
    let err = resp
        .handle(&mut rng, Op::StatusReport.as_u8(), &[0, 0])
        .unwrap_err();
    assert!(matches!(err.error, PaseError::MalformedStatusReport(_)));
    assert_eq!(err.status_report, invalid_parameter());
}

#[test]
fn initiator_stops_on_busy_without_answering() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let (init, _) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(1),
        initiator_params(),
    );
    let failure = init.handle_status_report(&busy_status_payload(250));
    assert_eq!(failure.status_report, None);
    let PaseError::PeerStatus { report } = failure.error else {
        panic!("expected PeerStatus");
    };
    assert_eq!(report.general_code, GeneralCode::Busy);
    assert_eq!(
        report.secure_channel_status(),
        Some(SecureChannelStatus::Busy)
    );
    assert_eq!(report.busy_wait_ms(), Some(250));
}

fn honest_request(rng: &mut ChaCha20Rng) -> PbkdfParamRequest {
    let (_, request) = PaseInitiator::start(
        rng,
        Passcode::new(PASSCODE).unwrap(),
        id(INITIATOR_ID),
        initiator_params(),
    );
    PbkdfParamRequest::decode(&request).unwrap()
}

#[test]
fn responder_rejects_zero_session_id_and_other_passcode_ids() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let responder = responder();
    let zero_id = PbkdfParamRequest {
        initiator_session_id: 0,
        ..honest_request(&mut rng)
    };
    let err = responder
        .handle_pbkdf_request(&mut rng, id(1), &zero_id.encode())
        .unwrap_err();
    assert_eq!(err.error, PaseError::ZeroPeerSessionId);
    assert_eq!(err.status_report, invalid_parameter());

    let other_passcode = PbkdfParamRequest {
        passcode_id: 1,
        ..honest_request(&mut rng)
    };
    let err = responder
        .handle_pbkdf_request(&mut rng, id(1), &other_passcode.encode())
        .unwrap_err();
    assert_eq!(err.error, PaseError::UnsupportedPasscodeId(1));
    assert_eq!(err.status_report, invalid_parameter());

    let err = responder
        .handle_pbkdf_request(&mut rng, id(1), &[0x15, 0x18])
        .unwrap_err();
    assert!(matches!(
        err.error,
        PaseError::Malformed {
            message: Op::PbkdfParamRequest,
            source: MessageError::Tlv(_)
        }
    ));
    assert_eq!(err.status_report, invalid_parameter());
}

#[test]
fn responder_omits_pbkdf_parameters_when_the_initiator_has_them() {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let knows = PbkdfParamRequest {
        has_pbkdf_parameters: true,
        initiator_session_params: None,
        ..honest_request(&mut rng)
    };
    let (pake1_state, response) = responder()
        .handle_pbkdf_request(&mut rng, id(1), &knows.encode())
        .unwrap();
    let response = PbkdfParamResponse::decode(&response).unwrap();
    assert_eq!(response.pbkdf_parameters, None);
    assert_eq!(response.initiator_random, knows.initiator_random);
    drop(pake1_state);
    let asks = honest_request(&mut rng);
    let (_, response) = responder()
        .handle_pbkdf_request(&mut rng, id(1), &asks.encode())
        .unwrap();
    let response = PbkdfParamResponse::decode(&response).unwrap();
    assert_eq!(response.pbkdf_parameters, Some(pbkdf()));
    assert_eq!(response.responder_session_id, 1);
}

/// Runs the initiator against a response the test rewrites after the honest responder built it.
fn initiator_against(edit: impl FnOnce(&mut PbkdfParamResponse)) -> PaseFailure {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (init, request) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(1),
        initiator_params(),
    );
    let (_, response) = responder()
        .handle_pbkdf_request(&mut rng, id(2), &request)
        .unwrap();
    let mut response = PbkdfParamResponse::decode(&response).unwrap();
    edit(&mut response);
    init.handle(&response.encode()).unwrap_err()
}

#[test]
fn initiator_rejects_bad_responses() {
    let err = initiator_against(|r| r.responder_session_id = 0);
    assert_eq!(err.error, PaseError::ZeroPeerSessionId);
    assert_eq!(err.status_report, invalid_parameter());
    let err = initiator_against(|r| r.initiator_random[31] ^= 0x80);
    assert_eq!(err.error, PaseError::InitiatorRandomMismatch);
    assert_eq!(err.status_report, invalid_parameter());
    let err = initiator_against(|r| r.pbkdf_parameters = None);
    assert_eq!(err.error, PaseError::MissingPbkdfParameters);
    assert_eq!(err.status_report, invalid_parameter());
}

#[test]
fn invalid_points_are_rejected_with_invalid_parameter() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let (_, request) = PaseInitiator::start(
        &mut rng,
        Passcode::new(PASSCODE).unwrap(),
        id(1),
        initiator_params(),
    );
    // A 65-byte string that is not on the curve (x = y = 1).
    let mut not_a_point = [0u8; 65];
    not_a_point[0] = 4;
    not_a_point[32] = 1;
    not_a_point[64] = 1;
    // A compressed-form prefix in 65 bytes.
    let mut compressed_tag = not_a_point;
    compressed_tag[0] = 2;
    for bad in [not_a_point, compressed_tag] {
        let (resp, _) = responder()
            .handle_pbkdf_request(&mut rng, id(2), &request)
            .unwrap();
        let pake1 = paseo_core::pase::messages::Pake1 { pa: bad }.encode();
        let err = resp.handle(&pake1).unwrap_err();
        assert_eq!(err.error, PaseError::Spake2p(Spake2pError::InvalidPoint));
        assert_eq!(err.status_report, invalid_parameter());
    }
    // Random 65-byte strings with the 0x04 prefix are (overwhelmingly) off the curve.
    let mut random = [0u8; 65];
    rng.fill_bytes(&mut random);
    random[0] = 4;
    let (resp, _) = responder()
        .handle_pbkdf_request(&mut rng, id(2), &request)
        .unwrap();
    let err = resp
        .handle(&paseo_core::pase::messages::Pake1 { pa: random }.encode())
        .unwrap_err();
    assert_eq!(err.error, PaseError::Spake2p(Spake2pError::InvalidPoint));
}
