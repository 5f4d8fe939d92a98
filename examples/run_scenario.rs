//! Use paseo from your own tests: load a scenario, run it at a seed with the library, and
//! assert on the report (verdict, a step's outcome, a trace line).
//!
//! ```sh
//! cargo run --example run_scenario                                  # the embedded scenario
//! cargo run --example run_scenario -- scenarios/pase-lossy.yaml 7   # a file, at seed 7
//! ```
//!
//! Exits 0 when every check holds, 1 when one does not (it says which), 3 when the scenario
//! does not parse (the diagnostic with file:line:column). In a crate of your own, depend on
//! `paseo` (path or git); the same calls work inside a `#[test]` with `assert!`s.

use std::path::Path;
use std::process::ExitCode;

use paseo::report::{self, Detail};
use paseo::run::{self, Verdict};
use paseo::scenario::{self, Scenario};

/// A scenario written inline: pair, then two reliable messages over 20 % loss. Its `talk` step
/// must end ok.
const EMBEDDED: &str = "\
name: my-lossy-pairing
description: Pair over a lossy link, then send two reliable messages.
seed: 3
network: {latency: 2ms..8ms, loss: 20%}
nodes:
  - {name: ctrl, role: commissioner}
  - {name: dev, role: device}
steps:
  - pair: {commissioner: ctrl, device: dev}
  - exchange: {from: ctrl, to: dev, messages: 2, label: talk}
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (loaded, embedded) = match args.first() {
        Some(path) => (scenario::load(Path::new(path)), false),
        None => (scenario::parse("embedded.yaml", EMBEDDED), true),
    };
    let scenario = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", e.render());
            return ExitCode::from(run::EXIT_BAD_SCENARIO);
        }
    };
    let seed = match args.get(1).map(|s| s.parse::<u64>()) {
        None => scenario.seed,
        Some(Ok(seed)) => seed,
        Some(Err(e)) => {
            eprintln!("the seed must be a number: {e}");
            return ExitCode::from(run::EXIT_BAD_SCENARIO);
        }
    };
    let run = run::run(&scenario, seed);
    print!("{}", report::text(&scenario, &run, Detail::Summary));
    let failed = checks(&scenario, &run, embedded);
    for why in &failed {
        eprintln!("check failed: {why}");
    }
    if failed.is_empty() {
        println!("all checks hold");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What a user's test would assert; each broken check is one line.
fn checks(scenario: &Scenario, run: &run::Run, embedded: bool) -> Vec<String> {
    let mut failed = Vec::new();
    // 1. The verdict: every oracle held, every step ended as the file says.
    if run.verdict != Verdict::Pass {
        failed.push(format!(
            "verdict {}: {}",
            run.verdict.word(),
            run.verdict.reasons().join("; ")
        ));
    }
    // 2. Steps: each one's outcome (`ok`, `failed: …`) and whether the file expected it.
    for step in run.steps.iter().filter(|s| !s.as_expected) {
        failed.push(format!(
            "line {}: {}: {}",
            step.check.line,
            step.check.description,
            step.status()
        ));
    }
    let trace = run
        .report
        .as_ref()
        .map(|r| r.trace.lines())
        .unwrap_or_default();
    if trace.is_empty() {
        failed.push(format!("{}: the run has no trace", scenario.name));
    }
    if embedded {
        // 3. One step by its label.
        match run.steps.iter().find(|s| s.check.label == "talk") {
            Some(talk) if talk.status() == "ok" => {}
            Some(talk) => failed.push(format!("step `talk`: {}", talk.status())),
            None => failed.push("no step labelled `talk`".into()),
        }
        // 4. A trace line: the device opened its PASE session with the commissioner.
        if !trace
            .iter()
            .any(|l| l.contains(" dev ** ctrl ") && l.ends_with(": session opened"))
        {
            failed.push("no `dev ** ctrl … : session opened` line in the trace".into());
        }
        // 5. Same seed, same trace: the run can be replayed.
        let again = run::run(scenario, run.seed).report.map(|r| r.trace.lines());
        if again.as_ref() != Some(&trace) {
            failed.push(format!("seed {} does not replay the same trace", run.seed));
        }
    }
    failed
}
