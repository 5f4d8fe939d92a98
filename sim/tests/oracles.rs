//! Each oracle fires on a node broken on purpose (paseo-core's hidden `NodeFaults`), and stays
//! silent on the same scenario with a healthy node.

mod common;

use std::time::Duration;

use paseo_core::node::NodeFaults;
use paseo_sim::{Action, EndReason, Impairments, NodeSpec, OracleKind, RunReport, Simulation};

fn spec(node_id: u64, faults: NodeFaults) -> NodeSpec {
    let mut spec = NodeSpec::new(node_id);
    spec.config.faults = faults;
    spec
}

/// ctrl and dev with a session; `faulty` gets the faults.
fn pair(test: &str, faulty: &str, faults: NodeFaults) -> Simulation {
    let mut sim = common::simulation(50, test);
    let pick = |name: &str| {
        if name == faulty {
            faults
        } else {
            NodeFaults::default()
        }
    };
    sim.add_node("ctrl", spec(1, pick("ctrl"))).unwrap();
    sim.add_node("dev", spec(2, pick("dev"))).unwrap();
    sim.at(Duration::ZERO, Action::install("ctrl", "dev"));
    sim
}

fn run(sim: &mut Simulation) -> RunReport {
    sim.run(common::options(Duration::from_secs(30)))
}

/// The run stopped on `oracle`, first.
#[track_caller]
fn tripped(report: &RunReport, oracle: OracleKind, node: &str) {
    assert_eq!(report.end, EndReason::Violation, "{}", report.trace.text());
    let first = &report.violations[0];
    assert_eq!(first.oracle, oracle, "{:?}", report.violations);
    assert_eq!(first.node, node, "{first}");
}

fn reuse_scenario(faults: NodeFaults) -> RunReport {
    let mut sim = pair("reuse_counter_trips_nonce_reuse", "ctrl", faults);
    sim.at(
        Duration::from_millis(5),
        Action::exchange("ctrl", "dev", 2, true),
    );
    run(&mut sim)
}

#[test]
fn reuse_counter_trips_nonce_reuse() {
    let report = reuse_scenario(NodeFaults {
        reuse_counter: true,
        ..NodeFaults::default()
    });
    tripped(&report, OracleKind::NonceReuse, "ctrl");
    assert!(report.violations[0].datagram.is_some());
    assert!(reuse_scenario(NodeFaults::default()).is_ok());
}

fn duplicate_scenario(faults: NodeFaults) -> RunReport {
    let mut sim = pair("deliver_duplicates_trips_duplicate_delivery", "dev", faults);
    // Every datagram from ctrl to dev arrives twice.
    sim.set_link(
        "ctrl",
        "dev",
        Impairments {
            duplicate: 1.0,
            ..Impairments::default()
        },
    )
    .unwrap();
    sim.at(
        Duration::from_millis(5),
        Action::exchange("ctrl", "dev", 1, true),
    );
    run(&mut sim)
}

#[test]
fn deliver_duplicates_trips_duplicate_delivery() {
    let report = duplicate_scenario(NodeFaults {
        deliver_duplicates: true,
        ..NodeFaults::default()
    });
    tripped(&report, OracleKind::DuplicateDelivery, "dev");
    let healthy = duplicate_scenario(NodeFaults::default());
    healthy.assert_ok();
    assert!(healthy.stats["dev"].duplicates >= 1);
}

fn forget_ack_scenario(faults: NodeFaults) -> RunReport {
    let mut sim = pair("forget_ack_trips_liveness", "dev", faults);
    sim.at(
        Duration::from_millis(5),
        Action::exchange("ctrl", "dev", 1, true),
    );
    run(&mut sim)
}

#[test]
fn forget_ack_trips_liveness() {
    let report = forget_ack_scenario(NodeFaults {
        forget_ack: true,
        ..NodeFaults::default()
    });
    // The fault-phase message fails (delivered, never acked: allowed by MRP); the liveness
    // probe from ctrl fails on a healed network, which is not.
    tripped(&report, OracleKind::Liveness, "sim");
    assert!(report.violations[0].detail.contains("probe failed"));
    assert!(forget_ack_scenario(NodeFaults::default()).is_ok());
}

fn closed_timers_scenario(faults: NodeFaults) -> RunReport {
    let mut sim = pair(
        "keep_closed_session_timers_trips_closed_session_traffic",
        "ctrl",
        faults,
    );
    let ms = Duration::from_millis;
    // A reliable message stays outstanding behind a partition; then ctrl closes the session.
    sim.at(ms(5), Action::partition("ctrl", "dev"));
    sim.at(ms(10), Action::exchange("ctrl", "dev", 1, true));
    sim.at(ms(500), Action::close("ctrl", "dev", true, false));
    run(&mut sim)
}

#[test]
fn keep_closed_session_timers_trips_closed_session_traffic() {
    let report = closed_timers_scenario(NodeFaults {
        keep_closed_session_timers: true,
        ..NodeFaults::default()
    });
    tripped(&report, OracleKind::ClosedSessionTraffic, "ctrl");
    assert!(report.violations[0].at > paseo_core::time::Instant::from_millis(500));
    let healthy = closed_timers_scenario(NodeFaults::default());
    healthy.assert_ok();
    assert_eq!(
        common::lines_with(&healthy, &["delivery failed (session closed)"]).len(),
        1
    );
}

fn skew_scenario(faults: NodeFaults) -> RunReport {
    let mut sim = pair(
        "skew_peer_session_id_trips_session_mismatch",
        "ctrl",
        faults,
    );
    sim.at(
        Duration::from_millis(5),
        Action::exchange("dev", "ctrl", 1, true),
    );
    run(&mut sim)
}

#[test]
fn skew_peer_session_id_trips_session_mismatch() {
    let report = skew_scenario(NodeFaults {
        skew_peer_session_id: true,
        ..NodeFaults::default()
    });
    tripped(&report, OracleKind::SessionMismatch, "sim");
    assert!(skew_scenario(NodeFaults::default()).is_ok());
}

#[test]
fn a_failure_report_names_seed_scenario_and_replay_command() {
    let report = reuse_scenario(NodeFaults {
        reuse_counter: true,
        ..NodeFaults::default()
    });
    let hint = report.replay_hint();
    assert!(hint.contains(&format!("seed={}", report.seed)), "{hint}");
    assert!(
        hint.contains("scenario=reuse_counter_trips_nonce_reuse"),
        "{hint}"
    );
    assert!(
        hint.contains(&format!(
            "PASEO_SEED={} cargo test -p paseo-sim --test oracles",
            report.seed
        )),
        "{hint}"
    );
    let panic = std::panic::catch_unwind(|| report.assert_ok()).expect_err("must panic");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("nonce-reuse") && text.contains("PASEO_SEED="),
        "{text}"
    );
}
