//! Skipping idle virtual time (`SimConfig::skip_idle`, `paseo_sim::NextEvent`) changes nothing
//! but the number of turmoil steps: on generated scenarios (the `paseo explore` strategy, with
//! crashes, restarts, partitions, loss, hostile steps) and on library scenarios with long waits,
//! a run that skips and a run that steps every tick give the same trace, the same action
//! records, statistics, violations and end.

use std::path::Path;

use paseo::explore::{recipe, render};
use paseo::scenario::{self, Scenario};
use paseo_sim::RunReport;
use proptest::prelude::*;

/// Runs `s` at `seed`, skipping idle ticks or not.
fn run(s: &Scenario, seed: u64, skip: bool) -> RunReport {
    let mut sim = s.simulation(seed).expect("a simulation");
    sim.set_skip_idle(skip);
    sim.run(s.run_options())
}

/// Everything a run shows except its step count.
fn fingerprint(r: &RunReport) -> String {
    format!(
        "{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        r.trace.json_lines(),
        r.end,
        r.ended_at,
        r.actions,
        r.violations,
        r.stats,
        r.messages
    )
}

/// Both ways, compared; the step counts (skipping, plain).
fn compare(s: &Scenario, seed: u64) -> Result<(u64, u64), String> {
    let plain = run(s, seed, false);
    let skipped = run(s, seed, true);
    if fingerprint(&plain) != fingerprint(&skipped) {
        let (p, k) = (plain.trace.lines(), skipped.trace.lines());
        let first = p
            .iter()
            .zip(&k)
            .position(|(a, b)| a != b)
            .unwrap_or(p.len().min(k.len()));
        return Err(format!(
            "{} seed {seed}: skipping changed the run (first differing trace line {first}):\n\
             plain:    {:?}\nskipping: {:?}\nends: {:?} at {} / {:?} at {}",
            s.name,
            p.get(first),
            k.get(first),
            plain.end,
            plain.ended_at,
            skipped.end,
            skipped.ended_at
        ));
    }
    if skipped.steps > plain.steps {
        return Err(format!(
            "{} seed {seed}: skipping took more steps ({} > {})",
            s.name, skipped.steps, plain.steps
        ));
    }
    Ok((skipped.steps, plain.steps))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn skipping_idle_time_gives_the_trace_of_plain_stepping(
        recipe in recipe::recipe(),
        seed in 0u64..10_000,
    ) {
        let text = render::yaml(&recipe, seed, &render::Provenance::default());
        let s = scenario::parse("generated.yaml", &text)
            .map_err(|e| TestCaseError::fail(e.render()))?;
        compare(&s, seed).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    }
}

/// Library scenarios that spend most of their virtual time waiting (MRP give-up, a restart
/// with resumption, partitions, liveness): same run, and far fewer steps.
#[test]
fn library_scenarios_with_long_waits_run_the_same_in_fewer_steps() {
    for name in [
        "mrp-exact-schedule",
        "resumption-after-restart",
        "mrp-partition-recovery",
        "close-session-lost",
    ] {
        let path = Path::new("scenarios").join(format!("{name}.yaml"));
        let s = scenario::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
        if !s.missing_capabilities().is_empty() {
            continue;
        }
        for seed in [s.seed, s.seed + 1] {
            let (skipping, plain) = compare(&s, seed).unwrap_or_else(|e| panic!("{e}"));
            eprintln!("{name} seed {seed}: {skipping} steps skipping, {plain} plain");
            assert!(
                skipping * 2 < plain,
                "{name} seed {seed}: {skipping} steps skipping vs {plain} plain"
            );
        }
    }
}
