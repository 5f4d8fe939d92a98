//! Partitions: messages fail (or are retried through) while the link is cut, and flow again
//! once it is repaired; one-way partitions lose only one direction.

mod common;

use std::time::Duration;

use paseo_sim::{Action, NodeSpec, Outcome};

fn pair(test: &str, seed: u64) -> paseo_sim::Simulation {
    let mut sim = common::simulation(seed, test);
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", NodeSpec::new(2)).unwrap();
    sim.then(Action::install("ctrl", "dev"));
    sim
}

#[test]
fn messages_fail_during_a_partition_and_flow_after_the_repair() {
    let mut sim = pair(
        "messages_fail_during_a_partition_and_flow_after_the_repair",
        30,
    );
    sim.then(Action::partition("ctrl", "dev"));
    let cut = sim.then(Action::exchange("ctrl", "dev", 3, true));
    sim.then(Action::heal("ctrl", "dev"));
    let healed = sim.then(Action::exchange("ctrl", "dev", 3, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(60)));

    let outcome = |id| report.actions[&id].outcome.clone();
    assert!(
        matches!(outcome(cut), Some(Outcome::Failed(why)) if why.contains("delivery failed")),
        "{:?}",
        outcome(cut)
    );
    assert_eq!(outcome(healed), Some(Outcome::Exchanged { sent: 3 }));
    // The first message of the cut exchange went out five times and was dropped each time.
    assert_eq!(
        common::lines_with(&report, &["ctrl ~> dev", "dropped by network (partition)"]).len(),
        5
    );
    assert_eq!(
        common::lines_with(&report, &["ctrl -> dev", ": retransmit 4"]).len(),
        1
    );
    assert_eq!(
        common::lines_with(&report, &["delivery failed (retransmissions exhausted)"]).len(),
        1
    );
    // The failure took the whole MRP schedule (Matter 1.3 §4.12.2.1): at least
    // 330+330+528+844.8+1351.68 ms.
    let started = report.actions[&cut].started;
    let failed = report.actions[&cut].finished.unwrap();
    assert!(
        failed - started >= Duration::from_micros(3_384_480),
        "{:?}",
        failed - started
    );
}

#[test]
fn a_short_partition_is_bridged_by_retransmission() {
    let mut sim = pair("a_short_partition_is_bridged_by_retransmission", 31);
    sim.then(Action::partition("ctrl", "dev"));
    let x = sim.then(Action::exchange("ctrl", "dev", 1, true));
    sim.at(Duration::from_millis(1_000), Action::heal("ctrl", "dev"));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(30)));
    assert_eq!(
        report.actions[&x].outcome,
        Some(Outcome::Exchanged { sent: 1 })
    );
    assert!(report.stats["ctrl"].retransmissions >= 1);
    assert!(!common::lines_with(&report, &["dropped by network (partition)"]).is_empty());
}

#[test]
fn a_one_way_partition_loses_acks_but_delivers_once() {
    let mut sim = pair("a_one_way_partition_loses_acks_but_delivers_once", 32);
    sim.then(Action::Partition {
        from: "dev".into(),
        to: "ctrl".into(),
        one_way: true,
    });
    let x = sim.then(Action::exchange("ctrl", "dev", 1, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(30)));
    // The message arrived (once), its acks did not: the sender reports failure, which MRP
    // allows for a delivered message (the oracles accept "failed and delivered").
    assert!(matches!(
        &report.actions[&x].outcome,
        Some(Outcome::Failed(_))
    ));
    assert_eq!(
        common::lines_with(&report, &["dev <- ctrl", "IM/InvokeRequest", ": delivered"]).len(),
        // the message, then the liveness probe
        2
    );
    assert_eq!(
        common::lines_with(&report, &["dev <- ctrl", "IM/InvokeRequest", ": duplicate"]).len(),
        4
    );
    assert!(!common::lines_with(&report, &["dev ~> ctrl", "(partition)"]).is_empty());
    assert!(common::lines_with(&report, &["ctrl ~> dev", "(partition)"]).is_empty());
}

#[test]
fn an_action_still_running_at_the_time_limit_is_reported_past_it() {
    // Never healed: the exchange can only finish once the liveness phase heals the network,
    // after the 2 s limit. The report says when the limit cut the fault phase short, and that
    // the exchange was past it; the install, done in time, is not.
    let mut sim = pair(
        "an_action_still_running_at_the_time_limit_is_reported_past_it",
        1,
    );
    sim.then(Action::partition("ctrl", "dev"));
    sim.then(Action::labelled(
        "cut",
        Action::exchange("ctrl", "dev", 1, true),
    ));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(2)));
    let limit = report.time_limit_reached.expect("the limit was reached");
    assert_eq!(limit.as_micros(), 2_000_000);
    assert!(report.past_time_limit("cut"));
    let cut = report.outcome_of("cut").expect("recorded");
    assert!(cut.finished.is_some_and(|f| f > limit), "{cut:?}");

    // A run that is done before its limit never reaches it.
    let mut quiet = pair(
        "an_action_still_running_at_the_time_limit_is_reported_past_it",
        1,
    );
    quiet.then(Action::labelled(
        "fine",
        Action::exchange("ctrl", "dev", 1, true),
    ));
    let report = common::run_ok(&mut quiet, common::options(Duration::from_secs(2)));
    assert_eq!(report.time_limit_reached, None);
    assert!(!report.past_time_limit("fine"));
}
