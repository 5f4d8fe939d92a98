//! `paseo sweep`: many seeds of many scenarios on a few threads. Runs are split over the
//! threads by index (run `i` goes to thread `i mod jobs`) and reported in (scenario, seed)
//! order, so the output is the same for any number of jobs. A sweep can run one shard of the
//! seed range ([`crate::shard`]); shards' results merge ([`crate::sweep_results`]) into the
//! summary a single process prints.

use std::fmt::Write as _;
use std::ops::Range;

use crate::run::{self, Verdict};
use crate::scenario::Scenario;
use crate::shard::Shard;

/// What a sweep covers: a seed range, or one shard of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The whole seed range.
    pub seeds: Range<u64>,
    /// The slice of it run ([`Shard::WHOLE`] for all of it).
    pub shard: Shard,
}

impl Coverage {
    /// The seeds run, ascending.
    pub fn seeds_run(&self) -> Vec<u64> {
        self.shard.seeds(&self.seeds)
    }
}

/// The verdict of one (scenario, seed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepResult {
    /// Index into the scenarios swept.
    pub scenario: usize,
    /// The seed.
    pub seed: u64,
    /// How the run went.
    pub verdict: Verdict,
}

/// Parses `A..B` (B excluded) or `A..=B`.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let bad = || format!("`{text}` is not a seed range (e.g. `0..200`)");
    let (lo, hi, inclusive) = match text.split_once("..=") {
        Some((lo, hi)) => (lo, hi, true),
        None => {
            let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
            (lo, hi, false)
        }
    };
    let lo: u64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u64 = hi.trim().parse().map_err(|_| bad())?;
    let end = if inclusive {
        hi.checked_add(1).ok_or_else(bad)?
    } else {
        hi
    };
    if end <= lo {
        return Err(format!("seed range `{text}` is empty"));
    }
    Ok(lo..end)
}

/// Runs every scenario at every seed on `jobs` threads; `tick` is called after each run.
pub fn sweep(
    scenarios: &[Scenario],
    seeds: Range<u64>,
    jobs: usize,
    tick: &(dyn Fn() + Sync),
) -> Vec<SweepResult> {
    let seeds: Vec<u64> = seeds.collect();
    sweep_seeds(scenarios, &seeds, jobs, &|_| tick())
}

/// Runs every scenario at each of `seeds` (ascending) on `jobs` threads, results in
/// (scenario, seed) order; `tick` is called after each run with its verdict (the progress
/// bar counts failures with it).
pub fn sweep_seeds(
    scenarios: &[Scenario],
    seeds: &[u64],
    jobs: usize,
    tick: &(dyn Fn(&Verdict) + Sync),
) -> Vec<SweepResult> {
    let work: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|s| seeds.iter().map(move |seed| (s, *seed)))
        .collect();
    let jobs = jobs.max(1);
    let mut results: Vec<(usize, SweepResult)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|t| {
                let work = &work;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for (i, (s, seed)) in work.iter().enumerate().skip(t).step_by(jobs) {
                        // `s` indexes `scenarios` by construction of `work`.
                        let verdict = scenarios
                            .get(*s)
                            .map_or(Verdict::Internal("no scenario".into()), |sc| {
                                run::run(sc, *seed).verdict
                            });
                        tick(&verdict);
                        mine.push((
                            i,
                            SweepResult {
                                scenario: *s,
                                seed: *seed,
                                verdict,
                            },
                        ));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            // A thread that panicked outside `catch_unwind` loses its runs; they are reported
            // as internal errors below.
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut slots: Vec<Option<SweepResult>> = vec![None; work.len()];
    for (i, r) in results.drain(..) {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(r);
        }
    }
    slots
        .into_iter()
        .zip(work)
        .map(|(slot, (scenario, seed))| {
            slot.unwrap_or(SweepResult {
                scenario,
                seed,
                verdict: Verdict::Internal("the sweep thread running it panicked".into()),
            })
        })
        .collect()
}

/// The exit code of a sweep: 4 if a run hit an internal error, else 1 if an invariant broke,
/// else 2 if an expectation failed, else 5 if a run could not be judged (skipped), else 0.
pub fn exit_code(results: &[SweepResult]) -> u8 {
    let has = |code: u8| results.iter().any(|r| r.verdict.exit_code() == code);
    [
        run::EXIT_INTERNAL,
        run::EXIT_INVARIANT,
        run::EXIT_EXPECTATION,
        run::EXIT_NOT_JUDGED,
    ]
    .into_iter()
    .find(|code| has(*code))
    .unwrap_or(run::EXIT_PASS)
}

/// Summary table and every failing seed with its replay command.
pub fn summary(scenarios: &[Scenario], seeds: &Range<u64>, results: &[SweepResult]) -> String {
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let coverage = Coverage {
        seeds: seeds.clone(),
        shard: Shard::WHOLE,
    };
    summary_of(&names, &coverage, results, &|r| {
        scenarios.get(r.scenario).map(|s| s.replay_command(r.seed))
    })
}

/// The summary of `results` of the scenarios named `names` over `coverage`; `replay` gives a
/// failing run's replay command (a run without one is left out of the failing list).
pub fn summary_of(
    names: &[&str],
    coverage: &Coverage,
    results: &[SweepResult],
    replay: &dyn Fn(&SweepResult) -> Option<String>,
) -> String {
    let mut out = String::new();
    let width = names.iter().map(|s| s.len()).max().unwrap_or(8).max(8);
    let shard = if coverage.shard.is_whole() {
        String::new()
    } else {
        format!(", shard {}", coverage.shard)
    };
    let _ = writeln!(
        out,
        "sweep: {} scenario(s), seeds {}..{}{shard} ({} runs)\n",
        names.len(),
        coverage.seeds.start,
        coverage.seeds.end,
        results.len()
    );
    let _ = writeln!(
        out,
        "{:<width$}  {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}",
        "scenario", "runs", "pass", "skip", "invariant", "expect", "error"
    );
    let mut totals = [0usize; 6];
    for (i, name) in names.iter().enumerate() {
        let mine: Vec<&SweepResult> = results.iter().filter(|r| r.scenario == i).collect();
        let count = |f: fn(&Verdict) -> bool| mine.iter().filter(|r| f(&r.verdict)).count();
        let row = [
            mine.len(),
            count(|v| matches!(v, Verdict::Pass)),
            count(|v| matches!(v, Verdict::Skipped(_))),
            count(|v| matches!(v, Verdict::Invariant(_))),
            count(|v| matches!(v, Verdict::Expectation(_))),
            count(|v| matches!(v, Verdict::Internal(_))),
        ];
        for (t, n) in totals.iter_mut().zip(row) {
            *t += n;
        }
        let _ = writeln!(
            out,
            "{:<width$}  {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}",
            name, row[0], row[1], row[2], row[3], row[4], row[5]
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}",
        "total", totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]
    );
    let failing: Vec<&SweepResult> = results.iter().filter(|r| r.verdict.is_failure()).collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "\nfailing seeds:");
        for r in failing {
            let (Some(name), Some(replay)) = (names.get(r.scenario), replay(r)) else {
                continue;
            };
            let first = r.verdict.reasons().into_iter().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  seed={} scenario={} {}: {first}",
                r.seed,
                name,
                r.verdict.word()
            );
            let _ = writeln!(out, "    replay: {replay}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seeds("0..200"), Ok(0..200));
        assert_eq!(parse_seeds("5..=7"), Ok(5..8));
        assert!(parse_seeds("7..7").is_err());
        assert!(parse_seeds("a..b").is_err());
        assert!(parse_seeds("12").is_err());
    }

    #[test]
    fn the_worst_run_decides_the_exit_code() {
        let result = |verdict| SweepResult {
            scenario: 0,
            seed: 0,
            verdict,
        };
        let pass = result(Verdict::Pass);
        let skip = result(Verdict::Skipped(vec!["case".into()]));
        let expect = result(Verdict::Expectation(vec![]));
        let invariant = result(Verdict::Invariant(vec![]));
        let internal = result(Verdict::Internal(String::new()));
        assert_eq!(exit_code(std::slice::from_ref(&pass)), run::EXIT_PASS);
        assert_eq!(
            exit_code(&[pass.clone(), skip.clone()]),
            run::EXIT_NOT_JUDGED
        );
        assert_eq!(
            exit_code(&[skip.clone(), expect.clone()]),
            run::EXIT_EXPECTATION
        );
        assert_eq!(
            exit_code(&[expect, invariant.clone(), skip]),
            run::EXIT_INVARIANT
        );
        assert_eq!(exit_code(&[invariant, internal, pass]), run::EXIT_INTERNAL);
    }
}
