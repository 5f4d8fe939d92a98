//! Helpers shared by the simulator's behaviour tests.

#![allow(dead_code)]

use std::time::Duration;

use paseo_sim::{NodeSpec, RunOptions, RunReport, SimConfig, Simulation, seed};

/// A simulation whose seed comes from `PASEO_SEED` when set (to replay a failure), else
/// `default`; the replay command names this test.
pub fn simulation(default_seed: u64, test: &str) -> Simulation {
    let seed = seed::seed_from_env(default_seed);
    let config = SimConfig {
        replay: Some(format!(
            "PASEO_SEED={{seed}} cargo test -p paseo-sim --test {} {test} -- --exact",
            binary()
        )),
        ..SimConfig::named(test)
    };
    Simulation::new(seed, config)
}

/// The running test binary's name (the file under tests/).
fn binary() -> String {
    std::env::args()
        .next()
        .and_then(|p| {
            std::path::Path::new(&p)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .map(|f| {
            f.rsplit_once('-')
                .map_or(f.clone(), |(name, _)| name.to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

/// A controller that can hold `sessions` sessions.
pub fn controller(node_id: u64, sessions: usize) -> NodeSpec {
    let mut spec = NodeSpec::new(node_id);
    spec.config.limits.max_sessions = sessions.max(64);
    spec
}

/// Device names `dev00`, `dev01`, …
pub fn device(i: usize) -> String {
    format!("dev{i:02}")
}

/// Runs and panics (with seed and replay command) on any violation.
pub fn run_ok(sim: &mut Simulation, options: RunOptions) -> RunReport {
    let report = sim.run(options);
    report.assert_ok();
    report
}

/// A fault phase of `limit` then a liveness phase of 60 s.
pub fn options(limit: Duration) -> RunOptions {
    RunOptions {
        limit,
        liveness: Some(Duration::from_secs(60)),
        probes: true,
    }
}

/// Lines of the text trace containing every needle.
pub fn lines_with(report: &RunReport, needles: &[&str]) -> Vec<String> {
    report
        .trace
        .lines()
        .into_iter()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .collect()
}
