//! Property tests for the CASE state machines (Matter 1.3 §4.14.2): for any fabric
//! (seed, fabric id, with or without ICAC) and any two nodes (ids, CATs) a full handshake and
//! a resumption always succeed with equal keys and the issued identities; arbitrary bytes fed
//! to each responder state, and any single-byte change to an honest Sigma3, never panic and
//! never establish a session.

mod case_harness;

use std::collections::BTreeSet;

use case_harness::{RESPONDER_SESSION, assert_matching, handshake, policy, records, sid};
use paseo_core::case::{CaseInitiator, CaseResponderState, CaseStep, OperationalCredentials};
use paseo_core::cert::{TestCa, TestCaConfig};
use paseo_core::codec::{GeneralCode, SecureChannelStatus, StatusReport};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionRecord, SessionParameters};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

/// Up to three CATs with distinct identifiers and non-zero versions (Matter 1.3 §6.5.6.1).
fn arb_cats() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::btree_set(any::<u16>(), 0..=3).prop_flat_map(|ids: BTreeSet<u16>| {
        let n = ids.len();
        prop::collection::vec(1u16..=u16::MAX, n).prop_map(move |versions| {
            ids.iter()
                .zip(versions)
                .map(|(&id, version)| (u32::from(id) << 16) | u32::from(version))
                .collect()
        })
    })
}

fn arb_node() -> impl Strategy<Value = u64> {
    1u64..=0xFFFF_FFEF_FFFF_FFFF
}

/// A fabric with a controller and a device, each with its own CATs.
#[derive(Debug)]
struct Pair {
    controller: OperationalCredentials,
    device: OperationalCredentials,
}

prop_compose! {
    fn arb_pair()(
        seed in any::<u64>(),
        icac in any::<bool>(),
        fabric_id in 1u64..,
        controller_node in arb_node(),
        device_node in arb_node(),
        controller_cats in arb_cats(),
        device_cats in arb_cats(),
        controller_index in 1u8..=254,
        device_index in 1u8..=254,
    ) -> Pair {
        let config = TestCaConfig {
            fabric_id,
            icac_id: icac.then_some(seed | 1),
            ..TestCaConfig::default()
        };
        let mut ca = TestCa::from_seed(seed, config).expect("CA builds");
        let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5EED);
        let epoch = [seed.to_le_bytes(), fabric_id.to_be_bytes()].concat();
        let epoch: [u8; 16] = epoch.try_into().expect("16 bytes");
        let mut creds = |index, node, cats: &[u32]| {
            OperationalCredentials::from_test_ca(
                &mut ca, FabricIndex(index), NodeId(node), cats, epoch, &mut rng,
            )
            .expect("credentials")
        };
        Pair {
            controller: creds(controller_index, controller_node, &controller_cats),
            device: creds(device_index, device_node, &device_cats),
        }
    }
}

/// A responder that already answered an honest Sigma1 with Sigma2, and that Sigma2.
fn responder_after_sigma2(
    pair: &Pair,
    rng: &mut ChaCha20Rng,
) -> (CaseResponderState, Vec<u8>, Vec<u8>) {
    let (initiator, sigma1) = CaseInitiator::start(
        rng,
        &pair.controller,
        pair.device.node_id(),
        sid(1),
        SessionParameters::paseo_default(),
        None,
    )
    .expect("Sigma1");
    let mut state = CaseResponderState::new(sid(RESPONDER_SESSION), Default::default());
    let step = state
        .handle(
            rng,
            0x30,
            &sigma1,
            std::slice::from_ref(&pair.device),
            |_: &_| None::<ResumptionRecord>,
            &policy(),
        )
        .expect("Sigma2");
    let CaseStep::Send {
        payload: sigma2, ..
    } = step
    else {
        panic!("Sigma2 expected")
    };
    let (_, sigma3) = initiator.handle_sigma2(&sigma2, &policy()).expect("Sigma3");
    (state, sigma2, sigma3)
}

fn is_success(payload: &[u8]) -> bool {
    StatusReport::decode(payload).is_ok_and(|r| {
        r.general_code == GeneralCode::Success
            && r.secure_channel_status() == Some(SecureChannelStatus::SessionEstablishmentSuccess)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn handshake_and_resumption_always_succeed(pair in arb_pair(), seed in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let device = std::slice::from_ref(&pair.device);
        let full = handshake(
            &mut rng, &pair.controller, pair.device.node_id(), None, device, &[], &policy(),
        ).expect("full CASE");
        assert_matching(&full);
        prop_assert!(!full.initiator.is_resumption());
        prop_assert_eq!(full.initiator.peer_node_id(), pair.device.node_id());
        prop_assert_eq!(full.responder.peer_node_id(), pair.controller.node_id());
        prop_assert_eq!(full.initiator.peer_cats(), pair.device.cats());
        prop_assert_eq!(full.responder.peer_cats(), pair.controller.cats());
        prop_assert_eq!(full.initiator.fabric_index(), pair.controller.fabric_index());
        prop_assert_eq!(full.responder.fabric_index(), pair.device.fabric_index());

        let resumed = handshake(
            &mut rng,
            &pair.controller,
            pair.device.node_id(),
            Some(&full.initiator.resumption_record()),
            device,
            &[full.responder.resumption_record()],
            &policy(),
        ).expect("resumption");
        assert_matching(&resumed);
        prop_assert!(resumed.initiator.is_resumption());
        prop_assert_eq!(resumed.responder.peer_cats(), pair.controller.cats());
        prop_assert_ne!(
            resumed.initiator.resumption_record().resumption_id,
            full.initiator.resumption_record().resumption_id
        );
    }

    #[test]
    fn random_bytes_never_establish_at_await_sigma1(
        pair in arb_pair(),
        seed in any::<u64>(),
        messages in prop::collection::vec(
            (prop_oneof![Just(0x30u8), Just(0x32), Just(0x40), any::<u8>()],
             prop::collection::vec(any::<u8>(), 0..300)),
            1..4,
        ),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut state = CaseResponderState::new(sid(RESPONDER_SESSION), Default::default());
        let saved = [];
        for (opcode, payload) in &messages {
            let result = state.handle(
                &mut rng, *opcode, payload, std::slice::from_ref(&pair.device),
                records(&saved), &policy(),
            );
            match result {
                Ok(CaseStep::Established { .. }) => prop_assert!(false, "established on noise"),
                // Random bytes name our fabric with probability 2^-256.
                Ok(CaseStep::Send { .. }) => prop_assert!(false, "answered noise"),
                Err(failure) => {
                    prop_assert!(state.is_finished());
                    if let Some(status) = failure.status_report_payload() {
                        prop_assert!(StatusReport::decode(&status).is_ok());
                    }
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_establish_at_await_sigma3(
        pair in arb_pair(),
        seed in any::<u64>(),
        opcode in prop_oneof![Just(0x32u8), Just(0x40), any::<u8>()],
        payload in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (mut state, _, _) = responder_after_sigma2(&pair, &mut rng);
        let result = state.handle(
            &mut rng, opcode, &payload, std::slice::from_ref(&pair.device),
            |_: &_| None, &policy(),
        );
        prop_assert!(result.is_err(), "noise accepted as Sigma3");
        prop_assert!(state.is_finished());
    }

    #[test]
    fn changed_sigma3_never_establishes(
        pair in arb_pair(),
        seed in any::<u64>(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (mut state, _, mut sigma3) = responder_after_sigma2(&pair, &mut rng);
        let i = at.index(sigma3.len());
        sigma3[i] ^= mask;
        let result = state.handle(
            &mut rng, 0x32, &sigma3, std::slice::from_ref(&pair.device), |_: &_| None,
            &policy(),
        );
        let failure = result.expect_err("a changed Sigma3 must not establish");
        prop_assert!(failure.status_report.is_some(), "the initiator is told");
    }

    #[test]
    fn random_bytes_at_await_resume_status_establish_only_on_success(
        pair in arb_pair(),
        seed in any::<u64>(),
        opcode in prop_oneof![Just(0x40u8), any::<u8>()],
        payload in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..16),
            Just(vec![0u8; 8]),
        ],
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let device = std::slice::from_ref(&pair.device);
        let full = handshake(
            &mut rng, &pair.controller, pair.device.node_id(), None, device, &[], &policy(),
        ).expect("full CASE");
        let (_, sigma1) = CaseInitiator::start(
            &mut rng,
            &pair.controller,
            pair.device.node_id(),
            sid(1),
            SessionParameters::paseo_default(),
            Some(&full.initiator.resumption_record()),
        ).expect("Sigma1");
        let mut state = CaseResponderState::new(sid(RESPONDER_SESSION), Default::default());
        let saved = [full.responder.resumption_record()];
        let step = state.handle(&mut rng, 0x30, &sigma1, device, records(&saved), &policy());
        prop_assert!(matches!(step, Ok(CaseStep::Send { .. })), "Sigma2_Resume expected");
        let result = state.handle(&mut rng, opcode, &payload, device, |_: &_| None, &policy());
        let success = opcode == 0x40 && is_success(&payload);
        prop_assert_eq!(matches!(result, Ok(CaseStep::Established { .. })), success);
        prop_assert!(state.is_finished());
    }

    #[test]
    fn typed_responder_never_panics_on_noise(
        pair in arb_pair(),
        seed in any::<u64>(),
        payload in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let result = paseo_core::case::CaseResponder::handle_sigma1(
            &mut rng, &payload, std::slice::from_ref(&pair.device), |_: &_| None,
            sid(7), SessionParameters::paseo_default(),
        );
        prop_assert!(result.is_err(), "noise accepted as Sigma1");
    }
}
