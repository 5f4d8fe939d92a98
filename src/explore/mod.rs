//! `paseo explore`: generated adversarial scenarios. For each seed a [`recipe::Recipe`] is
//! drawn from a proptest strategy on a ChaCha generator seeded by that seed, written as YAML
//! ([`render`]), parsed back by the scenario parser and run at that seed with every oracle and
//! the liveness phase. A failing run is shrunk with proptest's value tree (simplify while the
//! failure keeps its [`FailureClass`], complicate when it does not) and the smallest failing
//! scenario is returned as a file ready to commit. Seeds are independent and results come back
//! in seed order, so the output is the same for any number of jobs.

pub mod recipe;
pub mod render;

use std::fmt;
use std::ops::Range;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::run::{self, Run, Verdict};
use crate::scenario;
use paseo_sim::OracleKind;
use recipe::Recipe;
use render::Provenance;

/// Runs one shrink may try at most.
pub const SHRINK_BUDGET: u32 = 400;

/// What kind of failure a run shows. Shrinking keeps it: a smaller scenario that fails some
/// other way is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureClass {
    /// An oracle fired (the first violation's oracle).
    Invariant(String),
    /// A step whose outcome the generator guaranteed did not end so: the step's keyword
    /// (`pair`, `expect`, …) and its status word (`failed`, `not finished`, `never started`).
    Step(String, String),
    /// The liveness phase failed: its first words (`not quiet …`, `session … not established`).
    Liveness(String),
    /// The simulator failed or panicked.
    Internal,
    /// The generated file did not parse: a bug of the generator.
    BadScenario,
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureClass::Invariant(k) => write!(f, "invariant {k}"),
            FailureClass::Step(step, status) => write!(f, "expectation: {step} step {status}"),
            FailureClass::Liveness(what) => write!(f, "liveness: {what}"),
            FailureClass::Internal => f.write_str("internal error"),
            FailureClass::BadScenario => f.write_str("generated scenario does not parse"),
        }
    }
}

/// The step keyword written at `line` (1-based) of `yaml`.
fn keyword_at(yaml: &str, line: u64) -> String {
    let text = usize::try_from(line)
        .ok()
        .and_then(|l| yaml.lines().nth(l.saturating_sub(1)))
        .unwrap_or("");
    let text = text.trim_start().trim_start_matches("- ");
    text.split(':').next().unwrap_or("").trim().to_owned()
}

/// The class of a run's failure, `None` if it passed.
pub fn classify(yaml: &str, run: &Run) -> Option<FailureClass> {
    match &run.verdict {
        Verdict::Pass | Verdict::Skipped(_) => None,
        Verdict::Internal(_) => Some(FailureClass::Internal),
        Verdict::Invariant(reasons) => {
            let kind = run
                .report
                .as_ref()
                .and_then(|r| {
                    r.violations
                        .iter()
                        .find(|v| v.oracle != OracleKind::Liveness)
                })
                .map(|v| v.oracle.to_string())
                .or_else(|| reasons.first().cloned())
                .unwrap_or_default();
            Some(FailureClass::Invariant(kind))
        }
        Verdict::Expectation(reasons) => {
            if let Some(step) = run.steps.iter().find(|s| !s.as_expected) {
                let status = step.status();
                let word = status.split(':').next().unwrap_or("").to_owned();
                return Some(FailureClass::Step(keyword_at(yaml, step.check.line), word));
            }
            let detail = run
                .report
                .as_ref()
                .and_then(|r| {
                    r.violations
                        .iter()
                        .find(|v| v.oracle == OracleKind::Liveness)
                })
                .map(|v| v.detail.clone())
                .or_else(|| reasons.first().cloned())
                .unwrap_or_default();
            let what = if detail.starts_with("not quiet") {
                "not quiet"
            } else if detail.starts_with("liveness probe failed") {
                "probe failed"
            } else if detail.contains("not established") {
                "session not established"
            } else {
                "other"
            };
            Some(FailureClass::Liveness(what.to_owned()))
        }
    }
}

/// Writes `recipe`, parses it back and runs it at `seed`: its class (if it fails), the text
/// and the first reasons.
pub fn evaluate(recipe: &Recipe, seed: u64) -> (Option<FailureClass>, String, Vec<String>) {
    let text = render::yaml(recipe, seed, &Provenance::default());
    let path = format!("explore-{seed}.yaml");
    match scenario::parse(&path, &text) {
        Err(e) => (Some(FailureClass::BadScenario), text, vec![e.render()]),
        Ok(s) => {
            let run = run::run(&s, seed);
            (classify(&text, &run), text, run.verdict.reasons())
        }
    }
}

/// The recipe of `seed` (the first value the strategy draws from that seed) and its tree.
fn tree(seed: u64) -> Option<impl ValueTree<Value = Recipe>> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(b"explore1");
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    recipe::recipe().new_tree(&mut runner).ok()
}

/// The recipe `paseo explore` generates for `seed`.
pub fn generate(seed: u64) -> Option<Recipe> {
    tree(seed).map(|t| t.current())
}

/// How many steps of each kind `recipes` hold, in [`recipe::OP_KINDS`] order, kinds that
/// never occur left out.
pub fn step_counts<'a>(
    recipes: impl IntoIterator<Item = &'a Recipe>,
) -> Vec<(&'static str, usize)> {
    let mut counts = [0usize; recipe::OP_KINDS.len()];
    for op in recipes.into_iter().flat_map(|r| &r.ops) {
        if let Some(i) = recipe::OP_KINDS.iter().position(|k| *k == op.kind()) {
            counts[i] += 1;
        }
    }
    recipe::OP_KINDS
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// A failing seed, shrunk.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The seed.
    pub seed: u64,
    /// How it fails (the shrunk scenario fails the same way).
    pub class: FailureClass,
    /// Steps of the generated scenario.
    pub original_steps: usize,
    /// The shrunk recipe.
    pub shrunk: Recipe,
    /// Runs the shrink took.
    pub shrink_runs: u32,
    /// Why the shrunk scenario fails (the run's reasons).
    pub reasons: Vec<String>,
    /// The shrunk scenario file, with its comment header.
    pub yaml: String,
}

impl Finding {
    /// The shrunk scenario file as written to `path`: its comment header says how to
    /// reproduce it from there.
    pub fn file_text(&self, path: &str) -> String {
        let provenance = provenance(
            self.seed,
            &self.class,
            self.original_steps,
            self.shrunk.ops.len(),
            self.shrink_runs,
            path,
        );
        render::yaml(&self.shrunk, self.seed, &provenance)
    }
}

/// The comment header of a shrunk scenario written to `path`.
fn provenance(
    seed: u64,
    class: &FailureClass,
    original_steps: usize,
    shrunk_steps: usize,
    runs: u32,
    path: &str,
) -> Provenance {
    Provenance {
        lines: vec![
            format!(
                "Found by `paseo explore --seeds {seed}..{}`: {class}.",
                seed.saturating_add(1)
            ),
            format!(
                "Shrunk from {original_steps} to {shrunk_steps} step(s) in {runs} run(s); reproduce with"
            ),
            format!(
                "`{} run {}`.",
                crate::invocation::command(),
                crate::invocation::shell_word(path)
            ),
        ],
    }
}

/// What exploring one seed gave.
#[derive(Clone, Debug)]
pub enum SeedResult {
    /// Every oracle, guaranteed step and the liveness phase held.
    Pass,
    /// The strategy could not draw a recipe (never expected).
    NoRecipe,
    /// A failure, shrunk.
    Failed(Box<Finding>),
}

/// Generates, runs and (on failure) shrinks the scenario of `seed`.
pub fn explore_seed(seed: u64, budget: u32) -> (u64, SeedResult) {
    let Some(mut tree) = tree(seed) else {
        return (seed, SeedResult::NoRecipe);
    };
    let original = tree.current();
    let (Some(class), _, mut reasons) = evaluate(&original, seed) else {
        return (seed, SeedResult::Pass);
    };
    let mut best = original.clone();
    let mut runs = 0u32;
    // proptest's shrink loop: simplify while the failure stays, complicate when it goes.
    if tree.simplify() {
        while runs < budget {
            let candidate = tree.current();
            runs += 1;
            let (got, _, why) = evaluate(&candidate, seed);
            if got.as_ref() == Some(&class) {
                best = candidate;
                reasons = why;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    let provenance = provenance(
        seed,
        &class,
        original.ops.len(),
        best.ops.len(),
        runs,
        &format!("scenarios/regressions/explore-{seed}.yaml"),
    );
    let yaml = render::yaml(&best, seed, &provenance);
    (
        seed,
        SeedResult::Failed(Box::new(Finding {
            seed,
            class,
            original_steps: original.ops.len(),
            shrunk: best,
            shrink_runs: runs,
            reasons,
            yaml,
        })),
    )
}

/// Explores every seed of `seeds` on `jobs` threads; results in seed order. `tick` is called
/// after each seed with its result (the progress bar counts failures with it).
pub fn explore(
    seeds: Range<u64>,
    jobs: usize,
    budget: u32,
    tick: &(dyn Fn(&SeedResult) + Sync),
) -> Vec<(u64, SeedResult)> {
    let all: Vec<u64> = seeds.collect();
    let jobs = jobs.max(1);
    let mut results: Vec<(u64, SeedResult)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|t| {
                let all = &all;
                scope.spawn(move || {
                    all.iter()
                        .skip(t)
                        .step_by(jobs)
                        .map(|&seed| {
                            let r = explore_seed(seed, budget);
                            tick(&r.1);
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            // A thread that panicked outside the run's `catch_unwind` loses its seeds; they
            // are missing from the result and the summary says how many ran.
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(seed, _)| *seed);
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_generates_the_same_recipe_and_seeds_differ() {
        let a = generate(11).expect("a recipe");
        assert_eq!(Some(a.clone()), generate(11));
        assert_ne!(Some(a), generate(12));
    }

    #[test]
    fn keyword_of_a_line() {
        let yaml = "steps:\n  - pair: {commissioner: ctrl}\n  - parallel:\n";
        assert_eq!(keyword_at(yaml, 2), "pair");
        assert_eq!(keyword_at(yaml, 3), "parallel");
        assert_eq!(keyword_at(yaml, 9), "");
    }
}
