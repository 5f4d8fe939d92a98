//! What `paseo run` and `paseo replay` print: a header (scenario, seed), the trace, every
//! step's outcome and a verdict line; or one JSON object. The text is also what the snapshot
//! suite pins, so it holds nothing that varies between runs of one seed.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::run::{Run, Verdict};
use crate::scenario::Scenario;

/// How much of a run to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Header, steps and verdict.
    Summary,
    /// Also the trace.
    Trace,
}

/// The human-readable report of a run.
pub fn text(scenario: &Scenario, run: &Run, detail: Detail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} ({})", scenario.name, scenario.path);
    let _ = writeln!(out, "  {}", scenario.description);
    let _ = writeln!(out, "seed {}", run.seed);
    if let (Detail::Trace, Some(report)) = (detail, &run.report) {
        let _ = writeln!(
            out,
            "\n-- trace: time (ms)  node  arrow  peer  what : decision"
        );
        out.push_str(&report.trace.text());
    }
    if !run.steps.is_empty() {
        let _ = writeln!(out, "\n-- steps");
        for s in &run.steps {
            let _ = writeln!(out, "{}", s.line(true));
        }
    }
    if let Some(report) = &run.report
        && !report.violations.is_empty()
    {
        let _ = writeln!(out, "\n-- oracle violations");
        for v in &report.violations {
            let _ = writeln!(out, "{v}");
            if let Some(d) = &v.datagram {
                let _ = writeln!(out, "  datagram {d}");
            }
        }
    }
    out.push('\n');
    out.push_str(&verdict_lines(scenario, run));
    out
}

/// The verdict line; on failure each reason and the replay command.
pub fn verdict_lines(scenario: &Scenario, run: &Run) -> String {
    let mut out = String::new();
    let facts = run.report.as_ref().map_or_else(String::new, |r| {
        let sent = r
            .trace
            .records
            .iter()
            .filter(|x| x.kind == paseo_sim::trace::RecordKind::Tx)
            .count();
        let limit = r
            .time_limit_reached
            .map_or_else(String::new, |at| format!("time limit reached at {at} ms, "));
        format!(
            " ({limit}{} at {} ms, {sent} datagrams, {} of {} messages delivered)",
            serde_json::to_value(&r.end)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "ended".to_owned()),
            r.ended_at,
            r.messages.1,
            r.messages.0
        )
    });
    let _ = writeln!(
        out,
        "{} seed={} scenario={}{facts}",
        run.verdict.word(),
        run.seed,
        scenario.name
    );
    for reason in run.verdict.reasons() {
        let _ = writeln!(out, "  {reason}");
    }
    if !matches!(run.verdict, Verdict::Pass | Verdict::Skipped(_)) {
        let _ = writeln!(out, "replay: {}", scenario.replay_command(run.seed));
    }
    out
}

/// The JSON report of a run.
pub fn json(scenario: &Scenario, run: &Run) -> Value {
    let steps: Vec<Value> = run
        .steps
        .iter()
        .map(|s| {
            json!({
                "line": s.check.line,
                "label": s.check.label,
                "step": s.check.description,
                "expected": format!("{:?}", s.check.expected).to_lowercase(),
                "outcome": s.outcome.clone().flatten(),
                "status": s.status(),
                "finished_us": s.finished_us,
                "past_time_limit_us": s.past_time_limit,
                "as_expected": s.as_expected,
            })
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "file": scenario.path,
        "seed": run.seed,
        "verdict": run.verdict.word(),
        "exit_code": run.verdict.exit_code(),
        "reasons": run.verdict.reasons(),
        "replay": (!matches!(run.verdict, Verdict::Pass | Verdict::Skipped(_)))
            .then(|| scenario.replay_command(run.seed)),
        "steps": steps,
        "violations": run.report.as_ref().map(|r| r.violations.clone()),
        "end": run.report.as_ref().map(|r| r.end.clone()),
        "ended_us": run.report.as_ref().map(|r| r.ended_at.as_micros()),
        "time_limit_reached_us": run
            .report
            .as_ref()
            .and_then(|r| r.time_limit_reached.map(|t| t.as_micros())),
        "trace_hash": run.report.as_ref().map(|r| r.trace_hash()),
    })
}
