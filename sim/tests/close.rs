//! Closing sessions (Matter 1.3 §4.11; matter.js `session/NodeSession.ts`): after the running
//! exchange, at once, with and without CloseSession; the oracles check that nothing is sent into a
//! closed session and that a CloseSession empties the peer's table.

mod common;

use std::time::Duration;

use paseo_sim::{Action, Impairments, NodeSpec, Outcome, RunReport, Simulation};

fn setup(test: &str) -> Simulation {
    let mut sim = common::simulation(80, test);
    // 40 ms each way: the close request lands while the exchange is still running.
    sim.set_default_impairments(Impairments::perfect(Duration::from_millis(40)))
        .unwrap();
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", NodeSpec::new(2)).unwrap();
    sim.at(Duration::ZERO, Action::install("ctrl", "dev"));
    sim
}

fn sessions(sim: &Simulation, node: &str) -> usize {
    sim.node_view(node, |n| n.sessions().sessions().count())
        .unwrap()
}

fn first_time(report: &RunReport, needles: &[&str]) -> String {
    common::lines_with(report, needles)
        .first()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

fn ms(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

#[test]
fn close_after_exchange_waits_for_the_running_exchange() {
    let mut sim = setup("close_after_exchange_waits_for_the_running_exchange");
    let x = sim.at(
        Duration::from_millis(5),
        Action::exchange("ctrl", "dev", 3, true),
    );
    let close = sim.at(
        Duration::from_millis(100),
        Action::close("ctrl", "dev", true, true),
    );
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    assert_eq!(
        report.actions[&x].outcome,
        Some(Outcome::Exchanged { sent: 3 })
    );
    assert_eq!(report.actions[&close].outcome, Some(Outcome::Done));
    let last_ack = common::lines_with(&report, &["ctrl ** dev", ": acked"]);
    assert_eq!(last_ack.len(), 3);
    let acked_at = ms(last_ack[2].split_whitespace().next().unwrap());
    let closed_at = ms(&first_time(
        &report,
        &["ctrl ** dev", "session closed (local)"],
    ));
    assert!(
        closed_at >= acked_at && acked_at > 100.0,
        "{acked_at} {closed_at}"
    );
    assert!(
        ms(&first_time(
            &report,
            &["dev ** ctrl", "session closed (peer-closed)"]
        )) > closed_at
    );
    assert_eq!((sessions(&sim, "ctrl"), sessions(&sim, "dev")), (0, 0));
}

#[test]
fn an_immediate_close_fails_the_running_exchange() {
    let mut sim = setup("an_immediate_close_fails_the_running_exchange");
    let x = sim.at(
        Duration::from_millis(5),
        Action::exchange("ctrl", "dev", 3, true),
    );
    sim.at(
        Duration::from_millis(100),
        Action::close("ctrl", "dev", true, false),
    );
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    assert!(
        matches!(&report.actions[&x].outcome, Some(Outcome::Failed(why)) if why.contains("SessionClosed"))
    );
    assert_eq!(
        common::lines_with(&report, &["delivery failed (session closed)"]).len(),
        1
    );
    assert_eq!((sessions(&sim, "ctrl"), sessions(&sim, "dev")), (0, 0));
}

#[test]
fn a_close_without_close_session_leaves_the_peer_its_end() {
    let mut sim = setup("a_close_without_close_session_leaves_the_peer_its_end");
    sim.at(
        Duration::from_millis(5),
        Action::close("ctrl", "dev", false, false),
    );
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));
    assert!(common::lines_with(&report, &["CloseSession"]).is_empty());
    assert_eq!((sessions(&sim, "ctrl"), sessions(&sim, "dev")), (0, 1));
}
