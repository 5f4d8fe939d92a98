//! The scenario library (`scenarios/*.yaml`, and the shrunk findings of `paseo explore` in
//! `scenarios/regressions/*.yaml`): each file at its default seed passes and its report
//! (trace, steps, verdict) matches `snapshots/<name>.snap` (names are unique across both); runs are deterministic;
//! 50 seeds of each pass their oracles and expectations. Scenarios that need a capability
//! this build lacks (`requires: [case]` while CASE is not in the node) must parse and are
//! reported skipped.
//!
//! Accept changed traces with `cargo insta review` (or `INSTA_UPDATE=always cargo test`);
//! with `CI=true` a mismatch fails.

use std::path::Path;

use paseo::report::{self, Detail};
use paseo::run::{self, Verdict};
use paseo::scenario::{self, Scenario};
use paseo::sweep;

/// Seeds swept per scenario.
const SWEEP_SEEDS: u64 = 50;

/// Scenarios swept over fewer seeds: ten PASE handshakes per run make multi-node pairing about
/// five times as slow as the others in a debug build (the release sweep covers 0..200).
/// hostile-session-ids installs 65534 placeholder sessions per run (about 3 s in a debug build).
const HEAVY: [(&str, u64); 2] = [("multi-node-pairing", 10), ("hostile-session-ids", 3)];

fn library() -> Vec<Scenario> {
    let mut files = scenario::files(Path::new("scenarios")).expect("scenarios/ is readable");
    assert!(files.len() >= 16, "the library has {} files", files.len());
    let regressions = Path::new("scenarios/regressions");
    if regressions.is_dir() {
        files.extend(scenario::files(regressions).expect("scenarios/regressions/ is readable"));
    }
    let scenarios: Vec<Scenario> = files
        .iter()
        .map(|f| scenario::load(f).unwrap_or_else(|e| panic!("{}", e.render())))
        .collect();
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(
        names.len(),
        count,
        "two scenarios share a name (and a snapshot)"
    );
    scenarios
}

fn runnable() -> Vec<Scenario> {
    library()
        .into_iter()
        .filter(|s| s.missing_capabilities().is_empty())
        .collect()
}

#[test]
fn every_scenario_passes_at_its_seed_and_matches_its_snapshot() {
    for s in library() {
        let run = run::run(&s, s.seed);
        if let Verdict::Skipped(missing) = &run.verdict {
            eprintln!("skipped {}: needs {}", s.name, missing.join(", "));
            assert!(!missing.is_empty());
            continue;
        }
        let text = report::text(&s, &run, Detail::Trace);
        assert_eq!(run.verdict, Verdict::Pass, "{text}");
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => s.description.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(s.name.clone(), text);
        });
    }
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_another() {
    for s in runnable() {
        let hash = |seed| {
            run::run(&s, seed)
                .report
                .map(|r| r.trace_hash())
                .expect("a report")
        };
        let first = hash(s.seed);
        assert_eq!(first, hash(s.seed), "{} is not deterministic", s.name);
        assert_ne!(
            first,
            hash(s.seed + 1),
            "{}: the seed changes nothing",
            s.name
        );
    }
}

#[test]
fn fifty_seeds_of_every_scenario_keep_oracles_and_expectations() {
    // Regressions are pinned to the seed that found them (some expect a failure only that
    // seed's losses cause); the sweep covers the library itself.
    let (heavy, light): (Vec<Scenario>, Vec<Scenario>) = runnable()
        .into_iter()
        .filter(|s| !s.path.starts_with("scenarios/regressions"))
        .partition(|s| HEAVY.iter().any(|(name, _)| *name == s.name));
    let mut groups = vec![(light, SWEEP_SEEDS)];
    for (name, seeds) in HEAVY {
        groups.push((
            heavy.iter().filter(|s| s.name == name).cloned().collect(),
            seeds,
        ));
    }
    for (scenarios, seeds) in groups {
        let results = sweep::sweep(&scenarios, 0..seeds, 2, &|| {});
        assert_eq!(results.len() as u64, scenarios.len() as u64 * seeds);
        let summary = sweep::summary(&scenarios, &(0..seeds), &results);
        assert_eq!(sweep::exit_code(&results), run::EXIT_PASS, "{summary}");
        assert!(
            results.iter().all(|r| r.verdict == Verdict::Pass),
            "{summary}"
        );
    }
}

#[test]
fn scenarios_that_need_case_pass_now_that_the_node_runs_it() {
    let gated: Vec<Scenario> = library()
        .into_iter()
        .filter(|s| s.requires.iter().any(|r| r == "case"))
        .collect();
    assert!(gated.len() >= 5, "{} scenarios need CASE", gated.len());
    for s in gated {
        let verdict = run::run(&s, s.seed).verdict;
        if paseo_sim::CASE_IN_NODE {
            assert_eq!(verdict, Verdict::Pass, "{}", s.name);
        } else {
            assert_eq!(verdict, Verdict::Skipped(vec!["case".into()]), "{}", s.name);
        }
    }
}
