//! Crash and restart: volatile state is lost, the disk keeps what was durable, a restarted node
//! loads the resumption records that survived.

mod common;

use std::time::Duration;

use paseo_core::fabric::NodeId;
use paseo_sim::{Action, NodeSpec, Outcome, RunReport, Simulation};

fn setup(test: &str, seed: u64) -> Simulation {
    let mut sim = common::simulation(seed, test);
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", NodeSpec::new(2)).unwrap();
    sim.then(Action::install("ctrl", "dev"));
    sim.then(Action::exchange("ctrl", "dev", 1, true));
    sim.then(Action::SaveResumptionRecord {
        node: "ctrl".into(),
        peer: "dev".into(),
    });
    sim
}

fn records_after_restart(sim: &Simulation) -> Vec<NodeId> {
    sim.node_view("ctrl", |n| {
        n.sessions()
            .resumption_records()
            .map(|r| r.peer_node_id)
            .collect()
    })
    .expect("ctrl runs again")
}

fn crash_and_restart(sim: &mut Simulation) -> RunReport {
    sim.then(Action::Crash {
        node: "ctrl".into(),
    });
    sim.then(Action::Wait(Duration::from_millis(50)));
    sim.then(Action::Restart {
        node: "ctrl".into(),
    });
    common::run_ok(sim, common::options(Duration::from_secs(10)))
}

#[test]
fn a_synced_resumption_record_survives_a_crash() {
    let mut sim = setup("a_synced_resumption_record_survives_a_crash", 40);
    sim.then(Action::SyncDisk {
        node: "ctrl".into(),
    });
    let report = crash_and_restart(&mut sim);
    assert_eq!(records_after_restart(&sim), vec![NodeId(2)]);
    assert_eq!(
        common::lines_with(&report, &["ctrl ## -", "crashed (0 unsynced writes lost)"]).len(),
        1
    );
    assert_eq!(
        common::lines_with(&report, &["restarted #1 (1 resumption records loaded)"]).len(),
        1
    );
    // Sessions are volatile: the restarted controller has none.
    assert_eq!(
        sim.node_view("ctrl", |n| n.sessions().sessions().count()),
        Some(0)
    );
}

#[test]
fn a_record_older_than_the_sync_delay_survives() {
    let mut sim = setup("a_record_older_than_the_sync_delay_survives", 41);
    // NodeSpec::new makes writes durable after 100 ms.
    sim.then(Action::Wait(Duration::from_millis(150)));
    crash_and_restart(&mut sim);
    assert_eq!(records_after_restart(&sim), vec![NodeId(2)]);
}

#[test]
fn a_crash_before_sync_loses_the_resumption_record() {
    let mut sim = setup("a_crash_before_sync_loses_the_resumption_record", 42);
    let report = crash_and_restart(&mut sim);
    assert_eq!(records_after_restart(&sim), Vec::<NodeId>::new());
    assert_eq!(
        common::lines_with(&report, &["ctrl ## -", "crashed (1 unsynced writes lost)"]).len(),
        1
    );
    assert_eq!(
        common::lines_with(&report, &["restarted #1 (0 resumption records loaded)"]).len(),
        1
    );
}

#[test]
fn traffic_to_a_crashed_node_is_lost_and_a_new_session_works_after_restart() {
    let mut sim = common::simulation(
        43,
        "traffic_to_a_crashed_node_is_lost_and_a_new_session_works_after_restart",
    );
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", NodeSpec::new(2)).unwrap();
    let ms = Duration::from_millis;
    sim.at(ms(0), Action::install("ctrl", "dev"));
    // The device dies just as the controller sends; it is back 100 ms later without the
    // session, so the retransmissions reach a node that cannot decrypt them.
    let lost = sim.at(ms(10), Action::exchange("ctrl", "dev", 1, true));
    sim.at(ms(10), Action::Crash { node: "dev".into() });
    sim.at(ms(100), Action::Restart { node: "dev".into() });
    sim.at(ms(10_000), Action::install("ctrl", "dev"));
    let fresh = sim.at(ms(10_100), Action::exchange("ctrl", "dev", 2, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(60)));

    assert!(
        matches!(&report.actions[&lost].outcome, Some(Outcome::Failed(why)) if why.contains("delivery failed")),
        "{:?}",
        report.actions[&lost]
    );
    assert_eq!(
        common::lines_with(&report, &["ctrl ~> dev", "dropped by network (host down)"]).len(),
        1
    );
    assert_eq!(
        common::lines_with(
            &report,
            &["dev <- ctrl", "[encrypted] : dropped unknown session"]
        )
        .len(),
        4
    );
    assert_eq!(
        report.actions[&fresh].outcome,
        Some(Outcome::Exchanged { sent: 2 })
    );
    assert_eq!(
        common::lines_with(&report, &["dev ## -", "restarted #1"]).len(),
        1
    );
}
