//! `paseo sweep`: many seeds of many scenarios on a few threads. Runs are split over the
//! threads by index (run `i` goes to thread `i mod jobs`) and reported in (scenario, seed)
//! order, so the output is the same for any number of jobs.

use std::fmt::Write as _;
use std::ops::Range;

use crate::run::{self, Verdict};
use crate::scenario::Scenario;

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
    let work: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|s| seeds.clone().map(move |seed| (s, seed)))
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
                        tick();
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
/// else 2 if an expectation failed, else 0.
pub fn exit_code(results: &[SweepResult]) -> u8 {
    let has = |code: u8| results.iter().any(|r| r.verdict.exit_code() == code);
    if has(run::EXIT_INTERNAL) {
        run::EXIT_INTERNAL
    } else if has(run::EXIT_INVARIANT) {
        run::EXIT_INVARIANT
    } else if has(run::EXIT_EXPECTATION) {
        run::EXIT_EXPECTATION
    } else {
        run::EXIT_PASS
    }
}

/// Summary table and every failing seed with its replay command.
pub fn summary(scenarios: &[Scenario], seeds: &Range<u64>, results: &[SweepResult]) -> String {
    let mut out = String::new();
    let width = scenarios
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "sweep: {} scenario(s), seeds {}..{} ({} runs)\n",
        scenarios.len(),
        seeds.start,
        seeds.end,
        results.len()
    );
    let _ = writeln!(
        out,
        "{:<width$}  {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}",
        "scenario", "runs", "pass", "skip", "invariant", "expect", "error"
    );
    let mut totals = [0usize; 6];
    for (i, s) in scenarios.iter().enumerate() {
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
            s.name, row[0], row[1], row[2], row[3], row[4], row[5]
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}",
        "total", totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]
    );
    let failing: Vec<&SweepResult> = results
        .iter()
        .filter(|r| r.verdict.exit_code() != run::EXIT_PASS)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "\nfailing seeds:");
        for r in failing {
            let Some(s) = scenarios.get(r.scenario) else {
                continue;
            };
            let first = r.verdict.reasons().into_iter().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  seed={} scenario={} {}: {first}",
                r.seed,
                s.name,
                r.verdict.word()
            );
            let _ = writeln!(out, "    replay: {}", s.replay_command(r.seed));
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
}
