//! The results file of a sweep (`paseo sweep … --json FILE`) and `paseo sweep merge`: the
//! shards of one sweep, run on different machines, combine into the results (and the summary)
//! a single process gives.
//!
//! The file is one JSON object: `format`, `seeds` (`start`, `end`: the whole range, end
//! excluded), `shard` (`index`, `count`; `null` for a whole sweep or a merge), `scenarios`
//! (`name`, `file`, in sweep order), `results` (one per run in (scenario, seed) order:
//! `scenario` index, `seed`, `verdict` word, `details`, `exit_code`, `replay` for failures)
//! and the sweep's `exit_code`. It holds nothing that varies between runs of the same seeds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::run::{self, Verdict};
use crate::scenario::Scenario;
use crate::shard::Shard;
use crate::sweep::{self, Coverage, SweepResult};

/// The value of the `format` field.
pub const FORMAT: &str = "paseo-sweep/1";

/// A sweep's results, as written to and read from `--json FILE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The whole seed range.
    pub seeds: SeedRange,
    /// The shard these results are, or `None` for the whole range.
    pub shard: Option<Shard>,
    /// The scenarios swept, in order.
    pub scenarios: Vec<SweptScenario>,
    /// One per run, in (scenario, seed) order.
    pub results: Vec<RunResult>,
    /// The exit code of the sweep.
    pub exit_code: u8,
}

/// A seed range, end excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    /// First seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

/// A scenario of a sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweptScenario {
    /// Its name.
    pub name: String,
    /// Its file, as given to the sweep.
    pub file: String,
}

/// One run's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    /// Index into `scenarios`.
    pub scenario: usize,
    /// The seed.
    pub seed: u64,
    /// `pass`, `skip`, `invariant`, `expectation` or `internal`.
    pub verdict: String,
    /// The verdict's details: missing capabilities (skip), violations or failures, or the
    /// internal error.
    pub details: Vec<String>,
    /// The run's exit code.
    pub exit_code: u8,
    /// The replay command, for a failing run.
    pub replay: Option<String>,
}

/// Why results files could not be read or merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no results files given")]
    NoInputs,
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a sweep results file.
    #[error("{path} is not a paseo sweep results file: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A file has another format version.
    #[error("{path}: format `{found}`, expected `{FORMAT}`")]
    Format {
        /// The file.
        path: PathBuf,
        /// Its format field.
        found: String,
    },
    /// A file's content contradicts itself (a result outside its shard, a bad verdict, …).
    #[error("{path}: {why}")]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Two files are of different sweeps.
    #[error("{path} is of another sweep than {first}: {what} differ")]
    DifferentSweep {
        /// The file that differs.
        path: PathBuf,
        /// The first file.
        first: PathBuf,
        /// `seed ranges`, `scenario sets` or `shard counts`.
        what: &'static str,
    },
    /// Two files hold the same shard.
    #[error("shard {shard} is given twice (overlapping results): {first} and {second}")]
    Overlap {
        /// The shard.
        shard: Shard,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Shards are missing.
    #[error("missing shard(s) {} of {count}: merge needs every shard's results", list(.missing))]
    Missing {
        /// Their indices.
        missing: Vec<u64>,
        /// The number of shards.
        count: u64,
    },
}

fn list(indices: &[u64]) -> String {
    indices
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict_fields(verdict: &Verdict) -> (&'static str, Vec<String>) {
    match verdict {
        Verdict::Pass => ("pass", Vec::new()),
        Verdict::Skipped(missing) => ("skip", missing.clone()),
        Verdict::Invariant(v) => ("invariant", v.clone()),
        Verdict::Expectation(v) => ("expectation", v.clone()),
        Verdict::Internal(why) => ("internal", vec![why.clone()]),
    }
}

fn verdict_from(word: &str, details: &[String]) -> Option<Verdict> {
    Some(match word {
        "pass" => Verdict::Pass,
        "skip" => Verdict::Skipped(details.to_vec()),
        "invariant" => Verdict::Invariant(details.to_vec()),
        "expectation" => Verdict::Expectation(details.to_vec()),
        "internal" => Verdict::Internal(details.concat()),
        _ => return None,
    })
}

impl SweepFile {
    /// The results of sweeping `scenarios` over `coverage`.
    pub fn new(scenarios: &[Scenario], coverage: &Coverage, results: &[SweepResult]) -> Self {
        let results = results
            .iter()
            .map(|r| {
                let (verdict, details) = verdict_fields(&r.verdict);
                let failed = r.verdict.is_failure();
                RunResult {
                    scenario: r.scenario,
                    seed: r.seed,
                    verdict: verdict.to_owned(),
                    details,
                    exit_code: r.verdict.exit_code(),
                    replay: scenarios
                        .get(r.scenario)
                        .filter(|_| failed)
                        .map(|s| s.replay_command(r.seed)),
                }
            })
            .collect();
        let mut file = SweepFile {
            format: FORMAT.to_owned(),
            seeds: SeedRange {
                start: coverage.seeds.start,
                end: coverage.seeds.end,
            },
            shard: (!coverage.shard.is_whole()).then_some(coverage.shard),
            scenarios: scenarios
                .iter()
                .map(|s| SweptScenario {
                    name: s.name.clone(),
                    file: s.path.clone(),
                })
                .collect(),
            results,
            exit_code: run::EXIT_PASS,
        };
        file.exit_code = sweep::exit_code(&file.sweep_results());
        file
    }

    /// Reads and checks a results file.
    pub fn read(path: &Path) -> Result<Self, MergeError> {
        let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: SweepFile = serde_json::from_str(&text).map_err(|source| MergeError::Json {
            path: path.to_owned(),
            source,
        })?;
        if file.format != FORMAT {
            return Err(MergeError::Format {
                path: path.to_owned(),
                found: file.format,
            });
        }
        file.check().map_err(|why| MergeError::Inconsistent {
            path: path.to_owned(),
            why,
        })?;
        Ok(file)
    }

    /// The file's text: pretty JSON and a final newline.
    pub fn to_json(&self) -> String {
        // Strings, numbers and options only: serialization cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The seed range and shard.
    pub fn coverage(&self) -> Coverage {
        Coverage {
            seeds: self.seeds.start..self.seeds.end,
            shard: self.shard.unwrap_or(Shard::WHOLE),
        }
    }

    /// The results as the sweep holds them (an unknown verdict word reads as internal error;
    /// [`SweepFile::read`] refuses such files).
    pub fn sweep_results(&self) -> Vec<SweepResult> {
        self.results
            .iter()
            .map(|r| SweepResult {
                scenario: r.scenario,
                seed: r.seed,
                verdict: verdict_from(&r.verdict, &r.details).unwrap_or_else(|| {
                    Verdict::Internal(format!("unknown verdict `{}`", r.verdict))
                }),
            })
            .collect()
    }

    /// The summary a sweep prints for these results.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self.scenarios.iter().map(|s| s.name.as_str()).collect();
        sweep::summary_of(&names, &self.coverage(), &self.sweep_results(), &|r| {
            // Each (scenario, seed) appears once (checked on read), so it names the result.
            self.results
                .iter()
                .find(|x| x.scenario == r.scenario && x.seed == r.seed)
                .and_then(|x| x.replay.clone())
        })
    }

    /// Checks that every result is of a scenario and seed of this file, each exactly once,
    /// with a known verdict.
    fn check(&self) -> Result<(), String> {
        let coverage = self.coverage();
        if coverage.seeds.end <= coverage.seeds.start {
            return Err("empty seed range".to_owned());
        }
        if coverage.shard.count == 0 || coverage.shard.index >= coverage.shard.count {
            return Err(format!("bad shard {}", coverage.shard));
        }
        // Count first (a bogus range must not make us list billions of seeds), then compare.
        let (len, shard) = (coverage.seeds.end - coverage.seeds.start, coverage.shard);
        let per_scenario = if len > shard.index {
            (len - shard.index - 1) / shard.count + 1
        } else {
            0
        };
        let expected_len = u64::try_from(self.scenarios.len())
            .ok()
            .and_then(|n| n.checked_mul(per_scenario));
        let counts_match = expected_len == u64::try_from(self.results.len()).ok()
            && usize::try_from(per_scenario).is_ok_and(|n| n <= self.results.len().max(1));
        let matches = counts_match && {
            let seeds = coverage.seeds_run();
            let expected =
                (0..self.scenarios.len()).flat_map(|s| seeds.iter().map(move |seed| (s, *seed)));
            self.results
                .iter()
                .map(|r| (r.scenario, r.seed))
                .eq(expected)
        };
        if !matches {
            return Err(format!(
                "its results are not one per scenario and seed of {} ({} results, expected {})",
                describe(&coverage),
                self.results.len(),
                expected_len.map_or_else(|| "too many".to_owned(), |n| n.to_string())
            ));
        }
        if let Some(r) = self
            .results
            .iter()
            .find(|r| verdict_from(&r.verdict, &r.details).is_none())
        {
            return Err(format!("unknown verdict `{}`", r.verdict));
        }
        Ok(())
    }
}

fn describe(coverage: &Coverage) -> String {
    let mut text = format!("seeds {}..{}", coverage.seeds.start, coverage.seeds.end);
    if !coverage.shard.is_whole() {
        text.push_str(&format!(" shard {}", coverage.shard));
    }
    text
}

/// Reads the results files at `paths` and merges them (see [`merge`]).
pub fn merge_files(paths: &[PathBuf]) -> Result<SweepFile, MergeError> {
    let files = paths
        .iter()
        .map(|p| SweepFile::read(p).map(|f| (p.clone(), f)))
        .collect::<Result<Vec<_>, _>>()?;
    merge(files)
}

/// Merges the results of every shard of one sweep (each file named by its path, for errors)
/// into the results of the whole sweep, as one process would have written them.
pub fn merge(files: Vec<(PathBuf, SweepFile)>) -> Result<SweepFile, MergeError> {
    let Some((first_path, first)) = files.first() else {
        return Err(MergeError::NoInputs);
    };
    let count = first.coverage().shard.count;
    let mut by_index: BTreeMap<u64, &PathBuf> = BTreeMap::new();
    for (path, file) in &files {
        let differ = |what| MergeError::DifferentSweep {
            path: path.clone(),
            first: first_path.clone(),
            what,
        };
        if file.seeds != first.seeds {
            return Err(differ("seed ranges"));
        }
        if file.scenarios != first.scenarios {
            return Err(differ("scenario sets"));
        }
        let shard = file.coverage().shard;
        if shard.count != count {
            return Err(differ("shard counts"));
        }
        if let Some(other) = by_index.insert(shard.index, path) {
            return Err(MergeError::Overlap {
                shard,
                first: other.clone(),
                second: path.clone(),
            });
        }
    }
    // Each file's results are exactly its shard's (checked on read) and the shards are
    // distinct, so the merge is complete when every index is present.
    let missing: Vec<u64> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .take(20)
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count });
    }
    let mut results: Vec<RunResult> = files
        .iter()
        .flat_map(|(_, f)| f.results.iter().cloned())
        .collect();
    results.sort_by_key(|r| (r.scenario, r.seed));
    let mut merged = SweepFile {
        format: FORMAT.to_owned(),
        seeds: first.seeds,
        shard: None,
        scenarios: first.scenarios.clone(),
        results,
        exit_code: run::EXIT_PASS,
    };
    merged.exit_code = sweep::exit_code(&merged.sweep_results());
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_survives_the_file() {
        let verdicts = [
            Verdict::Pass,
            Verdict::Skipped(vec!["case".into()]),
            Verdict::Invariant(vec!["nonce reused".into(), "second".into()]),
            Verdict::Expectation(vec!["line 3: failed".into()]),
            Verdict::Internal("panicked".into()),
        ];
        for v in verdicts {
            let (word, details) = verdict_fields(&v);
            assert_eq!(verdict_from(word, &details), Some(v));
        }
        assert_eq!(verdict_from("maybe", &[]), None);
    }

    #[test]
    fn merging_nothing_is_an_error() {
        assert!(matches!(merge(Vec::new()), Err(MergeError::NoInputs)));
    }
}
