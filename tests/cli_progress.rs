//! The progress of a sweep counts failures as runs end: the sweep hands each run's verdict to
//! its tick, and the bar's count of failing runs is the summary's.

use paseo::progress::Progress;
use paseo::{scenario, sweep};

#[test]
fn a_sweeps_progress_counts_its_failing_runs() {
    let scenarios: Vec<scenario::Scenario> = [
        "scenarios/pase-pairing.yaml",
        "tests/fixtures/expect-fails.yaml",
    ]
    .iter()
    .map(|f| scenario::load(std::path::Path::new(f)).expect("loads"))
    .collect();
    let seeds: Vec<u64> = (0..4).collect();
    let progress = Progress::hidden(8, "runs");
    let results = sweep::sweep_seeds(&scenarios, &seeds, 3, &|v| progress.tick(v.is_failure()));
    let failing = results.iter().filter(|r| r.verdict.is_failure()).count() as u64;
    assert_eq!(failing, 4, "expect-fails fails at every seed");
    assert_eq!(progress.done(), 8);
    assert_eq!(progress.failing(), failing);
    assert_eq!(progress.status("runs"), "8/8 runs, 4 failing");
}
