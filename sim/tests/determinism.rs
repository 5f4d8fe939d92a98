//! Same seed, same run, byte for byte; another seed, another run.

mod common;

use std::time::Duration;

use paseo_sim::trace::pcap::CapturePoint;
use paseo_sim::{Action, Impairments, NodeSpec, RunReport};

/// A scenario with randomness everywhere: lossy, duplicating, reordering links, random node
/// streams (counters, exchange ids, MRP jitter), a partition and a crash.
fn run(seed: u64) -> RunReport {
    run_stepping(seed, true)
}

/// [`run`], skipping idle ticks (`skip_idle`) or stepping every tick.
fn run_stepping(seed: u64, skip_idle: bool) -> RunReport {
    // Not `common::simulation`: that one reads PASEO_SEED, and this test needs two seeds.
    let config = paseo_sim::SimConfig {
        replay: Some("PASEO_SEED={seed} cargo test -p paseo-sim --test determinism".into()),
        skip_idle,
        ..paseo_sim::SimConfig::named("determinism")
    };
    let mut sim = paseo_sim::Simulation::new(seed, config);
    sim.set_default_impairments(Impairments {
        loss: 0.1,
        duplicate: 0.05,
        latency_min: Duration::from_millis(1),
        latency_max: Duration::from_millis(30),
        reorder: Duration::from_millis(15),
    })
    .unwrap();
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    for i in 0..3 {
        sim.add_node(&common::device(i), NodeSpec::new(10 + i as u64))
            .unwrap();
    }
    let ms = Duration::from_millis;
    for i in 0..3 {
        let dev = common::device(i);
        sim.at(ms(0), Action::install("ctrl", &dev));
        sim.at(ms(5), Action::exchange("ctrl", &dev, 5, true));
        sim.at(ms(7), Action::exchange(&dev, "ctrl", 3, true));
        sim.at(ms(9), Action::exchange(&dev, "ctrl", 3, false));
    }
    sim.at(ms(200), Action::partition("ctrl", "dev01"));
    sim.at(ms(1_500), Action::heal("ctrl", "dev01"));
    sim.at(
        ms(2_000),
        Action::Crash {
            node: "dev02".into(),
        },
    );
    sim.at(
        ms(2_500),
        Action::Restart {
            node: "dev02".into(),
        },
    );
    let report = sim.run(common::options(Duration::from_secs(30)));
    report.assert_ok();
    report
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_does_not() {
    let seed = paseo_sim::seed::seed_from_env(0x5EED);
    let first = run(seed);
    let second = run(seed);
    assert!(first.trace.records.len() > 100);
    if first.trace_hash() != second.trace_hash() {
        let (a, b) = (first.trace.lines(), second.trace.lines());
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "nondeterminism at line {at}:\n  {:?}\n  {:?}\n{}",
            a.get(at),
            b.get(at),
            first.replay_hint()
        );
    }
    assert_eq!(first.trace.json_lines(), second.trace.json_lines());
    assert_eq!(
        first.trace.pcap(CapturePoint::Sent),
        second.trace.pcap(CapturePoint::Sent)
    );
    let other = run(seed.wrapping_add(1));
    assert_ne!(
        first.trace_hash(),
        other.trace_hash(),
        "{}",
        first.replay_hint()
    );
}

#[test]
fn skipping_idle_ticks_gives_the_trace_of_stepping_every_tick() {
    let seed = paseo_sim::seed::seed_from_env(0x5EED);
    let skipped = run_stepping(seed, true);
    let plain = run_stepping(seed, false);
    assert_eq!(
        skipped.trace.json_lines(),
        plain.trace.json_lines(),
        "{}",
        plain.replay_hint()
    );
    assert_eq!(
        (skipped.end.clone(), skipped.ended_at),
        (plain.end.clone(), plain.ended_at)
    );
    assert!(
        skipped.steps * 2 < plain.steps,
        "{} steps skipping, {} plain",
        skipped.steps,
        plain.steps
    );
}
