//! Handshake actions of the driver: PASE pairing (right and wrong passcode, two commissioners
//! at once), expectations, labelled actions, sequences and parallel groups.

mod common;

use std::time::Duration;

use paseo_core::session::SessionKind;
use paseo_sim::{
    Action, Commissioning, CountRange, EventKind, Expectation, NodeSpec, Outcome, Simulation,
};

const PASSCODE: u32 = 20202021;

fn device(node_id: u64) -> NodeSpec {
    let mut spec = NodeSpec::new(node_id);
    spec.commissioning = Some(Commissioning::with_passcode(PASSCODE));
    spec
}

fn session(node: &str, peer: &str, kind: SessionKind, present: bool) -> Expectation {
    Expectation::Session {
        node: node.into(),
        peer: peer.into(),
        kind: Some(kind),
        present,
    }
}

fn setup(test: &str) -> Simulation {
    let mut sim = common::simulation(11, test);
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", device(2)).unwrap();
    sim
}

#[test]
fn pairing_opens_a_pase_session_that_carries_traffic() {
    let mut sim = setup("pairing_opens_a_pase_session_that_carries_traffic");
    let pair = sim.then(Action::pair("ctrl", "dev"));
    sim.then(Action::Expect {
        expectation: Expectation::All(vec![
            session("ctrl", "dev", SessionKind::Pase, true),
            session("dev", "ctrl", SessionKind::Pase, true),
            session("dev", "ctrl", SessionKind::Case, false),
        ]),
        within: Duration::ZERO,
    });
    let x = sim.then(Action::exchange("dev", "ctrl", 2, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    assert!(matches!(
        report.actions[&pair].outcome,
        Some(Outcome::Established {
            is_pase: true,
            is_resumption: false,
            ..
        })
    ));
    assert!(
        report.outcomes().iter().all(|(_, o)| o.is_ok()),
        "{:?}",
        report.outcomes()
    );
    assert_eq!(
        report.actions[&x].outcome,
        Some(Outcome::Exchanged { sent: 2 })
    );
}

#[test]
fn a_wrong_passcode_fails_the_pair_action_and_the_expectation_sees_it() {
    let mut sim = setup("a_wrong_passcode_fails_the_pair_action");
    sim.then(Action::labelled(
        "bad",
        Action::Pair {
            commissioner: "ctrl".into(),
            device: "dev".into(),
            passcode: Some(20202022),
        },
    ));
    let seen = sim.then(Action::Expect {
        expectation: Expectation::All(vec![
            Expectation::Outcome {
                label: "bad".into(),
                ok: false,
                reason: Some("wrong passcode".into()),
            },
            Expectation::Events {
                node: "dev".into(),
                peer: Some("ctrl".into()),
                kind: EventKind::HandshakeFailed,
                detail: None,
                count: CountRange::exactly(1),
            },
            session("ctrl", "dev", SessionKind::Pase, false),
        ]),
        within: Duration::from_secs(1),
    });
    let wrong = sim.then(Action::Expect {
        expectation: session("ctrl", "dev", SessionKind::Pase, true),
        within: Duration::ZERO,
    });
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    let bad = report.outcome_of("bad").expect("labelled");
    assert!(
        matches!(&bad.outcome, Some(Outcome::Failed(why)) if why.contains("Pase handshake failed")),
        "{bad:?}"
    );
    assert_eq!(report.actions[&seen].outcome, Some(Outcome::Done));
    assert!(
        matches!(&report.actions[&wrong].outcome, Some(Outcome::Failed(why)) if why.contains("holds no pase session")),
        "{:?}",
        report.actions[&wrong]
    );
}

#[test]
fn a_second_commissioner_is_told_busy_while_the_first_pairs() {
    let mut sim = common::simulation(12, "a_second_commissioner_is_told_busy");
    sim.add_node("a", NodeSpec::new(1)).unwrap();
    sim.add_node("b", NodeSpec::new(3)).unwrap();
    sim.add_node("dev", device(2)).unwrap();
    let group = sim.then(Action::Parallel(vec![
        Action::labelled("first", Action::pair("a", "dev")),
        Action::labelled(
            "second",
            Action::Sequence(vec![
                Action::Wait(Duration::from_millis(3)),
                Action::pair("b", "dev"),
            ]),
        ),
    ]));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    assert!(
        report
            .outcome_of("first")
            .unwrap()
            .outcome
            .as_ref()
            .unwrap()
            .is_ok()
    );
    let second = report.outcome_of("second").unwrap();
    assert!(
        matches!(&second.outcome, Some(Outcome::Failed(why)) if why.contains("busy")),
        "{second:?}"
    );
    assert!(matches!(
        report.actions[&group].outcome,
        Some(Outcome::Failed(_))
    ));
}

#[test]
fn a_sequence_stops_at_its_first_failure() {
    let mut sim = setup("a_sequence_stops_at_its_first_failure");
    let seq = sim.then(Action::Sequence(vec![
        Action::exchange("ctrl", "dev", 1, true),
        Action::labelled("never", Action::pair("ctrl", "dev")),
    ]));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(5)));
    assert!(
        matches!(&report.actions[&seq].outcome, Some(Outcome::Failed(why)) if why.contains("no session"))
    );
    assert!(report.outcome_of("never").is_none());
}

#[test]
fn fabric_actions_wait_for_case_in_the_node() {
    let mut sim = setup("fabric_actions_wait_for_case_in_the_node");
    sim.add_fabric(1, true).unwrap();
    assert!(
        sim.add_fabric(1, false).is_err(),
        "a fabric index is used once"
    );
    assert!(sim.add_fabric(0, false).is_err(), "index 0 is reserved");
    let join = sim.then(Action::JoinFabric {
        node: "ctrl".into(),
        fabric: 1,
    });
    let case = sim.then(Action::Case {
        initiator: "ctrl".into(),
        responder: "dev".into(),
        fabric: 1,
    });
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(5)));
    if paseo_sim::CASE_IN_NODE {
        assert!(
            report.actions[&join]
                .outcome
                .as_ref()
                .is_some_and(Outcome::is_ok)
        );
    } else {
        for id in [join, case] {
            assert_eq!(
                report.actions[&id].outcome,
                Some(Outcome::Failed(paseo_sim::CASE_MISSING.into()))
            );
        }
        assert_eq!(Simulation::capabilities(), &["pase"]);
    }
}
